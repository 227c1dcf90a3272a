"""Child processes: spawn each in its own process group, freeze, thaw, stop, and probe ports.

Every child gets its own process group so that one signal reaches the whole child (moto's
worker threads, redis) and nothing else, and so that Ctrl-C in the terminal reaches only the
supervisor, which then stops the children in order.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from sandbox.config import AWS_CREDENTIALS, HOST, RegionConfig, SandboxConfig, repo_root


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    root = repo_root()
    env = dict(os.environ)
    paths = [str(root / "functions"), str(root)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(AWS_CREDENTIALS)
    env.update(extra or {})
    return env


def region_env(config: SandboxConfig, region: RegionConfig) -> dict[str, str]:
    """The Lambda environment of one region, as `bookstore.settings` reads it."""
    from bookstore.settings import table_env_var
    from bookstore.tables import TABLES
    from sandbox.config import TABLE_PREFIX

    env = {
        "BOOKSTORE_REGION": region.name,
        "AWS_REGION": region.name,
        "AWS_DEFAULT_REGION": region.name,
        "AWS_ENDPOINT_URL": region.aws_endpoint,
        "REDIS_URL": region.redis_url,
        # One front-door checker: any outage that fails a region over outlasts this.
        "FAILBACK_AWAY_SECONDS": str(config.health_interval * config.failure_threshold),
        "SITE_ORIGIN": config.front_door_url,
        "POWERTOOLS_SERVICE_NAME": "bookstore",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Bookstore",
    }
    for table in TABLES:
        env[table_env_var(table)] = table.physical_name(TABLE_PREFIX)
    return env


def spawn(
    argv: Sequence[str],
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Starts `argv` as the leader of a new process group (one signal then reaches a server
    and all of its workers), output appended to `log_path`; `env` None inherits ours."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd or repo_root(),
            start_new_session=True,
        )


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def bookstore_command(*args: str) -> list[str]:
    """The `bookstore` command with this interpreter. Not `-m cli.main`: that would run the
    module as `__main__`, a second copy whose `CliError` is not the one commands raise."""
    return [sys.executable, "-c", "import sys; from cli.main import main; sys.exit(main())", *args]


def signal_group(pid: int, sig: signal.Signals) -> bool:
    """Signal the process group led by `pid`; False if it is gone."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    return True


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes; its parent has just not reaped it yet.
    return process_state(pid) not in ("Z", "X", "")


def process_state(pid: int) -> str:
    """The one-letter state from /proc (R, S, T for stopped, Z...), "" when unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[0]


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return bool(group_members(pgid))


def group_members(pgid: int) -> list[int]:
    """Every live process in process group `pgid` (a PHP server's forked workers, say),
    the leader first."""
    members = [pid for pid in _all_pids() if _pgid_of(pid) == pgid and pid_alive(pid)]
    return sorted(members, key=lambda pid: (pid != pgid, pid))


def _all_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _pgid_of(pid: int) -> int:
    try:
        return os.getpgid(pid)
    except OSError:
        return -1


def stop_group(pgid: int, timeout: float = 5.0) -> None:
    """SIGCONT (a frozen group cannot act on SIGTERM), SIGTERM, then SIGKILL after `timeout`."""
    stop_groups([pgid], timeout)


def stop_groups(pgids: Sequence[int], timeout: float = 5.0) -> None:
    """`stop_group` for all of them at once, so that two databases shut down in parallel."""
    for pgid in pgids:
        signal_group(pgid, signal.SIGCONT)
    live = [pgid for pgid in pgids if signal_group(pgid, signal.SIGTERM)]
    deadline = time.monotonic() + timeout
    while live and time.monotonic() < deadline:
        live = [pgid for pgid in live if group_alive(pgid)]
        time.sleep(0.05)
    for pgid in live:
        signal_group(pgid, signal.SIGKILL)
    deadline = time.monotonic() + 2
    while live and time.monotonic() < deadline:
        live = [pgid for pgid in live if group_alive(pgid)]
        time.sleep(0.05)


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError as exc:
            return exc.errno in (errno.EADDRINUSE, errno.EACCES)
    return False


def port_listening(port: int, timeout: float = 0.3) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        return sock.connect_ex((HOST, port)) == 0


def http_status(address: str, timeout: float = 1.0) -> int | None:
    """The status of GET `address`, or None when nothing answers in time."""
    try:
        with urllib.request.urlopen(address, timeout=timeout) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (OSError, ValueError):
        return None


def wait_until(
    predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.1
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


def exit_with_parent() -> None:
    """Children exit when their supervisor dies, even by SIGKILL, so none are left behind."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                with contextlib.suppress(Exception):
                    sys.stderr.write("supervisor gone, exiting\n")
                os._exit(0)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def install_sigterm_exit() -> None:
    """Turn SIGTERM into SystemExit so `finally` blocks and atexit handlers run."""

    def _exit(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _exit)
