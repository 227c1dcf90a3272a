"""The Orders table: one item per order, keyed by (customer, derived order id)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bookstore.data.paging import all_items
from bookstore.data.table import ItemTable
from bookstore.tables import ORDERS

CUSTOMER = ORDERS.hash_key.name
ORDER = ORDERS.range_key.name if ORDERS.range_key else ""

Item = dict[str, Any]


class OrdersRepository:
    def __init__(self, table: ItemTable) -> None:
        self._table = table

    @property
    def table_name(self) -> str:
        return self._table.name

    def get(self, customer_id: str, order_id: str, consistent: bool = False) -> Item | None:
        return self._table.get_item({CUSTOMER: customer_id, ORDER: order_id}, consistent)

    def for_customer(self, customer_id: str) -> list[Item]:
        return self._table.partition(CUSTOMER, customer_id)

    def put_request(self, order: Item) -> dict[str, Any]:
        """A transaction step that writes `order` only if no order has its key yet."""
        return {
            "Put": {
                "TableName": self._table.name,
                "Item": order,
                "ConditionExpression": "attribute_not_exists(#order)",
                "ExpressionAttributeNames": {"#order": ORDER},
            }
        }

    def transact(self, steps: list[dict[str, Any]]) -> None:
        self._table.transact_write(steps)

    def scan_all(self) -> Iterator[Item]:
        return all_items(self._table.scan, ConsistentRead=True)
