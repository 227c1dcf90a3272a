"""A region's API Gateway and Lambda: HTTP request -> HTTP API payload 2.0 event -> the real
handler, run in one of the region's execution environments.

Run as `python -m sandbox.gateway --config .sandbox/N/config.json --region eu-west-1`, one
gateway process per region.

Execution environments, as Lambda runs them:
- Each environment is a process of its own (`--environment-fd`), with its own module globals,
  and it runs one event at a time: Powertools' resolver keeps the current event on the app
  object, so two events must never share an interpreter, and on Lambda they never do.
- Several run at once, up to `lambda_concurrency` per region (the account's concurrency, on
  one machine): an event goes to an idle environment, the most recently used first; when
  every one is busy a new one starts, with its own cold start (importing the handler module,
  the init phase), and the event goes to the first environment that is free, the new one or
  one that finished meanwhile (a busy 2-core machine takes seconds over an import Lambda does
  in a fraction of one). So requests to one region overlap inside the handler, and the races
  between them happen here as on AWS.
- A request that finds no environment free within `THROTTLE_WAIT_SECONDS` (every one busy
  and the region at its concurrency, or still in their init) is throttled: 429
  `{"message": "Too Many Requests"}`, API Gateway's answer. Nothing queues longer, so
  overload never turns into a hang.
- An invocation that runs past the function's timeout (the API function's 10 s, counted in
  the environment's CPU time, as a shared machine's wall time measures its load) is stopped
  and its environment discarded, as Lambda does, and answered 500 `{"message": "Internal
  Server Error"}`, API Gateway's answer to a failed invocation; a request without an answer
  within the HTTP API's integration timeout (29 s, counting a cold start) is a 503
  `{"message": "Service Unavailable"}`, and the environment finishes its work meanwhile.
- The environments are children of the gateway in its process group, so the region's outage
  (SIGSTOP to each of the region's process groups) freezes them with it.

What the gateway answers itself is in API Gateway's shape, `{"message": ...}`, as on AWS.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import faulthandler
import importlib
import json
import logging
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from bench.events import LambdaContext as LambdaContext
from bench.events import build_event as build_event
from bookstore.http.routes import ROUTES
from sandbox.config import HOST, SandboxConfig
from sandbox.httpd import make_http_server
from sandbox.jwt_auth import UNAUTHORIZED_BODY, JwtAuthorizer, Unauthorized
from sandbox.procs import exit_with_parent, install_sigterm_exit

log = logging.getLogger("sandbox.gateway")

Handler = Callable[[dict[str, Any], Any], Any]

# API Gateway's integration timeout for HTTP APIs.
TIMEOUT_SECONDS = 29
# The API function's timeout in the Pulumi program. Lambda also limits an init phase to 10 s,
# but a busy 2-core machine can take that long to import what Lambda imports in a fraction of
# a second, so here the init phase is bounded only by the integration timeout.
FUNCTION_TIMEOUT_SECONDS = 10.0
FUNCTION_NAME = "bookstore-api-{region}"
API_HANDLER = "api:handler"
# How long a request waits for a free environment before the 429, and how many environments
# may be in their init at once (imports are CPU-bound: a busy 2-core machine does two at a
# time faster than eight).
THROTTLE_WAIT_SECONDS = 2.0
MAX_STARTING = 2
# How long an environment the gateway gave up on may take to finish before it is stopped.
ABANDONED_SECONDS = 120.0


def _template(path: str) -> re.Pattern[str]:
    """`/books/{bookId}` as a pattern: a parameter is one whole path segment."""
    return re.compile(r"\A" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)) + r"\Z", re.DOTALL)


PUBLIC_ROUTES = tuple((r.method, _template(r.path)) for r in ROUTES if not r.protected)
# The first segment of every protected route: the authorizer guards everything under it, so
# an undeclared method or path there (a 404 from API Gateway itself) never reaches the function
# without a token either.
PROTECTED_PREFIXES = tuple(
    sorted({"/" + r.path.strip("/").split("/")[0] for r in ROUTES if r.protected})
)


def is_protected(method: str, path: str) -> bool:
    # Decoded first: the API decodes the path before routing, so `/%63art` is the cart and
    # must not slip past the authorizer.
    path = unquote(path)
    if any(method == m and pattern.match(path) for m, pattern in PUBLIC_ROUTES):
        return False
    return any(path == p or path.startswith(p + "/") for p in PROTECTED_PREFIXES)


def response_from_result(result: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """Interpret a handler's return value as API Gateway does for payload format 2.0."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # A bare value is a 200 with the value as JSON.
        return 200, [("content-type", "application/json")], json.dumps(result).encode()
    headers = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
    headers += [("set-cookie", str(c)) for c in result.get("cookies") or []]
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
    return int(result["statusCode"]), headers, body


