"""Section 7: the web app's gzipped JS and CSS (web/dist, as the sandbox serves it) and its
first contentful paint in headless Chromium, loaded from the sandbox's front door."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, Section, log

DIST = ROOT / "web" / "dist"
CHROMIUM = Path("/usr/bin/chromium")
FCP_SCRIPT = Path(__file__).resolve().parent / "fcp.mjs"
BUDGET_KB = 120  # web/scripts/check-budget.mjs


def _gzip(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def bundle_sizes(dist: Path = DIST) -> Section:
    if not (dist / "index.html").exists():
        return {"status": "skipped", "reason": f"{dist} has no build (run `make web`)"}
    html = (dist / "index.html").read_text()
    initial = set(
        re.findall(
            r'<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="/?([^"]+\.js)"', html
        )
    )
    files: list[dict[str, Any]] = []
    totals = {"js": [0, 0], "css": [0, 0]}
    for path in sorted((dist / "assets").glob("*")):
        kind = path.suffix.lstrip(".")
        if kind not in totals:
            continue
        raw, zipped = path.stat().st_size, _gzip(path)
        totals[kind][0] += raw
        totals[kind][1] += zipped
        relative = path.relative_to(dist).as_posix()
        files.append(
            {"file": relative, "bytes": raw, "gzipBytes": zipped, "initial": relative in initial}
        )
    initial_js = sum(f["gzipBytes"] for f in files if f["initial"])
    log(
        f"web: JS {totals['js'][1] / 1024:.1f} KB gzipped, CSS {totals['css'][1] / 1024:.1f} KB"
        f" gzipped (initial JS {initial_js / 1024:.1f} KB, budget {BUDGET_KB} KB)"
    )
    return {
        "status": "ok",
        "dist": str(dist.relative_to(ROOT)),
        "builtAt": time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime((dist / "index.html").stat().st_mtime)
        ),
        "jsBytes": totals["js"][0],
        "jsGzipBytes": totals["js"][1],
        "cssBytes": totals["css"][0],
        "cssGzipBytes": totals["css"][1],
        "initialJsGzipBytes": initial_js,
        "budgetKB": BUDGET_KB,
        "initialJsShareOfBudget": round(initial_js / (BUDGET_KB * 1024), 3),
        "files": files,
        "what": "gzip level 9, like web/scripts/check-budget.mjs",
    }


def first_contentful_paint(url: str, runs: int) -> Section:
    if not CHROMIUM.exists():
        return {"status": "skipped", "reason": f"no Chromium at {CHROMIUM} (make system-deps)"}
    node = shutil.which("node")
    if node is None:
        return {"status": "skipped", "reason": "no `node` on PATH"}
    if not (ROOT / "web" / "node_modules" / "playwright-core").exists():
        return {"status": "skipped", "reason": "web/node_modules/playwright-core is missing"}
    log(f"web: first contentful paint of {url}, {runs} fresh browser contexts")
    done = subprocess.run(
        [node, str(FCP_SCRIPT), url, str(runs), str(CHROMIUM)],
        capture_output=True,
        text=True,
        timeout=60 + 30 * runs,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"status": "error", "reason": f"fcp.mjs failed: {done.stderr.strip()[-600:]}"}
    samples = json.loads(lines[-1])["samples"]
    fcps = [float(s["fcp"]) for s in samples if s.get("fcp") is not None]
    if not fcps:
        return {"status": "error", "reason": "Chromium reported no first-contentful-paint"}
    loads = [float(s["load"]) for s in samples if s.get("load")]
    result: dict[str, Any] = {
        "status": "ok",
        "url": url,
        "runs": len(samples),
        "medianFcpMs": round(statistics.median(fcps), 1),
        "minFcpMs": round(min(fcps), 1),
        "maxFcpMs": round(max(fcps), 1),
        "fcpMs": [round(v, 1) for v in fcps],
        "medianLoadEventMs": round(statistics.median(loads), 1) if loads else None,
        "what": "performance first-contentful-paint, fresh context (cold cache) per run",
    }
    log(f"  FCP median {result['medianFcpMs']} ms")
    return result
