"""The deep health check behind Route 53 (and the sandbox front door)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import redis
from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from bookstore.data import clients
from bookstore.data.books import BooksRepository
from bookstore.data.markers import MarkerStore
from bookstore.failback import FailbackGate, GateState
from bookstore.models import HealthReport
from bookstore.settings import Settings

logger = Logger(service="bookstore")


class Heartbeat(Protocol):
    def last_seen(self) -> float | None: ...

    def record(self, at: float) -> None: ...


@dataclass(frozen=True)
class HealthResult:
    report: HealthReport
    status_code: int


def build_gate(settings: Settings) -> FailbackGate:
    """The gate over this region's own tables, through the health check's one-try clients."""
    markers = MarkerStore(
        cart=clients.health_table(settings.cart_table),
        orders=clients.health_table(settings.orders_table),
    )
    return FailbackGate(settings.region, settings.failback_away_seconds, markers)


def check_health(
    region: str, books: BooksRepository, heartbeat: Heartbeat, gate: FailbackGate
) -> HealthResult:
    """200 ok; 200 degraded when only Redis fails (best sellers are the only casualty);
    503 when DynamoDB cannot be read or the region is fenced, so traffic moves away; 503
    catching-up while the region has not yet received what the other took while it was away."""
    checks: dict[str, str] = {}
    # Redis first, and reading the record of presence is the Redis check: one round trip,
    # and a Redis that does not answer costs the health check one timeout, not three.
    last_seen: float | None = None
    try:
        last_seen = heartbeat.last_seen()
        checks["redis"] = "ok"
    except (redis.RedisError, OSError) as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    fenced = False
    state: GateState | None = None
    try:
        fenced = books.is_fenced(region)
        state = gate.check(last_seen, serving=not fenced)
        checks["dynamodb"] = "ok"
    except (BotoCoreError, ClientError) as exc:
        checks["dynamodb"] = f"error: {type(exc).__name__}"
    checks["fence"] = "fenced" if fenced else "open"
    checks["failback"] = state.detail if state is not None else "unknown"
    if state is not None:
        _log_transitions(state)
    if state is not None and state.present_at is not None and checks["redis"] == "ok":
        try:
            heartbeat.record(state.present_at)
        except (redis.RedisError, OSError) as exc:
            checks["redis"] = f"error: {type(exc).__name__}"

    if fenced or checks["dynamodb"] != "ok":
        status, code = "unavailable", 503
    elif state is not None and state.catching_up:
        # Only /health says so: the API itself keeps serving, so that when every region
        # fails its health check (Route 53 then answers with all of them) shoppers are served.
        status, code = "catching-up", 503
    elif checks["redis"] != "ok":
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    return HealthResult(HealthReport(status=status, region=region, checks=checks), code)


def _log_transitions(state: GateState) -> None:
    """The catch-up's steps, for the operator (and the sandbox tests) to follow."""
    if state.started is not None:
        logger.warning(
            "failback catch-up started",
            token=state.started.token,
            away_since=state.started.since,
        )
    if state.caught_up is not None:
        logger.info(
            "failback caught up",
            token=state.caught_up.token,
            away_since=state.caught_up.since,
        )
    for region in state.answered:
        logger.info("failback probe acknowledged", probe_region=region)
