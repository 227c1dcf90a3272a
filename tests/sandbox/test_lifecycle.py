"""Starting and stopping: one-line errors, Ctrl-C and `down` leave nothing behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess

from sandbox.blog import find_missing
from sandbox.config import build_config
from sandbox.procs import bookstore_command
from tests.sandbox.conftest import REPO, Sandbox, assert_nothing_left, http


def test_user_errors_are_one_line(fresh_sandbox: Sandbox) -> None:
    for args in (("outage", "mars"), ("status",), ("down",)):
        result = fresh_sandbox.cli(*args, check=False)
        assert result.returncode != 0
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr
    bad_base = subprocess.run(
        bookstore_command("sandbox", "up", "--port-base", "80"),
        capture_output=True, text=True, cwd=REPO, env=fresh_sandbox.env(), check=False,
    )  # fmt: skip
    assert bad_base.returncode != 0
    assert "port-base" in bad_base.stderr


def test_a_port_clash_is_one_line(fresh_sandbox: Sandbox) -> None:
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", build_config(fresh_sandbox.port_base).front_door_port))
    blocker.listen()
    try:
        clash = fresh_sandbox.cli("up", "--detach", check=False)
    finally:
        blocker.close()
    assert clash.returncode != 0
    assert "in use" in clash.stderr
    assert len(clash.stderr.strip().splitlines()) == 1


def test_ctrl_c_stops_a_foreground_sandbox(fresh_sandbox: Sandbox) -> None:
    command = bookstore_command("sandbox", "up", "--port-base", str(fresh_sandbox.port_base))
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPO,
        env=fresh_sandbox.env(),
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "is up: http://127.0.0.1:" in first, first
        fresh_sandbox.refresh()
        assert http("GET", f"{fresh_sandbox.front_door}/api/health").status == 200
        again = fresh_sandbox.cli("up", "--detach", check=False)
        assert again.returncode != 0
        assert "already running" in again.stderr
        pids = fresh_sandbox.child_pids()
        # the supervisor, 4 per region, replicator, front door, and the blog's 2 per region
        assert len(pids) == 1 + 10 + (0 if find_missing() else 4)
        fresh_sandbox.cli("outage", fresh_sandbox.secondary)  # frozen processes must stop too
        os.kill(process.pid, signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert_nothing_left(fresh_sandbox, pids)
