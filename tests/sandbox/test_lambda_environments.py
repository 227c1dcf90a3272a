"""The gateway's execution environments, with real processes and a test handler: invocations
in one region overlap, each environment has its own globals and cold start, a busy region
throttles at once, and the environments live in the gateway's process group."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from sandbox.gateway import (
    Gateway,
    IntegrationTimeout,
    InvocationFailed,
    ProcessEnvironments,
    Throttled,
    build_event,
)

HANDLER = "tests.sandbox.lambda_fixture:handler"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def environments(monkeypatch: pytest.MonkeyPatch) -> Iterator[ProcessEnvironments]:
    # The environments import the handler as `tests.sandbox...`, from the repository root.
    monkeypatch.chdir(REPO)
    # A long wait for a free environment: a loaded machine may take many seconds to import.
    pool = ProcessEnvironments(
        "eu-west-1", 2, handler=HANDLER, function_timeout=1.0, throttle_wait=60.0
    )
    try:
        yield pool
    finally:
        pool.close()


def event(query: str) -> dict[str, Any]:
    return build_event("GET", f"/x?{query}", [], b"", "127.0.0.1", "h", None)


def invoke(pool: ProcessEnvironments, query: str, seconds: float = 29) -> dict[str, Any]:
    result = pool.invoke(event(query), time.monotonic() + seconds)
    body: dict[str, Any] = json.loads(result["body"])
    return body


def test_two_invocations_run_at_once_in_two_environments(
    environments: ProcessEnvironments, tmp_path: Path
) -> None:
    # Each invocation waits inside the handler until both are there: serialised invocations
    # would never meet, however fast the machine.
    query = f"meet={tmp_path}&n=2"
    with ThreadPoolExecutor(2) as pool:
        bodies = list(pool.map(lambda _: invoke(environments, query), range(2)))
    assert [b["met"] for b in bodies] == [True, True]
    assert bodies[0]["pid"] != bodies[1]["pid"]
    # Own module globals: each environment counts its own first invocation.
    assert [b["invocations"] for b in bodies] == [1, 1]
    described = environments.describe()
    assert described["coldStarts"] == 2
    assert (described["idle"], described["busy"]) == (2, 0)
    # A warm environment is reused: no third cold start, and its globals carried on.
    again = invoke(environments, "")
    assert again["invocations"] == 2
    assert environments.describe()["coldStarts"] == 2


def test_a_region_at_its_concurrency_throttles_without_queueing(
    environments: ProcessEnvironments, tmp_path: Path
) -> None:
    release = tmp_path / "release"
    holders = ThreadPoolExecutor(2)
    try:
        held = [holders.submit(invoke, environments, f"hold={release}") for _ in range(2)]
        while environments.describe()["busy"] < 2:
            time.sleep(0.01)
        environments.throttle_wait = 0.5
        asked = time.monotonic()
        with pytest.raises(Throttled):
            invoke(environments, "")
        # Answered, not queued: at most the short wait for an environment to free up.
        assert time.monotonic() - asked < 5
        # Through the gateway: API Gateway's throttle answer, while both are still held.
        gateway = Gateway("eu-west-1", lambda: lambda e, c: None, None, environments)
        status, headers, body = gateway.handle("GET", "/books", [], b"", "127.0.0.1", "h")
        assert (status, json.loads(body)) == (429, {"message": "Too Many Requests"})
        assert ("content-type", "application/json") in headers
        assert not any(future.done() for future in held)
    finally:
        release.touch()
        holders.shutdown()
    assert environments.describe()["throttles"] == 2


def test_an_invocation_past_the_function_timeout_is_a_500_and_a_new_environment(
    environments: ProcessEnvironments,
) -> None:
    first = invoke(environments, "")
    gateway = Gateway("eu-west-1", lambda: lambda e, c: None, None, environments)
    # 3 s of CPU against a 1 s timeout (counted in CPU time, so a loaded machine does not
    # time out a function that merely waits for a core).
    status, _, body = gateway.handle("GET", "/x?spin=3", [], b"", "127.0.0.1", "h")
    assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})
    # The timed-out environment was discarded: the next one is a cold start.
    after = invoke(environments, "")
    assert after["pid"] != first["pid"]
    assert after["invocations"] == 1


def test_no_answer_within_the_integration_timeout_is_a_503_and_the_work_goes_on(
    environments: ProcessEnvironments,
) -> None:
    first = invoke(environments, "")
    with pytest.raises(IntegrationTimeout):
        invoke(environments, "sleep=2", seconds=0.5)
    # Waiting is not CPU: the function was not stopped, and its environment, warm, serves
    # again once it is done.
    deadline = time.monotonic() + 20
    while environments.describe()["idle"] < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert invoke(environments, "")["pid"] == first["pid"]
    gateway = Gateway("eu-west-1", lambda: lambda e, c: None, None, environments)
    assert gateway.handle("GET", "/x", [], b"", "127.0.0.1", "h")[0] == 200
    # A handler that cannot be imported fails the invocation, in API Gateway's shape.
    broken = ProcessEnvironments("eu-west-1", 1, handler="tests.sandbox.nowhere:handler")
    try:
        with pytest.raises(InvocationFailed):
            broken.invoke(event(""), time.monotonic() + 29)
    finally:
        broken.close()


def test_environments_are_in_the_gateways_process_group(
    environments: ProcessEnvironments,
) -> None:
    # An outage freezes a region by signalling each of its process groups: an environment in
    # a group of its own would keep serving through it.
    pid = invoke(environments, "")["pid"]
    assert os.getpgid(pid) == os.getpgid(os.getpid())
    assert os.getsid(pid) == os.getsid(os.getpid())


def test_an_idle_pool_starts_nothing(environments: ProcessEnvironments) -> None:
    assert environments.describe() == {
        "maximum": 2,
        "idle": 0,
        "busy": 0,
        "starting": 0,
        "coldStarts": 0,
        "throttles": 0,
    }
