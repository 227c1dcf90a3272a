"""Who may do what, through the sandbox's gateways (API Gateway's JWT authorizer stand-in).

Every protected route, in both regions, answers 401 to a request without an acceptable token,
whatever is wrong with it; each forged token below has exactly one defect (they are built from
a real token of shopper A, re-signed with moto's own Cognito key where a signature is needed,
and a re-signed token without a defect is accepted: see the controls). The forgeries all claim
to be A, so a gateway that let one through would act on A's data: A's cart and orders are
compared byte for byte before and after. Then the second shopper, B, holding a valid token of
their own, can neither read nor change A's cart or orders.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from moto.utilities.utils import load_resource

from tests.sandbox.conftest import Sandbox, eventually, http, sign_up

# moto's Cognito signs every token with this key pair (the public half is the pool's JWKS).
MOTO_KEY = RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
MOTO_KID = str(MOTO_KEY.kid)
OTHER_CLIENT_ID = "1example23456789abcdefghij"


@dataclass(frozen=True)
class Shopper:
    id_token: str
    access_token: str
    sub: str


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64url_json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def unverified_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def sign(claims: dict[str, Any], key: RSAKey = MOTO_KEY, kid: str = MOTO_KID) -> str:
    return jwt.encode({"alg": "RS256", "kid": kid, "typ": "JWT"}, claims, key)


def new_shopper(box: Sandbox) -> Shopper:
    """A new shopper through the sandbox's Cognito, with both of its tokens."""
    tokens = sign_up(box, prefix="authz")
    sub = str(unverified_claims(tokens.id_token)["sub"])
    assert unverified_claims(tokens.access_token)["sub"] == sub
    return Shopper(tokens.id_token, tokens.access_token, sub)


