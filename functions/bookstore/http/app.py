"""The API's resolver: routers per resource, CORS, error mapping and the region header."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.event_handler import CORSConfig, Response
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import (
    OpenAPIRequestValidationMiddleware,
)

from bookstore import services
from bookstore.errors import PayloadTooLarge, UnsupportedMediaType
from bookstore.http import errors
from bookstore.http.routes import ROUTERS
from bookstore.settings import get_settings

REGION_HEADER = "X-Bookstore-Region"
# The one path a fenced region still serves: the health checks must see its 503.
ALWAYS_OPEN = "/health"


# Every request body of this API is a small JSON object; API Gateway would accept 10 MB.
MAX_BODY_BYTES = 16 * 1024


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        # Deep nesting is malformed input, not a server fault: report it as a decode error so
        # that the validation layer answers 400 MALFORMED_JSON.
        raise json.JSONDecodeError("nesting too deep", text, 0) from None


def _guard(app: APIGatewayHttpResolver) -> None:
    """Checks that must come before request validation: a fenced region refuses all work but
    /health (which must answer 503 to the health checks), and bodies are bounded JSON."""
    event = app.current_event
    if event.path != ALWAYS_OPEN:
        services.fence_guard().ensure_open()
    body = event.decoded_body
    if body:
        if len(body.encode()) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"the request body exceeds {MAX_BODY_BYTES} bytes")
        content_type = event.headers.get("content-type", "application/json").lower()
        if not content_type.startswith("application/json"):
            raise UnsupportedMediaType("send the request body as application/json")


class _Resolver(APIGatewayHttpResolver):
    @staticmethod
    def _compile_regex(rule: str, base_regex: str = r"\A{}\Z") -> re.Pattern[str]:
        # A path parameter is one whole segment, whatever its characters, as in API Gateway's
        # `{bookId}`: Powertools' own pattern leaves out control characters and non-URI
        # punctuation, so `/books/a%0Ab` would be "no route" instead of reaching the
        # parameter's validation, and its `$` would let a trailing newline through.
        parameters = re.sub(r"<(\w+)>", r"(?P<\1>[^/]+)", rule)
        return re.compile(base_regex.format(parameters), re.DOTALL)


class _GuardedValidation(OpenAPIRequestValidationMiddleware):
    def handler(self, app: Any, next_middleware: NextMiddleware) -> Response[Any]:
        _guard(app)
        return super().handler(app, next_middleware)


def build_resolver(site_origin: str) -> APIGatewayHttpResolver:
    cors = CORSConfig(
        allow_origin=site_origin,
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
        expose_headers=[REGION_HEADER],
        max_age=600,
    )
    app = _Resolver(cors=cors, enable_validation=True, json_body_deserializer=_parse_json)
    # Powertools always runs request validation first; the guard has to run before it (a
    # fenced region must not answer 400s, a form body must not be parsed), so it wraps it.
    # Pinned Powertools version; tests/integration/test_api_limits.py fails if this breaks.
    app._request_validation_middleware = _GuardedValidation()
    for router in ROUTERS:
        app.include_router(router)
    errors.register_error_handlers(app)
    return app


@lru_cache(maxsize=1)
def resolver() -> APIGatewayHttpResolver:
    return build_resolver(get_settings().site_origin)
