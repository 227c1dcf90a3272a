"""`/blog/...`: the Route 53 failover records of `blog.<domain>`. The primary's WordPress while
the primary's blog health check (its `/`, same interval and thresholds as the API's) passes,
the secondary's otherwise, cached per client for the TTL as the API's; no retry. Without a
blog (packages missing) it answers 503 with what to install."""

from __future__ import annotations

import http.client
import json
import logging
import threading
from typing import Any

from sandbox.blog import BlogPair, BlogRegion, find_missing, install_hint
from sandbox.config import SandboxConfig
from sandbox.frontdoor.health import HealthCheck, RegionHealth
from sandbox.frontdoor.proxy import end_to_end, upstream
from sandbox.frontdoor.resolver import Resolver, client_of
from sandbox.httpd import Response

log = logging.getLogger(__name__)

# WordPress on PHP's built-in server renders a page in well under a second, but a busy machine
# can stretch that, and nothing is retried elsewhere (ALB's idle timeout is longer still).
BLOG_TIMEOUT_SECONDS = 30.0


def forward_blog(
    region: BlogRegion,
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes,
) -> Response:
    """`/blog/...`, path unchanged, to the one region DNS gave the client: nothing retries a
    blog request on AWS either (a write to a region whose database is a replica answers 503
    `blog_read_only`, which says what is going on)."""
    try:
        status, response_headers, payload = upstream(
            region.http_port, method, target, end_to_end(headers), body, BLOG_TIMEOUT_SECONDS
        )
    except (OSError, http.client.HTTPException) as exc:
        log.warning("blog %s %s on %s failed: %s", method, target, region.name, exc)
        message = {"code": "blog_unavailable", "message": f"{region.name} did not answer"}
        return 504, [("content-type", "application/json")], json.dumps(message).encode()
    kept = end_to_end(response_headers)
    if not any(k.lower() == "x-bookstore-region" for k, _v in kept):
        kept.append(("X-Bookstore-Region", region.name))
    return status, kept, payload


class BlogProxy:
    """The blog's health check, which region each client resolved, and the forwarding to it."""

    def __init__(self, config: SandboxConfig, resolver: Resolver) -> None:
        self.config = config
        self.resolver = resolver
        self.lock = threading.Lock()
        self.health = RegionHealth(config.primary)
        self._pair: BlogPair | None = None

    def start_health_check(self) -> None:
        """The primary's blog health check (its `/`, 2xx or 3xx), once the blog runs."""
        port = self.config.primary.blog_http_port
        check = HealthCheck(
            self.health, port, "/blog/", _is_up, lambda: bool(port) and self.pair() is not None
        )
        check.start(self.config, self.lock, "blog")

    def _answer(self) -> str:
        with self.lock:
            healthy = self.health.healthy is not False
        primary = self.config.primary.name
        return primary if healthy else self.config.other(primary).name

    def pair(self) -> BlogPair | None:
        """The sandbox's blog once the supervisor reports it running (state.json), else None."""
        if self._pair is not None:
            return self._pair
        try:
            state = json.loads(self.config.state_file.read_text())
        except (OSError, ValueError):
            return None
        if (state.get("blog") or {}).get("status") != "running":
            return None
        try:
            self._pair = BlogPair.attach(self.config.blog_state_dir)
        except (OSError, ValueError, KeyError):
            return None
        return self._pair

    def proxy(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> Response:
        pair = self.pair()
        if pair is None:
            return _no_blog()
        # Route 53's failover records: the primary while its blog health check passes.
        name = self.resolver.resolve(client_of(headers), self._answer)
        region = next(r for r in pair.regions if r.name == name)
        return forward_blog(region, method, target, headers, body)

    def status(self) -> dict[str, Any]:
        with self.lock:
            health = self.health.to_json()
        return {"region": self.config.primary.name, **health}


def _is_up(status: int) -> bool:
    return 200 <= status < 400


def _no_blog() -> Response:
    missing = find_missing()
    if missing:
        why = (
            "The sandbox runs without the blog: packages are missing. Install them with "
            f"<code>{install_hint(missing)}</code> and start the sandbox again."
        )
    else:
        why = "The blog is starting or failed to start: see <code>bookstore sandbox status</code>."
    page = f"<!doctype html><title>Blog</title><h1>The blog is not running</h1><p>{why}</p>\n"
    return 503, [("content-type", "text/html; charset=utf-8")], page.encode()
