"""A region's API Gateway: HTTP request -> HTTP API payload 2.0 event -> the real handler.

Run as `python -m sandbox.gateway --config .sandbox/N/config.json --region eu-west-1`, one
process per region because the Lambda code reads its settings once per process.

Invocations are serialised by a lock: a Lambda execution environment runs one event at a
time, and the handler code may keep per-invocation state in module globals (Powertools'
resolver keeps the current event on the app object), which concurrent threads would mix up.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import json
import logging
import os
import re
import threading
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


class Gateway:
    def __init__(
        self,
        region: str,
        handler_loader: Callable[[], Handler],
        authorizer: JwtAuthorizer | None,
    ) -> None:
        self.region = region
        self._load_handler = handler_loader
        self._handler: Handler | None = None
        self.authorizer = authorizer
        self._invoke_lock = threading.Lock()

    def handler(self) -> Handler:
        if self._handler is None:
            self._handler = self._load_handler()
        return self._handler

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
        try:
            handler = self.handler()
            with self._invoke_lock:
                context = LambdaContext(
                    f"bookstore-api-{self.region}", self.region, TIMEOUT_SECONDS
                )
                result = handler(event, context)
            return response_from_result(result)
        except Exception:
            # API Gateway answers a failed invocation with this body; the trace goes to the log.
            log.error("invocation failed:\n%s", traceback.format_exc())
            return self._json(500, {"message": "Internal Server Error"})

    def _json(self, status: int, body: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
        headers = [("content-type", "application/json"), ("x-bookstore-region", self.region)]
        return status, headers, json.dumps(body).encode()


def make_server(gateway: Gateway, port: int) -> ThreadingHTTPServer:
    return make_http_server(port, "sandbox-apigateway", gateway.handle, log)


def load_api_handler() -> Handler:
    module = importlib.import_module("api")
    handler: Handler = module.handler
    return handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="one region's API gateway")
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--region", required=True)
    args = parser.parse_args(argv)
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
    gateway = Gateway(region.name, load_api_handler, authorizer)
    try:
        gateway.handler()  # warm: import once before the first request, like an init phase
    except Exception:
        log.error("the API handler failed to load:\n%s", traceback.format_exc())
    server = make_server(gateway, region.gateway_port)
    log.info(
        "listening on %s:%s for %s (pid %s)", HOST, region.gateway_port, region.name, os.getpid()
    )
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
