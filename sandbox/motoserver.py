"""One region's moto server (DynamoDB, DynamoDB Streams, S3, Cognito), tied to its supervisor."""

from __future__ import annotations

import argparse

from moto.server import main as moto_main

from sandbox.config import HOST
from sandbox.procs import exit_with_parent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="a moto server for one sandbox region")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    exit_with_parent()
    moto_main(["-H", HOST, "-p", str(args.port)])


if __name__ == "__main__":
    main()
