"""Failback over moto: two regions' tables, the real API handler in each, and replication done
by hand so that the test decides what has arrived where. A region back from an outage answers
/health 503 until the other region's acknowledgements have arrived in every one of its tables;
once it answers 200 an order the shopper placed in the other region meanwhile is readable."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import fakeredis
import pytest
from moto import mock_aws

from bookstore import services
from bookstore.catalog import load_catalog, seed_books
from bookstore.data import cache
from bookstore.data.markers import SYSTEM_PARTITION, is_reserved_item
from bookstore.settings import table_env_var
from bookstore.tables import TABLES, TableDefinition
from drill.target import scan_items
from tests.lambda_harness import PREFIX, Api, checkout, put

BACK, PEER = "eu-west-1", "ap-southeast-1"
# Long enough that a slow test never looks like an outage; the outage is made by hand.
AWAY_SECONDS = 300.0
SHOPPER = "3f2a9c1e-0000-4000-8000-000000000001"
BOOK = str(load_catalog()[0]["id"])


class Regions:
    """The Lambda environment switched between two regions, each with its own Redis."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._monkeypatch = monkeypatch
        self.redis = {
            region: fakeredis.FakeRedis(server=fakeredis.FakeServer(), decode_responses=True)
            for region in (BACK, PEER)
        }
        self.dynamodb = {
            region: boto3.client("dynamodb", region_name=region) for region in self.redis
        }

    def api(self, region: str) -> Api:
        for name in ("BOOKSTORE_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"):
            self._monkeypatch.setenv(name, region)
        client = self.redis[region]
        self._monkeypatch.setattr(cache, "redis_client", lambda: client)
        services.reset()
        return Api()

    def items(self, region: str, table: TableDefinition) -> list[dict[str, Any]]:
        response = self.dynamodb[region].scan(TableName=table.physical_name(PREFIX))
        return list(response["Items"])

    def replicate(
        self, table: TableDefinition, source: str, keep: Callable[[dict[str, Any]], bool]
    ) -> int:
        """Copies the items of `table` that `keep` accepts (wire format) to the other region."""
        target = PEER if source == BACK else BACK
        copied = 0
        for item in self.items(source, table):
            if keep(item):
                self.dynamodb[target].put_item(TableName=table.physical_name(PREFIX), Item=item)
                copied += 1
        return copied

    def last_seen_ago(self, region: str, seconds: float) -> None:
        """Moves the region's record of presence back, as an outage that long would leave it."""
        self.redis[region].set(cache.HEARTBEAT_KEY, f"{time.time() - seconds:.3f}")


def anything(item: dict[str, Any]) -> bool:
    return True


def reserved(item: dict[str, Any]) -> bool:
    deserialised = {k: v.get("S") for k, v in item.items()}
    return is_reserved_item(deserialised)


def shoppers(item: dict[str, Any]) -> bool:
    return not reserved(item)


@pytest.fixture
def regions(monkeypatch: pytest.MonkeyPatch) -> Iterator[Regions]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("REDIS_URL", "redis://fake:6379/0")
    monkeypatch.setenv("SITE_ORIGIN", "https://shop.example.com")
    monkeypatch.setenv("FAILBACK_AWAY_SECONDS", str(AWAY_SECONDS))
    for table in TABLES:
        monkeypatch.setenv(table_env_var(table), table.physical_name(PREFIX))
    with mock_aws():
        pair = Regions(monkeypatch)
        for region in (BACK, PEER):
            for table in TABLES:
                pair.dynamodb[region].create_table(**table.to_create_table_kwargs(PREFIX))
            pair.api(region)
            seed_books(services.books())
        yield pair
    services.reset()


def health(regions: Regions, region: str) -> tuple[int, dict[str, Any]]:
    response = regions.api(region).call("GET", "/health")
    return response.status, response.body


