"""Runtime settings of the Lambda functions, read once from the environment and validated.

Every AWS and Redis endpoint can be overridden so that the same code runs unchanged against
moto and a local Redis (the sandbox and the tests do that).
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field, ValidationError

from bookstore.tables import TABLES, TableDefinition


def table_env_var(table: TableDefinition) -> str:
    """The environment variable holding a table's physical name, e.g. `BOOKS_TABLE`."""
    return f"{table.logical_name.upper()}_TABLE"


class Settings(BaseModel, frozen=True):
    region: str = Field(min_length=1)
    books_table: str = Field(min_length=1)
    cart_table: str = Field(min_length=1)
    orders_table: str = Field(min_length=1)
    redis_url: str = Field(min_length=1)
    site_origin: str = "*"
    aws_endpoint_url: str | None = None
    leaderboard_key: str = "bestsellers"
    health_timeout_seconds: float = Field(default=1.0, gt=0, le=10)
    redis_timeout_seconds: float = Field(default=1.0, gt=0, le=10)


class SettingsError(RuntimeError):
    """The environment does not describe a usable configuration."""


def settings_from_env(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ) if env is None else env
    tables = {
        table.logical_name.lower() + "_table": env.get(table_env_var(table)) for table in TABLES
    }
    values = {
        "region": env.get("BOOKSTORE_REGION") or env.get("AWS_REGION"),
        **tables,
        "redis_url": env.get("REDIS_URL"),
        "site_origin": env.get("SITE_ORIGIN", "*"),
        "aws_endpoint_url": env.get("AWS_ENDPOINT_URL") or None,
        "leaderboard_key": env.get("LEADERBOARD_KEY", "bestsellers"),
        "health_timeout_seconds": env.get("HEALTH_TIMEOUT_SECONDS", "1.0"),
        "redis_timeout_seconds": env.get("REDIS_TIMEOUT_SECONDS", "1.0"),
    }
    try:
        return Settings.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        missing = ", ".join(str(err["loc"][0]) for err in exc.errors())
        raise SettingsError(f"invalid or missing settings: {missing}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return settings_from_env()
