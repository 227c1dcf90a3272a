"""`/api/*` and `/api-<region>/*`: the Route 53 records of `api.<domain>` and each region's
own endpoint.

`/api/*`: a request goes, with the prefix stripped, to the region a resolver gave its client,
and nowhere else: no retry, on any status or silence, as nothing retries between a browser and
API Gateway on AWS. The answer follows Route 53: `failover` gives the primary while it is
healthy; `latency` gives the region nearest to the client, which on one machine is a setting
(`--near`, the primary by default), and the other region when that one is unhealthy; when no
region is healthy, the nearest, as Route 53 answers as if all were healthy then. A region that
does not answer within API Gateway's integration timeout (plus a second) is the front door's
own 504; a connection refused its own 502: on AWS the client would see a network error there.

`/api-<region>/*` goes to that region's gateway only, with the prefix stripped: the region's
own endpoint (on AWS its regional custom domain), which the web app's failover uses. No health
routing and no retry, so it fails exactly when that region does.
"""

from __future__ import annotations

import http.client
import logging
import threading

from sandbox.config import RegionConfig, SandboxConfig
from sandbox.frontdoor.health import HealthCheck, RegionHealth
from sandbox.frontdoor.proxy import end_to_end, error, upstream
from sandbox.frontdoor.resolver import Resolver, client_of
from sandbox.httpd import Response

log = logging.getLogger(__name__)

# A live gateway answers by itself within its integration timeout (29 s); longer than that the
# region is not answering at all.
API_TIMEOUT_SECONDS = 30.0


class ApiRoutes:
    """The regions' health, which region each client resolved, and the forwarding to it."""

    def __init__(self, config: SandboxConfig, resolver: Resolver) -> None:
        self.config = config
        self.resolver = resolver
        self.lock = threading.Lock()
        self.health = {r.name: RegionHealth(r) for r in config.regions}

    def start_health_checks(self) -> None:
        for state in self.health.values():
            check = HealthCheck(state, state.region.gateway_port, "/health", _is_ok)
            check.start(self.config, self.lock, state.region.name)

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
        name = self.resolver.resolve(client_of(headers), lambda: self.preference()[0].name)
        return self.config.region(name)

    def proxy_api(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> Response:
        return self._forward(self.api_region(headers), "/api", method, target, headers, body)

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
        return self._forward(region, f"/api-{region.name}", method, target, headers, body)

    def _forward(
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
        with self.lock:
            self.health[region.name].requests += 1
        try:
            status, response_headers, payload = upstream(
                region.gateway_port, method, path, end_to_end(headers), body, API_TIMEOUT_SECONDS
            )
        except TimeoutError:
            log.warning("%s %s: %s did not answer", method, path, region.name)
            return error(504, f"the region did not answer within {API_TIMEOUT_SECONDS:g} s")
        except (OSError, http.client.HTTPException) as exc:
            log.warning("%s %s on %s failed: %s", method, path, region.name, exc)
            return error(502, "the region could not be reached")
        return status, end_to_end(response_headers), payload


def _is_ok(status: int) -> bool:
    return status == 200
