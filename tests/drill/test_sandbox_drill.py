"""One short real drill on a sandbox of its own: with no sandbox on its port base, the drill
starts one on free ports, takes the primary region out under a little load, restores it,
writes its report, and stops the sandbox again, leaving no process and no port behind. 20 s
of load; the sandbox start and the convergence wait come on top.

The load test proper (50 users, 60 s, errors only inside the failover window) runs on the
sandbox tests' shared sandbox: tests/sandbox/test_load_fault.py.

Whatever happens, the fixture leaves no process behind: it kills every process group the
sandbox's state file names.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox.config import SandboxConfig, build_config, free_port_base
from sandbox.procs import port_in_use
from tests.drill.drill_process import run_drill_process

REPO = Path(__file__).resolve().parents[2]
DRILL_TIMEOUT_SECONDS = 300
MAX_RTO, MAX_RPO = 12.0, 5.0


@dataclass
class Box:
    port_base: int
    home: Path

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["BOOKSTORE_SANDBOX_HOME"] = str(self.home)
        env["PYTHONPATH"] = os.pathsep.join([str(REPO / "functions"), str(REPO)])
        return env

    @property
    def config(self) -> SandboxConfig:
        return build_config(self.port_base, home=str(self.home))

    def pids(self) -> list[int]:
        try:
            state = json.loads(self.config.state_file.read_text())
        except (OSError, ValueError):
            return []
        return [int(state["supervisorPid"])] + [int(c["pid"]) for c in state["children"].values()]


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Box]:
    box = Box(free_port_base(), tmp_path / "home")
    seen: set[int] = set()
    try:
        yield box
    finally:
        seen.update(box.pids())
        subprocess.run(
            [
                sys.executable,
                "-m",
                "cli.main",
                "sandbox",
                "down",
                "--port-base",
                str(box.port_base),
            ],
            env=box.env(),
            cwd=REPO,
            capture_output=True,
            timeout=60,
            check=False,
        )
        for pid in seen:  # belt and braces: a crashed drill must not leave a sandbox running
            for sig in (signal.SIGCONT, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, sig)


def test_region_outage_drill_on_its_own_sandbox(box: Box, tmp_path: Path) -> None:
    out = tmp_path / "drills"
    result, path = run_drill_process(
        box.port_base,
        box.env(),
        out,
        *("--users", "2", "--duration", "20"),
        *("--max-rto", str(MAX_RTO), "--max-rpo", str(MAX_RPO)),
        timeout=DRILL_TIMEOUT_SECONDS,
    )
    log = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    directory = path.parent
    report = json.loads(path.read_text())

    # The exit code agrees with the report, and this drill meets its targets.
    assert result.returncode == (0 if report["result"] == "pass" else 1), log
    assert report["result"] == "pass", report["failures"]
    assert result.returncode == 0, log
    assert "starting one" in result.stdout  # it used a sandbox of its own...
    assert box.pids() == []  # ...and stopped it: the state file is gone
    assert not any(port_in_use(p) for p in build_config(box.port_base).ports())

    drill = report["drill"]
    assert (drill["fault"], drill["region"]) == ("region-outage", "eu-west-1")
    assert drill["survivor"] == "ap-southeast-1"
    # Detection within the front door's budget: interval 1 s x threshold 3, plus slack.
    assert report["detection"]["seconds"] is not None
    assert 0 < report["detection"]["seconds"] <= 3 * 1.0 + 3.0
    rto = report["recovery"]["rtoSeconds"]
    assert rto is not None
    assert 0 <= rto <= MAX_RTO
    assert report["recovery"]["confirmedSeconds"] >= rto
    # The survivor answered while the primary was out.
    assert report["load"]["byRegion"]["ap-southeast-1"]["ok"] > 0
    assert report["load"]["byRegion"]["eu-west-1"]["ok"] > 0
    assert report["load"]["ordersAcknowledged"] >= 10
    # RPO at failover is measured (it may be 0 orders) and within target; none lost at the end.
    at_failover = report["rpo"]["atFailover"]
    assert at_failover is not None
    assert at_failover["moment"] == "detection"
    assert at_failover["rpoSeconds"] <= MAX_RPO
    after = report["rpo"]["afterRecovery"]
    assert after["missing"] == 0
    # Every distinct acknowledged order was checked (a replayed acknowledgement counts once).
    assert 0 < after["acknowledgedChecked"] <= report["load"]["ordersAcknowledged"]
    assert report["duplicates"]["count"] == 0
    for region in ("eu-west-1", "ap-southeast-1"):
        board = report["leaderboards"][region]
        assert board["ok"], board
        assert board["copiesTruth"] > 0
    assert report["convergence"]["converged"] is True
    assert all(t["differing"] == 0 for t in report["convergence"]["tables"].values())

    # The other files: a readable Markdown report and a well-formed SVG with the marks.
    markdown = (directory / "report.md").read_text()
    assert "**Result: PASS**" in markdown
    svg = (directory / "timeline.svg").read_text()
    ET.fromstring(svg)  # noqa: S314 - our own file
    for mark in ("fault", "detection", "recovery (RTO)", "restore"):
        assert mark in svg
    assert (directory / "requests.csv").read_text().count("\n") == report["load"]["requests"] + 1
