"""The deep health check behind Route 53 (and the sandbox front door)."""

from __future__ import annotations

from dataclasses import dataclass

import redis
from botocore.exceptions import BotoCoreError, ClientError

from bookstore.data.books import BooksRepository
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
