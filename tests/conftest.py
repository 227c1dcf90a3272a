"""Shared fixtures: the Lambda code over moto (one region) and fakeredis."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import fakeredis
import pytest
from moto import mock_aws

from bookstore import services
from bookstore.catalog import seed_books
from bookstore.data import cache
from bookstore.settings import table_env_var
from bookstore.tables import TABLES
from tests.lambda_harness import PREFIX, REGION, Api


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A moto account with the bookstore's tables, and the Lambda environment pointing at it."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("BOOKSTORE_REGION", REGION)
    monkeypatch.setenv("REDIS_URL", "redis://fake:6379/0")
    monkeypatch.setenv("SITE_ORIGIN", "https://shop.example.com")
    for table in TABLES:
        monkeypatch.setenv(table_env_var(table), table.physical_name(PREFIX))
    services.reset()
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        for table in TABLES:
            dynamodb.create_table(**table.to_create_table_kwargs(PREFIX))
        yield
    services.reset()


@pytest.fixture
def fake_redis(monkeypatch: pytest.MonkeyPatch) -> fakeredis.FakeRedis:
    server = fakeredis.FakeServer()
    client = fakeredis.FakeRedis(server=server, decode_responses=True)
    cache.redis_client.cache_clear()
    monkeypatch.setattr(cache, "redis_client", lambda: client)
    client.server = server  # type: ignore[attr-defined]  # so tests can take Redis down
    return client


@pytest.fixture
def store(aws_env: None, fake_redis: fakeredis.FakeRedis) -> fakeredis.FakeRedis:
    """Tables seeded with the catalog, and an empty Redis."""
    seed_books(services.books())
    return fake_redis


@pytest.fixture
def api(store: fakeredis.FakeRedis) -> Api:
    return Api()
