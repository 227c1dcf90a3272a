"""The API's data shapes (design section 3). Money fields are strings with two decimals."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictInt

MAX_QUANTITY = 99


class Book(BaseModel):
    id: str
    title: str
    author: str
    category: str
    price: str = Field(examples=["12.99"])
    rating: float
    cover: str
    description: str


class BookPage(BaseModel):
    items: list[Book]
    nextCursor: str | None


class Category(BaseModel):
    name: str
    count: int


class CategoryList(BaseModel):
    items: list[Category]


class Bestseller(BaseModel):
    rank: int
    sold: int
    book: Book


class BestsellerList(BaseModel):
    items: list[Bestseller]


class CartItem(BaseModel):
    bookId: str
    title: str
    price: str
    quantity: int


class Cart(BaseModel):
    items: list[CartItem]
    total: str


class SetQuantity(BaseModel):
    """Body of PUT /cart/{bookId}."""

    model_config = ConfigDict(extra="forbid")

    quantity: StrictInt = Field(ge=1, le=MAX_QUANTITY)


class OrderLine(BaseModel):
    bookId: str
    title: str
    price: str
    quantity: int


class Order(BaseModel):
    orderId: str
    createdAt: str
    items: list[OrderLine]
    total: str
    region: str


class OrderList(BaseModel):
    items: list[Order]


class HealthReport(BaseModel):
    status: str
    region: str
    checks: dict[str, str]


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail
