"""The shopping cart: lines with a title and price snapshot taken when the line is set."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bookstore.catalog import Catalog
from bookstore.data.carts import BOOK, CartRepository
from bookstore.errors import Conflict
from bookstore.models import Cart, CartItem
from bookstore.money import format_money, to_money, total

# A checkout is one DynamoDB transaction (at most 100 steps: the order plus one delete per
# line), so a cart holds at most this many distinct books.
MAX_LINES = 50


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def to_cart_item(line: dict[str, Any]) -> CartItem:
    return CartItem(
        bookId=str(line[BOOK]),
        title=str(line["title"]),
        price=format_money(Decimal(line["price"])),
        quantity=int(line["quantity"]),
    )


def cart_total(lines: list[dict[str, Any]]) -> Decimal:
    return total((Decimal(line["price"]), int(line["quantity"])) for line in lines)


class CartService:
    def __init__(self, carts: CartRepository, catalog: Catalog) -> None:
        self._carts = carts
        self._catalog = catalog

    def view(self, customer_id: str) -> Cart:
        lines = sorted(self._carts.lines(customer_id), key=lambda line: str(line[BOOK]))
        return Cart(
            items=[to_cart_item(line) for line in lines], total=format_money(cart_total(lines))
        )

    def set_quantity(self, customer_id: str, book_id: str, quantity: int) -> CartItem:
        book = self._catalog.get(book_id)
        lines = self._carts.lines(customer_id)
        if len(lines) >= MAX_LINES and all(line[BOOK] != book_id for line in lines):
            raise Conflict(
                "CART_FULL", f"a cart holds at most {MAX_LINES} different books", field="bookId"
            )
        line = self._carts.put_line(
            customer_id,
            book.id,
            title=book.title,
            price=to_money(book.price),
            quantity=quantity,
            # Each write gets a new revision so that checkout can delete exactly the lines it
            # read and fail on a line edited in between.
            revision=uuid.uuid4().hex,
            updated_at=now_iso(),
        )
        return to_cart_item(line)

    def remove(self, customer_id: str, book_id: str) -> None:
        self._carts.delete_line(customer_id, book_id)
