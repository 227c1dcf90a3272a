"""The front door: the sandbox's Route 53 + CloudFront.

- `/` serves `web/dist` (a page saying how to build it when it is missing), `/config.json`
  is generated for the web app, `/covers/` falls back to the catalog's cover art.
- `/api/*` goes to a healthy region with the prefix stripped. Routing follows Route 53:
  `failover` sends everything to the primary while it is healthy; `latency` sends everything
  to the region nearest to the client, which on one machine is a setting (`--near`, the
  primary by default), and to the other region when that one is unhealthy. When no region is
  healthy, both are tried, as Route 53 does when every record is unhealthy.
- Health checks: each region's `/health` every interval; `failure_threshold` consecutive
  failures make a region unhealthy, `recovery_threshold` consecutive successes healthy again.
- A request that gets no answer (or a 502/503/504) from a region is retried once on the
  other region, but only when that is safe: GET/HEAD, and POST /orders, which carries an
  Idempotency-Key.
- `/api-<region>/*` goes to that region's gateway only, with the prefix stripped: the region's
  own endpoint (on AWS its regional custom domain), which the web app's failover uses. No
  health routing and no retry, so it fails exactly when that region does.
- `/cognito/` forwards to the user pool in the primary's moto and confirms every sign-up at
  once (the sandbox has no e-mail).
- `/blog/...` goes, path unchanged, to a region's WordPress (`sandbox.blog`): reads to the
  region whose database is primary first, then the other (retried there on no answer or a
  502/503/504); writes only to the region whose database is primary, as
  `BlogPair.upstreams` orders them from the front door's health view. Without a blog (packages
  missing) it answers 503 with what to install.
- `/frontdoor/status` reports all of the above as JSON.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import mimetypes
import threading
import time
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sandbox.blog import BlogPair, find_missing, install_hint
from sandbox.config import HOST, RegionConfig, SandboxConfig, repo_root
from sandbox.httpd import Response, make_http_server
from sandbox.procs import exit_with_parent, install_sigterm_exit
from sandbox.provision import cognito_client, web_dist

log = logging.getLogger("sandbox.frontdoor")

# A request that may be retried elsewhere gives up on a silent region sooner: the handlers
# answer in milliseconds here, and a frozen region never answers at all.
UPSTREAM_TIMEOUT_SECONDS = 5.0
RETRYABLE_FIRST_TIMEOUT_SECONDS = 1.0
COGNITO_TIMEOUT_SECONDS = 5.0
# WordPress on PHP's built-in server renders a page in well under a second, but a busy machine
# can stretch that; a write is never retried, so it gets the longest time.
BLOG_TIMEOUT_SECONDS = 30.0
BLOG_FIRST_TIMEOUT_SECONDS = 8.0
RETRYABLE_STATUSES = (502, 503, 504)
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
    pair: BlogPair,
    healthy: dict[str, bool],
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes,
) -> Response:
    """`/blog/...`, path unchanged, to the regions `pair.upstreams` names from the `healthy`
    view: a read goes on to the second region when the first does not answer or answers
    502/503/504, a write goes to the first only."""
    candidates = pair.upstreams(method, healthy)
    read = method in ("GET", "HEAD", "OPTIONS")
    attempts = candidates[:2] if read else candidates[:1]
    forwarded = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]
    last: Response = (
        504,
        [("content-type", "application/json")],
        json.dumps({"code": "blog_unavailable", "message": "No region answered"}).encode(),
    )
    for number, region in enumerate(attempts):
        timeout = BLOG_TIMEOUT_SECONDS
        if number == 0 and len(attempts) > 1:
            timeout = BLOG_FIRST_TIMEOUT_SECONDS
        try:
            status, response_headers, payload = upstream(
                region.http_port, method, target, forwarded, body, timeout
            )
        except (OSError, http.client.HTTPException) as exc:
            log.warning("blog %s %s on %s failed: %s", method, target, region.name, exc)
            continue
        kept = [(k, v) for k, v in response_headers if k.lower() not in HOP_BY_HOP]
        if not any(k.lower() == "x-bookstore-region" for k, _v in kept):
            kept.append(("X-Bookstore-Region", region.name))
        last = (status, kept, payload)
        if not read or status not in RETRYABLE_STATUSES:
            break
    return last


class FrontDoor:
    def __init__(self, config: SandboxConfig, dist: Path | None = None) -> None:
        self.config = config
        self.dist = dist or web_dist()
        self.health = {r.name: RegionHealth(r) for r in config.regions}
        self.lock = threading.Lock()
        self.started_at = time.time()
        self._blog: BlogPair | None = None

    # -- health checks -------------------------------------------------------------------

    def start_health_checks(self) -> None:
        for state in self.health.values():
            threading.Thread(
                target=self._check_loop,
                args=(state,),
                name=f"health-{state.region.name}",
                daemon=True,
            ).start()

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

    @staticmethod
    def retry_safe(method: str, path: str) -> bool:
        return method in ("GET", "HEAD") or (method == "POST" and path.rstrip("/") == "/orders")

    def proxy_api(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> Response:
        path = target[len("/api") :] or "/"
        if not path.startswith("/"):
            path = "/" + path
        forwarded = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]
        candidates = self.preference()
        attempts = (
            candidates[:2] if self.retry_safe(method, urlsplit(path).path) else candidates[:1]
        )
        last: Response = (
            504,
            [("content-type", "application/json")],
            json.dumps({"message": "No region answered"}).encode(),
        )
        for number, region in enumerate(attempts):
            timeout = UPSTREAM_TIMEOUT_SECONDS
            if number == 0 and len(attempts) > 1:
                timeout = RETRYABLE_FIRST_TIMEOUT_SECONDS
            with self.lock:
                self.health[region.name].requests += 1
            try:
                status, response_headers, payload = upstream(
                    region.gateway_port, method, path, forwarded, body, timeout
                )
            except (OSError, http.client.HTTPException) as exc:
                log.warning("%s %s on %s failed: %s", method, path, region.name, exc)
                continue
            last = (status, response_headers, payload)
            if status not in RETRYABLE_STATUSES:
                break
        status, response_headers, payload = last
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
        with self.lock:
            healthy = {name: state.healthy is not False for name, state in self.health.items()}
        return forward_blog(pair, healthy, method, target, headers, body)

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
        # The same prefix stripping and header handling as /api, without its routing and retry.
        path = target[len(f"/api-{region.name}") :] or "/"
        if not path.startswith("/"):
            path = "/" + path
        forwarded = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]
        with self.lock:
            self.health[region.name].requests += 1
        try:
            status, response_headers, payload = upstream(
                region.gateway_port, method, path, forwarded, body, UPSTREAM_TIMEOUT_SECONDS
            )
        except (OSError, http.client.HTTPException) as exc:
            log.warning("%s %s on %s's own endpoint failed: %s", method, path, region.name, exc)
            message = {"message": f"{region.name} did not answer"}
            return 504, [("content-type", "application/json")], json.dumps(message).encode()
        kept = [(k, v) for k, v in response_headers if k.lower() not in HOP_BY_HOP]
        return status, kept, payload

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

    def static(self, path: str) -> Response:
        relative = path.lstrip("/") or "index.html"
        roots = [self.dist]
        if relative.startswith("covers/"):
            # The web build copies the covers; without a build they come from the catalog.
            roots.append(repo_root() / "functions" / "catalog")
        for root in roots:
            candidate = (root / relative).resolve()
            if candidate.is_relative_to(root.resolve()) and candidate.is_file():
                return self._file(candidate)
        index = self.dist / "index.html"
        if index.is_file() and "." not in relative.rsplit("/", 1)[-1]:
            return self._file(index)  # a client-side route of the single-page app
        if not index.is_file() and relative == "index.html":
            return 200, [("content-type", "text/html; charset=utf-8")], NOT_BUILT_PAGE
        return 404, [("content-type", "text/plain")], b"not found\n"

    @staticmethod
    def _file(path: Path) -> Response:
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return 200, [("content-type", content_type)], path.read_bytes()

    def status(self) -> dict[str, Any]:
        with self.lock:
            regions = {name: state.to_json() for name, state in self.health.items()}
        return {
            "mode": self.config.mode,
            "nearRegion": self.config.near_region,
            "interval": self.config.health_interval,
            "failureThreshold": self.config.failure_threshold,
            "recoveryThreshold": self.config.recovery_threshold,
            "serving": self.serving(),
            "regions": regions,
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
            return 200, json_type, json.dumps(self.web_config()).encode()
        if path == "/blog" or path.startswith("/blog/"):
            return self.proxy_blog(method, target, headers, body)
        if method not in ("GET", "HEAD"):
            return 405, json_type, b'{"message": "Method Not Allowed"}'
        return self.static(path)


NOT_BUILT_PAGE = b"""<!doctype html><title>Bookstore sandbox</title>
<h1>The web app is not built</h1>
<p>Build it with <code>npm --prefix web ci &amp;&amp; npm --prefix web run build</code>; the front
door serves <code>web/dist</code> as soon as it exists. The API is at
<a href="/api/books">/api/</a>, the front door's view of the regions at
<a href="/frontdoor/status">/frontdoor/status</a>.</p>
"""


def make_server(front_door: FrontDoor, port: int) -> ThreadingHTTPServer:
    def handle(
        method: str, target: str, headers: list[tuple[str, str]], body: bytes, *_client: str
    ) -> Response:
        return front_door.handle(method, target, headers, body)

    return make_http_server(port, "sandbox-frontdoor", handle, log)


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
