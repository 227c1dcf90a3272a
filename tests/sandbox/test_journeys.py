"""A shopper's journey through the front door, and replication between the regions."""

from __future__ import annotations

import time
import uuid
from typing import Any

import boto3

from tests.sandbox.conftest import CONVERGE, Reply, Sandbox, eventually, http, sign_up_and_in


def _book_ids(box: Sandbox, count: int) -> list[str]:
    reply = http("GET", f"{box.front_door}/api/books?limit={count}")
    assert reply.status == 200
    return [b["id"] for b in reply.body["items"]]


def _checkout(base: str, token: str, key: str) -> Reply:
    return http("POST", f"{base}/orders", {}, token=token, headers={"Idempotency-Key": key})


def _sold(base: str, book_id: str) -> int:
    reply = http("GET", f"{base}/bestsellers")
    assert reply.status == 200
    return next((e["sold"] for e in reply.body["items"] if e["book"]["id"] == book_id), 0)


def test_shopper_journey_through_the_front_door(sandbox: Sandbox, token: str) -> None:
    # Given a signed-in shopper (signed up and in through the sandbox Cognito)
    api = f"{sandbox.front_door}/api"
    # When they browse, search, fill the cart and check out
    books = http("GET", f"{api}/books?limit=5")
    assert books.status == 200
    assert books.headers["x-bookstore-region"] == sandbox.primary
    book = books.body["items"][0]
    assert http("GET", f"{api}/books/{book['id']}").body["title"] == book["title"]
    found = http("GET", f"{api}/books?q={book['title'].split()[0]}")
    assert book["id"] in [b["id"] for b in found.body["items"]]
    assert http("GET", f"{api}/categories").status == 200
    assert http("GET", f"{api}/cart").status == 401
    put = http("PUT", f"{api}/cart/{book['id']}", {"quantity": 3}, token=token)
    assert put.status == 200, put.body
    assert http("GET", f"{api}/cart", token=token).body["items"][0]["quantity"] == 3
    before = {r: _sold(sandbox.api(r), book["id"]) for r in (sandbox.primary, sandbox.secondary)}
    order = _checkout(api, token, str(uuid.uuid4()))
    assert order.status == 201, order.body
    # Then the order is listed and readable, and the book sells in BOTH regions within seconds
    orders = http("GET", f"{api}/orders", token=token).body["items"]
    assert order.body["orderId"] in [o["orderId"] for o in orders]
    assert http("GET", f"{api}/orders/{order.body['orderId']}", token=token).status == 200
    for region in (sandbox.primary, sandbox.secondary):
        eventually(
            lambda r=region: _sold(sandbox.api(r), book["id"]) >= before[r] + 3, timeout=CONVERGE
        )


def test_web_app_config_and_site(sandbox: Sandbox) -> None:
    config = http("GET", f"{sandbox.front_door}/config.json").body
    cognito = sandbox.status["regions"][sandbox.primary]["cognito"]
    assert config["apiUrl"] == "/api"
    assert config["blogUrl"] == "/blog"
    assert config["cognito"]["userPoolId"] == cognito["userPoolId"]
    assert config["cognito"]["clientId"] == cognito["clientId"]
    assert http("GET", f"{sandbox.front_door}/").status == 200
    status = http("GET", f"{sandbox.front_door}/frontdoor/status").body
    assert all(r["healthy"] for r in status["regions"].values())


def test_cart_and_orders_replicate_both_ways(sandbox: Sandbox, token: str) -> None:
    first, second = _book_ids(sandbox, 2)
    primary, secondary = sandbox.api(sandbox.primary), sandbox.api(sandbox.secondary)
    assert http("PUT", f"{primary}/cart/{first}", {"quantity": 1}, token=token).status == 200
    assert http("PUT", f"{secondary}/cart/{second}", {"quantity": 2}, token=token).status == 200

    def both_lines(base: str) -> bool:
        items = http("GET", f"{base}/cart", token=token).body["items"]
        return {i["bookId"]: i["quantity"] for i in items} == {first: 1, second: 2}

    eventually(lambda: both_lines(primary) and both_lines(secondary), timeout=CONVERGE)
    order = _checkout(secondary, token, str(uuid.uuid4()))
    assert order.status == 201
    assert order.body["region"] == sandbox.secondary
    eventually(
        lambda: http("GET", f"{primary}/orders/{order.body['orderId']}", token=token).status == 200
    )
    # the cart clean-up of the checkout replicates too
    eventually(lambda: http("GET", f"{primary}/cart", token=token).body["items"] == [])


def test_checkout_retried_in_the_other_region_is_one_order(sandbox: Sandbox) -> None:
    # The retry that matters: the first region took the order, but the client never heard
    # back, and the order has not replicated yet (a partition keeps it that way here).
    token = sign_up_and_in(sandbox)
    (book,) = _book_ids(sandbox, 1)
    primary, secondary = sandbox.api(sandbox.primary), sandbox.api(sandbox.secondary)
    assert http("PUT", f"{primary}/cart/{book}", {"quantity": 1}, token=token).status == 200
    eventually(lambda: http("GET", f"{secondary}/cart", token=token).body["items"])
    key = str(uuid.uuid4())
    sandbox.cli("partition")
    try:
        first = _checkout(primary, token, key)
        retried = _checkout(secondary, token, key)
    finally:
        sandbox.cli("heal")
    assert first.status == 201
    assert retried.status == 201
    assert retried.body["orderId"] == first.body["orderId"]

    def converged() -> bool:
        lists = [
            http("GET", f"{b}/orders", token=token).body["items"] for b in (primary, secondary)
        ]
        return all(len(items) == 1 for items in lists) and lists[0] == lists[1]

    eventually(converged, timeout=CONVERGE)
    again = _checkout(secondary, token, key)
    assert again.status == 200
    assert again.body["orderId"] == first.body["orderId"]


def test_site_bucket_replicates_both_ways(sandbox: Sandbox) -> None:
    def s3(region: str) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=sandbox.status["regions"][region]["aws"]["endpoint"],
            region_name=region,
            aws_access_key_id="sandbox",
            aws_secret_access_key="sandbox",
        )

    def bucket(region: str) -> str:
        return f"bookstore-site-{region}"

    name = f"test/{uuid.uuid4().hex}.txt"
    s3(sandbox.primary).put_object(Bucket=bucket(sandbox.primary), Key=name, Body=b"from primary")

    def copied(region: str, body: bytes) -> bool:
        try:
            got = s3(region).get_object(Bucket=bucket(region), Key=name)["Body"].read()
        except s3(region).exceptions.NoSuchKey:
            return False
        return bool(got == body)

    eventually(lambda: copied(sandbox.secondary, b"from primary"), timeout=8)
    time.sleep(1.1)  # a later LastModified (whole seconds) for the change in the secondary
    s3(sandbox.secondary).put_object(Bucket=bucket(sandbox.secondary), Key=name, Body=b"changed")
    eventually(lambda: copied(sandbox.primary, b"changed"), timeout=8)
