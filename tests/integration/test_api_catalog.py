"""Public routes over moto: books, pagination, search, categories, errors, headers."""

from __future__ import annotations

import pytest

from bookstore.catalog import load_catalog
from tests.lambda_harness import REGION, Api, assert_error

CATALOG = load_catalog()


def test_every_response_names_the_region(api: Api) -> None:
    for path in ("/books", "/books/nope", "/no/such/route", "/cart"):
        assert api.call("GET", path).headers["X-Bookstore-Region"] == REGION


def test_book_by_id_has_the_contract_fields(api: Api) -> None:
    first = CATALOG[0]
    response = api.call("GET", f"/books/{first['id']}")
    assert response.status == 200
    assert set(response.body) == {
        "id",
        "title",
        "author",
        "category",
        "price",
        "rating",
        "cover",
        "description",
    }
    assert response.body["price"] == f"{first['price']:.2f}"
    assert response.body["title"] == first["title"]


def test_unknown_book_is_404_naming_the_field(api: Api) -> None:
    assert_error(api.call("GET", "/books/no-such-book"), 404, "NOT_FOUND", "bookId")
    assert_error(api.call("GET", "/books/NOT%20A%20SLUG"), 404, "NOT_FOUND", "bookId")


def test_unknown_route_is_404_in_the_error_shape(api: Api) -> None:
    assert_error(api.call("GET", "/nowhere"), 404, "ROUTE_NOT_FOUND")


def test_pagination_visits_every_book_once(api: Api) -> None:
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = {"limit": "7"} | ({"cursor": cursor} if cursor else {})
        response = api.call("GET", "/books", query=query)
        assert response.status == 200
        assert len(response.body["items"]) <= 7
        seen += [book["id"] for book in response.body["items"]]
        cursor = response.body["nextCursor"]
        pages += 1
        if cursor is None:
            break
    assert sorted(seen) == sorted(book["id"] for book in CATALOG)
    assert pages >= len(CATALOG) // 7


def test_default_limit_is_20(api: Api) -> None:
    response = api.call("GET", "/books")
    assert len(response.body["items"]) == 20
    assert response.body["nextCursor"]


def test_category_listing_uses_only_that_category(api: Api) -> None:
    category = CATALOG[0]["category"]
    expected = sorted(b["id"] for b in CATALOG if b["category"] == category)
    response = api.call("GET", "/books", query={"category": category, "limit": "100"})
    assert sorted(b["id"] for b in response.body["items"]) == expected
    assert response.body["nextCursor"] is None


def test_category_pages_resume_after_the_cursor(api: Api) -> None:
    category = CATALOG[0]["category"]
    first = api.call("GET", "/books", query={"category": category, "limit": "3"})
    second = api.call(
        "GET",
        "/books",
        query={"category": category, "limit": "3", "cursor": first.body["nextCursor"]},
    )
    ids = [b["id"] for b in first.body["items"] + second.body["items"]]
    assert len(ids) == len(set(ids)) == 6


def test_search_is_case_insensitive_on_title_and_author(api: Api) -> None:
    book = CATALOG[5]
    word = str(book["author"]).split()[-1]
    response = api.call("GET", "/books", query={"q": word.upper(), "limit": "100"})
    ids = {b["id"] for b in response.body["items"]}
    assert book["id"] in ids
    expected = {
        b["id"]
        for b in CATALOG
        if word.casefold() in str(b["title"]).casefold()
        or word.casefold() in str(b["author"]).casefold()
    }
    assert ids == expected
    title_word = str(book["title"]).split()[0].lower()
    titled = api.call("GET", "/books", query={"q": title_word, "limit": "100"})
    assert book["id"] in {b["id"] for b in titled.body["items"]}


def test_search_without_match_is_an_empty_page(api: Api) -> None:
    response = api.call("GET", "/books", query={"q": "zzqqxx-nothing"})
    assert response.status == 200
    assert response.body == {"items": [], "nextCursor": None}