class Throttled(Exception):
    """Every execution environment is busy and the region is at its concurrency."""


class InvocationFailed(Exception):
    """The function raised, crashed, or ran past its timeout."""


class IntegrationTimeout(Exception):
    """No answer within API Gateway's integration timeout."""


class Environments:
    """Where invocations run: `invoke` returns the handler's result or raises one of the
    three exceptions above."""

    def invoke(self, event: dict[str, Any], deadline: float) -> Any:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        """Stop every environment."""


class InProcessEnvironment(Environments):
    """One environment inside this process, for tests of the gateway without processes: one
    event at a time, a second concurrent one is throttled (its concurrency is one)."""

    def __init__(self, region: str, loader: Callable[[], Handler]) -> None:
        self.region = region
        self._loader = loader
        self._handler: Handler | None = None
        self._busy = threading.Lock()

    def invoke(self, event: dict[str, Any], deadline: float) -> Any:
        if not self._busy.acquire(blocking=False):
            raise Throttled
        try:
            if self._handler is None:
                self._handler = self._loader()
            name = FUNCTION_NAME.format(region=self.region)
            return self._handler(event, LambdaContext(name, self.region, FUNCTION_TIMEOUT_SECONDS))
        except Exception as exc:
            log.error("invocation failed:\n%s", traceback.format_exc())
            raise InvocationFailed(str(exc)) from exc
        finally:
            self._busy.release()


# Frames between the gateway and an environment: 4-byte big-endian length, then JSON.
_LENGTH = struct.Struct(">I")


def send_frame(sock: socket.socket, message: dict[str, Any]) -> None:
    payload = json.dumps(message).encode()
    sock.sendall(_LENGTH.pack(len(payload)) + payload)


def recv_frame(sock: socket.socket, deadline: float | None) -> dict[str, Any] | None:
    """The next message; None when the other end closed. TimeoutError past `deadline`."""
    header = _recv_exactly(sock, _LENGTH.size, deadline)
    if header is None:
        return None
    payload = _recv_exactly(sock, _LENGTH.unpack(header)[0], deadline)
    if payload is None:
        return None
    message: dict[str, Any] = json.loads(payload)
    return message


def _recv_exactly(sock: socket.socket, size: int, deadline: float | None) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < size:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([sock], [], [], left)[0]:
                raise TimeoutError
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


