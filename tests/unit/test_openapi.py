"""The committed OpenAPI document matches the resolver; every contract route is in it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cli.openapi import DEFAULT_OUTPUT, render

ROOT = Path(__file__).resolve().parents[2]


def test_committed_openapi_document_is_current() -> None:
    committed = (ROOT / DEFAULT_OUTPUT).read_text(encoding="utf-8")
    assert committed == render(), "docs/openapi.json is stale: run `make openapi`"


def test_every_route_of_the_contract_is_documented() -> None:
    paths = json.loads(render())["paths"]
    operations = {(method.upper(), path) for path, ops in paths.items() for method in ops}
    assert operations == {
        ("GET", "/health"),
        ("GET", "/books"),
        ("GET", "/books/{bookId}"),
        ("GET", "/categories"),
        ("GET", "/bestsellers"),
        ("GET", "/cart"),
        ("PUT", "/cart/{bookId}"),
        ("DELETE", "/cart/{bookId}"),
        ("POST", "/orders"),
        ("GET", "/orders"),
        ("GET", "/orders/{orderId}"),
    }


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    document = json.loads(render())
    return [
        (method.upper(), path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


def test_every_operation_documents_its_success_body() -> None:
    for method, path, operation in _operations():
        responses = operation["responses"]
        success = [code for code in responses if code.startswith("2")]
        assert success, f"{method} {path} documents no success response"
        for code in success:
            if code != "204":
                content = responses[code].get("content", {}).get("application/json", {})
                assert content.get("schema"), f"{method} {path} {code} has no body schema"


def test_only_statuses_the_api_sends_are_documented() -> None:
    # Invalid input is a 400 in the error shape; the authorizer's 401 has its own body.
    for method, path, operation in _operations():
        responses = operation["responses"]
        assert "422" not in responses, f"{method} {path}"
        if "401" in responses:
            schema = responses["401"]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/UnauthorizedBody"}, f"{method} {path}"
