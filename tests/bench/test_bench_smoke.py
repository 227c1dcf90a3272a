"""`python -m bench --quick` runs and writes a well-formed results file. Timings are never
asserted (the machine is shared); only structure, sanity, and ratios computed from the values."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = {
    "coldStart",
    "artifacts",
    "warmLatency",
    "endToEnd",
    "replication",
    "pulumi",
    "web",
    "drill",
}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench")
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert (out / "results.json").exists(), done.stderr[-3000:]
    assert (out / "RESULTS.md").exists()
    data: dict[str, Any] = json.loads((out / "results.json").read_text())
    data["_markdown"] = (out / "RESULTS.md").read_text()
    data["_stderr"] = done.stderr
    return data


def test_every_section_is_reported_with_a_status(results: dict[str, Any]) -> None:
    assert results["schema"] == 1
    assert results["mode"] == "quick"
    assert set(results["sections"]) == SECTIONS
    for name, section in results["sections"].items():
        assert section["status"] in {"ok", "skipped", "error"}, name
        if section["status"] != "ok":
            assert section["reason"], f"{name} is {section['status']} without a reason"
    # Without a sandbox, quick mode skips the sandbox sections and says why.
    for name in ("endToEnd", "replication", "drill"):
        assert results["sections"][name]["status"] == "skipped"


def test_the_machine_is_recorded(results: dict[str, Any]) -> None:
    machine = results["machine"]
    assert machine["cpuModel"]
    assert machine["cores"] >= 1
    assert len(machine["loadAverageAtStart"]) == 3


def test_cold_start_ratios_come_from_the_measured_medians(results: dict[str, Any]) -> None:
    cold = results["sections"]["coldStart"]
    assert cold["status"] == "ok", cold.get("reason")
    base = cold["baseline"]["medianInProcessMs"]
    floor = cold["floor"]["medianInProcessMs"]
    assert base > 0
    assert floor > 0
    assert cold["floor"]["ratio"] == pytest.approx(floor / base, rel=1e-2)
    for key in ("floorWithPydantic", "floorWithPowertools"):
        ref = cold[key]
        assert ref["ratio"] == pytest.approx(ref["medianInProcessMs"] / base, rel=1e-2)
        assert ref["ratioToFloor"] == pytest.approx(ref["medianInProcessMs"] / floor, rel=1e-2)
    for name in ("api", "stream"):
        sub = cold[name]
        assert len(sub["inProcessMs"]) == cold["repeats"] == 3
        assert sub["medianInProcessMs"] > 0
        assert sub["ratio"] == pytest.approx(sub["medianInProcessMs"] / base, rel=1e-2)
        assert sub["ratioToFloor"] == pytest.approx(sub["medianInProcessMs"] / floor, rel=1e-2)
        assert sub["target"] == ("pass" if sub["ratio"] <= cold["targetRatio"] else "miss")
        if sub["target"] == "miss":
            assert cold["importProfile"][name]["topPackagesSelfMs"]


def test_warm_latency_covers_the_routes(results: dict[str, Any]) -> None:
    warm = results["sections"]["warmLatency"]
    assert warm["status"] == "ok", warm.get("reason")
    assert warm["baseline"]["p50"] > 0
    assert {"GET /books/{id}", "PUT /cart/{id}", "POST /orders"} <= set(warm["routes"])
    for route, figures in warm["routes"].items():
        assert 0 < figures["p50"] <= figures["p99"], route
        expected = figures["p50"] / warm["baseline"]["p50"]
        assert figures["ratioP50ToGetItem"] == pytest.approx(expected, rel=1e-2), route


def test_pulumi_times_each_stack(results: dict[str, Any]) -> None:
    pulumi = results["sections"]["pulumi"]
    assert pulumi["status"] == "ok", pulumi.get("reason")
    assert set(pulumi["stacks"]) == {"primary", "secondary", "global"}
    for stack in pulumi["stacks"].values():
        assert stack["firstSeconds"] > 0
        assert stack["resources"] > 0


def test_artifacts_and_web_are_measured_or_skipped_with_a_reason(
    results: dict[str, Any],
) -> None:
    artifacts = results["sections"]["artifacts"]
    if artifacts["status"] == "ok":
        for entry in artifacts["artifacts"].values():
            assert 0 < entry["zippedBytes"] <= entry["unzippedBytes"]
    web = results["sections"]["web"]
    if web["status"] == "ok":
        assert 0 < web["jsGzipBytes"] <= web["jsBytes"]
        assert web["fcp"]["status"] == "skipped"


def test_the_markdown_has_a_section_per_result(results: dict[str, Any]) -> None:
    markdown = results["_markdown"]
    assert results["machine"]["cpuModel"] in markdown
    for heading in ("1. Cold start", "2. Lambda artifacts", "6. Pulumi", "8. RTO and RPO"):
        assert heading in markdown
    assert "[bench" in results["_stderr"]  # progress is printed
