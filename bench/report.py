"""bench/RESULTS.md from the results: one table per section, the machine, what ratios mean."""

from __future__ import annotations

from typing import Any


def _row(*cells: Any) -> str:
    return "| " + " | ".join("-" if c is None else str(c) for c in cells) + " |"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    return [_row(*header), _row(*(["---"] * len(header))), *(_row(*r) for r in rows)]


def _not_ok(section: dict[str, Any]) -> list[str] | None:
    if section.get("status") == "ok":
        return None
    return [f"**{section.get('status', '?')}**: {section.get('reason', 'no reason recorded')}"]


def _ms(value: Any) -> str:
    return "-" if value is None else f"{float(value):.1f}"


def _x(value: Any) -> str:
    return "-" if value is None else f"{float(value):.2f}x"


def cold_start(s: dict[str, Any]) -> list[str]:
    lines = _not_ok(s)
    if lines:
        return lines
    base = s["baseline"]
    rows = [
        [
            "`import boto3` (baseline)",
            _ms(base["medianImportMs"]),
            "-",
            _ms(base["medianInProcessMs"]),
            _ms(base["medianProcessWallMs"]),
            "1.00x",
            "",
            "",
        ]
    ]
    floor = s.get("floor")
    references = (
        ("floor", "floor: boto3 client + one GetItem, no framework"),
        ("floorWithPydantic", "floor + pydantic (import, one model validated)"),
        ("floorWithPowertools", "floor + Powertools router and Logger, no validation"),
    )
    for key, label in references:
        ref = s.get(key)
        if ref:
            rows.append(
                [
                    label,
                    _ms(ref["medianImportMs"]),
                    _ms(ref["medianFirstInvokeMs"]),
                    _ms(ref["medianInProcessMs"]),
                    _ms(ref["medianProcessWallMs"]),
                    f"{_x(ref['ratio'])} (wall {_x(ref['ratioProcessWall'])})",
                    _x(ref.get("ratioToFloor", 1.0)),
                    "",
                ]
            )
    for name, label in (
        ("api", "API handler, GET /books/{id}"),
        ("stream", "stream handler, 1 INSERT"),
    ):
        sub = s[name]
        rows.append(
            [
                label,
                _ms(sub["medianImportMs"]),
                _ms(sub["medianFirstInvokeMs"]),
                _ms(sub["medianInProcessMs"]),
                _ms(sub["medianProcessWallMs"]),
                f"{_x(sub['ratio'])} (wall {_x(sub['ratioProcessWall'])})",
                _x(sub.get("ratioToFloor")) if floor else "",
                f"**{sub['target']}** (<= {s['targetRatio']}x)",
            ]
        )
    out = [
        f"Median of {s['repeats']} fresh processes each, interleaved (baseline, floor, floor"
        " + pydantic, floor + Powertools, api, stream per round). API and floors against a"
        " moto server, stream against a real Redis, all on 127.0.0.1.",
        "",
        *_table(
            [
                "process",
                "import ms",
                "first invoke ms",
                "in-process ms",
                "whole process ms",
                "ratio to baseline",
                "ratio to floor",
                "target",
            ],
            rows,
        ),
        "",
        "*Ratio* = the subject's median in-process time (first import to the end of the first"
        " invocation) / the same for `import boto3` alone; *wall* compares whole processes"
        " (spawn to exit, interpreter start-up included in both). The *floor* is what any"
        " handler reading DynamoDB pays (boto3, a client, one request); *ratio to floor* is"
        " then the cost of our code and its libraries (Powertools, pydantic) on top. *Floor +"
        " pydantic* adds the least use of pydantic (import, one model, one validation): a"
        " floor for any handler that validates with pydantic, as Powertools' validation does."
        " *Floor + Powertools* serves the same GetItem through Powertools' HTTP API router"
        " under its Logger, without validation: a floor for any handler Powertools routes.",
    ]
    imports = s.get("importSet") or {}
    if imports:
        blocked = ", ".join(f"`{b}`" for b in imports.get("blockedImports", [])) or "none"
        out += [
            "",
            f"Import set: {imports.get('what')}. Optional imports refused that way: {blocked}."
            " This machine runs CPython " + str(s.get("python", "3.11")) + " on x86_64; Lambda"
            " runs the bundle on Python 3.12, arm64, so absolute times differ there.",
        ]
    profile = s.get("importProfile")
    if profile:
        out += [
            "",
            "Target missed, so: `python -X importtime` (one run each, start-up imports left"
            " out), self time summed per top-level package: the biggest import costs. No Lambda"
            " code was changed by the bench.",
            "",
        ]
        modules = [m for m in ("api", "stream", "boto3") if m in profile]
        for module in modules:
            p = profile[module]
            top = ", ".join(f"`{e['package']}` {e['ms']}" for e in p["topPackagesSelfMs"][:10])
            slow = ", ".join(f"`{e['module']}` {e['ms']}" for e in p["topModulesSelfMs"][:6])
            out.append(
                f"- `import {module}` ({p['totalImportMs']} ms in all): by package (ms) {top};"
                f" slowest single modules (ms) {slow}"
            )
    return out


