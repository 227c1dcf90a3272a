"""Route 53's health checks, as the front door runs them for the API regions and the blog:
each endpoint every interval (Route 53's 10 s, scaled to the sandbox's `health_interval`);
`failure_threshold` consecutive failures make a region unhealthy, `recovery_threshold`
consecutive successes healthy again."""

from __future__ import annotations

import http.client
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.config import RegionConfig, SandboxConfig
from sandbox.frontdoor.proxy import upstream

log = logging.getLogger(__name__)

# What the Pulumi program deploys (components/failover_routing.py; a test keeps them equal).
AWS_HEALTH_CHECK_INTERVAL_SECONDS = 10


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


def _always() -> bool:
    return True


@dataclass
class HealthCheck:
    """One health check: GET `path` on `port`, which passes on the statuses `passes` takes."""

    state: RegionHealth
    port: int
    path: str
    passes: Callable[[int], bool]
    # False while there is nothing to check yet (a blog that is not running): no result then.
    ready: Callable[[], bool] = _always

    def start(self, config: SandboxConfig, lock: threading.Lock, name: str) -> None:
        threading.Thread(
            target=self.run, args=(config, lock), name=f"health-{name}", daemon=True
        ).start()

    def run(self, config: SandboxConfig, lock: threading.Lock) -> None:
        interval = config.health_interval
        # The whole interval (at most 2 s, Route 53's response timeout): a check that times out
        # starts the next at once, so `threshold` failures still take about interval x threshold,
        # and a region that is merely slow under load (a busy 2-core machine answers /health in
        # well over half a second at times) is not failed over by mistake.
        timeout = max(0.2, min(2.0, interval))
        while True:
            started = time.monotonic()
            if self.ready():
                self.check(config, lock, timeout)
            time.sleep(max(0.0, interval - (time.monotonic() - started)))

    def check(self, config: SandboxConfig, lock: threading.Lock, timeout: float) -> None:
        started = time.monotonic()
        status: int | None
        try:
            status = upstream(self.port, "GET", self.path, [], b"", timeout)[0]
        except (OSError, http.client.HTTPException):
            status = None
        state = self.state
        with lock:
            state.last_status = status
            state.last_checked = time.time()
            state.last_latency_ms = round((time.monotonic() - started) * 1000, 1)
            state.record(
                status is not None and self.passes(status),
                config.failure_threshold,
                config.recovery_threshold,
            )
