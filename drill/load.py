"""Simulated users: sign in, then repeat real journeys against the API.

One thread per user. Each journey browses, puts a book in the cart and reads the cart back,
checks out exactly that line with a fresh Idempotency-Key (reused, with the same lines, on
every retry of that checkout, so a retry can never buy twice) and reads the order back; a read
that misses the user's own acknowledged write is flagged (read-your-writes). How requests
travel is the user's client (`drill.client`): the web app's failover policy or the routed
endpoint alone. Every request is recorded, with the kind of client that sent it. Loops are
bounded by a deadline, a journey count and a per-checkout retry budget, so a dead target
cannot keep the drill running.
"""

from __future__ import annotations

import base64
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from drill.client import (
    Client,
    ClientKind,
    NaiveClient,
    Policy,
    PolicyClient,
    load_policy,
)

# Re-exported: the targets, the bench and the tests import these from here.
from drill.client import Reply as Reply
from drill.client import http_call as http_call
from drill.model import Ack, Outcome, RequestRecord

# A user's pause between steps, drawn uniformly from this range (seconds); `--think S` sets
# S/2..3S/2 instead.
THINK_SECONDS = (0.05, 0.2)
CHECKOUT_ATTEMPTS = 12
CHECKOUT_BUDGET_SECONDS = 30.0
MAX_JOURNEYS_PER_USER = 2000
# Throw-away users of one drill; their password protects nothing.
PASSWORD = "Drill-Pass-1!"  # noqa: S105


@dataclass(frozen=True)
class Cognito:
    """Where users sign up and in: the Cognito JSON API (sandbox: the front door's proxy)."""

    endpoint: str
    client_id: str


COGNITO_TIMEOUT_SECONDS = 20.0  # sign-up is slow on a busy machine; it happens before the load


def cognito_call(cognito: Cognito, action: str, payload: dict[str, Any]) -> Reply:
    headers = {
        "X-Amz-Target": f"AWSCognitoIdentityProviderService.{action}",
        "Content-Type": "application/x-amz-json-1.1",
    }
    return http_call(
        cognito.endpoint,
        "POST",
        "/",
        headers=headers,
        raw_body=json.dumps(payload).encode(),
        timeout=COGNITO_TIMEOUT_SECONDS,
    )


