"""Section 6: the time to evaluate each stack's program under Pulumi mocks.

Runs in a child process (`python -m bench.pulumi_eval ROUNDS`) so the mock runtime's global
state never leaks into the bench. The first round includes importing pulumi_aws and the
components (cold); later rounds are warm."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import PYTHON, ROOT, Section, child_env, log

STACKS = ("primary", "secondary", "global")
TIMEOUT_SECONDS = 600.0


def evaluate(rounds: int) -> dict[str, list[float]]:
    """In this process: every stack `rounds` times, as tests/infra/conftest.py runs them."""
    import warnings

    warnings.filterwarnings("ignore", category=DeprecationWarning)
    sys.path.insert(0, str(ROOT))
    started = time.perf_counter()
    import pulumi_aws  # noqa: F401

    from tests.infra.conftest import PASSWORD, make_artifacts, make_web_dist, run_program

    import_seconds = time.perf_counter() - started

    times: dict[str, list[float]] = {stack: [] for stack in STACKS}
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="bench-pulumi-") as tmp:
        artifacts = make_artifacts(Path(tmp) / "lambda")
        dist = make_web_dist(Path(tmp) / "dist")
        primary_org = "organization/bookstore/primary"
        for _ in range(rounds):
            started = time.perf_counter()
            primary = run_program(
                "primary",
                {"bookstore:artifactDir": str(artifacts), "bookstore:blogDbPassword": PASSWORD},
            )
            times["primary"].append(time.perf_counter() - started)
            started = time.perf_counter()
            secondary = run_program(
                "secondary",
                {"bookstore:artifactDir": str(artifacts)},
                {primary_org: primary.exports},
            )
            times["secondary"].append(time.perf_counter() - started)
            started = time.perf_counter()
            global_run = run_program(
                "global",
                {"bookstore:webDist": str(dist)},
                {
                    primary_org: primary.exports,
                    "organization/bookstore/secondary": secondary.exports,
                },
            )
            times["global"].append(time.perf_counter() - started)
            counts = {
                "primary": len(primary.resources),
                "secondary": len(secondary.resources),
                "global": len(global_run.resources),
            }
    return {
        **times,
        "resources": [float(counts[s]) for s in STACKS],
        "import": [import_seconds],
    }


def run(rounds: int) -> Section:
    log(f"pulumi: evaluating {', '.join(STACKS)} under mocks, {rounds} round(s), in a child")
    done = subprocess.run(
        [PYTHON, "-m", "bench.pulumi_eval", str(rounds)],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"pulumi evaluation failed: {done.stderr[-1500:]}")
    raw: dict[str, list[float]] = json.loads(lines[-1])
    counts = raw.pop("resources")
    import_seconds = raw.pop("import")[0]
    stacks: dict[str, Any] = {}
    for index, stack in enumerate(STACKS):
        values = raw[stack]
        warm = values[1:]
        stacks[stack] = {
            "resources": int(counts[index]),
            "firstSeconds": round(values[0], 2),
            "warmMedianSeconds": round(statistics.median(warm), 2) if warm else None,
            "allSeconds": [round(v, 2) for v in values],
        }
        log(f"  {stack}: {values[0]:.2f} s first, {int(counts[index])} resources")
    return {
        "status": "ok",
        "rounds": rounds,
        "importSeconds": round(import_seconds, 2),
        "stacks": stacks,
        "what": (
            "wall time of one program run under pulumi.runtime mocks until every output resolves;"
            " importSeconds = importing pulumi, pulumi_aws and the harness before any stack; the"
            " first round of the first stack still loads the pulumi_aws submodules it uses"
        ),
    }


if __name__ == "__main__":
    print(json.dumps(evaluate(int(sys.argv[1]) if len(sys.argv) > 1 else 1)))
