"""`python -m drill ...`: the same as `bookstore drill ...` (used by the tests, and handy
before the `bookstore` entry point of an older editable install knows the package)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from cli.main import CliError
from drill import cli


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bookstore drill", description=__doc__)
    cli.register(parser)
    args = parser.parse_args(argv)
    try:
        return cli.run(args)
    except CliError as exc:
        print(f"bookstore: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bookstore: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
