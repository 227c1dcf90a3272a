"""The sandbox's control functions and config without a whole sandbox: a state file naming a
live "supervisor" (this test process) and child process groups that are plain `sleep`s."""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path

import pytest

from sandbox import cli as sandbox_cli
from sandbox import control
from sandbox.config import (
    PRIMARY_REGION,
    SECONDARY_REGION,
    CognitoConfig,
    SandboxConfig,
    SandboxError,
    build_config,
    free_port_base,
    write_json_atomic,
)
from sandbox.procs import process_state
from sandbox.status import (
    RegionStatus,
    SandboxStatus,
    blog_region_fields,
    status_line,
    status_text,
)
from tests.sandbox.conftest import REPO, eventually

# -- the config ----------------------------------------------------------------------------


def every_field_changed(home: Path) -> SandboxConfig:
    config = build_config(
        30100,
        mode="failover",
        near_region=SECONDARY_REGION,
        health_interval=0.25,
        failure_threshold=5,
        recovery_threshold=4,
        cognito=CognitoConfig("eu-west-1_abc", "client-1"),
        redis_server="/opt/redis-server",
        redis_source="PATH (/opt/redis-server)",
        home=str(home),
        record_ttl=2.5,
        lambda_concurrency=3,
    )
    default = SandboxConfig(port_base=30100)
    # Every field differs from its default, so a field lost on the way fails the test below.
    unchanged = [f.name for f in fields(SandboxConfig) if f.name != "regions"]
    unchanged = [n for n in unchanged if getattr(config, n) == getattr(default, n)]
    assert unchanged == ["port_base"]
    return config


def test_a_saved_config_loads_back_field_for_field(tmp_path: Path) -> None:
    config = every_field_changed(tmp_path)
    config.save()
    loaded = SandboxConfig.load(config.config_file)
    assert loaded == config
    assert loaded.regions[1].blog_http_port == 30124
    assert isinstance(loaded.regions, tuple)
    assert isinstance(loaded.cognito, CognitoConfig)


@dataclass(frozen=True)
class _WithANewSetting(SandboxConfig):
    answer: int = 0
    regions_seen: tuple[CognitoConfig, ...] = ()


def test_a_new_field_needs_no_edit_in_load(tmp_path: Path) -> None:
    config = _WithANewSetting(
        port_base=30200,
        home=str(tmp_path),
        answer=42,
        regions_seen=(CognitoConfig("a_1", "b"),),
    )
    config.save()
    assert _WithANewSetting.load(config.config_file) == config


def test_a_config_of_an_older_version_loads_or_says_why(tmp_path: Path) -> None:
    config = build_config(30300, home=str(tmp_path))
    raw = json.loads(json.dumps(config.__dict__, default=lambda o: o.__dict__))
    for region in raw["regions"]:  # written before the blog joined: its ports take the default
        del region["blog_db_port"], region["blog_http_port"]
    del raw["home"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(raw))
    loaded = SandboxConfig.load(path)
    assert loaded.regions[0].blog_db_port == 0
    assert loaded.port_base == 30300
    for region in raw["regions"]:  # a field without a default cannot be guessed
        del region["gateway_port"]
    path.write_text(json.dumps(raw))
    with pytest.raises(SandboxError, match=r"no gateway_port .* older version"):
        SandboxConfig.load(path)
    with pytest.raises(SandboxError, match="cannot read"):
        SandboxConfig.load(tmp_path / "missing.json")


def test_every_path_lies_in_the_state_dir(tmp_path: Path) -> None:
    config = build_config(30400, home=str(tmp_path))
    assert config.state_dir == tmp_path / "30400"
    for path in (*config.transient_files, config.logs_dir, config.blog_state_dir):
        assert path.parent == config.state_dir
    assert len(set(config.transient_files)) == 4


# -- the command line ----------------------------------------------------------------------


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bookstore sandbox")
    sandbox_cli.register(parser)
    return parser.parse_args(list(argv))


