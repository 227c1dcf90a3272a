"""Stream faults end to end: the Orders stream -> the poller -> the real stream handler ->
one region's Redis leaderboard, broken on purpose in the shared sandbox.

- Redis frozen (SIGSTOP) for longer than the poller's retry budget while orders stream in:
  once it is back, the board equals the truth recomputed from that region's Orders table (no
  order missing, none counted twice), and no record was skipped meanwhile.
- A malformed item in Orders (a poison record): reported in the poller's log, the orders
  behind it still counted, in both regions (it replicates).
- A lost board is rebuilt from Orders even with a poison record among them.
- A cancelled transaction in moto (what a checkout cancelled by a condition does): the stream
  readers neither stall on it nor deliver the writes it undid.
- Without a sandbox: the poller's retry limits, -1 meaning none, as in Lambda.

All of it happens in the secondary region, which the front door does not serve from, and the
boards are compared with the truth of the moment, not with fixed counts, since other tests
order books in the same sandbox.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import boto3
import pytest
import redis
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from bookstore.leaderboard import TOP, Leaderboard
from bookstore.stream_config import StreamConsumerConfig
from bookstore.tables import BOOKS, ORDERS
from drill.measure import leaderboard_truth
from drill.target import scan_items
from sandbox.config import TABLE_PREFIX
from sandbox.poller import UNLIMITED, BatchInvoker
from tests.sandbox.conftest import Sandbox, eventually, http

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ORDERS_TABLE = ORDERS.physical_name(TABLE_PREFIX)
BOOKS_TABLE = BOOKS.physical_name(TABLE_PREFIX)
# Books late in the catalog, which the other tests (first books of a listing) do not buy,
# and different ones per test, so that one test's failure does not spill into the next;
# large quantities keep them in the top 20 that GET /bestsellers shows.
BOOKS_BOUGHT = ("the-silk-roads", "the-waste-land", "what-is-life")
POISON_TEST_BOOKS = ("zero-to-one", "thinking-fast-and-slow")
REAL_BOOK, PHANTOM_BOOK = "the-selfish-gene", "the-odyssey"
# Well beyond a bounded retry budget (5 retries with back-off gave up after 11-15 s here),
# so a consumer that gives up on a batch shows it; an ElastiCache failover takes longer still.
REDIS_OUTAGE_SECONDS = 30.0
# Orders on a region whose Redis is frozen are slow: the gateway runs one invocation at a
# time, and health checks waiting on Redis take their turns.
ORDER_TIMEOUT_SECONDS = 60.0
SETTLE_SECONDS = 90.0


@dataclass
class Region:
    """One sandbox region as these tests reach it: its API, its moto, its Redis, its logs."""

    sandbox: Sandbox
    name: str

    @property
    def info(self) -> dict[str, Any]:
        info: dict[str, Any] = self.sandbox.status["regions"][self.name]
        return info

    @property
    def api(self) -> str:
        return self.sandbox.api(self.name)

    def dynamodb(self) -> DynamoDBClient:
        return boto3.client(
            "dynamodb",
            endpoint_url=self.info["aws"]["endpoint"],
            region_name=self.name,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(
            self.info["redis"]["url"], decode_responses=True, socket_timeout=5
        )

    def orders(self) -> list[dict[str, Any]]:
        return scan_items(self.dynamodb(), ORDERS_TABLE)

    def truth(self) -> dict[str, int]:
        """Copies sold per book, recomputed from this region's Orders (malformed items
        skipped, as the stream handler must)."""
        return leaderboard_truth(self.orders())

    def board(self) -> dict[str, int]:
        """The whole leaderboard, straight from Redis."""
        client = self.redis()
        try:
            entries = cast(
                "list[tuple[str, float]]",
                client.zrange(Leaderboard(client).board_key, 0, -1, withscores=True),
            )
        finally:
            client.close()
        return {book: int(score) for book, score in entries}

    def bestsellers(self) -> dict[str, int]:
        reply = http("GET", f"{self.api}/bestsellers", timeout=30)
        assert reply.status == 200, reply.body
        return {item["book"]["id"]: item["sold"] for item in reply.body["items"]}

    def pid(self, child: str) -> int:
        state = json.loads(self.sandbox.config.state_file.read_text())
        return int(state["children"][f"{child}-{self.name}"]["pid"])

    @property
    def poller_log(self) -> Path:
        return self.sandbox.config.logs_dir / f"poller-{self.name}.log"

    def log_size(self) -> int:
        return self.poller_log.stat().st_size

    def log_since(self, offset: int) -> str:
        with self.poller_log.open("rb") as handle:
            handle.seek(offset)
            return handle.read().decode(errors="replace")


def place_order(region: Region, token: str, book: str, quantity: int) -> str:
    """Buys `quantity` copies of `book` in `region` directly (not through the front door)."""
    put = http(
        "PUT",
        f"{region.api}/cart/{book}",
        {"quantity": quantity},
        token=token,
        timeout=ORDER_TIMEOUT_SECONDS,
    )
    assert put.status == 200, put.body
    order = http(
        "POST",
        f"{region.api}/orders",
        {},
        token=token,
        headers={"Idempotency-Key": str(uuid.uuid4())},
        timeout=ORDER_TIMEOUT_SECONDS,
    )
    assert order.status == 201, order.body
    return str(order.body["orderId"])


def board_is_the_truth(region: Region) -> bool:
    """The whole board equals the truth, and the best sellers the API shows agree with it."""
    truth = region.truth()
    board = region.board()
    if board != truth:
        raise AssertionError(
            {b: (board.get(b), truth.get(b)) for b in set(board) | set(truth)
             if board.get(b) != truth.get(b)}
        )  # fmt: skip
    shown = region.bestsellers()
    assert all(shown[book] == truth[book] for book in shown), (shown, truth)
    sold = {book: n for book, n in truth.items() if n > 0}
    if len(shown) < TOP:
        assert set(shown) == set(sold), (shown, truth)
    else:  # the top 20: nothing left out sold more than the last one shown
        floor = min(shown.values())
        assert all(n <= floor for book, n in sold.items() if book not in shown), (shown, truth)
    return True


def settled(region: Region, books: Sequence[str]) -> dict[str, int]:
    """The board's counts of `books` once they equal the truth (every earlier order of them
    counted): the baseline for counting what a test buys."""

    def check() -> dict[str, int]:
        board, truth = region.board(), region.truth()
        counts = {book: board.get(book, 0) for book in books}
        assert counts == {book: truth.get(book, 0) for book in books}, (counts, truth)
        return counts

    found: dict[str, int] = eventually(check, timeout=SETTLE_SECONDS, interval=1)
    return found


def counted(region: Region, before: dict[str, int], bought: dict[str, int]) -> bool:
    """Each book's count grew by exactly the copies bought (0: must not have moved), and
    equals the truth recomputed from Orders."""
    board, truth = region.board(), region.truth()
    grew = {book: board.get(book, 0) - before[book] for book in bought}
    assert grew == bought, f"{region.name}: the board grew by {grew}, bought {bought}"
    assert all(board.get(book, 0) == truth.get(book, 0) for book in bought), (board, truth)
    return True


def wait_until_healthy(sandbox: Sandbox, region: str) -> None:
    def healthy() -> bool:
        status = http("GET", f"{sandbox.front_door}/frontdoor/status").body
        return bool(status["regions"][region]["healthy"])

    eventually(healthy, timeout=60, interval=0.5)


# -- Redis down while orders stream in ------------------------------------------------------


@dataclass
class RedisOutage:
    region: Region
    bought: dict[str, int]
    order_ids: list[str]
    board_before: dict[str, int]
    truth_before: dict[str, int]
    log: str


@pytest.fixture(scope="module")
def redis_outage(sandbox: Sandbox, token: str) -> RedisOutage:
    """Freezes the secondary's Redis for REDIS_OUTAGE_SECONDS, places orders there meanwhile,
    thaws it, and waits until its leaderboard has settled (or SETTLE_SECONDS passed)."""
    region = Region(sandbox, sandbox.secondary)
    board_before = settled(region, BOOKS_BOUGHT)
    truth_before = region.truth()
    offset = region.log_size()
    redis_pid = region.pid("redis")
    bought = dict.fromkeys(BOOKS_BOUGHT, 0)
    order_ids = []
    os.killpg(redis_pid, signal.SIGSTOP)
    frozen = time.monotonic()
    try:
        for n, book in enumerate(BOOKS_BOUGHT):
            order_ids.append(place_order(region, token, book, 30 + n))
            bought[book] += 30 + n
        time.sleep(max(0.0, REDIS_OUTAGE_SECONDS - (time.monotonic() - frozen)))
    finally:
        os.killpg(redis_pid, signal.SIGCONT)
    with contextlib.suppress(AssertionError):
        eventually(
            lambda: counted(region, board_before, bought), timeout=SETTLE_SECONDS, interval=1
        )
    wait_until_healthy(sandbox, region.name)
    log = region.log_since(offset)
    return RedisOutage(region, bought, order_ids, board_before, truth_before, log)


def test_orders_placed_while_redis_is_down_are_counted_once_it_is_back(
    redis_outage: RedisOutage,
) -> None:
    region = redis_outage.region
    truth = region.truth()
    # The orders are in the table (the truth): the outage of Redis did not stop checkout...
    for book, copies in redis_outage.bought.items():
        assert truth.get(book, 0) - redis_outage.truth_before.get(book, 0) == copies
    # ...and the board counts every one of them exactly once...
    assert counted(region, redis_outage.board_before, redis_outage.bought)
    shown = region.bestsellers()
    assert {book: shown.get(book) for book in BOOKS_BOUGHT} == {b: truth[b] for b in BOOKS_BOUGHT}
    # ...and nothing else on the board is off either (no order counted twice anywhere).
    eventually(lambda: board_is_the_truth(region), timeout=SETTLE_SECONDS, interval=1)


def test_no_stream_record_is_discarded_while_redis_is_down(redis_outage: RedisOutage) -> None:
    """A consumer that gives up on a batch while Redis is down (bounded retries) drops those
    orders from the board for good; a frozen Redis may still run the commands the handler had
    timed out on, so the board can look right anyway: this checks the poller's log."""
    discarded = [
        line for line in redis_outage.log.splitlines()
        if "DISCARDED" in line and any(o in line for o in redis_outage.order_ids)
    ]  # fmt: skip
    assert discarded == []


