"""A region's stream poller: the Orders stream -> the real stream handler, as Lambda does it.

Lambda's event source mapping reads a shard in order, invokes the function with up to
`batch_size` records, and on failure retries from the first failed record (partial batch
response) or, when the function raised, bisects the batch; a record that still fails after
`maximum_retry_attempts` (or once older than `maximum_record_age_seconds`) is logged and
skipped (in AWS it goes to the on-failure destination); -1 means no limit, as in Lambda. The
settings come from `bookstore.stream_config.ORDERS_STREAM_CONSUMER`, as in the Pulumi
component.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from bookstore.stream_config import ORDERS_STREAM_CONSUMER, StreamConsumerConfig
from bookstore.tables import ORDERS
from sandbox.config import TABLE_PREFIX, SandboxConfig
from sandbox.gateway import LambdaContext
from sandbox.procs import exit_with_parent, install_sigterm_exit
from sandbox.provision import aws_kwargs

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient

log = logging.getLogger("sandbox.poller")

Handler = Callable[[dict[str, Any], Any], Any]
# Lambda polls each shard about four times a second.
IDLE_SLEEP_SECONDS = 0.25
# GetRecords page sizes (see ShardReader): start small, double after fast full pages, halve
# after slow reads, quarter after failed ones.
INITIAL_PAGE = 100
MAX_PAGE = 1000
FAST_READ_SECONDS = 0.2
SLOW_READ_SECONDS = 0.5
RECENT_EVENT_IDS = 2000
# Lambda's value for "no limit" (MaximumRetryAttempts, MaximumRecordAgeInSeconds).
UNLIMITED = -1
# While a batch keeps failing, one log line on the first retry and then every so many.
RETRY_LOG_EVERY = 10


def to_lambda_json(value: Any) -> Any:
    """boto3's parsed record -> the JSON Lambda delivers (bytes base64, times as epoch)."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: to_lambda_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_lambda_json(v) for v in value]
    return value


def lambda_record(record: dict[str, Any], region: str, stream_arn: str) -> dict[str, Any]:
    converted: dict[str, Any] = to_lambda_json(record)
    converted["awsRegion"] = region  # moto always says us-east-1
    converted["eventVersion"] = "1.1"
    converted["eventSourceARN"] = stream_arn
    return converted


