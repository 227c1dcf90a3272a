"""The API's route table: every route of every router, as the handlers declare it.

API Gateway's routes (`components/regional_bookstore.py`), the sandbox gateway's authorizer
check (`sandbox/gateway.py`) and the OpenAPI document (`make openapi`) all read `ROUTES`, so a
route added to a router reaches them without another edit."""

from __future__ import annotations

from bookstore.http import books, cart, health, orders
from bookstore.http.routing import RecordingRouter, Route

ROUTERS: tuple[RecordingRouter, ...] = (books.router, cart.router, orders.router, health.router)
ROUTES: tuple[Route, ...] = tuple(route for router in ROUTERS for route in router.table)
