"""POST /orders with the lines the shopper chose: what a checkout repeated in the other region
stores, and what the shopper is told.

A client that got no answer from one region repeats the checkout in the other with the same
Idempotency-Key and the same lines. The first attempt may have committed after all, and the
two regions' carts may differ (replication lags), so both regions can commit. These tests
pin down why that is still one order: the order id comes from the key, and the contents from
the chosen lines, not from the region's copy of the cart.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from bookstore import services
from bookstore.catalog import load_catalog
from bookstore.data.orders import CUSTOMER, ORDER
from tests.lambda_harness import REGION, Api, ApiResponse, assert_error, put

CATALOG = load_catalog()
ALICE = "user-alice"
B1, B2, B3 = (str(book["id"]) for book in CATALOG[:3])


def buy(api: Api, lines: Any, key: str = "key-1") -> ApiResponse:
    return api.call(
        "POST",
        "/orders",
        sub=ALICE,
        headers={"Idempotency-Key": key},
        json_body={"lines": lines},
    )


def cart(api: Api) -> dict[str, int]:
    body = api.call("GET", "/cart", sub=ALICE).body
    return {line["bookId"]: line["quantity"] for line in body["items"]}


def test_only_the_chosen_lines_are_bought_and_the_rest_stay_in_the_cart(api: Api) -> None:
    put(api, ALICE, B1, 2)
    put(api, ALICE, B2, 1)
    response = buy(api, [{"bookId": B1, "quantity": 2}])
    assert response.status == 201, response.body
    assert [(i["bookId"], i["quantity"]) for i in response.body["items"]] == [(B1, 2)]
    assert cart(api) == {B2: 1}


@pytest.mark.parametrize(
    "lines",
    [
        [{"bookId": B1, "quantity": 3}],  # a quantity the cart does not hold
        [{"bookId": B1, "quantity": 2}, {"bookId": B3, "quantity": 1}],  # a book it lacks
    ],
)
def test_a_cart_that_does_not_hold_the_chosen_lines_buys_nothing(api: Api, lines: Any) -> None:
    put(api, ALICE, B1, 2)
    put(api, ALICE, B2, 1)
    assert_error(buy(api, lines), 409, "CART_CHANGED")
    assert cart(api) == {B1: 2, B2: 1}
    assert api.call("GET", "/orders", sub=ALICE).body["items"] == []


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([], "lines"),
        ([{"bookId": B1, "quantity": 1}, {"bookId": B1, "quantity": 1}], "lines"),
        ([{"bookId": B1, "quantity": 0}], "lines.quantity"),
        ([{"bookId": B1, "quantity": 100}], "lines.quantity"),
        ([{"bookId": "", "quantity": 1}], "lines.bookId"),
        ([{"bookId": B1, "quantity": 1, "price": "0.01"}], "lines.price"),
        ("all", "lines"),
    ],
)
def test_invalid_lines_are_400_naming_the_field(api: Api, lines: Any, field: str) -> None:
    put(api, ALICE, B1, 1)
    response = buy(api, lines)
    assert response.status == 400, response.body
    assert response.body["error"]["field"] == field
    assert cart(api) == {B1: 1}


@pytest.mark.parametrize("body", [None, {}, {"lines": None}])
def test_without_lines_the_whole_cart_is_bought_as_before(api: Api, body: Any) -> None:
    put(api, ALICE, B1, 2)
    put(api, ALICE, B2, 1)
    headers = {"Idempotency-Key": "key-1"}
    response = api.call("POST", "/orders", sub=ALICE, headers=headers, json_body=body)
    assert response.status == 201, response.body
    assert sorted(i["bookId"] for i in response.body["items"]) == sorted([B1, B2])
    assert cart(api) == {}


def test_the_same_key_and_lines_replay_the_order_even_after_the_cart_changed(api: Api) -> None:
    put(api, ALICE, B1, 2)
    first = buy(api, [{"bookId": B1, "quantity": 2}])
    put(api, ALICE, B1, 5)
    again = buy(api, [{"bookId": B1, "quantity": 2}])
    assert again.status == 200
    assert again.body == first.body
    assert cart(api) == {B1: 5}


def test_two_regions_committing_one_key_store_the_same_order(api: Api) -> None:
    # Given: region A's cart holds B1 x2 and B2 (added there just before the outage, not yet
    # replicated); region B's copy holds only B1 x2. The shopper saw and chose B1 x2.
    put(api, ALICE, B1, 2)
    b1_line = services.carts().lines(ALICE)[0]
    put(api, ALICE, B2, 1)
    chosen = [{"bookId": B1, "quantity": 2}]
    # When: A commits (its answer is lost to the shopper) ...
    in_a = buy(api, chosen)
    assert in_a.status == 201
    stored_a = services.orders().get(ALICE, in_a.body["orderId"], consistent=True)
    assert stored_a is not None
    # ... and the repeat reaches B, whose tables have not heard of A's commit: B's view is
    # rebuilt here by taking A's order back and restoring B's copy of the cart.
    orders = boto3.resource("dynamodb", region_name=REGION).Table(services.orders().table_name)
    orders.delete_item(Key={CUSTOMER: ALICE, ORDER: in_a.body["orderId"]})
    for book in cart(api):
        services.carts().delete_line(ALICE, book)
    services.carts().put_line(
        ALICE,
        B1,
        title=b1_line["title"],
        price=b1_line["price"],
        quantity=2,
        revision=b1_line["revision"],
        updated_at=b1_line["updatedAt"],
    )
    in_b = buy(api, chosen)
    # Then: B stores what A stored (same id, lines, prices, total): whichever write wins the
    # replication, the order is the one the shopper was shown, and both regions deleted
    # exactly the chosen line, which is in it.
    assert in_b.status == 201
    shown = {k: v for k, v in in_b.body.items() if k not in ("createdAt", "region")}
    assert shown == {k: v for k, v in in_a.body.items() if k not in ("createdAt", "region")}
    assert cart(api) == {}
