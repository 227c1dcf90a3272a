"""`bookstore drill`: inject a regional fault and measure RTO, RPO and integrity.

Kept light at import time (the `bookstore` parser imports every command module): the drill's
machinery is imported only when the command runs. Building the parser reads the fault
registry (`drill.faults`, no AWS or Redis client) for the `--fault` choices.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from cli.main import CliError
from sandbox.config import DEFAULT_PORT_BASE, parse_port_base

if TYPE_CHECKING:
    from drill.target import Target

DEFAULT_STACKS = "primary,secondary,global"


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _users(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= 200:
        raise argparse.ArgumentTypeError("must lie in 1..200")
    return value


def _whole(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 0 <= value <= 50:
        raise argparse.ArgumentTypeError("must lie in 0..50")
    return value


def _port_base(text: str) -> int:
    """The sandbox's own check (its default, so `make up` + `bookstore drill` just work)."""
    try:
        return parse_port_base(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(parser: argparse.ArgumentParser) -> None:
    _add_fault_options(parser)
    _add_run_options(parser)
    _add_client_options(parser)
    parser.add_argument("--out", type=Path, default=Path("drills"), metavar="DIR")
    _add_target_options(parser)


def _add_fault_options(parser: argparse.ArgumentParser) -> None:
    """Where the drill runs, which fault it injects, and into which region."""
    parser.add_argument("--target", choices=("sandbox", "aws"), default="sandbox")
    from drill.faults import PLANS

    parser.add_argument(
        "--fault",
        choices=list(PLANS),
        default="region-outage",
        metavar="NAME",
        help="; ".join(f"{name}: {plan.summary}" for name, plan in PLANS.items())
        + " (default region-outage)",
    )
    parser.add_argument(
        "--region", metavar="R", help="the region to hit (default: the one serving users)"
    )


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    """The load, when the fault comes and goes, and the RTO/RPO gates."""
    parser.add_argument("--users", type=_users, default=10, metavar="N", help="default 10")
    parser.add_argument(
        "--duration", type=_positive, default=60.0, metavar="S", help="seconds of load (60)"
    )
    parser.add_argument("--max-rto", type=_positive, metavar="S", help="fail above this RTO")
    parser.add_argument("--max-rpo", type=_positive, metavar="S", help="fail above this RPO")
    parser.add_argument(
        "--k", type=_users, default=5, metavar="K", help="consecutive good checkouts (5)"
    )
    parser.add_argument(
        "--fault-at", type=_positive, metavar="S", help="when to inject (default 25%% in)"
    )
    parser.add_argument(
        "--hold", type=_positive, metavar="S", help="how long the fault lasts (default 35%%)"
    )
    parser.add_argument(
        "--converge-timeout", type=_positive, default=60.0, metavar="S", help="default 60"
    )
    parser.add_argument(
        "--think",
        type=_positive,
        metavar="S",
        help="mean pause between a user's steps, drawn from S/2..3S/2 (default 0.05-0.2 s)",
    )
    parser.add_argument(
        "--error-grace",
        type=_non_negative,
        default=2.0,
        metavar="S",
        help="seconds after service is back that a failed request may still be sent (2)",
    )


def _add_client_options(parser: argparse.ArgumentParser) -> None:
    """How the shoppers' client fails over, and the gate on the RTO they see."""
    parser.add_argument(
        "--client",
        choices=("policy", "naive"),
        default="policy",
        help="policy: shoppers use the web app's client failover, plus --naive-users probes"
        " without it (both RTOs in one run); naive: every shopper uses the routed endpoint only"
        " (default policy)",
    )
    parser.add_argument(
        "--naive-users",
        type=_whole,
        default=2,
        metavar="N",
        help="naive probe shoppers besides --users, for the router RTO (default 2)",
    )
    parser.add_argument(
        "--max-client-rto",
        type=_positive,
        default=3.0,
        metavar="S",
        help="fail when the policy shoppers' RTO is above this (default 3)",
    )


def _add_target_options(parser: argparse.ArgumentParser) -> None:
    """The options of each target, in a group of its own."""
    sandbox = parser.add_argument_group("sandbox")
    sandbox.add_argument(
        "--port-base",
        type=_port_base,
        default=DEFAULT_PORT_BASE,
        metavar="N",
        help="use the sandbox on this port base, or start (and then stop) one there",
    )
    aws = parser.add_argument_group("aws")
    aws.add_argument("--yes", action="store_true", help="really fence a production region")
    aws.add_argument(
        "--org",
        default=os.environ.get("PULUMI_ORG", "organization"),
        help="Pulumi organization of the stacks (default $PULUMI_ORG or 'organization')",
    )
    aws.add_argument(
        "--stacks",
        default=DEFAULT_STACKS,
        help=f"primary,secondary,global stack names (default {DEFAULT_STACKS})",
    )


def _interrupt_on_termination() -> dict[signal.Signals, Any]:
    """SIGTERM/SIGHUP end the drill like Ctrl-C does, so every `finally` (restore, lift the
    fence, stop our own sandbox) runs. Returns the previous handlers."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        previous[sig] = signal.signal(sig, handler)
    return previous


def run(args: argparse.Namespace) -> int:
    from drill.report import write_report
    from drill.runner import Options, run_drill
    from drill.target import DrillError

    options = Options(
        target=args.target,
        fault=args.fault,
        region=args.region,
        users=args.users,
        duration=args.duration,
        max_rto=args.max_rto,
        max_rpo=args.max_rpo,
        k=args.k,
        fault_at=args.fault_at,
        hold=args.hold,
        converge_timeout=args.converge_timeout,
        think=args.think,
        error_grace=args.error_grace,
        client=args.client,
        naive_users=args.naive_users,
        max_client_rto=args.max_client_rto,
    )
    previous = _interrupt_on_termination()
    target: Target | None = None
    try:
        target = _make_target(args)
        outcome = run_drill(target, options)
    except DrillError as exc:
        raise CliError(str(exc)) from None
    finally:
        try:
            if target is not None:
                target.close()
        except Exception as exc:
            # Loud on purpose: a fence left up keeps a production region out of service.
            print(f"bookstore: CLEANUP FAILED: {exc}", file=sys.stderr)
            raise
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    directory = write_report(outcome, args.out)
    print(f"report: {directory / 'report.md'}")
    if outcome.passed:

        def seconds(value: float | None) -> str:
            return "n/a" if value is None else f"{value:.1f} s"

        rtos = [f"RTO {seconds(outcome.recovery.rto)}"]
        for kind, name in (("naive", "router"), ("policy", "client")):
            if kind in outcome.by_client:
                rtos.append(f"{name} RTO {seconds(outcome.by_client[kind].recovery.rto)}")
        print(f"drill passed ({'; '.join(rtos)})")
        return 0
    failures = outcome.gates.failures
    more = f" (+{len(failures) - 1} more, see the report)" if len(failures) > 1 else ""
    print(f"bookstore: drill failed: {failures[0]}{more}", file=sys.stderr)
    return 1


def _make_target(args: argparse.Namespace) -> Target:
    from drill.target import DrillError

    if args.target == "sandbox":
        if args.yes:
            raise DrillError("--yes is for --target aws only")
        from drill.sandbox_target import SandboxTarget

        return SandboxTarget(args.port_base, start=True, out=sys.stdout)
    if not args.yes:
        raise DrillError(
            "a drill on aws fences a live region and sends real traffic; add --yes to go ahead"
        )
    from drill.aws_target import AwsTarget, read_deployment

    stacks = [s.strip() for s in args.stacks.split(",") if s.strip()]
    if len(stacks) != 3:
        raise DrillError("--stacks takes three names: primary,secondary,global")
    return AwsTarget(read_deployment(args.org, stacks))
