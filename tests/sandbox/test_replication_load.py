"""Replication under load: large stream backlogs, moto's duplicate sequence numbers, retried
writes, and (one bounded test) many concurrent writes into both regions of a real sandbox."""

from __future__ import annotations

import json
import random
import threading
import time
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError
from botocore.exceptions import ReadTimeoutError as BotoReadTimeout

from sandbox.config import TABLE_PREFIX, build_config
from sandbox.poller import ShardReader
from sandbox.replicator import Stats, TableReplicator
from tests.sandbox.conftest import Sandbox
from tests.sandbox.test_parts import FakeRegion

# -- reading a stream ------------------------------------------------------------------------

BASE = 1100000000017454423009


class FakeStream:
    """A moto stream: one shard, iterators used once (as the sandbox's moto forgets them),
    sequence numbers `len + BASE` (so concurrent writes may share one), and GetRecords costing
    time per record, so that a large page outlasts the client's timeout."""

    def __init__(self, seconds_per_record: float = 0.005, timeout: float = 1.0) -> None:
        self.records: list[dict[str, Any]] = []
        self.iterators: dict[str, int] = {}
        self.seconds_per_record = seconds_per_record
        self.timeout = timeout
        self.now = 0.0
        self.calls = 0

    def clock(self) -> float:
        return self.now

    def add(self, count: int, same_sequence: bool = False) -> None:
        for _ in range(count):
            sequence = BASE + len(self.records) - (1 if same_sequence else 0)
            n = len(self.records)
            self.records.append(
                {"eventID": f"e{n}", "dynamodb": {"SequenceNumber": str(sequence), "n": n}}
            )

    def _iterator(self, position: int) -> str:
        name = f"it{len(self.iterators)}"
        self.iterators[name] = position
        return name

    def describe_stream(self, StreamArn: str) -> dict[str, Any]:
        return {"StreamDescription": {"Shards": [{"ShardId": "shard-1"}]}}

    def get_shard_iterator(self, **kwargs: Any) -> dict[str, Any]:
        if kwargs["ShardIteratorType"] == "TRIM_HORIZON":
            return {"ShardIterator": self._iterator(0)}
        assert kwargs["ShardIteratorType"] == "AFTER_SEQUENCE_NUMBER"
        return {"ShardIterator": self._iterator(int(kwargs["SequenceNumber"]) + 1 - BASE)}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        self.calls += 1
        position = self.iterators.pop(ShardIterator)  # used once; a retry would be a 500
        page = self.records[position : position + Limit]
        cost = 0.01 + self.seconds_per_record * len(page)
        if cost > self.timeout:
            self.now += self.timeout
            raise BotoReadTimeout(endpoint_url="http://moto")
        self.now += cost
        if page:
            last = max(int(r["dynamodb"]["SequenceNumber"]) for r in page)
            return {"Records": page, "NextShardIterator": self._iterator(last + 1 - BASE)}
        return {"Records": [], "NextShardIterator": self._iterator(position)}


def _reader(stream: FakeStream) -> ShardReader:
    reader = ShardReader(stream, "arn", "TRIM_HORIZON")  # type: ignore[arg-type]
    reader.clock = stream.clock
    return reader


def _read_all(reader: ShardReader, limit: int, reads: int) -> list[int]:
    seen: list[int] = []
    for _ in range(reads):
        try:
            records = reader.read(limit)
        except (BotoCoreError, ClientError):
            continue  # the caller backs off and tries again
        if not records and seen:
            break
        seen.extend(int(r["dynamodb"]["n"]) for r in records)
    return seen


def test_a_backlog_too_large_for_one_timely_read_is_still_read() -> None:
    # 1000 records at 5 ms each take 5 s to answer: far over the replicator's 1 s timeout.
    stream = FakeStream()
    stream.add(1500)
    reader = _reader(stream)
    seen = _read_all(reader, limit=1000, reads=200)
    assert seen == list(range(1500))
    assert stream.calls < 200


def test_a_failed_read_resumes_after_the_last_record_returned() -> None:
    stream = FakeStream(seconds_per_record=0.001)
    stream.add(50)
    reader = _reader(stream)
    assert len(reader.read(1000)) == 50
    stream.add(30)
    stream.seconds_per_record = 1.0  # the region is frozen: the next read times out
    with pytest.raises(BotoCoreError):
        reader.read(1000)
    stream.seconds_per_record = 0.001
    assert _read_all(reader, limit=1000, reads=50) == list(range(50, 80))


