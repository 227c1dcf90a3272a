"""`bookstore sandbox ...`: run the local two-region sandbox and inject faults into it.

A thin layer over `sandbox.control`: the settings' flags come from the fields of
`SandboxConfig` (a new setting is one field with its `Flag`), and each command prints what its
control function returns.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import Field
from pathlib import Path
from typing import Any, NoReturn

from cli.main import CliError
from sandbox.config import REGION_ROLES, Flag, SandboxConfig, build_config

REGIONS = tuple(name for name, _role in REGION_ROLES)


class _OneLineErrors(argparse.ArgumentParser):
    """Bad arguments are one line on stderr (argparse adds the usage; `-h` still shows it)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _argument_type(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert


def add_setting(command: argparse.ArgumentParser, item: Field[Any]) -> None:
    """The flag of one setting of `SandboxConfig`, read from the field's metadata."""
    flag: Flag = item.metadata["flag"]
    options: dict[str, Any] = {
        "dest": item.name,
        "default": item.default,
        "help": flag.help if item.default is None else f"{flag.help} (default {item.default})",
        "metavar": flag.metavar,
    }
    if flag.choices:
        options["choices"] = flag.choices
    if flag.parse is not None:
        options["type"] = _argument_type(flag.parse)
    command.add_argument("--" + (flag.name or item.name).replace("_", "-"), **options)


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(
        dest="sandbox_command", metavar="SUBCOMMAND", required=True, parser_class=_OneLineErrors
    )

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text, description=help_text)
        for item in SandboxConfig.settings():
            if item.metadata["flag"].every or name == "up":
                add_setting(command, item)
        return command

    up = add("up", "start both regions and the front door; Ctrl-C stops everything")
    up.add_argument("--detach", action="store_true", help="return once everything is healthy")
    # How a detached supervisor gets its settings: the whole config, saved by `up --detach`.
    up.add_argument("--config", type=Path, help=argparse.SUPPRESS)
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
    from sandbox.config import SandboxError

    try:
        return COMMANDS[args.sandbox_command](args)
    except SandboxError as exc:
        raise CliError(str(exc)) from None


def config_from(args: argparse.Namespace) -> SandboxConfig:
    """The config the command's flags describe (the settings it has; defaults for the rest)."""
    given = {f.name: getattr(args, f.name) for f in SandboxConfig.settings() if f.name in args}
    return build_config(**given)


def _up(args: argparse.Namespace) -> int:
    from sandbox import control, supervisor

    config = SandboxConfig.load(args.config) if args.config else config_from(args)
    if args.detach:
        started = control.up(config, progress=lambda line: print(f"  {line}", flush=True))
        print(f"bookstore sandbox is up: {started.front_door}")
        print(f"  {started.blog}")
        print(f"  stop it: bookstore sandbox down --port-base {started.port_base}")
        return 0
    live = sys.stdout.isatty() and not os.environ.get("BOOKSTORE_SANDBOX_DETACHED")
    return supervisor.run_foreground(config, live=live)


def _down(args: argparse.Namespace) -> int:
    from sandbox import control

    control.down(config_from(args))
    print("sandbox stopped")
    return 0


def _status(args: argparse.Namespace) -> int:
    from sandbox import control
    from sandbox.status import status_text

    status = control.status(config_from(args))
    print(json.dumps(status.to_json(), indent=2) if args.json else status_text(status))
    return 0


def _outage(args: argparse.Namespace) -> int:
    from sandbox import control

    done = control.outage(config_from(args), args.region)
    print(f"{done.region} is out: {done.processes} processes frozen")
    if done.blog:
        print(done.blog)
    print(f"  bring it back: bookstore sandbox restore {done.region}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from sandbox import control

    done = control.restore(config_from(args), args.region)
    print(f"{done.region} restored: {done.processes} processes resumed; replication catches up")
    if done.blog:
        print(done.blog)
    return 0


def _partition(args: argparse.Namespace) -> int:
    from sandbox import control

    done = control.partition(config_from(args))
    if done.blog:
        print(done.blog)
    print("replication paused; both regions keep serving (heal: bookstore sandbox heal)")
    return 0


def _heal(args: argparse.Namespace) -> int:
    from sandbox import control

    done = control.heal(config_from(args))
    if done.blog:
        print(done.blog)
    print("replication resumed")
    return 0


def _seed(args: argparse.Namespace) -> int:
    from sandbox import control

    done = control.seed(config_from(args))
    print(f"{done.books} books written to {done.region}; replication copies them on")
    return 0


def _logs(args: argparse.Namespace) -> int:
    from sandbox import control

    files = control.log_files(config_from(args), args.component)
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
