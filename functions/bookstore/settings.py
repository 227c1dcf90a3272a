"""Runtime settings of the Lambda functions, read once from the environment and validated.

Every AWS and Redis endpoint can be overridden so that the same code runs unchanged against
moto and a local Redis (the sandbox and the tests do that).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import lru_cache

from bookstore.tables import TABLES, TableDefinition

# Plain code rather than a pydantic model: the stream function reads these too, and pydantic
# would be the largest import of its cold start after redis-py (see bench/RESULTS.md).
MAX_TIMEOUT_SECONDS = 10.0
# The failback gate's away threshold: a region whose health checks stopped for longer than this
# was out and catches up before it takes traffic again (see docs/failback.md). The default
# fits Route 53 checks every 10 s with a failure threshold of 3.
DEFAULT_AWAY_SECONDS = 20.0
MAX_AWAY_SECONDS = 3600.0


def table_env_var(table: TableDefinition) -> str:
    """The environment variable holding a table's physical name, e.g. `BOOKS_TABLE`."""
    return f"{table.logical_name.upper()}_TABLE"


@dataclass(frozen=True)
class Settings:
    region: str
    books_table: str
    cart_table: str
    orders_table: str
    redis_url: str
    site_origin: str = "*"
    aws_endpoint_url: str | None = None
    leaderboard_key: str = "bestsellers"
    health_timeout_seconds: float = 1.0
    redis_timeout_seconds: float = 1.0
    failback_away_seconds: float = DEFAULT_AWAY_SECONDS


class SettingsError(RuntimeError):
    """The environment does not describe a usable configuration."""


def _timeout(raw: str, maximum: float = MAX_TIMEOUT_SECONDS) -> float | None:
    """Seconds in (0, maximum], or None when `raw` is not such a number."""
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) and 0 < value <= maximum else None


def settings_from_env(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ) if env is None else env
    required = {
        "region": env.get("BOOKSTORE_REGION") or env.get("AWS_REGION"),
        **{
            table.logical_name.lower() + "_table": env.get(table_env_var(table)) for table in TABLES
        },
        "redis_url": env.get("REDIS_URL"),
    }
    timeouts = {
        "health_timeout_seconds": _timeout(env.get("HEALTH_TIMEOUT_SECONDS", "1.0")),
        "redis_timeout_seconds": _timeout(env.get("REDIS_TIMEOUT_SECONDS", "1.0")),
        "failback_away_seconds": _timeout(
            env.get("FAILBACK_AWAY_SECONDS", str(DEFAULT_AWAY_SECONDS)), MAX_AWAY_SECONDS
        ),
    }
    bad = [name for name, value in {**required, **timeouts}.items() if not value]
    if bad:
        raise SettingsError(f"invalid or missing settings: {', '.join(bad)}")
    return Settings(
        region=str(required["region"]),
        books_table=str(required["books_table"]),
        cart_table=str(required["cart_table"]),
        orders_table=str(required["orders_table"]),
        redis_url=str(required["redis_url"]),
        site_origin=env.get("SITE_ORIGIN") or "*",
        aws_endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
        leaderboard_key=env.get("LEADERBOARD_KEY") or "bestsellers",
        health_timeout_seconds=float(timeouts["health_timeout_seconds"] or 1.0),
        redis_timeout_seconds=float(timeouts["redis_timeout_seconds"] or 1.0),
        failback_away_seconds=float(timeouts["failback_away_seconds"] or DEFAULT_AWAY_SECONDS),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return settings_from_env()