def test_records_that_share_a_sequence_number_are_returned_once() -> None:
    stream = FakeStream(seconds_per_record=0.0)
    stream.add(3)
    stream.add(1, same_sequence=True)  # moto's race: two writes numbered alike
    reader = _reader(stream)
    first = reader.read(100)
    # Resuming after the shared number returns its second record again.
    stream.add(2)
    second = reader.read(100)
    ids = [r["eventID"] for r in first + second]
    assert ids == ["e0", "e1", "e2", "e3", "e4", "e5"]


# -- conflict state --------------------------------------------------------------------------

KEY = '{"id": {"S": "k"}}'


class LossyRegion(FakeRegion):
    """A region whose next write is lost on the way (the caller sees an error, nothing lands)."""

    def __init__(self) -> None:
        super().__init__()
        self.lose_next = False

    def _frozen(self, call: str, kwargs: dict[str, Any]) -> bool:
        if self.lose_next:
            self.lose_next = False
            raise EndpointConnectionError(endpoint_url="http://lost")
        return super()._frozen(call, kwargs)


@pytest.fixture
def lossy() -> tuple[TableReplicator, dict[str, LossyRegion]]:
    config = build_config(30000)
    regions = {r.name: LossyRegion() for r in config.regions}
    replicator = TableReplicator("Cart", list(config.regions), regions, {}, Stats())  # type: ignore[arg-type]
    return replicator, regions


def _observe(replicator: TableReplicator, name: str, region: FakeRegion) -> None:
    for record in region.unread():
        replicator.observe(name, record)


def _pump(replicator: TableReplicator, regions: dict[str, LossyRegion]) -> None:
    for _ in range(20):
        moved = False
        for name, region in regions.items():
            records = region.unread()
            moved = moved or bool(records)
            for record in records:
                replicator.observe(name, record)
        for name in regions:
            moved = moved or bool(replicator.queues[name])
            assert replicator.drain(name)
        if not moved:
            return
    raise AssertionError("replication did not settle")


def _item(value: int) -> dict[str, Any]:
    return {"id": {"S": "k"}, "quantity": {"N": str(value)}}


def test_a_retried_delete_leaves_no_expectation_that_swallows_a_later_delete(lossy: Any) -> None:
    replicator, regions = lossy
    (first_name, first), (second_name, second) = regions.items()
    first.put_item(TableName="Cart", Item=_item(1))
    _pump(replicator, regions)
    first.delete_item(TableName="Cart", Key={"id": {"S": "k"}}, ReturnValues="ALL_OLD")
    _observe(replicator, first_name, first)
    second.lose_next = True
    assert not replicator.drain(second_name)  # lost on the way
    assert replicator.drain(second_name)  # the retry lands
    _pump(replicator, regions)
    assert first.items == second.items == {}
    # The shopper adds the line again and checks out in the other region.
    second.put_item(TableName="Cart", Item=_item(2))
    _pump(replicator, regions)
    assert first.items[KEY] == _item(2)
    second.delete_item(TableName="Cart", Key={"id": {"S": "k"}}, ReturnValues="ALL_OLD")
    _pump(replicator, regions)
    assert first.items == second.items == {}


def test_a_retried_put_leaves_no_expectation_that_swallows_a_later_write(lossy: Any) -> None:
    replicator, regions = lossy
    (first_name, first), (second_name, second) = regions.items()
    first.put_item(TableName="Cart", Item=_item(1))
    _observe(replicator, first_name, first)
    second.lose_next = True
    assert not replicator.drain(second_name)
    _pump(replicator, regions)
    assert first.items == second.items == {KEY: _item(1)}
    second.put_item(TableName="Cart", Item=_item(2))
    _pump(replicator, regions)
    second.put_item(TableName="Cart", Item=_item(1))  # back to the first value, genuinely
    _pump(replicator, regions)
    assert first.items == second.items == {KEY: _item(1)}


def test_writes_sharing_a_sequence_number_keep_their_stream_order(lossy: Any) -> None:
    replicator, regions = lossy
    first, second = regions.values()
    first.put_item(TableName="Cart", Item=_item(1))
    first.put_item(TableName="Cart", Item=_item(2))
    first.stream[1]["dynamodb"]["SequenceNumber"] = first.stream[0]["dynamodb"]["SequenceNumber"]
    _pump(replicator, regions)
    assert first.items == second.items == {KEY: _item(2)}


