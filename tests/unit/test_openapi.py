"""The committed OpenAPI document matches the resolver; every route of the table is in it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bookstore.http.routes import ROUTES
from cli.openapi import DEFAULT_OUTPUT, render

ROOT = Path(__file__).resolve().parents[2]


def test_committed_openapi_document_is_current() -> None:
    committed = (ROOT / DEFAULT_OUTPUT).read_text(encoding="utf-8")
    assert committed == render(), "docs/openapi.json is stale: run `make openapi`"


def test_every_route_of_the_table_is_documented_with_its_auth() -> None:
    paths = json.loads(render())["paths"]
    documented = {
        (method.upper(), path, bool(operation.get("security")))
        for path, operations in paths.items()
        for method, operation in operations.items()
    }
    assert documented == {(route.method, route.path, route.protected) for route in ROUTES}
    assert ("GET", "/books/{bookId}", False) in documented
    assert ("POST", "/orders", True) in documented


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


def test_no_content_answers_declare_no_body() -> None:
    for method, path, operation in _operations():
        if "204" in operation["responses"]:
            assert "content" not in operation["responses"]["204"], f"{method} {path}"
    assert "204" in json.loads(render())["paths"]["/cart/{bookId}"]["delete"]["responses"]


def test_the_authorizers_401_is_on_exactly_the_protected_routes() -> None:
    protected = {(route.method, route.path) for route in ROUTES if route.protected}
    for method, path, operation in _operations():
        assert ("401" in operation["responses"]) == ((method, path) in protected), (method, path)


def test_every_operation_with_input_documents_the_400() -> None:
    for method, path, operation in _operations():
        if operation.get("parameters") or operation.get("requestBody"):
            assert "400" in operation["responses"], f"{method} {path}"
    for method, path in (("GET", "/books/{bookId}"), ("DELETE", "/cart/{bookId}")):
        assert "400" in json.loads(render())["paths"][path][method.lower()]["responses"]


def test_the_guard_and_the_fence_are_documented_everywhere() -> None:
    for method, path, operation in _operations():
        responses = operation["responses"]
        assert {"413", "415", "503"} <= set(responses), f"{method} {path}"
        assert responses["413"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorBody"
        }


def test_an_id_in_the_path_is_bounded_and_free_of_control_characters() -> None:
    for path, operations in json.loads(render())["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    schema = parameter["schema"]
                    assert schema["maxLength"] == 128, path
                    assert schema["pattern"] == "^[^/\\x00-\\x1F\\x7F]+$", path
