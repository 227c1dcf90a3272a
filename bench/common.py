"""Shared plumbing of the benchmark sections: progress, statistics, ports, the machine."""

from __future__ import annotations

import os
import platform
import socket
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "functions"
PYTHON = sys.executable
HOST = "127.0.0.1"
REGION = "eu-west-1"

_STARTED = time.monotonic()

Section = dict[str, Any]
"""One section's results: `status` ("ok", "skipped", "error"), `reason` when not ok, data."""


def log(message: str) -> None:
    """Progress on stderr, stamped with seconds since the bench started."""
    print(f"[bench {time.monotonic() - _STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


def skipped(reason: str) -> Section:
    log(f"  skipped: {reason}")
    return {"status": "skipped", "reason": reason}


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); `values` non-empty."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * pct / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary_ms(seconds: Sequence[float]) -> dict[str, float | int]:
    """p50/p99/mean/min/max in milliseconds of a list of durations in seconds."""
    ms = [s * 1000.0 for s in seconds]
    return {
        "n": len(ms),
        "p50": round(percentile(ms, 50), 3),
        "p99": round(percentile(ms, 99), 3),
        "mean": round(statistics.fmean(ms), 3),
        "min": round(min(ms), 3),
        "max": round(max(ms), 3),
    }


def ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 3) if denominator > 0 else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((HOST, port)) == 0


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = []
    try:
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory_gib: float | None = round(mem_kb / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        memory_gib = None
    return {
        "cpuModel": cpu_model(),
        "cores": os.cpu_count(),
        "loadAverageAtStart": load,
        "memoryGiB": memory_gib,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "hostname": platform.node(),
    }


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a child Python: the Lambda code on the path, fake credentials."""
    env = dict(os.environ)
    env.pop("AWS_PROFILE", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        {
            "PYTHONPATH": os.pathsep.join([str(FUNCTIONS), str(ROOT)]),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
        }
    )
    env.update(extra)
    return env


def ensure_paths() -> None:
    """The Lambda code (`functions/`) and the repo root importable, as pytest configures."""
    for path in (str(ROOT), str(FUNCTIONS)):
        if path not in sys.path:
            sys.path.insert(0, path)
