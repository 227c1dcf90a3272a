"""The Orders table: one item per order, keyed by (customer, derived order id)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key

from bookstore.data.paging import all_items
from bookstore.tables import ORDERS

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

CUSTOMER = ORDERS.hash_key.name
ORDER = ORDERS.range_key.name if ORDERS.range_key else ""

Item = dict[str, Any]


class OrdersRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    @property
    def table_name(self) -> str:
        return self._table.name

    def get(self, customer_id: str, order_id: str, consistent: bool = False) -> Item | None:
        response = self._table.get_item(
            Key={CUSTOMER: customer_id, ORDER: order_id}, ConsistentRead=consistent
        )
        return response.get("Item")

    def for_customer(self, customer_id: str) -> list[Item]:
        return list(
            all_items(
                self._table.query,
                KeyConditionExpression=Key(CUSTOMER).eq(customer_id),
                ConsistentRead=True,
            )
        )

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
        # The resource's client serialises Python values (Decimal, str) for us.
        self._table.meta.client.transact_write_items(TransactItems=steps)  # type: ignore[arg-type]

    def scan_all(self) -> Iterator[Item]:
        return all_items(self._table.scan, ConsistentRead=True)