def test_a_second_record_of_one_replicated_write_changes_nothing(lossy: Any) -> None:
    replicator, regions = lossy
    first, second = regions.values()
    first.put_item(TableName="Cart", Item=_item(1))
    _pump(replicator, regions)
    # A timed-out put retried by the client can land twice: one expectation, two records.
    second.put_item(TableName="Cart", Item=_item(1))
    _pump(replicator, regions)
    assert len(first.stream) == 1  # nothing sent back
    assert first.items == second.items == {KEY: _item(1)}


# -- a real sandbox under load ---------------------------------------------------------------


def _client(endpoint: str, region: str) -> Any:
    return boto3.client(
        "dynamodb",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(read_timeout=20, retries={"max_attempts": 3}),
    )


def _key(item: dict[str, Any]) -> str:
    return json.dumps([item["customerId"]["S"], item["bookId"]["S"]])


def _scan(client: Any, table: str, prefix: str) -> dict[str, Any]:
    items: dict[str, Any] = {}
    for page in client.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            if item["customerId"]["S"].startswith(prefix):
                items[_key(item)] = item
    return items


def test_a_large_backlog_of_concurrent_writes_converges(sandbox: Sandbox) -> None:
    """12 s of puts and deletes into both regions while replication is paused (~1000+ stream
    records per region, some keys written in both), then heal: every acknowledged write is
    in both regions, identical. A backlog this size takes moto far
    longer than the replicator's call timeout to return in one GetRecords page. (Cart, not
    Orders: these items are no orders, and the stream pollers would choke on them.)"""
    table = f"{TABLE_PREFIX}-Cart"
    regions = {name: r["aws"]["endpoint"] for name, r in sandbox.refresh()["regions"].items()}
    prefix = f"load-{random.randrange(10**9)}"
    shared = [f"shared-{i}" for i in range(20)]
    acknowledged: set[str] = set()
    lock = threading.Lock()
    errors: list[BaseException] = []

    def write(region: str, endpoint: str, seed: int) -> None:
        client = _client(endpoint, region)
        rnd = random.Random(seed)
        end = time.monotonic() + 12
        try:
            while time.monotonic() < end:
                book = rnd.choice(shared) if rnd.random() < 0.3 else f"b-{rnd.getrandbits(64):x}"
                keys = {"customerId": {"S": f"{prefix}-c"}, "bookId": {"S": book}}
                if book in shared and rnd.random() < 0.2:
                    client.delete_item(TableName=table, Key=keys)
                else:
                    item = {**keys, "region": {"S": region}, "n": {"N": str(rnd.randrange(9))}}
                    client.put_item(TableName=table, Item=item)
                    if book not in shared:
                        with lock:
                            acknowledged.add(_key(item))
                time.sleep(rnd.uniform(0.002, 0.01))
        except BaseException as exc:  # reported by the test's thread
            errors.append(exc)

    threads = [
        threading.Thread(target=write, args=(name, endpoint, seed))
        for seed, (name, endpoint) in enumerate(list(regions.items()) * 3)
    ]
    sandbox.cli("partition")
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        sandbox.cli("heal")
    assert not errors, errors
    clients = {name: _client(endpoint, name) for name, endpoint in regions.items()}
    # Draining ~1500 records per direction through moto takes tens of seconds on a busy
    # two-core machine (every replicated write is a moto call too); a stuck direction never
    # drains, so a generous deadline still catches the failure this test is about.
    deadline = time.monotonic() + 120
    while True:
        tables = {name: _scan(client, table, prefix) for name, client in clients.items()}
        first, second = tables.values()
        # Every key, the shared ones included: several writers race on them in each region,
        # which converges only because each region's moto applies a write and appends its
        # stream record atomically (`sandbox.motoserver.serialize_requests`).
        differing = {k for k in first.keys() | second.keys() if first.get(k) != second.get(k)}
        missing = {k for k in acknowledged if k not in first or k not in second}
        if not differing and not missing:
            break
        if time.monotonic() > deadline:
            raise AssertionError(
                f"not converged: {len(differing)} items differ, {len(missing)} of "
                f"{len(acknowledged)} acknowledged writes missing in a region"
            )
        time.sleep(1)


def test_repeated_identical_writes_still_replicate(lossy: Any) -> None:
    replicator, regions = lossy
    first, second = regions.values()
    for _ in range(3):
        second.put_item(TableName="Cart", Item=_item(2))
    _pump(replicator, regions)
    assert first.items == second.items == {KEY: _item(2)}
