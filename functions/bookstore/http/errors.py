"""Every error leaves the API as `{"error": {"code", "message", "field"}}`; this module is the
one place that maps exceptions to status codes."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from botocore.exceptions import BotoCoreError, ClientError

from bookstore.errors import (
    BookstoreError,
    Conflict,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    Unavailable,
    UnsupportedMediaType,
)

logger = Logger(service="bookstore")

# Most specific first: the first class an error is an instance of decides its status.
STATUS: dict[type[BookstoreError], int] = {
    PayloadTooLarge: 413,
    UnsupportedMediaType: 415,
    InvalidInput: 400,
    Unauthorized: 401,
    NotFound: 404,
    Conflict: 409,
    Unavailable: 503,
}


def error_response(status: int, code: str, message: str, field: str | None = None) -> Response[str]:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if field is not None:
        body["error"]["field"] = field
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body)
    )


def _field_of(location: tuple[Any, ...]) -> str:
    """('body', 'quantity') -> 'quantity'; ('query', 'limit') -> 'limit'; ('body', 17) -> 'body'."""
    names = [str(part) for part in location[1:] if isinstance(part, str)]
    return ".".join(names) if names else str(location[0]) if location else "body"


def _validation_response(exc: RequestValidationError) -> Response[str]:
    errors = exc.errors()
    first = errors[0] if errors else {"type": "invalid", "loc": ("body",)}
    location = tuple(first.get("loc", ("body",)))
    if first.get("type") == "json_invalid":
        return error_response(400, "MALFORMED_JSON", "the request body is not valid JSON", "body")
    field = _field_of(location)
    if location and location[0] == "header" and field.lower() == "idempotency-key":
        field = "Idempotency-Key"
    message = str(first.get("msg") or "invalid value")
    if first.get("type") == "missing":
        message = "this field is required"
    return error_response(400, "INVALID_INPUT", f"{field}: {message}", field)


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    @app.exception_handler(BookstoreError)
    def _domain(exc: BookstoreError) -> Response[str]:
        status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
        return error_response(status, exc.code, exc.message, exc.field)

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response[str]:
        return _validation_response(exc)

    @app.not_found
    def _no_route(_: NotFoundError) -> Response[str]:
        event = app.current_event
        return error_response(
            404, "ROUTE_NOT_FOUND", f"no route for {event.http_method} {event.path}"
        )

    @app.exception_handler([ClientError, BotoCoreError])
    def _data_store(exc: Exception) -> Response[str]:
        logger.exception("data store call failed")
        return error_response(503, "DATA_UNAVAILABLE", "the data store cannot be reached")

    # The one broad handler, at the transport boundary: whatever escaped becomes a 500 in the
    # contract's shape, and the traceback goes to the log, never to the client.
    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response[str]:
        logger.exception("unhandled error")
        return error_response(500, "INTERNAL", "internal error")
