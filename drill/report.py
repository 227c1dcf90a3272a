"""The drill's report: `report.json` (every figure), `report.md` (for people), `timeline.svg`
(requests per second by region and outcome, with the fault, detection, recovery, restore and
convergence marked) and `requests.csv` (every request, for a closer look).

The SVG is written by hand: a few rectangles and lines need no plotting library.
"""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from drill.load import think_range
from drill.measure import percentile
from drill.model import RequestRecord
from drill.runner import REQUIREMENT_SECONDS, ClientFigures, Result

__all__ = ["percentile", "timeline_svg", "to_json", "to_markdown", "write_report"]


def _r(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def to_json(outcome: Result) -> dict[str, Any]:
    o = outcome.options
    events = outcome.events
    fault = events.fault_at
    return {
        "drill": {
            "id": outcome.run_id,
            "startedAt": outcome.started_utc,
            "target": o.target,
            "fault": o.fault,
            "region": outcome.failed_region,
            "survivor": outcome.survivor,
            "servingBefore": outcome.serving_before,
            "users": o.users,
            "durationSeconds": o.duration,
            "thinkSeconds": [round(v, 3) for v in think_range(o.think)],
            "k": o.k,
            "errorGraceSeconds": o.error_grace,
            "client": o.client,
            "naiveUsers": o.kinds().count("naive") if o.client == "policy" else 0,
        },
        "environment": outcome.environment,
        "result": "pass" if outcome.passed else "fail",
        "failures": outcome.gates.failures,
        "gates": {
            "maxRtoSeconds": o.max_rto,
            "maxRpoSeconds": o.max_rpo,
            "maxClientRtoSeconds": outcome.gates.max_client_rto,
        },
        **_headline(outcome),
        "clients": {
            kind: _client_json(figures, fault) for kind, figures in outcome.by_client.items()
        },
        "awsProjection": outcome.projection.to_json() if outcome.projection else None,
        "requirement": {"rtoSeconds": REQUIREMENT_SECONDS, "rpoSeconds": REQUIREMENT_SECONDS},
        "events": {
            "faultAt": _r(fault),
            "restoreAt": _r(events.restore_at),
            "restoredAt": _r(events.restored_at),
            "loadStoppedAt": _r(events.load_stopped_at),
            "convergedAt": _r(events.converged_at),
            **{k: _r(v) for k, v in events.extra.items()},
        },
        "fault": outcome.fault_facts.to_json(),
        "detection": outcome.detection.to_json() if outcome.detection else None,
        "recovery": outcome.recovery.to_json(),
        "errors": {
            **outcome.errors.to_json(fault),
            "failoverWindow": outcome.error_window.to_json(fault),
        },
        "rpo": {
            "atFailover": None
            if outcome.failover_loss is None
            else {"moment": outcome.failover_moment, **outcome.failover_loss.to_json()},
            "afterRecovery": outcome.final_loss.to_json(),
        },
        "duplicates": outcome.duplicates.to_json(),
        "leaderboards": {b.region: b.to_json() for b in outcome.boards},
        "convergence": {
            "converged": outcome.converged,
            "secondsAfterLoadStopped": None
            if events.converged_at is None or events.load_stopped_at is None
            else round(events.converged_at - events.load_stopped_at, 3),
            "tables": {
                d.table: d.to_json(outcome.regions[0], outcome.regions[1])
                for d in outcome.table_diffs
            }
            if len(outcome.regions) == 2
            else {},
        },
        "cacheLoss": outcome.cache.to_json() if outcome.cache else None,
        "blog": outcome.blog.to_json() if outcome.blog else None,
        "load": _load_json(outcome),
        "notes": outcome.notes,
    }


def _headline(outcome: Result) -> dict[str, Any]:
    """The figures that tell client failover from router failover, side by side: the router
    RTO from the naive shoppers, the client RTO from the policy ones, and for the gated
    shoppers the read-your-writes violations and the failures outside the failover window
    (None: no shopper of that kind, or never recovered)."""
    naive = outcome.by_client.get("naive")
    policy = outcome.by_client.get("policy")
    gated = outcome.by_client.get(outcome.options.gated)
    return {
        "rtoRouterSeconds": None if naive is None else _r(naive.recovery.rto),
        "rtoClientSeconds": None if policy is None else _r(policy.recovery.rto),
        "readYourWritesViolations": None if gated is None else gated.reads.count,
        "errorsOutsideWindow": None if gated is None else len(gated.window.outside),
    }


def _client_json(figures: ClientFigures, fault: float | None) -> dict[str, Any]:
    return {
        "users": figures.users,
        "requests": figures.requests,
        "errors": figures.errors,
        "movedToAnotherRegion": figures.moved,
        "recovery": figures.recovery.to_json(),
        "errorsOutsideWindow": len(figures.window.outside),
        "failoverWindow": figures.window.to_json(fault),
        "readYourWrites": figures.reads.to_json(fault),
    }


def _load_json(outcome: Result) -> dict[str, Any]:
    by_region: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for record in outcome.records:
        by_region[record.region or "none"][record.outcome] += 1
    latencies = [r.latency * 1000 for r in outcome.records if r.outcome == "ok"]
    checkouts = [r for r in outcome.records if r.step == "checkout"]
    return {
        "signInSeconds": round(outcome.sign_in_seconds, 3),
        "journeys": outcome.journeys,
        "requests": len(outcome.records),
        "ordersAcknowledged": len(outcome.acks),
        "checkoutAttempts": len(checkouts),
        "byRegion": {k: dict(v) for k, v in sorted(by_region.items())},
        "latencyMs": {
            "p50": _r(percentile(latencies, 0.5), 1),
            "p95": _r(percentile(latencies, 0.95), 1),
            "p99": _r(percentile(latencies, 0.99), 1),
        },
        # Sent before the fault, while it was held, after the restore (ok requests' latency).
        "phases": {p.name: p.to_json() for p in outcome.phases},
    }


def _fmt(value: Any, unit: str = " s") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.2f}{unit}"
    return f"{value}{unit}"


