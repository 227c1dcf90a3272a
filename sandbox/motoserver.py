"""One region's moto server (DynamoDB, DynamoDB Streams, S3, Cognito), tied to its supervisor."""

from __future__ import annotations

import argparse
import threading
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


def keep_stream_shards_through_rollbacks() -> None:
    """moto undoes a cancelled TransactWriteItems by putting deep copies of its tables, taken
    before it ran, in place of the originals. Every shard iterator issued earlier points into
    an original's stream shard, which then holds the records of the writes that were undone
    and never gets another one: a stream reader following NextShardIterator (the poller, the
    replicator) would deliver a write that never happened and then see an empty stream for
    ever. A checkout cancelled by a condition (its order already there, a cart line changed)
    is enough. Here the copies share the one stream shard of their table, and a cancelled
    transaction takes its own records out of it, so a stream is never forked nor rewritten.
    Safe because `serialize_requests` lets no other request see the shard meanwhile."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import StreamShard

    def share(self: StreamShard, memo: dict[int, Any]) -> StreamShard:
        return self

    StreamShard.__deepcopy__ = share  # type: ignore[attr-defined]
    transact_write_items = DynamoDBBackend.transact_write_items

    def transact_or_take_back(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        before = {
            name: (table, len(table.stream_shard.items))
            for name, table in self.tables.items()
            if table.stream_shard is not None
        }
        try:
            transact_write_items(self, transact_items)
        except Exception:
            for name, (table, length) in before.items():
                current = self.tables.get(name)
                shard = table.stream_shard
                if (
                    shard is not None
                    and current is not None
                    and current is not table
                    and current.stream_shard is shard
                ):
                    del shard.items[length:]  # the undone writes' records
                    shard.table = current
            raise

    DynamoDBBackend.transact_write_items = transact_or_take_back  # type: ignore[method-assign]


def serialize_requests() -> None:
    """moto serves requests on many threads but updates a DynamoDB item and appends its stream
    record without a lock, so two concurrent writes can get one sequence number or land in the
    stream in another order than in the table; replication built on that stream then cannot
    converge. One lock around each request makes every region's store linearizable, as
    DynamoDB is per item; moto is bound by the GIL anyway, so little throughput is lost."""
    import moto.server

    lock = threading.Lock()
    namespace = vars(moto.server)
    run_simple = namespace["run_simple"]

    def run_locked(hostname: str, port: int, application: Any, *args: Any, **kwargs: Any) -> None:
        def locked(environ: Any, start_response: Any) -> list[bytes]:
            with lock:
                return list(application(environ, start_response))

        run_simple(hostname, port, locked, *args, **kwargs)

    namespace["run_simple"] = run_locked


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="a moto server for one sandbox region")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    exit_with_parent()
    forget_used_shard_iterators()
    keep_stream_shards_through_rollbacks()
    serialize_requests()
    moto_main(["-H", HOST, "-p", str(args.port)])


if __name__ == "__main__":
    main()
