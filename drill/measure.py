"""The drill's figures, computed from what was recorded: pure functions, no I/O.

Kept apart from the load and the targets so that each definition (what counts as detected,
recovered, lost, duplicated) is tested on synthetic timelines, and reads the same for the
sandbox and for AWS.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from bookstore.data.orders import CUSTOMER, ORDER
from bookstore.leaderboard import tally_from_item
from drill.model import Ack, RequestRecord, Sample

DEFAULT_K = 5
CHECKOUT = "checkout"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


# -- detection ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Detection:
    """When the routing layer noticed the fault (seconds after it)."""

    health_flip: float | None
    serving_switch: float | None
    first_served_elsewhere: float | None
    already_unhealthy: bool = False

    @property
    def seconds(self) -> float | None:
        """The earliest sign the routing layer acted; health flip or serving switch."""
        seen = [v for v in (self.health_flip, self.serving_switch) if v is not None]
        if seen:
            return min(seen)
        return self.first_served_elsewhere

    def to_json(self) -> dict[str, Any]:
        return {
            "seconds": _round(self.seconds),
            "healthFlipSeconds": _round(self.health_flip),
            "servingSwitchSeconds": _round(self.serving_switch),
            "firstServedElsewhereSeconds": _round(self.first_served_elsewhere),
            "alreadyUnhealthyAtFault": self.already_unhealthy,
        }


def detect(
    samples: Sequence[Sample],
    records: Sequence[RequestRecord],
    fault_at: float,
    failed_region: str,
) -> Detection:
    """Health flip: the failed region first reported unhealthy after the fault. Serving
    switch: the serving region first differs from the one serving just before the fault (only
    when that was the failed region). First served elsewhere: the first successful client
    request after the fault answered by another region, when the failed one served before."""
    before = [s for s in samples if s.t < fault_at]
    after = [s for s in samples if s.t >= fault_at]
    # A region the routing layer already held unhealthy at the fault (a flapping health check
    # on a busy machine) cannot be "detected": report no flip rather than a flattering 0.
    already = bool(before) and before[-1].healthy.get(failed_region) is False
    flip = None
    if not already:
        flip = next((s.t - fault_at for s in after if s.healthy.get(failed_region) is False), None)
    serving_before = before[-1].serving if before else None
    switch = None
    if serving_before == failed_region:
        switch = next((s.t - fault_at for s in after if s.serving != failed_region), None)

    ok_before = [r for r in records if r.outcome == "ok" and r.end < fault_at and r.region]
    served_before = ok_before[-1].region if ok_before else None
    elsewhere = None
    if served_before == failed_region:
        elsewhere = next(
            (
                r.end - fault_at
                for r in sorted(records, key=lambda r: r.end)
                if r.t >= fault_at and r.outcome == "ok" and r.region not in (None, failed_region)
            ),
            None,
        )
    return Detection(flip, switch, elsewhere, already)


# -- recovery ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Recovery:
    """RTO: from the fault to the first of the first K consecutive successful checkouts (the
    moment checkout worked again, confirmed by the K-1 after it). `confirmed` is when the K-th
    ended; the gap between the two depends on the load rate, not on the system."""

    k: int
    rto: float | None
    confirmed: float | None
    failed_checkouts: int

    def to_json(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "rtoSeconds": _round(self.rto),
            "confirmedSeconds": _round(self.confirmed),
            "failedCheckoutsAfterFault": self.failed_checkouts,
        }


def recovery(records: Sequence[RequestRecord], fault_at: float, k: int = DEFAULT_K) -> Recovery:
    """Checkout attempts that ended after the fault, in the order they ended: the first run of
    K successes in a row marks recovery. An attempt that began before the fault but ended
    after it counts, since a user waiting on it saw the fault."""
    attempts = sorted(
        (r for r in records if r.step == CHECKOUT and r.end >= fault_at), key=lambda r: r.end
    )
    failed = sum(1 for a in attempts if a.outcome != "ok")
    run: list[RequestRecord] = []
    for attempt in attempts:
        if attempt.outcome != "ok":
            run = []
            continue
        run.append(attempt)
        if len(run) == k:
            return Recovery(k, run[0].end - fault_at, run[-1].end - fault_at, failed)
    return Recovery(k, None, None, failed)


# -- errors ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Errors:
    total: int
    requests: int
    by_step: dict[str, int]
    by_status: dict[str, int]
    first: float | None
    last: float | None

    @property
    def window(self) -> float:
        if self.first is None or self.last is None:
            return 0.0
        return self.last - self.first

    def to_json(self, fault_at: float | None) -> dict[str, Any]:
        def rel(value: float | None) -> float | None:
            if value is None or fault_at is None:
                return _round(value)
            return _round(value - fault_at)

        return {
            "count": self.total,
            "requests": self.requests,
            "rate": round(self.total / self.requests, 4) if self.requests else 0.0,
            "byStep": self.by_step,
            "byStatus": self.by_status,
            "firstSecondsAfterFault": rel(self.first),
            "lastSecondsAfterFault": rel(self.last),
            "windowSeconds": round(self.window, 3),
        }


def client_errors(records: Iterable[RequestRecord]) -> Errors:
    """Every request a user saw fail: a 5xx, an unexpected 4xx, or no answer at all."""
    all_records = list(records)
    failed = [r for r in all_records if r.outcome != "ok"]
    by_status = Counter("no-answer" if r.status is None else str(r.status) for r in failed)
    return Errors(
        total=len(failed),
        requests=len(all_records),
        by_step=dict(Counter(r.step for r in failed)),
        by_status=dict(by_status),
        first=min((r.t for r in failed), default=None),
        last=max((r.end for r in failed), default=None),
    )


DEFAULT_ERROR_GRACE = 2.0
# How long before a fault a cart write may be missing from the survivor (without --max-rpo).
DEFAULT_LAG_BUDGET = 5.0
_LAG_CONFLICTS = ("EMPTY_CART", "CART_CHANGED")
OUTSIDE_LISTED = 20


@dataclass(frozen=True)
class ErrorWindow:
    """Where a user may see a failure: from the fault until service is back, plus a grace.

    Service is back at the later of the recovery point (the first of K consecutive good
    checkouts: RTO) and the routing switch (detection): until traffic has moved, requests the
    front door does not retry (a cart update) still go to the failed region. A failed request
    lies inside the window when it was still running at the fault (it ended after the
    injection began) and was sent no later than the window's end; every other failure (before
    the fault, or after service was back: the failback, say) lies outside. `end` is None when
    service never came back (then the RTO gate speaks). All times on the drill clock."""

    start: float
    back_at: float | None
    grace: float
    inside: int
    outside: list[RequestRecord]
    # Checkouts refused (409) because the shopper's last cart write, acknowledged by the
    # failed region just before the fault, had not replicated yet: the cart's share of the
    # RPO, not a routing failure. Counted and listed, not failed (within the lag budget).
    in_lag: list[RequestRecord] = field(default_factory=list)

    @property
    def end(self) -> float | None:
        return None if self.back_at is None else self.back_at + self.grace

    def to_json(self, fault_at: float | None) -> dict[str, Any]:
        def rel(value: float | None) -> float | None:
            return None if value is None or fault_at is None else _round(value - fault_at)

        return {
            "startsAt": _round(self.start),
            "serviceBackAt": _round(self.back_at),
            "graceSeconds": self.grace,
            "endsAt": _round(self.end),
            "endsSecondsAfterFault": rel(self.end),
            "inside": self.inside,
            "outside": len(self.outside),
            "cartWritesInTheLag": len(self.in_lag),
            "cartWritesInTheLagRequests": [
                {"t": round(r.t, 3), "secondsAfterFault": rel(r.t), "error": r.error[:120]}
                for r in self.in_lag[:OUTSIDE_LISTED]
            ],
            "outsideRequests": [
                {
                    "t": round(r.t, 3),
                    "end": round(r.end, 3),
                    "secondsAfterFault": rel(r.t),
                    "step": r.step,
                    "status": r.status,
                    "region": r.region,
                    "error": r.error[:120],
                }
                for r in self.outside[:OUTSIDE_LISTED]
            ],
        }


def error_window(
    records: Iterable[RequestRecord],
    start: float,
    fault_at: float,
    recovery_result: Recovery,
    detection: Detection | None,
    grace: float = DEFAULT_ERROR_GRACE,
    lag_budget: float = DEFAULT_LAG_BUDGET,
) -> ErrorWindow:
    """Sorts the failed requests into inside and outside the failover window (see
    `ErrorWindow`); `start` is when the injection began, `fault_at` when it was done. A
    checkout refused as EMPTY_CART or CART_CHANGED by another region than the one that
    acknowledged the shopper's last cart write, that write ending at most `lag_budget`
    seconds before the fault, is the replication lag at work (`in_lag`), not a failure."""
    back_at: float | None = None
    if recovery_result.rto is not None:
        back_at = fault_at + recovery_result.rto
        if detection is not None and detection.seconds is not None:
            back_at = max(back_at, fault_at + detection.seconds)
    end = None if back_at is None else back_at + grace
    inside = 0
    outside: list[RequestRecord] = []
    in_lag: list[RequestRecord] = []
    last_cart_write: dict[int, RequestRecord] = {}
    for record in sorted(records, key=lambda r: r.t):
        if record.outcome == "ok":
            if record.step == "cart" and record.method in ("PUT", "DELETE"):
                last_cart_write[record.user] = record
            continue
        if record.end >= start and (end is None or record.t <= end):
            inside += 1
        elif _refused_for_the_lag(record, last_cart_write.get(record.user), start, lag_budget):
            in_lag.append(record)
        else:
            outside.append(record)
    return ErrorWindow(start, back_at, grace, inside, outside, in_lag)


def _refused_for_the_lag(
    record: RequestRecord, write: RequestRecord | None, fault: float, budget: float
) -> bool:
    return (
        record.step == "checkout"
        and record.status == 409
        and any(code in record.error for code in _LAG_CONFLICTS)
        and write is not None
        and write.region is not None
        and write.region != record.region
        and fault - budget <= write.end <= fault
    )


# -- clients and read-your-writes --------------------------------------------------------

POLICY, NAIVE = "policy", "naive"
CART_WRITE, CART_READ, ORDER_READ = "cart", "cart-read", "order"


def of_client(records: Iterable[RequestRecord], kind: str) -> list[RequestRecord]:
    """The requests one kind of shopper sent (`policy`: the web app's client failover;
    `naive`: the routed endpoint only)."""
    return [r for r in records if r.client == kind]


@dataclass(frozen=True)
class ReadYourWrites:
    """Reads that did not show what the same shopper wrote and had acknowledged: its cart
    line (quantity) right after the write, its order right after the checkout (404).

    A violation whose write was acknowledged by one region at most the lag budget before the
    fault (or while it was being injected), read from another region after the fault began,
    is the replication lag at work (the write is in the RPO: it reaches the survivor only
    after the restore) and is counted apart (`in_lag`); every other one (a failback to a
    region that had not caught up, a region answering from a stale copy) is a violation."""

    reads: int
    violations: list[RequestRecord]
    in_lag: list[RequestRecord] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.violations)

    def to_json(self, fault_at: float | None) -> dict[str, Any]:
        def listed(records: list[RequestRecord]) -> list[dict[str, Any]]:
            return [
                {
                    "t": round(r.t, 3),
                    "secondsAfterFault": None if fault_at is None else round(r.t - fault_at, 3),
                    "step": r.step,
                    "region": r.region,
                    "violation": r.violation,
                }
                for r in records[:OUTSIDE_LISTED]
            ]

        return {
            "reads": self.reads,
            "violations": self.count,
            "inTheLag": len(self.in_lag),
            "violationRequests": listed(self.violations),
            "inTheLagRequests": listed(self.in_lag),
        }


def read_your_writes(
    records: Iterable[RequestRecord],
    fault_start: float | None,
    lag_budget: float,
    fault_done: float | None = None,
) -> ReadYourWrites:
    """Counts the reads flagged as not showing the shopper's own acknowledged write (see
    `ReadYourWrites`); `fault_start` is when the injection began (None: no fault),
    `fault_done` when it was complete (a write acknowledged while the region was being
    frozen is in the lag as well; default: `fault_start`)."""
    ordered = sorted(records, key=lambda r: r.t)
    written: dict[tuple[int, str], RequestRecord] = {}  # (user, what) -> acknowledged write
    reads = 0
    violations: list[RequestRecord] = []
    in_lag: list[RequestRecord] = []
    for record in ordered:
        if record.outcome == "ok" and record.step == CART_WRITE and record.method == "PUT":
            written[(record.user, "cart")] = record
        elif record.outcome == "ok" and record.step == CHECKOUT and record.order_id:
            written[(record.user, record.order_id)] = record
        if record.step not in (CART_READ, ORDER_READ) or record.status not in (200, 404):
            continue
        reads += 1
        if not record.violation:
            continue
        what = "cart" if record.step == CART_READ else record.path.rsplit("/", 1)[-1]
        write = written.get((record.user, what))
        lagging = (
            fault_start is not None
            and write is not None
            and write.region is not None
            and write.region != record.region
            and fault_start - lag_budget <= write.end <= max(fault_start, fault_done or 0.0)
            and record.t >= fault_start
        )
        (in_lag if lagging else violations).append(record)
    return ReadYourWrites(reads, violations, in_lag)


@dataclass(frozen=True)
class AwsProjection:
    """What the deployed routing settings bound on AWS. Without client failover a shopper
    waits for Route 53: health-check interval x failure threshold to mark the region
    unhealthy, then the record's TTL for cached answers to expire (`router_rto`). With it, a
    request moves after the policy's first timeout: what bounds the client RTO there is that
    timeout plus one request on the surviving region."""

    health_interval: float
    failure_threshold: int
    ttl: float
    router_rto: float
    client_first_timeout: float

    def to_json(self) -> dict[str, Any]:
        return {
            "healthCheckIntervalSeconds": self.health_interval,
            "healthCheckFailureThreshold": self.failure_threshold,
            "dnsTtlSeconds": self.ttl,
            "rtoRouterSeconds": self.router_rto,
            "clientFirstTimeoutSeconds": self.client_first_timeout,
        }


def aws_projection(
    interval: float, threshold: int, ttl: float, first_timeout: float
) -> AwsProjection:
    """The router RTO budget on AWS from the deployed settings: interval x threshold + TTL."""
    return AwsProjection(interval, threshold, ttl, interval * threshold + ttl, first_timeout)


# -- latency per phase -------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..1); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return ordered[index]


@dataclass(frozen=True)
class Phase:
    """The requests sent in [start, end): how many, how many failed, and the latency of the
    successful ones (a timeout says nothing about how fast the system answers)."""

    name: str
    start: float
    end: float
    requests: int
    errors: int
    latencies: tuple[float, ...]

    def to_json(self) -> dict[str, Any]:
        ms = [v * 1000 for v in self.latencies]
        span = self.end - self.start

        def pct(q: float) -> float | None:
            value = percentile(ms, q)
            return None if value is None else round(value, 1)

        return {
            "fromSeconds": round(self.start, 3),
            "toSeconds": round(self.end, 3),
            "requests": self.requests,
            "errors": self.errors,
            "requestsPerSecond": round(self.requests / span, 2) if span > 0 else None,
            "latencyMs": {"p50": pct(0.5), "p95": pct(0.95), "p99": pct(0.99)},
        }


def phases(
    records: Iterable[RequestRecord], bounds: Sequence[tuple[str, float, float]]
) -> list[Phase]:
    """One `Phase` per (name, start, end), each request in the phase it was sent in."""
    every = list(records)
    found = []
    for name, start, end in bounds:
        sent = [r for r in every if start <= r.t < end]
        found.append(
            Phase(
                name=name,
                start=start,
                end=end,
                requests=len(sent),
                errors=sum(1 for r in sent if r.outcome != "ok"),
                latencies=tuple(r.latency for r in sent if r.outcome == "ok"),
            )
        )
    return found


# -- data loss ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Loss:
    """Acknowledged orders missing from a region's Orders table at one moment."""

    checked: int
    missing: list[Ack]
    reference: float | None

    @property
    def count(self) -> int:
        return len(self.missing)

    @property
    def first(self) -> float | None:
        return min((a.at for a in self.missing), default=None)

    @property
    def last(self) -> float | None:
        return max((a.at for a in self.missing), default=None)

    @property
    def window(self) -> float:
        """The time span the missing acknowledgements cover (first to last)."""
        if self.first is None or self.last is None:
            return 0.0
        return self.last - self.first

    @property
    def rpo(self) -> float:
        """Seconds of acknowledged writes lost: from the oldest missing acknowledgement to the
        fault (or to the newest missing one, when that came later). 0 when nothing is missing."""
        if self.first is None or self.last is None:
            return 0.0
        end = self.last if self.reference is None else max(self.reference, self.last)
        return end - self.first

    def to_json(self) -> dict[str, Any]:
        return {
            "acknowledgedChecked": self.checked,
            "missing": self.count,
            "rpoSeconds": round(self.rpo, 3),
            "windowSeconds": round(self.window, 3),
            "firstMissingAt": _round(self.first),
            "lastMissingAt": _round(self.last),
            "missingOrders": [
                {"orderId": a.order_id, "at": round(a.at, 3), "region": a.region}
                for a in self.missing[:50]
            ],
        }


