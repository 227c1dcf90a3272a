"""One drill, start to end: sign users in, drive load, inject the fault, restore, wait for the
regions to converge, measure, and hand the figures to the report.

Phases on the drill's clock (t = 0 when the load starts), for `--duration S`:
  warm-up  [0, fault_at)          steady load, the baseline
  fault    [fault_at, restore_at) the fault held while the load keeps going
  recovery [restore_at, S)        the fault undone, the load still going
  converge after S                no load; wait (bounded) until both regions agree

What is particular to a fault (the region it hits, how it is caused and undone, what is
watched while it is held, what it adds to the gates) is its plan in `drill.faults`; this
module is the same for every fault.
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, TextIO

from bookstore.tables import ORDERS, TABLES
from drill import measure
from drill.client import ClientKind, Policy, PolicyError, load_policy
from drill.faults import FaultPlan, plan_for
from drill.faults.base import Run
from drill.load import Recorder, Session, User, run_users, sign_up_and_in, think_range
from drill.model import Ack, BlogFigures, CacheFigures, Events, FaultFacts, RequestRecord, Sample
from drill.target import DrillError, Monitor, Target

CONVERGE_TIMEOUT_SECONDS = 60.0
SIGN_IN_TIMEOUT_SECONDS = 180.0
REQUIREMENT_SECONDS = 15 * 60  # the business requirement: RTO and RPO under 15 minutes
DEFAULT_NAIVE_USERS = 2
DEFAULT_MAX_CLIENT_RTO = 3.0


@dataclass(frozen=True)
class Options:
    target: str
    fault: str
    region: str | None
    users: int
    duration: float
    max_rto: float | None
    max_rpo: float | None
    k: int = measure.DEFAULT_K
    fault_at: float | None = None
    hold: float | None = None
    converge_timeout: float = CONVERGE_TIMEOUT_SECONDS
    seed: int = 0
    # Mean pause between a user's steps (None: 50-200 ms); see `drill.load.think_range`.
    think: float | None = None
    error_grace: float = measure.DEFAULT_ERROR_GRACE
    # How the shoppers' requests travel (`drill.client`): `policy` shoppers plus
    # `naive_users` naive probes (so one run measures both RTOs), or every shopper `naive`.
    client: ClientKind = "policy"
    naive_users: int = DEFAULT_NAIVE_USERS
    max_client_rto: float | None = DEFAULT_MAX_CLIENT_RTO

    def kinds(self) -> list[ClientKind]:
        """The client of each shopper, in sign-in order."""
        naive: list[ClientKind] = ["naive"]
        if self.client == "naive":
            return naive * self.users
        policy: list[ClientKind] = ["policy"]
        return policy * self.users + naive * self.naive_users

    @property
    def gated(self) -> ClientKind:
        """The shoppers the gates judge: the policy ones, unless every shopper is naive."""
        return self.client

    def schedule(self) -> tuple[float, float]:
        """(fault_at, restore_at) on the drill clock: by default the fault comes after a
        quarter of the run and is held for 35% of it, leaving the rest for recovery."""
        fault_at = self.fault_at if self.fault_at is not None else max(3.0, 0.25 * self.duration)
        hold = self.hold if self.hold is not None else 0.35 * self.duration
        restore_at = min(fault_at + hold, self.duration)
        if fault_at >= self.duration:
            raise DrillError(f"the fault at {fault_at:g} s would come after the load ends")
        return fault_at, restore_at


@dataclass
class Result:
    """Everything measured; `report.py` renders it."""

    options: Options
    run_id: str
    started_utc: str
    regions: list[str]
    failed_region: str | None
    survivor: str | None
    serving_before: str | None
    events: Events
    records: list[RequestRecord]
    acks: list[Ack]
    samples: list[Sample]
    sign_in_seconds: float
    journeys: int
    detection: measure.Detection | None
    recovery: measure.Recovery
    errors: measure.Errors
    error_window: measure.ErrorWindow
    phases: list[measure.Phase]
    failover_loss: measure.Loss | None
    failover_moment: str | None
    final_loss: measure.Loss
    duplicates: measure.Duplicates
    boards: list[measure.BoardCheck]
    table_diffs: list[measure.TableDiff]
    converged: bool
    gates: measure.Gates
    # Per client kind ("policy", "naive") present in the run: its checkouts' recovery, its
    # failures against the failover window, its read-your-writes check.
    by_client: dict[str, ClientFigures] = field(default_factory=dict)
    projection: measure.AwsProjection | None = None
    fault_facts: FaultFacts = field(default_factory=FaultFacts)
    blog: BlogFigures | None = None
    cache: CacheFigures | None = None
    notes: list[str] = field(default_factory=list)
    environment: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.gates.failures


@dataclass(frozen=True)
class ClientFigures:
    """One kind of shopper's figures: recovery (router RTO for naive shoppers, client RTO for
    policy ones), failures outside the failover window, read-your-writes."""

    users: int
    requests: int
    errors: int
    moved: int
    recovery: measure.Recovery
    window: measure.ErrorWindow
    reads: measure.ReadYourWrites


class Progress:
    """One updating line on a terminal, a line every few seconds otherwise (CI logs)."""

    def __init__(self, out: TextIO, every: float = 5.0) -> None:
        self.out = out
        self.tty = out.isatty()
        self.every = every
        self.last = -1e9

    def show(self, t: float, text: str, force: bool = False) -> None:
        if self.tty:
            self.out.write("\r" + text.ljust(110)[:150])
            self.out.flush()
        elif force or t - self.last >= self.every:
            self.out.write(text + "\n")
            self.out.flush()
            self.last = t

    def line(self, text: str) -> None:
        if self.tty:
            self.out.write("\r" + " " * 110 + "\r")
        self.out.write(text + "\n")
        self.out.flush()


SIGN_IN_ATTEMPTS = 3
SIGN_IN_PARALLEL = 4


def sign_in_all(target: Target, count: int, run_id: str) -> list[Session]:
    """Sign every user up and in before the load starts: during an outage of the primary new
    sign-ins fail (one user pool, in the primary), existing sessions keep working. A few at a
    time, each retried under a fresh name (a timed-out sign-up may or may not have happened)."""
    sessions: list[Session | None] = [None] * count
    failures: list[str] = []
    slots = threading.Semaphore(SIGN_IN_PARALLEL)

    def one(i: int) -> None:
        with slots:
            for attempt in range(SIGN_IN_ATTEMPTS):
                name = f"drill-{run_id}-{i + 1}" + (f"-{attempt}" if attempt else "")
                try:
                    sessions[i] = sign_up_and_in(
                        target.cognito(), f"{name}@example.com", target.confirm_user
                    )
                    return
                except Exception as exc:
                    if attempt == SIGN_IN_ATTEMPTS - 1:
                        failures.append(str(exc))
                    time.sleep(1.0 + attempt)

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(count)]
    deadline = time.monotonic() + SIGN_IN_TIMEOUT_SECONDS
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.1, deadline - time.monotonic()))
    done = [s for s in sessions if s is not None]
    if len(done) < count:
        reason = failures[0] if failures else "timed out"
        raise DrillError(f"{count - len(done)} of {count} users could not sign in: {reason}")
    return done


def prepare(target: Target, options: Options) -> tuple[FaultPlan, str | None]:
    """The plan and the region it hits; refuses (DrillError) before anything is touched."""
    plan = plan_for(options.fault)
    if target.faults is not None and options.fault not in target.faults:
        raise DrillError(
            f"fault {options.fault!r} is not available on {target.name}"
            f" (available: {', '.join(target.faults)})"
        )
    plan.check_ready(target)
    regions = list(target.regions)
    if options.region is not None and options.region not in regions:
        raise DrillError(f"unknown region {options.region!r}; the target has {regions}")
    return plan, plan.pick_region(target, options.region)


def run_drill(target: Target, options: Options, out: TextIO | None = None) -> Result:
    """The phases, in order: warm-up, fault, recovery (`_load_phases`), converge."""
    progress = Progress(out or sys.stdout)
    run_id = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    started_utc = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    fault_at, restore_at = options.schedule()
    plan, failed = prepare(target, options)
    serving_before = target.serving_region()
    others = [r for r in target.regions if r != (failed or serving_before)]
    progress.line(
        f"drill {options.fault} on {target.name}"
        + (f" ({failed})" if failed else "")
        + f": {options.users} users, {options.duration:g} s, fault at {fault_at:g} s,"
        f" restore at {restore_at:g} s"
    )
    try:
        policy = load_policy()
    except PolicyError as exc:
        raise DrillError(str(exc)) from None
    started = time.monotonic()
    sessions = sign_in_all(target, len(options.kinds()), uuid.uuid4().hex[:8])
    sign_in_seconds = time.monotonic() - started
    naive = options.kinds().count("naive")
    progress.line(
        f"{len(sessions)} users signed in ({sign_in_seconds:.1f} s)"
        + (f"; {naive} of them naive (routed endpoint only)" if naive else "")
    )

    plan.before_load(target, failed)
    environment = machine()
    recorder = Recorder()  # the drill's clock starts here, just before the load
    run = Run(
        target=target,
        region=failed,
        survivor=others[0] if others else None,
        clock=recorder.now,
        recorder=recorder,
        monitor=Monitor(target, recorder.now),
        events=Events(),
        notes=[],
        say=progress.line,
    )
    users = _load_phases(run, plan, options, sessions, progress, policy)
    environment["loadAverageAtEnd"] = _load_average()
    records, acks = recorder.snapshot()
    progress.line(
        f"[{run.events.load_stopped_at:6.1f}s] load stopped: {len(records)} requests,"
        f" {len(acks)} orders acknowledged; waiting for convergence"
    )
    check = _converge(run, plan, acks, options.converge_timeout, progress)
    return _result(
        run,
        plan,
        options,
        check,
        Drilled(
            run_id=run_id,
            started_utc=started_utc,
            serving_before=serving_before,
            sign_in_seconds=sign_in_seconds,
            journeys=sum(user.journeys for user in users),
            environment=environment,
            policy=policy,
        ),
    )


def _load_phases(
    run: Run,
    plan: FaultPlan,
    options: Options,
    sessions: list[Session],
    progress: Progress,
    policy: Policy | None = None,
) -> list[User]:
    """Warm-up, fault, recovery: the load runs throughout; the fault is injected at
    `fault_at`, held (the plan watching) and restored at `restore_at`."""
    fault_at, restore_at = options.schedule()
    clock, events = run.clock, run.events
    stop = threading.Event()
    users: list[User] = []
    phase = "warm-up"
    try:
        run.monitor.start()
        users = run_users(
            sessions,
            run.target.api,
            run.recorder,
            stop,
            options.duration,
            options.seed,
            think_range(options.think),
            options.kinds(),
            {region: run.target.regional_api(region) for region in run.target.regions},
            policy,
        )
        while (now := clock()) < options.duration:
            if phase == "warm-up" and now >= fault_at:
                events.extra["injectStartedAt"] = now
                run.facts = plan.inject(run.target, run.region)
                phase = "fault"
                events.fault_at = events.fault_injected_at = clock()
                progress.line(f"[{events.fault_at:6.1f}s] fault injected: {options.fault}")
            if phase == "fault":
                plan.while_held(run, now)
                if now >= restore_at:
                    plan.before_restore(run)
                    events.restore_at = clock()
                    plan.restore(run.target, run.region)
                    phase = "recovery"
                    events.restored_at = clock()
                    progress.line(f"[{events.restored_at:6.1f}s] restored")
            progress.show(now, _progress_text(now, options, run.recorder, run.monitor.latest()))
            time.sleep(0.2)
    finally:
        stop.set()
        if phase == "fault":
            # Ctrl-C or an error mid-fault: never leave the system broken.
            with contextlib.suppress(Exception):
                plan.restore(run.target, run.region)
                events.restored_at = clock()
        for user in users:
            user.join(timeout=15)
        run.monitor.stop_event.set()
        run.monitor.join(timeout=5)
    events.load_stopped_at = clock()
    return users


def _converge(
    run: Run, plan: FaultPlan, acks: list[Ack], timeout: float, progress: Progress
) -> Integrity:
    """No load: wait (bounded) until both regions agree."""
    deadline = time.monotonic() + timeout
    check: Integrity | None = None
    unreadable = ""
    while True:
        plan.converging(run)
        try:
            check = _check_integrity(run.target, acks)
        except Exception as exc:  # a region still not answering: keep trying until the deadline
            unreadable = f"{type(exc).__name__}: {exc}"
        else:
            if check.ok:
                run.events.converged_at = run.clock()
                break
        if time.monotonic() > deadline:
            break
        time.sleep(1.0)
    if check is None:
        raise DrillError(f"the regions' data could not be read after the drill: {unreadable}")
    progress.line("converged" if check.ok else f"not converged after {timeout:g} s")
    return check


@dataclass(frozen=True)
class Drilled:
    """Facts of the run that the measurement passes through to the result unchanged."""

    run_id: str
    started_utc: str
    serving_before: str | None
    sign_in_seconds: float
    journeys: int
    environment: dict[str, Any]
    policy: Policy | None = None


def _result(
    run: Run, plan: FaultPlan, options: Options, check: Integrity, drilled: Drilled
) -> Result:
    """The figures from what was recorded, and the gates over them."""
    events = run.events
    records, acks = run.recorder.snapshot()
    samples = run.monitor.snapshot()
    fault_at, restore_at = options.schedule()
    fault_time = events.fault_at if events.fault_at is not None else fault_at
    # Also for a cache loss: a flip there is a side effect worth seeing.
    detection = (
        None if run.region is None else measure.detect(samples, records, fault_time, run.region)
    )
    findings = plan.findings(run, fault_time)
    failover = findings.failover
    failover_loss = None if failover is None else failover.loss(acks, fault_time)
    inject_started = events.extra.get("injectStartedAt", fault_time)
    by_client = _by_client(records, options, inject_started, fault_time, detection)
    # The existing figures (RTO, the failover window) are those of the gated shoppers.
    gated = by_client[options.gated]
    recovery, window = gated.recovery, gated.window
    restored_time = events.restored_at if events.restored_at is not None else restore_at
    phases = measure.phases(
        records,
        [
            ("before", 0.0, fault_time),
            ("during", fault_time, restored_time),
            ("after", restored_time, max(restored_time, events.load_stopped_at or 0.0)),
        ],
    )
    gates = _gates(options, gated, check, findings.failures, failover_loss, fault_time)
    return Result(
        options=options,
        run_id=drilled.run_id,
        started_utc=drilled.started_utc,
        regions=list(run.target.regions),
        failed_region=run.region,
        survivor=run.survivor,
        serving_before=drilled.serving_before,
        events=events,
        records=records,
        acks=acks,
        samples=samples,
        sign_in_seconds=drilled.sign_in_seconds,
        journeys=drilled.journeys,
        detection=detection,
        recovery=recovery,
        errors=measure.client_errors(records),
        error_window=window,
        phases=phases,
        failover_loss=failover_loss,
        failover_moment=None if failover is None else failover.moment,
        final_loss=check.final_loss,
        duplicates=check.duplicates,
        boards=check.boards,
        table_diffs=check.table_diffs,
        converged=check.ok,
        gates=gates,
        fault_facts=run.facts,
        blog=findings.blog,
        cache=findings.cache,
        notes=run.notes,
        environment=drilled.environment,
        by_client=by_client,
        projection=aws_projection(drilled.policy),
    )


def _by_client(
    records: list[RequestRecord],
    options: Options,
    inject_started: float,
    fault_time: float,
    detection: measure.Detection | None,
) -> dict[str, ClientFigures]:
    """The figures of each kind of shopper, over the requests that kind sent."""
    # A cart write may be missing from the survivor for as long as the RPO allows.
    lag_budget = options.max_rpo if options.max_rpo is not None else measure.DEFAULT_LAG_BUDGET
    kinds = options.kinds()
    by_client: dict[str, ClientFigures] = {}
    for kind in dict.fromkeys(kinds):
        sent = measure.of_client(records, kind)
        kind_recovery = measure.recovery(sent, fault_time, options.k)
        by_client[kind] = ClientFigures(
            users=kinds.count(kind),
            requests=len(sent),
            errors=sum(1 for r in sent if r.outcome != "ok"),
            moved=sum(1 for r in sent if r.moved_from is not None),
            recovery=kind_recovery,
            window=measure.error_window(
                sent, inject_started, fault_time, kind_recovery, detection,
                options.error_grace, lag_budget,
            ),
            reads=measure.read_your_writes(sent, inject_started, lag_budget, fault_time),
        )  # fmt: skip
    return by_client


def _gates(
    options: Options,
    gated: ClientFigures,
    check: Integrity,
    fault_failures: list[str],
    failover_loss: measure.Loss | None,
    fault_time: float,
) -> measure.Gates:
    """The gates over the gated shoppers' figures and the data's integrity, evaluated."""
    policy_gated = options.gated == "policy"
    gates = measure.Gates(
        max_rto=options.max_rto,
        max_rpo=options.max_rpo,
        max_client_rto=options.max_client_rto if policy_gated else None,
    )
    measure.evaluate(
        gates, fault_expects_recovery=True, recovery_result=gated.recovery,
        failover_loss=failover_loss, final_loss=check.final_loss, dup=check.duplicates,
        boards=check.boards, table_diffs=check.table_diffs, fault_failures=fault_failures,
        errors_window=gated.window, fault_at=fault_time,
        client_recovery=gated.recovery if policy_gated else None,
        reads=gated.reads if policy_gated else None,
    )  # fmt: skip
    return gates


def aws_projection(policy: Policy | None) -> measure.AwsProjection:
    """The AWS figures from the settings the Pulumi program deploys (imported here only: the
    routing component pulls in the Pulumi SDK)."""
    from components.failover_routing import (
        ALIAS_TTL_SECONDS,
        HEALTH_CHECK_FAILURE_THRESHOLD,
        HEALTH_CHECK_INTERVAL_SECONDS,
    )

    return measure.aws_projection(
        HEALTH_CHECK_INTERVAL_SECONDS,
        HEALTH_CHECK_FAILURE_THRESHOLD,
        ALIAS_TTL_SECONDS,
        policy.first_timeout if policy is not None else load_policy().first_timeout,
    )


def _load_average() -> list[float] | None:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def machine() -> dict[str, Any]:
    """Where the load ran: the figures mean little without the machine and how busy it was
    (the 1, 5 and 15 minute load averages when the load started and when it stopped)."""
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(terse=True),
        "python": platform.python_version(),
        "loadAverageAtStart": _load_average(),
    }


@dataclass(frozen=True)
class Integrity:
    final_loss: measure.Loss
    duplicates: measure.Duplicates
    boards: list[measure.BoardCheck]
    table_diffs: list[measure.TableDiff]

    @property
    def ok(self) -> bool:
        return (
            not self.final_loss.count
            and not self.duplicates.count
            and all(b.ok for b in self.boards)
            and not any(d.count for d in self.table_diffs)
        )


def _check_integrity(target: Target, acks: list[Ack]) -> Integrity:
    """Both regions: every acknowledged order present, no duplicates, leaderboards equal to the
    truth of their own Orders, every table identical between the regions."""
    regions = list(target.regions)
    items = {r: {t.logical_name: target.scan(r, t) for t in TABLES} for r in regions}
    missing: list[Ack] = []
    checked = 0
    for region in regions:
        loss = measure.missing_orders(acks, measure.order_keys(items[region][ORDERS.logical_name]))
        checked = loss.checked
        missing += [a for a in loss.missing if a not in missing]
    final = measure.Loss(checked, sorted(missing, key=lambda a: a.at), None)
    # The same order in two regions is one order: count duplicates per region.
    dups = [measure.duplicates(items[r][ORDERS.logical_name], acks) for r in regions]
    duplicates = measure.Duplicates(
        stored={k: n for d in dups for k, n in d.stored.items()},
        client=dups[0].client if dups else {},
    )
    boards = []
    for region in regions:
        truth = measure.leaderboard_truth(items[region][ORDERS.logical_name])
        view = target.board(region)
        boards.append(
            measure.BoardCheck(region, view.sold, truth, complete=view.complete, error=view.error)
        )
    diffs = [
        measure.table_diff(
            t.logical_name, items[regions[0]][t.logical_name], items[regions[1]][t.logical_name],
            t.key_names(),
        )
        for t in TABLES
    ] if len(regions) == 2 else []  # fmt: skip
    return Integrity(final, duplicates, boards, diffs)


def _progress_text(now: float, options: Options, recorder: Recorder, sample: Sample | None) -> str:
    records, acks = recorder.snapshot()
    recent = [r for r in records if r.t >= now - 2]
    errors = sum(1 for r in records if r.outcome != "ok")
    recent_errors = sum(1 for r in recent if r.outcome != "ok")
    serving = sample.serving if sample else "?"
    regions = {r.region for r in recent if r.region}
    return (
        f"[{now:6.1f}s/{options.duration:g}s] requests {len(records)} errors {errors}"
        f" (last 2 s: {recent_errors}) orders {len(acks)} serving {serving}"
        f" answered by {','.join(sorted(regions)) or '-'}"
    )
