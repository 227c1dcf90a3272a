"""The Orders stream handler: counts each order once, ignores MODIFY/REMOVE, isolates poison."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import fakeredis
import pytest
from boto3.dynamodb.types import TypeSerializer

from bookstore.leaderboard import Leaderboard, tally_from_item
from tests.lambda_harness import LambdaContext

_sequence = itertools.count(1000)
_serializer = TypeSerializer()
STREAM_ARN = (
    "arn:aws:dynamodb:eu-west-1:123456789012:table/test-Orders/stream/2026-11-28T00:00:00.000"
)


def order(order_id: str, *lines: tuple[str, int], customer: str = "c1") -> dict[str, Any]:
    return {
        "customerId": customer,
        "orderId": order_id,
        "createdAt": "2026-11-28T03:00:00.000Z",
        "items": [
            {"bookId": b, "title": b.title(), "price": Decimal("9.99"), "quantity": q}
            for b, q in lines
        ],
        "total": Decimal("9.99"),
        "region": "eu-west-1",
    }


def record(
    event_name: str, new: dict[str, Any] | None, old: dict[str, Any] | None = None
) -> dict[str, Any]:
    image = new or old or {}
    body: dict[str, Any] = {
        "Keys": {
            k: _serializer.serialize(image[k]) for k in ("customerId", "orderId") if k in image
        },
        "SequenceNumber": str(next(_sequence)),
        "SizeBytes": 100,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
        "ApproximateCreationDateTime": 1795834800,
    }
    if new is not None:
        body["NewImage"] = {k: _serializer.serialize(v) for k, v in new.items()}
    if old is not None:
        body["OldImage"] = {k: _serializer.serialize(v) for k, v in old.items()}
    return {
        "eventID": body["SequenceNumber"],
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "dynamodb": body,
        "eventSourceARN": STREAM_ARN,
    }


@pytest.fixture
def board(aws_env: None, fake_redis: fakeredis.FakeRedis) -> Iterator[Leaderboard]:
    import stream

    stream.leaderboard.cache_clear()  # the handler's own client, built once per process
    yield stream.leaderboard()
    stream.leaderboard.cache_clear()


def run(records: list[dict[str, Any]]) -> dict[str, Any]:
    import stream

    return stream.handler({"Records": records}, LambdaContext())


def test_inserts_count_copies_per_book(board: Leaderboard) -> None:
    result = run(
        [
            record("INSERT", order("o-1", ("dune", 2), ("emma", 1))),
            record("INSERT", order("o-2", ("dune", 1))),
        ]
    )
    assert result == {"batchItemFailures": []}
    assert board.top() == [("dune", 3), ("emma", 1)]


def test_a_redelivered_batch_counts_once(board: Leaderboard) -> None:
    batch = [
        record("INSERT", order("o-1", ("dune", 2))),
        record("INSERT", order("o-2", ("emma", 4))),
    ]
    run(batch)
    run(batch)
    assert dict(board.top()) == {"dune": 2, "emma": 4}


def test_modify_and_remove_never_count_an_order_twice(board: Leaderboard) -> None:
    original = order("o-1", ("dune", 2))
    touched = {**original, "createdAt": "2026-11-28T03:00:01.000Z"}  # same lines
    run([record("INSERT", original)])
    result = run([record("MODIFY", touched, original), record("REMOVE", None, touched)])
    assert result == {"batchItemFailures": []}
    assert board.top() == [("dune", 2)]


def test_a_last_writer_wins_replacement_moves_the_counts_to_the_winner(
    board: Leaderboard,
) -> None:
    # The same order id checked out in both regions during a partition: this region counted
    # its own version first, then replication replaced it with the other region's.
    local = order("o-1", ("dune", 1))
    winner = order("o-1", ("dune", 3), ("emma", 1))
    run([record("INSERT", local)])
    run([record("MODIFY", winner, local)])
    run([record("MODIFY", winner, local)])  # redelivered
    assert dict(board.top()) == {"dune": 3, "emma": 1}
    board.rebuild([winner])
    assert dict(board.top()) == {"dune": 3, "emma": 1}


def test_a_replacement_that_drops_a_book_removes_it_from_the_board(board: Leaderboard) -> None:
    run([record("INSERT", order("o-1", ("dune", 1), ("emma", 2)))])
    run([record("MODIFY", order("o-1", ("dune", 1)), order("o-1", ("dune", 1), ("emma", 2)))])
    assert board.top() == [("dune", 1)]


def test_a_poison_record_is_reported_and_the_rest_processed(
    board: Leaderboard, caplog: pytest.LogCaptureFixture
) -> None:
    poison = record("INSERT", {"customerId": "c1", "orderId": "o-bad", "items": "not a list"})
    good_before = record("INSERT", order("o-1", ("dune", 1)))
    good_after = record("INSERT", order("o-2", ("emma", 2)))
    result = run([good_before, poison, good_after])
    # Not failed (retries could never count it, and would hold back the shard): skipped...
    assert result == {"batchItemFailures": []}
    assert dict(board.top()) == {"dune": 1, "emma": 2}
    # ...and reported, with what finds it in the table.
    reports = [r for r in caplog.records if r.levelname == "ERROR"]
    assert [r.getMessage() for r in reports] == ["skipped a malformed order record"]
    assert reports[0].__dict__["keys"] == {"customerId": "c1", "orderId": "o-bad"}
    assert reports[0].__dict__["sequence_number"] == poison["dynamodb"]["SequenceNumber"]


def test_a_rebuild_skips_malformed_orders(board: Leaderboard) -> None:
    orders = [order("o-1", ("dune", 2)), {"customerId": "c1", "orderId": "o-bad", "items": 7}]
    assert board.rebuild(orders, reconcile=orders) == 1
    assert board.top() == [("dune", 2)]


def test_redis_down_fails_the_records_for_a_retry(
    board: Leaderboard, fake_redis: fakeredis.FakeRedis
) -> None:
    fake_redis.server.connected = False  # type: ignore[attr-defined]
    batch = [record("INSERT", order("o-1", ("dune", 1)))]
    result = run(batch)
    assert result["batchItemFailures"] == [
        {"itemIdentifier": batch[0]["dynamodb"]["SequenceNumber"]}
    ]
    fake_redis.server.connected = True  # type: ignore[attr-defined]
    assert run(batch) == {"batchItemFailures": []}
    assert board.top() == [("dune", 1)]


def test_rebuild_equals_incremental(board: Leaderboard) -> None:
    orders = [
        order(f"o-{n}", (f"book-{n % 7}", n % 3 + 1), (f"book-{n % 5}", 1), customer=f"c{n % 4}")
        for n in range(40)
    ]
    run([record("INSERT", o) for o in orders])
    incremental = board.top(100)
    board.rebuild(orders)
    assert board.top(100) == incremental
    assert board.is_built()
    # After a rebuild every order is marked counted: a late redelivery changes nothing.
    run([record("INSERT", orders[0])])
    assert board.top(100) == incremental


def test_rebuild_reconcile_pass_counts_orders_missed_by_the_first_scan(board: Leaderboard) -> None:
    early = [order("o-1", ("dune", 1))]
    late = order("o-2", ("emma", 2))
    board.rebuild(early, reconcile=[*early, late])
    assert dict(board.top()) == {"dune": 1, "emma": 2}


@pytest.mark.parametrize(
    "item",
    [
        {"orderId": "o-1"},
        {"orderId": "o-1", "items": []},
        {"orderId": "o-1", "items": [{"bookId": "x", "quantity": Decimal("1.5")}]},
        {"orderId": "o-1", "items": [{"bookId": "x", "quantity": 0}]},
        {"orderId": "o-1", "items": [{"quantity": 1}]},
        {"orderId": "o-1", "items": [{"bookId": "a:1,b", "quantity": 1}]},
        {"items": [{"bookId": "x", "quantity": 1}]},
    ],
)
def test_malformed_orders_are_rejected(item: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="order"):
        tally_from_item(item)