def missing_orders(
    acks: Iterable[Ack],
    present: set[tuple[str, str]],
    until: float | None = None,
    reference: float | None = None,
) -> Loss:
    """Acknowledgements (up to `until`) whose (customer, order id) is not in `present`."""
    checked = [a for a in acks if until is None or a.at <= until]
    unique = {(a.customer, a.order_id): a for a in sorted(checked, key=lambda a: a.at)}
    missing = [a for key, a in unique.items() if key not in present]
    return Loss(len(unique), sorted(missing, key=lambda a: a.at), reference)


def order_keys(items: Iterable[Mapping[str, Any]]) -> set[tuple[str, str]]:
    return {(str(item[CUSTOMER]), str(item[ORDER])) for item in items}


# -- duplicates --------------------------------------------------------------------------


@dataclass(frozen=True)
class Duplicates:
    """Orders beyond the first per (customer, Idempotency-Key): in a table, or as the client
    saw them (one key answered with two different order ids)."""

    stored: dict[str, int]
    client: dict[str, int]

    @property
    def count(self) -> int:
        return sum(n - 1 for n in self.stored.values()) + sum(n - 1 for n in self.client.values())

    def to_json(self) -> dict[str, Any]:
        return {"count": self.count, "stored": self.stored, "clientSeen": self.client}


