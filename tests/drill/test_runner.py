"""Whole drills against the in-process fake bookstore: the runner, the report files and the
CLI's exit codes, in seconds and without a sandbox."""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from drill import __main__ as drill_main
from drill import cli as drill_cli
from drill.faults import PLANS
from drill.faults.base import FaultPlan, Findings, Run, need_region
from drill.model import FaultFacts
from drill.runner import Options, run_drill
from drill.target import Target
from tests.drill.fake_bookstore import FakeTarget, P, S, fake_bookstore

SHORT = ["--users", "3", "--duration", "5", "--fault-at", "1.5", "--hold", "2"]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTarget]:
    with fake_bookstore(detect_after=0.6) as target:
        monkeypatch.setattr(drill_cli, "_make_target", lambda args: target)
        yield target


def run_cli(fake: FakeTarget, tmp_path: Path, *extra: str) -> tuple[int, dict[str, object], Path]:
    code = drill_main.main([*SHORT, "--converge-timeout", "3", "--out", str(tmp_path), *extra])
    reports = sorted(tmp_path.glob("*/report.json"))
    assert len(reports) == 1
    return code, json.loads(reports[0].read_text()), reports[0].parent


def test_a_clean_drill_passes_and_writes_every_file(
    fake: FakeTarget, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report, directory = run_cli(fake, tmp_path, "--max-rto", "10", "--max-rpo", "1")
    out = capsys.readouterr().out
    assert code == 0, report["failures"]
    assert "drill passed" in out
    assert "fault injected: region-outage" in out
    assert fake.restored == [P]
    assert fake.closed
    assert report["result"] == "pass"
    detection = report["detection"]
    assert isinstance(detection, dict)
    assert 0.4 <= detection["seconds"] <= 1.5  # the fake's front door moves after 0.6 s
    recovery = report["recovery"]
    assert isinstance(recovery, dict)
    assert 0 < recovery["rtoSeconds"] <= 3
    rpo = report["rpo"]
    assert isinstance(rpo, dict)
    assert rpo["atFailover"]["missing"] == 0
    assert rpo["afterRecovery"]["missing"] == 0
    load = report["load"]
    assert isinstance(load, dict)
    assert load["byRegion"][S]["ok"] > 0
    assert load["byRegion"][P]["ok"] > 0
    assert load["ordersAcknowledged"] > 5
    for name in ("report.md", "timeline.svg", "requests.csv"):
        assert (directory / name).stat().st_size > 0


def test_a_missed_rto_target_exits_non_zero_with_one_line(
    fake: FakeTarget, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report, _ = run_cli(fake, tmp_path, "--max-rto", "0.01")
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert report["result"] == "fail"
    assert len(err) == 1
    assert err[0].startswith("bookstore: drill failed: RTO ")
    assert "exceeds the target 0.01 s" in err[0]


def test_an_order_lost_in_replication_always_fails(fake: FakeTarget, tmp_path: Path) -> None:
    fake.store.lose_next_order_in = S  # the first order never reaches the secondary
    code, report, _ = run_cli(fake, tmp_path)  # no targets given: still a failure
    assert code == 1
    failures = report["failures"]
    assert isinstance(failures, list)
    assert failures[0] == "1 acknowledged orders still missing after recovery (must be 0)"
    rpo = report["rpo"]
    assert isinstance(rpo, dict)
    assert rpo["atFailover"]["missing"] == 1  # also seen at failover: the survivor lacked it
    assert rpo["atFailover"]["rpoSeconds"] > 0
    convergence = report["convergence"]
    assert isinstance(convergence, dict)
    assert convergence["converged"] is False


def test_errors_after_the_failover_window_fail_the_drill_with_their_times(
    fake: FakeTarget, tmp_path: Path
) -> None:
    fake.store.errors_after_restore = 3  # the failback is not seamless
    # No naive probes: every one of the three glitches lands on a gated (policy) shopper.
    code, report, directory = run_cli(
        fake, tmp_path, "--think", "0.05", "--error-grace", "0", "--naive-users", "0"
    )
    assert code == 1
    failures = report["failures"]
    assert isinstance(failures, list)
    assert len(failures) == 1
    assert failures[0].startswith("3 failed requests outside the failover window (")
    errors = report["errors"]
    assert isinstance(errors, dict)
    window = errors["failoverWindow"]
    assert window["outside"] == 3
    # A checkout refused for a cart write still in the replication lag is accounted apart.
    assert window["inside"] + window["cartWritesInTheLag"] == errors["count"] - 3
    restore = report["events"]["restoreAt"]  # type: ignore[index]
    for request in window["outsideRequests"]:
        assert request["status"] == 500
        # The fake fails requests it answers after the restore; one sent a moment before
        # restoreAt was stamped can be among them, so compare the answer time.
        assert request["end"] >= restore > window["endsAt"]
        assert request["t"] >= window["endsAt"]
        assert f"{request['secondsAfterFault']:+.1f} s" in failures[0]
    assert "OUTSIDE: sent at" in (directory / "report.md").read_text()


def test_the_report_records_the_load_per_phase_and_the_machine(
    fake: FakeTarget, tmp_path: Path
) -> None:
    code, report, directory = run_cli(fake, tmp_path, "--think", "0.1", "--error-grace", "1")
    assert code == 0, report["failures"]
    drill = report["drill"]
    assert isinstance(drill, dict)
    assert drill["thinkSeconds"] == [0.05, 0.15]
    assert drill["errorGraceSeconds"] == 1.0
    load = report["load"]
    assert isinstance(load, dict)
    phases = load["phases"]
    assert list(phases) == ["before", "during", "after"]
    assert sum(p["requests"] for p in phases.values()) == load["requests"]
    assert phases["after"]["errors"] == 0
    # Phases split by send time; a request sent just before the fault was stamped can be
    # answered after the fake went down. Only one answered before the injection began is a
    # failure before the fault.
    inject = report["events"]["injectStartedAt"]  # type: ignore[index]
    rows = list(csv.DictReader((directory / "requests.csv").open()))
    assert len(rows) == load["requests"]
    failed_before = [
        r for r in rows if r["outcome"] != "ok" and float(r["t"]) + float(r["latency"]) < inject
    ]
    assert failed_before == []
    assert phases["during"]["fromSeconds"] == report["events"]["faultAt"]  # type: ignore[index]
    for phase in phases.values():
        assert phase["requests"] > 0
        assert phase["latencyMs"]["p99"] >= phase["latencyMs"]["p50"] > 0
    errors = report["errors"]
    assert isinstance(errors, dict)
    assert errors["failoverWindow"]["outside"] == 0
    window = errors["failoverWindow"]
    # The window is the gated (policy) shoppers'; the outage was felt by the naive ones.
    clients = report["clients"]
    assert isinstance(clients, dict)
    assert window["inside"] + window["cartWritesInTheLag"] == clients["policy"]["errors"]
    assert clients["naive"]["errors"] > 0
    assert clients["policy"]["errors"] + clients["naive"]["errors"] == errors["count"]
    assert errors["failoverWindow"]["graceSeconds"] == 1.0
    environment = report["environment"]
    assert isinstance(environment, dict)
    assert environment["cpus"] >= 1
    assert len(environment["loadAverageAtStart"]) == len(environment["loadAverageAtEnd"]) == 3
    markdown = (directory / "report.md").read_text()
    assert "| before | 0.0-" in markdown
    assert "load average (1/5/15 min)" in markdown
    assert "failed requests outside the failover window | 0" in markdown


def test_a_leaderboard_that_disagrees_with_orders_fails(fake: FakeTarget, tmp_path: Path) -> None:
    fake.store.double_count = True
    code, report, _ = run_cli(fake, tmp_path)
    assert code == 1
    failures = report["failures"]
    assert isinstance(failures, list)
    assert any(f.startswith(f"leaderboard of {P} disagrees") for f in failures)


def test_unknown_region_and_a_late_fault_are_user_errors(
    fake: FakeTarget, capsys: pytest.CaptureFixture[str]
) -> None:
    assert drill_main.main([*SHORT, "--region", "us-east-2"]) == 2
    assert "unknown region 'us-east-2'" in capsys.readouterr().err
    with pytest.raises(Exception, match="after the load ends"):
        run_drill(fake, Options("fake", "region-outage", None, 1, 5.0, None, None, fault_at=9))


def test_blog_fault_without_a_blog_tier_says_so(
    fake: FakeTarget, capsys: pytest.CaptureFixture[str]
) -> None:
    assert drill_main.main([*SHORT, "--fault", "blog-primary-loss"]) == 2
    assert "blog tier not running" in capsys.readouterr().err
    assert fake.restored == []  # nothing was broken


def test_a_fault_the_target_cannot_cause_is_refused_before_anything_happens(
    fake: FakeTarget, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(fake, "faults", ("region-outage",))
    assert drill_main.main([*SHORT, "--fault", "partition"]) == 2
    assert "'partition' is not available on fake" in capsys.readouterr().err


@dataclass
class PrimaryOutage(FaultPlan):
    """A fault as a newcomer would add it, in a module of its own: always the primary,
    whichever region serves, and a gate of its own (the front door must leave it)."""

    name: ClassVar[str] = "primary-outage"
    summary: ClassVar[str] = "the primary region out, whichever region serves"
    hooks: ClassVar[list[str]] = []
    left_at: float | None = None

    def note(self, hook: str) -> None:
        if not self.hooks or self.hooks[-1] != hook:
            self.hooks.append(hook)

    def check_ready(self, target: Target) -> None:
        self.note("check_ready")

    def pick_region(self, target: Target, requested: str | None) -> str | None:
        self.note("pick_region")
        return target.regions[0]

    def inject(self, target: Target, region: str | None) -> FaultFacts:
        self.note("inject")
        return target.outage(need_region(region))

    def restore(self, target: Target, region: str | None) -> None:
        self.note("restore")
        target.restore_region(need_region(region))

    def before_load(self, target: Target, region: str | None) -> None:
        self.note("before_load")

    def while_held(self, run: Run, now: float) -> None:
        self.note("while_held")
        latest = run.monitor.latest()
        if self.left_at is None and latest is not None and latest.serving != run.region:
            self.left_at = now

    def before_restore(self, run: Run) -> None:
        self.note("before_restore")

    def converging(self, run: Run) -> None:
        self.note("converging")

    def findings(self, run: Run, fault_time: float) -> Findings:
        self.note("findings")
        if self.left_at is None:
            return Findings(failures=[f"the front door never left {run.region}"])
        return Findings()


@pytest.fixture
def primary_outage(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setitem(PLANS, PrimaryOutage.name, PrimaryOutage)  # the one registry line
    monkeypatch.setattr(PrimaryOutage, "hooks", [])
    return PrimaryOutage.hooks


def test_a_new_fault_is_one_plan_and_one_registry_line(
    fake: FakeTarget,
    primary_outage: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, report, _ = run_cli(fake, tmp_path, "--fault", "primary-outage", "--region", S)
    assert code == 0, report["failures"]
    assert "fault injected: primary-outage" in capsys.readouterr().out
    assert report["drill"]["fault"] == "primary-outage"  # type: ignore[index]
    assert report["drill"]["region"] == P  # type: ignore[index]  # its choice, not --region
    assert report["fault"] == {"command": f"fake outage {P}"}
    assert fake.restored == [P]
    assert primary_outage == [
        "check_ready",
        "pick_region",
        "before_load",
        "inject",
        "while_held",
        "before_restore",
        "restore",
        "converging",
        "findings",
    ]


def test_a_new_faults_own_check_reaches_the_gates(
    fake: FakeTarget, primary_outage: list[str], tmp_path: Path
) -> None:
    fake.detect_after = 60.0  # the front door never moves within the drill
    code, report, _ = run_cli(fake, tmp_path, "--fault", "primary-outage")
    assert code == 1
    assert f"the front door never left {P}" in report["failures"]  # type: ignore[operator]


def numbers(report: dict[str, object], *keys: str) -> list[float]:
    values = [report[key] for key in keys]
    for key, value in zip(keys, values, strict=True):
        assert isinstance(value, int | float), (key, value)
        assert not isinstance(value, bool), key
    return [float(v) for v in values]  # type: ignore[arg-type]


def test_one_run_reports_the_router_and_the_client_rto_side_by_side(
    fake: FakeTarget, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report, directory = run_cli(fake, tmp_path, "--max-rto", "10")
    assert code == 0, report["failures"]
    assert "; router RTO " in capsys.readouterr().out
    router, client, violations, outside = numbers(
        report,
        "rtoRouterSeconds",
        "rtoClientSeconds",
        "readYourWritesViolations",
        "errorsOutsideWindow",
    )
    # The naive probes wait for the front door (0.6 s); policy shoppers move on the first 503.
    assert client < router
    assert router >= 0.4
    assert violations == outside == 0
    clients = report["clients"]
    assert isinstance(clients, dict)
    assert (clients["policy"]["users"], clients["naive"]["users"]) == (3, 2)
    assert clients["policy"]["movedToAnotherRegion"] > 0
    assert clients["naive"]["readYourWrites"]["reads"] > 0
    assert clients["policy"]["readYourWrites"]["reads"] > 0
    assert report["awsProjection"] == {
        "healthCheckIntervalSeconds": 10,
        "healthCheckFailureThreshold": 3,
        "dnsTtlSeconds": 60,
        "rtoRouterSeconds": 90,
        "clientFirstTimeoutSeconds": 2.0,
    }
    assert report["gates"]["maxClientRtoSeconds"] == 3.0  # type: ignore[index]
    rows = list(csv.DictReader((directory / "requests.csv").open()))
    assert {r["client"] for r in rows} == {"policy", "naive"}
    assert any(r["moved_from"] == "routed" for r in rows)
    markdown = (directory / "report.md").read_text()
    assert "| figure | naive shoppers (router) | policy shoppers (client) | AWS projection |" in (
        markdown
    )
    assert "router 90 s = 10 s x 3 + 60 s TTL" in markdown


def test_every_shopper_naive_gates_them_as_before_and_reports_no_client_rto(
    fake: FakeTarget, tmp_path: Path
) -> None:
    code, report, _ = run_cli(fake, tmp_path, "--client", "naive", "--max-rto", "10")
    assert code == 0, report["failures"]
    clients = report["clients"]
    assert isinstance(clients, dict)
    assert list(clients) == ["naive"]
    assert clients["naive"]["users"] == 3
    assert report["rtoClientSeconds"] is None
    (router,) = numbers(report, "rtoRouterSeconds")
    recovery = report["recovery"]
    assert isinstance(recovery, dict)
    assert recovery["rtoSeconds"] == router  # the gated RTO is the router's
    assert report["gates"]["maxClientRtoSeconds"] is None  # type: ignore[index]


@pytest.fixture
def silent(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTarget]:
    """A region that stops answering (frozen), and a policy whose first timeout is 0.3 s."""
    from drill import runner
    from drill.client import load_policy

    short = dataclasses.replace(load_policy(), first_timeout=0.3)
    monkeypatch.setattr(runner, "load_policy", lambda: short)
    with fake_bookstore(detect_after=0.6, outage_mode="silent") as target:
        target.store.regions[P].silence = 1.5
        monkeypatch.setattr(drill_cli, "_make_target", lambda args: target)
        yield target


def test_policy_shoppers_recover_within_the_first_timeout_of_a_silent_region(
    silent: FakeTarget, tmp_path: Path
) -> None:
    code, report, _ = run_cli(silent, tmp_path, "--max-client-rto", "1.5")
    assert code == 0, report["failures"]
    (client,) = numbers(report, "rtoClientSeconds")
    assert client < 1.5
    (_, _, _, outside) = numbers(
        report,
        "rtoRouterSeconds",
        "rtoClientSeconds",
        "readYourWritesViolations",
        "errorsOutsideWindow",
    )
    assert outside == 0
    assert report["awsProjection"]["clientFirstTimeoutSeconds"] == 0.3  # type: ignore[index]


def test_a_client_rto_above_its_target_fails_the_drill(
    silent: FakeTarget, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report, _ = run_cli(silent, tmp_path, "--max-client-rto", "0.01")
    assert code == 1
    failures = report["failures"]
    assert isinstance(failures, list)
    assert [f for f in failures if f.startswith("client RTO ")], failures
    assert "exceeds the target 0.01 s" in capsys.readouterr().err
