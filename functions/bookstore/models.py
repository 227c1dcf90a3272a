"""The API's data shapes, as `docs/openapi.json` publishes them. Money fields are strings with
two decimals."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt

MAX_QUANTITY = 99


class Shape(BaseModel):
    # Each model's validator is built when first used, not at import: a cold start that serves
    # one route pays only for the shapes that route returns.
    model_config = ConfigDict(defer_build=True)


class Book(Shape):
    id: str
    title: str
    author: str
    category: str
    price: str = Field(examples=["12.99"])
    rating: float
    cover: str
    description: str


class BookPage(Shape):
    items: list[Book]
    nextCursor: str | None


class Category(Shape):
    name: str
    count: int


class CategoryList(Shape):
    items: list[Category]


class Bestseller(Shape):
    rank: int
    sold: int
    book: Book


class BestsellerList(Shape):
    items: list[Bestseller]


class CartItem(Shape):
    bookId: str
    title: str
    price: str
    quantity: int


class Cart(Shape):
    items: list[CartItem]
    total: str


def _whole_float_to_int(value: Any) -> Any:
    # JSON has one number type and JSON Schema's "integer" admits 3.0; some clients (Python's
    # json with floats, spreadsheets) send it. 3.5, "3" and true stay refused by StrictInt.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WholeNumber = Annotated[StrictInt, BeforeValidator(_whole_float_to_int)]


class SetQuantity(Shape):
    """Body of PUT /cart/{bookId}."""

    model_config = ConfigDict(extra="forbid")

    quantity: WholeNumber = Field(ge=1, le=MAX_QUANTITY)


class CheckoutLine(Shape):
    """A cart line as the shopper saw it when they chose to buy."""

    model_config = ConfigDict(extra="forbid")

    bookId: str = Field(min_length=1, max_length=128)
    quantity: WholeNumber = Field(ge=1, le=MAX_QUANTITY)


class CheckoutRequest(Shape):
    """Optional body of POST /orders: buy exactly these lines of the cart. A checkout
    repeated in the other region with the same Idempotency-Key and the same lines stores the
    same order there, whatever else either region's copy of the cart holds."""

    model_config = ConfigDict(extra="forbid")

    # Optional, so `{}` (what some clients send for "no body") still buys the whole cart.
    lines: list[CheckoutLine] | None = Field(default=None, min_length=1, max_length=99)


class OrderLine(Shape):
    bookId: str
    title: str
    price: str
    quantity: int


class Order(Shape):
    orderId: str
    createdAt: str
    items: list[OrderLine]
    total: str
    region: str


class OrderList(Shape):
    items: list[Order]
    nextCursor: str | None = None


class HealthReport(Shape):
    status: str
    region: str
    checks: dict[str, str]


class ErrorDetail(Shape):
    code: str
    message: str
    field: str | None = None


class ErrorBody(Shape):
    error: ErrorDetail


class UnauthorizedBody(Shape):
    """What the JWT authorizer (API Gateway's, or the sandbox gateway's) answers before the
    function runs: not the error shape, which only the function produces."""

    message: str = Field(examples=["Unauthorized"])