# -- a poison record ---------------------------------------------------------------------------

_serializer = TypeSerializer()


def poison_item(tag: str) -> dict[str, Any]:
    """An Orders item no stream handler can count: its lines are not a list."""
    item = {"customerId": f"poison-{tag}", "orderId": f"o-poison-{tag}", "items": "not a list"}
    return {k: _serializer.serialize(v) for k, v in item.items()}


def remove(regions: list[Region], key: dict[str, Any]) -> None:
    regions[0].dynamodb().delete_item(TableName=ORDERS_TABLE, Key=key)
    for region in regions:  # the delete replicates; wait until no region holds the item
        eventually(
            lambda r=region: (
                "Item"
                not in r.dynamodb().get_item(TableName=ORDERS_TABLE, Key=key, ConsistentRead=True)
            ),
            timeout=30,
            interval=0.5,
        )


@pytest.fixture
def regions(sandbox: Sandbox) -> list[Region]:
    """The secondary first (where these tests write), then the primary."""
    return [Region(sandbox, sandbox.secondary), Region(sandbox, sandbox.primary)]


def test_a_poison_record_is_reported_and_the_orders_behind_it_still_count(
    regions: list[Region], token: str
) -> None:
    secondary = regions[0]
    bought = {POISON_TEST_BOOKS[0]: 20, POISON_TEST_BOOKS[1]: 21}
    before = {r.name: settled(r, list(bought)) for r in regions}
    offsets = {r.name: r.log_size() for r in regions}
    tag = uuid.uuid4().hex[:12]
    item = poison_item(tag)
    key = {"customerId": item["customerId"], "orderId": item["orderId"]}
    secondary.dynamodb().put_item(TableName=ORDERS_TABLE, Item=item)
    try:
        # Orders after the poison, in the same stream: they must not wait behind it for ever.
        for book, copies in bought.items():
            place_order(secondary, token, book, copies)
        for region in regions:  # the poison replicates: each region's poller meets it

            def reported(r: Region = region) -> bool:
                return f"o-poison-{tag}" in r.log_since(offsets[r.name])

            eventually(reported, timeout=SETTLE_SECONDS, interval=1)
            eventually(
                lambda r=region: counted(r, before[r.name], bought),
                timeout=SETTLE_SECONDS,
                interval=1,
            )
    finally:
        remove(regions, key)
    lines = [
        line for line in secondary.log_since(offsets[secondary.name]).splitlines()
        if f"o-poison-{tag}" in line
    ]  # fmt: skip
    assert any("DISCARDED" in line or "ERROR" in line for line in lines), lines


