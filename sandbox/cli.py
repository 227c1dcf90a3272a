"""`bookstore sandbox ...`: run the local two-region sandbox and inject faults into it."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import NoReturn

from cli.main import CliError
from sandbox.config import DEFAULT_PORT_BASE, PORT_SPAN, PRIMARY_REGION, SECONDARY_REGION

REGIONS = (PRIMARY_REGION, SECONDARY_REGION)
# The replicator checks for a pause between steps, every few tens of milliseconds when idle;
# a loaded machine can stretch one step to a few seconds.
PAUSE_ACK_SECONDS = 10.0


def _port_base(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1024 <= value <= 65535 - PORT_SPAN:
        raise argparse.ArgumentTypeError(f"must lie in 1024..{65535 - PORT_SPAN}")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


class _OneLineErrors(argparse.ArgumentParser):
    """Bad arguments are one line on stderr (argparse adds the usage; `-h` still shows it)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(
        dest="sandbox_command", metavar="SUBCOMMAND", required=True, parser_class=_OneLineErrors
    )

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.add_argument(
            "--port-base",
            type=_port_base,
            default=DEFAULT_PORT_BASE,
            metavar="N",
            help=f"the sandbox's ports lie in N..N+{PORT_SPAN - 1} (default {DEFAULT_PORT_BASE})",
        )
        return command

    up = add("up", "start both regions and the front door; Ctrl-C stops everything")
    up.add_argument("--detach", action="store_true", help="return once everything is healthy")
    up.add_argument("--mode", choices=("latency", "failover"), default="latency")
    up.add_argument(
        "--near",
        choices=REGIONS,
        default=PRIMARY_REGION,
        help="latency mode: the client's nearest region",
    )
    up.add_argument("--health-interval", type=_positive, default=1.0, metavar="SECONDS")
    up.add_argument("--failure-threshold", type=_count, default=3, metavar="N")
    up.add_argument("--recovery-threshold", type=_count, default=2, metavar="N")
    add("down", "stop a detached sandbox")
    status = add("status", "where everything runs and how it is")
    status.add_argument("--json", action="store_true", help="machine-readable (fixed shape)")
    for name, help_text in (
        (
            "outage",
            "freeze every process of REGION (API, data, Redis, blog); state is kept; if"
            " REGION's blog database is the primary, the other region's is promoted",
        ),
        (
            "restore",
            "resume a frozen REGION; replication then catches up; a former blog primary"
            " rejoins as a replica of the new one",
        ),
    ):
        command = add(name, help_text)
        command.add_argument("region", choices=REGIONS, metavar="REGION", help=" or ".join(REGIONS))
    add("partition", "pause replication between the regions (both keep serving)")
    add("heal", "resume replication")
    add("seed", "load the catalog into the primary again (idempotent; replication copies it)")
    logs = add("logs", "print the logs of the sandbox's processes")
    logs.add_argument("component", nargs="?", help="e.g. gateway-eu-west-1, replicator, frontdoor")
    logs.add_argument("-n", "--lines", type=int, default=20)
    logs.add_argument("-f", "--follow", action="store_true")


def run(args: argparse.Namespace) -> int:
    from sandbox.supervisor import SandboxError

    try:
        return COMMANDS[args.sandbox_command](args)
    except SandboxError as exc:
        raise CliError(str(exc)) from None


def _up(args: argparse.Namespace) -> int:
    from sandbox import supervisor
    from sandbox.config import build_config

    config = build_config(
        args.port_base,
        mode=args.mode,
        near_region=args.near,
        health_interval=args.health_interval,
        failure_threshold=args.failure_threshold,
        recovery_threshold=args.recovery_threshold,
    )
    if args.detach:
        argv = [
            "--port-base", str(args.port_base),
            "--mode", args.mode,
            "--near", args.near,
            "--health-interval", str(args.health_interval),
            "--failure-threshold", str(args.failure_threshold),
            "--recovery-threshold", str(args.recovery_threshold),
        ]  # fmt: skip
        return supervisor.start_detached(config, argv)
    live = sys.stdout.isatty() and not os.environ.get("BOOKSTORE_SANDBOX_DETACHED")
    return supervisor.run_foreground(config, live=live)


def _down(args: argparse.Namespace) -> int:
    from sandbox.supervisor import stop_detached

    stop_detached(args.port_base)
    print("sandbox stopped")
    return 0


def _status(args: argparse.Namespace) -> int:
    from sandbox.status import sandbox_status, status_text

    status = sandbox_status(args.port_base)
    print(json.dumps(status, indent=2) if args.json else status_text(status))
    return 0


def _signal_region(args: argparse.Namespace, sig: signal.Signals) -> int:
    from sandbox import procs
    from sandbox.supervisor import running_state

    state = running_state(args.port_base)
    children = {n: c for n, c in state["children"].items() if c.get("region") == args.region}
    for child in children.values():
        procs.signal_group(int(child["pid"]), sig)
    return len(children)


