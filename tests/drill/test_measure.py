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


def _window(records: list[RequestRecord], rto: float | None, detected: float | None) -> Any:
    fault = 10.0
    recovered = measure.Recovery(5, rto, rto, 0)
    detection = measure.Detection(detected, detected, None)
    return measure.error_window(records, 9.9, fault, recovered, detection, grace=2.0)


def test_failures_between_the_fault_and_service_back_plus_grace_lie_inside() -> None:
    records = [
        rec(9.0, "error", step="browse"),  # failed before the fault
        rec(9.5, "no-answer", latency=5.0, step="cart"),  # in flight at the fault: inside
        rec(11.0, "error"),
        rec(12.0, "ok"),
        rec(15.9, "no-answer", latency=5.0, step="cart"),  # sent before the end (16.0)
        rec(16.1, "error", step="order", status=404),  # after service was back + grace
        rec(40.0, "error", step="checkout", status=409),  # the failback, say
    ]
    # RTO 1.5 s, routing moved at 4 s: service back at 14.0, the window ends at 16.0.
    window = _window(records, rto=1.5, detected=4.0)
    assert (window.start, window.back_at, window.end) == (9.9, 14.0, 16.0)
    assert window.inside == 3
    assert [(r.t, r.step) for r in window.outside] == [(9.0, "browse"), (16.1, "order"),
                                                       (40.0, "checkout")]  # fmt: skip
    out = window.to_json(fault_at=10.0)
    assert (out["inside"], out["outside"], out["endsSecondsAfterFault"]) == (3, 3, 6.0)
    assert out["outsideRequests"][1]["secondsAfterFault"] == pytest.approx(6.1)
    assert out["outsideRequests"][1]["status"] == 404


def test_the_window_ends_at_the_later_of_rto_and_detection() -> None:
    late_rto = _window([], rto=7.0, detected=3.0)
    assert late_rto.back_at == 17.0
    no_detection = _window([], rto=2.0, detected=None)
    assert no_detection.back_at == 12.0


def test_without_recovery_every_failure_after_the_fault_is_inside() -> None:
    window = _window([rec(8.0, "error"), rec(100.0, "error")], rto=None, detected=3.0)
    assert window.end is None
    assert window.inside == 1
    assert [r.t for r in window.outside] == [8.0]


def test_errors_outside_the_window_always_fail_with_their_times() -> None:
    window = _window([rec(9.0, "no-answer", step="browse"), rec(16.1, "error", status=404)],
                     rto=1.5, detected=4.0)  # fmt: skip
    gates = measure.Gates()
    loss = measure.Loss(0, [], None)
    failures = measure.evaluate(
        gates,
        fault_expects_recovery=True,
        recovery_result=None,
        failover_loss=None,
        final_loss=loss,
        dup=measure.Duplicates({}, {}),
        boards=[],
        table_diffs=[],
        errors_window=window,
        fault_at=10.0,
    )
    assert failures == [
        "2 failed requests outside the failover window (-0.1 s to +6.0 s after the fault):"
        " at -1.0 s (browse no answer), +6.1 s (checkout 404)"
    ]


def test_phases_split_requests_by_when_they_were_sent() -> None:
    records = [rec(1.0, latency=0.1), rec(2.0, latency=0.3), rec(10.5, "error", latency=5.0)]
    records += [rec(11.0 + i * 0.1, latency=0.01 * (i + 1)) for i in range(100)]
    records += [rec(30.0, latency=0.2)]
    before, during, after = measure.phases(
        records, [("before", 0.0, 10.0), ("during", 10.0, 30.0), ("after", 30.0, 40.0)]
    )
    assert (before.requests, during.requests, after.requests) == (2, 101, 1)
    assert (before.errors, during.errors, after.errors) == (0, 1, 0)
    out = during.to_json()
    # The failed request's 5 s is not a latency: p50/p99 of the 100 successes (10..1000 ms).
    assert out["latencyMs"] == {"p50": 500.0, "p95": 950.0, "p99": 990.0}
    assert out["requestsPerSecond"] == pytest.approx(101 / 20)
    assert before.to_json()["latencyMs"]["p50"] == 100.0
    empty = measure.phases([], [("x", 0.0, 1.0)])[0].to_json()
    assert empty["requests"] == 0
    assert empty["latencyMs"] == {"p50": None, "p95": None, "p99": None}


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


