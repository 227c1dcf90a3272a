"""The committed OpenAPI document matches the resolver; every contract route is in it."""

from __future__ import annotations

import json
from pathlib import Path

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
