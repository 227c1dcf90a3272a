"""Simulated users: sign in, then repeat real journeys through the front door.

One thread per user. Each journey browses, puts a book in the cart, checks out with a fresh
Idempotency-Key (reused on every retry of that checkout, so a retry can never buy twice) and
reads the order back. Every request is recorded. Loops are bounded by a deadline, a journey
count and a per-checkout retry budget, so a dead target cannot keep the drill running.
"""

from __future__ import annotations

import base64
import http.client
import json
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from drill.model import Ack, Outcome, RequestRecord

REGION_HEADER = "x-bookstore-region"
REQUEST_TIMEOUT_SECONDS = 5.0
# A user's pause between steps, drawn uniformly from this range (seconds); `--think S` sets
# S/2..3S/2 instead.
THINK_SECONDS = (0.05, 0.2)
CHECKOUT_ATTEMPTS = 12
CHECKOUT_BUDGET_SECONDS = 30.0
MAX_JOURNEYS_PER_USER = 2000
# Throw-away users of one drill; their password protects nothing.
PASSWORD = "Drill-Pass-1!"  # noqa: S105


@dataclass(frozen=True)
class Reply:
    status: int | None
    headers: dict[str, str]
    body: Any
    error: str = ""

    @property
    def region(self) -> str | None:
        return self.headers.get(REGION_HEADER)


def http_call(
    base: str,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = REQUEST_TIMEOUT_SECONDS,
    raw_body: bytes | None = None,
) -> Reply:
    """One request on a fresh connection; never raises for network trouble (status None)."""
    parts = urlsplit(base)
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(parts.netloc, timeout=timeout)
    payload = raw_body if raw_body is not None else (None if body is None else json.dumps(body))
    sent = dict(headers or {})
    if payload is not None and "Content-Type" not in sent:
        sent["Content-Type"] = "application/json"
    try:
        connection.request(method, parts.path.rstrip("/") + path, body=payload, headers=sent)
        response = connection.getresponse()
        data = response.read()
        got = {k.lower(): v for k, v in response.getheaders()}
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        return Reply(None, {}, None, f"{type(exc).__name__}: {exc}"[:200])
    finally:
        connection.close()
    try:
        parsed = json.loads(data) if data else None
    except ValueError:
        parsed = data.decode(errors="replace")[:200]
    return Reply(status, got, parsed)


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
    """One simulated customer repeating journeys until `stop` is set or the deadline passes."""

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
    ) -> Reply:
        headers = {"Authorization": f"Bearer {self.session.token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        started = self.recorder.now()
        reply = http_call(self.api, method, path, body, headers)
        order_id = None
        if step == "checkout" and isinstance(reply.body, dict):
            order_id = reply.body.get("orderId")
        error = reply.error
        if not error and reply.status not in ok and isinstance(reply.body, dict):
            detail = reply.body.get("error") or reply.body
            error = json.dumps(detail)[:160]
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
                outcome=classify(reply, ok),
                error=error,
                key=key,
                order_id=order_id if isinstance(order_id, str) else None,
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
                        "error", f"{type(exc).__name__}: {exc}"[:200],
                    )
                )  # fmt: skip
                self._pause_after_failure()

    def journey(self) -> None:
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
        order = self._checkout(book, quantity)
        if order is None or not self._think():
            return
        self.call("order", "GET", f"/orders/{order}")
        self._think()

    def _put_cart(self, book: str, quantity: int) -> bool:
        reply = self.call("cart", "PUT", f"/cart/{book}", {"quantity": quantity})
        return reply.status == 200

    def _checkout(self, book: str, quantity: int) -> str | None:
        """Checks out with one key, retried with that same key until it is acknowledged or the
        retry budget is spent. An empty cart on a retry (the line had not replicated to the
        region now serving) is refilled and the same key tried again."""
        key = f"drill-{uuid.uuid4().hex}"
        started = self.recorder.now()
        for attempt in range(CHECKOUT_ATTEMPTS):
            if attempt and (
                self.stop_event.is_set() or self.recorder.now() - started > CHECKOUT_BUDGET_SECONDS
            ):
                return None
            reply = self.call("checkout", "POST", "/orders", ok=(200, 201), key=key)
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
            if reply.status == 409 and code == "EMPTY_CART":
                self._put_cart(book, quantity)
            # Back off a little more each time, so a dead region is not hammered.
            self._pause(0.1 * (attempt + 1), 0.2 * (attempt + 1))
        return None


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
) -> list[User]:
    users = [
        User(i, s, api, recorder, stop, deadline, seed, think)
        for i, s in enumerate(sessions, start=1)
    ]
    for user in users:
        user.start()
    return users
