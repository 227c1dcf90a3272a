"""Shared fixtures: the Lambda code over moto (one region) and fakeredis."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import fakeredis
import pytest
from moto import mock_aws

from bookstore import services
from bookstore.catalog import seed_books
from bookstore.data import clients
from bookstore.settings import table_env_var
from bookstore.tables import TABLES

REGION = "eu-west-1"
PREFIX = "test"


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
    clients.redis_client.cache_clear()
    monkeypatch.setattr(clients, "redis_client", lambda: client)
    client.server = server  # type: ignore[attr-defined]  # so tests can take Redis down
    return client


@pytest.fixture
def store(aws_env: None, fake_redis: fakeredis.FakeRedis) -> fakeredis.FakeRedis:
    """Tables seeded with the catalog, and an empty Redis."""
    seed_books(services.books())
    return fake_redis


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: Any = field(default=None)


def http_event(
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: str | None = None,
    sub: str | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API payload 2.0 event, as the JWT authorizer passes it on."""
    raw_query = "&".join(f"{k}={v}" for k, v in (query or {}).items())
    request_context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "api",
        "domainName": "api.example.com",
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": "pytest",
        },
        "requestId": uuid.uuid4().hex,
        "routeKey": "$default",
        "stage": "$default",
        "time": "28/Nov/2026:03:00:00 +0000",
        "timeEpoch": 1795834800000,
    }
    if sub is not None:
        request_context["authorizer"] = {"jwt": {"claims": {"sub": sub}, "scopes": None}}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": {k.lower(): v for k, v in (headers or {}).items()},
        "requestContext": request_context,
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = dict(query)
    if body is not None:
        event["body"] = body
    return event


class LambdaContext:
    function_name = "bookstore-api"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:bookstore-api"
    aws_request_id = "req"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


class Api:
    """Calls the real API entry point the way API Gateway would."""

    def __init__(self) -> None:
        import api

        self._handler = api.handler

    def call(
        self,
        method: str,
        path: str,
        *,
        sub: str | None = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        raw_body: str | None = None,
    ) -> ApiResponse:
        body = (
            raw_body
            if raw_body is not None
            else (json.dumps(json_body) if json_body is not None else None)
        )
        all_headers = {"content-type": "application/json"} if body is not None else {}
        all_headers.update(headers or {})
        event = http_event(method, path, query=query, headers=all_headers, body=body, sub=sub)
        result = self._handler(event, LambdaContext())
        raw = result.get("body")
        if raw and result.get("isBase64Encoded"):
            raw = base64.b64decode(raw).decode()
        parsed = json.loads(raw) if raw else None
        return ApiResponse(result["statusCode"], dict(result.get("headers") or {}), parsed)


@pytest.fixture
def api(store: fakeredis.FakeRedis) -> Api:
    return Api()