def raw(method: str, url: str, authorization: str | None, body: Any = None) -> tuple[int, bytes]:
    """One request with exactly this Authorization header (or none); status and body bytes."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if authorization is not None:
        request.add_header("Authorization", authorization)
    if method == "POST":
        request.add_header("Idempotency-Key", "authz-" + uuid.uuid4().hex)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@dataclass
class World:
    box: Sandbox
    a: Shopper
    b: Shopper
    books: list[str]
    a_order: str
    a_key: str
    # A's GET /cart, GET /orders and GET /orders/{id} bodies, byte for byte, in each region
    a_snapshot: dict[str, tuple[bytes, bytes, bytes]]

    @property
    def regions(self) -> list[str]:
        return [self.box.primary, self.box.secondary]

    def a_view(self, region: str) -> tuple[bytes, bytes, bytes]:
        base = self.box.api(region)
        token = f"Bearer {self.a.id_token}"
        views = [raw("GET", f"{base}{path}", token) for path in self._a_paths]
        assert all(status == 200 for status, _ in views), views
        cart, orders, order = (body for _, body in views)
        return cart, orders, order

    @property
    def _a_paths(self) -> list[str]:
        return ["/cart", "/orders", f"/orders/{self.a_order}"]

    def assert_a_unchanged(self) -> None:
        for region in self.regions:
            assert self.a_view(region) == self.a_snapshot[region], region


@pytest.fixture(scope="module")
def world(sandbox: Sandbox) -> World:
    a, b = new_shopper(sandbox), new_shopper(sandbox)
    primary, secondary = sandbox.api(sandbox.primary), sandbox.api(sandbox.secondary)
    books = [item["id"] for item in http("GET", f"{primary}/books?limit=4").body["items"]]
    assert len(books) == 4
    # A: one order (books 0 and 1), and book 2 left in the cart.
    for book, quantity in ((books[0], 2), (books[1], 1)):
        reply = http("PUT", f"{primary}/cart/{book}", {"quantity": quantity}, token=a.id_token)
        assert reply.status == 200, reply.body
    a_key = "a-" + uuid.uuid4().hex
    order = http("POST", f"{primary}/orders", token=a.id_token, headers={"Idempotency-Key": a_key})
    assert order.status == 201, order.body
    assert (
        http("PUT", f"{primary}/cart/{books[2]}", {"quantity": 3}, token=a.id_token).status == 200
    )
    # B: the same book 2 as A (other quantity) and book 3.
    for book, quantity in ((books[2], 5), (books[3], 1)):
        assert (
            http("PUT", f"{primary}/cart/{book}", {"quantity": quantity}, token=b.id_token).status
            == 200
        )

    w = World(sandbox, a, b, books, str(order.body["orderId"]), a_key, {})
    # Wait until A's data has replicated, so that both regions are compared as they settle.
    snapshot = w.a_view(sandbox.primary)
    eventually(lambda: w.a_view(sandbox.secondary) == snapshot, timeout=15)
    eventually(
        lambda: (
            http("GET", f"{secondary}/cart", token=b.id_token).body["items"]
            == http("GET", f"{primary}/cart", token=b.id_token).body["items"]
        ),
        timeout=15,
    )
    w.a_snapshot = {region: snapshot for region in w.regions}
    return w


# ---- the matrix: (defect) x (route) -> 401, in both regions ---------------------------------

Forge = Callable[[World], str | None]  # the Authorization header to send (None: no header)


def _resigned(change: Callable[[dict[str, Any]], None], key: RSAKey = MOTO_KEY) -> Forge:
    """A's real ID token's claims, changed by `change`, signed with `key`."""

    def forge(w: World) -> str:
        claims = unverified_claims(w.a.id_token)
        change(claims)
        return f"Bearer {sign(claims, key)}"

    return forge


def _expired(claims: dict[str, Any]) -> None:
    now = int(time.time())
    claims.update(iat=now - 7200, auth_time=now - 7200, exp=now - 60)


def _no_exp(claims: dict[str, Any]) -> None:
    del claims["exp"]


def _not_yet_valid(claims: dict[str, Any]) -> None:
    claims["nbf"] = int(time.time()) + 600


def _issued_in_the_future(claims: dict[str, Any]) -> None:
    now = int(time.time())
    claims.update(iat=now + 600, exp=now + 4200)


def _wrong_audience(claims: dict[str, Any]) -> None:
    claims["aud"] = OTHER_CLIENT_ID


def _no_audience(claims: dict[str, Any]) -> None:
    del claims["aud"]


def _wrong_issuer(claims: dict[str, Any]) -> None:
    # Another user pool of the same region: same key (moto), same client id, other issuer.
    pool = claims["iss"].rsplit("/", 1)[1]
    region = pool.split("_", 1)[0]
    claims["iss"] = f"https://cognito-idp.{region}.amazonaws.com/{region}_AnotherPool"


def _access_token_of_another_client(w: World) -> str:
    claims = unverified_claims(w.a.access_token)
    assert "aud" not in claims
    claims["client_id"] = OTHER_CLIENT_ID
    return f"Bearer {sign(claims)}"


@cache
def _attacker_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": MOTO_KID}, private=True)


def _another_key(w: World) -> str:
    # The right kid, the right claims, a key of the attacker's.
    return f"Bearer {sign(unverified_claims(w.a.id_token), _attacker_key())}"


def _unknown_kid(w: World) -> str:
    return f"Bearer {sign(unverified_claims(w.a.id_token), kid='not-in-the-jwks')}"


def _alg_none(w: World) -> str:
    header = b64url_json({"alg": "none", "typ": "JWT"})
    return f"Bearer {header}.{b64url_json(unverified_claims(w.a.id_token))}."


def _hs256_with_the_public_key(w: World) -> str:
    # The classic confusion: an HMAC "signed" with the verifier's public key as the secret.
    public = json.dumps(MOTO_KEY.as_dict(private=False), sort_keys=True).encode()
    signing_input = (
        f"{b64url_json({'alg': 'HS256', 'kid': MOTO_KID, 'typ': 'JWT'})}."
        f"{b64url_json(unverified_claims(w.a.id_token))}"
    )
    mac = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
    return f"Bearer {signing_input}.{b64url(mac)}"


def _b_token_claiming_to_be_a(w: World) -> str:
    # B's genuine token with only `sub` changed to A's; B's signature kept.
    header, _, signature = w.b.id_token.split(".")
    claims = unverified_claims(w.b.id_token)
    claims["sub"] = w.a.sub
    return f"Bearer {header}.{b64url_json(claims)}.{signature}"


def _a_token_with_a_longer_life(w: World) -> str:
    header, _, signature = w.a.id_token.split(".")
    claims = unverified_claims(w.a.id_token)
    claims["exp"] = int(claims["exp"]) + 86400
    return f"Bearer {header}.{b64url_json(claims)}.{signature}"


def _signature_removed(w: World) -> str:
    header, payload, _ = w.a.id_token.split(".")
    return f"Bearer {header}.{payload}."


FORGERIES: dict[str, Forge] = {
    "no-header": lambda w: None,
    "empty-header": lambda w: "",
    "bearer-and-nothing": lambda w: "Bearer",
    "bearer-and-spaces": lambda w: "Bearer    ",
    "garbage": lambda w: "Bearer not-a-token",
    "three-garbage-segments": lambda w: "Bearer aaaa.bbbb.cccc",
    "basic-credentials": lambda w: "Basic " + b64url(b"a:password"),
    "expired": _resigned(_expired),
    "without-exp": _resigned(_no_exp),
    "not-yet-valid-nbf": _resigned(_not_yet_valid),
    "issued-in-the-future": _resigned(_issued_in_the_future),
    "wrong-audience": _resigned(_wrong_audience),
    "without-audience": _resigned(_no_audience),
    "wrong-issuer": _resigned(_wrong_issuer),
    "access-token-of-another-client": _access_token_of_another_client,
    "signed-by-another-key-same-kid": _another_key,
    "unknown-kid": _unknown_kid,
    "alg-none": _alg_none,
    "hs256-with-the-public-key": _hs256_with_the_public_key,
    "altered-sub-keeping-the-signature": _b_token_claiming_to_be_a,
    "altered-exp-keeping-the-signature": _a_token_with_a_longer_life,
    "signature-removed": _signature_removed,
}

# Every route docs/openapi.json marks as secured; {book} is in A's cart, {order} is A's.
ROUTES = [
    ("GET", "/cart"),
    ("PUT", "/cart/{book}"),
    ("DELETE", "/cart/{book}"),
    ("POST", "/orders"),
    ("GET", "/orders"),
    ("GET", "/orders/{order}"),
]


def _path(w: World, template: str) -> str:
    return template.format(book=w.books[2], order=w.a_order)


def test_the_routes_are_the_secured_routes_of_the_contract() -> None:
    spec = json.loads((Path(__file__).resolve().parents[2] / "docs/openapi.json").read_text())
    secured = {
        (method.upper(), path.replace("{bookId}", "{book}").replace("{orderId}", "{order}"))
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if operation.get("security")
    }
    assert secured == set(ROUTES)


@pytest.mark.parametrize(("method", "template"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
@pytest.mark.parametrize("defect", list(FORGERIES))
def test_a_token_with_one_defect_is_401_on_every_protected_route(
    world: World, defect: str, method: str, template: str
) -> None:
    authorization = FORGERIES[defect](world)
    body = {"quantity": 9} if method == "PUT" else None
    for region in world.regions:
        status, payload = raw(
            method, f"{world.box.api(region)}{_path(world, template)}", authorization, body
        )
        assert status == 401, (region, payload)
        assert json.loads(payload) == {"message": "Unauthorized"}


def test_controls_a_re_signed_token_and_both_token_kinds_are_accepted(world: World) -> None:
    # The forgeries differ from an accepted token only by their defect: A's claims re-signed
    # with moto's key pass, as do A's real ID token and A's real access token (the authorizer
    # checks `aud` in ID tokens and `client_id` in access tokens).
    tokens = {
        "re-signed": sign(unverified_claims(world.a.id_token)),
        "id": world.a.id_token,
        "access": world.a.access_token,
    }
    for region in world.regions:
        base = world.box.api(region)
        for kind, token in tokens.items():
            status, body = raw("GET", f"{base}/cart", f"Bearer {token}")
            assert (status, body) == (200, world.a_snapshot[region][0]), (region, kind)
        # the `Bearer ` prefix is optional, as with API Gateway
        assert raw("GET", f"{base}/orders", world.a.id_token)[1] == world.a_snapshot[region][1]


def test_nothing_a_forged_token_sent_changed_a(world: World) -> None:
    world.assert_a_unchanged()


# ---- shopper B against shopper A's data -----------------------------------------------------


def test_b_sees_only_b_cart_and_orders(world: World) -> None:
    for region in world.regions:
        base = world.box.api(region)
        # headers a careless backend might trust instead of the token
        spoof = {"X-Customer-Id": world.a.sub, "X-User-Sub": world.a.sub}
        cart = http("GET", f"{base}/cart", token=world.b.id_token, headers=spoof)
        assert cart.status == 200
        assert {(i["bookId"], i["quantity"]) for i in cart.body["items"]} == {
            (world.books[2], 5),
            (world.books[3], 1),
        }
        orders = http("GET", f"{base}/orders", token=world.b.id_token, headers=spoof)
        assert (orders.status, orders.body) == (200, {"items": [], "nextCursor": None})
    world.assert_a_unchanged()


def test_a_order_is_404_for_b(world: World) -> None:
    # ... and the answer is the one for an order that does not exist: nothing tells B that it
    # is someone else's.
    missing = "o-" + uuid.uuid4().hex
    for region in world.regions:
        base = world.box.api(region)
        for token in (world.b.id_token, world.b.access_token):
            reply = http("GET", f"{base}/orders/{world.a_order}", token=token)
            assert reply.status == 404, (region, reply.body)
            assert reply.body["error"]["code"] == "NOT_FOUND"
            unknown = http("GET", f"{base}/orders/{missing}", token=token)
            assert unknown.status == 404
            assert json.dumps(reply.body).replace(world.a_order, missing) == json.dumps(
                unknown.body
            )
    world.assert_a_unchanged()


def test_b_removing_and_setting_a_book_a_also_has_touches_only_b(world: World) -> None:
    primary, secondary = world.box.api(world.box.primary), world.box.api(world.box.secondary)
    book = world.books[2]  # in both carts
    assert http("DELETE", f"{primary}/cart/{book}", token=world.b.id_token).status == 204
    assert (
        http("PUT", f"{secondary}/cart/{book}", {"quantity": 7}, token=world.b.id_token).status
        == 200
    )
    assert (
        http("DELETE", f"{secondary}/cart/{world.books[0]}", token=world.b.id_token).status == 204
    )

    def b_cart(base: str) -> set[tuple[str, int]]:
        items = http("GET", f"{base}/cart", token=world.b.id_token).body["items"]
        return {(i["bookId"], i["quantity"]) for i in items}

    expected = {(book, 7), (world.books[3], 1)}
    eventually(lambda: b_cart(primary) == b_cart(secondary) == expected, timeout=15)
    world.assert_a_unchanged()


def test_b_checking_out_with_a_key_gets_b_own_order(world: World) -> None:
    primary, secondary = world.box.api(world.box.primary), world.box.api(world.box.secondary)
    b_cart = http("GET", f"{primary}/cart", token=world.b.id_token).body
    assert b_cart["items"]
    reply = http(
        "POST",
        f"{primary}/orders",
        token=world.b.id_token,
        headers={"Idempotency-Key": world.a_key},
    )
    assert reply.status == 201, reply.body
    assert reply.body["orderId"] != world.a_order
    assert [(i["bookId"], i["quantity"]) for i in reply.body["items"]] == [
        (i["bookId"], i["quantity"]) for i in b_cart["items"]
    ]
    # replicated, and still B's alone
    eventually(
        lambda: (
            http("GET", f"{secondary}/orders", token=world.b.id_token).body["items"] == [reply.body]
        ),
        timeout=15,
    )
    assert (
        http("GET", f"{secondary}/orders/{reply.body['orderId']}", token=world.a.id_token).status
        == 404
    )
    world.assert_a_unchanged()
