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
