"""The Books table: catalog items, and the region fence kept under a reserved id."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from bookstore.data.paging import all_items
from bookstore.data.table import ItemTable
from bookstore.tables import BOOKS, FENCE_ITEM_PREFIX

BOOK_KEY = BOOKS.hash_key.name
CATEGORY_INDEX = BOOKS.indexes[0]
CATEGORY = CATEGORY_INDEX.hash_key.name

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
    def __init__(self, table: ItemTable) -> None:
        self._table = table

    def get(self, book_id: str) -> Item | None:
        item = self._table.get_item({BOOK_KEY: book_id})
        return item if item is not None and is_book_item(item) else None

    def batch_get(self, book_ids: Iterable[str]) -> dict[str, Item]:
        """Books by id in as few BatchGetItem calls as possible."""
        wanted = [{BOOK_KEY: book_id} for book_id in dict.fromkeys(book_ids)]
        return {str(item[BOOK_KEY]): item for item in self._table.batch_get(wanted)}

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
                KeyConditionExpression="#category = :category",
                ExpressionAttributeNames={"#category": CATEGORY},
                ExpressionAttributeValues={":category": category},
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
        return self._table.put_many(items)

    def is_fenced(self, region: str, consistent: bool = False) -> bool:
        item = self._table.get_item({BOOK_KEY: fence_id(region)}, consistent=consistent)
        return bool((item or {}).get("fenced", False))

    def set_fence(self, region: str, fenced: bool, reason: str = "") -> None:
        if fenced:
            self._table.put_item({BOOK_KEY: fence_id(region), "fenced": True, "reason": reason})
        else:
            self._table.delete_item({BOOK_KEY: fence_id(region)})