def _cart_write(t: float, region: str | None) -> RequestRecord:
    return RequestRecord(t, 0.05, 1, "cart", "PUT", "/cart/dune", 200, region, "ok")


def _empty_cart(t: float, region: str | None) -> RequestRecord:
    error = '{"code": "EMPTY_CART", "message": "the cart is empty"}'
    return RequestRecord(t, 0.05, 1, "checkout", "POST", "/orders", 409, region, "error", error)


def test_a_checkout_missing_a_cart_write_caught_in_the_lag_is_not_a_failure() -> None:
    # The primary acknowledged the line 0.1 s before it froze; the survivor never got it.
    lagged = _window([_cart_write(9.8, P), _empty_cart(19.0, S)], rto=1.5, detected=4.0)
    assert (lagged.outside, [r.t for r in lagged.in_lag]) == ([], [19.0])
    assert lagged.to_json(fault_at=10.0)["cartWritesInTheLag"] == 1


@pytest.mark.parametrize(
    "history",
    [
        [_empty_cart(19.0, S)],  # no cart write at all
        [_cart_write(2.0, P), _empty_cart(19.0, S)],  # long before the fault: replicated
        [_cart_write(9.8, S), _empty_cart(19.0, S)],  # the same region refused it
        [_cart_write(9.8, P), _cart_write(18.0, S), _empty_cart(19.0, S)],  # written again
    ],
)
def test_other_conflicts_after_the_window_still_fail(history: list[RequestRecord]) -> None:
    window = _window(history, rto=1.5, detected=4.0)
    assert [r.t for r in window.outside] == [19.0]
    assert window.in_lag == []


# -- client failover: per-kind RTO, read-your-writes, the AWS projection -----------------------


def sent(
    t: float,
    step: str,
    client: str = "policy",
    outcome: Outcome = "ok",
    region: str | None = P,
    user: int = 1,
    path: str = "/cart",
    method: str = "GET",
    status: int | None = None,
    violation: str = "",
    order_id: str | None = None,
) -> RequestRecord:
    if status is None:
        status = {"ok": 200, "error": 503, "no-answer": None}[outcome]
    return RequestRecord(
        t, 0.1, user, step, method, path, status, region, outcome,
        order_id=order_id, client=client, violation=violation,
    )  # fmt: skip


def test_router_and_client_rto_are_the_same_definition_over_each_kind_of_shopper() -> None:
    fault = 10.0
    naive = [sent(10.5 + i, "checkout", "naive", "error", path="/orders") for i in range(5)]
    naive += [sent(20.0 + i, "checkout", "naive", path="/orders") for i in range(5)]
    policy = [sent(12.0 + i * 0.2, "checkout", path="/orders", region=S) for i in range(5)]
    records = naive + policy
    router = measure.recovery(measure.of_client(records, measure.NAIVE), fault)
    client = measure.recovery(measure.of_client(records, measure.POLICY), fault)
    assert router.rto == pytest.approx(20.1 - 10.0)
    assert client.rto == pytest.approx(12.1 - 10.0)
    assert router.failed_checkouts == 5
    assert client.failed_checkouts == 0


def test_a_read_missing_the_shoppers_own_acknowledged_write_is_a_violation() -> None:
    fault = 10.0
    records = [
        sent(1.0, "cart", method="PUT", path="/cart/b1"),
        sent(1.2, "cart-read"),  # shows the line: fine
        sent(2.0, "checkout", method="POST", path="/orders", order_id="o1"),
        sent(2.3, "order", path="/orders/o1"),
        # After the failback: written on S, read back from P that has not caught up.
        sent(30.0, "cart", method="PUT", path="/cart/b2", region=S),
        sent(30.3, "cart-read", region=P, violation="cart line b2 (quantity 1) missing"),
        sent(31.0, "checkout", method="POST", path="/orders", region=S, order_id="o2"),
        sent(
            31.4,
            "order",
            path="/orders/o2",
            region=P,
            outcome="error",
            status=404,
            violation="acknowledged order not found (404)",
        ),
        sent(32.0, "cart-read", outcome="error", status=503),  # no answer is not a read
    ]
    reads = measure.read_your_writes(records, fault, lag_budget=5.0)
    assert reads.reads == 4
    assert reads.count == 2
    assert [r.t for r in reads.violations] == [30.3, 31.4]
    assert reads.in_lag == []