def test_a_returning_region_stays_out_until_the_acknowledgements_arrive(
    regions: Regions,
) -> None:
    _books, cart, orders = TABLES
    assert health(regions, BACK)[0] == 200
    assert health(regions, PEER)[0] == 200

    # BACK is out: the shopper is served by PEER and orders there.
    regions.last_seen_ago(BACK, AWAY_SECONDS + 60)
    peer = regions.api(PEER)
    assert put(peer, SHOPPER, BOOK, 2).status == 200
    placed = checkout(peer, SHOPPER, key="during-outage")
    assert placed.status == 201, placed.body
    order_id = placed.body["orderId"]

    # BACK returns; nothing PEER took has arrived yet.
    status, body = health(regions, BACK)
    assert (status, body["status"]) == (503, "catching-up")
    assert body["checks"]["failback"].endswith("into Cart, Orders")
    back = regions.api(BACK)
    assert back.call("GET", f"/orders/{order_id}", sub=SHOPPER).status == 404
    # The API itself keeps serving: only /health keeps the traffic away.
    assert back.call("GET", "/books").status == 200

    # The probe reaches PEER, whose health check answers it.
    assert regions.replicate(cart, BACK, reserved) == 1
    status, body = health(regions, PEER)
    assert status == 200
    assert body["checks"]["failback"] == "open"

    # The shoppers' data alone does not open the gate: the gate waits for the answers, which
    # replication delivers behind the data.
    for table in TABLES:
        regions.replicate(table, PEER, shoppers)
    assert health(regions, BACK)[0] == 503
    # Orders has the acknowledgement, Cart not yet: still shut.
    regions.replicate(orders, PEER, anything)
    status, body = health(regions, BACK)
    assert status == 503
    assert body["checks"]["failback"].endswith("into Cart")

    regions.replicate(cart, PEER, anything)
    status, body = health(regions, BACK)
    assert (status, body["status"], body["checks"]["failback"]) == (
        200,
        "ok",
        "open (caught up)",
    )
    back = regions.api(BACK)
    read = back.call("GET", f"/orders/{order_id}", sub=SHOPPER)
    assert read.status == 200
    assert read.body["orderId"] == order_id
    assert [o["orderId"] for o in back.call("GET", "/orders", sub=SHOPPER).body["items"]] == [
        order_id
    ]
    # The probe is gone; the next checks are ordinary ones.
    assert health(regions, BACK)[1]["checks"]["failback"] == "open"


def test_a_region_with_no_record_of_presence_is_not_held_back(regions: Regions) -> None:
    # A lost cache (a replaced node, a flush) reads as "not away": the region stays in service.
    regions.redis[BACK].flushall()
    status, body = health(regions, BACK)
    assert (status, body["checks"]["failback"]) == (200, "open")
    assert regions.redis[BACK].get(cache.HEARTBEAT_KEY) is not None


def test_markers_stay_out_of_the_catalog_the_drill_and_the_leaderboard(
    regions: Regions, caplog: pytest.LogCaptureFixture
) -> None:
    books, cart, orders = TABLES
    regions.last_seen_ago(BACK, AWAY_SECONDS + 60)
    assert health(regions, BACK)[0] == 503
    regions.replicate(cart, BACK, reserved)
    assert health(regions, PEER)[0] == 200  # writes the acknowledgements in PEER
    assert len([i for i in regions.items(PEER, orders) if reserved(i)]) == 1
    assert len([i for i in regions.items(PEER, cart) if reserved(i)]) == 2  # probe, answer

    peer = regions.api(PEER)
    ids: list[str] = []
    cursor = None
    while True:
        query = {"limit": "100"} | ({"cursor": cursor} if cursor else {})
        page = peer.call("GET", "/books", query=query)
        ids += [b["id"] for b in page.body["items"]]
        cursor = page.body["nextCursor"]
        if not cursor:
            break
    assert len(ids) == len(load_catalog())
    assert not any(i.startswith(SYSTEM_PARTITION) for i in ids)
    assert sum(c["count"] for c in peer.call("GET", "/categories").body["items"]) == len(ids)
    # The customer id of the markers is no shopper's: Cognito never issues it as a `sub`.
    assert peer.call("GET", "/orders", sub=SYSTEM_PARTITION).body["items"] == []

    for table in TABLES:
        scanned = scan_items(regions.dynamodb[PEER], table.physical_name(PREFIX))
        assert not any(is_reserved_item(item) for item in scanned)
    assert len(scan_items(regions.dynamodb[PEER], books.physical_name(PREFIX))) == len(ids)

    # The acknowledgement's stream record is skipped quietly, not counted nor logged as bad.
    import stream

    stream.leaderboard.cache_clear()
    ack = next(i for i in regions.items(PEER, orders) if reserved(i))
    keys = {k: ack[k] for k in ("customerId", "orderId")}
    caplog.set_level(logging.INFO)
    result = stream.handler({"Records": [_stream_record(keys, ack)]}, _context())
    assert result == {"batchItemFailures": []}
    assert stream.leaderboard().top() == []
    assert "malformed" not in caplog.text
    # And a rebuild from the table counts no marker either.
    board = services.leaderboard()
    assert board.rebuild(services.orders().scan_all()) == 0
    stream.leaderboard.cache_clear()


def _stream_record(keys: dict[str, Any], image: dict[str, Any]) -> dict[str, Any]:
    return {
        "eventID": "1",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": PEER,
        "dynamodb": {
            "Keys": keys,
            "NewImage": image,
            "SequenceNumber": "1000",
            "SizeBytes": 100,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
            "ApproximateCreationDateTime": 1795834800,
        },
        "eventSourceARN": "arn:aws:dynamodb:ap-southeast-1:123456789012:table/test-Orders/stream/x",
    }


def _context() -> Any:
    from tests.lambda_harness import LambdaContext

    return LambdaContext()
