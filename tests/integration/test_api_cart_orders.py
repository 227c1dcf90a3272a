"""Authenticated routes over moto: cart, checkout (idempotent, atomic), order history."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bookstore import services
from bookstore.catalog import load_catalog
from bookstore.data import clients
from tests.lambda_harness import Api, ApiResponse, assert_error, checkout, put

CATALOG = load_catalog()
ALICE, BOB = "user-alice", "user-bob"
B1, B2 = str(CATALOG[0]["id"]), str(CATALOG[1]["id"])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/cart"),
        ("PUT", f"/cart/{B1}"),
        ("DELETE", f"/cart/{B1}"),
        ("POST", "/orders"),
        ("GET", "/orders"),
        ("GET", "/orders/o-" + "0" * 32),
    ],
)
def test_protected_routes_without_a_subject_are_401(api: Api, method: str, path: str) -> None:
    body = {"quantity": 1} if method == "PUT" else None
    headers = {"Idempotency-Key": "k"} if method == "POST" else None
    response = api.call(method, path, json_body=body, headers=headers)
    assert_error(response, 401, "UNAUTHORIZED")


def test_put_snapshots_title_and_price(api: Api) -> None:
    response = put(api, ALICE, B1, 2)
    assert response.status == 200
    assert response.body == {
        "bookId": B1,
        "title": CATALOG[0]["title"],
        "price": f"{CATALOG[0]['price']:.2f}",
        "quantity": 2,
    }


@pytest.mark.parametrize("quantity", [0, 100, -1, "3", 2.5, True, None])
def test_quantity_outside_1_to_99_or_not_an_integer_is_400(api: Api, quantity: object) -> None:
    assert_error(put(api, ALICE, B1, quantity), 400, "INVALID_INPUT", "quantity")
    assert api.call("GET", "/cart", sub=ALICE).body["items"] == []


def test_quantity_bounds_are_accepted(api: Api) -> None:
    assert put(api, ALICE, B1, 1).status == 200
    assert put(api, ALICE, B1, 99).status == 200


@pytest.mark.parametrize("quantity", [3.0, 1.0, 99.0])
def test_a_whole_number_written_with_a_fraction_is_an_integer(api: Api, quantity: float) -> None:
    # JSON Schema's "integer", which the OpenAPI document promises, admits 3.0.
    response = put(api, ALICE, B1, quantity)
    assert response.status == 200, response.body
    assert response.body["quantity"] == int(quantity)
    assert isinstance(response.body["quantity"], int)
    assert api.call("GET", "/cart", sub=ALICE).body["items"][0]["quantity"] == int(quantity)


@pytest.mark.parametrize("quantity", [100.0, 0.0, 2.5, 1e300])
def test_a_fraction_or_an_out_of_range_float_is_still_400(api: Api, quantity: float) -> None:
    assert_error(put(api, ALICE, B1, quantity), 400, "INVALID_INPUT", "quantity")


def test_malformed_json_is_400(api: Api) -> None:
    response = api.call("PUT", f"/cart/{B1}", sub=ALICE, raw_body="{quantity: 2")
    assert_error(response, 400, "MALFORMED_JSON", "body")


def test_unknown_fields_are_rejected(api: Api) -> None:
    response = api.call("PUT", f"/cart/{B1}", sub=ALICE, json_body={"quantity": 1, "price": "0.01"})
    assert_error(response, 400, "INVALID_INPUT", "price")


def test_unknown_book_in_cart_is_404(api: Api) -> None:
    assert_error(put(api, ALICE, "no-such-book", 1), 404, "NOT_FOUND", "bookId")


def test_cart_total_is_exact(api: Api) -> None:
    put(api, ALICE, B1, 3)
    put(api, ALICE, B2, 1)
    cart = api.call("GET", "/cart", sub=ALICE).body
    expected = Decimal(CATALOG[0]["price"]) * 3 + Decimal(CATALOG[1]["price"])
    assert cart["total"] == f"{expected:.2f}"
    assert [line["bookId"] for line in cart["items"]] == sorted([B1, B2])


def test_delete_is_idempotent(api: Api) -> None:
    put(api, ALICE, B1, 1)
    first = api.call("DELETE", f"/cart/{B1}", sub=ALICE)
    second = api.call("DELETE", f"/cart/{B1}", sub=ALICE)
    assert (first.status, second.status) == (204, 204)
    assert first.body is None
    assert api.call("GET", "/cart", sub=ALICE).body == {"items": [], "total": "0.00"}


def test_carts_are_private(api: Api) -> None:
    put(api, ALICE, B1, 1)
    assert api.call("GET", "/cart", sub=BOB).body["items"] == []
    api.call("DELETE", f"/cart/{B1}", sub=BOB)
    assert len(api.call("GET", "/cart", sub=ALICE).body["items"]) == 1


def test_checkout_creates_the_order_and_empties_the_cart(api: Api) -> None:
    put(api, ALICE, B1, 2)
    put(api, ALICE, B2, 1)
    response = checkout(api, ALICE)
    assert response.status == 201
    order = response.body
    assert order["region"] == "eu-west-1"
    assert order["orderId"].startswith("o-")
    assert {line["bookId"]: line["quantity"] for line in order["items"]} == {B1: 2, B2: 1}
    expected = Decimal(CATALOG[0]["price"]) * 2 + Decimal(CATALOG[1]["price"])
    assert order["total"] == f"{expected:.2f}"
    assert api.call("GET", "/cart", sub=ALICE).body["items"] == []
    assert api.call("GET", f"/orders/{order['orderId']}", sub=ALICE).body == order


def test_replayed_key_returns_the_same_order_with_200(api: Api) -> None:
    put(api, ALICE, B1, 1)
    first = checkout(api, ALICE, "replay-me")
    put(api, ALICE, B2, 5)  # a new cart must not change the replayed order
    second = checkout(api, ALICE, "replay-me")
    assert (first.status, second.status) == (201, 200)
    assert second.body == first.body
    assert len(api.call("GET", "/orders", sub=ALICE).body["items"]) == 1
    assert len(api.call("GET", "/cart", sub=ALICE).body["items"]) == 1


def test_same_key_of_another_customer_is_another_order(api: Api) -> None:
    put(api, ALICE, B1, 1)
    put(api, BOB, B1, 1)
    a, b = checkout(api, ALICE, "k"), checkout(api, BOB, "k")
    assert a.body["orderId"] != b.body["orderId"]


def test_empty_cart_checkout_is_409(api: Api) -> None:
    assert_error(checkout(api, ALICE), 409, "EMPTY_CART")


@pytest.mark.parametrize(
    ("key", "field"),
    [
        (None, "Idempotency-Key"),
        ("", "Idempotency-Key"),
        ("x" * 129, "Idempotency-Key"),
        ("bad key!", "Idempotency-Key"),
    ],
)
def test_missing_or_invalid_idempotency_key_is_400(api: Api, key: str | None, field: str) -> None:
    put(api, ALICE, B1, 1)
    assert_error(checkout(api, ALICE, key), 400, "INVALID_INPUT", field)
    assert len(api.call("GET", "/cart", sub=ALICE).body["items"]) == 1


def test_longest_valid_key_is_accepted(api: Api) -> None:
    put(api, ALICE, B1, 1)
    assert checkout(api, ALICE, "A-_9" * 32).status == 201


def test_a_line_edited_during_checkout_fails_cleanly_with_409(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(api, ALICE, B1, 1)
    put(api, ALICE, B2, 1)
    carts = services.carts()
    original = carts.lines

    def lines_then_concurrent_edit(customer_id: str) -> list[dict[str, object]]:
        read = original(customer_id)
        monkeypatch.setattr(carts, "lines", original)
        put(api, ALICE, B2, 7)  # another tab changes a line after checkout read the cart
        return read

    monkeypatch.setattr(carts, "lines", lines_then_concurrent_edit)
    assert_error(checkout(api, ALICE, "race"), 409, "CART_CHANGED")
    cart = api.call("GET", "/cart", sub=ALICE).body
    assert {line["bookId"]: line["quantity"] for line in cart["items"]} == {B1: 1, B2: 7}
    assert api.call("GET", "/orders", sub=ALICE).body["items"] == []


def test_orders_are_newest_first(api: Api) -> None:
    ids = []
    for n in range(3):
        put(api, ALICE, B1, n + 1)
        ids.append(checkout(api, ALICE, f"k{n}").body["orderId"])
    listed = [o["orderId"] for o in api.call("GET", "/orders", sub=ALICE).body["items"]]
    assert listed == list(reversed(ids))


def test_another_customers_order_is_404(api: Api) -> None:
    put(api, ALICE, B1, 1)
    order_id = checkout(api, ALICE).body["orderId"]
    assert_error(api.call("GET", f"/orders/{order_id}", sub=BOB), 404, "NOT_FOUND", "orderId")
    assert api.call("GET", "/orders", sub=BOB).body == {"items": [], "nextCursor": None}
    assert api.call("GET", f"/orders/{order_id}", sub=ALICE).status == 200


# Races inside one region. Lambda runs concurrent requests in separate execution
# environments; these tests replay the interleavings that matter deterministically, by running
# the "other" request at the exact point where checkout has read the cart, or is about to.


def _run_once_before(
    monkeypatch: pytest.MonkeyPatch, owner: object, name: str, concurrent: object
) -> None:
    """Make `owner.name` run `concurrent()` once, just before its first real call."""
    original = getattr(owner, name)

    def hooked(*args: object, **kwargs: object) -> object:
        monkeypatch.setattr(owner, name, original)
        concurrent()  # type: ignore[operator]
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, hooked)


def _run_once_after(
    monkeypatch: pytest.MonkeyPatch, owner: object, name: str, concurrent: object
) -> None:
    """Make `owner.name` run `concurrent()` once, just after its first real call."""
    original = getattr(owner, name)

    def hooked(*args: object, **kwargs: object) -> object:
        monkeypatch.setattr(owner, name, original)
        result = original(*args, **kwargs)
        concurrent()  # type: ignore[operator]
        return result

    monkeypatch.setattr(owner, name, hooked)


def _orders(api: Api, sub: str) -> list[dict[str, object]]:
    items: list[dict[str, object]] = api.call("GET", "/orders", sub=sub).body["items"]
    return items


def _cart(api: Api, sub: str) -> dict[str, int]:
    items = api.call("GET", "/cart", sub=sub).body["items"]
    return {line["bookId"]: line["quantity"] for line in items}


def test_same_key_that_commits_before_the_cart_is_read_is_replayed_not_empty_cart(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Request 1 and request 2 carry the same key. Request 2 looked the key up (no order yet),
    # then request 1 committed (order written, cart emptied), then request 2 reads the cart.
    put(api, ALICE, B1, 2)
    first: list[ApiResponse] = []
    _run_once_before(
        monkeypatch,
        services.carts(),
        "lines",
        lambda: first.append(checkout(api, ALICE, "twin")),
    )
    second = checkout(api, ALICE, "twin")
    assert first[0].status == 201
    assert (second.status, second.body) == (200, first[0].body)
    assert _orders(api, ALICE) == [first[0].body]


def test_same_key_that_commits_after_the_cart_is_read_is_replayed(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both requests read the same cart; request 1 commits first, request 2's conditional put
    # of the order (same derived id) fails.
    put(api, ALICE, B1, 2)
    first: list[ApiResponse] = []
    _run_once_after(
        monkeypatch,
        services.carts(),
        "lines",
        lambda: first.append(checkout(api, ALICE, "twin")),
    )
    second = checkout(api, ALICE, "twin")
    assert first[0].status == 201
    assert (second.status, second.body) == (200, first[0].body)
    assert _orders(api, ALICE) == [first[0].body]
    assert _cart(api, ALICE) == {}


def test_same_key_cancelled_as_a_transaction_conflict_is_replayed(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DynamoDB cancels a transaction that overlaps another one on the same items with
    # `TransactionConflict` (not `ConditionalCheckFailed`); moto never does, so it is replayed
    # here: request 1 commits while request 2's transaction is in flight.
    put(api, ALICE, B1, 2)
    # The client's own error, below the repository that translates it.
    client = clients.dynamodb()
    original = client.transact_write_items
    first: list[ApiResponse] = []

    def conflicting(**kwargs: Any) -> None:
        monkeypatch.setattr(client, "transact_write_items", original)
        first.append(checkout(api, ALICE, "twin"))
        response: Any = {
            "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
            "CancellationReasons": [{"Code": "TransactionConflict"}]
            + [{"Code": "None"}] * (len(kwargs["TransactItems"]) - 1),
        }
        raise ClientError(response, "TransactWriteItems")

    monkeypatch.setattr(client, "transact_write_items", conflicting)
    second = checkout(api, ALICE, "twin")
    assert first[0].status == 201
    assert (second.status, second.body) == (200, first[0].body)
    assert _orders(api, ALICE) == [first[0].body]


def test_another_key_checking_out_the_same_cart_concurrently_buys_it_once(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two checkouts with different keys (two tabs): both read the cart; the second to commit
    # finds its lines gone and writes nothing.
    put(api, ALICE, B1, 1)
    put(api, ALICE, B2, 3)
    first: list[ApiResponse] = []
    _run_once_after(
        monkeypatch,
        services.carts(),
        "lines",
        lambda: first.append(checkout(api, ALICE, "tab-1")),
    )
    assert_error(checkout(api, ALICE, "tab-2"), 409, "CART_CHANGED")
    assert first[0].status == 201
    assert _orders(api, ALICE) == [first[0].body]
    assert _cart(api, ALICE) == {}


def test_a_line_removed_during_checkout_fails_cleanly_with_409(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(api, ALICE, B1, 1)
    put(api, ALICE, B2, 4)
    _run_once_after(
        monkeypatch,
        services.carts(),
        "lines",
        lambda: api.call("DELETE", f"/cart/{B2}", sub=ALICE),
    )
    assert_error(checkout(api, ALICE, "race"), 409, "CART_CHANGED")
    assert _cart(api, ALICE) == {B1: 1}
    assert _orders(api, ALICE) == []


def test_a_line_added_during_checkout_is_not_bought_and_stays_in_the_cart(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The order is the cart as checkout read it; a line added after that is neither bought
    # nor lost.
    put(api, ALICE, B1, 1)
    _run_once_after(monkeypatch, services.carts(), "lines", lambda: put(api, ALICE, B2, 6))
    response = checkout(api, ALICE, "race")
    assert response.status == 201
    assert [(line["bookId"], line["quantity"]) for line in response.body["items"]] == [(B1, 1)]
    assert _cart(api, ALICE) == {B2: 6}


def _fill_cart(sub: str, lines: int) -> None:
    # Past the cart's own limit: two regions (or racing requests) can each add lines the
    # other has not seen, and replication merges them.
    carts = services.carts()
    for n in range(lines):
        carts.put_line(
            sub,
            f"merged-{n:03d}",
            title=f"Merged {n}",
            price=Decimal("1.00"),
            quantity=1,
            revision=f"r{n}",
            updated_at="2026-01-01T00:00:00.000Z",
        )


def test_a_cart_merged_past_the_transaction_limit_is_409_not_500(api: Api) -> None:
    _fill_cart(ALICE, 100)  # the order plus 100 deletes: past DynamoDB's 100 items
    assert_error(checkout(api, ALICE, "big"), 409, "CART_TOO_LARGE")
    assert len(_cart(api, ALICE)) == 100
    assert _orders(api, ALICE) == []


def test_the_largest_cart_one_transaction_holds_checks_out(api: Api) -> None:
    _fill_cart(ALICE, 99)
    response = checkout(api, ALICE, "big")
    assert response.status == 201
    assert (len(response.body["items"]), response.body["total"]) == (99, "99.00")
    assert _cart(api, ALICE) == {}