def test_each_setting_is_a_flag_of_up_and_reaches_the_config() -> None:
    args = parse(
        "up", "--port-base", "30500", "--mode", "failover", "--near", SECONDARY_REGION,
        "--health-interval", "0.5", "--failure-threshold", "6", "--recovery-threshold", "7",
    )  # fmt: skip
    assert sandbox_cli.config_from(args) == build_config(
        30500,
        mode="failover",
        near_region=SECONDARY_REGION,
        health_interval=0.5,
        failure_threshold=6,
        recovery_threshold=7,
    )
    assert sandbox_cli.config_from(parse("up")) == build_config()
    # The other commands take the port base only, and use the defaults for the rest.
    assert sandbox_cli.config_from(parse("status", "--port-base", "30600")) == build_config(30600)
    with pytest.raises(SystemExit):
        parse("status", "--mode", "failover")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("up", "--health-interval", "0"), "must be positive"),
        (("up", "--failure-threshold", "x"), "not a whole number"),
        (("down", "--port-base", "80"), "must lie in 1024"),
        (("up", "--mode", "nearest"), "invalid choice"),
    ],
)
def test_bad_settings_are_one_line(
    argv: tuple[str, ...], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        parse(*argv)
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1


# -- the control functions on a fake sandbox -----------------------------------------------


@dataclass
class FakeSandbox:
    config: SandboxConfig
    children: dict[str, subprocess.Popen[bytes]]

    def write_state(self) -> None:
        """As the supervisor writes it; each child is named `<region>-<n>`."""
        state = {
            "supervisorPid": os.getpid(),
            "phase": "running",
            "children": {
                name: {"pid": child.pid, "region": name.rsplit("-", 1)[0], "port": None}
                for name, child in self.children.items()
            },
            "blog": {"status": "disabled", "reason": "packages missing", "installHint": "apt"},
        }
        write_json_atomic(self.config.state_file, state)


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSandbox]:
    monkeypatch.setenv("BOOKSTORE_SANDBOX_HOME", str(tmp_path))
    config = build_config(free_port_base()).with_cognito(CognitoConfig("eu-west-1_p", "c"))
    config.save()
    children = {
        f"{region.name}-{n}": subprocess.Popen(["sleep", "60"], start_new_session=True)
        for region in config.regions
        for n in range(2)
    }
    box = FakeSandbox(config, children)
    box.write_state()
    try:
        yield box
    finally:
        for child in children.values():
            for sig in (signal.SIGCONT, signal.SIGKILL):
                os.killpg(child.pid, sig)
            child.wait()


def test_outage_freezes_the_region_and_restore_resumes_it(fake: FakeSandbox) -> None:
    primary = [c for n, c in fake.children.items() if n.startswith(PRIMARY_REGION)]
    others = [c for n, c in fake.children.items() if not n.startswith(PRIMARY_REGION)]
    done = control.outage(fake.config, PRIMARY_REGION)
    assert done == control.RegionChange(PRIMARY_REGION, processes=2, blog=None)
    eventually(lambda: all(process_state(c.pid) == "T" for c in primary))
    assert all(process_state(c.pid) != "T" for c in others)
    assert control.status(fake.config).region(PRIMARY_REGION).outage is True
    assert control.restore(fake.config, PRIMARY_REGION).processes == 2
    eventually(lambda: all(process_state(c.pid) != "T" for c in primary))
    assert control.status(fake.config).region(PRIMARY_REGION).outage is False
    with pytest.raises(SandboxError, match="no region 'mars'"):
        control.outage(fake.config, "mars")


def _acknowledge_pauses(config: SandboxConfig, stop: threading.Event) -> None:
    """What the replicator does between steps: report whether the flag is there."""
    while not stop.wait(0.02):
        paused = config.partition_flag.exists()
        write_json_atomic(
            config.replicator_status_file,
            {"paused": paused, "writtenAt": time.time(), "applied": 7, "medianLagMs": 12.5},
        )


def test_partition_waits_for_the_replicator_and_heal_resumes(fake: FakeSandbox) -> None:
    stop = threading.Event()
    replicator = threading.Thread(target=_acknowledge_pauses, args=(fake.config, stop))
    replicator.start()
    try:
        assert control.partition(fake.config) == control.ReplicationChange(paused=True)
        reported = json.loads(fake.config.replicator_status_file.read_text())
        assert reported["paused"] is True  # acknowledged before partition returned
        status = control.status(fake.config)
        assert status.replication.paused is True
        assert (status.replication.applied, status.replication.median_lag_ms) == (7, 12.5)
        assert control.heal(fake.config) == control.ReplicationChange(paused=False)
        assert not fake.config.partition_flag.exists()
        assert control.status(fake.config).replication.paused is False
    finally:
        stop.set()
        replicator.join()


def test_a_pause_nobody_confirms_is_taken_back(
    fake: FakeSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(control, "PAUSE_ACK_SECONDS", 0.3)
    with pytest.raises(SandboxError, match="did not confirm the pause") as raised:
        control.partition(fake.config)
    assert "\n" not in str(raised.value)
    assert not fake.config.partition_flag.exists()


def test_status_keeps_its_json_shape(fake: FakeSandbox) -> None:
    status = control.status(fake.config)
    shape = status.to_json()
    assert set(shape) == {
        "frontDoor",
        "portBase",
        "phase",
        "mode",
        "replication",
        "blog",
        "regions",
    }
    assert shape["portBase"] == fake.config.port_base
    assert shape["blog"] == {
        "status": "disabled",
        "reason": "packages missing",
        "installHint": "apt",
    }
    assert list(shape["regions"]) == [PRIMARY_REGION, SECONDARY_REGION]
    region = shape["regions"][PRIMARY_REGION]
    assert set(region) == {
        "role", "api", "healthy", "serving", "outage", "cognito", "aws", "redis",
        "blog", "dbRole", "replicationLagSeconds", "blogReplication",
    }  # fmt: skip
    assert region["cognito"] == {
        "endpoint": fake.config.cognito_endpoint,
        "region": PRIMARY_REGION,
        "userPoolId": "eu-west-1_p",
        "clientId": "c",
        "motoEndpoint": fake.config.primary.aws_endpoint,
    }
    assert region["redis"]["url"] == fake.config.primary.redis_url
    assert region["healthy"] is False  # no front door answers in this fake
    json.dumps(shape)  # and it is JSON
    assert "blog        not running: apt" in status_text(status)
    line = status_line(fake.config)
    assert line.startswith(fake.config.front_door_url)
    assert f"{PRIMARY_REGION} DOWN" in line
    assert "blog disabled" in line


def test_every_command_needs_a_running_sandbox(tmp_path: Path) -> None:
    config = build_config(free_port_base(), home=str(tmp_path))
    calls = [
        lambda: control.status(config),
        lambda: control.outage(config, PRIMARY_REGION),
        lambda: control.partition(config),
        lambda: control.heal(config),
        lambda: control.seed(config),
        lambda: control.down(config),
    ]
    for call in calls:
        with pytest.raises(SandboxError, match="no sandbox is running") as raised:
            call()
        assert "\n" not in str(raised.value)


# -- the blog in the status, as the drill reads it -------------------------------------------


def test_both_shapes_of_the_blog_pair_report_are_understood() -> None:
    assert blog_region_fields({"blog": "http://127.0.0.1:2", "dbRole": "primary"}) == {
        "blog_url": "http://127.0.0.1:2",
        "db_role": "primary",
        "replication_lag_seconds": None,
        "blog_replication": None,
    }
    nested = blog_region_fields(
        {"blog": {"url": "http://127.0.0.1:3", "dbRole": "replica"}, "replicationLagSeconds": 2}
    )
    assert (nested["blog_url"], nested["db_role"]) == ("http://127.0.0.1:3", "replica")
    assert nested["replication_lag_seconds"] == 2.0


def test_the_drill_sees_the_blog_per_region(monkeypatch: pytest.MonkeyPatch) -> None:
    from drill.sandbox_target import SandboxTarget
    from sandbox.status import BlogStatus, ReplicationStatus

    def region(name: str, role: str, blog: str | None, db_role: str | None) -> RegionStatus:
        return RegionStatus(name, role, "api", "aws", "redis", True, False, False, blog, db_role)

    status = SandboxStatus(
        config=build_config(30700),
        phase="running",
        replication=ReplicationStatus(paused=False),
        blog=BlogStatus("running"),
        regions=(
            region(PRIMARY_REGION, "primary", "http://127.0.0.1:2", "replica"),
            region(SECONDARY_REGION, "secondary", None, None),
        ),
    )
    target = SandboxTarget.__new__(SandboxTarget)
    target.status = status
    monkeypatch.setattr(target, "read_status", lambda: status)
    views = target.blog()
    assert list(views) == [PRIMARY_REGION]
    assert (views[PRIMARY_REGION].url, views[PRIMARY_REGION].db_role) == (
        "http://127.0.0.1:2",
        "replica",
    )
    assert list(target.regions) == [PRIMARY_REGION, SECONDARY_REGION]
    assert target.api == "http://127.0.0.1:30700/api"


# -- free port bases -----------------------------------------------------------------------


def _own_bases(count: int, skip: int = 0) -> range:
    """`count` bases below the shared range (and the ephemeral ports), apart from those that
    another test process picks at the same time."""
    start = 10000 + 700 * (os.getpid() % 14) + 100 * skip
    return range(start, start + 100 * count, 100)


def test_a_port_base_is_picked_once_and_only_with_its_whole_span_free() -> None:
    bases = _own_bases(3)
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", bases[0] + 57))  # one port inside the first span
    try:
        picked = {free_port_base(bases), free_port_base(bases)}
        assert picked == {bases[1], bases[2]}
        with pytest.raises(SandboxError, match="no free port base"):
            free_port_base(bases)
    finally:
        blocker.close()


def test_processes_picking_at_the_same_time_get_different_bases() -> None:
    bases = _own_bases(4, skip=3)
    script = (
        "import sys; from sandbox.config import free_port_base;"
        f"print(free_port_base(range({bases.start}, {bases.stop}, 100)), flush=True);"
        "sys.stdin.read()"  # holds its pick until told to end
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    pickers = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO,
        )
        for _ in range(4)
    ]
    try:
        picked = []
        for picker in pickers:
            assert picker.stdout is not None
            picked.append(int(picker.stdout.readline()))
        assert sorted(picked) == list(bases)
    finally:
        for picker in pickers:
            picker.communicate("", timeout=30)
