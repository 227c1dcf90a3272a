"""Who is calling: the `sub` claim that API Gateway's JWT authorizer verified."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from bookstore.errors import Unauthorized


def customer_id(router: Router) -> str:
    """The customer is the token's subject, never a value from the request itself."""
    context = router.current_event.get("requestContext") or {}
    claims = ((context.get("authorizer") or {}).get("jwt") or {}).get("claims") or {}
    sub = claims.get("sub") if isinstance(claims, dict) else None
    if not isinstance(sub, str) or not sub:
        raise Unauthorized("sign in first: this route needs a valid bearer token")
    return sub
