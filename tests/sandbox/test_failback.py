"""Failback keeps read-your-writes: a region back from an outage answers /health 503 until what
the survivor took meanwhile is readable in it, and only then 200.

The regions are called directly (not through the front door), so that these tests hold
whatever the front door's routing does; its health checks still call both regions' /health,
which is what drives the catch-up."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest

from tests.sandbox.conftest import CONVERGE, Reply, Sandbox, eventually, http

# `up`'s defaults: health checks every second, three failures. The away threshold the
# sandbox gives the regions is their product; an outage must outlast it to count.
AWAY_SECONDS = 3.0


def _place_orders(base: str, token: str, book: str, count: int) -> list[str]:
    placed = []
    for _ in range(count):
        assert http("PUT", f"{base}/cart/{book}", {"quantity": 1}, token=token).status == 200
        order = http(
            "POST",
            f"{base}/orders",
            {},
            token=token,
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert order.status == 201, order.body
        placed.append(str(order.body["orderId"]))
    return placed


def _readable(base: str, token: str, order_ids: list[str]) -> bool:
    return all(
        http("GET", f"{base}/orders/{order_id}", token=token, timeout=5).status == 200
        for order_id in order_ids
    )


def _health(base: str) -> Reply:
    return http("GET", f"{base}/health", timeout=5)


@pytest.fixture
def outage(sandbox: Sandbox) -> Iterator[float]:
    """The primary frozen; yields when it went out. Restored and healed whatever happens."""
    sandbox.cli("outage", sandbox.primary)
    try:
        yield time.monotonic()
    finally:
        sandbox.cli("restore", sandbox.primary)
        sandbox.cli("heal")
        eventually(lambda: sandbox.refresh()["regions"][sandbox.primary]["serving"], timeout=30)


def _outlast_away(went_out: float) -> None:
    time.sleep(max(0.0, went_out + AWAY_SECONDS + 1.5 - time.monotonic()))


def test_a_restored_region_stays_out_while_the_survivors_orders_are_held_back(
    sandbox: Sandbox, token: str, outage: float
) -> None:
    primary, secondary = sandbox.api(sandbox.primary), sandbox.api(sandbox.secondary)
    book = http("GET", f"{secondary}/books?limit=1").body["items"][0]["id"]
    placed = _place_orders(secondary, token, book, 3)
    _outlast_away(outage)
    # Replication held back, so the backlog cannot drain behind the test's back.
    sandbox.cli("partition")
    sandbox.cli("restore", sandbox.primary)

    held_until = time.monotonic() + AWAY_SECONDS + 1
    polls = 0
    while time.monotonic() < held_until:
        health = _health(primary)
        assert (health.status, health.body["status"]) == (503, "catching-up"), health.body
        assert "waiting for" in health.body["checks"]["failback"]
        # The region itself answers (only its health check keeps traffic away)...
        assert http("GET", f"{primary}/books?limit=1").status == 200
        # ...and has not got the orders: sending shoppers here now would lose them. (The
        # first may be there: the replicator's write of it, timed out against the frozen
        # region, can still land when it resumes; the ones queued behind it cannot.)
        assert not any(_readable(primary, token, [order_id]) for order_id in placed[1:])
        polls += 1
        time.sleep(0.3)
    assert polls >= 3

    sandbox.cli("heal")
    eventually(lambda: _health(primary).status == 200, timeout=CONVERGE, interval=0.2)
    assert _readable(primary, token, placed)


def _catch_ups(sandbox: Sandbox, message: str) -> set[str]:
    """The tokens of the primary's catch-up log lines with this message, so far."""
    log = sandbox.state_dir / "logs" / f"gateway-{sandbox.primary}.log"
    tokens = set()
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("message") == message:
                tokens.add(str(entry["token"]))
    return tokens


def test_a_restored_region_answers_200_only_once_the_orders_are_there(
    sandbox: Sandbox, token: str, outage: float
) -> None:
    primary, secondary = sandbox.api(sandbox.primary), sandbox.api(sandbox.secondary)
    book = http("GET", f"{secondary}/books?limit=1").body["items"][0]["id"]
    placed = _place_orders(secondary, token, book, 5)
    _outlast_away(outage)
    earlier = _catch_ups(sandbox, "failback caught up")
    sandbox.cli("restore", sandbox.primary)

    answers: list[tuple[int, str]] = []
    deadline = time.monotonic() + CONVERGE
    while True:
        health = _health(primary)
        answers.append((health.status, str(health.body["status"])))
        if health.status == 200:
            break
        assert health.body["status"] == "catching-up", health.body
        assert time.monotonic() < deadline, answers
        time.sleep(0.05)
    assert _readable(primary, token, placed), answers
    # It did catch up (the front door's health checks may have driven the whole catch-up
    # before the first poll here): one catch-up, started and finished since the restore.
    new = _catch_ups(sandbox, "failback caught up") - earlier
    assert len(new) == 1, answers
    assert new <= _catch_ups(sandbox, "failback catch-up started")
