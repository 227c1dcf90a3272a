"""Hostile bodies and parameters: each a clear 4xx in the error shape, never a 500."""

from __future__ import annotations

import pytest

from bookstore.catalog import load_catalog
from tests.lambda_harness import Api, assert_error

BOOK = str(load_catalog()[0]["id"])


def test_an_oversized_body_is_413(api: Api) -> None:
    body = '{"quantity": 1, "pad": "' + "x" * 20_000 + '"}'
    response = api.call("PUT", f"/cart/{BOOK}", sub="u", raw_body=body)
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


def test_deeply_nested_json_is_400_not_500(api: Api) -> None:
    body = "[" * 5000 + "]" * 5000
    response = api.call("PUT", f"/cart/{BOOK}", sub="u", raw_body=body)
    assert response.status == 400, response.body
    assert response.body["error"]["code"] in {"MALFORMED_JSON", "INVALID_INPUT"}


def test_a_body_that_is_not_an_object_is_400(api: Api) -> None:
    for body in ("[1]", "3", '"quantity"', "null"):
        response = api.call("PUT", f"/cart/{BOOK}", sub="u", raw_body=body)
        assert response.status == 400, (body, response.body)
        assert response.body["error"]["code"] == "INVALID_INPUT"


def test_a_wrong_content_type_is_415(api: Api) -> None:
    response = api.call(
        "PUT",
        f"/cart/{BOOK}",
        sub="u",
        raw_body="quantity=1",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


@pytest.mark.parametrize("q", ["\u0000", "💥📚", "İstanbul", "\u202e", "ß", "a" * 100, "%", "*"])
def test_odd_unicode_in_q_is_answered(api: Api, q: str) -> None:
    response = api.call("GET", "/books", query={"q": q})
    assert response.status == 200
    assert isinstance(response.body["items"], list)


def test_an_overlong_q_is_400(api: Api) -> None:
    assert_error(api.call("GET", "/books", query={"q": "a" * 101}), 400, "INVALID_INPUT", "q")


def test_an_overlong_book_id_is_4xx(api: Api) -> None:
    response = api.call("GET", "/books/" + "a" * 500)
    assert response.status in (400, 404)
    assert response.body["error"]["field"] == "bookId"
