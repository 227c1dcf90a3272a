"""The single source of truth for the DynamoDB tables.

The Pulumi components (`components/global_data.py`), the sandbox provisioner and the data
access layer all read these definitions; no other module spells a key name. The form is
neutral on purpose: `to_create_table_kwargs` renders it for boto3/moto, and the Pulumi
component renders it for `aws.dynamodb.Table`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

AttributeType = Literal["S", "N", "B"]
StreamView = Literal["NEW_AND_OLD_IMAGES", "NEW_IMAGE", "OLD_IMAGE", "KEYS_ONLY"]


@dataclass(frozen=True)
class Key:
    name: str
    type: AttributeType = "S"


@dataclass(frozen=True)
class GlobalIndex:
    name: str
    hash_key: Key
    range_key: Key | None = None
    projection: Literal["ALL", "KEYS_ONLY"] = "ALL"


@dataclass(frozen=True)
class LocalIndex:
    """A local secondary index: the table's partition key with another sort key, read with
    strong consistency like the table. DynamoDB makes one only with its table, never later."""

    name: str
    range_key: Key
    projection: Literal["ALL", "KEYS_ONLY"] = "ALL"


@dataclass(frozen=True)
class TableDefinition:
    """One table: its logical name, keys, secondary indexes and stream."""

    logical_name: str
    hash_key: Key
    range_key: Key | None = None
    indexes: tuple[GlobalIndex, ...] = field(default_factory=tuple)
    local_indexes: tuple[LocalIndex, ...] = field(default_factory=tuple)
    stream_view: StreamView = "NEW_AND_OLD_IMAGES"

    def physical_name(self, prefix: str) -> str:
        return f"{prefix}-{self.logical_name}" if prefix else self.logical_name

    def attributes(self) -> list[Key]:
        """Every attribute that is a key of the table or of an index, each once."""
        seen: dict[str, Key] = {}
        keys: list[Key | None] = [self.hash_key, self.range_key]
        for index in self.indexes:
            keys.extend([index.hash_key, index.range_key])
        keys.extend(local.range_key for local in self.local_indexes)
        for key in keys:
            if key is not None:
                seen.setdefault(key.name, key)
        return list(seen.values())

    def key_names(self) -> tuple[str, ...]:
        if self.range_key is None:
            return (self.hash_key.name,)
        return (self.hash_key.name, self.range_key.name)

    def index(self, name: str) -> GlobalIndex:
        for index in self.indexes:
            if index.name == name:
                return index
        raise KeyError(f"table {self.logical_name} has no index {name}")

    def index_names(self) -> tuple[str, ...]:
        """Every secondary index, global and local (each has its own ARN under the table's)."""
        return tuple(i.name for i in self.indexes) + tuple(i.name for i in self.local_indexes)

    def to_create_table_kwargs(self, prefix: str = "") -> dict[str, Any]:
        """Arguments for boto3 `create_table` (used by the sandbox and the tests)."""
        schema = [{"AttributeName": self.hash_key.name, "KeyType": "HASH"}]
        if self.range_key is not None:
            schema.append({"AttributeName": self.range_key.name, "KeyType": "RANGE"})
        kwargs: dict[str, Any] = {
            "TableName": self.physical_name(prefix),
            "KeySchema": schema,
            "AttributeDefinitions": [
                {"AttributeName": key.name, "AttributeType": key.type} for key in self.attributes()
            ],
            "BillingMode": "PAY_PER_REQUEST",
            "StreamSpecification": {"StreamEnabled": True, "StreamViewType": self.stream_view},
        }
        if self.indexes:
            kwargs["GlobalSecondaryIndexes"] = [_index_kwargs(index) for index in self.indexes]
        if self.local_indexes:
            kwargs["LocalSecondaryIndexes"] = [
                {
                    "IndexName": local.name,
                    "KeySchema": [
                        {"AttributeName": self.hash_key.name, "KeyType": "HASH"},
                        {"AttributeName": local.range_key.name, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": local.projection},
                }
                for local in self.local_indexes
            ]
        return kwargs


def _index_kwargs(index: GlobalIndex) -> dict[str, Any]:
    schema = [{"AttributeName": index.hash_key.name, "KeyType": "HASH"}]
    if index.range_key is not None:
        schema.append({"AttributeName": index.range_key.name, "KeyType": "RANGE"})
    return {
        "IndexName": index.name,
        "KeySchema": schema,
        "Projection": {"ProjectionType": index.projection},
    }


BOOKS = TableDefinition(
    logical_name="Books",
    hash_key=Key("id"),
    indexes=(GlobalIndex("byCategory", hash_key=Key("category"), range_key=Key("id")),),
)
CART = TableDefinition(logical_name="Cart", hash_key=Key("customerId"), range_key=Key("bookId"))
ORDERS = TableDefinition(
    logical_name="Orders",
    hash_key=Key("customerId"),
    range_key=Key("orderId"),
    # A customer's orders newest first, a page at a time (the order id is a hash, no order).
    # createdAt is ISO 8601 UTC with milliseconds, so text order is time order.
    local_indexes=(LocalIndex("byCreatedAt", range_key=Key("createdAt")),),
)

TABLES: tuple[TableDefinition, ...] = (BOOKS, CART, ORDERS)
"""Every table of the bookstore, in creation order."""

# The region fence used by drills lives in the Books table under a reserved id, so the fence
# needs no extra table or IAM grant and replicates like any other item (a drill fences one
# region by writing the item in that region with the region's name in it).
FENCE_ITEM_PREFIX = "__fence__#"
