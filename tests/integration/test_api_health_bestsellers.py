"""Health (deep check, degraded, fenced) and best sellers (join, Redis down, rebuild)."""

from __future__ import annotations

import fakeredis
import pytest

from bookstore import services
from bookstore.catalog import load_catalog
from tests.lambda_harness import REGION, Api, assert_error, checkout, put

CATALOG = load_catalog()
IDS = [str(book["id"]) for book in CATALOG]


def test_health_is_ok_when_dynamodb_and_redis_answer(api: Api) -> None:
    response = api.call("GET", "/health")
    assert response.status == 200
    assert response.body == {
        "status": "ok",
        "region": REGION,
        "checks": {"dynamodb": "ok", "redis": "ok", "fence": "open", "failback": "open"},
    }


def test_health_is_degraded_when_only_redis_fails(api: Api, store: fakeredis.FakeRedis) -> None:
    store.server.connected = False  # type: ignore[attr-defined]
    response = api.call("GET", "/health")
    assert response.status == 200
    assert response.body["status"] == "degraded"
    assert response.body["checks"]["redis"].startswith("error")


def test_health_is_503_when_dynamodb_fails(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import EndpointConnectionError

    def unreachable(region: str, consistent: bool = False) -> bool:
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")

    monkeypatch.setattr(services.health_books(), "is_fenced", unreachable)
    response = api.call("GET", "/health")
    assert response.status == 503
    assert response.body["status"] == "unavailable"
    assert response.body["checks"]["dynamodb"].startswith("error")


def test_a_fenced_region_fails_health_and_refuses_work(api: Api) -> None:
    services.books().set_fence(REGION, True, reason="drill")
    services.fence_guard()._checked_at = float("-inf")  # skip the one-second cache
    health = api.call("GET", "/health")
    assert health.status == 503
    assert health.body["checks"]["fence"] == "fenced"
    assert_error(api.call("GET", "/books"), 503, "REGION_FENCED")
    assert_error(put(api, "u", IDS[0], 1), 503, "REGION_FENCED")
    assert_error(put(api, "u", IDS[0], 0), 503, "REGION_FENCED")  # before validation

    services.books().set_fence(REGION, False)
    services.fence_guard()._checked_at = float("-inf")
    assert api.call("GET", "/health").status == 200
    assert api.call("GET", "/books").status == 200


def test_the_fence_item_never_shows_as_a_book(api: Api) -> None:
    services.books().set_fence("ap-southeast-1", True)  # another region's fence
    ids = []
    cursor = None
    while True:
        page = api.call(
            "GET", "/books", query={"limit": "100"} | ({"cursor": cursor} if cursor else {})
        )
        ids += [b["id"] for b in page.body["items"]]
        cursor = page.body["nextCursor"]
        if not cursor:
            break
    assert sorted(ids) == sorted(IDS)
    assert sum(c["count"] for c in api.call("GET", "/categories").body["items"]) == len(IDS)


def test_bestsellers_rank_by_copies_and_join_books(api: Api, store: fakeredis.FakeRedis) -> None:
    board = services.leaderboard()
    store.zadd(board.board_key, {IDS[3]: 5, IDS[1]: 9, IDS[2]: 1})
    store.set(board.built_key, "1")
    body = api.call("GET", "/bestsellers").body
    assert [(e["rank"], e["book"]["id"], e["sold"]) for e in body["items"]] == [
        (1, IDS[1], 9),
        (2, IDS[3], 5),
        (3, IDS[2], 1),
    ]
    assert body["items"][0]["book"]["title"] == CATALOG[1]["title"]


def test_bestsellers_are_at_most_20(api: Api, store: fakeredis.FakeRedis) -> None:
    board = services.leaderboard()
    store.zadd(board.board_key, {book_id: n + 1 for n, book_id in enumerate(IDS[:30])})
    store.set(board.built_key, "1")
    items = api.call("GET", "/bestsellers").body["items"]
    assert len(items) == 20
    assert items[0]["sold"] == 30
    assert [e["sold"] for e in items] == sorted((e["sold"] for e in items), reverse=True)


def test_bestsellers_with_redis_down_is_503_with_a_clear_code(
    api: Api, store: fakeredis.FakeRedis
) -> None:
    store.server.connected = False  # type: ignore[attr-defined]
    assert_error(api.call("GET", "/bestsellers"), 503, "LEADERBOARD_UNAVAILABLE")


def test_a_lost_leaderboard_is_rebuilt_from_orders(api: Api, store: fakeredis.FakeRedis) -> None:
    put(api, "alice", IDS[0], 2)
    put(api, "alice", IDS[1], 1)
    checkout(api, "alice", "a1")
    put(api, "bob", IDS[0], 3)
    checkout(api, "bob", "b1")
    store.flushall()  # the cache is lost; no stream record will come again
    items = api.call("GET", "/bestsellers").body["items"]
    assert [(e["book"]["id"], e["sold"]) for e in items] == [(IDS[0], 5), (IDS[1], 1)]