def _loads(values: list[float] | None) -> str:
    return "n/a" if not values else "/".join(f"{v:.2f}" for v in values)


def to_markdown(report: dict[str, Any]) -> str:
    lines = [
        *_summary_lines(report),
        *_figures_lines(report),
        *_clients_lines(report),
        *_detection_lines(report),
        *_errors_lines(report),
        *_integrity_lines(report),
        *_fault_lines(report),
        *_load_lines(report),
    ]
    if report["notes"]:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in report["notes"]]
    return "\n".join(lines) + "\n"


def _summary_lines(report: dict[str, Any]) -> list[str]:
    d = report["drill"]
    think = d["thinkSeconds"]
    env = report.get("environment") or {}
    return [
        f"# Failover drill {d['id']}: {d['fault']} on {d['target']}"
        + (f" ({d['region']})" if d["region"] else ""),
        "",
        f"**Result: {report['result'].upper()}**"
        + ("" if not report["failures"] else " - " + "; ".join(report["failures"])),
        "",
        f"{d['users']} users, {d['durationSeconds']:g} s of load, started {d['startedAt']};"
        f" fault at {_fmt(report['events']['faultAt'])}, restored at"
        f" {_fmt(report['events']['restoredAt'])} (drill clock); think time"
        f" {think[0]:g}-{think[1]:g} s between a user's steps.",
        "",
        f"Machine: {env.get('cpus', '?')} CPUs, {env.get('platform', '?')}, load average"
        f" (1/5/15 min) {_loads(env.get('loadAverageAtStart'))} when the load started,"
        f" {_loads(env.get('loadAverageAtEnd'))} when it stopped.",
        "",
    ]


