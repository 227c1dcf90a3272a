"""How a shopper's requests reach the API: the web app's client failover policy, or none.

`PolicyClient` is the web app's policy (`web/src/lib/failover/`) in Python, with its numbers
read from the same file, so the drill measures what a browser would see:

- endpoints are the routed API (`api.<domain>`, the sandbox front door's `/api`) and each
  region's own API;
- a request goes to the current endpoint: the routed one, or the region the client was moved
  to. A request that is safe to repeat moves to the other region when the first endpoint gives
  no connection, a network error, one of the policy's failover statuses (502/503/504), or no
  answer within the first timeout; the client then stays with the region that answered. When
  the routed endpoint failed, the region it last answered from is not known to be the one
  that failed (the routing may have moved the client meanwhile), so it is tried as well, last;
- safe to repeat: the policy's `safeToRepeat` rules (GET; PUT and DELETE of a cart line;
  `POST /orders` only when the request carries what its rule `requires`, an Idempotency-Key
  header and a body with `lines`: the API then stores one order for that key with exactly
  those lines in whichever region takes it);
- at the start of a later journey (a page load) a moved client asks the routed endpoint's
  health and goes back to it on 200 from a region it has not seen fail lately; never in the
  middle of a journey, so never in the middle of a checkout.

`NaiveClient` is a shopper without the policy: the routed endpoint only, one timeout.

The policy file's keys read here: `firstTimeoutMs`, `lastTimeoutMs`, `failoverStatuses`,
`safeToRepeat` (a list of `{"method", "path", "requires"?}`, the path `*` or a template such as
`/cart/{bookId}`, `requires` a list of `header:<name>` and `body:<field>`),
`avoidFailedRegionMs`, `healthPath`.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

ClientKind = Literal["policy", "naive"]
CLIENT_KINDS: tuple[ClientKind, ...] = ("policy", "naive")
ROUTED = "routed"
POLICY_FILE = (
    Path(__file__).resolve().parents[1] / "web" / "src" / "lib" / "failover" / "policy.json"
)

REGION_HEADER = "x-bookstore-region"
REQUEST_TIMEOUT_SECONDS = 5.0


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


Call = Callable[..., Reply]


class PolicyError(ValueError):
    """The policy file is missing or malformed; the message names the file and the key."""


@dataclass(frozen=True)
class Rule:
    """A method and a path template: `*` (any path) or segments where `{name}` matches one
    non-empty segment."""

    method: str
    path: str
    # What a request must carry for the rule to apply: "header:<name>" or "body:<field>".
    requires: tuple[str, ...] = ()

    def carried_by(self, headers: Mapping[str, str], body: Any) -> bool:
        for need in self.requires:
            kind, _, name = need.partition(":")
            if kind == "header":
                if not any(k.lower() == name.lower() and v for k, v in headers.items()):
                    return False
            elif kind == "body":
                value = body.get(name) if isinstance(body, dict) else None
                if value is None or (isinstance(value, list) and not value):
                    return False
            else:
                return False
        return True

    def matches(self, method: str, path: str) -> bool:
        if method.upper() != self.method:
            return False
        if self.path == "*":
            return True
        want = self.path.split("/")
        got = path.split("?")[0].split("/")
        return len(want) == len(got) and all(
            (w.startswith("{") and w.endswith("}") and g != "") or w == g
            for w, g in zip(want, got, strict=True)
        )


@dataclass(frozen=True)
class Policy:
    first_timeout: float
    last_timeout: float
    failover_statuses: frozenset[int]
    safe: tuple[Rule, ...]
    avoid_failed_region: float
    health_path: str

    def safe_to_repeat(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> bool:
        # A checkout is safe to repeat elsewhere only when both regions would store the same
        # order: its rule requires the same key and exactly the lines the shopper was shown.
        return any(
            rule.matches(method, path) and rule.carried_by(headers or {}, body)
            for rule in self.safe
        )


def _rules(raw: Mapping[str, Any], name: str, where: Path) -> tuple[Rule, ...]:
    value = raw.get(name)
    if not isinstance(value, list) or not all(
        isinstance(r, dict)
        and isinstance(r.get("method"), str)
        and isinstance(r.get("path"), str)
        and all(isinstance(n, str) for n in r.get("requires", []))
        for r in value
    ):
        raise PolicyError(f"{where}: {name} must be a list of {{method, path, requires?}}")
    return tuple(
        Rule(str(r["method"]).upper(), str(r["path"]), tuple(r.get("requires", []))) for r in value
    )


def _milliseconds(raw: Mapping[str, Any], name: str, where: Path) -> float:
    value = raw.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise PolicyError(f"{where}: {name} must be a positive number of milliseconds")
    return float(value) / 1000


def load_policy(path: Path = POLICY_FILE) -> Policy:
    """The policy from its one file (the web app reads the same)."""
    try:
        raw = json.loads(path.read_text())
    except OSError as exc:
        raise PolicyError(f"cannot read the client failover policy {path}: {exc}") from None
    except ValueError as exc:
        raise PolicyError(f"{path} is not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise PolicyError(f"{path} must hold a JSON object")
    statuses = raw.get("failoverStatuses")
    if not isinstance(statuses, list) or not all(isinstance(s, int) for s in statuses):
        raise PolicyError(f"{path}: failoverStatuses must be a list of HTTP statuses")
    health = raw.get("healthPath")
    if not isinstance(health, str) or not health.startswith("/"):
        raise PolicyError(f"{path}: healthPath must be a path such as /health")
    return Policy(
        first_timeout=_milliseconds(raw, "firstTimeoutMs", path),
        last_timeout=_milliseconds(raw, "lastTimeoutMs", path),
        failover_statuses=frozenset(statuses),
        safe=_rules(raw, "safeToRepeat", path),
        avoid_failed_region=_milliseconds(raw, "avoidFailedRegionMs", path),
        health_path=health,
    )


@dataclass(frozen=True)
class Sent:
    """What a request came to: the reply the shopper got, the endpoint that gave it
    (`routed` or a region), and the endpoint whose failure moved it there (None: not moved)."""

    reply: Reply
    endpoint: str
    moved_from: str | None = None


class Client(Protocol):
    kind: ClientKind

    def send(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Sent: ...

    def return_to_routed(self, headers: Mapping[str, str] | None = None) -> bool: ...


@dataclass
class NaiveClient:
    """No client failover: every request to the routed endpoint, one timeout."""

    routed: str
    call: Call = http_call
    timeout: float = REQUEST_TIMEOUT_SECONDS
    kind: ClientKind = "naive"

    def send(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Sent:
        reply = self.call(self.routed, method, path, body, dict(headers or {}), self.timeout)
        return Sent(reply, ROUTED)

    def return_to_routed(self, headers: Mapping[str, str] | None = None) -> bool:
        return False


@dataclass
class PolicyClient:
    """The web app's failover policy for one shopper (see the module docstring)."""

    routed: str
    regional: Mapping[str, str]
    policy: Policy
    call: Call = http_call
    now: Callable[[], float] = time.monotonic
    kind: ClientKind = "policy"
    # The region whose own endpoint is used; None: the routed endpoint.
    pinned: str | None = None
    # The region that last answered on the routed endpoint: a failure there is blamed on it.
    routed_region: str | None = None
    failed_at: dict[str, float] = field(default_factory=dict)

    def avoided(self, region: str) -> bool:
        at = self.failed_at.get(region)
        return at is not None and self.now() - at < self.policy.avoid_failed_region

    def _plan(self, safe: bool) -> list[tuple[str, str, str | None]]:
        """(endpoint name, URL, region blamed for a failure) in the order they are tried."""
        first: tuple[str, str, str | None]
        if self.pinned is not None and self.pinned in self.regional:
            first = (self.pinned, self.regional[self.pinned], self.pinned)
        else:
            first = (ROUTED, self.routed, self.routed_region)
        if not safe:
            return [first]
        if first[0] == ROUTED:
            # The routed endpoint may have moved this client to another region since it last
            # answered (a TTL ran out, a health check flipped): the region it is blamed on is
            # a guess, so that region is tried too, last, rather than left out.
            others = sorted(self.regional, key=lambda n: (n == first[2], self.avoided(n)))
        else:
            # A region that failed lately is the last resort, not the next try.
            others = sorted((n for n in self.regional if n != first[2]), key=self.avoided)
        plan = [first]
        plan += [(name, self.regional[name], name) for name in others]
        return plan

    def send(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Sent:
        sent_headers = dict(headers or {})
        safe = self.policy.safe_to_repeat(method, path, sent_headers, body)
        plan = self._plan(safe)
        reply: Reply | None = None
        endpoint = plan[0][0]
        for index, (name, url, blamed) in enumerate(plan):
            final = index == len(plan) - 1
            # A request that cannot move waits as long as the last attempt would.
            timeout = self.policy.first_timeout if safe and not final else self.policy.last_timeout
            reply = self.call(url, method, path, body, sent_headers, timeout)
            endpoint = name
            failed = reply.status is None or reply.status in self.policy.failover_statuses
            # The last endpoint's 5xx is the answer the shopper gets; silence there still
            # counts against that region, as in the web app.
            if not failed or (final and reply.status is not None):
                break
            if blamed is not None:
                self.failed_at[blamed] = self.now()
        assert reply is not None  # the plan always has a first endpoint
        moved_from = None if endpoint == plan[0][0] else plan[0][0]
        answered = reply.status is not None and reply.status not in self.policy.failover_statuses
        if moved_from is not None and answered:
            self.pinned = endpoint  # stay with the region that answered
        if endpoint == ROUTED and reply.region:
            self.routed_region = reply.region
        return Sent(reply, endpoint, moved_from)

    def return_to_routed(self, headers: Mapping[str, str] | None = None) -> bool:
        """At a page load: back to the routed endpoint when it answers healthy from a region
        that has not failed this client lately. Never called inside a journey. `headers` are
        the shopper's own: in a browser the health check shares the page's DNS cache, so it
        must reach the region the shopper's requests would (the sandbox front door tells
        clients apart by their Authorization header)."""
        if self.pinned is None:
            return False
        health = self.call(
            self.routed,
            "GET",
            self.policy.health_path,
            None,
            dict(headers or {}),
            self.policy.first_timeout,
        )
        if health.status != 200:
            return False
        if health.region and self.avoided(health.region):
            return False
        self.routed_region = health.region
        self.pinned = None
        return True
