"""Order routes (authenticated): checkout and history."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Query

from bookstore import services
from bookstore.checkout import DEFAULT_ORDERS_LIMIT, MAX_ORDERS_LIMIT
from bookstore.http.auth import customer_id
from bookstore.http.docs import SECURED, fails, returns
from bookstore.http.routing import RecordingRouter, path_id
from bookstore.models import CheckoutRequest, Order, OrderList

router = RecordingRouter()


@router.post(
    "/orders",
    security=SECURED,
    summary="Turn the cart into an order, exactly once per Idempotency-Key",
    responses={
        200: returns("Replay: the order this key created", Order),
        201: returns("Order created", Order),
        400: fails("Missing or invalid Idempotency-Key, or invalid lines"),
        409: fails(
            "EMPTY_CART, CART_CHANGED (a line changed during checkout, or the cart does not"
            " hold the chosen lines as chosen; nothing was bought),"
            " CHECKOUT_CONFLICT (retry with the same key) or CART_TOO_LARGE"
        ),
    },
)
def place_order(
    idempotency_key: Annotated[
        str,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=128,
            pattern=r"^[A-Za-z0-9_-]{1,128}$",
            description="One key per checkout attempt; reuse it when retrying that attempt.",
        ),
    ],
    request: Annotated[
        CheckoutRequest | None,
        Body(
            description="Buy exactly these cart lines (as the shopper saw them); without a"
            " body, the whole cart."
        ),
    ] = None,
) -> Response[str]:
    chosen = request.lines if request is not None else None
    result = services.checkout_service().place_order(customer_id(router), idempotency_key, chosen)
    return Response(
        status_code=201 if result.created else 200,
        content_type=content_types.APPLICATION_JSON,
        body=result.order.model_dump_json(),
    )


@router.get(
    "/orders",
    security=SECURED,
    summary="The caller's orders, newest first, a page at a time",
    responses={
        200: returns("A page of the caller's orders", OrderList),
        400: fails("Invalid limit or cursor"),
    },
)
def list_orders(
    limit: Annotated[int, Query(ge=1, le=MAX_ORDERS_LIMIT)] = DEFAULT_ORDERS_LIMIT,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> OrderList:
    return services.order_history().list(customer_id(router), limit, cursor)


@router.get(
    "/orders/<orderId>",
    security=SECURED,
    summary="One of the caller's orders",
    responses={
        200: returns("The order", Order),
        404: fails("No such order for this customer"),
    },
)
def get_order(orderId: Annotated[str, path_id()]) -> Order:
    return services.order_history().get(customer_id(router), orderId)