def _figures_lines(report: dict[str, Any]) -> list[str]:
    rec = report["recovery"]
    det = report["detection"] or {}
    err = report["errors"]
    rpo = report["rpo"]
    at_failover = rpo["atFailover"]
    window = err["failoverWindow"]
    return [
        "| figure | measured | target | requirement |",
        "|---|---|---|---|",
        f"| detection | {_fmt(det.get('seconds'))} | - | - |",
        f"| RTO (fault to the first of {rec['k']} consecutive good checkouts)"
        f" | {_fmt(rec['rtoSeconds'])} (confirmed {_fmt(rec['confirmedSeconds'])})"
        f" | {_fmt(report['gates']['maxRtoSeconds'])} | {report['requirement']['rtoSeconds']} s |",
        "| RPO at failover (seconds of acknowledged orders missing) | "
        + (
            f"{_fmt(at_failover['rpoSeconds'])} ({at_failover['missing']} orders, at"
            f" {at_failover['moment']})"
            if at_failover
            else "n/a"
        )
        + f" | {_fmt(report['gates']['maxRpoSeconds'])}"
        f" | {report['requirement']['rpoSeconds']} s |",
        f"| acknowledged orders missing after recovery | {rpo['afterRecovery']['missing']} of"
        f" {rpo['afterRecovery']['acknowledgedChecked']} | 0 | 0 |",
        f"| duplicate orders per Idempotency-Key | {report['duplicates']['count']} | 0 | 0 |",
        f"| client-visible errors | {err['count']} of {err['requests']} requests"
        f" over {_fmt(err['windowSeconds'])} | - | - |",
        f"| failed requests outside the failover window | {window['outside']}"
        f" ({window['inside']} inside) | 0 | - |",
        f"| convergence after the load | {_fmt(report['convergence']['secondsAfterLoadStopped'])}"
        f" ({'converged' if report['convergence']['converged'] else 'NOT converged'}) | - | - |",
    ]


def _clients_lines(report: dict[str, Any]) -> list[str]:
    clients = report.get("clients") or {}
    if not clients:
        return []
    projection = report.get("awsProjection") or {}
    gated = report["drill"]["client"]

    def cell(kind: str, key: str) -> str:
        figures = clients.get(kind)
        return "-" if figures is None else str(figures[key])

    def rto(kind: str) -> str:
        figures = clients.get(kind)
        return "-" if figures is None else _fmt(figures["recovery"]["rtoSeconds"])

    def reads(kind: str) -> str:
        figures = clients.get(kind)
        if figures is None:
            return "-"
        ryw = figures["readYourWrites"]
        return f"{ryw['violations']} of {ryw['reads']} reads ({ryw['inTheLag']} in the lag)"

    lines = [
        "",
        "## Router failover and client failover",
        "",
        f"Gated: the {gated} shoppers. Naive shoppers use the routed endpoint only; policy"
        " shoppers use the web app's client failover (safe requests move to the other region's"
        " own endpoint after the first timeout or a 502/503/504, and stay there).",
        "",
        "| figure | naive shoppers (router) | policy shoppers (client) | AWS projection |",
        "|---|---|---|---|",
        f"| shoppers | {cell('naive', 'users')} | {cell('policy', 'users')} | - |",
        f"| RTO | {rto('naive')} | {rto('policy')}"
        f" (target {_fmt(report['gates'].get('maxClientRtoSeconds'))})"
        f" | router {_fmt(projection.get('rtoRouterSeconds'))}"
        f" = {projection.get('healthCheckIntervalSeconds')} s x"
        f" {projection.get('healthCheckFailureThreshold')} + {projection.get('dnsTtlSeconds')}"
        f" s TTL; client: {_fmt(projection.get('clientFirstTimeoutSeconds'))} first timeout"
        " + one request on the survivor |",
        f"| read-your-writes violations | {reads('naive')} | {reads('policy')} | - |",
        f"| failed requests outside the window | {cell('naive', 'errorsOutsideWindow')}"
        f" | {cell('policy', 'errorsOutsideWindow')} | - |",
        f"| failed requests | {cell('naive', 'errors')} of {cell('naive', 'requests')}"
        f" | {cell('policy', 'errors')} of {cell('policy', 'requests')} | - |",
        f"| requests moved to another region | - | {cell('policy', 'movedToAnotherRegion')} | - |",
    ]
    for kind, figures in clients.items():
        for read in figures["readYourWrites"]["violationRequests"]:
            lines.append(
                f"- {kind} READ-YOUR-WRITES: sent at {read['t']:.2f} s"
                f" ({_fmt(read['secondsAfterFault'])} after the fault), {read['step']}"
                f" via {read['region']}: {read['violation']}"
            )
    return lines


def _detection_lines(report: dict[str, Any]) -> list[str]:
    det = report["detection"] or {}
    return [
        "",
        "## Detection",
        "",
        f"- health flip of the failed region: {_fmt(det.get('healthFlipSeconds'))}",
        f"- front door switched serving region: {_fmt(det.get('servingSwitchSeconds'))}",
        f"- first request answered by the other region: "
        f"{_fmt(det.get('firstServedElsewhereSeconds'))}",
        *(
            ["- the failed region was ALREADY unhealthy at the fault (flapping health checks)"]
            if det.get("alreadyUnhealthyAtFault")
            else []
        ),
    ]


def _errors_lines(report: dict[str, Any]) -> list[str]:
    rec = report["recovery"]
    err = report["errors"]
    window = err["failoverWindow"]
    return [
        "",
        "## Errors users saw",
        "",
        f"- by step: {json.dumps(err['byStep'])}; by status: {json.dumps(err['byStatus'])}",
        f"- failed checkout attempts after the fault: {rec['failedCheckoutsAfterFault']}"
        " (every one retried with its Idempotency-Key)",
        f"- failover window: from {_fmt(window['startsAt'])} (the fault) to"
        f" {_fmt(window['endsAt'])} (service back at {_fmt(window['serviceBackAt'])},"
        f" the later of RTO and detection, + {window['graceSeconds']:g} s grace):"
        f" {window['inside']} failed requests inside, {window['outside']} outside;"
        f" {window.get('cartWritesInTheLag', 0)} checkouts refused because the shopper's last"
        " cart write, acknowledged by the failed region just before the fault, had not"
        " replicated yet (the cart's RPO; the drill puts the line back and retries)",
        *[
            f"  - OUTSIDE: sent at {o['t']:.2f} s ({_fmt(o['secondsAfterFault'])} after the"
            f" fault), {o['step']}, {o['status'] or 'no answer'}"
            + (f" via {o['region']}" if o["region"] else "")
            + (f": {o['error']}" if o["error"] else "")
            for o in window["outsideRequests"]
        ],
    ]


def _integrity_lines(report: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "## Integrity",
        "",
        "| region | leaderboard vs Orders | books | copies (truth) | copies (board) |",
        "|---|---|---|---|---|",
    ]
    for region, board in report["leaderboards"].items():
        verdict = "equal" if board["ok"] else f"DIFFERS ({len(board['differences'])} books)"
        if board["error"]:
            verdict = f"unreadable: {board['error']}"
        lines.append(
            f"| {region} | {verdict}{'' if board['complete'] else ' (top-N view)'} |"
            f" {board['books']} | {board['copiesTruth']} | {board['copiesBoard']} |"
        )
    lines += ["", "| table | items per region | differing items |", "|---|---|---|"]
    for table, diff in report["convergence"]["tables"].items():
        counts = ", ".join(f"{r} {n}" for r, n in diff["items"].items())
        lines.append(f"| {table} | {counts} | {diff['differing']} |")
    return lines