def test_a_lost_board_is_rebuilt_even_with_a_poison_record_in_orders(
    regions: list[Region],
) -> None:
    secondary = regions[0]
    item = poison_item(uuid.uuid4().hex[:12])
    key = {"customerId": item["customerId"], "orderId": item["orderId"]}
    secondary.dynamodb().put_item(TableName=ORDERS_TABLE, Item=item)
    client = secondary.redis()
    try:
        client.delete(Leaderboard(client).built_key)  # the cache "lost": rebuild on next read
        reply = http("GET", f"{secondary.api}/bestsellers", timeout=60)
        assert reply.status == 200, reply.body
        assert board_is_the_truth(secondary)
    finally:
        remove(regions, key)
        # Leave a built board behind, whatever happened above.
        eventually(lambda: http("GET", f"{secondary.api}/bestsellers").status == 200, timeout=60)
        eventually(lambda: bool(client.exists(Leaderboard(client).built_key)), timeout=30)
        client.close()


# -- a cancelled transaction ---------------------------------------------------------------


def test_a_cancelled_transaction_neither_stalls_the_stream_nor_leaks_its_writes(
    regions: list[Region], token: str
) -> None:
    """moto undoes a cancelled TransactWriteItems by swapping in copies of its tables; stream
    readers must still see the writes after it, and never the ones it undid."""
    secondary, primary = regions
    bought = {REAL_BOOK: 25, PHANTOM_BOOK: 0}  # the phantom's 77 copies: never
    before = {r.name: settled(r, list(bought)) for r in regions}
    phantom = {
        "customerId": f"phantom-{uuid.uuid4().hex[:12]}",
        "orderId": f"o-phantom-{uuid.uuid4().hex[:12]}",
        "createdAt": "2026-11-28T00:00:00.000Z",
        "items": [{"bookId": PHANTOM_BOOK, "title": "x", "price": Decimal("1.00"),
                   "quantity": 77}],
        "total": Decimal("77.00"),
        "region": secondary.name,
    }  # fmt: skip
    with pytest.raises(ClientError, match="TransactionCanceled"):
        secondary.dynamodb().transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": ORDERS_TABLE,
                        "Item": {k: _serializer.serialize(v) for k, v in phantom.items()},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": BOOKS_TABLE,
                        "Key": {"id": {"S": "no-such-book"}},
                        "ConditionExpression": "attribute_exists(id)",
                    }
                },
            ]
        )
    # A real order after it: both streams (poller, replicator) must carry it on.
    real = place_order(secondary, token, REAL_BOOK, bought[REAL_BOOK])

    def replicated() -> bool:
        return any(o["orderId"] == real for o in primary.orders())

    eventually(replicated, timeout=SETTLE_SECONDS, interval=0.5)
    for region in regions:
        eventually(
            lambda r=region: counted(r, before[r.name], bought), timeout=SETTLE_SECONDS, interval=1
        )
        assert not any(o["orderId"] == phantom["orderId"] for o in region.orders())


