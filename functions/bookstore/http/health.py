"""GET /health: the deep check that Route 53 and the sandbox front door poll."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response, content_types

from bookstore import services
from bookstore.http.docs import returns
from bookstore.http.routing import RecordingRouter
from bookstore.models import HealthReport
from bookstore.settings import get_settings

router = RecordingRouter()


@router.get(
    "/health",
    summary="Deep health of this region (DynamoDB, Redis, drill fence)",
    responses={
        200: returns("ok or degraded", HealthReport),
        503: returns("This region cannot serve", HealthReport),
    },
)
def health() -> Response[str]:
    # Imported on first use: they need redis-py, which the other routes' cold starts skip.
    from bookstore.data import cache
    from bookstore.health import build_gate, check_health

    settings = get_settings()
    result = check_health(
        settings.region,
        services.health_books(),
        cache.RedisHeartbeat(cache.redis_client()),
        build_gate(settings),
    )
    return Response(
        status_code=result.status_code,
        content_type=content_types.APPLICATION_JSON,
        body=result.report.model_dump_json(),
    )
