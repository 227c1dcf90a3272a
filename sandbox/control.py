"""The sandbox's commands as functions over a `SandboxConfig`: start and stop it, take a region
out and bring it back, pause and resume replication, read its status, seed the catalog.

`bookstore sandbox` prints what they return; the drill calls them in-process, so that a fault
lands within milliseconds of the moment it records. Each returns a typed result and raises
`SandboxError` (one line) for anything a user can act on. A `config` names the sandbox by its
port base; the functions that need the running sandbox's own config (its user pool, ...) read
the one it saved.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sandbox import procs, supervisor
from sandbox.blog import BlogError, BlogPair
from sandbox.config import SandboxConfig, SandboxError
from sandbox.status import SandboxStatus, sandbox_status

__all__ = [
    "PAUSE_ACK_SECONDS",
    "RegionChange",
    "ReplicationChange",
    "SandboxError",
    "Seeded",
    "Started",
    "down",
    "heal",
    "log_files",
    "outage",
    "partition",
    "restore",
    "seed",
    "status",
    "up",
]

# The replicator checks for a pause between steps, every few tens of milliseconds when idle;
# a loaded machine can stretch one step to a few seconds.
PAUSE_ACK_SECONDS = 10.0


@dataclass(frozen=True)
class Started:
    front_door: str
    port_base: int
    blog: str  # one line: where the blog is, or why it is not running and what to install


@dataclass(frozen=True)
class RegionChange:
    """What `outage` froze or `restore` resumed."""

    region: str
    processes: int
    # What the blog's database roles did at once (a promotion, a rejoin, or why that failed
    # and the supervisor retries); None when nothing changed or there is no blog.
    blog: str | None = None


@dataclass(frozen=True)
class ReplicationChange:
    """What `partition` paused or `heal` resumed."""

    paused: bool
    blog: str | None = None  # the blog's database replication, likewise; None without a blog


@dataclass(frozen=True)
class Seeded:
    books: int
    region: str


def up(config: SandboxConfig, progress: Callable[[str], None] | None = None) -> Started:
    """Start a sandbox in the background; returns once everything is healthy."""
    state = supervisor.start_detached(config, progress)
    blog = supervisor.blog_summary(config, state.get("blog") or {})
    return Started(front_door=config.front_door_url, port_base=config.port_base, blog=blog)


def down(config: SandboxConfig) -> None:
    supervisor.stop_detached(config.port_base)


def status(config: SandboxConfig) -> SandboxStatus:
    return sandbox_status(config)


def outage(config: SandboxConfig, region: str) -> RegionChange:
    """Freeze every process of `region` (API, data, Redis, blog); state is kept. If the
    region's blog database is the primary, the other region's is promoted."""
    count = _signal_region(config, region, signal.SIGSTOP)
    return RegionChange(region, count, _reconcile_blog(config))


def restore(config: SandboxConfig, region: str) -> RegionChange:
    """Resume a frozen `region`; replication catches up, and a former blog primary rejoins as
    a replica of the new one."""
    count = _signal_region(config, region, signal.SIGCONT)
    return RegionChange(region, count, _reconcile_blog(config))


def partition(config: SandboxConfig) -> ReplicationChange:
    """Pause replication between the regions (both keep serving). Returns only once the
    replicator has seen the pause between two steps, so that a write made afterwards cannot
    be carried over by a step that was already running."""
    supervisor.running_state(config.port_base)
    asked = time.time()
    config.partition_flag.touch()
    deadline = time.monotonic() + PAUSE_ACK_SECONDS
    while not _replicator_paused_since(config.replicator_status_file, asked):
        if time.monotonic() >= deadline:
            # Nothing half-done: without the replicator's word the pause is taken back.
            config.partition_flag.unlink(missing_ok=True)
            raise SandboxError(
                f"the replicator did not confirm the pause within {PAUSE_ACK_SECONDS:g} s, so"
                " nothing was paused (is it running? see `bookstore sandbox status`)"
            )
        time.sleep(0.05)
    return ReplicationChange(paused=True, blog=_blog_replication(config, pause=True))


def heal(config: SandboxConfig) -> ReplicationChange:
    """Resume replication."""
    supervisor.running_state(config.port_base)
    config.partition_flag.unlink(missing_ok=True)
    return ReplicationChange(paused=False, blog=_blog_replication(config, pause=False))


def seed(config: SandboxConfig) -> Seeded:
    """Load the catalog into the primary again (idempotent; replication copies it on)."""
    from sandbox.provision import seed_catalog

    supervisor.running_state(config.port_base)
    primary = supervisor.load_config(config.port_base).primary
    return Seeded(books=seed_catalog(primary), region=primary.name)


def log_files(config: SandboxConfig, component: str | None = None) -> list[Path]:
    """The logs of the sandbox's processes (the blog's servers log with its data), or the
    one of `component`."""
    supervisor.running_state(config.port_base)
    every = sorted(config.logs_dir.glob("*.log")) + sorted(config.blog_logs_dir.glob("*.log"))
    if component is None:
        return every
    chosen = [path for path in every if path.stem == component]
    if not chosen:
        names = ", ".join(path.stem for path in every)
        raise SandboxError(f"no log named {component!r}; there are: {names}")
    return chosen


# -- the parts ----------------------------------------------------------------------------


def _signal_region(config: SandboxConfig, region: str, sig: signal.Signals) -> int:
    if region not in {r.name for r in config.regions}:
        names = " or ".join(r.name for r in config.regions)
        raise SandboxError(f"no region {region!r} in the sandbox (there are {names})")
    state = supervisor.running_state(config.port_base)
    children = [c for c in state["children"].values() if c.get("region") == region]
    for child in children:
        procs.signal_group(int(child["pid"]), sig)
    return len(children)


def _reconcile_blog(config: SandboxConfig) -> str | None:
    """Let the blog's database roles follow the regions at once (promote on an outage of the
    primary, rejoin on restore); the supervisor retries every few seconds if this fails."""
    pair = supervisor.attached_blog(config.port_base)
    if pair is None:
        return None
    try:
        return supervisor.describe_blog_action(supervisor.reconcile_blog(pair))
    except BlogError as exc:
        return f"blog: failover step failed ({exc}); the supervisor retries it"


def _blog_replication(config: SandboxConfig, pause: bool) -> str | None:
    pair: BlogPair | None = supervisor.attached_blog(config.port_base)
    if pair is None:
        return None
    try:
        if pause:
            pair.pause_replication()
        else:
            pair.resume_replication()
    except BlogError as exc:
        return f"blog: could not {'pause' if pause else 'resume'} replication: {exc}"
    return f"blog: database replication {'paused' if pause else 'resumed'}"


def _replicator_paused_since(status_file: Path, asked: float) -> bool:
    try:
        reported = json.loads(status_file.read_text())
    except (OSError, ValueError):
        return False
    return bool(reported.get("paused")) and float(reported.get("writtenAt", 0)) >= asked