class Environment:
    """One execution environment: a process that imports the handler (its init phase), says
    it is ready, then runs one event per message until it is stopped."""

    def __init__(
        self,
        region: str,
        number: int,
        handler: str = API_HANDLER,
        function_timeout: float = FUNCTION_TIMEOUT_SECONDS,
    ) -> None:
        self.region = region
        self.number = number
        self.function_timeout = function_timeout
        ours, theirs = socket.socketpair()
        # Not a session of its own: in the gateway's process group, frozen by the region's
        # outage and stopped with the gateway. Output goes to the gateway's log.
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sandbox.gateway",
                "--environment-fd",
                str(theirs.fileno()),
                "--region",
                region,
                "--handler",
                handler,
            ],
            stdin=subprocess.DEVNULL,
            pass_fds=(theirs.fileno(),),
        )
        theirs.close()
        self.sock = ours
        self.ready = False
        self.pending = False
        self.invocations = 0

    def invoke(self, event: dict[str, Any], deadline: float) -> Any:
        """Raises InvocationFailed, or TimeoutError past `deadline` (the integration's); then
        the environment is still working on it (`pending`) or still in its init."""
        if not self.ready:
            message = self._receive(deadline, None)
            if not message.get("ready"):
                raise InvocationFailed(str(message.get("error", "init failed")))
            self.ready = True
        self.invocations += 1
        send_frame(self.sock, {"event": event})
        self.pending = True
        message = self._receive(deadline, self.cpu_seconds() + self.function_timeout)
        self.pending = False
        if "error" in message:
            raise InvocationFailed(str(message["error"]))
        return message["result"]

    def _receive(self, deadline: float, cpu_limit: float | None) -> dict[str, Any]:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            try:
                readable = select.select([self.sock], [], [], min(left, 0.25))[0]
                message = recv_frame(self.sock, deadline) if readable else {}
            except OSError as exc:
                raise InvocationFailed(f"environment lost: {exc}") from exc
            if message is None:
                raise InvocationFailed(f"environment {self.number} exited ({self.exit_code()})")
            if message:
                return message
            if cpu_limit is not None and self.cpu_seconds() > cpu_limit:
                raise InvocationFailed(f"timed out after {self.function_timeout:g} s")

    def finish(self, seconds: float) -> bool:
        """Wait out an init or an invocation the gateway gave up on; True if it is idle now."""
        deadline = time.monotonic() + seconds
        try:
            if not self.ready:
                message = recv_frame(self.sock, deadline)
                self.ready = bool(message and message.get("ready"))
                return self.ready
            if self.pending:
                self.pending = recv_frame(self.sock, deadline) is None
        except (TimeoutError, OSError):
            return False
        return not self.pending

    def cpu_seconds(self) -> float:
        """CPU time the environment has used. The function timeout counts this, not wall time:
        on a shared 2-core machine wall time measures the machine's load, not the function."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def exit_code(self) -> int | None:
        return self.process.poll()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)


class ProcessEnvironments(Environments):
    """Up to `maximum` environments, started on demand, reused most recently used first."""

    def __init__(
        self,
        region: str,
        maximum: int,
        handler: str = API_HANDLER,
        function_timeout: float = FUNCTION_TIMEOUT_SECONDS,
        throttle_wait: float = THROTTLE_WAIT_SECONDS,
    ) -> None:
        self.region = region
        self.maximum = max(1, maximum)
        self.handler = handler
        self.function_timeout = function_timeout
        self._lock = threading.Lock()
        self._freed = threading.Condition(self._lock)
        self._idle: list[Environment] = []
        self._busy: set[Environment] = set()
        self._started = 0
        self._starting = 0
        self._failed_inits = 0
        self.throttle_wait = throttle_wait
        self.cold_starts = 0
        self.throttles = 0

    def _acquire(self) -> Environment:
        """An idle environment; while none is, start another (up to the maximum, in the
        background) and wait for the first to be free, at most `throttle_wait` seconds."""
        deadline = time.monotonic() + self.throttle_wait
        with self._lock:
            failed_before = self._failed_inits
            while True:
                if self._idle:
                    environment = self._idle.pop()
                    self._busy.add(environment)
                    return environment
                if self._failed_inits > failed_before:
                    # Lambda answers an event whose environment failed its init with an error.
                    raise InvocationFailed("an environment failed its init")
                total = len(self._busy) + self._starting
                if total < self.maximum and self._starting < MAX_STARTING:
                    self._start_locked()
                left = deadline - time.monotonic()
                if left <= 0:
                    self.throttles += 1
                    raise Throttled
                self._freed.wait(left)

    def _start_locked(self) -> None:
        self._starting += 1
        self._started += 1
        self.cold_starts += 1
        threading.Thread(target=self._boot, args=(self._started,), daemon=True).start()

    def _boot(self, number: int) -> None:
        environment: Environment | None = None
        ready = False
        try:
            environment = Environment(self.region, number, self.handler, self.function_timeout)
            ready = environment.finish(ABANDONED_SECONDS)
        except OSError as exc:
            log.error("could not start an environment: %s", exc)
        with self._lock:
            self._starting -= 1
            if ready and environment is not None:
                self._idle.append(environment)
            else:
                self._failed_inits += 1
            self._freed.notify_all()
        if environment is not None and not ready:
            log.error("environment %s failed its init", number)
            environment.stop()

    def _release(self, environment: Environment, keep: bool) -> None:
        with self._lock:
            self._busy.discard(environment)
            if keep:
                self._idle.append(environment)
            self._freed.notify()
        if not keep:
            environment.stop()

    def warm(self) -> None:
        """Start one environment and wait for its init, before the gateway takes requests."""
        with self._lock:
            self._start_locked()
            self._freed.wait_for(lambda: self._starting == 0, ABANDONED_SECONDS)

    def invoke(self, event: dict[str, Any], deadline: float) -> Any:
        environment = self._acquire()
        try:
            result = environment.invoke(event, deadline)
        except TimeoutError:
            # API Gateway gives up; the environment carries on, as a Lambda function runs on
            # after its caller's timeout, and is idle again when it is done.
            threading.Thread(target=self._finish, args=(environment,), daemon=True).start()
            raise IntegrationTimeout from None
        except BaseException:
            self._release(environment, False)
            raise
        self._release(environment, True)
        return result

    def _finish(self, environment: Environment) -> None:
        self._release(environment, keep=environment.finish(ABANDONED_SECONDS))

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "maximum": self.maximum,
                "idle": len(self._idle),
                "busy": len(self._busy),
                "starting": self._starting,
                "coldStarts": self.cold_starts,
                "throttles": self.throttles,
            }

    def close(self) -> None:
        with self._lock:
            every = [*self._idle, *self._busy]
            self._idle.clear()
            self._busy.clear()
        for environment in every:
            environment.stop()


def run_environment(fd: int, region: str, loader: Callable[[], Handler]) -> None:
    """The body of an environment process: init, then one event per message."""
    sock = socket.socket(fileno=fd)
    try:
        handler = loader()
    except Exception:
        log.error("init failed:\n%s", traceback.format_exc())
        send_frame(sock, {"error": "init failed"})
        return
    send_frame(sock, {"ready": True})
    name = FUNCTION_NAME.format(region=region)
    while True:
        message = recv_frame(sock, None)
        if message is None:
            return
        try:
            context = LambdaContext(name, region, FUNCTION_TIMEOUT_SECONDS)
            result = handler(message["event"], context)
            payload = json.dumps({"result": result}).encode()
        except Exception:
            log.error("invocation failed:\n%s", traceback.format_exc())
            send_frame(sock, {"error": "Internal Server Error"})
            continue
        sock.sendall(_LENGTH.pack(len(payload)) + payload)


class Gateway:
    def __init__(
        self,
        region: str,
        handler_loader: Callable[[], Handler],
        authorizer: JwtAuthorizer | None,
        environments: Environments | None = None,
    ) -> None:
        self.region = region
        self.authorizer = authorizer
        self.environments = environments or InProcessEnvironment(region, handler_loader)

    def handle(
        self,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes,
        source_ip: str,
        domain: str,
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        path = urlsplit(target).path
        claims: dict[str, str] | None = None
        if is_protected(method, path) and method != "OPTIONS":
            authorization = next((v for k, v in headers if k.lower() == "authorization"), None)
            try:
                if self.authorizer is None:
                    raise Unauthorized("no authorizer configured")
                claims = self.authorizer.claims(authorization)
            except Unauthorized as exc:
                log.info("401 %s %s: %s", method, path, exc)
                return self._json(401, UNAUTHORIZED_BODY)
        event = build_event(method, target, headers, body, source_ip, domain, claims)
        deadline = time.monotonic() + TIMEOUT_SECONDS
        try:
            result = self.environments.invoke(event, deadline)
            return response_from_result(result)
        except Throttled:
            log.warning("429 %s %s: every environment is busy", method, path)
            return self._json(429, {"message": "Too Many Requests"})
        except IntegrationTimeout:
            log.warning("503 %s %s: no answer within %s s", method, path, TIMEOUT_SECONDS)
            return self._json(503, {"message": "Service Unavailable"})
        except InvocationFailed as exc:
            # API Gateway answers a failed invocation with this body; the cause goes to the log.
            log.error("500 %s %s: %s", method, path, exc)
            return self._json(500, {"message": "Internal Server Error"})
        except Exception:
            log.error("invocation failed:\n%s", traceback.format_exc())
            return self._json(500, {"message": "Internal Server Error"})

    def _json(self, status: int, body: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
        headers = [("content-type", "application/json"), ("x-bookstore-region", self.region)]
        return status, headers, json.dumps(body).encode()


def make_server(gateway: Gateway, port: int) -> ThreadingHTTPServer:
    return make_http_server(port, "sandbox-apigateway", gateway.handle, log)


def load_handler(spec: str) -> Handler:
    """`module:attribute`, as Lambda's handler setting names it."""
    module_name, _, attribute = spec.partition(":")
    handler: Handler = getattr(importlib.import_module(module_name), attribute)
    return handler


