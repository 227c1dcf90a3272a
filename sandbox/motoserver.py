"""One region's moto server (DynamoDB, DynamoDB Streams, S3, Cognito), tied to its supervisor."""

from __future__ import annotations

import argparse
from typing import Any

from moto.dynamodbstreams.models import DynamoDBStreamsBackend, ShardIterator
from moto.server import main as moto_main

from sandbox.config import HOST
from sandbox.procs import exit_with_parent


def forget_used_shard_iterators() -> None:
    """moto keeps every shard iterator it ever issued (in the backend and in the model's
    instance list), and each GetRecords issues one: a sandbox polling its streams would grow
    by ~100 MB an hour. An iterator is dropped once used; readers continue with the
    NextShardIterator (or get a new one after an error)."""
    get_records = DynamoDBStreamsBackend.get_records

    def get_records_once(self: Any, iterator_arn: str, limit: int) -> dict[str, Any]:
        result: dict[str, Any] = get_records(self, iterator_arn, limit)
        self.shard_iterators.pop(iterator_arn, None)
        live = {id(i) for i in self.shard_iterators.values()}
        tracked = ShardIterator.instances_tracked  # type: ignore[attr-defined]
        tracked[:] = [i for i in tracked if id(i) in live]
        return result

    DynamoDBStreamsBackend.get_records = get_records_once  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="a moto server for one sandbox region")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    exit_with_parent()
    forget_used_shard_iterators()
    moto_main(["-H", HOST, "-p", str(args.port)])


if __name__ == "__main__":
    main()
