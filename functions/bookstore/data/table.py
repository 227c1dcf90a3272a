"""One DynamoDB table through the low-level client, in plain Python values.

The repositories used boto3's resource layer before. Building a resource costs a cold start
about as much again as the client it wraps (its own model file, generated classes, and the
condition-expression builder), so the few conversions it did for us live here instead:
request values are serialised and response items deserialised with boto3's own type
(de)serialisers, so a number is a `Decimal` either way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from bookstore.data.paging import all_items
from bookstore.errors import TransactionCancelled

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

Item = dict[str, Any]

# Request arguments that hold one item or key, and those that hold a map of values.
_ITEM_ARGS = ("Key", "Item", "ExclusiveStartKey")
_VALUE_ARGS = ("ExpressionAttributeValues",)
BATCH_WRITE_LIMIT = 25
BATCH_GET_LIMIT = 100
# BatchGet/BatchWrite hand back what DynamoDB throttled; resent this often before giving up.
MAX_UNPROCESSED_ROUNDS = 8

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_wire(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in values.items()}


def from_wire(values: Mapping[str, Any]) -> Item:
    return {name: _deserializer.deserialize(value) for name, value in values.items()}


def _request(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    request = dict(kwargs)
    for arg in (*_ITEM_ARGS, *_VALUE_ARGS):
        if arg in request:
            request[arg] = to_wire(request[arg])
    return request


class IncompleteBatch(Exception):
    """DynamoDB kept refusing part of a batch (throttling) after every retry."""


class ItemTable:
    def __init__(self, client: DynamoDBClient, name: str) -> None:
        self.client = client
        self.name = name

    def get_item(self, key: Item, consistent: bool = False) -> Item | None:
        response = self.client.get_item(
            TableName=self.name, Key=to_wire(key), ConsistentRead=consistent
        )
        item = response.get("Item")
        return from_wire(item) if item is not None else None

    def put_item(self, item: Item) -> None:
        self.client.put_item(TableName=self.name, Item=to_wire(item))

    def delete_item(self, key: Item) -> None:
        self.client.delete_item(TableName=self.name, Key=to_wire(key))

    def query(self, **kwargs: Any) -> dict[str, Any]:
        """One page of a Query; `Items` and `LastEvaluatedKey` in Python values."""
        return self._page(self.client.query(TableName=self.name, **_request(kwargs)))

    def scan(self, **kwargs: Any) -> dict[str, Any]:
        """One page of a Scan; `Items` and `LastEvaluatedKey` in Python values."""
        return self._page(self.client.scan(TableName=self.name, **_request(kwargs)))

    def partition(self, key_name: str, value: str) -> list[Item]:
        """Every item under one partition key, every page, strongly consistent."""
        return list(
            all_items(
                self.query,
                KeyConditionExpression="#key = :value",
                ExpressionAttributeNames={"#key": key_name},
                ExpressionAttributeValues={":value": value},
                ConsistentRead=True,
            )
        )

    @staticmethod
    def _page(response: Mapping[str, Any]) -> dict[str, Any]:
        page: dict[str, Any] = {"Items": [from_wire(item) for item in response.get("Items", [])]}
        if response.get("LastEvaluatedKey"):
            page["LastEvaluatedKey"] = from_wire(response["LastEvaluatedKey"])
        return page

    def batch_get(self, keys: Iterable[Item]) -> list[Item]:
        """Items by key in as few BatchGetItem calls as possible; unprocessed keys are retried."""
        wanted = [to_wire(key) for key in keys]
        found: list[Item] = []
        for start in range(0, len(wanted), BATCH_GET_LIMIT):
            request: dict[str, Any] = {self.name: {"Keys": wanted[start : start + BATCH_GET_LIMIT]}}
            for _round in range(MAX_UNPROCESSED_ROUNDS):
                response = self.client.batch_get_item(RequestItems=request)
                found.extend(from_wire(i) for i in response.get("Responses", {}).get(self.name, []))
                request = dict(response.get("UnprocessedKeys") or {})
                if not request:
                    break
            else:
                raise IncompleteBatch(f"{self.name}: keys still unprocessed after retries")
        return found

    def put_many(self, items: Iterable[Item]) -> int:
        """Writes items in batches of 25, resending what DynamoDB left unprocessed."""
        count = 0
        batch: list[dict[str, Any]] = []
        for item in items:
            batch.append({"PutRequest": {"Item": to_wire(item)}})
            count += 1
            if len(batch) == BATCH_WRITE_LIMIT:
                self._write_batch(batch)
                batch = []
        if batch:
            self._write_batch(batch)
        return count

    def _write_batch(self, requests: list[dict[str, Any]]) -> None:
        pending: dict[str, Any] = {self.name: requests}
        for _round in range(MAX_UNPROCESSED_ROUNDS):
            response = self.client.batch_write_item(RequestItems=pending)
            pending = dict(response.get("UnprocessedItems") or {})
            if not pending:
                return
        raise IncompleteBatch(f"{self.name}: items still unprocessed after retries")

    def transact_write(self, steps: Iterable[Mapping[str, Any]]) -> None:
        """TransactWriteItems; each step is {"Put"|"Delete"|...: kwargs in Python values}.
        A cancelled transaction is `TransactionCancelled`, with DynamoDB's reason per step."""
        wire = [{kind: _request(arguments) for kind, arguments in step.items()} for step in steps]
        try:
            self.client.transact_write_items(TransactItems=wire)  # type: ignore[arg-type]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons") or []
            codes = tuple(str(reason.get("Code", "None")) for reason in reasons)
            raise TransactionCancelled(codes) from error
