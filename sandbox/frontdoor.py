"""The front door: what the Pulumi program puts in front of the regions, and no more.

Each path stands for one AWS mechanism (`components/failover_routing.py` deploys them):

- `/api/*` = the Route 53 records and health checks of `api.<domain>`. A request goes, with
  the prefix stripped, to the region a resolver gave its client, and nowhere else: no retry,
  on any status or silence, as nothing retries between a browser and API Gateway on AWS.
  The answer follows Route 53: `failover` gives the primary while it is healthy; `latency`
  gives the region nearest to the client, which on one machine is a setting (`--near`, the
  primary by default), and the other region when that one is unhealthy; when no region is
  healthy, the nearest, as Route 53 answers as if all were healthy then. A client keeps its
  answer for the record's TTL (`record_ttl`, by default 6 x the health-check interval, as
  AWS's 60 s TTL to its 10 s checks), each from the moment it resolved, so clients move at
  different moments after a health flip. A client is what shares a DNS cache: one per
  `Authorization` header (a signed-in shopper's browser), and one for every anonymous request
  (one machine, one resolver). A region that does not answer within API Gateway's
  integration timeout (plus a second) is the front door's own 504; a connection refused its
  own 502: on AWS the client would see a network error there.
- Health checks: each region's `/health` every interval (Route 53's 10 s, scaled to the
  sandbox's `health_interval`); `failure_threshold` consecutive failures make a region
  unhealthy, `recovery_threshold` consecutive successes healthy again.
- `/` = the CloudFront distribution over the origin group of the two regions' site buckets
  (in each region's moto, where `up` uploaded `web/dist` and the replicator copies it): the
  viewer-request function's rewrite (a last path segment without a dot is `/index.html`),
  then the edge cache (Managed-CachingOptimized over the Cache-Control the program puts on
  each object, TTLs scaled like the health interval), then on a miss the primary bucket; a
  GET/HEAD/OPTIONS that gets one of `ORIGIN_FAILOVER_STATUS_CODES`, or no connection within
  CloudFront's 3 attempts of 10 s (scaled), is sent to the secondary bucket. Nothing else is
  tried, no stale object is served; other methods are refused. `/config.json`, the object the
  program uploads next to the app, is generated here and answered only when the origin group
  reaches a site bucket, so it is there exactly when the app is. Without a deployed app (not
  built before `up`) `/` is a page saying how to build it, and covers come from the catalog.
- `/blog/...` = the Route 53 failover records of `blog.<domain>`: the primary's WordPress
  while the primary's blog health check (its `/`, same interval and thresholds) passes, the
  secondary's otherwise, cached per client for the TTL as above; no retry. Without a blog
  (packages missing) it answers 503 with what to install.
- `/api-<region>/*` goes to that region's gateway only, with the prefix stripped: the region's
  own endpoint (on AWS its regional custom domain), which the web app's failover uses. No
  health routing and no retry, so it fails exactly when that region does.
- `/cognito/` forwards to the user pool in the primary's moto and confirms every sign-up at
  once (the sandbox has no e-mail).
- `/frontdoor/status` reports all of the above as JSON, with how many clients hold which
  region.

What the front door answers itself (no region answered, too busy, a method it does not route)
is in the API's error shape, `{"error": {"code", "message"}}`. It takes at most
`MAX_IN_FLIGHT` requests at once and answers any beyond that 503 at once, never by a queue.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import logging
import mimetypes
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from sandbox.blog import BlogPair, BlogRegion, find_missing, install_hint
from sandbox.config import HOST, RegionConfig, SandboxConfig, repo_root
from sandbox.httpd import Response, make_http_server
from sandbox.procs import exit_with_parent, install_sigterm_exit
from sandbox.provision import cognito_client, web_dist

log = logging.getLogger("sandbox.frontdoor")

# A live gateway answers by itself within its integration timeout (29 s); longer than that the
# region is not answering at all.
API_TIMEOUT_SECONDS = 30.0
COGNITO_TIMEOUT_SECONDS = 5.0
MAX_IN_FLIGHT = 256
ANONYMOUS = "anonymous"

# What the Pulumi program deploys (components/failover_routing.py; a test keeps them equal).
AWS_HEALTH_CHECK_INTERVAL_SECONDS = 10
AWS_RECORD_TTL_SECONDS = 60
ORIGIN_FAILOVER_STATUS_CODES = (500, 502, 503, 504, 403, 404)
ORIGIN_METHODS = ("GET", "HEAD", "OPTIONS")
# CloudFront's defaults, which the program leaves in place: 3 connection attempts of 10 s to
# an origin before failing over; Managed-CachingOptimized's minimum and maximum TTL.
ORIGIN_CONNECTION_ATTEMPTS = 3
ORIGIN_CONNECTION_TIMEOUT_SECONDS = 10.0
CACHE_MIN_TTL_SECONDS = 1.0
CACHE_MAX_TTL_SECONDS = 31536000.0
# WordPress on PHP's built-in server renders a page in well under a second, but a busy machine
# can stretch that, and nothing is retried elsewhere (ALB's idle timeout is longer still).
BLOG_TIMEOUT_SECONDS = 30.0
ERROR_CODES = {
    405: "METHOD_NOT_ALLOWED",
    400: "BAD_REQUEST",
    413: "PAYLOAD_TOO_LARGE",
    414: "URI_TOO_LONG",
    431: "HEADERS_TOO_LARGE",
    502: "REGION_UNREACHABLE",
    503: "FRONT_DOOR_BUSY",
    504: "REGION_TIMEOUT",
}
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    # The front door's own server writes these two.
    "server",
    "date",
}


@dataclass
class RegionHealth:
    region: RegionConfig
    healthy: bool | None = None
    consecutive_failures: int = 0
    consecutive_successes: int = 0
    last_status: int | None = None
    last_checked: float | None = None
    last_latency_ms: float | None = None
    changed_at: float | None = None
    requests: int = 0

    def record(self, ok: bool, failure_threshold: int, recovery_threshold: int) -> None:
        if ok:
            self.consecutive_successes += 1
            self.consecutive_failures = 0
            if self.healthy is None or (
                not self.healthy and self.consecutive_successes >= recovery_threshold
            ):
                self._set(True)
        else:
            self.consecutive_failures += 1
            self.consecutive_successes = 0
            if self.healthy is None or (
                self.healthy and self.consecutive_failures >= failure_threshold
            ):
                self._set(False)

    def _set(self, healthy: bool) -> None:
        if healthy != self.healthy:
            log.info("%s is now %s", self.region.name, "healthy" if healthy else "UNHEALTHY")
            self.changed_at = time.time()
        self.healthy = healthy

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.region.role,
            "api": self.region.api_url,
            "healthy": bool(self.healthy),
            "consecutiveFailures": self.consecutive_failures,
            "consecutiveSuccesses": self.consecutive_successes,
            "lastStatus": self.last_status,
            "lastCheckedAt": self.last_checked,
            "lastLatencyMs": self.last_latency_ms,
            "changedAt": self.changed_at,
            "requests": self.requests,
        }


def error_body(status: int, message: str, code: str | None = None) -> bytes:
    """The API's error shape, for what the front door answers itself."""
    code = code or ERROR_CODES.get(status, "ERROR")
    return json.dumps({"error": {"code": code, "message": message}}).encode()