def duplicates(items: Iterable[Mapping[str, Any]], acks: Iterable[Ack]) -> Duplicates:
    stored = Counter(
        f"{item[CUSTOMER]}/{item.get('idempotencyKey', '?')}"
        for item in items
        if item.get("idempotencyKey") is not None
    )
    seen: dict[str, set[str]] = defaultdict(set)
    for ack in acks:
        seen[f"{ack.customer}/{ack.key}"].add(ack.order_id)
    return Duplicates(
        stored={k: n for k, n in stored.items() if n > 1},
        client={k: len(ids) for k, ids in seen.items() if len(ids) > 1},
    )


# -- leaderboard -------------------------------------------------------------------------


def leaderboard_truth(orders: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Copies sold per book, recomputed from an Orders table with the stream's own reading."""
    sold: Counter[str] = Counter()
    for item in orders:
        try:
            tally = tally_from_item(item)
        except ValueError:
            continue  # not an order (the stream handler skips these too)
        sold.update(tally.copies)
    return dict(sold)


@dataclass(frozen=True)
class BoardCheck:
    """One region's leaderboard against the truth from its own Orders table. `complete` is
    False when only the top entries could be read (AWS: through the API)."""

    region: str
    board: dict[str, int] | None
    truth: dict[str, int]
    complete: bool = True
    error: str = ""

    @property
    def differences(self) -> dict[str, tuple[int, int]]:
        if self.board is None:
            return {}
        books = set(self.board) | set(self.truth) if self.complete else set(self.board)
        diffs = {
            b: (self.board.get(b, 0), self.truth.get(b, 0))
            for b in sorted(books)
            if self.board.get(b, 0) != self.truth.get(b, 0)
        }
        if not self.complete and self.board:
            # A partial (top-N) board must still hold the truth's best sellers: nothing left
            # out may have sold more than the weakest entry shown.
            floor = min(self.board.values())
            for book, sold in self.truth.items():
                if book not in self.board and sold > floor:
                    diffs[book] = (0, sold)
        return diffs

    @property
    def ok(self) -> bool:
        return self.board is not None and not self.differences

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "complete": self.complete,
            "books": len(self.truth),
            "copiesTruth": sum(self.truth.values()),
            "copiesBoard": None if self.board is None else sum(self.board.values()),
            "differences": {b: {"board": x, "truth": y} for b, (x, y) in self.differences.items()},
            "error": self.error,
        }