def test_limit_out_of_range_is_400_naming_limit(api: Api) -> None:
    for bad in ("0", "101", "ten"):
        assert_error(api.call("GET", "/books", query={"limit": bad}), 400, "INVALID_INPUT", "limit")


def test_tampered_or_foreign_cursor_is_400(api: Api) -> None:
    assert_error(
        api.call("GET", "/books", query={"cursor": "garbage!"}), 400, "INVALID_INPUT", "cursor"
    )
    page = api.call("GET", "/books", query={"limit": "2"})
    category = CATALOG[0]["category"]
    foreign = api.call(
        "GET", "/books", query={"cursor": page.body["nextCursor"], "category": category}
    )
    assert_error(foreign, 400, "INVALID_INPUT", "cursor")


def test_categories_count_every_book(api: Api) -> None:
    response = api.call("GET", "/categories")
    counts = {c["name"]: c["count"] for c in response.body["items"]}
    assert sum(counts.values()) == len(CATALOG)
    assert len(counts) >= 6


def test_cors_allows_the_site_origin_and_exposes_the_region(api: Api) -> None:
    response = api.call("GET", "/books", headers={"origin": "https://shop.example.com"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "X-Bookstore-Region" in response.headers["Access-Control-Expose-Headers"]
    preflight = api.call(
        "OPTIONS",
        "/orders",
        headers={"origin": "https://shop.example.com", "access-control-request-method": "POST"},
    )
    assert preflight.status == 204
    assert "Idempotency-Key" in preflight.headers["Access-Control-Allow-Headers"]


def test_a_percent_encoded_book_id_is_the_same_book(api: Api) -> None:
    book = next(b for b in load_catalog() if "-" in b["id"])
    encoded = "".join(f"%{ord(c):02X}" if c in "-ab" else c for c in book["id"])
    assert encoded != book["id"]
    response = api.call("GET", f"/books/{encoded}")
    assert response.status == 200, response.body
    assert response.body["id"] == book["id"]
    # A decoded slash is not a way into another route.
    assert_error(api.call("GET", f"/books/{book['id']}%2Fx"), 404, "ROUTE_NOT_FOUND")


def test_a_book_cursor_for_another_category_or_a_forged_id_is_refused(api: Api) -> None:
    import base64
    import json

    category = str(load_catalog()[0]["category"])
    first = api.call("GET", "/books", query={"category": category, "limit": "1"})
    assert first.status == 200
    assert first.body["nextCursor"]
    scope = json.loads(base64.urlsafe_b64decode(first.body["nextCursor"] + "==="))["s"]

    def forged(key: dict[str, str]) -> str:
        payload = json.dumps({"k": key, "s": scope}, separators=(",", ":"))
        return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")

    book = str(first.body["items"][0]["id"])
    # The scope fingerprint is copied from a real cursor, so only the key is forged.
    for key in ({"id": book, "category": "Poetry-x"}, {"id": "NOT A BOOK", "category": category}):
        reply = api.call(
            "GET", "/books", query={"category": category, "limit": "1", "cursor": forged(key)}
        )
        assert_error(reply, 400, "INVALID_INPUT", "cursor")
    # The real cursor still works.
    again = api.call(
        "GET", "/books", query={"category": category, "cursor": first.body["nextCursor"]}
    )
    assert again.status == 200


@pytest.mark.parametrize(
    ("method", "template", "field"),
    [
        ("GET", "/books/{}", "bookId"),
        ("DELETE", "/cart/{}", "bookId"),
        ("PUT", "/cart/{}", "bookId"),
        ("GET", "/orders/{}", "orderId"),
    ],
)
@pytest.mark.parametrize("bad", ["a%0Ab", "a%0A", "%7F", "x" * 129])
def test_an_id_holding_a_control_character_or_too_long_is_invalid(
    api: Api, method: str, template: str, field: str, bad: str
) -> None:
    body = {"quantity": 1} if method == "PUT" else None
    response = api.call(method, template.format(bad), sub="someone", json_body=body)
    assert_error(response, 400, "INVALID_INPUT", field)