def test_a_write_the_failed_region_took_just_before_the_fault_is_the_lag_not_a_violation() -> None:
    fault = 10.0
    records = [
        # Acknowledged by P 0.5 s before the fault, read from S after it: in the lag.
        sent(9.3, "cart", method="PUT", path="/cart/b1", user=1),
        sent(10.5, "cart-read", region=S, user=1, violation="missing"),
        # Acknowledged 6 s before the fault: older than the lag budget, a violation.
        sent(3.9, "cart", method="PUT", path="/cart/b1", user=2),
        sent(10.6, "cart-read", region=S, user=2, violation="missing"),
        # Read from the same region that took the write: a violation whatever the timing.
        sent(9.5, "checkout", method="POST", path="/orders", user=3, order_id="o3"),
        sent(
            10.7, "order", path="/orders/o3", user=3, outcome="error", status=404, violation="404"
        ),
    ]
    reads = measure.read_your_writes(records, fault, lag_budget=5.0)
    assert [r.user for r in reads.in_lag] == [1]
    assert [r.user for r in reads.violations] == [2, 3]
    body = reads.to_json(fault)
    assert body["violations"] == 2
    assert body["inTheLag"] == 1
    assert body["violationRequests"][0]["secondsAfterFault"] == pytest.approx(0.6)


def test_the_gates_fail_on_a_slow_client_rto_and_on_any_read_your_writes_violation() -> None:
    fault = 10.0
    policy = [sent(13.5 + i * 0.1, "checkout", path="/orders") for i in range(5)]
    violation = sent(20.0, "cart-read", violation="cart line b1 (quantity 1) missing")
    reads = measure.read_your_writes([violation], fault, lag_budget=5.0)
    gates = measure.Gates(max_client_rto=3.0)
    failures = measure.evaluate(
        gates, fault_expects_recovery=True, recovery_result=None, failover_loss=None,
        final_loss=measure.Loss(0, [], None), dup=measure.Duplicates({}, {}), boards=[],
        table_diffs=[], client_recovery=measure.recovery(policy, fault), reads=reads,
    )  # fmt: skip
    assert failures == [
        "client RTO 3.6 s exceeds the target 3 s",
        "1 read-your-writes violations (must be 0): first at 20.0 s,"
        " cart line b1 (quantity 1) missing",
    ]
    never = measure.evaluate(
        measure.Gates(max_client_rto=3.0), fault_expects_recovery=True, recovery_result=None,
        failover_loss=None, final_loss=measure.Loss(0, [], None),
        dup=measure.Duplicates({}, {}), boards=[], table_diffs=[],
        client_recovery=measure.recovery([], fault),
    )  # fmt: skip
    assert never == [
        "client RTO: no 5 consecutive successful checkouts of the policy shoppers after the"
        " fault (target 3 s)"
    ]


def test_the_aws_projection_is_the_deployed_health_check_budget() -> None:
    from components.failover_routing import (
        ALIAS_TTL_SECONDS,
        HEALTH_CHECK_FAILURE_THRESHOLD,
        HEALTH_CHECK_INTERVAL_SECONDS,
        rto_budget_seconds,
    )

    projection = measure.aws_projection(
        HEALTH_CHECK_INTERVAL_SECONDS, HEALTH_CHECK_FAILURE_THRESHOLD, ALIAS_TTL_SECONDS, 2.0
    )
    assert projection.router_rto == rto_budget_seconds(
        HEALTH_CHECK_INTERVAL_SECONDS, HEALTH_CHECK_FAILURE_THRESHOLD, ALIAS_TTL_SECONDS
    )
    assert measure.aws_projection(10, 3, 60, 2.0).to_json() == {
        "healthCheckIntervalSeconds": 10,
        "healthCheckFailureThreshold": 3,
        "dnsTtlSeconds": 60,
        "rtoRouterSeconds": 90,
        "clientFirstTimeoutSeconds": 2.0,
    }


def test_a_write_acknowledged_while_the_fault_was_being_injected_is_in_the_lag_too() -> None:
    records = [
        sent(10.05, "checkout", method="POST", path="/orders", order_id="o1"),  # ends 10.15
        sent(10.3, "order", path="/orders/o1", region=S, outcome="error", status=404,
             violation="404"),
    ]  # fmt: skip
    assert measure.read_your_writes(records, 10.0, 5.0).count == 1  # injection took no time
    reads = measure.read_your_writes(records, 10.0, 5.0, fault_done=10.2)
    assert (reads.count, len(reads.in_lag)) == (0, 1)
