"""The failback gate over fake tables and a fake clock: away detection, the probe, the other
region's acknowledgements, opening only when every table has one, and reserved items kept out
of everything a shopper or the leaderboard sees."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
import redis
from botocore.exceptions import EndpointConnectionError

from bookstore.data.markers import (
    ACK_PREFIX,
    PROBE_PREFIX,
    SYSTEM_PARTITION,
    Markers,
    Probe,
    is_reserved_item,
)
from bookstore.failback import FailbackGate
from bookstore.health import check_health
from bookstore.leaderboard import countable
from bookstore.settings import SettingsError, settings_from_env

BACK, PEER = "eu-west-1", "ap-southeast-1"
TABLES = ("Cart", "Orders")
AWAY = 3.0


class FakeTables:
    """One region's copy of the reserved items, per table: probes live in Cart, and an
    acknowledgement of a region's probe in each table. `replicate_to` copies one table over
    the other region's, as replication delivering everything written so far would."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in TABLES}
        self.calls: list[str] = []
        self.refuse_delete = False

    def read(self) -> Markers:
        cart = self.items["Cart"]
        probes = {
            key.removeprefix(PROBE_PREFIX): Probe(
                key.removeprefix(PROBE_PREFIX), item["token"], item["since"]
            )
            for key, item in cart.items()
            if key.startswith(PROBE_PREFIX)
        }
        acks = {
            key.removeprefix(ACK_PREFIX): item["token"]
            for key, item in cart.items()
            if key.startswith(ACK_PREFIX)
        }
        return Markers(probes, acks)

    def put_probe(self, probe: Probe) -> None:
        self.calls.append(f"probe {probe.region}")
        self.items["Cart"][PROBE_PREFIX + probe.region] = {
            "token": probe.token,
            "since": probe.since,
        }

    def delete_probe(self, probe: Probe) -> bool:
        item = self.items["Cart"].get(PROBE_PREFIX + probe.region)
        if self.refuse_delete or item is None or item["token"] != probe.token:
            return False
        del self.items["Cart"][PROBE_PREFIX + probe.region]
        return True

    def acknowledge(self, probe: Probe, by_region: str) -> None:
        self.calls.append(f"ack {probe.region}")
        for table in TABLES:
            self.items[table][ACK_PREFIX + probe.region] = {"token": probe.token, "by": by_region}

    def missing_acks(self, probe: Probe) -> list[str]:
        return [
            table
            for table in TABLES
            if self.items[table].get(ACK_PREFIX + probe.region, {}).get("token") != probe.token
        ]

    def replicate_to(self, other: FakeTables, *tables: str) -> None:
        for table in tables or TABLES:
            other.items[table] = copy.deepcopy(self.items[table])


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def tokens() -> Any:
    counter = iter(range(1, 1000))
    return lambda: f"token-{next(counter)}"


def gate(region: str, tables: FakeTables, clock: Clock) -> FailbackGate:
    return FailbackGate(region, AWAY, tables, clock=clock, new_token=tokens())


def test_a_region_seen_recently_is_open_and_records_presence(clock: Clock) -> None:
    tables = FakeTables()
    state = gate(BACK, tables, clock).check(last_seen=clock.now - AWAY + 0.5)
    assert (state.catching_up, state.detail, state.present_at) == (False, "open", clock.now)
    assert tables.calls == []


def test_no_record_counts_as_not_away(clock: Clock) -> None:
    # A lost or unreachable cache must not take a healthy region out of service.
    tables = FakeTables()
    state = gate(BACK, tables, clock).check(last_seen=None)
    assert not state.catching_up
    assert tables.calls == []


