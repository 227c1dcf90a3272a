"""The API's resolver: routers per resource, CORS, error mapping and the region header."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.event_handler import CORSConfig, Response
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from bookstore import services
from bookstore.http import books, cart, errors, health, orders
from bookstore.settings import get_settings

REGION_HEADER = "X-Bookstore-Region"
TITLE = "Multi-Region Bookstore API"


def _fence_middleware(
    app: APIGatewayHttpResolver, next_middleware: NextMiddleware
) -> Response[Any]:
    # A fenced region refuses work so that a drill can take it out of service; /health still
    # answers (503) so that the health checks see it.
    if app.current_event.path != "/health":
        services.fence_guard().ensure_open()
    return next_middleware(app)


def build_resolver(site_origin: str) -> APIGatewayHttpResolver:
    cors = CORSConfig(
        allow_origin=site_origin,
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
        expose_headers=[REGION_HEADER],
        max_age=600,
    )
    app = APIGatewayHttpResolver(cors=cors, enable_validation=True)
    for module in (books, cart, orders, health):
        app.include_router(module.router)
    app.use(middlewares=[_fence_middleware])
    errors.register_error_handlers(app)
    return app


@lru_cache(maxsize=1)
def resolver() -> APIGatewayHttpResolver:
    return build_resolver(get_settings().site_origin)


def openapi_json() -> str:
    """The OpenAPI document of the routes, as `make openapi` commits it."""
    return build_resolver("*").get_openapi_json_schema(
        title=TITLE, version="1.0.0", description="The API contract of design section 3."
    )
