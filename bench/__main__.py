"""`python -m bench [--quick] [--sandbox-port-base N] [--out DIR]`: runs every section, prints
progress, writes DIR/results.json and DIR/RESULTS.md (DIR defaults to bench/)."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import ROOT, Section, ensure_paths, log, machine, port_in_use, skipped

SCHEMA = 1
DEFAULT_OWN_PORT_BASE = 11300
SECTIONS = (
    "coldStart",
    "artifacts",
    "warmLatency",
    "endToEnd",
    "replication",
    "pulumi",
    "web",
    "drill",
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: few repeats, no build, no drill"
    )
    parser.add_argument(
        "--sandbox-port-base",
        type=int,
        metavar="N",
        help="use the running sandbox on this port base (quick mode: only then run sections"
        " 4, 5, 7's FCP and 8)",
    )
    parser.add_argument(
        "--own-port-base",
        type=int,
        default=DEFAULT_OWN_PORT_BASE,
        metavar="N",
        help=f"full mode without --sandbox-port-base: start (and stop) a sandbox here"
        f" (default {DEFAULT_OWN_PORT_BASE})",
    )
    parser.add_argument(
        "--no-drill", action="store_true", help="skip section 8 (it takes a region down)"
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, metavar="DIR")
    return parser.parse_args(argv)


def guarded(name: str, body: Callable[[], Section]) -> Section:
    """One section; an exception is recorded as that section's error, never the bench's end."""
    started = time.monotonic()
    try:
        result = body()
    except Exception as exc:
        log(f"{name}: ERROR {type(exc).__name__}: {exc}")
        result = {
            "status": "error",
            "reason": f"{type(exc).__name__}: {exc}"[:2000],
            "traceback": traceback.format_exc(limit=6)[-3000:],
        }
    result["elapsedSeconds"] = round(time.monotonic() - started, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    ensure_paths()
    from bench import artifacts, coldstart, pulumi_eval, report, sandbox_run, warm, web

    quick: bool = args.quick
    mode = "quick" if quick else "full"
    started_utc = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    results: dict[str, Any] = {
        "schema": SCHEMA,
        "mode": mode,
        "startedAt": started_utc,
        "machine": machine(),
        "sections": {},
    }
    box = results["machine"]
    log(f"bench ({mode}) on {box['cpuModel']} x{box['cores']}, load {box['loadAverageAtStart']}")
    sections: dict[str, Section] = results["sections"]
    # Artifacts first: a full run builds the bundle, and cold start limits imports to it.
    sections["artifacts"] = guarded("artifacts", lambda: artifacts.run(quick))
    bundle = artifacts.ARTIFACT_DIR / "bookstore.zip"
    sections["coldStart"] = guarded("cold start", lambda: coldstart.run(3 if quick else 15, bundle))
    sections["warmLatency"] = guarded(
        "warm latency", lambda: warm.run(5 if quick else 100, 15.0 if quick else 240.0)
    )
    sections["pulumi"] = guarded("pulumi", lambda: pulumi_eval.run(1 if quick else 3))
    sections["web"] = guarded("web", web.bundle_sizes)

    # Sections that need a sandbox.
    port_base: int | None = args.sandbox_port_base
    started_here = False
    sandbox: dict[str, Any] | None = None
    reason = ""
    if port_base is not None:
        sandbox = sandbox_run.status(port_base)
        if sandbox is None:
            reason = f"no running sandbox on port base {port_base}"
    elif quick:
        reason = "quick mode without --sandbox-port-base: no sandbox to measure"
    else:
        port_base = args.own_port_base
        if port_in_use(port_base):
            reason = f"port base {port_base} is taken; pass --sandbox-port-base or --own-port-base"
        else:
            try:
                sandbox = sandbox_run.up(port_base)
                started_here = True
            except Exception as exc:
                reason = f"could not start a sandbox on port base {port_base}: {exc}"
    try:
        if sandbox is None or port_base is None:
            sections["endToEnd"] = skipped(reason)
            sections["replication"] = skipped(reason)
            sections["web"]["fcp"] = skipped(reason)
            sections["drill"] = skipped(reason)
        else:
            live = sandbox
            sections["endToEnd"] = guarded(
                "end to end",
                lambda: sandbox_run.end_to_end(live, 10 if quick else 60, 20.0 if quick else 180.0),
            )
            sections["replication"] = guarded(
                "replication",
                lambda: sandbox_run.replication(live, 3 if quick else 20, 20.0 if quick else 120.0),
            )
            url = live["frontDoor"].rstrip("/") + "/"
            sections["web"]["fcp"] = guarded(
                "fcp", lambda: web.first_contentful_paint(url, 2 if quick else 7)
            )
            if quick:
                sections["drill"] = skipped("quick mode: the drill takes a region down for minutes")
            elif args.no_drill:
                sections["drill"] = skipped("--no-drill")
            else:
                base = port_base
                sections["drill"] = guarded("drill", lambda: sandbox_run.drill(base, 3, 45.0))
    finally:
        if started_here and port_base is not None:
            sandbox_run.down(port_base)
    results["sandbox"] = {"portBase": port_base, "startedByBench": started_here}
    results["finishedAt"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    results["sections"] = {name: sections[name] for name in SECTIONS if name in sections}
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "RESULTS.md").write_text(report.markdown(results))
    shown = out.resolve()
    with contextlib.suppress(ValueError):
        shown = shown.relative_to(ROOT)
    log(f"wrote {shown / 'results.json'} and {shown / 'RESULTS.md'}")
    errors = [n for n, s in results["sections"].items() if s.get("status") == "error"]
    if errors:
        log(f"sections with errors: {', '.join(errors)}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