# -- convergence -------------------------------------------------------------------------


def _canonical(item: Mapping[str, Any]) -> str:
    def default(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, set | frozenset):
            return sorted(default(v) if not isinstance(v, str) else v for v in value)
        if isinstance(value, bytes | bytearray):
            return value.hex()
        return str(value)

    return json.dumps(item, sort_keys=True, default=default)


@dataclass(frozen=True)
class TableDiff:
    table: str
    only_a: list[str]
    only_b: list[str]
    different: list[str]
    items_a: int
    items_b: int
    # Both versions of a few differing items, so a report shows what diverged, not only where.
    examples: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.only_a) + len(self.only_b) + len(self.different)

    def to_json(self, a: str, b: str) -> dict[str, Any]:
        return {
            "items": {a: self.items_a, b: self.items_b},
            "differing": self.count,
            f"only{a}": self.only_a[:20],
            f"only{b}": self.only_b[:20],
            "different": self.different[:20],
            "examples": {
                k: {a: json.loads(x), b: json.loads(y)} for k, (x, y) in self.examples.items()
            },
        }


def table_diff(
    table: str,
    items_a: Iterable[Mapping[str, Any]],
    items_b: Iterable[Mapping[str, Any]],
    key_names: Sequence[str],
) -> TableDiff:
    """Items of one table that differ between two regions, by primary key."""

    def index(items: Iterable[Mapping[str, Any]]) -> dict[str, str]:
        return {"/".join(str(i[k]) for k in key_names): _canonical(i) for i in items}

    a, b = index(items_a), index(items_b)
    different = sorted(k for k in set(a) & set(b) if a[k] != b[k])
    return TableDiff(
        table=table,
        only_a=sorted(set(a) - set(b)),
        only_b=sorted(set(b) - set(a)),
        different=different,
        items_a=len(a),
        items_b=len(b),
        examples={k: (a[k], b[k]) for k in different[:3]},
    )


