"""The drill's figures on synthetic timelines: each definition pinned by a case that fails
when the definition drifts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bookstore.data.orders import CUSTOMER, ORDER
from drill import measure
from drill.model import Ack, Outcome, RequestRecord, Sample

P, S = "eu-west-1", "ap-southeast-1"


def rec(
    t: float,
    outcome: Outcome = "ok",
    step: str = "checkout",
    region: str | None = P,
    latency: float = 0.1,
    status: int | None = None,
) -> RequestRecord:
    if status is None:
        status = {"ok": 201, "error": 503, "no-answer": None}[outcome]
    return RequestRecord(t, latency, 1, step, "POST", "/orders", status, region, outcome)


def ack(at: float, order: str, customer: str = "c1", key: str | None = None) -> Ack:
    return Ack(1, customer, key or f"k-{order}", order, at, P, True)


def order_item(customer: str, order: str, key: str, lines: list[tuple[str, int]]) -> dict[str, Any]:
    return {
        CUSTOMER: customer,
        ORDER: order,
        "idempotencyKey": key,
        "items": [{"bookId": b, "quantity": Decimal(q)} for b, q in lines],
    }


# -- RTO ------------------------------------------------------------------------------------


def test_rto_ends_at_the_first_of_the_first_k_consecutive_successes() -> None:
    fault = 10.0
    records = [rec(9.0), rec(9.5)]  # before the fault: ignored
    records += [rec(10.5, "error"), rec(11.0, "no-answer", region=None)]
    records += [rec(12.0 + i * 0.5) for i in range(4)]  # four good ones...
    records += [rec(14.5, "error")]  # ...broken by a failure
    records += [rec(15.0 + i, latency=0.2) for i in range(6)]
    records += [rec(21.0, "error")]  # after recovery: still counted as a failed attempt
    result = measure.recovery(records, fault, k=5)
    assert result.rto == pytest.approx(15.2 - 10.0)  # the run starts with the one ending 15.2
    assert result.confirmed == pytest.approx(19.2 - 10.0)  # ...and is confirmed at 19.2
    assert result.failed_checkouts == 4


def test_rto_counts_only_checkouts_and_orders_by_end_time() -> None:
    records = [rec(11.0 + i, step="browse") for i in range(10)]
    # A slow attempt started before the fault and ending after it, failed: it breaks runs.
    records += [rec(10.0 + i * 0.1, latency=0.05) for i in range(4)]
    records += [rec(9.0, "no-answer", latency=1.45, region=None)]  # ends at 10.45
    records += [rec(11.0 + i * 0.1, latency=0.05) for i in range(5)]
    result = measure.recovery(records, 10.0, k=5)
    assert result.failed_checkouts == 1
    assert result.rto == pytest.approx(11.05 - 10.0)
    assert result.confirmed == pytest.approx(11.45 - 10.0)


def test_no_recovery_when_k_successes_never_happen() -> None:
    records = [rec(11.0 + i) for i in range(4)] + [rec(16.0, "error")]
    result = measure.recovery(records, 10.0, k=5)
    assert result.rto is None
    gates = measure.Gates(max_rto=30)
    failures = measure.evaluate(
        gates,
        fault_expects_recovery=True,
        recovery_result=result,
        failover_loss=None,
        final_loss=measure.missing_orders([], set()),
        dup=measure.duplicates([], []),
        boards=[],
        table_diffs=[],
    )
    assert failures == ["RTO: no 5 consecutive successful checkouts after the fault (target 30 s)"]


# -- detection ------------------------------------------------------------------------------


def test_detection_from_health_flip_serving_switch_and_first_answer_elsewhere() -> None:
    samples = [Sample(t, P, {P: True, S: True}) for t in (8.0, 9.0, 9.9)]
    samples += [Sample(10.5, P, {P: True, S: True}), Sample(12.0, P, {P: True, S: True})]
    samples += [Sample(13.1, S, {P: False, S: True}), Sample(14.0, S, {P: False, S: True})]
    records = [rec(9.0, step="browse"), rec(11.0, "no-answer", region=None)]
    records += [rec(13.5, step="browse", region=S, latency=0.2)]
    detection = measure.detect(samples, records, 10.0, P)
    assert detection.health_flip == pytest.approx(3.1)
    assert detection.serving_switch == pytest.approx(3.1)
    assert detection.first_served_elsewhere == pytest.approx(3.7)
    assert detection.seconds == pytest.approx(3.1)


def test_outage_of_the_idle_region_flips_health_but_switches_nothing() -> None:
    samples = [Sample(9.0, P, {P: True, S: True}), Sample(12.5, P, {P: True, S: False})]
    detection = measure.detect(samples, [rec(9.0, step="browse")], 10.0, S)
    assert detection.health_flip == pytest.approx(2.5)
    assert detection.serving_switch is None
    assert detection.first_served_elsewhere is None


def test_a_region_already_unhealthy_at_the_fault_is_not_detected() -> None:
    samples = [Sample(9.0, S, {P: False, S: True}), Sample(10.2, S, {P: False, S: True})]
    detection = measure.detect(samples, [], 10.0, P)
    assert detection.health_flip is None
    assert detection.already_unhealthy is True
    assert detection.to_json()["alreadyUnhealthyAtFault"] is True


def test_no_detection_without_samples_falls_back_to_client_view() -> None:
    records = [rec(9.0, step="browse"), rec(15.0, step="browse", region=S, latency=0.5)]
    detection = measure.detect([], records, 10.0, P)
    assert detection.seconds == pytest.approx(5.5)


# -- errors ---------------------------------------------------------------------------------


def test_client_errors_count_and_window() -> None:
    records = [rec(5.0, step="browse"), rec(10.2, "no-answer", region=None, latency=2.5)]
    records += [rec(11.0, "error", step="cart"), rec(13.0, "error", latency=0.3)]
    errors = measure.client_errors(records)
    assert errors.total == 3
    assert errors.first == pytest.approx(10.2)
    assert errors.window == pytest.approx(13.3 - 10.2)
    assert errors.by_status == {"no-answer": 1, "503": 2}
    assert errors.to_json(10.0)["firstSecondsAfterFault"] == pytest.approx(0.2)


# -- RPO ------------------------------------------------------------------------------------


def test_rpo_counts_acknowledged_orders_missing_from_the_survivor() -> None:
    acks = [ack(5.0, "o-1"), ack(9.7, "o-2"), ack(9.9, "o-3"), ack(13.0, "o-4")]
    present = {("c1", "o-1")}
    # Snapshot at 12.0: o-4 (acknowledged later) is not judged.
    loss = measure.missing_orders(acks, present, until=12.0, reference=10.0)
    assert [a.order_id for a in loss.missing] == ["o-2", "o-3"]
    assert loss.checked == 3
    assert loss.window == pytest.approx(0.2)
    assert loss.rpo == pytest.approx(10.0 - 9.7)


def test_rpo_is_zero_when_nothing_is_missing_and_replays_count_once() -> None:
    acks = [ack(5.0, "o-1"), ack(6.0, "o-1"), ack(7.0, "o-2")]
    loss = measure.missing_orders(acks, {("c1", "o-1"), ("c1", "o-2")})
    assert loss.count == 0
    assert loss.rpo == 0.0
    assert loss.checked == 2


def test_rpo_gate_and_missing_after_recovery_always_fails() -> None:
    failover = measure.missing_orders([ack(8.0, "o-1")], set(), until=12.0, reference=10.0)
    final = measure.missing_orders([ack(8.0, "o-1")], set())
    gates = measure.Gates(max_rpo=1.0)
    failures = measure.evaluate(
        gates,
        fault_expects_recovery=False,
        recovery_result=None,
        failover_loss=failover,
        final_loss=final,
        dup=measure.duplicates([], []),
        boards=[],
        table_diffs=[],
    )
    assert failures[0].startswith("RPO 2.00 s (1 acknowledged orders missing at failover)")
    assert failures[1] == "1 acknowledged orders still missing after recovery (must be 0)"
    # Within the target: only the final loss fails (it fails without any target at all).
    gates = measure.Gates(max_rpo=5.0)
    failures = measure.evaluate(
        gates,
        fault_expects_recovery=False,
        recovery_result=None,
        failover_loss=failover,
        final_loss=final,
        dup=measure.duplicates([], []),
        boards=[],
        table_diffs=[],
    )
    assert len(failures) == 1


# -- duplicates -----------------------------------------------------------------------------


def test_duplicates_per_idempotency_key_in_the_table_and_as_seen_by_clients() -> None:
    items = [
        order_item("c1", "o-a", "k1", [("b1", 1)]),
        order_item("c1", "o-b", "k1", [("b1", 1)]),  # a second order for one key
        order_item("c2", "o-c", "k1", [("b2", 1)]),  # same key, other customer: fine
    ]
    acks = [ack(1.0, "o-a", key="k1"), ack(2.0, "o-a", key="k1"), ack(3.0, "o-x", key="k2")]
    assert measure.duplicates(items, acks).count == 1
    acks.append(ack(4.0, "o-y", key="k2"))  # the client got two ids for one key
    dup = measure.duplicates(items, acks)
    assert dup.count == 2
    assert dup.client == {"c1/k2": 2}


# -- leaderboard ----------------------------------------------------------------------------


def test_leaderboard_truth_and_differences() -> None:
    items = [
        order_item("c1", "o-1", "k1", [("b1", 2), ("b2", 1)]),
        order_item("c2", "o-2", "k2", [("b1", 1)]),
        {CUSTOMER: "c3", ORDER: "o-3"},  # not an order: skipped, as the stream handler does
    ]
    truth = measure.leaderboard_truth(items)
    assert truth == {"b1": 3, "b2": 1}
    assert measure.BoardCheck(P, {"b1": 3, "b2": 1}, truth).ok
    wrong = measure.BoardCheck(P, {"b1": 4}, truth)
    assert wrong.differences == {"b1": (4, 3), "b2": (0, 1)}
    assert not measure.BoardCheck(P, None, truth, error="down").ok


def test_partial_board_must_hold_the_true_best_sellers() -> None:
    truth = {"b1": 9, "b2": 5, "b3": 1}
    assert measure.BoardCheck(S, {"b1": 9, "b2": 5}, truth, complete=False).ok
    missing_top = measure.BoardCheck(S, {"b1": 9, "b3": 1}, truth, complete=False)
    assert missing_top.differences == {"b2": (0, 5)}


# -- convergence ----------------------------------------------------------------------------


def test_table_diff_by_key() -> None:
    a = [{"id": "1", "v": Decimal("1.0")}, {"id": "2", "v": 2}, {"id": "3", "v": {"x"}}]
    b = [{"id": "1", "v": Decimal("1.0")}, {"id": "2", "v": 3}, {"id": "4"}]
    diff = measure.table_diff("Books", a, b, ("id",))
    assert (diff.only_a, diff.only_b, diff.different) == (["3"], ["4"], ["2"])
    assert diff.count == 3
    assert diff.to_json("A", "B")["examples"] == {
        "2": {"A": {"id": "2", "v": 2}, "B": {"id": "2", "v": 3}}
    }
    assert measure.table_diff("Books", a, list(reversed(a)), ("id",)).count == 0
