"""Checkout: the cart becomes an order in one transaction, exactly once per idempotency key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bookstore.cart import cart_total, now_iso
from bookstore.data.carts import BOOK, CartRepository
from bookstore.data.orders import CREATED, CUSTOMER, ORDER, OrdersRepository
from bookstore.errors import Conflict, InvalidInput, NotFound, TransactionCancelled
from bookstore.identifiers import (
    check_idempotency_key,
    decode_cursor,
    derive_order_id,
    encode_cursor,
    is_order_id,
    is_timestamp,
)
from bookstore.models import CheckoutLine, Order, OrderLine, OrderList
from bookstore.money import format_money

# DynamoDB's limit on the items of one transaction: the order and one delete per cart line.
MAX_TRANSACTION_ITEMS = 100
DEFAULT_ORDERS_LIMIT = 20
MAX_ORDERS_LIMIT = 100


@dataclass(frozen=True)
class CheckoutResult:
    order: Order
    created: bool


def to_order(item: dict[str, Any]) -> Order:
    return Order(
        orderId=str(item[ORDER]),
        createdAt=str(item["createdAt"]),
        items=[
            OrderLine(
                bookId=str(line["bookId"]),
                title=str(line["title"]),
                price=format_money(Decimal(line["price"])),
                quantity=int(line["quantity"]),
            )
            for line in item["items"]
        ],
        total=format_money(Decimal(item["total"])),
        region=str(item["region"]),
    )


def chosen_lines(
    lines: list[dict[str, Any]], expected: Sequence[CheckoutLine]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The cart lines the shopper chose, in book order, and the chosen books this cart does
    not hold with the chosen quantity (then nothing may be bought)."""
    wanted: dict[str, int] = {}
    for line in expected:
        if line.bookId in wanted:
            raise InvalidInput(f"book {line.bookId!r} is listed twice", field="lines")
        wanted[line.bookId] = line.quantity
    held = {str(line[BOOK]): line for line in lines}
    differing = sorted(
        book
        for book, quantity in wanted.items()
        if book not in held or int(held[book]["quantity"]) != quantity
    )
    return [held[book] for book in sorted(wanted) if book in held], differing


class CheckoutService:
    def __init__(self, carts: CartRepository, orders: OrdersRepository, region: str) -> None:
        self._carts = carts
        self._orders = orders
        self._region = region

    def place_order(
        self,
        customer_id: str,
        idempotency_key: str | None,
        expected: Sequence[CheckoutLine] | None = None,
    ) -> CheckoutResult:
        """Buys the whole cart, or, with `expected`, exactly those lines of it: then the
        order's contents come from the shopper's choice, not from whatever this region's copy
        of the cart holds, so the same key repeated in the other region stores the same
        order (the derived id makes it one item; last writer wins between equal contents)."""
        key = check_idempotency_key(idempotency_key)
        order_id = derive_order_id(customer_id, key)
        replay = self._replay(customer_id, order_id)
        if replay is not None:
            return replay

        lines = sorted(self._carts.lines(customer_id), key=lambda line: str(line[BOOK]))
        if expected is not None and lines:
            lines, differing = chosen_lines(lines, expected)
            if differing:
                # The same key may have bought these lines in a race: its order is the answer.
                replay = self._replay(customer_id, order_id)
                if replay is not None:
                    return replay
                raise Conflict(
                    "CART_CHANGED",
                    f"the cart here does not hold {', '.join(differing)} as chosen;"
                    " review it and try again",
                )
        if not lines:
            # A concurrent request with this key may have bought the cart between the look-up
            # above and the read: then its order, not "empty cart", is the answer.
            replay = self._replay(customer_id, order_id)
            if replay is not None:
                return replay
            raise Conflict("EMPTY_CART", "the cart is empty")
        if len(lines) + 1 > MAX_TRANSACTION_ITEMS:
            # Only a merged cart gets here (two regions, or racing requests, each added lines
            # the other had not seen): the cart itself stops at MAX_LINES.
            raise Conflict(
                "CART_TOO_LARGE",
                f"the cart holds {len(lines)} different books; one order takes at most "
                f"{MAX_TRANSACTION_ITEMS - 1}: remove some and try again",
            )
        order = {
            CUSTOMER: customer_id,
            ORDER: order_id,
            "createdAt": now_iso(),
            "idempotencyKey": key,
            "items": [
                {
                    "bookId": str(line[BOOK]),
                    "title": line["title"],
                    "price": Decimal(line["price"]),
                    "quantity": int(line["quantity"]),
                }
                for line in lines
            ],
            "total": cart_total(lines),
            "region": self._region,
        }
        # The order, written only if its id is new, and each line read deleted only if it is
        # still the revision read: a line edited or removed meanwhile cancels everything.
        steps = [self._orders.put_request(order)] + [
            self._carts.delete_request(line) for line in lines
        ]
        try:
            self._orders.transact(steps)
        except TransactionCancelled as error:
            # Whatever the reasons (ConditionalCheckFailed on the order, or TransactionConflict
            # while the other request committed), an order under this id means a concurrent
            # request with the same key won the race: answer with its order.
            replay = self._replay(customer_id, order_id)
            if replay is not None:
                return replay
            if any(error.condition_failed(step) for step in range(1, len(steps))):
                raise Conflict(
                    "CART_CHANGED",
                    "the cart changed during checkout; review it and try again",
                ) from error
            raise Conflict(
                "CHECKOUT_CONFLICT", "the checkout conflicted with another request; retry"
            ) from error
        return CheckoutResult(to_order(order), created=True)

    def _replay(self, customer_id: str, order_id: str) -> CheckoutResult | None:
        existing = self._orders.get(customer_id, order_id, consistent=True)
        return None if existing is None else CheckoutResult(to_order(existing), created=False)


class OrderHistory:
    def __init__(self, orders: OrdersRepository) -> None:
        self._orders = orders

    def list(
        self, customer_id: str, limit: int = DEFAULT_ORDERS_LIMIT, cursor: str | None = None
    ) -> OrderList:
        """A page of the customer's orders, newest first. The cursor is bound to the customer:
        another customer's cursor is refused, never read against this one's orders."""
        if not 1 <= limit <= MAX_ORDERS_LIMIT:
            raise InvalidInput(f"limit must be 1 to {MAX_ORDERS_LIMIT}", field="limit")
        scope = ("orders", customer_id)
        checks = {
            CUSTOMER: lambda value: value == customer_id,
            ORDER: is_order_id,
            CREATED: is_timestamp,
        }
        start = decode_cursor(cursor, checks, scope) if cursor else None
        items, last = self._orders.newest_first(customer_id, limit, start)
        return OrderList(
            items=[to_order(item) for item in items],
            nextCursor=encode_cursor(last, scope) if last is not None else None,
        )

    def get(self, customer_id: str, order_id: str) -> Order:
        item = (
            self._orders.get(customer_id, order_id, consistent=True)
            if is_order_id(order_id)
            else None
        )
        if item is None:
            raise NotFound(f"no order with id {order_id!r}", field="orderId")
        return to_order(item)
