"""`/` and `/config.json`: the CloudFront distribution over the origin group of the two
regions' site buckets (in each region's moto, where `up` uploaded `web/dist` and the replicator
copies it).

The viewer-request function's rewrite (a last path segment without a dot is `/index.html`),
then the edge cache (Managed-CachingOptimized over the Cache-Control the program puts on each
object, TTLs scaled like the health interval), then on a miss the primary bucket; a
GET/HEAD/OPTIONS that gets one of `ORIGIN_FAILOVER_STATUS_CODES`, or no connection within
CloudFront's 3 attempts of 10 s (scaled), is sent to the secondary bucket. Nothing else is
tried, no stale object is served; other methods are refused. `/config.json`, the object the
program uploads next to the app, is generated here and answered only when the origin group
reaches a site bucket, so it is there exactly when the app is. Without a deployed app (not
built before `up`) `/` is a page saying how to build it, and covers come from the catalog.
"""

from __future__ import annotations

import http.client
import json
import logging
import mimetypes
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from sandbox.config import AWS_CREDENTIALS, RegionConfig, SandboxConfig, repo_root, url
from sandbox.frontdoor.proxy import error, upstream
from sandbox.httpd import Response

log = logging.getLogger(__name__)

# What the Pulumi program deploys (components/failover_routing.py; a test keeps them equal).
ORIGIN_FAILOVER_STATUS_CODES = (500, 502, 503, 504, 403, 404)
ORIGIN_METHODS = ("GET", "HEAD", "OPTIONS")
# CloudFront's defaults, which the program leaves in place: 3 connection attempts of 10 s to
# an origin before failing over; Managed-CachingOptimized's minimum and maximum TTL.
ORIGIN_CONNECTION_ATTEMPTS = 3
ORIGIN_CONNECTION_TIMEOUT_SECONDS = 10.0
CACHE_MIN_TTL_SECONDS = 1.0
CACHE_MAX_TTL_SECONDS = 31536000.0

NOT_BUILT_PAGE = b"""<!doctype html><title>Bookstore sandbox</title>
<h1>The web app is not built</h1>
<p>Build it with <code>npm --prefix web ci &amp;&amp; npm --prefix web run build</code>, then
start the sandbox again: <code>up</code> uploads <code>web/dist</code> to the primary's site
bucket, which the front door serves as CloudFront would. The API is at
<a href="/api/books">/api/</a>, the front door's view of the regions at
<a href="/frontdoor/status">/frontdoor/status</a>.</p>
"""


_ORIGIN_CREDENTIALS = Credentials(
    AWS_CREDENTIALS["AWS_ACCESS_KEY_ID"], AWS_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]
)


def origin_access_headers(region: RegionConfig, method: str, path: str) -> list[tuple[str, str]]:
    """SigV4 headers for a request to a region's S3 (CloudFront's origin access control)."""
    request = AWSRequest(method=method, url=url(region.moto_port, path))
    S3SigV4Auth(_ORIGIN_CREDENTIALS, "s3", region.name).add_auth(request)
    return [(str(k), str(v)) for k, v in request.headers.items()]


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


@dataclass
class CachedObject:
    response: Response
    expires: float


class Site:
    """The distribution: edge cache, origin group, and the generated `/config.json`."""

    def __init__(self, config: SandboxConfig, dist: Path, scale: float) -> None:
        self.config = config
        self.dist = dist
        # The edge cache's TTLs and the origin timeout, scaled as the health interval is.
        self.scale = scale
        self.origin_timeout = max(0.2, ORIGIN_CONNECTION_TIMEOUT_SECONDS * scale)
        self._lock = threading.Lock()
        self._edge: dict[str, CachedObject] = {}

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
        # The cache policy forwards no viewer header to the origin; the request is signed, as
        # CloudFront's origin access control signs it: the buckets are private.
        headers = origin_access_headers(region, method, path)
        for _attempt in range(ORIGIN_CONNECTION_ATTEMPTS):
            try:
                return upstream(region.moto_port, method, path, headers, b"", self.origin_timeout)
            except (OSError, http.client.HTTPException) as exc:
                log.warning("site origin %s: %s %s failed: %s", region.name, method, path, exc)
        return None

    def serve(self, method: str, path: str) -> Response:
        if method not in ORIGIN_METHODS:
            return error(405, f"{method} is not allowed here")
        key = site_key(path)
        if ".." in key.split("/"):
            return error(404, f"/{key} is not in the site", "NOT_FOUND")
        now = time.monotonic()
        with self._lock:
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
                with self._lock:
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
        return {
            "originTimeoutSeconds": self.origin_timeout,
            "originAttempts": ORIGIN_CONNECTION_ATTEMPTS,
            "failoverStatusCodes": list(ORIGIN_FAILOVER_STATUS_CODES),
        }
