"""The front door does what the Pulumi program deploys and nothing more, against stub regions
on the ports of a config (no sandbox): `/api` is Route 53 (an answer per client for the TTL,
no retry), `/` is the CloudFront origin group, and its own answers are in the API's shape."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import components.failover_routing as deployed
from sandbox import frontdoor
from sandbox.config import HOST, build_config
from sandbox.frontdoor import FrontDoor, Resolver, client_of, make_server
from sandbox.frontdoor import server as frontdoor_server
from tests.sandbox.conftest import free_port_base


@dataclass
class Stub:
    """A region's gateway or moto: answers `status` to everything and counts requests."""

    port: int
    status: int = 200
    body: bytes = b'{"ok": true}'
    seen: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def start(self) -> Stub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                stub.seen.append(f"{self.command} {self.path}")
                self.send_response(stub.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(stub.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(stub.body)

            do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_OPTIONS = _any

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((HOST, self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def door() -> Iterator[tuple[FrontDoor, dict[str, Stub], dict[str, Stub]]]:
    config = build_config(free_port_base())
    gateways = {r.name: Stub(r.gateway_port).start() for r in config.regions}
    motos = {r.name: Stub(r.moto_port).start() for r in config.regions}
    front = FrontDoor(config)
    for state in front.health.values():
        state.healthy = True
    try:
        yield front, gateways, motos
    finally:
        for stub in [*gateways.values(), *motos.values()]:
            stub.stop()


def bearer(name: str) -> list[tuple[str, str]]:
    return [("Authorization", f"Bearer {name}")]


def test_the_deployed_settings_are_the_ones_the_sandbox_models() -> None:
    assert deployed.HEALTH_CHECK_INTERVAL_SECONDS == frontdoor.AWS_HEALTH_CHECK_INTERVAL_SECONDS
    assert deployed.ALIAS_TTL_SECONDS == frontdoor.AWS_RECORD_TTL_SECONDS
    assert deployed.ORIGIN_FAILOVER_STATUS_CODES == frontdoor.ORIGIN_FAILOVER_STATUS_CODES
    for key in ("index.html", "assets/app-1f2e.js", "covers/x.svg", "favicon.ico"):
        assert deployed._cache_control(key) == frontdoor.object_cache_control(key)
    # The TTL keeps AWS's ratio to the health-check interval unless set.
    assert FrontDoor(build_config(30000, health_interval=0.5)).record_ttl == 3.0
    assert FrontDoor(build_config(30000, record_ttl=2.0)).record_ttl == 2.0


def test_a_client_keeps_its_answer_for_the_ttl_and_clients_move_one_by_one() -> None:
    clock = Clock()
    resolver = Resolver(6.0, clock)
    assert resolver.resolve("alice", lambda: "eu-west-1") == "eu-west-1"
    clock.now += 3
    # The health flipped: a new client gets the other region; alice keeps hers.
    assert resolver.resolve("bob", lambda: "ap-southeast-1") == "ap-southeast-1"
    assert resolver.resolve("alice", lambda: "ap-southeast-1") == "eu-west-1"
    assert resolver.holders() == {"eu-west-1": 1, "ap-southeast-1": 1}
    clock.now += 3  # alice's answer is 6 s old: expired, asked again
    assert resolver.resolve("alice", lambda: "ap-southeast-1") == "ap-southeast-1"
    assert resolver.holders() == {"ap-southeast-1": 2}
    clock.now += 10
    assert resolver.holders() == {}


def test_clients_are_keyed_by_credentials_and_anonymous_requests_share_one() -> None:
    assert client_of([]) == client_of([("User-Agent", "x")]) == frontdoor.ANONYMOUS
    assert client_of(bearer("a")) == client_of([("authorization", "Bearer a")])
    assert client_of(bearer("a")) != client_of(bearer("b"))
    assert "Bearer" not in client_of(bearer("a"))  # no token kept in memory


def test_api_is_never_retried_on_the_other_region(door: Any) -> None:
    front, gateways, _motos = door
    primary, secondary = (r.name for r in front.config.regions)
    gateways[primary].status = 503
    for method in ("GET", "POST", "PUT", "DELETE"):
        status, _, body = front.handle(method, "/api/orders", bearer("a"), b"{}")
        assert status == 503
        assert json.loads(body) == {"ok": True}  # the region's own answer, passed on
    assert gateways[secondary].seen == []
    # No region listening: the front door's own answer, in the API's error shape, and still
    # no second try.
    gateways[primary].stop()
    status, headers, body = front.handle("GET", "/api/books", bearer("a"), b"")
    assert status == 502
    assert json.loads(body)["error"]["code"] == "REGION_UNREACHABLE"
    assert ("content-type", "application/json") in headers
    assert gateways[secondary].seen == []


def test_a_client_stays_on_a_failed_region_until_its_ttl_runs_out(door: Any) -> None:
    front, gateways, _motos = door
    clock = Clock()
    front.api_resolver = Resolver(front.record_ttl, clock)
    primary, secondary = (r.name for r in front.config.regions)
    assert front.handle("GET", "/api/books", bearer("a"), b"")[0] == 200
    front.health[primary].healthy = False
    gateways[primary].status = 503
    clock.now += front.record_ttl - 0.5
    assert front.handle("GET", "/api/books", bearer("a"), b"")[0] == 503
    assert front.handle("GET", "/api/books", bearer("b"), b"")[0] == 200  # asked after the flip
    assert front.status()["clients"]["api"] == {primary: 1, secondary: 1}
    clock.now += 0.5
    assert front.handle("GET", "/api/books", bearer("a"), b"")[0] == 200
    assert gateways[secondary].seen == ["GET /books", "GET /books"]
    assert front.status()["recordTtl"] == front.record_ttl


def test_the_site_fails_over_to_the_secondary_bucket_on_the_listed_statuses(door: Any) -> None:
    front, _gateways, motos = door
    primary, secondary = front.config.primary, front.config.other(front.config.primary.name)
    motos[primary.name].status = 503
    motos[secondary.name].body = b"<html>app</html>"
    status, headers, body = front.handle("GET", "/books/42", [], b"")
    assert (status, body) == (200, b"<html>app</html>")
    # The viewer-request rewrite: a path without a dot is the app's index.html.
    assert motos[primary.name].seen == [f"GET /{primary.site_bucket}/index.html"]
    assert motos[secondary.name].seen == [f"GET /{secondary.site_bucket}/index.html"]
    assert dict(headers)["cache-control"] == "no-cache"
    # A status not in the list is the answer: no second origin.
    motos[primary.name].status = 200
    for stub in motos.values():
        stub.seen.clear()
    assert front.handle("GET", "/assets/app.js", [], b"")[0] == 200
    assert motos[secondary.name].seen == []
    # Cached at the edge for the object's TTL: the origin is not asked again.
    status, headers, _ = front.handle("GET", "/assets/app.js", [], b"")
    assert (status, dict(headers)["x-cache"]) == (200, "Hit from cloudfront")
    assert len(motos[primary.name].seen) == 1


def test_the_site_takes_reads_only_and_fails_over_on_an_unreachable_origin(door: Any) -> None:
    front, _gateways, motos = door
    primary, secondary = front.config.primary, front.config.other(front.config.primary.name)
    status, _, body = front.handle("POST", "/index.html", [], b"x")
    assert status == 405
    assert json.loads(body)["error"]["code"] == "METHOD_NOT_ALLOWED"
    motos[primary.name].stop()
    assert front.handle("GET", "/logo.svg", [], b"")[0] == 200
    assert motos[secondary.name].seen == [f"GET /{secondary.site_bucket}/logo.svg"]
    # Both origins gone: the front door's own 504, in the API's shape.
    motos[secondary.name].stop()
    status, _, body = front.handle("GET", "/other.svg", [], b"")
    assert status == 504
    assert json.loads(body)["error"]["code"] == "REGION_TIMEOUT"


def test_overload_is_answered_at_once_in_the_apis_error_shape() -> None:
    config = build_config(free_port_base())
    front = FrontDoor(config)
    entered, release = threading.Event(), threading.Event()

    def slow(*_args: Any) -> tuple[int, list[tuple[str, str]], bytes]:
        entered.set()
        release.wait(10)
        return 200, [], b""

    front.handle = slow  # type: ignore[method-assign]
    original = frontdoor_server.MAX_IN_FLIGHT
    frontdoor_server.MAX_IN_FLIGHT = 1
    server = make_server(front, 0)
    frontdoor_server.MAX_IN_FLIGHT = original
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        first = threading.Thread(
            target=lambda: http.client.HTTPConnection(HOST, port, timeout=10).request("GET", "/")
        )
        first.start()
        assert entered.wait(10)
        # The one slot is taken: the next request is refused at once, not queued behind it.
        connection = http.client.HTTPConnection(HOST, port, timeout=5)
        connection.request("GET", "/api/books")
        response = connection.getresponse()
        assert response.status == 503
        assert json.loads(response.read()) == {
            "error": {"code": "FRONT_DOOR_BUSY", "message": "Service Unavailable"}
        }
        assert not release.is_set()
        # What the server answers itself is in the same shape.
        connection = http.client.HTTPConnection(HOST, port, timeout=5)
        connection.request("TRACE", "/api/books")
        response = connection.getresponse()
        assert response.status == 405
        assert json.loads(response.read())["error"]["code"] == "METHOD_NOT_ALLOWED"
    finally:
        release.set()
        server.shutdown()
        server.server_close()
