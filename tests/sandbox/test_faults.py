"""Faults: a partition between the regions, and an outage of the primary region."""

from __future__ import annotations

import time
import uuid

from tests.sandbox.conftest import CONVERGE, Sandbox, all_orders, eventually, http


def _quantity(base: str, token: str, book_id: str) -> int | None:
    items = http("GET", f"{base}/cart", token=token).body["items"]
    return next((i["quantity"] for i in items if i["bookId"] == book_id), None)


def _order_ids(base: str, token: str) -> set[str]:
    return {o["orderId"] for o in all_orders(base, token)}


def test_partition_then_heal_converges_last_writer_wins(sandbox: Sandbox, token: str) -> None:
    primary, secondary = sandbox.api(sandbox.primary), sandbox.api(sandbox.secondary)
    books = [b["id"] for b in http("GET", f"{primary}/books?limit=3").body["items"]]
    sandbox.cli("partition")
    try:
        assert sandbox.refresh()["replication"]["paused"] is True
        # Both regions keep serving; each write stays in its own region meanwhile.
        assert http("PUT", f"{primary}/cart/{books[0]}", {"quantity": 4}, token=token).status == 200
        assert (
            http("PUT", f"{secondary}/cart/{books[1]}", {"quantity": 5}, token=token).status == 200
        )
        # The same line in both regions: the later write (the secondary's) must win.
        assert http("PUT", f"{primary}/cart/{books[2]}", {"quantity": 1}, token=token).status == 200
        time.sleep(0.05)
        assert (
            http("PUT", f"{secondary}/cart/{books[2]}", {"quantity": 9}, token=token).status == 200
        )
        time.sleep(0.5)
        assert _quantity(secondary, token, books[0]) is None
        assert _quantity(primary, token, books[1]) is None
    finally:
        sandbox.cli("heal")
    assert sandbox.refresh()["replication"]["paused"] is False

    def converged() -> bool:
        carts = [{b: _quantity(base, token, b) for b in books} for base in (primary, secondary)]
        return carts[0] == carts[1] == {books[0]: 4, books[1]: 5, books[2]: 9}

    eventually(converged, timeout=CONVERGE)
    for book in books:
        assert http("DELETE", f"{primary}/cart/{book}", token=token).status == 204
    eventually(lambda: http("GET", f"{secondary}/cart", token=token).body["items"] == [])


def test_outage_of_the_primary_fails_over_and_loses_nothing(sandbox: Sandbox, token: str) -> None:
    door = f"{sandbox.front_door}/api"
    primary, secondary = sandbox.api(sandbox.primary), sandbox.api(sandbox.secondary)
    book = http("GET", f"{door}/books?limit=1").body["items"][0]["id"]
    before = []
    for _ in range(2):
        assert http("PUT", f"{door}/cart/{book}", {"quantity": 1}, token=token).status == 200
        order = http(
            "POST",
            f"{door}/orders",
            {},
            token=token,
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert order.status == 201
        assert order.body["region"] == sandbox.primary
        before.append(order.body["orderId"])
    resolved_at = time.monotonic()  # the signed-in client's answer is this fresh at most
    interval, threshold = 1.0, 3  # the defaults `up` ran with
    ttl = http("GET", f"{sandbox.front_door}/frontdoor/status").body["recordTtl"]
    assert ttl == 6 * interval

    sandbox.cli("outage", sandbox.primary)
    started = time.monotonic()
    # `threshold` failed checks, the first of which may start up to a whole interval after the
    # freeze, then a client's cached answer may live a whole TTL, plus a second for the poll.
    budget = interval * (threshold + 1) + ttl + 1
    try:
        # Nothing retries a request on the other region: until its client's answer expires,
        # a request goes to the frozen region and gets nothing (as on AWS, where the client
        # would see a timeout). Then the front door serves from the secondary within that
        # budget.
        def served_by_secondary() -> bool:
            try:
                reply = http("GET", f"{door}/books?limit=1", timeout=1)
            except OSError:
                return False
            return reply.status == 200 and reply.headers["x-bookstore-region"] == sandbox.secondary

        eventually(served_by_secondary, timeout=budget)

        def routed_to_secondary() -> bool:
            status = http("GET", f"{sandbox.front_door}/frontdoor/status").body
            return bool(status["serving"] == sandbox.secondary)

        eventually(routed_to_secondary, timeout=budget)
        assert time.monotonic() - started <= budget
        # The signed-in client resolves again once its own answer has expired.
        time.sleep(max(0.0, resolved_at + ttl - time.monotonic()))
        assert sandbox.refresh()["regions"][sandbox.primary]["outage"] is True
        # and an existing session checks out there (the primary holds the user pool)
        assert http("PUT", f"{door}/cart/{book}", {"quantity": 2}, token=token).status == 200
        during = http(
            "POST",
            f"{door}/orders",
            {},
            token=token,
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert during.status == 201, during.body
        assert during.body["region"] == sandbox.secondary
        assert set(before) <= _order_ids(secondary, token)
    finally:
        sandbox.cli("restore", sandbox.primary)

    every = {*before, during.body["orderId"]}
    eventually(
        lambda: every <= _order_ids(primary, token) and every <= _order_ids(secondary, token),
        timeout=10,
    )
    eventually(lambda: sandbox.refresh()["regions"][sandbox.primary]["serving"], timeout=10)
