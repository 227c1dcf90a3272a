"""The shipped catalog and its cover art: shape, consistency and safety of the SVGs."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tools.covers import render_cover

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "functions" / "catalog" / "books.json"
COVERS = ROOT / "functions" / "catalog" / "covers"
SVG_NS = "http://www.w3.org/2000/svg"
BOOK_FIELDS = {"id", "title", "author", "category", "price", "rating", "description", "cover"}


@cache
def _books() -> tuple[dict[str, Any], ...]:
    data = json.loads(CATALOG.read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return tuple(data)


def _parse(svg: str) -> ET.Element:
    # Entity declarations are what make stdlib XML parsing unsafe; our covers must have none,
    # which also makes the plain parser fine for them.
    assert "<!DOCTYPE" not in svg
    assert "<!ENTITY" not in svg
    return ET.fromstring(svg)  # noqa: S314


def _ids() -> list[str]:
    return [str(book["id"]) for book in _books()]


def test_catalog_is_large_and_varied() -> None:
    categories = Counter(book["category"] for book in _books())
    assert len(_books()) >= 60
    assert len(categories) >= 6
    # A category with one or two books would make the category filter look broken.
    assert min(categories.values()) >= 4


def test_catalog_file_is_canonical() -> None:
    # Keeping the file sorted and pretty-printed makes catalog diffs reviewable.
    text = CATALOG.read_text(encoding="utf-8")
    books = list(_books())
    assert text == json.dumps(books, indent=2, ensure_ascii=False) + "\n"
    assert _ids() == sorted(_ids())


def test_ids_are_unique_slugs() -> None:
    assert len(set(_ids())) == len(_ids())
    for book_id in _ids():
        assert re.fullmatch(r"[a-z0-9-]{3,64}", book_id), book_id


@pytest.mark.parametrize("book", _books(), ids=_ids())
def test_book_shape(book: dict[str, Any]) -> None:
    assert set(book) == BOOK_FIELDS
    for field in ("title", "author", "category", "description"):
        assert isinstance(book[field], str)
        assert book[field].strip() == book[field] != ""
    assert book["cover"] == f"/covers/{book['id']}.svg"


@pytest.mark.parametrize("book", _books(), ids=_ids())
def test_price_is_exact_money(book: dict[str, Any]) -> None:
    assert isinstance(book["price"], str)
    try:
        price = Decimal(book["price"])
    except InvalidOperation:
        pytest.fail(f"{book['id']}: price {book['price']!r} is not a decimal")
    assert price.as_tuple().exponent == -2
    assert price > 0


@pytest.mark.parametrize("book", _books(), ids=_ids())
def test_rating_is_in_range(book: dict[str, Any]) -> None:
    rating = book["rating"]
    assert isinstance(rating, int | float)
    assert not isinstance(rating, bool)
    assert 0 <= rating <= 5


@pytest.mark.parametrize("book", _books(), ids=_ids())
def test_description_is_short(book: dict[str, Any]) -> None:
    description = book["description"]
    assert len(description) <= 300
    sentences = re.findall(r"[.!?](?:\s|$)", description)
    assert 1 <= len(sentences) <= 2, description


@pytest.mark.parametrize("book", _books(), ids=_ids())
def test_cover_file_matches_generator(book: dict[str, Any]) -> None:
    path = COVERS / f"{book['id']}.svg"
    assert path.is_file(), f"missing {path}; run `make covers`"
    assert path.read_text(encoding="utf-8") == render_cover(book), (
        f"{path} is stale; run `make covers`"
    )


def test_no_cover_without_a_book() -> None:
    on_disk = {path.stem for path in COVERS.glob("*.svg")}
    assert on_disk == set(_ids())


@pytest.mark.parametrize("path", sorted(COVERS.glob("*.svg")), ids=lambda p: p.stem)
def test_cover_is_self_contained(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    urls = set(re.findall(r"https?://[^\s\"'<>)]*", text))
    assert urls <= {SVG_NS}, urls
    # Anything that could fetch a resource would leak readers' IPs or break offline.
    for needle in ("href", "<image", "url(", "@import", "<script", "<foreignObject"):
        assert needle not in text, needle
    root = _parse(text)
    assert root.tag == f"{{{SVG_NS}}}svg"
    assert root.get("role") == "img"
    assert root.find(f"{{{SVG_NS}}}title") is not None


def test_render_is_deterministic() -> None:
    book = _books()[0]
    assert render_cover(dict(book)) == render_cover(dict(book))


def test_render_escapes_markup() -> None:
    book = {
        "id": "markup-test",
        "title": 'Cats & Dogs <script>alert("x")</script>',
        "author": "O'Brien & <Sons>",
        "category": "Science Fiction",
        "price": "9.99",
        "rating": 4.0,
        "description": "A synthetic book.",
        "cover": "/covers/markup-test.svg",
    }
    svg = render_cover(book)
    assert "<script" not in svg
    root = _parse(svg)
    title = root.find(f"{{{SVG_NS}}}title")
    assert title is not None
    assert title.text == f"{book['title']} by {book['author']}"
    texts = " ".join("".join(node.itertext()) for node in root.iter(f"{{{SVG_NS}}}text"))
    assert "Cats & Dogs" in texts
    assert "O'Brien & <Sons>" in texts


def test_render_handles_an_unknown_category_and_a_long_title() -> None:
    book = {
        "id": "long-title",
        "title": "A " + "Remarkably " * 20 + "Pneumonoultramicroscopicsilicovolcanoconiosis",
        "author": "An Author With An Exceptionally Long Name Indeed, Esq., PhD",
        "category": "Cookery",
    }
    root = _parse(render_cover(book))
    tspans = list(root.iter(f"{{{SVG_NS}}}tspan"))
    assert 1 <= len(tspans) <= 6
    assert tspans[-1].text is not None
    assert tspans[-1].text.endswith("…")
