"""Through the real sandbox: the front door retries nothing, a client keeps the region it was
given for the record's TTL, and an outage freezes a region's execution environments too."""

from __future__ import annotations

import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from sandbox.procs import group_members, process_state
from tests.sandbox.conftest import Sandbox, eventually, http, sign_up_and_in


def _gateway_pid(sandbox: Sandbox, region: str) -> int:
    state = json.loads((sandbox.state_dir / "state.json").read_text())
    return int(state["children"][f"gateway-{region}"]["pid"])


def test_a_request_to_a_frozen_region_fails_and_is_not_retried(sandbox: Sandbox) -> None:
    token = sign_up_and_in(sandbox)
    door = f"{sandbox.front_door}/api"
    status = http("GET", f"{sandbox.front_door}/frontdoor/status").body
    ttl = status["recordTtl"]
    # Two requests at once in the primary: its gateway runs them in environments of its own,
    # children in its process group.
    with ThreadPoolExecutor(2) as pool:
        replies = list(pool.map(lambda _: http("GET", f"{door}/cart", token=token), range(2)))
    assert [r.status for r in replies] == [200, 200]
    assert {r.headers["x-bookstore-region"] for r in replies} == {sandbox.primary}
    resolved = time.monotonic()
    gateway = _gateway_pid(sandbox, sandbox.primary)
    members = group_members(gateway)
    assert len(members) >= 2, members  # the gateway and at least one environment

    # The gateway's process group only, signalled directly: `outage` does the same to every
    # group of the region, but its command takes seconds to start on a busy machine, and the
    # client's answer must still be fresh when it asks.
    os.killpg(gateway, signal.SIGSTOP)
    try:
        assert all(process_state(pid) == "T" for pid in group_members(gateway))
        # Within its TTL the client still goes to the primary, and nothing sends the request
        # on to the secondary: it gets no answer at all.
        assert time.monotonic() < resolved + ttl - 1.5
        with pytest.raises(TimeoutError):
            http("GET", f"{door}/cart", token=token, timeout=1.5)
        # Once its answer has expired and the health checks have failed the primary, the
        # client is given the secondary.
        eventually(
            lambda: (
                http("GET", f"{sandbox.front_door}/frontdoor/status").body["serving"]
                == sandbox.secondary
            ),
            timeout=10,
        )
        time.sleep(max(0.0, resolved + ttl - time.monotonic()))
        moved = http("GET", f"{door}/cart", token=token, timeout=5)
        assert moved.status == 200
        assert moved.headers["x-bookstore-region"] == sandbox.secondary
        holders = http("GET", f"{sandbox.front_door}/frontdoor/status").body["clients"]["api"]
        assert holders.get(sandbox.secondary, 0) >= 1
    finally:
        os.killpg(gateway, signal.SIGCONT)
    eventually(
        lambda: (
            http("GET", f"{sandbox.front_door}/frontdoor/status").body["serving"] == sandbox.primary
        ),
        timeout=20,
    )
