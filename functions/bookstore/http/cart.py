"""Cart routes (authenticated)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from bookstore import services
from bookstore.http.auth import customer_id
from bookstore.http.docs import SECURED, fails, returns
from bookstore.http.routing import RecordingRouter, path_id
from bookstore.models import Cart, CartItem, SetQuantity

router = RecordingRouter()


@router.get(
    "/cart",
    security=SECURED,
    summary="The caller's cart",
    responses={200: returns("The cart", Cart)},
)
def get_cart() -> Cart:
    return services.cart_service().view(customer_id(router))


@router.put(
    "/cart/<bookId>",
    security=SECURED,
    summary="Set the quantity of one book in the cart",
    responses={
        200: returns("The line as stored", CartItem),
        400: fails("Invalid quantity"),
        404: fails("Unknown book"),
        409: fails("CART_FULL: the cart holds as many different books as it can"),
    },
)
def put_cart_line(
    bookId: Annotated[str, path_id()],
    body: Annotated[SetQuantity, Body()],
) -> CartItem:
    return services.cart_service().set_quantity(customer_id(router), bookId, body.quantity)


@router.delete(
    "/cart/<bookId>",
    security=SECURED,
    summary="Remove one book from the cart (idempotent)",
    responses={204: returns("Removed")},
)
def delete_cart_line(bookId: Annotated[str, path_id()]) -> Response[None]:
    services.cart_service().remove(customer_id(router), bookId)
    return Response(status_code=204)