def artifacts(s: dict[str, Any]) -> list[str]:
    lines = _not_ok(s)
    if lines:
        return lines
    rows = []
    for name, a in s["artifacts"].items():
        if a.get("missing"):
            rows.append([name, a["file"], "missing", "", "", ""])
            continue
        rows.append(
            [
                name,
                a["file"],
                f"{a['zippedMiB']} MiB",
                f"{a['unzippedMiB']} MiB",
                a["files"],
                ", ".join(a.get("handlers", [])),
            ]
        )
    first: dict[str, Any] = next(iter(s["artifacts"].values()), {})
    big: list[dict[str, Any]] = first.get("largestTopLevelUnzipped", [])
    when = f"in this run ({s.get('buildSeconds')} s)" if s.get("builtThisRun") else "earlier"
    out = _table(["artifact", "file", "zipped", "unzipped", "files", "handlers"], rows)
    out += [
        "",
        f"Built {when} at {s.get('builtAt')}. Lambda's limits: 50 MiB zipped, 250 MiB unzipped.",
    ]
    if big:
        out.append(
            "Largest entries unzipped: "
            + ", ".join(f"`{e['entry']}` {e['bytes'] / 2**20:.1f} MiB" for e in big[:6])
        )
    return out


def warm(s: dict[str, Any]) -> list[str]:
    lines = _not_ok(s)
    if lines:
        return lines
    base = s["baseline"]
    rows = [["baseline: boto3 GetItem", base["n"], _ms(base["p50"]), _ms(base["p99"]), "1.00x"]]
    for route, f in s["routes"].items():
        rows.append(
            [f"`{route}`", f["n"], _ms(f["p50"]), _ms(f["p99"]), _x(f["ratioP50ToGetItem"])]
        )
    return [
        f"{s['rounds']} rounds, every route once per round, in-process over moto (`mock_aws`)"
        " and fakeredis.",
        "",
        *_table(["route", "n", "p50 ms", "p99 ms", "p50 / GetItem p50"], rows),
        "",
        s["what"],
    ]


def end_to_end(s: dict[str, Any]) -> list[str]:
    lines = _not_ok(s)
    if lines:
        return lines
    rows = []
    for step, f in s["steps"].items():
        if "error" in f:
            rows.append([step, f["error"], "", "", "", "", "", ""])
            continue
        rows.append(
            [
                step,
                _ms(f["frontDoor"]["p50"]),
                _ms(f["frontDoor"]["p99"]),
                _ms(f["gateway"]["p50"]),
                _ms(f["gateway"]["p99"]),
                _x(f["frontDoorOverGatewayP50"]),
                _x(f["frontDoorOverGatewayP99"]),
                _x(f["gatewayOverGetItemP50"]),
            ]
        )
    g = s["motoGetItem"]
    rows.append(["bare moto GetItem", "", "", _ms(g["p50"]), _ms(g["p99"]), "", "", "1.00x"])
    return [
        f"{s['rounds']} rounds against the serving region ({s['region']}); {s['load']}."
        f" Errors: {s['errors'] or 'none'}.",
        "",
        *_table(
            [
                "step",
                "front door p50 ms",
                "front door p99 ms",
                "gateway p50 ms",
                "gateway p99 ms",
                "door/gateway p50",
                "door/gateway p99",
                "gateway/GetItem p50",
            ],
            rows,
        ),
        "",
        s["what"],
    ]


def replication(s: dict[str, Any]) -> list[str]:
    lines = _not_ok(s)
    if lines:
        return lines
    rows = [
        [f"replication lag {k}", v["n"], _ms(v["p50"]), _ms(v["p99"]), _ms(v["max"])]
        for k, v in s["replicationLag"].items()
    ]
    rows += [
        [f"order → leaderboard ({k})", v["n"], _ms(v["p50"]), _ms(v["p99"]), _ms(v["max"])]
        for k, v in s["orderToLeaderboard"].items()
    ]
    return [
        *_table(["measure", "n", "p50 ms", "p99 ms", "max ms"], rows),
        "",
        f"Timeouts: replication {s['timeouts'] or 'none'}, leaderboard"
        f" {s['orderToLeaderboardTimeouts']}; failed checkouts (not measured):"
        f" {s.get('checkoutFailures') or 'none'}. {s['what']}",
    ]


def pulumi(s: dict[str, Any]) -> list[str]:
    lines = _not_ok(s)
    if lines:
        return lines
    rows = [
        [f"`{n}`", f["resources"], f"{f['firstSeconds']:.2f}", f["warmMedianSeconds"]]
        for n, f in s["stacks"].items()
    ]
    return [
        f"{s['rounds']} round(s) in a child process; imports took {s['importSeconds']} s first.",
        "",
        *_table(["stack", "resources", "first run s", "warm median s"], rows),
        "",
        s["what"] + ".",
    ]


