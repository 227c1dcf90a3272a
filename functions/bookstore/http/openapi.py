"""The OpenAPI document of the API (`make openapi` commits it as `docs/openapi.json`).

Each route declares the answers of its own handler; the answers that come from outside the
handler are added here, from the route table, so that they are listed on every operation that
can send them: 400 on every operation with a parameter or a body, 401 (the authorizer's own
body) on every protected route, 413 and 415 from the request guard, 503 from the fence and the
data store."""

from __future__ import annotations

import json
from typing import Any

from bookstore.http.app import ALWAYS_OPEN, MAX_BODY_BYTES, build_resolver
from bookstore.http.docs import BEARER
from bookstore.http.routes import ROUTES
from bookstore.models import UnauthorizedBody

TITLE = "Multi-Region Bookstore API"
UNAUTHORIZED_DESCRIPTION = "Not signed in: no valid bearer token"
DESCRIPTION = (
    "The bookstore's API, served the same in every region: a public catalog, and behind a"
    " Cognito bearer token the caller's cart and orders. Every error the function answers is"
    ' `{"error": {"code", "message", "field"}}`, `field` naming the input at fault; a request'
    " without a valid token is answered by the API's JWT authorizer before the function runs."
)


def _content(model: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{model}"}}}


def _complete(document: dict[str, Any]) -> None:
    protected = {(route.method, route.path) for route in ROUTES if route.protected}
    error = _content("ErrorBody")
    outside: dict[str, tuple[str, dict[str, Any]]] = {
        "413": (f"The request body exceeds {MAX_BODY_BYTES} bytes", error),
        "415": ("A request body that is not application/json", error),
    }
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            # Powertools documents a 422 on every validated route, but invalid input is
            # answered 400 in the error shape.
            responses.pop("422", None)
            for code, response in responses.items():
                if code == "204":
                    response.pop("content", None)
            if operation.get("parameters") or operation.get("requestBody"):
                responses.setdefault(
                    "400", {"description": "Invalid input: `field` names it", "content": error}
                )
            if (method.upper(), path) in protected:
                responses["401"] = _unauthorized()
            for code, (description, content) in outside.items():
                responses.setdefault(code, {"description": description, "content": content})
            if path != ALWAYS_OPEN:
                responses.setdefault(
                    "503",
                    {
                        "description": "This region is fenced or cannot reach its data store",
                        "content": error,
                    },
                )


def _unauthorized() -> dict[str, Any]:
    return {"description": UNAUTHORIZED_DESCRIPTION, "content": _content("UnauthorizedBody")}


def openapi_json() -> str:
    # Imported here: the OpenAPI models cost half a second of cold start, and only
    # `make openapi` needs them.
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    document = json.loads(
        build_resolver("*").get_openapi_json_schema(
            title=TITLE,
            version="1.0.0",
            description=DESCRIPTION,
            security_schemes={BEARER: HTTPBearer(bearerFormat="JWT")},
        )
    )
    _complete(document)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    # Only the authorizer answers in this shape, so no handler's declaration brings it in.
    schemas["UnauthorizedBody"] = UnauthorizedBody.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    for unused in ("HTTPValidationError", "ResponseValidationError", "ValidationError"):
        if f'"#/components/schemas/{unused}"' not in json.dumps(document):
            schemas.pop(unused, None)
    return json.dumps(document)