def error(status: int, message: str, code: str | None = None) -> Response:
    return status, [("content-type", "application/json")], error_body(status, message, code)


def object_cache_control(key: str) -> str:
    """The Cache-Control the program puts on each object of the site."""
    if key == "index.html":
        return "no-cache"
    if key.startswith("assets/"):
        return "public, max-age=31536000, immutable"
    return "public, max-age=300"


def edge_ttl(cache_control: str) -> float:
    """How long Managed-CachingOptimized keeps an object with this Cache-Control, unscaled:
    `no-cache` for its minimum TTL, `max-age` within its minimum and maximum."""
    for part in cache_control.split(","):
        name, _, value = part.strip().partition("=")
        if name == "max-age" and value.isdigit():
            return min(CACHE_MAX_TTL_SECONDS, max(CACHE_MIN_TTL_SECONDS, float(value)))
    return CACHE_MIN_TTL_SECONDS


def site_key(path: str) -> str:
    """The bucket key for a viewer path, after the program's viewer-request function."""
    if "." not in path.split("/")[-1]:
        return "index.html"
    return unquote(path).lstrip("/")


def client_of(headers: list[tuple[str, str]]) -> str:
    """Who shares a DNS cache: a signed-in client, by its credentials; else the machine."""
    authorization = next((v for k, v in headers if k.lower() == "authorization"), "")
    if not authorization:
        return ANONYMOUS
    return hashlib.sha256(authorization.encode()).hexdigest()[:32]


