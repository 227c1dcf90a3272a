"""The drill's client failover policy against the fake two-region bookstore: when a request
moves to the other region, where the client then stays, what never moves, and when it goes
back to the routed endpoint."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drill.client import (
    POLICY_FILE,
    ROUTED,
    NaiveClient,
    Policy,
    PolicyClient,
    PolicyError,
    Reply,
    http_call,
    load_policy,
)
from drill.load import Recorder, Session, User, cart_violation, order_violation
from tests.drill.fake_bookstore import BOOKS, FakeTarget, P, S, fake_bookstore, jwt_for

TOKEN = {"Authorization": f"Bearer {jwt_for('shopper-1')}"}


def short(**changes: Any) -> Policy:
    """The policy from its file with timeouts a test can wait for."""
    return dataclasses.replace(load_policy(), first_timeout=0.3, last_timeout=2.0, **changes)


@pytest.fixture
def fake() -> Iterator[FakeTarget]:
    with fake_bookstore(detect_after=60.0) as target:  # the front door never moves by itself
        yield target


def client_for(fake: FakeTarget, policy: Policy | None = None, routed: str = "") -> PolicyClient:
    regional = {r: fake.regional_api(r) for r in fake.regions}
    return PolicyClient(routed or fake.api, regional, policy or short())


def hits(fake: FakeTarget) -> list[tuple[str, str, str]]:
    return [(h.via, h.region, h.path) for h in fake.store.hits]


# -- the policy file --------------------------------------------------------------------


def test_the_policy_file_holds_the_numbers_the_web_app_and_the_drill_share() -> None:
    policy = load_policy()
    assert POLICY_FILE.name == "policy.json"
    assert policy.first_timeout == 2.0
    assert policy.failover_statuses == {502, 503, 504}
    assert policy.health_path == "/health"
    assert policy.safe_to_repeat("GET", "/books?limit=20")
    assert policy.safe_to_repeat("PUT", "/cart/book-1")
    assert policy.safe_to_repeat("DELETE", "/cart/book-1")
    assert not policy.safe_to_repeat("PUT", "/cart")
    assert not policy.safe_to_repeat("PUT", "/cart/")
    assert not policy.safe_to_repeat("POST", "/orders")
    key = {"Idempotency-Key": "k"}
    lines = {"lines": [{"bookId": "book-1", "quantity": 1}]}
    assert not policy.safe_to_repeat("POST", "/orders", key)
    assert not policy.safe_to_repeat("POST", "/orders", body=lines)
    assert not policy.safe_to_repeat("POST", "/orders", key, {"lines": []})
    assert policy.safe_to_repeat("POST", "/orders", key, lines)


def test_a_broken_policy_file_is_one_line_naming_the_key(tmp_path: Path) -> None:
    raw = json.loads(POLICY_FILE.read_text())
    raw["firstTimeoutMs"] = "soon"
    broken = tmp_path / "policy.json"
    broken.write_text(json.dumps(raw))
    with pytest.raises(PolicyError, match="firstTimeoutMs must be a positive number"):
        load_policy(broken)
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "missing.json")


# -- moving -----------------------------------------------------------------------------


def test_a_safe_request_moves_on_503_and_the_client_stays_with_the_region_that_answered(
    fake: FakeTarget,
) -> None:
    client = client_for(fake)
    first = client.send("GET", "/books", headers=TOKEN)
    assert (first.endpoint, first.reply.region, first.moved_from) == (ROUTED, P, None)
    fake.store.regions[P].down = True
    moved = client.send("GET", "/books", headers=TOKEN)
    assert moved.reply.status == 200
    assert (moved.endpoint, moved.reply.region, moved.moved_from) == (S, S, ROUTED)
    assert client.pinned == S
    fake.store.hits.clear()
    fake.store.regions[P].down = False  # P is back: the client stays where it was answered
    again = client.send("PUT", "/cart/book-1", {"quantity": 2}, TOKEN)
    assert (again.endpoint, again.moved_from) == (S, None)
    assert hits(fake) == [("regional", S, "/cart/book-1")]


def test_a_routed_failure_tries_every_region_the_last_seen_one_last(fake: FakeTarget) -> None:
    """The routed endpoint answered from S, then (unseen by the client) sent it to P, which
    froze: the request does not give up after trying "the other region" P."""
    client = client_for(fake)
    fake.store.serving = S
    client.send("GET", "/books", headers=TOKEN)
    assert client.routed_region == S
    fake.store.serving = P
    fake.store.regions[P].fail_with = "silent"
    fake.store.regions[P].down = True
    fake.store.hits.clear()
    sent = client.send("GET", "/cart", headers=TOKEN)
    assert (sent.reply.status, sent.endpoint, sent.moved_from) == (200, S, ROUTED)
    assert hits(fake) == [
        ("routed", P, "/cart"),
        ("regional", P, "/cart"),
        ("regional", S, "/cart"),
    ]
    assert client.pinned == S


@pytest.mark.parametrize("status", [502, 504])
def test_a_safe_request_moves_on_each_failover_status(fake: FakeTarget, status: int) -> None:
    client = client_for(fake)
    client.send("GET", "/books", headers=TOKEN)
    fake.store.regions[P].fail_with = status
    fake.store.regions[P].down = True
    sent = client.send("DELETE", "/cart/book-1", headers=TOKEN)
    assert (sent.reply.status, sent.endpoint, sent.moved_from) == (204, S, ROUTED)


def test_a_safe_request_moves_when_the_first_region_is_silent_past_the_first_timeout(
    fake: FakeTarget,
) -> None:
    client = client_for(fake)
    client.send("GET", "/books", headers=TOKEN)
    fake.store.regions[P].fail_with = "silent"
    fake.store.regions[P].down = True
    started = time.monotonic()
    sent = client.send("GET", "/cart", headers=TOKEN)
    took = time.monotonic() - started
    assert (sent.reply.status, sent.endpoint, sent.moved_from) == (200, S, ROUTED)
    # The first timeout (0.3 s), not the silence (3 s), decided when to move.
    assert 0.3 <= took < 2.5
    assert client.pinned == S


def test_a_safe_request_moves_on_no_connection(fake: FakeTarget) -> None:
    # Nothing listens on the routed endpoint: the connection is refused.
    client = client_for(fake, routed="http://127.0.0.1:9")
    sent = client.send("GET", "/books", headers=TOKEN)
    assert sent.reply.status == 200
    assert sent.moved_from == ROUTED
    assert sent.endpoint in (P, S)
    assert client.pinned == sent.endpoint


def test_a_request_that_is_not_safe_to_repeat_never_moves(fake: FakeTarget) -> None:
    client = client_for(fake)
    client.send("GET", "/books", headers=TOKEN)
    fake.store.regions[P].down = True
    fake.store.hits.clear()
    # A checkout without the lines could take a different cart in the other region.
    sent = client.send("POST", "/orders", None, {**TOKEN, "Idempotency-Key": "k-1"})
    assert (sent.reply.status, sent.endpoint, sent.moved_from) == (503, ROUTED, None)
    assert client.pinned is None
    assert hits(fake) == [("routed", P, "/orders")]


def test_a_checkout_with_its_key_and_lines_moves_with_the_same_key_and_body(
    fake: FakeTarget,
) -> None:
    client = client_for(fake)
    client.send("PUT", "/cart/book-1", {"quantity": 2}, TOKEN)
    fake.store.regions[P].down = True
    fake.store.hits.clear()
    body = {"lines": [{"bookId": "book-1", "quantity": 2}]}
    sent = client.send("POST", "/orders", body, {**TOKEN, "Idempotency-Key": "k-2"})
    assert (sent.reply.status, sent.endpoint, sent.moved_from) == (201, S, ROUTED)
    tried = [(h.via, h.region, h.key, h.body) for h in fake.store.hits]
    assert tried == [("routed", P, "k-2", body), ("regional", S, "k-2", body)]


def test_the_naive_client_never_leaves_the_routed_endpoint(fake: FakeTarget) -> None:
    client = NaiveClient(fake.api)
    fake.store.regions[P].down = True
    sent = client.send("GET", "/books", headers=TOKEN)
    assert (sent.reply.status, sent.endpoint, sent.moved_from) == (503, ROUTED, None)
    assert not client.return_to_routed()


# -- going back -------------------------------------------------------------------------


def test_back_to_the_routed_endpoint_only_when_it_answers_healthy_from_a_region_not_failed_lately(
    fake: FakeTarget,
) -> None:
    now = [100.0]
    client = client_for(fake, short(avoid_failed_region=30.0))
    client.now = lambda: now[0]
    client.send("GET", "/books", headers=TOKEN)
    fake.store.regions[P].down = True
    client.send("GET", "/books", headers=TOKEN)
    assert client.pinned == S
    assert not client.return_to_routed()  # the routed endpoint answers 503
    fake.store.regions[P].down = False
    assert not client.return_to_routed()  # healthy, but from P, which failed 0 s ago
    assert client.pinned == S
    now[0] += 31.0
    assert client.return_to_routed()
    assert client.pinned is None
    sent = client.send("GET", "/books", headers=TOKEN)
    assert (sent.endpoint, sent.reply.region) == (ROUTED, P)


def test_a_moved_shopper_goes_back_at_the_next_journey_never_in_the_middle_of_one(
    fake: FakeTarget,
) -> None:
    """The routed endpoint turns healthy right after the journey's first request: every
    later request of that journey, the checkout included, stays on the far region; the next
    journey starts on the routed endpoint."""
    policy = short(avoid_failed_region=0.001)
    client = client_for(fake, policy)
    fake.store.regions[P].down = True
    client.send("GET", "/books", headers=TOKEN)
    assert client.pinned == S

    def heal_after_first(*args: Any, **kwargs: Any) -> Reply:
        reply = http_call(*args, **kwargs)
        if args[2] != policy.health_path:
            fake.store.regions[P].down = False
        return reply

    client.call = heal_after_first
    user = User(
        1,
        Session("shopper-1", jwt_for("shopper-1"), "shopper-1"),
        fake.api,
        Recorder(),
        threading.Event(),
        deadline=60.0,
        think=(0.0, 0.001),
        policy=policy,
    )
    user.client = client
    user.journeys = 2  # not a bestsellers journey: fewer steps
    fake.store.hits.clear()
    user.journey()
    steps = [(h.via, h.path) for h in fake.store.hits]
    assert steps[0] == ("routed", "/health")  # the page load asked, P still down: stays
    # ...as the shopper: the front door resolves the health check as the shopper's requests.
    assert fake.store.hits[0].authorization == TOKEN["Authorization"]
    journey = steps[1:]
    assert [p for _, p in journey][-2:][0] == "/orders"
    assert {via for via, _ in journey} == {"regional"}
    assert {h.region for h in fake.store.hits[1:]} == {S}
    records, acks = user.recorder.snapshot()
    assert [r.step for r in records] == ["browse", "book", "cart", "cart-read", "checkout", "order"]
    assert all(r.outcome == "ok" and not r.violation for r in records)
    assert len(acks) == 1
    fake.store.hits.clear()
    user.journey()
    assert [(h.via, h.path) for h in fake.store.hits][:2] == [
        ("routed", "/health"),
        ("routed", "/books"),
    ]
    assert client.pinned is None


def test_a_read_that_misses_the_shoppers_own_write_is_flagged(fake: FakeTarget) -> None:
    user = User(
        1,
        Session("shopper-1", jwt_for("shopper-1"), "shopper-1"),
        fake.api,
        Recorder(),
        threading.Event(),
        deadline=60.0,
        think=(0.0, 0.001),
        kind="naive",
    )
    book = BOOKS[0]
    user.call("cart", "PUT", f"/cart/{book}", {"quantity": 2})
    fake.store.regions[P].carts.clear()  # a region that lost (or never got) the line
    user.call("cart-read", "GET", "/cart", check=lambda r: cart_violation(r, book, 2))
    user.call("order", "GET", "/orders/o-missing", check=order_violation)
    records, _ = user.recorder.snapshot()
    assert [r.client for r in records] == ["naive"] * 3
    assert records[1].violation == f"cart line {book} (quantity 2) missing"
    assert records[2].violation == "acknowledged order not found (404)"
