"""The Books table: catalog items, and the region fence kept under a reserved id."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key

from bookstore.data.paging import all_items
from bookstore.tables import BOOKS, FENCE_ITEM_PREFIX

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

BOOK_KEY = BOOKS.hash_key.name
CATEGORY_INDEX = BOOKS.indexes[0]
CATEGORY = CATEGORY_INDEX.hash_key.name
BATCH_GET_LIMIT = 100

Item = dict[str, Any]


def fence_id(region: str) -> str:
    return f"{FENCE_ITEM_PREFIX}{region}"


def cursor_key_names(by_category: bool) -> tuple[str, ...]:
    """The attributes of an ExclusiveStartKey for the table, or for the category index."""
    names = list(BOOKS.key_names())
    if by_category:
        names += [key.name for key in (CATEGORY_INDEX.hash_key, CATEGORY_INDEX.range_key) if key]
    return tuple(dict.fromkeys(names))


def cursor_key(item: Item, by_category: bool) -> dict[str, str]:
    """The ExclusiveStartKey that resumes a listing right after `item`."""
    return {name: str(item[name]) for name in cursor_key_names(by_category)}


def is_book_item(item: Item) -> bool:
    return not str(item.get(BOOK_KEY, "")).startswith(FENCE_ITEM_PREFIX)


class BooksRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def get(self, book_id: str) -> Item | None:
        item = self._table.get_item(Key={BOOK_KEY: book_id}).get("Item")
        return item if item is not None and is_book_item(item) else None

    def batch_get(self, book_ids: Iterable[str]) -> dict[str, Item]:
        """Books by id in as few BatchGetItem calls as possible; unprocessed keys are retried."""
        wanted = list(dict.fromkeys(book_ids))
        found: dict[str, Item] = {}
        client = self._table.meta.client
        for start in range(0, len(wanted), BATCH_GET_LIMIT):
            request: dict[str, Any] = {
                self._table.name: {"Keys": [{BOOK_KEY: i} for i in wanted[start : start + 100]]}
            }
            for _attempt in range(8):
                response = client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self._table.name, []):
                    found[str(item[BOOK_KEY])] = item
                request = dict(response.get("UnprocessedKeys") or {})
                if not request:
                    break
        return found

    def page(
        self, category: str | None, start_key: dict[str, str] | None, page_size: int
    ) -> tuple[list[Item], dict[str, str] | None]:
        """One page of books in storage order, by category through the index when given."""
        kwargs: dict[str, Any] = {"Limit": page_size}
        if start_key is not None:
            kwargs["ExclusiveStartKey"] = start_key
        if category is not None:
            response = self._table.query(
                IndexName=CATEGORY_INDEX.name,
                KeyConditionExpression=Key(CATEGORY).eq(category),
                **kwargs,
            )
        else:
            response = self._table.scan(**kwargs)
        last = response.get("LastEvaluatedKey")
        items = [item for item in response.get("Items", []) if is_book_item(item)]
        return items, ({k: str(v) for k, v in last.items()} if last else None)

    def scan_all(self, attributes: Iterable[str] | None = None) -> Iterator[Item]:
        kwargs: dict[str, Any] = {}
        if attributes is not None:
            names = list(attributes)
            kwargs["ProjectionExpression"] = ", ".join(f"#a{i}" for i in range(len(names)))
            kwargs["ExpressionAttributeNames"] = {f"#a{i}": n for i, n in enumerate(names)}
        return (item for item in all_items(self._table.scan, **kwargs) if is_book_item(item))

    def put_many(self, items: Iterable[Item]) -> int:
        """Writes items in batches; boto3's batch writer resends unprocessed items."""
        count = 0
        with self._table.batch_writer(overwrite_by_pkeys=[BOOK_KEY]) as batch:
            for item in items:
                batch.put_item(Item=item)
                count += 1
        return count

    def is_fenced(self, region: str, consistent: bool = False) -> bool:
        response = self._table.get_item(Key={BOOK_KEY: fence_id(region)}, ConsistentRead=consistent)
        return bool(response.get("Item", {}).get("fenced", False))

    def set_fence(self, region: str, fenced: bool, reason: str = "") -> None:
        if fenced:
            self._table.put_item(
                Item={BOOK_KEY: fence_id(region), "fenced": True, "reason": reason}
            )
        else:
            self._table.delete_item(Key={BOOK_KEY: fence_id(region)})
