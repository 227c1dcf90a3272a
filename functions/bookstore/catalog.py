"""The book catalog: the shipped data, seeding, browsing and search."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from bookstore.data.books import (
    BOOK_KEY,
    CATEGORY,
    BooksRepository,
    cursor_key,
    cursor_key_names,
)
from bookstore.errors import InvalidInput, NotFound
from bookstore.identifiers import decode_cursor, encode_cursor, is_book_id
from bookstore.models import Book, BookPage, Category, CategoryList
from bookstore.money import format_money, to_money

CATALOG_FILE = Path(__file__).resolve().parent.parent / "catalog" / "books.json"
MAX_LIMIT = 100
DEFAULT_LIMIT = 20
MAX_QUERY_LENGTH = 100
MAX_CATEGORY_LENGTH = 64


@lru_cache(maxsize=1)
def load_catalog(path: Path = CATALOG_FILE) -> tuple[dict[str, Any], ...]:
    """The shipped catalog as DynamoDB items (prices and ratings as Decimals)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    items = []
    for book in raw:
        item = dict(book)
        item["price"] = to_money(book["price"])
        item["rating"] = Decimal(str(book["rating"]))
        items.append(item)
    return tuple(items)


def seed_books(books: BooksRepository, catalog: tuple[dict[str, Any], ...] | None = None) -> int:
    """Loads the catalog into Books. Puts overwrite by id, so running it twice is harmless."""
    return books.put_many(load_catalog() if catalog is None else catalog)


def to_book(item: dict[str, Any]) -> Book:
    return Book(
        id=str(item[BOOK_KEY]),
        title=str(item["title"]),
        author=str(item["author"]),
        category=str(item["category"]),
        price=format_money(Decimal(item["price"])),
        rating=float(item["rating"]),
        cover=str(item["cover"]),
        description=str(item["description"]),
    )


@dataclass(frozen=True)
class BookQuery:
    category: str | None = None
    q: str | None = None
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None

    def validated(self) -> BookQuery:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
        if self.q is not None and len(self.q) > MAX_QUERY_LENGTH:
            raise InvalidInput(f"q is longer than {MAX_QUERY_LENGTH} characters", field="q")
        if self.category is not None and not 0 < len(self.category) <= MAX_CATEGORY_LENGTH:
            raise InvalidInput("category must be 1 to 64 characters", field="category")
        return self

    @property
    def needle(self) -> str | None:
        stripped = (self.q or "").strip()
        return stripped.casefold() if stripped else None

    @property
    def scope(self) -> tuple[str | None, str | None]:
        return (self.category, self.needle)


def _matches(item: dict[str, Any], needle: str | None) -> bool:
    if needle is None:
        return True
    return (
        needle in str(item.get("title", "")).casefold()
        or needle in str(item.get("author", "")).casefold()
    )


class Catalog:
    def __init__(self, books: BooksRepository) -> None:
        self._books = books

    def get(self, book_id: str) -> Book:
        item = self._books.get(book_id) if is_book_id(book_id) else None
        if item is None:
            raise NotFound(f"no book with id {book_id!r}", field="bookId")
        return to_book(item)

    def list(self, query: BookQuery) -> BookPage:
        """A page of `limit` matching books. The cursor is the key of the last book returned,
        so a page may end inside a DynamoDB page and the next one resumes exactly there."""
        query = query.validated()
        by_category = query.category is not None
        checks: dict[str, Callable[[str], bool]] = {
            name: is_book_id for name in cursor_key_names(by_category)
        }
        if by_category:
            checks[CATEGORY] = lambda value: value == query.category
        start = decode_cursor(query.cursor, checks, query.scope) if query.cursor else None
        found: list[dict[str, Any]] = []
        while True:
            items, last = self._books.page(query.category, start, page_size=max(query.limit, 25))
            for item in items:
                if _matches(item, query.needle):
                    found.append(item)
                    if len(found) == query.limit:
                        more = last is not None or item is not items[-1]
                        cursor = (
                            encode_cursor(cursor_key(item, by_category), query.scope)
                            if more
                            else None
                        )
                        return BookPage(items=[to_book(i) for i in found], nextCursor=cursor)
            if last is None:
                return BookPage(items=[to_book(i) for i in found], nextCursor=None)
            start = last

    def categories(self) -> CategoryList:
        counts: dict[str, int] = {}
        for item in self._books.scan_all(attributes=[BOOK_KEY, CATEGORY]):
            name = str(item.get(CATEGORY, ""))
            if name:
                counts[name] = counts.get(name, 0) + 1
        return CategoryList(items=[Category(name=n, count=c) for n, c in sorted(counts.items())])
