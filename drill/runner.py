"""One drill, start to end: sign users in, drive load, inject the fault, restore, wait for the
regions to converge, measure, and hand the figures to the report.

Phases on the drill's clock (t = 0 when the load starts), for `--duration S`:
  warm-up  [0, fault_at)          steady load, the baseline
  fault    [fault_at, restore_at) the fault held while the load keeps going
  recovery [restore_at, S)        the fault undone, the load still going
  converge after S                no load; wait (bounded) until both regions agree
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
from drill.load import (
    Recorder,
    Session,
    User,
    http_call,
    run_users,
    sign_up_and_in,
    think_range,
)
from drill.model import Ack, Events, RequestRecord, Sample
from drill.target import BlogView, DrillError, Monitor, Target

CONVERGE_TIMEOUT_SECONDS = 60.0
SIGN_IN_TIMEOUT_SECONDS = 180.0
REQUIREMENT_SECONDS = 15 * 60  # the business requirement: RTO and RPO under 15 minutes


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
    fault_facts: dict[str, Any] = field(default_factory=dict)
    blog: dict[str, Any] | None = None
    cache: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    environment: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.gates.failures


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


def choose_region(target: Target, options: Options, blog: dict[str, BlogView]) -> str | None:
    regions = list(target.regions)
    if options.region is not None:
        if options.region not in regions:
            raise DrillError(f"unknown region {options.region!r}; the target has {regions}")
        if options.fault == "partition":
            raise DrillError("--region does not apply to a partition (both regions keep serving)")
        return options.region
    if options.fault == "partition":
        return None
    if options.fault == "blog-primary-loss":
        return next(r for r, view in blog.items() if view.db_role == "primary")
    # By default the fault hits the region that serves the users: the case that matters.
    return target.serving_region() or regions[0]


def run_drill(target: Target, options: Options, out: TextIO | None = None) -> Result:
    progress = Progress(out or sys.stdout)
    run_id = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    started_utc = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    fault_at, restore_at = options.schedule()
    notes: list[str] = []
    if options.fault not in target.faults:
        # Refuse before anyone signs in or anything is touched.
        raise DrillError(
            f"fault {options.fault!r} is not available on {target.name}"
            f" (available: {', '.join(target.faults)})"
        )

    blog_views: dict[str, BlogView] = {}
    if options.fault == "blog-primary-loss":
        blog_views = target.blog()
        if not any(view.db_role == "primary" for view in blog_views.values()):
            raise DrillError(
                "blog tier not running: the target reports no blog with a primary database"
            )
    failed = choose_region(target, options, blog_views)
    serving_before = target.serving_region()
    others = [r for r in target.regions if r != (failed or serving_before)]
    survivor = others[0] if others else None

    progress.line(
        f"drill {options.fault} on {target.name}"
        + (f" ({failed})" if failed else "")
        + f": {options.users} users, {options.duration:g} s, fault at {fault_at:g} s,"
        f" restore at {restore_at:g} s"
    )
    started = time.monotonic()
    sessions = sign_in_all(target, options.users, uuid.uuid4().hex[:8])
    sign_in_seconds = time.monotonic() - started
    progress.line(f"{len(sessions)} users signed in ({sign_in_seconds:.1f} s)")

    blog_before: set[str] | None = None
    if options.fault == "blog-primary-loss" and failed is not None:
        blog_before = target.blog_posts(failed)

    environment = machine()
    recorder = Recorder()
    clock = recorder.now
    events = Events()
    monitor = Monitor(target, clock)
    stop = threading.Event()
    users: list[User] = []
    fault_facts: dict[str, Any] = {}
    failover_present: set[tuple[str, str]] | None = None
    failover_at: float | None = None
    failover_moment: str | None = None
    cache: dict[str, Any] | None = None
    blog_promoted_at: float | None = None
    injected = restored = False
    try:
        monitor.start()
        users = run_users(
            sessions,
            target.api,
            recorder,
            stop,
            options.duration,
            options.seed,
            think_range(options.think),
        )
        next_probe = 0.0
        while (now := clock()) < options.duration:
            if not injected and now >= fault_at:
                events.extra["injectStartedAt"] = now
                fault_facts = target.inject(options.fault, failed or "")
                injected = True
                events.fault_at = events.fault_injected_at = clock()
                progress.line(f"[{events.fault_at:6.1f}s] fault injected: {options.fault}")
                if options.fault == "cache-loss":
                    cache = {"region": failed, "rebuiltAt": None, "probes": 0}
            if injected and not restored and events.fault_at is not None:
                latest = monitor.latest()
                if (
                    failover_present is None
                    and options.fault in ("region-outage", "blog-primary-loss")
                    and latest is not None
                    and latest.t >= events.fault_at
                    and failed is not None
                    and (latest.healthy.get(failed) is False or latest.serving != failed)
                    and survivor is not None
                ):
                    # The moment of failover: what has the survivor got of what we were told?
                    failover_present = _orders_in(target, survivor, notes)
                    if failover_present is not None:
                        failover_at, failover_moment = clock(), "detection"
                        progress.line(f"[{failover_at:6.1f}s] failover detected; survivor read")
                if cache is not None and now >= next_probe and failed is not None:
                    next_probe = now + 1.0
                    _probe_cache(target, failed, cache, clock, recorder)
                if options.fault == "blog-primary-loss" and blog_promoted_at is None and survivor:
                    with contextlib.suppress(Exception):
                        view = target.blog().get(survivor)
                        if view is not None and view.db_role == "primary":
                            blog_promoted_at = clock()
            if injected and not restored and now >= restore_at:
                if failover_present is None and options.fault == "partition" and survivor:
                    # A partition's exposure: what the other region lacks when it heals.
                    failover_present = _orders_in(target, survivor, notes)
                    failover_at, failover_moment = clock(), "heal"
                if failover_present is None and options.fault == "region-outage" and survivor:
                    failover_present = _orders_in(target, survivor, notes)
                    failover_at, failover_moment = clock(), "restore (no detection seen)"
                events.restore_at = clock()
                target.restore(options.fault, failed or "")
                restored = True
                events.restored_at = clock()
                progress.line(f"[{events.restored_at:6.1f}s] restored")
            progress.show(now, _progress_text(now, options, recorder, monitor.latest()))
            time.sleep(0.2)
    finally:
        stop.set()
        if injected and not restored:
            # Ctrl-C or an error mid-fault: never leave the system broken.
            with contextlib.suppress(Exception):
                target.restore(options.fault, failed or "")
                events.restored_at = clock()
        for user in users:
            user.join(timeout=15)
        monitor.stop_event.set()
        monitor.join(timeout=5)
    events.load_stopped_at = clock()
    environment["loadAverageAtEnd"] = _load_average()
    records, acks = recorder.snapshot()
    progress.line(
        f"[{events.load_stopped_at:6.1f}s] load stopped: {len(records)} requests,"
        f" {len(acks)} orders acknowledged; waiting for convergence"
    )

    # -- convergence ---------------------------------------------------------------------
    deadline = time.monotonic() + options.converge_timeout
    check: Integrity | None = None
    unreadable = ""
    while True:
        if cache is not None and cache["rebuiltAt"] is None and failed is not None:
            _probe_cache(target, failed, cache, clock, recorder)
        try:
            check = _check_integrity(target, acks)
        except Exception as exc:  # a region still not answering: keep trying until the deadline
            unreadable = f"{type(exc).__name__}: {exc}"
        else:
            if check.ok:
                events.converged_at = clock()
                break
        if time.monotonic() > deadline:
            break
        time.sleep(1.0)
    if check is None:
        raise DrillError(f"the regions' data could not be read after the drill: {unreadable}")
    progress.line(
        "converged" if check.ok else f"not converged after {options.converge_timeout:g} s"
    )

    fault_time = events.fault_at if events.fault_at is not None else fault_at
    detection = None
    if failed is not None:
        # Also for a cache loss: a flip there is a side effect worth seeing.
        detection = measure.detect(monitor.snapshot(), records, fault_time, failed)
    failover_loss = None
    if failover_present is not None:
        failover_loss = measure.missing_orders(
            acks,
            failover_present,
            until=failover_at,
            reference=fault_time if failover_moment != "heal" else failover_at,
        )
    recovery = measure.recovery(records, fault_time, options.k)
    errors = measure.client_errors(records)
    window = measure.error_window(
        records,
        events.extra.get("injectStartedAt", fault_time),
        fault_time,
        recovery,
        detection,
        options.error_grace,
        # A cart write may be missing from the survivor for as long as the RPO allows.
        options.max_rpo if options.max_rpo is not None else measure.DEFAULT_LAG_BUDGET,
    )
    restored_time = events.restored_at if events.restored_at is not None else restore_at
    phases = measure.phases(
        records,
        [
            ("before", 0.0, fault_time),
            ("during", fault_time, restored_time),
            ("after", restored_time, max(restored_time, events.load_stopped_at)),
        ],
    )

    blog: dict[str, Any] | None = None
    if options.fault == "blog-primary-loss":
        after = target.blog_posts(survivor) if survivor else None
        lost = None if blog_before is None or after is None else len(blog_before - after)
        blog = {
            "primaryBefore": failed,
            "postsBefore": None if blog_before is None else len(blog_before),
            "postsAfter": None if after is None else len(after),
            "postsLost": lost,
            "promotedSeconds": None
            if blog_promoted_at is None
            else round(blog_promoted_at - fault_time, 3),
        }
        if lost is None:
            notes.append("blog posts could not be counted (the blog's REST API did not answer)")
    if cache is not None:
        if cache.get("rebuiltAt") is not None:
            cache["rebuiltSeconds"] = round(cache["rebuiltAt"] - fault_time, 3)
        else:
            notes.append("the flushed leaderboard was not seen rebuilt")

    gates = measure.Gates(max_rto=options.max_rto, max_rpo=options.max_rpo)
    measure.evaluate(
        gates,
        fault_expects_recovery=True,
        recovery_result=recovery,
        failover_loss=failover_loss,
        final_loss=check.final_loss,
        dup=check.duplicates,
        boards=check.boards,
        table_diffs=check.table_diffs,
        blog_posts_lost=blog.get("postsLost") if blog else None,
        errors_window=window,
        fault_at=fault_time,
    )
    if cache is not None and cache.get("rebuiltAt") is None:
        gates.failures.append(f"the leaderboard of {failed} was not rebuilt after the cache loss")
    journeys = sum(user.journeys for user in users)
    return Result(
        options=options,
        run_id=run_id,
        started_utc=started_utc,
        regions=list(target.regions),
        failed_region=failed,
        survivor=survivor,
        serving_before=serving_before,
        events=events,
        records=records,
        acks=acks,
        samples=monitor.snapshot(),
        sign_in_seconds=sign_in_seconds,
        journeys=journeys,
        detection=detection,
        recovery=recovery,
        errors=errors,
        error_window=window,
        phases=phases,
        failover_loss=failover_loss,
        failover_moment=failover_moment,
        final_loss=check.final_loss,
        duplicates=check.duplicates,
        boards=check.boards,
        table_diffs=check.table_diffs,
        converged=check.ok,
        gates=gates,
        fault_facts=fault_facts,
        blog=blog,
        cache=cache,
        notes=notes,
        environment=environment,
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


def _orders_in(target: Target, region: str, notes: list[str]) -> set[tuple[str, str]] | None:
    """The (customer, order id) keys in a region's Orders table; None (and a note) when the
    region cannot be read right now, so the caller tries again rather than aborting."""
    try:
        return measure.order_keys(target.scan(region, ORDERS))
    except Exception as exc:
        notes.append(f"reading the Orders of {region} failed: {type(exc).__name__}")
        return None


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


def _probe_cache(
    target: Target, region: str, cache: dict[str, Any], clock: Any, recorder: Recorder
) -> None:
    """Ask the flushed region for its best sellers (the route rebuilds a lost board) and note
    when the board is built again."""
    started = clock()
    reply = http_call(target.regional_api(region), "GET", "/bestsellers")
    cache["probes"] = int(cache.get("probes", 0)) + 1
    recorder.add(
        RequestRecord(
            t=started, latency=clock() - started, user=0, step="probe", method="GET",
            path="/bestsellers", status=reply.status, region=reply.region,
            outcome="ok" if reply.status == 200 else ("no-answer" if reply.status is None
                                                        else "error"),
            error=reply.error,
        )
    )  # fmt: skip
    if cache.get("rebuiltAt") is None:
        board = target.board(region)
        if board.built and reply.status == 200:
            cache["rebuiltAt"] = clock()


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