class BatchInvoker:
    """Delivers one batch with Lambda's retry, partial-failure and bisect semantics."""

    def __init__(
        self,
        handler: Handler,
        config: StreamConsumerConfig,
        function_name: str,
        region: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.handler = handler
        self.config = config
        self.function_name = function_name
        self.region = region
        self.sleep = sleep
        self.exhausted: list[dict[str, Any]] = []

    def _invoke(self, records: list[dict[str, Any]]) -> int | None:
        """Index of the first record to retry from, or None when the batch succeeded.
        Raises when the function itself failed."""
        result = self.handler({"Records": records}, LambdaContext(self.function_name, self.region))
        failures = (result or {}).get("batchItemFailures") or [] if isinstance(result, dict) else []
        if not failures:
            return None
        ids = [str(r["dynamodb"]["SequenceNumber"]) for r in records]
        positions = []
        for failure in failures:
            identifier = str((failure or {}).get("itemIdentifier") or "")
            # An unknown or empty identifier fails the whole batch, as in Lambda.
            positions.append(ids.index(identifier) if identifier in ids else 0)
        return min(positions)

    def deliver(self, records: list[dict[str, Any]]) -> None:
        attempt = 0
        while records:
            records = self._drop_expired(records)
            if not records:
                return
            try:
                retry_from = self._invoke(records)
            except Exception:
                log.exception("stream handler raised on %d records", len(records))
                if self.config.bisect_batch_on_function_error and len(records) > 1:
                    middle = len(records) // 2
                    self.deliver(records[:middle])
                    self.deliver(records[middle:])
                    return
                retry_from = 0
            if retry_from is None:
                return
            records = records[retry_from:]
            attempt += 1
            limit = self.config.maximum_retry_attempts
            if limit != UNLIMITED and attempt > limit:
                self._give_up(records, f"exhausted {limit} retries")
                return
            if attempt == 1 or attempt % RETRY_LOG_EVERY == 0:
                log.warning(
                    "%d records failed from sequence number %s; retry %d%s",
                    len(records),
                    records[0]["dynamodb"]["SequenceNumber"],
                    attempt,
                    "" if limit == UNLIMITED else f" of {limit}",
                )
            self.sleep(min(2.0, 0.1 * 2 ** min(attempt, 5)))

    def _drop_expired(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        limit = self.config.maximum_record_age_seconds
        if limit == UNLIMITED:
            return records
        now = time.time()
        fresh = [
            r for r in records if now - float(r["dynamodb"]["ApproximateCreationDateTime"]) <= limit
        ]
        if len(fresh) < len(records):
            self._give_up(
                [r for r in records if r not in fresh], "older than the maximum record age"
            )
        return fresh

    def _give_up(self, records: list[dict[str, Any]], why: str) -> None:
        for record in records:
            self.exhausted.append(record)
            log.error(
                "DISCARDED stream record (%s): %s",
                why,
                json.dumps({"eventID": record.get("eventID"), "dynamodb": record.get("dynamodb")}),
            )


class ShardReader:
    """Reads the single shard of a moto stream in order, resuming after the last record.

    A GetRecords answer costs moto milliseconds per record (more on a busy machine), so a
    large backlog read in one call can outlast the caller's timeout; reading the same large
    page again would time out again, for ever, and the stream would stall with every later
    record unread. The page size therefore adapts: it shrinks after a failed or slow read and
    grows back after fast ones, up to the `limit` the caller asks for.

    moto numbers records `len(records) + start` without a lock, so two concurrent writes can
    share a sequence number; resuming after it then returns one record again. Records already
    returned are recognised by their eventID and not returned twice.
    """

    def __init__(
        self,
        client: DynamoDBStreamsClient,
        stream_arn: str,
        start: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.stream_arn = stream_arn
        self.start = start
        self.clock = clock
        self.last_sequence: str | None = None
        self.page = INITIAL_PAGE
        self._iterator: str | None = None
        self._recent: deque[str] = deque(maxlen=RECENT_EVENT_IDS)
        self._recent_set: set[str] = set()

    def _new_iterator(self) -> str:
        shards = self.client.describe_stream(StreamArn=self.stream_arn)["StreamDescription"][
            "Shards"
        ]
        shard_id = shards[-1]["ShardId"]
        if self.last_sequence is None:
            response = self.client.get_shard_iterator(
                StreamArn=self.stream_arn,
                ShardId=shard_id,
                ShardIteratorType=self.start,  # type: ignore[arg-type]
            )
        else:
            response = self.client.get_shard_iterator(
                StreamArn=self.stream_arn,
                ShardId=shard_id,
                ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                SequenceNumber=self.last_sequence,
            )
        return response["ShardIterator"]

    def skip_existing(self) -> int:
        """Move past every record already in the stream; returns how many were skipped."""
        skipped = 0
        while records := self.read(1000):
            skipped += len(records)
        return skipped

    def read(self, limit: int) -> list[dict[str, Any]]:
        """The next records (maybe none); raises on transport errors (the caller backs off)."""
        page = max(1, min(limit, self.page))
        started = self.clock()
        try:
            if self._iterator is None:
                self._iterator = self._new_iterator()
            response = self.client.get_records(ShardIterator=self._iterator, Limit=page)
        except (BotoCoreError, ClientError):
            # The next read starts again after the last record returned, with a smaller page.
            self._iterator = None
            self.page = max(1, page // 4)
            raise
        elapsed = self.clock() - started
        self._iterator = response.get("NextShardIterator")
        records: list[dict[str, Any]] = list(response.get("Records", []))  # type: ignore[arg-type]
        if records:
            self.last_sequence = str(records[-1]["dynamodb"]["SequenceNumber"])
        if elapsed > SLOW_READ_SECONDS and len(records) > 1:
            self.page = max(1, page // 2)
        elif len(records) >= page and elapsed < FAST_READ_SECONDS:
            self.page = min(MAX_PAGE, page * 2)
        return self._unseen(records)

    def _unseen(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        fresh = []
        for record in records:
            event_id = str(record.get("eventID") or "")
            if event_id:
                if event_id in self._recent_set:
                    continue
                if len(self._recent) == self._recent.maxlen:
                    self._recent_set.discard(self._recent[0])
                self._recent.append(event_id)
                self._recent_set.add(event_id)
            fresh.append(record)
        return fresh


def run(config: SandboxConfig, region_name: str, handler: Handler) -> None:
    region = config.region(region_name)
    kwargs = aws_kwargs(region, timeout=2)
    dynamodb = boto3.client("dynamodb", **kwargs)
    streams: DynamoDBStreamsClient = boto3.client("dynamodbstreams", **kwargs)
    table = dynamodb.describe_table(TableName=ORDERS.physical_name(TABLE_PREFIX))["Table"]
    stream_arn = table["LatestStreamArn"]
    settings = ORDERS_STREAM_CONSUMER
    reader = ShardReader(streams, stream_arn, settings.starting_position)
    invoker = BatchInvoker(handler, settings, f"bookstore-stream-{region.name}", region.name)
    log.info("polling %s with %s", stream_arn, settings)
    while True:
        try:
            records = reader.read(settings.batch_size)
        except (BotoCoreError, ClientError) as exc:
            log.warning("GetRecords failed (%s); retrying", exc)
            time.sleep(0.5)
            continue
        if not records:
            time.sleep(IDLE_SLEEP_SECONDS)
            continue
        invoker.deliver([lambda_record(r, region.name, stream_arn) for r in records])


def load_stream_handler() -> Handler:
    handler: Handler = importlib.import_module("stream").handler
    return handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="one region's Orders stream poller")
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--region", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s poller %(message)s")
    exit_with_parent()
    install_sigterm_exit()
    run(SandboxConfig.load(args.config), args.region, load_stream_handler())


if __name__ == "__main__":
    main()
