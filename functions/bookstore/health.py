"""The deep health check behind Route 53 (and the sandbox front door), and the region fence."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from botocore.exceptions import BotoCoreError, ClientError

from bookstore.data.books import BooksRepository
from bookstore.errors import Unavailable
from bookstore.models import HealthReport


@dataclass(frozen=True)
class HealthResult:
    report: HealthReport
    status_code: int


def check_health(region: str, books: BooksRepository, redis_client: redis.Redis) -> HealthResult:
    """200 ok; 200 degraded when only Redis fails (best sellers are the only casualty);
    503 when DynamoDB cannot be read or the region is fenced, so traffic moves away."""
    checks: dict[str, str] = {}
    fenced = False
    try:
        fenced = books.is_fenced(region)
        checks["dynamodb"] = "ok"
    except (BotoCoreError, ClientError) as exc:
        checks["dynamodb"] = f"error: {type(exc).__name__}"
    try:
        redis_client.ping()
        checks["redis"] = "ok"
    except (redis.RedisError, OSError) as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    checks["fence"] = "fenced" if fenced else "open"

    if fenced or checks["dynamodb"] != "ok":
        status, code = "unavailable", 503
    elif checks["redis"] != "ok":
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    return HealthResult(HealthReport(status=status, region=region, checks=checks), code)


class FenceGuard:
    """Refuses work while the region is fenced. The flag is re-read at most once a second so
    that a drill's fence takes effect quickly without a DynamoDB read per request."""

    def __init__(
        self,
        region: str,
        books: BooksRepository,
        ttl_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._region = region
        self._books = books
        self._ttl = ttl_seconds
        self._clock = clock
        self._checked_at = float("-inf")
        self._fenced = False

    def ensure_open(self) -> None:
        now = self._clock()
        if now - self._checked_at >= self._ttl:
            self._fenced = self._books.is_fenced(self._region)
            self._checked_at = now
        if self._fenced:
            raise Unavailable("REGION_FENCED", f"region {self._region} is fenced by a drill")
