"""The Cart table: one item per (customer, book) line."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bookstore.data.table import ItemTable
from bookstore.tables import CART

CUSTOMER = CART.hash_key.name
BOOK = CART.range_key.name if CART.range_key else ""

Item = dict[str, Any]


class CartRepository:
    def __init__(self, table: ItemTable) -> None:
        self._table = table

    @property
    def table_name(self) -> str:
        return self._table.name

    def lines(self, customer_id: str) -> list[Item]:
        # Strongly consistent: checkout must see the cart as the customer last wrote it here.
        return self._table.partition(CUSTOMER, customer_id)

    def put_line(
        self,
        customer_id: str,
        book_id: str,
        *,
        title: str,
        price: Decimal,
        quantity: int,
        revision: str,
        updated_at: str,
    ) -> Item:
        item: Item = {
            CUSTOMER: customer_id,
            BOOK: book_id,
            "title": title,
            "price": price,
            "quantity": quantity,
            "revision": revision,
            "updatedAt": updated_at,
        }
        self._table.put_item(item)
        return item

    def delete_line(self, customer_id: str, book_id: str) -> None:
        self._table.delete_item({CUSTOMER: customer_id, BOOK: book_id})

    def delete_request(self, line: Item) -> dict[str, Any]:
        """A transaction step that deletes `line` only if nobody changed it since it was read."""
        return {
            "Delete": {
                "TableName": self._table.name,
                "Key": {CUSTOMER: line[CUSTOMER], BOOK: line[BOOK]},
                "ConditionExpression": "#rev = :rev",
                "ExpressionAttributeNames": {"#rev": "revision"},
                "ExpressionAttributeValues": {":rev": line["revision"]},
            }
        }