def test_away_starts_a_probe_and_stays_shut_until_every_table_has_the_ack(clock: Clock) -> None:
    r_tables, o_tables = FakeTables(), FakeTables()
    r_gate, o_gate = gate(BACK, r_tables, clock), gate(PEER, o_tables, clock)
    last = clock.now - AWAY - 0.1

    state = r_gate.check(last_seen=last)
    assert state.catching_up
    assert state.present_at == clock.now
    assert state.detail.endswith("into Cart, Orders")
    assert r_tables.read().probes[BACK] == Probe(BACK, "token-1", last)
    assert state.started == Probe(BACK, "token-1", last)

    # The probe reaches the other region, whose next health check answers it once.
    r_tables.replicate_to(o_tables, "Cart")
    assert o_gate.check(last_seen=clock.now).answered == (BACK,)
    assert o_gate.check(last_seen=clock.now).answered == ()
    assert o_tables.calls == ["ack " + BACK]

    # Orders has delivered the acknowledgement, Cart not yet: still shut.
    o_tables.replicate_to(r_tables, "Orders")
    clock.now += 1
    state = r_gate.check(last_seen=clock.now - 1)
    assert state.catching_up
    assert state.detail.endswith("into Cart")

    o_tables.items["Cart"][PROBE_PREFIX + BACK] = r_tables.items["Cart"][PROBE_PREFIX + BACK]
    o_tables.replicate_to(r_tables, "Cart")
    state = r_gate.check(last_seen=clock.now)
    assert (state.catching_up, state.detail) == (False, "open (caught up)")
    assert (state.started, state.caught_up) == (None, Probe(BACK, "token-1", last))
    assert BACK not in r_tables.read().probes
    # And the next check is an ordinary one.
    assert r_gate.check(last_seen=clock.now).detail == "open"


def test_checks_during_one_absence_keep_one_probe(clock: Clock) -> None:
    tables = FakeTables()
    r_gate = gate(BACK, tables, clock)
    last = clock.now - 60
    r_gate.check(last_seen=last)
    # Recording presence failed (Redis refused the write), so the next check still sees the
    # old record: the catch-up must not start over with a new token.
    clock.now += 1
    r_gate.check(last_seen=last)
    assert tables.calls == ["probe " + BACK]
    assert tables.read().probes[BACK].token == "token-1"


def test_a_new_absence_during_a_catch_up_needs_a_new_acknowledgement(clock: Clock) -> None:
    r_tables, o_tables = FakeTables(), FakeTables()
    r_gate, o_gate = gate(BACK, r_tables, clock), gate(PEER, o_tables, clock)
    r_gate.check(last_seen=clock.now - 60)
    r_tables.replicate_to(o_tables, "Cart")
    o_gate.check(last_seen=clock.now)  # acknowledges token-1
    seen_during_catch_up = clock.now

    # Out again before the acknowledgements arrived; they arrive only after it returns.
    clock.now += 60
    assert r_gate.check(last_seen=seen_during_catch_up).catching_up
    assert r_tables.read().probes[BACK].token == "token-2"
    # The first catch-up's answers arrive.
    o_tables.replicate_to(r_tables, "Orders")
    r_tables.items["Cart"][ACK_PREFIX + BACK] = o_tables.items["Cart"][ACK_PREFIX + BACK]
    state = r_gate.check(last_seen=clock.now)
    assert state.catching_up
    assert state.detail.endswith("into Cart, Orders")


def test_a_probe_replaced_meanwhile_is_not_taken_for_caught_up(clock: Clock) -> None:
    tables = FakeTables()
    r_gate = gate(BACK, tables, clock)
    r_gate.check(last_seen=clock.now - 60)
    tables.acknowledge(tables.read().probes[BACK], PEER)
    tables.refuse_delete = True
    state = r_gate.check(last_seen=clock.now)
    assert state.catching_up
    assert "newer" in state.detail


def test_a_fenced_region_answers_probes_but_does_not_count_as_present(clock: Clock) -> None:
    tables = FakeTables()
    tables.put_probe(Probe(PEER, "theirs", clock.now - 30))
    state = gate(BACK, tables, clock).check(last_seen=clock.now - 60, serving=False)
    assert state.present_at is None
    assert state.answered == (PEER,)
    assert BACK not in tables.read().probes


def test_a_catching_up_region_still_answers_the_other(clock: Clock) -> None:
    # Both regions were away (a restart of both): each must answer the other, or neither opens.
    tables = FakeTables()
    tables.put_probe(Probe(PEER, "theirs", clock.now - 30))
    state = gate(BACK, tables, clock).check(last_seen=clock.now - 60)
    assert state.catching_up
    assert state.answered == (PEER,)


class FakeHeartbeat:
    def __init__(self, last: float | None, broken: bool = False) -> None:
        self.last = last
        self.broken = broken
        self.recorded: list[float] = []

    def last_seen(self) -> float | None:
        if self.broken:
            raise redis.ConnectionError("down")
        return self.last

    def record(self, at: float) -> None:
        self.recorded.append(at)


class FakeBooks:
    def __init__(self, fenced: bool = False, broken: bool = False) -> None:
        self.fenced = fenced
        self.broken = broken

    def is_fenced(self, region: str, consistent: bool = False) -> bool:
        if self.broken:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
        return self.fenced


def health(books: FakeBooks, heartbeat: FakeHeartbeat, tables: FakeTables, clock: Clock) -> Any:
    return check_health(BACK, books, heartbeat, gate(BACK, tables, clock))  # type: ignore[arg-type]


def test_health_answers_503_catching_up_and_records_presence(clock: Clock) -> None:
    heartbeat = FakeHeartbeat(clock.now - 60)
    result = health(FakeBooks(), heartbeat, FakeTables(), clock)
    assert result.status_code == 503
    assert result.report.status == "catching-up"
    assert result.report.checks["failback"].startswith("catching-up")
    assert heartbeat.recorded == [clock.now]


def test_health_without_redis_is_degraded_and_starts_no_catch_up(clock: Clock) -> None:
    heartbeat = FakeHeartbeat(clock.now - 60, broken=True)
    tables = FakeTables()
    result = health(FakeBooks(), heartbeat, tables, clock)
    assert (result.status_code, result.report.status) == (200, "degraded")
    assert heartbeat.recorded == []
    assert tables.calls == []


def test_health_of_a_fenced_region_records_no_presence(clock: Clock) -> None:
    heartbeat = FakeHeartbeat(clock.now)
    result = health(FakeBooks(fenced=True), heartbeat, FakeTables(), clock)
    assert (result.status_code, result.report.status) == (503, "unavailable")
    assert heartbeat.recorded == []


def test_health_without_dynamodb_is_unavailable(clock: Clock) -> None:
    heartbeat = FakeHeartbeat(clock.now)
    result = health(FakeBooks(broken=True), heartbeat, FakeTables(), clock)
    assert (result.status_code, result.report.status) == (503, "unavailable")
    assert result.report.checks["failback"] == "unknown"
    assert heartbeat.recorded == []


MARKERS = [
    {"customerId": SYSTEM_PARTITION, "bookId": PROBE_PREFIX + BACK, "token": "t"},
    {"customerId": SYSTEM_PARTITION, "bookId": ACK_PREFIX + BACK, "token": "t"},
    {"customerId": SYSTEM_PARTITION, "orderId": ACK_PREFIX + BACK, "token": "t"},
]


@pytest.mark.parametrize("item", MARKERS)
def test_markers_are_reserved(item: dict[str, Any]) -> None:
    assert is_reserved_item(item)


def test_shoppers_items_are_not_reserved() -> None:
    order = {
        "customerId": "3f2a",
        "orderId": "o-" + "0" * 32,
        "items": [{"bookId": "dune", "quantity": Decimal(2)}],
    }
    for item in (order, {"customerId": "3f2a", "bookId": "dune"}, {"id": "dune"}):
        assert not is_reserved_item(item)
    assert [t.order_id for t in countable([*MARKERS, order])] == [order["orderId"]]


@pytest.mark.parametrize("raw", ["0", "-1", "nan", "inf", "soon", "3601"])
def test_the_away_threshold_must_be_a_sane_number_of_seconds(raw: str) -> None:
    env = {
        "BOOKSTORE_REGION": BACK,
        "BOOKS_TABLE": "b",
        "CART_TABLE": "c",
        "ORDERS_TABLE": "o",
        "REDIS_URL": "redis://x",
        "FAILBACK_AWAY_SECONDS": raw,
    }
    with pytest.raises(SettingsError, match="failback_away_seconds"):
        settings_from_env(env)
    env["FAILBACK_AWAY_SECONDS"] = "2.5"
    assert settings_from_env(env).failback_away_seconds == 2.5
    del env["FAILBACK_AWAY_SECONDS"]
    assert settings_from_env(env).failback_away_seconds == 20.0
