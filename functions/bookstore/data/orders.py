"""The Orders table: one item per order, keyed by (customer, derived order id)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bookstore.data.paging import all_items
from bookstore.data.table import ItemTable
from bookstore.tables import ORDERS

CUSTOMER = ORDERS.hash_key.name
ORDER = ORDERS.range_key.name if ORDERS.range_key else ""
BY_CREATED = ORDERS.local_indexes[0]
CREATED = BY_CREATED.range_key.name
# What resumes a listing after an item: the table's key and the index's sort key.
CURSOR_KEY_NAMES = (CUSTOMER, ORDER, CREATED)

Item = dict[str, Any]


class OrdersRepository:
    def __init__(self, table: ItemTable) -> None:
        self._table = table

    @property
    def table_name(self) -> str:
        return self._table.name

    def get(self, customer_id: str, order_id: str, consistent: bool = False) -> Item | None:
        return self._table.get_item({CUSTOMER: customer_id, ORDER: order_id}, consistent)

    def newest_first(
        self, customer_id: str, limit: int, start_key: dict[str, str] | None = None
    ) -> tuple[list[Item], dict[str, str] | None]:
        """Up to `limit` of the customer's orders, newest first, strongly consistent, and the
        key to resume after the last of them when more follow (None at the end)."""
        # One more than asked: DynamoDB's own LastEvaluatedKey also comes when the page ends
        # exactly at the last order, which would promise a next page that is empty. A query
        # also stops at 1 MB read, so it goes on until it has that many or reaches the end.
        items: list[Item] = []
        last: Mapping[str, Any] | None = start_key
        while True:
            kwargs: dict[str, Any] = {"ExclusiveStartKey": last} if last else {}
            response = self._table.query(
                IndexName=BY_CREATED.name,
                KeyConditionExpression="#customer = :customer",
                ExpressionAttributeNames={"#customer": CUSTOMER},
                ExpressionAttributeValues={":customer": customer_id},
                ScanIndexForward=False,
                ConsistentRead=True,
                Limit=limit + 1 - len(items),
                **kwargs,
            )
            items.extend(response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if len(items) > limit or not last:
                break
        if len(items) <= limit:
            return items, None
        items = items[:limit]
        return items, {name: str(items[-1][name]) for name in CURSOR_KEY_NAMES}

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