def web(s: dict[str, Any]) -> list[str]:
    lines = _not_ok(s)
    if lines:
        return lines
    out = _table(
        ["asset", "raw KB", "gzip KB"],
        [
            ["all JS", f"{s['jsBytes'] / 1024:.1f}", f"{s['jsGzipBytes'] / 1024:.1f}"],
            ["all CSS", f"{s['cssBytes'] / 1024:.1f}", f"{s['cssGzipBytes'] / 1024:.1f}"],
            [
                f"initial JS (budget {s['budgetKB']} KB gzip)",
                "",
                f"{s['initialJsGzipBytes'] / 1024:.1f}"
                f" ({s['initialJsShareOfBudget']:.0%} of budget)",
            ],
        ],
    )
    out += ["", f"`{s['dist']}` as built at {s['builtAt']} ({s['what']})."]
    fcp = s.get("fcp") or {"status": "skipped", "reason": "not measured"}
    if fcp.get("status") == "ok":
        out += [
            "",
            *_table(
                [
                    "first contentful paint",
                    "runs",
                    "median ms",
                    "min ms",
                    "max ms",
                    "load event median ms",
                ],
                [
                    [
                        fcp["url"],
                        fcp["runs"],
                        fcp["medianFcpMs"],
                        fcp["minFcpMs"],
                        fcp["maxFcpMs"],
                        fcp["medianLoadEventMs"],
                    ]
                ],
            ),
            "",
            f"Headless Chromium, {fcp['what']}.",
        ]
    else:
        out += ["", f"First contentful paint: **{fcp.get('status')}**: {fcp.get('reason')}"]
    return out


def drill(s: dict[str, Any]) -> list[str]:
    lines = _not_ok(s)
    if lines:
        return lines
    d = s.get("drill") or {}
    req = s.get("requirement") or {}
    rto_meaning = "s from fault to K good checkouts in a row"
    rpo_meaning = (
        f"s; {s['missingAtFailover']} of {s['acknowledgedChecked']} acknowledged orders"
        " missing in the survivor"
    )
    rows = [
        ["result", s["result"], ""],
        ["detection", s["detectionSeconds"], "s from fault to the front door noticing"],
        [
            "RTO",
            s["rtoSeconds"],
            f"{rto_meaning}, the drill's definition (requirement {req.get('rtoSeconds')} s)",
        ],
        ["RPO at failover", s["rpoAtFailoverSeconds"], rpo_meaning],
        [
            "RPO after recovery",
            s["rpoAfterRecoverySeconds"],
            f"s; {s['missingAfterRecovery']} missing (must be 0)",
        ],
        ["error rate", s["errorRate"], "share of requests that failed"],
        ["duplicate orders", s["duplicates"], ""],
        ["converged", s["converged"], ""],
    ]
    return [
        f"`bookstore drill` ({d.get('fault')} of {d.get('region')}, {d.get('users')} users,"
        f" {d.get('durationSeconds')} s).",
        "",
        *_table(["figure", "value", "meaning"], rows),
        *(["", f"Drill failures: {'; '.join(s['failures'])}"] if s.get("failures") else []),
        "",
        f"The drill's full report (timeline, every request) went to `{s.get('reportDir')}` on"
        " the machine that ran the bench, a temporary directory outside the repository; one"
        " such report is kept in [`docs/drill-sample/`](../docs/drill-sample/report.md).",
    ]


TITLES = {
    "coldStart": ("1. Cold start", cold_start),
    "artifacts": ("2. Lambda artifacts", artifacts),
    "warmLatency": ("3. Warm handler latency (in-process, moto)", warm),
    "endToEnd": ("4. Sandbox end to end", end_to_end),
    "replication": ("5. Replication lag and order-to-leaderboard delay", replication),
    "pulumi": ("6. Pulumi: evaluating each stack under mocks", pulumi),
    "web": ("7. Web", web),
    "drill": ("8. RTO and RPO (drill)", drill),
}


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    out = [
        "# Benchmark results",
        "",
        f"`python -m bench{' --quick' if results['mode'] == 'quick' else ''}`"
        f" ({results['mode']} run), {results['startedAt']} - {results['finishedAt']}."
        " Machine-readable: [`results.json`](results.json).",
        "",
        *_table(
            ["machine", ""],
            [
                ["CPU", m["cpuModel"]],
                ["cores", m["cores"]],
                [
                    "load average at start (1/5/15 min)",
                    " / ".join(str(x) for x in m["loadAverageAtStart"]),
                ],
                ["memory", f"{m['memoryGiB']} GiB"],
                ["platform", m["platform"]],
                ["Python", m["python"]],
            ],
        ),
        "",
        "Absolute timings depend on this machine and on what else ran on it (see the load"
        " average); compare the ratios, which divide figures measured in the same run,"
        " interleaved. p99 of a small sample is close to its maximum.",
    ]
    for key, (title, render) in TITLES.items():
        section = results["sections"].get(key)
        if section is None:
            continue
        out += ["", f"## {title}", ""]
        try:
            out += render(section)
        except (KeyError, TypeError, ValueError) as exc:
            out.append(f"(could not render: {type(exc).__name__}: {exc})")
        if section.get("elapsedSeconds") is not None:
            out += ["", f"_Section took {section['elapsedSeconds']} s._"]
    return "\n".join(out) + "\n"