def load_api_handler() -> Handler:
    return load_handler(API_HANDLER)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="one region's API gateway")
    parser.add_argument("--config", type=Path)
    parser.add_argument("--region", required=True)
    parser.add_argument("--environment-fd", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--handler", default=API_HANDLER, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.environment_fd is not None:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s lambda %(message)s")
        exit_with_parent()
        install_sigterm_exit()
        # Ctrl-C reaches the gateway's group; the gateway decides when its environments end.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        # `kill -USR1 <pid>` writes where a stuck environment is to the gateway's log.
        faulthandler.register(signal.SIGUSR1)
        run_environment(args.environment_fd, args.region, lambda: load_handler(args.handler))
        return
    if args.config is None:
        parser.error("--config is required")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s gateway %(message)s")
    exit_with_parent()
    install_sigterm_exit()
    config = SandboxConfig.load(args.config)
    region = config.region(args.region)
    pool = config.cognito
    authorizer = JwtAuthorizer(
        issuer=pool.issuer,
        audiences=[pool.client_id],
        jwks_url=f"{config.primary.aws_endpoint}/{pool.user_pool_id}/.well-known/jwks.json",
    )
    authorizer.load_keys()
    environments = ProcessEnvironments(region.name, config.lambda_concurrency)
    # One environment initialised before the port opens, like a provisioned one: the
    # supervisor's start-up and the first health checks do not wait for a cold start.
    environments.warm()
    gateway = Gateway(region.name, load_api_handler, authorizer, environments)
    server = make_server(gateway, region.gateway_port)
    log.info(
        "listening on %s:%s for %s (pid %s, up to %s environments)",
        HOST,
        region.gateway_port,
        region.name,
        os.getpid(),
        environments.maximum,
    )
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        environments.close()


if __name__ == "__main__":
    main()
