"""`python -m drill` against a sandbox, as a user runs it: its exit, output and one report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_drill_process(
    port_base: int, env: dict[str, str], out: Path, *options: str, timeout: float
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """A region-outage drill with `options` on top; the finished process and the path of
    the one report.json it must have written under `out`."""
    argv = [
        sys.executable, "-m", "drill",
        "--port-base", str(port_base),
        "--fault", "region-outage",
        "--out", str(out),
        *options,
    ]  # fmt: skip
    result = subprocess.run(
        argv, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False
    )
    reports = sorted(out.glob("*/report.json"))
    assert len(reports) == 1, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result, reports[0]