def token_subject(token: str) -> str:
    """The `sub` claim of a JWT (not verified: the API verifies; we only need the id the API
    files orders under)."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return str(claims["sub"])


@dataclass(frozen=True)
class Session:
    username: str
    token: str
    customer: str


def sign_up_and_in(
    cognito: Cognito, username: str, confirm: Callable[[str], None] | None = None
) -> Session:
    """A new user; `confirm` confirms the sign-up where the pool does not do it itself."""
    signed_up = cognito_call(
        cognito,
        "SignUp",
        {
            "ClientId": cognito.client_id,
            "Username": username,
            "Password": PASSWORD,
            "UserAttributes": [{"Name": "email", "Value": username}],
        },
    )
    if signed_up.status != 200:
        raise RuntimeError(
            f"sign-up failed: {signed_up.status} {signed_up.body or signed_up.error}"
        )
    if confirm is not None and not (
        isinstance(signed_up.body, dict) and signed_up.body.get("UserConfirmed")
    ):
        confirm(username)
    auth = cognito_call(
        cognito,
        "InitiateAuth",
        {
            "ClientId": cognito.client_id,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": username, "PASSWORD": PASSWORD},
        },
    )
    if auth.status != 200 or not isinstance(auth.body, dict):
        raise RuntimeError(f"sign-in failed: {auth.status} {auth.body or auth.error}")
    token = str(auth.body["AuthenticationResult"]["IdToken"])
    return Session(username, token, token_subject(token))


@dataclass
class Recorder:
    """Every request and acknowledgement of a drill, shared by the user threads."""

    origin: float = field(default_factory=time.monotonic)
    records: list[RequestRecord] = field(default_factory=list)
    acks: list[Ack] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        return time.monotonic() - self.origin

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            self.records.append(record)

    def ack(self, ack: Ack) -> None:
        with self._lock:
            self.acks.append(ack)

    def snapshot(self) -> tuple[list[RequestRecord], list[Ack]]:
        with self._lock:
            return list(self.records), list(self.acks)


def classify(reply: Reply, ok_statuses: tuple[int, ...]) -> Outcome:
    if reply.status is None:
        return "no-answer"
    return "ok" if reply.status in ok_statuses else "error"


class User(threading.Thread):
    """One simulated customer repeating journeys until `stop` is set or the deadline passes.

    `kind` is how its requests travel (`drill.client`): `policy` (the web app's client
    failover over the routed endpoint and `regional` ones) or `naive` (routed endpoint only)."""

    def __init__(
        self,
        index: int,
        session: Session,
        api: str,
        recorder: Recorder,
        stop: threading.Event,
        deadline: float,
        seed: int = 0,
        think: tuple[float, float] = THINK_SECONDS,
        kind: ClientKind = "policy",
        regional: Mapping[str, str] | None = None,
        policy: Policy | None = None,
    ) -> None:
        super().__init__(name=f"drill-user-{index}", daemon=True)
        self.think = think
        self.index = index
        self.session = session
        self.api = api
        self.recorder = recorder
        self.stop_event = stop
        self.deadline = deadline
        self.random = random.Random(seed * 1000 + index)
        self.book_ids: list[str] = []
        self.journeys = 0
        self.client: Client
        if kind == "naive":
            self.client = NaiveClient(api)
        else:
            self.client = PolicyClient(api, dict(regional or {}), policy or load_policy())

    # -- plumbing ------------------------------------------------------------------------

    def _running(self) -> bool:
        return not self.stop_event.is_set() and self.recorder.now() < self.deadline

    def _pause(self, low: float, high: float) -> None:
        self.stop_event.wait(self.random.uniform(low, high))

    def call(
        self,
        step: str,
        method: str,
        path: str,
        body: Any = None,
        ok: tuple[int, ...] = (200,),
        key: str | None = None,
        check: Callable[[Reply], str] | None = None,
    ) -> Reply:
        """One request as the shopper sees it (however many endpoints the client tried), one
        record; `check` names a read-your-writes violation in a successful answer."""
        headers = {"Authorization": f"Bearer {self.session.token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        started = self.recorder.now()
        sent = self.client.send(method, path, body, headers)
        reply = sent.reply
        order_id = None
        if step == "checkout" and isinstance(reply.body, dict):
            order_id = reply.body.get("orderId")
        error = reply.error
        if not error and reply.status not in ok and isinstance(reply.body, dict):
            detail = reply.body.get("error") or reply.body
            error = json.dumps(detail)[:160]
        outcome = classify(reply, ok)
        violation = check(reply) if check is not None else ""
        self.recorder.add(
            RequestRecord(
                t=started,
                latency=self.recorder.now() - started,
                user=self.index,
                step=step,
                method=method,
                path=path,
                status=reply.status,
                region=reply.region,
                outcome=outcome,
                error=error,
                key=key,
                order_id=order_id if isinstance(order_id, str) else None,
                client=self.client.kind,
                moved_from=sent.moved_from,
                violation=violation,
            )
        )
        return reply

    # -- the journey ---------------------------------------------------------------------

    def _think(self) -> bool:
        """A pause between steps; False when the load ended meanwhile: the user leaves
        rather than finishing the journey (all users waking at the end and firing their next
        steps at once would be a burst no real crowd makes)."""
        self._pause(*self.think)
        return self._running()

    def _pause_after_failure(self) -> None:
        # At least a think time: a user whose page failed does not reload it at once.
        self._pause(max(0.2, self.think[0]), max(0.5, self.think[1]))

    def run(self) -> None:
        # Users arrive spread over one think time, as visitors do, not all in the same
        # millisecond: a burst of N simultaneous first requests measures a queue, not a system.
        self._pause(0.0, self.think[1])
        while self._running() and self.journeys < MAX_JOURNEYS_PER_USER:
            self.journeys += 1
            try:
                self.journey()
            except Exception as exc:  # a bug in a journey must not kill the user silently
                self.recorder.add(
                    RequestRecord(
                        self.recorder.now(), 0.0, self.index, "internal", "-", "-", None, None,
                        "error", f"{type(exc).__name__}: {exc}"[:200], client=self.client.kind,
                    )
                )  # fmt: skip
                self._pause_after_failure()

    def journey(self) -> None:
        # A journey starts with a page load: the only moment a moved client may go back to
        # the routed endpoint, so never in the middle of a checkout.
        self.client.return_to_routed({"Authorization": f"Bearer {self.session.token}"})
        listing = self.call("browse", "GET", "/books?limit=20")
        if isinstance(listing.body, dict) and listing.body.get("items"):
            self.book_ids = [str(b["id"]) for b in listing.body["items"]]
        if not self.book_ids:
            self._pause_after_failure()
            return
        book = self.random.choice(self.book_ids)
        if not self._think():
            return
        self.call("book", "GET", f"/books/{book}", ok=(200,))
        if self.journeys % 3 == 1:
            self.call("bestsellers", "GET", "/bestsellers")
        quantity = self.random.randint(1, 3)
        if not self._put_cart(book, quantity) or not self._think():
            return
        self.call("cart-read", "GET", "/cart", check=lambda r: cart_violation(r, book, quantity))
        if not self._think():
            return
        order = self._checkout(book, quantity)
        if order is None or not self._think():
            return
        self.call("order", "GET", f"/orders/{order}", check=order_violation)
        self._think()

    def _put_cart(self, book: str, quantity: int) -> bool:
        reply = self.call("cart", "PUT", f"/cart/{book}", {"quantity": quantity})
        return reply.status == 200

    def _checkout(self, book: str, quantity: int) -> str | None:
        """Checks out exactly the line the shopper put, with one key, retried with that same
        key and the same lines until it is acknowledged or the retry budget is spent. A
        refusal because the serving region's cart lacks the line (it had not replicated
        there) puts the line again and tries the same key again."""
        key = f"drill-{uuid.uuid4().hex}"
        lines = {"lines": [{"bookId": book, "quantity": quantity}]}
        started = self.recorder.now()
        for attempt in range(CHECKOUT_ATTEMPTS):
            if attempt and (
                self.stop_event.is_set() or self.recorder.now() - started > CHECKOUT_BUDGET_SECONDS
            ):
                return None
            reply = self.call("checkout", "POST", "/orders", lines, ok=(200, 201), key=key)
            body = reply.body if isinstance(reply.body, dict) else {}
            if reply.status in (200, 201) and isinstance(body.get("orderId"), str):
                self.recorder.ack(
                    Ack(
                        user=self.index,
                        customer=self.session.customer,
                        key=key,
                        order_id=body["orderId"],
                        at=self.recorder.now(),
                        region=reply.region,
                        created=reply.status == 201,
                    )
                )
                return str(body["orderId"])
            code = (body.get("error") or {}).get("code") if isinstance(body, dict) else None
            if reply.status == 409 and code in CART_REFUSALS:
                self._put_cart(book, quantity)
            # Back off a little more each time, so a dead region is not hammered.
            self._pause(0.1 * (attempt + 1), 0.2 * (attempt + 1))
        return None


# What a region answers when its cart does not hold the lines being bought.
CART_REFUSALS = ("EMPTY_CART", "CART_CHANGED")


def cart_violation(reply: Reply, book: str, quantity: int) -> str:
    """A cart read that answered but does not hold the line just written and acknowledged."""
    if reply.status != 200 or not isinstance(reply.body, dict):
        return ""  # no answer is an error, not a stale read
    items = reply.body.get("items")
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("bookId") == book:
            got = item.get("quantity")
            return "" if got == quantity else f"cart line {book}: quantity {got}, wrote {quantity}"
    return f"cart line {book} (quantity {quantity}) missing"


def order_violation(reply: Reply) -> str:
    """An order read back after its acknowledgement: 404 means the shopper's write vanished."""
    return "acknowledged order not found (404)" if reply.status == 404 else ""


def think_range(mean: float | None) -> tuple[float, float]:
    """The pause range for a mean think time (None: the default range)."""
    return THINK_SECONDS if mean is None else (mean / 2, mean * 3 / 2)


def run_users(
    sessions: list[Session],
    api: str,
    recorder: Recorder,
    stop: threading.Event,
    deadline: float,
    seed: int = 0,
    think: tuple[float, float] = THINK_SECONDS,
    kinds: Sequence[ClientKind] = (),
    regional: Mapping[str, str] | None = None,
    policy: Policy | None = None,
) -> list[User]:
    """One thread per session; `kinds[i]` is the i-th user's client (default: policy)."""
    users = [
        User(
            i, s, api, recorder, stop, deadline, seed, think,
            kinds[i - 1] if i - 1 < len(kinds) else "policy", regional, policy,
        )
        for i, s in enumerate(sessions, start=1)
    ]  # fmt: skip
    for user in users:
        user.start()
    return users
