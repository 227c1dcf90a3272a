"""The Redis client (the leaderboard's store), built once per process from the settings.

Kept apart from the boto3 clients so that the stream function, which needs only Redis, does
not pay for importing boto3 on a cold start.
"""

from __future__ import annotations

from functools import lru_cache

import redis

from bookstore.settings import get_settings


@lru_cache(maxsize=1)
def redis_client() -> redis.Redis:
    settings = get_settings()
    return redis.Redis.from_url(
        settings.redis_url,
        socket_timeout=settings.redis_timeout_seconds,
        socket_connect_timeout=settings.redis_timeout_seconds,
        decode_responses=True,
        health_check_interval=30,
    )


# When this region last answered a health check able to serve. In the region's own Redis on
# purpose: it must not replicate, since each region asks whether it itself was away.
HEARTBEAT_KEY = "failback:last-seen"


class RedisHeartbeat:
    """The failback gate's record of presence; Redis errors reach the caller."""

    def __init__(self, client: redis.Redis, key: str = HEARTBEAT_KEY) -> None:
        self._redis = client
        self._key = key

    def last_seen(self) -> float | None:
        raw = self._redis.get(self._key)
        try:
            return float(str(raw)) if raw is not None else None
        except ValueError:
            return None  # not ours to interpret: as if there were no record

    def record(self, at: float) -> None:
        self._redis.set(self._key, f"{at:.3f}")
