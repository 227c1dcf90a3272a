"""GET /orders over moto: a customer's orders newest first, a page at a time."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest

from bookstore.catalog import load_catalog
from tests.lambda_harness import Api, assert_error, checkout, put

CATALOG = load_catalog()
ALICE, BOB = "user-alice", "user-bob"


def place_orders(api: Api, sub: str, count: int) -> list[str]:
    """`count` orders of one book each (a different book per order); their ids, oldest first."""
    ids = []
    for number in range(count):
        assert put(api, sub, str(CATALOG[number % len(CATALOG)]["id"]), 1).status == 200
        reply = checkout(api, sub, key=f"{sub}-{number}")
        assert reply.status == 201, reply.body
        ids.append(reply.body["orderId"])
    return ids


def every_page(api: Api, sub: str, limit: int | None = None) -> list[dict[str, Any]]:
    pages, cursor = [], None
    while True:
        query = {"limit": str(limit)} if limit is not None else {}
        if cursor is not None:
            query["cursor"] = cursor
        reply = api.call("GET", "/orders", sub=sub, query=query)
        assert reply.status == 200, reply.body
        pages.append(reply.body)
        cursor = reply.body["nextCursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50, "the cursor never ends"


def test_no_orders_is_one_empty_page(api: Api) -> None:
    assert api.call("GET", "/orders", sub=ALICE).body == {"items": [], "nextCursor": None}


def test_pages_of_twenty_by_default_newest_first_every_order_once(api: Api) -> None:
    placed = place_orders(api, ALICE, 23)
    pages = every_page(api, ALICE)
    assert [len(p["items"]) for p in pages] == [20, 3]
    listed = [o for p in pages for o in p["items"]]
    assert sorted(o["orderId"] for o in listed) == sorted(placed)
    created = [o["createdAt"] for o in listed]
    assert created == sorted(created, reverse=True)
    # The newest is the last one placed (its createdAt is the latest, unless two share a ms).
    assert listed[0]["createdAt"] == max(created)


@pytest.mark.parametrize("limit", [1, 4, 5, 100])
def test_any_page_size_lists_every_order_once(api: Api, limit: int) -> None:
    placed = place_orders(api, ALICE, 5)
    pages = every_page(api, ALICE, limit)
    # A page that ends exactly at the last order promises no further (empty) page.
    assert len(pages) == max(1, -(-5 // limit))
    assert all(len(p["items"]) == limit for p in pages[:-1])
    listed = [o["orderId"] for p in pages for o in p["items"]]
    assert sorted(listed) == sorted(placed)
    assert len(set(listed)) == len(listed)


def test_each_customer_sees_only_their_orders(api: Api) -> None:
    alice = place_orders(api, ALICE, 3)
    bob = place_orders(api, BOB, 2)
    assert {o["orderId"] for o in every_page(api, ALICE, 2)[0]["items"]} <= set(alice)
    assert sorted(o["orderId"] for p in every_page(api, BOB, 1) for o in p["items"]) == sorted(bob)


def test_another_customers_cursor_is_refused(api: Api) -> None:
    place_orders(api, ALICE, 3)
    place_orders(api, BOB, 3)
    bobs = api.call("GET", "/orders", sub=BOB, query={"limit": "1"}).body["nextCursor"]
    assert bobs
    reply = api.call("GET", "/orders", sub=ALICE, query={"limit": "1", "cursor": bobs})
    assert_error(reply, 400, "INVALID_INPUT", "cursor")


def _cursor(key: dict[str, str], scope: list[str]) -> str:
    # Built as bookstore.identifiers builds one, so only the key inside is forged.
    fingerprint = hashlib.sha256(json.dumps(scope).encode()).hexdigest()[:12]
    payload = json.dumps({"k": key, "s": fingerprint}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def test_a_cursor_naming_another_customer_is_refused_even_when_well_formed(api: Api) -> None:
    bob = place_orders(api, BOB, 2)
    forged = _cursor(
        {"customerId": BOB, "orderId": bob[0], "createdAt": "2999-01-01T00:00:00.000Z"},
        ["orders", ALICE],
    )
    reply = api.call("GET", "/orders", sub=ALICE, query={"cursor": forged})
    assert_error(reply, 400, "INVALID_INPUT", "cursor")


@pytest.mark.parametrize(
    "key",
    [
        {"orderId": "o-" + "0" * 32, "createdAt": "x" * 1200},  # over DynamoDB's key size
        {"orderId": "not-an-order-id", "createdAt": "2026-11-28T10:00:00.000Z"},
        {"orderId": "o-" + "0" * 32, "createdAt": "2026-11-28"},
    ],
)
def test_a_well_formed_cursor_with_forged_key_values_is_refused(
    api: Api, key: dict[str, str]
) -> None:
    # Cursors are not signed: what goes to DynamoDB as a start key must look like one it gave.
    forged = _cursor({"customerId": ALICE, **key}, ["orders", ALICE])
    reply = api.call("GET", "/orders", sub=ALICE, query={"cursor": forged})
    assert_error(reply, 400, "INVALID_INPUT", "cursor")


@pytest.mark.parametrize("path", ["/orders", "/books"])
def test_a_deeply_nested_cursor_is_400_not_a_crash(api: Api, path: str) -> None:
    nested = base64.urlsafe_b64encode(b"[" * 1530).decode().rstrip("=")
    reply = api.call("GET", path, sub=ALICE, query={"cursor": nested})
    assert_error(reply, 400, "INVALID_INPUT", "cursor")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "x" * 2049}, "cursor"),
    ],
)
def test_bad_limit_or_cursor_is_400_naming_it(api: Api, query: dict[str, str], field: str) -> None:
    assert_error(api.call("GET", "/orders", sub=ALICE, query=query), 400, "INVALID_INPUT", field)
