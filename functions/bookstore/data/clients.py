"""boto3 clients built once per process from the settings."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from bookstore.data.table import ItemTable
from bookstore.settings import Settings, get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


def _dynamodb(settings: Settings, config: Config) -> DynamoDBClient:
    return boto3.client(
        "dynamodb",
        region_name=settings.region,
        endpoint_url=settings.aws_endpoint_url,
        config=config,
    )


@lru_cache(maxsize=1)
def dynamodb() -> DynamoDBClient:
    # Short timeouts and few retries: a request that cannot reach the data store should fail
    # fast so the front door can retry it on the other region.
    config = Config(
        connect_timeout=2, read_timeout=5, retries={"max_attempts": 3, "mode": "standard"}
    )
    return _dynamodb(get_settings(), config)


@lru_cache(maxsize=1)
def health_dynamodb() -> DynamoDBClient:
    """A client for the health check alone: one attempt, bounded by the health timeout."""
    settings = get_settings()
    timeout = settings.health_timeout_seconds
    config = Config(connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 1})
    return _dynamodb(settings, config)


def table(physical_name: str) -> ItemTable:
    return ItemTable(dynamodb(), physical_name)


def health_table(physical_name: str) -> ItemTable:
    return ItemTable(health_dynamodb(), physical_name)