# -- the poller's retry limits, without a sandbox -------------------------------------------


def _consumer(retries: int, age: int) -> StreamConsumerConfig:
    return StreamConsumerConfig(
        batch_size=10,
        maximum_batching_window_seconds=0,
        maximum_retry_attempts=retries,
        maximum_record_age_seconds=age,
        bisect_batch_on_function_error=True,
        starting_position="TRIM_HORIZON",
    )


def _stream_records(count: int, created: float) -> list[dict[str, Any]]:
    return [
        {
            "eventID": str(i),
            "dynamodb": {"SequenceNumber": str(i), "ApproximateCreationDateTime": created},
        }
        for i in range(count)
    ]


def test_unlimited_retries_wait_out_an_outage_of_any_length() -> None:
    """-1 retries: a batch that keeps failing (Redis down) is retried, from its first failed
    record, until it succeeds; nothing is discarded, and the back-off stays bounded."""
    calls: list[list[str]] = []
    pauses: list[float] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        ids = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
        calls.append(ids)
        down = len(calls) <= 2000  # far beyond any bounded budget
        failed = [{"itemIdentifier": i} for i in ids if i != "0"]  # "0" is fine
        return {"batchItemFailures": failed if down else []}

    invoker = BatchInvoker(handler, _consumer(UNLIMITED, UNLIMITED), "f", "r", sleep=pauses.append)
    invoker.deliver(_stream_records(3, created=time.time() - 10 * 24 * 3600))
    assert invoker.exhausted == []
    assert calls[0] == ["0", "1", "2"]
    assert calls[1] == calls[-1] == ["1", "2"]  # from the first failed record on
    assert len(calls) == 2001
    assert max(pauses) <= 2.0


def test_bounded_retries_and_record_age_discard() -> None:
    def failing(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"batchItemFailures": [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]}
                                      for r in event["Records"]]}  # fmt: skip

    bounded = BatchInvoker(failing, _consumer(3, UNLIMITED), "f", "r", sleep=lambda s: None)
    bounded.deliver(_stream_records(2, created=time.time()))
    assert [r["eventID"] for r in bounded.exhausted] == ["0", "1"]
    old = BatchInvoker(failing, _consumer(UNLIMITED, 60), "f", "r", sleep=lambda s: None)
    old.deliver(_stream_records(2, created=time.time() - 120))
    assert [r["eventID"] for r in old.exhausted] == ["0", "1"]