def _fault_lines(report: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    if report["cacheLoss"]:
        cache = report["cacheLoss"]
        lines += [
            "",
            "## Cache loss",
            "",
            f"- Redis of {cache['region']} emptied; the leaderboard was rebuilt from Orders"
            f" {_fmt(cache.get('rebuiltSeconds'))} after the fault ({cache['probes']} probes).",
        ]
    if report["blog"]:
        blog = report["blog"]
        lines += [
            "",
            "## Blog",
            "",
            f"- posts before {blog['postsBefore']}, after {blog['postsAfter']},"
            f" lost {blog['postsLost']}; replica promoted {_fmt(blog['promotedSeconds'])}"
            " after the fault",
        ]
    return lines


def _load_lines(report: dict[str, Any]) -> list[str]:
    load = report["load"]
    return [
        "",
        "## Load",
        "",
        f"- {load['requests']} requests in {load['journeys']} journeys,"
        f" {load['ordersAcknowledged']} orders acknowledged,"
        f" latency p50 {load['latencyMs']['p50']} ms, p95 {load['latencyMs']['p95']} ms,"
        f" p99 {load['latencyMs']['p99']} ms",
        f"- answered by region: {json.dumps(load['byRegion'])}",
        "",
        "| phase (by when a request was sent) | seconds | requests | per second | errors"
        " | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|---|---|",
        *[
            f"| {name} | {p['fromSeconds']:.1f}-{p['toSeconds']:.1f} | {p['requests']}"
            f" | {p['requestsPerSecond']} | {p['errors']} | {p['latencyMs']['p50']}"
            f" | {p['latencyMs']['p95']} | {p['latencyMs']['p99']} |"
            for name, p in load["phases"].items()
        ],
        "",
        "![timeline](timeline.svg)",
    ]


COLOURS = {
    "ok-0": "#2f6fb3",
    "ok-1": "#3a9d5d",
    "ok-other": "#7f8c8d",
    "error": "#d64541",
    "no-answer": "#2c2c2c",
}


@dataclass(frozen=True)
class _Chart:
    """The timeline's geometry: seconds on the x axis, requests per second stacked on y."""

    seconds: int
    end: float
    peak: int
    width: int = 960
    height: int = 430
    left: float = 60.0
    right: float = 20.0
    top: float = 100.0
    chart_h: float = 240.0

    @property
    def step(self) -> float:
        return (self.width - self.left - self.right) / self.seconds

    @property
    def base(self) -> float:
        return self.top + self.chart_h

    @property
    def band_y(self) -> float:
        return self.base + 24

    def x(self, t: float) -> float:
        return self.left + t * self.step


def timeline_svg(
    records: list[RequestRecord],
    regions: list[str],
    marks: dict[str, float | None],
    serving: list[tuple[float, str | None]],
    duration: float,
) -> str:
    """Stacked bars per second: successes by answering region, errors, no answers; a band of
    the serving region underneath; vertical lines for the drill's events."""
    end = max([duration] + [r.end for r in records] + [v for v in marks.values() if v])
    buckets = _buckets(records, regions)
    chart = _Chart(
        seconds=max(1, math.ceil(end)),
        end=end,
        peak=max([sum(b.values()) for b in buckets.values()] + [1]),
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{chart.width}" height="{chart.height}"'
        f' viewBox="0 0 {chart.width} {chart.height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{chart.width}" height="{chart.height}" fill="white"/>',
        f'<text x="{chart.left}" y="18" font-size="13">requests per second by answering region'
        " and outcome</text>",
        *_bars(chart, buckets, regions),
        *_axes(chart),
        *_serving_band(chart, serving, regions),
        *_marks(chart, marks),
        *_legend(chart, regions),
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


def _buckets(records: list[RequestRecord], regions: list[str]) -> dict[int, dict[str, int]]:
    buckets: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for record in records:
        bucket = buckets[int(record.t)]
        if record.outcome == "ok":
            if record.region in regions:
                bucket[f"ok-{regions.index(record.region)}"] += 1
            else:
                bucket["ok-other"] += 1
        else:
            bucket[record.outcome] += 1
    return buckets


def _bars(chart: _Chart, buckets: dict[int, dict[str, int]], regions: list[str]) -> list[str]:
    parts = []
    order = [f"ok-{i}" for i in range(len(regions))] + ["ok-other", "error", "no-answer"]
    for second, counts in sorted(buckets.items()):
        y = chart.base
        for kind in order:
            n = counts.get(kind, 0)
            if not n:
                continue
            h = chart.chart_h * n / chart.peak
            y -= h
            parts.append(
                f'<rect x="{chart.x(second):.1f}" y="{y:.1f}"'
                f' width="{max(chart.step - 1, 1):.1f}" height="{h:.1f}"'
                f' fill="{COLOURS[kind]}"><title>{second}s {kind}: {n}</title></rect>'
            )
    return parts


def _axes(chart: _Chart) -> list[str]:
    left, top, base = chart.left, chart.top, chart.base
    parts = [
        f'<line x1="{left}" y1="{base}" x2="{chart.width - chart.right}" y2="{base}"'
        ' stroke="#333"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" stroke="#333"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{chart.peak}</text>',
        f'<text x="{left - 6}" y="{base}" text-anchor="end">0</text>',
    ]
    tick = 5 if chart.seconds <= 60 else (10 if chart.seconds <= 180 else 60)
    for second in range(0, chart.seconds + 1, tick):
        parts.append(
            f'<text x="{chart.x(second):.1f}" y="{base + 14}" text-anchor="middle">{second}s</text>'
        )
    return parts


def _serving_band(
    chart: _Chart, serving: list[tuple[float, str | None]], regions: list[str]
) -> list[str]:
    band_y = chart.band_y
    parts = [f'<text x="{chart.left - 6}" y="{band_y + 10}" text-anchor="end">serving</text>']
    for i, (since, region) in enumerate(serving):
        until = serving[i + 1][0] if i + 1 < len(serving) else chart.end
        colour = COLOURS[f"ok-{regions.index(region)}"] if region in regions else COLOURS["error"]
        parts.append(
            f'<rect x="{chart.x(since):.1f}" y="{band_y}"'
            f' width="{max(chart.x(until) - chart.x(since), 0.5):.1f}"'
            f' height="12" fill="{colour}" opacity="0.7"/>'
        )
    return parts


MARK_STYLE = {
    "fault": "#d64541",
    "detection": "#e67e22",
    "recovery (RTO)": "#27ae60",
    "restore": "#8e44ad",
    "converged": "#34495e",
}


def _marks(chart: _Chart, marks: dict[str, float | None]) -> list[str]:
    parts = []
    for n, (name, at) in enumerate(marks.items()):
        if at is None:
            continue
        colour = MARK_STYLE.get(name, "#555")
        x = chart.x(at)
        parts.append(
            f'<line x1="{x:.1f}" y1="{38 + 13 * n}" x2="{x:.1f}" y2="{chart.band_y + 12}"'
            f' stroke="{colour}" stroke-width="2" stroke-dasharray="5,3"/>'
        )
        # Labels sit in a band above the bars, one row each, so none hides a bar or another.
        anchor, dx = ("end", -3) if x > chart.width - 160 else ("start", 3)
        parts.append(
            f'<text x="{x + dx:.1f}" y="{34 + 13 * n}" fill="{colour}"'
            f' text-anchor="{anchor}">{escape(name)} {at:.1f}s</text>'
        )
    return parts


def _legend(chart: _Chart, regions: list[str]) -> list[str]:
    legend_y = chart.height - 20
    entries = [(f"ok-{i}", f"ok via {r}") for i, r in enumerate(regions)] + [
        ("error", "error"),
        ("no-answer", "no answer"),
    ]
    parts = []
    lx = chart.left
    for kind, label in entries:
        parts.append(
            f'<rect x="{lx}" y="{legend_y - 9}" width="10" height="10" fill="{COLOURS[kind]}"/>'
        )
        parts.append(f'<text x="{lx + 14}" y="{legend_y}">{escape(label)}</text>')
        lx += 24 + 7 * len(label)
    parts.append(
        f'<text x="{lx + 10}" y="{legend_y}" fill="#555">serving band: the front door\'s'
        " region; red: none healthy</text>"
    )
    return parts


def write_report(outcome: Result, out_dir: Path) -> Path:
    """Writes the report files into `out_dir/<UTC timestamp>/`; returns that directory."""
    directory = out_dir / outcome.run_id
    suffix = 1
    while directory.exists():
        suffix += 1
        directory = out_dir / f"{outcome.run_id}-{suffix}"
    directory.mkdir(parents=True)
    report = to_json(outcome)
    (directory / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (directory / "report.md").write_text(to_markdown(report))
    fault = outcome.events.fault_at
    rto = outcome.recovery.rto
    detection = outcome.detection.seconds if outcome.detection else None
    marks = {
        "fault": fault,
        "detection": None if fault is None or detection is None else fault + detection,
        "recovery (RTO)": None if fault is None or rto is None else fault + rto,
        "restore": outcome.events.restored_at,
        "converged": outcome.events.converged_at,
    }
    serving: list[tuple[float, str | None]] = []
    for sample in outcome.samples:
        if not serving or serving[-1][1] != sample.serving:
            serving.append((sample.t, sample.serving))
    (directory / "timeline.svg").write_text(
        timeline_svg(outcome.records, outcome.regions, marks, serving, outcome.options.duration)
    )
    with (directory / "requests.csv").open("w", newline="") as handle:
        fields = list(RequestRecord.__dataclass_fields__)
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for record in sorted(outcome.records, key=lambda r: r.t):
            writer.writerow(record.to_json())
    return directory