def _outside_line(window: ErrorWindow, fault_at: float | None) -> str:
    """One line: how many failures lay outside the window, and when the first few came
    (seconds after the fault; negative: before it)."""
    origin = fault_at if fault_at is not None else window.start

    def when(record: RequestRecord) -> str:
        status = "no answer" if record.status is None else str(record.status)
        # Rounded as report.json rounds secondsAfterFault, so the two never disagree.
        return f"{round(record.t - origin, 3):+.1f} s ({record.step} {status})"

    shown = ", ".join(when(r) for r in window.outside[:5])
    more = f" and {len(window.outside) - 5} more" if len(window.outside) > 5 else ""
    end = "never" if window.end is None else f"{window.end - origin:+.1f} s"
    return (
        f"{len(window.outside)} failed requests outside the failover window"
        f" ({window.start - origin:+.1f} s to {end} after the fault): at {shown}{more}"
    )


# -- gates -------------------------------------------------------------------------------


@dataclass
class Gates:
    """The drill's pass/fail rules; `failures` holds one line per missed target."""

    max_rto: float | None = None
    max_rpo: float | None = None
    max_client_rto: float | None = None
    failures: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def evaluate(
    gates: Gates,
    *,
    fault_expects_recovery: bool,
    recovery_result: Recovery | None,
    failover_loss: Loss | None,
    final_loss: Loss,
    dup: Duplicates,
    boards: Sequence[BoardCheck],
    table_diffs: Sequence[TableDiff],
    blog_posts_lost: int | None = None,
    fault_failures: Sequence[str] = (),
    errors_window: ErrorWindow | None = None,
    fault_at: float | None = None,
    client_recovery: Recovery | None = None,
    reads: ReadYourWrites | None = None,
) -> list[str]:
    """Every missed target as one line. Missing orders after recovery, duplicates, a wrong
    leaderboard and regions that never converge always fail; RTO and RPO fail only against
    the targets given."""
    failures: list[str] = []
    if gates.max_rto is not None and fault_expects_recovery:
        rto = recovery_result.rto if recovery_result else None
        if rto is None:
            failures.append(
                f"RTO: no {recovery_result.k if recovery_result else DEFAULT_K} consecutive "
                f"successful checkouts after the fault (target {gates.max_rto:g} s)"
            )
        elif rto > gates.max_rto:
            failures.append(f"RTO {rto:.1f} s exceeds the target {gates.max_rto:g} s")
    if (
        gates.max_rpo is not None
        and failover_loss is not None
        and failover_loss.count
        and failover_loss.rpo > gates.max_rpo
    ):
        failures.append(
            f"RPO {failover_loss.rpo:.2f} s ({failover_loss.count} acknowledged orders "
            f"missing at failover) exceeds the target {gates.max_rpo:g} s"
        )
    if final_loss.count:
        failures.append(
            f"{final_loss.count} acknowledged orders still missing after recovery (must be 0)"
        )
    if dup.count:
        failures.append(f"{dup.count} duplicate orders per Idempotency-Key (must be 0)")
    for board in boards:
        if not board.ok:
            why = board.error or f"{len(board.differences)} books differ"
            failures.append(f"leaderboard of {board.region} disagrees with its Orders: {why}")
    for diff in table_diffs:
        if diff.count:
            failures.append(
                f"{diff.count} items of {diff.table} differ between the regions after convergence"
            )
    if blog_posts_lost:
        failures.append(f"{blog_posts_lost} blog posts lost")
    failures += fault_failures  # what the fault's own plan checked
    if errors_window is not None and errors_window.outside:
        failures.append(_outside_line(errors_window, fault_at))
    max_client_rto = gates.max_client_rto
    if max_client_rto is not None and client_recovery is not None and fault_expects_recovery:
        if client_recovery.rto is None:
            failures.append(
                f"client RTO: no {client_recovery.k} consecutive successful checkouts of the"
                f" policy shoppers after the fault (target {max_client_rto:g} s)"
            )
        elif client_recovery.rto > max_client_rto:
            failures.append(
                f"client RTO {client_recovery.rto:.1f} s exceeds the target {max_client_rto:g} s"
            )
    if reads is not None and reads.count:
        failures.append(
            f"{reads.count} read-your-writes violations (must be 0): first at"
            f" {reads.violations[0].t:.1f} s, {reads.violations[0].violation}"
        )
    gates.failures = failures
    return failures
