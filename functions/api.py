"""Lambda entry point of the HTTP API (payload 2.0): every route of the bookstore API."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from bookstore.http.app import REGION_HEADER, resolver
from bookstore.settings import get_settings

logger = Logger(service="bookstore")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # API Gateway passes the path as the client encoded it, and the router matches that text:
    # `/books/%61%2Db` must find the book `a-b`, as RFC 3986 makes them the same path.
    raw_path = event.get("rawPath")
    if isinstance(raw_path, str) and "%" in raw_path:
        event = {**event, "rawPath": unquote(raw_path)}
    response = resolver().resolve(event, context)
    # On every response, errors and CORS preflights included: clients and the drill read it to
    # see which region served them.
    response.setdefault("headers", {})[REGION_HEADER] = get_settings().region
    return response