class Resolver:
    """The answers of one record as its clients' resolvers cache them: each client keeps the
    region it was given until `ttl` seconds after it asked."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._answers: dict[str, tuple[str, float]] = {}

    def resolve(self, client: str, answer: Callable[[], str]) -> str:
        now = self.clock()
        with self._lock:
            cached = self._answers.get(client)
            if cached is not None and now - cached[1] < self.ttl:
                return cached[0]
        region = answer()
        with self._lock:
            self._answers[client] = (region, now)
            if len(self._answers) > 1000:
                self._answers = {c: a for c, a in self._answers.items() if now - a[1] < self.ttl}
        return region

    def holders(self) -> dict[str, int]:
        """How many clients hold an unexpired answer, by region."""
        now = self.clock()
        counts: dict[str, int] = {}
        with self._lock:
            for region, at in self._answers.values():
                if now - at < self.ttl:
                    counts[region] = counts.get(region, 0) + 1
        return counts


@dataclass
class CachedObject:
    response: Response
    expires: float


def upstream(
    port: int,
    method: str,
    path: str,
    headers: list[tuple[str, str]],
    body: bytes,
    timeout: float,
) -> Response:
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=body or None, headers=dict(headers))
        response = connection.getresponse()
        payload = response.read()
        return response.status, response.getheaders(), payload
    finally:
        connection.close()


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
    forwarded = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]
    try:
        status, response_headers, payload = upstream(
            region.http_port, method, target, forwarded, body, BLOG_TIMEOUT_SECONDS
        )
    except (OSError, http.client.HTTPException) as exc:
        log.warning("blog %s %s on %s failed: %s", method, target, region.name, exc)
        message = {"code": "blog_unavailable", "message": f"{region.name} did not answer"}
        return 504, [("content-type", "application/json")], json.dumps(message).encode()
    kept = [(k, v) for k, v in response_headers if k.lower() not in HOP_BY_HOP]
    if not any(k.lower() == "x-bookstore-region" for k, _v in kept):
        kept.append(("X-Bookstore-Region", region.name))
    return status, kept, payload


class FrontDoor:
    def __init__(self, config: SandboxConfig, dist: Path | None = None) -> None:
        self.config = config
        self.dist = dist or web_dist()
        self.health = {r.name: RegionHealth(r) for r in config.regions}
        self.lock = threading.Lock()
        self.started_at = time.time()
        self._blog: BlogPair | None = None
        # Every AWS timer the sandbox models runs this much faster than AWS's.
        self.scale = config.health_interval / AWS_HEALTH_CHECK_INTERVAL_SECONDS
        ttl = config.record_ttl
        self.record_ttl = ttl if ttl is not None else AWS_RECORD_TTL_SECONDS * self.scale
        self.api_resolver = Resolver(self.record_ttl)
        self.blog_resolver = Resolver(self.record_ttl)
        self.origin_timeout = max(0.2, ORIGIN_CONNECTION_TIMEOUT_SECONDS * self.scale)
        self._edge: dict[str, CachedObject] = {}
        self.blog_health = RegionHealth(config.primary)

    # -- health checks -------------------------------------------------------------------

    def start_health_checks(self) -> None:
        for state in self.health.values():
            threading.Thread(
                target=self._check_loop,
                args=(state,),
                name=f"health-{state.region.name}",
                daemon=True,
            ).start()
        threading.Thread(target=self._blog_check_loop, name="health-blog", daemon=True).start()

    def _check_loop(self, state: RegionHealth) -> None:
        interval = self.config.health_interval
        # The whole interval (at most 2 s, Route 53's response timeout): a check that times out
        # starts the next at once, so `threshold` failures still take about interval x threshold,
        # and a region that is merely slow under load (a busy 2-core machine answers /health in
        # well over half a second at times) is not failed over by mistake.
        timeout = max(0.2, min(2.0, interval))
        while True:
            started = time.monotonic()
            status: int | None
            try:
                status = upstream(state.region.gateway_port, "GET", "/health", [], b"", timeout)[0]
            except (OSError, http.client.HTTPException):
                status = None
            with self.lock:
                state.last_status = status
                state.last_checked = time.time()
                state.last_latency_ms = round((time.monotonic() - started) * 1000, 1)
                state.record(
                    status == 200, self.config.failure_threshold, self.config.recovery_threshold
                )
            time.sleep(max(0.0, interval - (time.monotonic() - started)))

    # -- routing -------------------------------------------------------------------------

    def _nearest(self) -> str:
        """The region requests go to while it is healthy."""
        if self.config.mode == "failover":
            return self.config.primary.name
        return self.config.near_region

    def preference(self) -> list[RegionConfig]:
        """Regions in the order requests should try them: healthy ones, nearest first; all
        of them when none is healthy (Route 53 then answers as if all were)."""
        nearest = self._nearest()
        ordered = sorted(self.config.regions, key=lambda r: r.name != nearest)
        with self.lock:
            healthy = [r for r in ordered if self.health[r.name].healthy]
        return healthy or ordered

    def serving(self) -> str | None:
        """The region that takes the traffic now, if any region is healthy."""
        nearest = self._nearest()
        with self.lock:
            healthy = [n for n, state in self.health.items() if state.healthy]
        if not healthy:
            return None
        return nearest if nearest in healthy else healthy[0]

    def api_region(self, headers: list[tuple[str, str]]) -> RegionConfig:
        """The region this request's client resolved `api.<domain>` to."""
        name = self.api_resolver.resolve(client_of(headers), lambda: self.preference()[0].name)
        return self.config.region(name)

    def proxy_api(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> Response:
        return self._forward_api(self.api_region(headers), "/api", method, target, headers, body)

    def _forward_api(
        self,
        region: RegionConfig,
        prefix: str,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> Response:
        """To one region's gateway with `prefix` stripped; nothing is retried anywhere."""
        path = target[len(prefix) :] or "/"
        if not path.startswith("/"):
            path = "/" + path
        forwarded = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]
        with self.lock:
            self.health[region.name].requests += 1
        try:
            status, response_headers, payload = upstream(
                region.gateway_port, method, path, forwarded, body, API_TIMEOUT_SECONDS
            )
        except TimeoutError:
            log.warning("%s %s: %s did not answer", method, path, region.name)
            return error(504, f"the region did not answer within {API_TIMEOUT_SECONDS:g} s")
        except (OSError, http.client.HTTPException) as exc:
            log.warning("%s %s on %s failed: %s", method, path, region.name, exc)
            return error(502, "the region could not be reached")
        kept = [(k, v) for k, v in response_headers if k.lower() not in HOP_BY_HOP]
        return status, kept, payload

    # -- cognito -------------------------------------------------------------------------

    def proxy_cognito(self, method: str, headers: list[tuple[str, str]], body: bytes) -> Response:
        cors = [
            ("access-control-allow-origin", "*"),
            ("access-control-allow-headers", "*"),
            ("access-control-allow-methods", "POST, OPTIONS"),
        ]
        if method == "OPTIONS":
            return 204, cors, b""
        primary = self.config.primary
        forwarded = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]
        try:
            status, response_headers, payload = upstream(
                primary.moto_port, method, "/", forwarded, body, COGNITO_TIMEOUT_SECONDS
            )
        except (OSError, http.client.HTTPException) as exc:
            log.warning("cognito in %s did not answer: %s", primary.name, exc)
            message = {"__type": "ServiceUnavailable", "message": "Cognito did not answer"}
            return (
                503,
                [("content-type", "application/x-amz-json-1.1"), *cors],
                json.dumps(message).encode(),
            )
        target = next((v for k, v in headers if k.lower() == "x-amz-target"), "")
        if status == 200 and target.endswith(".SignUp"):
            payload = self._confirm(json.loads(body), json.loads(payload))
        kept = [
            (k, v)
            for k, v in response_headers
            if k.lower() not in HOP_BY_HOP and not k.lower().startswith("access-control-")
        ]
        return status, kept + cors, payload

    def _confirm(self, request: dict[str, Any], response: dict[str, Any]) -> bytes:
        """Confirm a fresh sign-up at once, as a pre-sign-up trigger with autoConfirmUser."""
        client = cognito_client(self.config.primary, timeout=COGNITO_TIMEOUT_SECONDS)
        client.admin_confirm_sign_up(
            UserPoolId=self.config.cognito.user_pool_id, Username=request["Username"]
        )
        response["UserConfirmed"] = True
        return json.dumps(response).encode()

    # -- blog ----------------------------------------------------------------------------

    def _blog_answer(self) -> str:
        with self.lock:
            healthy = self.blog_health.healthy is not False
        primary = self.config.primary.name
        return primary if healthy else self.config.other(primary).name

    def _blog_check_loop(self) -> None:
        """The primary's blog health check (its `/`, 2xx or 3xx), once the blog runs."""
        interval = self.config.health_interval
        timeout = max(0.2, min(2.0, interval))
        state, port = self.blog_health, self.config.primary.blog_http_port
        while True:
            started = time.monotonic()
            if port and self.blog_pair() is not None:
                status: int | None
                try:
                    status = upstream(port, "GET", "/blog/", [], b"", timeout)[0]
                except (OSError, http.client.HTTPException):
                    status = None
                with self.lock:
                    state.last_status = status
                    state.last_checked = time.time()
                    state.last_latency_ms = round((time.monotonic() - started) * 1000, 1)
                    state.record(
                        status is not None and 200 <= status < 400,
                        self.config.failure_threshold,
                        self.config.recovery_threshold,
                    )
            time.sleep(max(0.0, interval - (time.monotonic() - started)))

    def blog_pair(self) -> BlogPair | None:
        """The sandbox's blog once the supervisor reports it running (state.json), else None."""
        if self._blog is not None:
            return self._blog
        try:
            state = json.loads(self.config.state_file.read_text())
        except (OSError, ValueError):
            return None
        if (state.get("blog") or {}).get("status") != "running":
            return None
        try:
            self._blog = BlogPair.attach(self.config.blog_state_dir)
        except (OSError, ValueError, KeyError):
            return None
        return self._blog

    def proxy_blog(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> Response:
        pair = self.blog_pair()
        if pair is None:
            return self._no_blog()
        # Route 53's failover records: the primary while its blog health check passes.
        name = self.blog_resolver.resolve(client_of(headers), self._blog_answer)
        region = next(r for r in pair.regions if r.name == name)
        return forward_blog(region, method, target, headers, body)

    @staticmethod
    def _no_blog() -> Response:
        missing = find_missing()
        if missing:
            why = (
                "The sandbox runs without the blog: packages are missing. Install them with "
                f"<code>{install_hint(missing)}</code> and start the sandbox again."
            )
        else:
            why = (
                "The blog is starting or failed to start: see"
                " <code>bookstore sandbox status</code>."
            )
        page = f"<!doctype html><title>Blog</title><h1>The blog is not running</h1><p>{why}</p>\n"
        return 503, [("content-type", "text/html; charset=utf-8")], page.encode()

    # -- each region's own endpoint -----------------------------------------------------

    def regional_api(self, path: str) -> RegionConfig | None:
        """The region whose own endpoint (`/api-<region>`) the path is under, if any."""
        for region in self.config.regions:
            prefix = f"/api-{region.name}"
            if path == prefix or path.startswith(prefix + "/"):
                return region
        return None

    def proxy_regional_api(
        self,
        region: RegionConfig,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> Response:
        # The region's own endpoint: no health routing, so it fails exactly when the region does.
        return self._forward_api(region, f"/api-{region.name}", method, target, headers, body)

    # -- site ----------------------------------------------------------------------------

    def web_config(self) -> dict[str, Any]:
        return {
            "apiUrl": "/api",
            "regionalApis": {r.name: f"/api-{r.name}" for r in self.config.regions},
            "blogUrl": "/blog",
            "cognito": {
                "endpoint": self.config.cognito_endpoint,
                "region": self.config.primary.name,
                "userPoolId": self.config.cognito.user_pool_id,
                "clientId": self.config.cognito.client_id,
            },
        }

    def origin_group(self, method: str, bucket_path: Callable[[RegionConfig], str]) -> Response:
        """One request through the origin group: the primary bucket, then the secondary on a
        listed status or no connection; the secondary's answer is the answer."""
        last: Response = error(504, "no origin of the site answered")
        primary = self.config.primary
        members = [primary, *(r for r in self.config.regions if r != primary)]
        for region in members:
            answer = self._origin(region, method, bucket_path(region))
            if answer is None:
                last = error(504, "no origin of the site answered")
                continue
            last = answer
            if answer[0] not in ORIGIN_FAILOVER_STATUS_CODES:
                break
        return last

    def _origin(self, region: RegionConfig, method: str, path: str) -> Response | None:
        for _attempt in range(ORIGIN_CONNECTION_ATTEMPTS):
            try:
                # The cache policy forwards no viewer header to the origin.
                return upstream(region.moto_port, method, path, [], b"", self.origin_timeout)
            except (OSError, http.client.HTTPException) as exc:
                log.warning("site origin %s: %s %s failed: %s", region.name, method, path, exc)
        return None

    def site(self, method: str, path: str) -> Response:
        if method not in ORIGIN_METHODS:
            return error(405, f"{method} is not allowed here")
        key = site_key(path)
        if ".." in key.split("/"):
            return error(404, f"/{key} is not in the site", "NOT_FOUND")
        now = time.monotonic()
        with self.lock:
            cached = self._edge.get(key)
        if cached is not None and cached.expires > now and method != "OPTIONS":
            status, headers, payload = cached.response
            return status, [*headers, ("x-cache", "Hit from cloudfront")], payload
        status, origin_headers, payload = self.origin_group(
            method, lambda region: f"/{region.site_bucket}/{quote(key, safe='/')}"
        )
        if status in (403, 404) and not (self.dist / "index.html").is_file():
            return self._not_deployed(key)
        kept = [
            (k, v)
            for k, v in origin_headers
            if k.lower() in ("content-type", "etag", "last-modified")
        ]
        if status == 200:
            cache_control = object_cache_control(key)
            kept.append(("cache-control", cache_control))
            if method == "GET":
                expires = now + edge_ttl(cache_control) * self.scale
                with self.lock:
                    self._edge[key] = CachedObject((status, kept, payload), expires)
        return status, [*kept, ("x-cache", "Miss from cloudfront")], payload

    def _not_deployed(self, key: str) -> Response:
        """The app is not in the buckets (it was not built before `up`): say how to build it;
        covers come from the catalog meanwhile."""
        if key.startswith("covers/"):
            root = (repo_root() / "functions" / "catalog").resolve()
            candidate = (root / key).resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                content_type = mimetypes.guess_type(candidate.name)[0]
                headers = [("content-type", content_type or "application/octet-stream")]
                return 200, headers, candidate.read_bytes()
        if key == "index.html":
            return 200, [("content-type", "text/html; charset=utf-8")], NOT_BUILT_PAGE
        return error(404, f"/{key} is not in the site", "NOT_FOUND")

    def site_config(self) -> Response:
        """`/config.json`, there exactly when the site's objects are."""
        status = self.origin_group("HEAD", lambda region: f"/{region.site_bucket}")[0]
        if status != 200:
            return error(502 if status != 504 else 504, "no origin of the site answered")
        headers = [("content-type", "application/json"), ("cache-control", "no-cache")]
        return 200, headers, json.dumps(self.web_config()).encode()

    def status(self) -> dict[str, Any]:
        with self.lock:
            regions = {name: state.to_json() for name, state in self.health.items()}
            blog_health = self.blog_health.to_json()
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
                "api": self.api_resolver.holders(),
                "blog": self.blog_resolver.holders(),
            },
            "blogHealth": {"region": self.config.primary.name, **blog_health},
            "site": {
                "originTimeoutSeconds": self.origin_timeout,
                "originAttempts": ORIGIN_CONNECTION_ATTEMPTS,
                "failoverStatusCodes": list(ORIGIN_FAILOVER_STATUS_CODES),
            },
        }

    # -- dispatch ------------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> Response:
        path = urlsplit(target).path
        json_type = [("content-type", "application/json")]
        if path == "/api" or path.startswith("/api/"):
            return self.proxy_api(method, target, headers, body)
        regional = self.regional_api(path)
        if regional is not None:
            return self.proxy_regional_api(regional, method, target, headers, body)
        if path.rstrip("/") == "/cognito":
            return self.proxy_cognito(method, headers, body)
        if path == "/frontdoor/status":
            return 200, json_type, json.dumps(self.status()).encode()
        if path == "/config.json":
            return self.site_config()
        if path == "/blog" or path.startswith("/blog/"):
            return self.proxy_blog(method, target, headers, body)
        return self.site(method, path)


NOT_BUILT_PAGE = b"""<!doctype html><title>Bookstore sandbox</title>
<h1>The web app is not built</h1>
<p>Build it with <code>npm --prefix web ci &amp;&amp; npm --prefix web run build</code>, then
start the sandbox again: <code>up</code> uploads <code>web/dist</code> to the primary's site
bucket, which the front door serves as CloudFront would. The API is at
<a href="/api/books">/api/</a>, the front door's view of the regions at
<a href="/frontdoor/status">/frontdoor/status</a>.</p>
"""


def make_server(front_door: FrontDoor, port: int) -> ThreadingHTTPServer:
    def handle(
        method: str, target: str, headers: list[tuple[str, str]], body: bytes, *_client: str
    ) -> Response:
        return front_door.handle(method, target, headers, body)

    return make_http_server(
        port, "sandbox-frontdoor", handle, log, error_body=error_body, max_in_flight=MAX_IN_FLIGHT
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="the sandbox's front door")
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


if __name__ == "__main__":
    main()
