"""The front door's server: which path goes to which part, `/frontdoor/status`, and `main`.

What the front door answers itself (no region answered, too busy, a method it does not route)
is in the API's error shape, `{"error": {"code", "message"}}`. It takes at most
`MAX_IN_FLIGHT` requests at once and answers any beyond that 503 at once, never by a queue.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sandbox.config import RegionConfig, SandboxConfig
from sandbox.frontdoor.api import ApiRoutes
from sandbox.frontdoor.blog import BlogProxy
from sandbox.frontdoor.cognito import CognitoProxy
from sandbox.frontdoor.health import AWS_HEALTH_CHECK_INTERVAL_SECONDS
from sandbox.frontdoor.proxy import error_body
from sandbox.frontdoor.resolver import AWS_RECORD_TTL_SECONDS, Resolver
from sandbox.frontdoor.site import Site
from sandbox.httpd import Response, make_http_server
from sandbox.procs import exit_with_parent, install_sigterm_exit
from sandbox.provision import web_dist

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 256


class FrontDoor:
    def __init__(self, config: SandboxConfig, dist: Path | None = None) -> None:
        self.config = config
        self.started_at = time.time()
        # Every AWS timer the sandbox models runs this much faster than AWS's.
        scale = config.health_interval / AWS_HEALTH_CHECK_INTERVAL_SECONDS
        ttl = config.record_ttl
        self.record_ttl = ttl if ttl is not None else AWS_RECORD_TTL_SECONDS * scale
        self.api = ApiRoutes(config, Resolver(self.record_ttl))
        self.health = self.api.health
        self.blog = BlogProxy(config, Resolver(self.record_ttl))
        self.site = Site(config, dist or web_dist(), scale)
        self.cognito = CognitoProxy(config)

    @property
    def api_resolver(self) -> Resolver:
        return self.api.resolver

    @api_resolver.setter
    def api_resolver(self, resolver: Resolver) -> None:
        self.api.resolver = resolver

    def start_health_checks(self) -> None:
        self.api.start_health_checks()
        self.blog.start_health_check()

    def preference(self) -> list[RegionConfig]:
        return self.api.preference()

    def serving(self) -> str | None:
        return self.api.serving()

    def status(self) -> dict[str, Any]:
        with self.api.lock:
            regions = {name: state.to_json() for name, state in self.health.items()}
        return {
            "mode": self.config.mode,
            "nearRegion": self.config.near_region,
            "interval": self.config.health_interval,
            "failureThreshold": self.config.failure_threshold,
            "recoveryThreshold": self.config.recovery_threshold,
            "recordTtl": self.record_ttl,
            "serving": self.serving(),
            "regions": regions,
            # Clients holding an unexpired answer, by the region it names.
            "clients": {
                "api": self.api.resolver.holders(),
                "blog": self.blog.resolver.holders(),
            },
            "blogHealth": self.blog.status(),
            "site": self.site.status(),
        }

    def handle(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> Response:
        path = urlsplit(target).path
        if path == "/api" or path.startswith("/api/"):
            return self.api.proxy_api(method, target, headers, body)
        regional = self.api.regional_api(path)
        if regional is not None:
            return self.api.proxy_regional_api(regional, method, target, headers, body)
        if path.rstrip("/") == "/cognito":
            return self.cognito.proxy(method, headers, body)
        if path == "/frontdoor/status":
            return 200, [("content-type", "application/json")], json.dumps(self.status()).encode()
        if path == "/config.json":
            return self.site.site_config()
        if path == "/blog" or path.startswith("/blog/"):
            return self.blog.proxy(method, target, headers, body)
        return self.site.serve(method, path)


def make_server(front_door: FrontDoor, port: int) -> ThreadingHTTPServer:
    def handle(
        method: str, target: str, headers: list[tuple[str, str]], body: bytes, *_client: str
    ) -> Response:
        return front_door.handle(method, target, headers, body)

    return make_http_server(
        port, "sandbox-frontdoor", handle, log, error_body=error_body, max_in_flight=MAX_IN_FLIGHT
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.frontdoor", description="the sandbox's front door"
    )
    parser.add_argument("--config", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s frontdoor %(message)s")
    exit_with_parent()
    install_sigterm_exit()
    config = SandboxConfig.load(args.config)
    front_door = FrontDoor(config)
    front_door.start_health_checks()
    server = make_server(front_door, config.front_door_port)
    log.info("listening on %s", config.front_door_url)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
