"""Fixtures for the sandbox tests: a sandbox on free ports, HTTP and Cognito helpers.

One sandbox serves the whole session (starting one costs ~15 s of a 2-core machine); tests
that break it on purpose restore it before they end. Every sandbox is stopped by a finalizer,
and any process it leaves behind is killed by process group.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from sandbox.config import SandboxConfig, build_config, free_port_base
from sandbox.procs import bookstore_command, pid_alive, port_listening

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Sandbox:
    port_base: int
    home: Path
    status: dict[str, Any] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["BOOKSTORE_SANDBOX_HOME"] = str(self.home)
        env["PYTHONPATH"] = os.pathsep.join([str(REPO / "functions"), str(REPO)])
        return env

    def cli(
        self, *args: str, check: bool = True, timeout: float = 150
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            bookstore_command("sandbox", *args, "--port-base", str(self.port_base)),
            capture_output=True,
            text=True,
            env=self.env(),
            cwd=REPO,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"sandbox {args} failed: {result.stdout}\n{result.stderr}")
        return result

    def up(self) -> None:
        self.cli("up", "--detach")
        self.refresh()

    def refresh(self) -> dict[str, Any]:
        self.status = json.loads(self.cli("status", "--json").stdout)
        return self.status

    @property
    def config(self) -> SandboxConfig:
        """Its ports and where its files are (under the home its processes are given)."""
        return build_config(self.port_base, home=str(self.home))

    @property
    def state_dir(self) -> Path:
        return self.config.state_dir

    def child_pids(self) -> list[int]:
        try:
            state = json.loads(self.config.state_file.read_text())
        except (OSError, ValueError):
            return []
        return [int(state["supervisorPid"])] + [int(c["pid"]) for c in state["children"].values()]

    def down(self) -> None:
        pids = self.child_pids()
        self.cli("down", check=False, timeout=60)
        for pid in pids:  # belt and braces: nothing may outlive a test
            for sig in (signal.SIGCONT, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, sig)

    @property
    def front_door(self) -> str:
        return str(self.status["frontDoor"])

    def api(self, region: str) -> str:
        return str(self.status["regions"][region]["api"])

    @property
    def primary(self) -> str:
        return next(n for n, r in self.status["regions"].items() if r["role"] == "primary")

    @property
    def secondary(self) -> str:
        return next(n for n, r in self.status["regions"].items() if r["role"] == "secondary")


def assert_nothing_left(box: Sandbox, pids: list[int]) -> None:
    """No port of the sandbox listens, none of its processes lives, its state is gone."""
    ports = build_config(box.port_base).ports()

    def leftovers() -> dict[str, Any]:
        return {
            "ports": [p for p in ports if port_listening(p)],
            "pids": [p for p in pids if pid_alive(p)],
            "state": box.config.state_file.exists(),
        }

    # A process that just got SIGKILL may take a moment to disappear on a busy machine.
    deadline = time.monotonic() + 5
    while any(leftovers().values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert leftovers() == {"ports": [], "pids": [], "state": False}


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """The shared sandbox. Its teardown is also the test that `down` leaves nothing behind."""
    box = Sandbox(free_port_base(), tmp_path_factory.mktemp("sandbox-home"))
    try:
        box.up()
        yield box
    finally:
        pids = box.child_pids()
        box.down()
    assert_nothing_left(box, pids)


@pytest.fixture
def fresh_sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """A sandbox of the test's own, for tests about starting and stopping."""
    box = Sandbox(free_port_base(), tmp_path / "home")
    try:
        yield box
    finally:
        box.down()


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any


def http(
    method: str,
    url: str,
    body: Any = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> Reply:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw, status, got = response.read(), response.status, dict(response.headers)
    except urllib.error.HTTPError as exc:
        raw, status, got = exc.read(), exc.code, dict(exc.headers)
    got = {k.lower(): v for k, v in got.items()}
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode(errors="replace")
    return Reply(status, got, parsed)


def all_orders(base: str, token: str, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Every order of the token's customer in one region, newest first, page after page."""
    orders: list[dict[str, Any]] = []
    cursor: str | None = None
    for _page in range(1000):  # bounded: a cursor that never ends fails the test
        query = "?limit=100" + (f"&cursor={cursor}" if cursor else "")
        reply = http("GET", f"{base}/orders{query}", token=token, timeout=timeout)
        assert reply.status == 200, reply.body
        orders.extend(reply.body["items"])
        cursor = reply.body["nextCursor"]
        if cursor is None:
            return orders
    raise AssertionError("GET /orders kept answering with a nextCursor")


@dataclass(frozen=True)
class Tokens:
    id_token: str
    access_token: str


def sign_up(box: Sandbox, prefix: str = "reader") -> Tokens:
    """A new user through the sandbox's Cognito endpoint (confirmed at once), signed in."""
    cognito = box.status["regions"][box.primary]["cognito"]
    client = boto3.client(
        "cognito-idp",
        endpoint_url=cognito["endpoint"],
        region_name=cognito["region"],
        aws_access_key_id="sandbox",
        aws_secret_access_key="sandbox",
    )
    email = f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"
    password = "Sandbox-Pass-1"
    signed_up = client.sign_up(
        ClientId=cognito["clientId"],
        Username=email,
        Password=password,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    assert signed_up["UserConfirmed"] is True
    result = client.initiate_auth(
        ClientId=cognito["clientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )["AuthenticationResult"]
    return Tokens(str(result["IdToken"]), str(result["AccessToken"]))


def sign_up_and_in(box: Sandbox) -> str:
    """A new user through the sandbox's Cognito endpoint; returns an ID token."""
    return sign_up(box).id_token


# How long a replicated write (or a leaderboard count fed by the stream) may take to show in
# the other region before a test gives up: typically well under a second, but a loaded 2-core
# machine can stretch it; a broken replication path still fails.
CONVERGE = 20.0


def eventually(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.1) -> Any:
    """Poll `check` until it returns a truthy value; the last value or error on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {value!r})")
        time.sleep(interval)


@pytest.fixture(scope="session")
def token(sandbox: Sandbox) -> str:
    return sign_up_and_in(sandbox)