def _reconcile_blog(port_base: int) -> None:
    """Let the blog's database roles follow the regions at once (promote on an outage of the
    primary, rejoin on restore); the supervisor retries every few seconds if this fails."""
    from sandbox.blog import BlogError
    from sandbox.supervisor import attached_blog, describe_blog_action, reconcile_blog

    pair = attached_blog(port_base)
    if pair is None:
        return
    try:
        line = describe_blog_action(reconcile_blog(pair))
    except BlogError as exc:
        print(f"blog: failover step failed ({exc}); the supervisor retries it")
        return
    if line:
        print(line)


def _outage(args: argparse.Namespace) -> int:
    count = _signal_region(args, signal.SIGSTOP)
    print(f"{args.region} is out: {count} processes frozen")
    _reconcile_blog(args.port_base)
    print(f"  bring it back: bookstore sandbox restore {args.region}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    count = _signal_region(args, signal.SIGCONT)
    print(f"{args.region} restored: {count} processes resumed; replication catches up")
    _reconcile_blog(args.port_base)
    return 0


def _blog_replication(port_base: int, pause: bool) -> None:
    from sandbox.blog import BlogError
    from sandbox.supervisor import attached_blog

    pair = attached_blog(port_base)
    if pair is None:
        return
    try:
        if pause:
            pair.pause_replication()
        else:
            pair.resume_replication()
    except BlogError as exc:
        print(f"blog: could not {'pause' if pause else 'resume'} replication: {exc}")
        return
    print(f"blog: database replication {'paused' if pause else 'resumed'}")


def _partition(args: argparse.Namespace) -> int:
    from sandbox.supervisor import load_config, running_state

    running_state(args.port_base)
    state_dir = load_config(args.port_base).state_dir
    asked = time.time()
    (state_dir / "partitioned").touch()
    # Return only once the replicator has seen the pause between two steps, so that a write
    # made after this command cannot be carried over by a step that was already running.
    deadline = time.monotonic() + PAUSE_ACK_SECONDS
    while not _replicator_paused_since(state_dir / "replicator.json", asked):
        if time.monotonic() >= deadline:
            # Nothing half-done: without the replicator's word the pause is taken back.
            (state_dir / "partitioned").unlink(missing_ok=True)
            raise CliError(
                f"the replicator did not confirm the pause within {PAUSE_ACK_SECONDS:g} s, so"
                " nothing was paused (is it running? see `bookstore sandbox status`)"
            )
        time.sleep(0.05)
    _blog_replication(args.port_base, pause=True)
    print("replication paused; both regions keep serving (heal: bookstore sandbox heal)")
    return 0


def _replicator_paused_since(status_file: Path, asked: float) -> bool:
    try:
        status = json.loads(status_file.read_text())
    except (OSError, ValueError):
        return False
    return bool(status.get("paused")) and float(status.get("writtenAt", 0)) >= asked


def _heal(args: argparse.Namespace) -> int:
    from sandbox.supervisor import load_config, running_state

    running_state(args.port_base)
    (load_config(args.port_base).state_dir / "partitioned").unlink(missing_ok=True)
    _blog_replication(args.port_base, pause=False)
    print("replication resumed")
    return 0


def _seed(args: argparse.Namespace) -> int:
    from sandbox.provision import seed_catalog
    from sandbox.supervisor import load_config, running_state

    running_state(args.port_base)
    config = load_config(args.port_base)
    count = seed_catalog(config.primary)
    print(f"{count} books written to {config.primary.name}; replication copies them on")
    return 0


def _logs(args: argparse.Namespace) -> int:
    from sandbox.supervisor import load_config, running_state

    running_state(args.port_base)
    config = load_config(args.port_base)
    directory = config.state_dir / "logs"
    # The blog's servers log into its own directory (kept with its data).
    every = sorted(directory.glob("*.log")) + sorted((config.blog_state_dir / "logs").glob("*.log"))
    files = every
    if args.component:
        files = [f for f in files if f.stem == args.component]
        if not files:
            names = ", ".join(f.stem for f in every)
            raise CliError(f"no log named {args.component!r}; there are: {names}")
    for path in files:
        lines = path.read_text(errors="replace").splitlines()[-args.lines :]
        print(f"==> {path.stem} <==")
        print("\n".join(lines))
    if args.follow:
        offsets = {path: path.stat().st_size for path in files}
        try:
            while True:
                for path in files:
                    with path.open("rb") as handle:
                        handle.seek(offsets[path])
                        chunk = handle.read()
                        offsets[path] = handle.tell()
                    for line in chunk.decode(errors="replace").splitlines():
                        print(f"{path.stem}: {line}", flush=True)
                time.sleep(0.5)
        except KeyboardInterrupt:
            return 0
    return 0


COMMANDS = {
    "up": _up,
    "down": _down,
    "status": _status,
    "outage": _outage,
    "restore": _restore,
    "partition": _partition,
    "heal": _heal,
    "seed": _seed,
    "logs": _logs,
}
