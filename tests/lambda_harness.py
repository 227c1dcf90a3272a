"""Calling the Lambda entry points the way AWS does, for the tests: payload 2.0 events, a
Lambda context, an API client, and the assertions on the error shape."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from bench.events import LambdaContext, http_event

REGION = "eu-west-1"
PREFIX = "test"


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: Any = field(default=None)


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


def assert_error(response: ApiResponse, status: int, code: str, field: str | None = None) -> None:
    assert response.status == status, response.body
    error = response.body["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    if field is not None:
        assert error["field"] == field


def put(api: Api, sub: str, book: str, quantity: object) -> ApiResponse:
    return api.call("PUT", f"/cart/{book}", sub=sub, json_body={"quantity": quantity})


def checkout(api: Api, sub: str, key: str | None = "key-1") -> ApiResponse:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return api.call("POST", "/orders", sub=sub, headers=headers)
