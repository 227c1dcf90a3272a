"""The route table: read from the routers' own declarations, and what follows from it."""

from __future__ import annotations

import re

from bookstore.http.docs import SECURED
from bookstore.http.routes import ROUTES
from bookstore.http.routing import RecordingRouter, Route, gateway_path
from sandbox.gateway import is_protected


def _concrete(path: str) -> str:
    return re.sub(r"\{\w+\}", "some-id", path)


def test_a_route_is_protected_exactly_when_it_declares_the_cognito_security() -> None:
    router = RecordingRouter()

    @router.get("/authors", summary="Authors")
    def authors() -> None: ...

    @router.route("/authors/<authorId>", ["PUT", "DELETE"], security=SECURED)
    def author() -> None: ...

    assert router.table == [
        Route("GET", "/authors", "public"),
        Route("PUT", "/authors/{authorId}", "cognito"),
        Route("DELETE", "/authors/{authorId}", "cognito"),
    ]


def test_the_table_holds_the_api_contract() -> None:
    keys = {route.key for route in ROUTES}
    assert len(keys) == len(ROUTES)
    assert {"GET /health", "GET /books/{bookId}", "PUT /cart/{bookId}", "POST /orders"} <= keys
    assert {route.key for route in ROUTES if route.protected} == {
        key for key in keys if key.split(" ")[1].startswith(("/cart", "/orders"))
    }


def test_the_sandbox_gateway_guards_exactly_the_protected_routes() -> None:
    for route in ROUTES:
        path = _concrete(route.path)
        assert is_protected(route.method, path) == route.protected, route
        # Encoded, as a client may send it: the authorizer must see through it.
        encoded = path.replace("c", "%63").replace("o", "%6F")
        assert is_protected(route.method, encoded) == route.protected, route


def test_undeclared_routes_under_a_protected_resource_still_need_a_token() -> None:
    assert is_protected("PATCH", "/cart")
    assert is_protected("GET", "/orders/a/b")
    assert is_protected("POST", "/cart/x")
    assert not is_protected("GET", "/nowhere")
    assert not is_protected("GET", "/cartography")


def test_powertools_rules_become_api_gateway_paths() -> None:
    assert gateway_path("/books/<bookId>") == "/books/{bookId}"
    assert gateway_path("/a/<x>/b/<y>") == "/a/{x}/b/{y}"
