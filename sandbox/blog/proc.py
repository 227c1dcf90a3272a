"""Process helpers for the blog tier: spawn in a new session, find a group's members, stop.

The blog keeps its own small copy of these instead of importing `sandbox.procs`, so that the
blog package can be driven (and tested) on its own; the behaviour is the same: every server
gets its own process group so one signal reaches a server and all of its workers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

HOST = "127.0.0.1"


def spawn(
    argv: Sequence[str],
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )


def process_state(pid: int) -> str:
    """The one-letter state from /proc (R, S, T for stopped, Z...), "" when gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[0]


def alive(pid: int) -> bool:
    return process_state(pid) not in ("", "Z", "X")


def group_members(pgid: int) -> list[int]:
    """Every live process in process group `pgid` (a PHP server's forked workers, say)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        try:
            if os.getpgid(pid) == pgid and alive(pid):
                members.append(pid)
        except OSError:
            continue
    return sorted(members, key=lambda p: (p != pgid, p))


def signal_group(pgid: int, sig: signal.Signals) -> bool:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def stop_group(pgid: int, timeout: float = 10.0) -> None:
    stop_groups([pgid], timeout)


def stop_groups(pgids: list[int], timeout: float = 10.0) -> None:
    """SIGCONT (a frozen server cannot act on SIGTERM), SIGTERM, then SIGKILL after `timeout`;
    all groups at once, so two databases shut down in parallel."""
    for pgid in pgids:
        signal_group(pgid, signal.SIGCONT)
    live = [pgid for pgid in pgids if signal_group(pgid, signal.SIGTERM)]
    deadline = time.monotonic() + timeout
    while live and time.monotonic() < deadline:
        live = [pgid for pgid in live if group_members(pgid)]
        time.sleep(0.05)
    for pgid in live:
        signal_group(pgid, signal.SIGKILL)
    deadline = time.monotonic() + 2
    while live and time.monotonic() < deadline:
        live = [pgid for pgid in live if group_members(pgid)]
        time.sleep(0.05)


def port_listening(port: int, timeout: float = 0.3) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        return sock.connect_ex((HOST, port)) == 0


def wait_until(
    predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.05
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
