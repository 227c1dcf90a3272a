"""The DNS answers of one Route 53 record as its clients' resolvers cache them. A client keeps
its answer for the record's TTL (`record_ttl`, by default 6 x the health-check interval, as
AWS's 60 s TTL to its 10 s checks), each from the moment it resolved, so clients move at
different moments after a health flip. A client is what shares a DNS cache: one per
`Authorization` header (a signed-in shopper's browser), and one for every anonymous request
(one machine, one resolver)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

ANONYMOUS = "anonymous"
# What the Pulumi program deploys (components/failover_routing.py; a test keeps them equal).
AWS_RECORD_TTL_SECONDS = 60


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
