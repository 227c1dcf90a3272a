"""A tiny two-region bookstore in one process, for running whole drills in seconds.

It speaks enough of the API contract for the drill's journeys (books, cart, orders with
idempotency keys, best sellers, health) and of Cognito's JSON API for sign-up and sign-in.
A `FakeTarget` drives it: its `outage` marks a region down (its requests answer 503, or
`outage_mode="silent"`: no answer for `silence` seconds, as a frozen region; the front door
moves after `detect_after` seconds), and knobs make it misbehave on purpose (lose an order,
count the leaderboard twice) so the gates can be seen failing. The routed endpoint (`/api`)
sends every request to the serving region and retries nothing; each region's own endpoint
(`/region/<name>`) fails exactly when that region does. Every API request is logged in
`Store.hits` (which endpoint, which region, method, path, key, body).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from bookstore.data.orders import CUSTOMER, ORDER
from bookstore.tables import TableDefinition
from drill.load import Cognito
from drill.model import FaultFacts, Sample
from drill.target import Board, Target

P, S = "eu-west-1", "ap-southeast-1"
BOOKS = [f"book-{i}" for i in range(8)]


def jwt_for(sub: str) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part({'sub': sub})}.sig"


@dataclass
class Region:
    name: str
    down: bool = False
    unhealthy: bool = False  # what the front door believes, `detect_after` behind `down`
    # When down: None answers 503 at once; "silent" holds the request `silence` seconds and
    # then drops it unanswered (nothing done), as a frozen region; another status is sent.
    fail_with: int | str | None = None
    silence: float = 3.0
    carts: dict[tuple[str, str], int] = field(default_factory=dict)
    orders: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    """One API request as the fake received it."""

    via: str  # "routed" or "regional"
    region: str
    method: str
    path: str
    key: str | None
    body: Any
    authorization: str | None = None


@dataclass
class Store:
    regions: dict[str, Region] = field(default_factory=lambda: {r: Region(r) for r in (P, S)})
    serving: str = P
    lock: threading.Lock = field(default_factory=threading.Lock)
    lose_next_order_in: str | None = None  # the next order's replication to here is lost
    double_count: bool = False
    # After the restore, this many requests fail with 500 (a failback that is not seamless).
    errors_after_restore: int = 0
    restored: bool = False
    hits: list[Hit] = field(default_factory=list)

    def other(self, name: str) -> str:
        return S if name == P else P

    def write_order(self, region: str, item: dict[str, Any]) -> None:
        key = (item[CUSTOMER], item[ORDER])
        self.regions[region].orders[key] = item
        peer = self.other(region)
        if self.lose_next_order_in == peer:
            self.lose_next_order_in = None
            return
        self.regions[peer].orders[key] = dict(item)  # synchronous "replication"

    def write_cart(self, customer: str, book: str, quantity: int | None) -> None:
        """A cart line set (or, None, deleted) in both regions at once."""
        for region in self.regions.values():
            if quantity is None:
                region.carts.pop((customer, book), None)
            else:
                region.carts[(customer, book)] = quantity


def make_server(store: Store) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def reply(self, status: int, body: Any, region: str | None = None) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            if region:
                self.send_header("x-bookstore-region", region)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def body(self) -> Any:
            length = int(self.headers.get("content-length") or 0)
            return json.loads(self.rfile.read(length)) if length else None

        def do_POST(self) -> None:
            if self.path.startswith("/cognito"):
                return self.cognito()
            return self.api("POST")

        def do_GET(self) -> None:
            self.api("GET")

        def do_PUT(self) -> None:
            self.api("PUT")

        def do_DELETE(self) -> None:
            self.api("DELETE")

        def cognito(self) -> None:
            target = self.headers.get("x-amz-target", "")
            payload = self.body()
            if target.endswith("SignUp"):
                return self.reply(200, {"UserConfirmed": True, "UserSub": "x"})
            user = payload["AuthParameters"]["USERNAME"]
            sub = hashlib.sha256(user.encode()).hexdigest()[:16]
            return self.reply(200, {"AuthenticationResult": {"IdToken": jwt_for(sub)}})

        def api(self, method: str) -> None:
            parts = urlsplit(self.path)
            path = parts.path
            if path.startswith("/api"):
                path, region, via = path[4:], store.serving, "routed"
            elif path.startswith("/region/"):
                _, _, region, rest = path.split("/", 3)
                path, via = "/" + rest, "regional"
            else:
                return self.reply(404, {"error": {"code": "NOT_FOUND"}})
            body = self.body()
            with store.lock:
                store.hits.append(
                    Hit(
                        via,
                        region,
                        method,
                        path,
                        self.headers.get("idempotency-key"),
                        body,
                        self.headers.get("authorization"),
                    )
                )
            state = store.regions[region]
            if state.down:
                if state.fail_with == "silent":
                    time.sleep(state.silence)
                    self.close_connection = True
                    return None
                status = state.fail_with if isinstance(state.fail_with, int) else 503
                return self.reply(status, {"message": "Service Unavailable"})
            with store.lock:
                glitch = store.restored and store.errors_after_restore > 0 and path != "/health"
                store.errors_after_restore -= int(glitch)
            if glitch:
                return self.reply(500, {"error": {"code": "INTERNAL"}}, region)
            auth = self.headers.get("authorization", "")
            customer = ""
            if auth:
                payload = auth.split(".")[1]
                customer = json.loads(base64.urlsafe_b64decode(payload + "==="))["sub"]
            with store.lock:
                status, answer = self.route(method, path, state, customer, body)
            return self.reply(status, answer, region)

        def route(
            self, method: str, path: str, state: Region, customer: str, body: Any
        ) -> tuple[int, Any]:
            if path == "/health":
                return 200, {"status": "ok", "region": state.name}
            if path == "/books":
                return 200, {"items": [{"id": b} for b in BOOKS], "nextCursor": None}
            if path.startswith("/books/"):
                return 200, {"id": path.split("/")[2]}
            if path == "/bestsellers":
                return 200, {"items": []}
            if path == "/cart" and method == "GET":
                mine = [(b, q) for (c, b), q in state.carts.items() if c == customer]
                lines = [{"bookId": b, "quantity": q} for b, q in mine]
                return 200, {"items": lines, "total": "0.00"}
            if path.startswith("/cart/") and method == "PUT":
                book = path.split("/")[2]
                store.write_cart(customer, book, int(body["quantity"]))
                return 200, {"bookId": book, "quantity": int(body["quantity"])}
            if path.startswith("/cart/") and method == "DELETE":
                store.write_cart(customer, path.split("/")[2], None)
                return 204, None
            if path == "/orders" and method == "POST":
                return self.checkout(state, customer, body)
            if path.startswith("/orders/"):
                order_id = path.split("/")[2]
                found = (customer, order_id) in state.orders
                return (200, {"orderId": order_id}) if found else (404, {"error": {}})
            return 404, {"error": {"code": "NOT_FOUND"}}

        def checkout(self, state: Region, customer: str, body: Any) -> tuple[int, Any]:
            """The whole cart, or (`{"lines": [...]}`) exactly those lines, which the cart
            must hold with those quantities (else 409 CART_CHANGED)."""
            key = self.headers.get("idempotency-key", "")
            order_id = "o-" + hashlib.sha256(f"{customer}/{key}".encode()).hexdigest()[:32]
            if (customer, order_id) in state.orders:
                return 200, {"orderId": order_id}
            cart = {b: q for (c, b), q in state.carts.items() if c == customer}
            if isinstance(body, dict) and isinstance(body.get("lines"), list):
                lines = [(str(x["bookId"]), int(x["quantity"])) for x in body["lines"]]
                if any(cart.get(b) != q for b, q in lines):
                    return 409, {"error": {"code": "CART_CHANGED"}}
            else:
                lines = sorted(cart.items())
            if not lines:
                return 409, {"error": {"code": "EMPTY_CART"}}
            for book, _ in lines:
                store.write_cart(customer, book, None)
            item = {
                CUSTOMER: customer,
                ORDER: order_id,
                "idempotencyKey": key,
                "items": [{"bookId": b, "quantity": q} for b, q in lines],
            }
            store.write_order(state.name, item)
            return 201, {"orderId": order_id}

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    return server


class FakeTarget(Target):
    name = "fake"

    def __init__(
        self,
        store: Store,
        base: str,
        detect_after: float = 1.0,
        outage_mode: int | str | None = None,
    ) -> None:
        self.store = store
        self.outage_mode = outage_mode
        self.base = base
        self.detect_after = detect_after
        self.closed = False
        self.restored: list[str] = []

    @property
    def api(self) -> str:
        return f"{self.base}/api"

    @property
    def regions(self) -> Sequence[str]:
        return (P, S)

    def regional_api(self, region: str) -> str:
        return f"{self.base}/region/{region}"

    def cognito(self) -> Cognito:
        return Cognito(endpoint=f"{self.base}/cognito", client_id="client")

    def serving_region(self) -> str | None:
        return self.store.serving

    def sample(self, t: float) -> Sample | None:
        return Sample(
            t, self.store.serving, {n: not r.unhealthy for n, r in self.store.regions.items()}
        )

    def outage(self, region: str) -> FaultFacts:
        self.store.regions[region].fail_with = self.outage_mode
        self.store.regions[region].down = True

        def fail_over() -> None:
            time.sleep(self.detect_after)
            self.store.regions[region].unhealthy = True
            self.store.serving = self.store.other(region)

        threading.Thread(target=fail_over, daemon=True).start()
        return FaultFacts(command=f"fake outage {region}")

    def restore_region(self, region: str) -> None:
        self.store.regions[region].down = False
        self.store.regions[region].unhealthy = False
        self.store.restored = True
        self.restored.append(region)

    def scan(self, region: str, table: TableDefinition) -> list[dict[str, Any]]:
        if table.logical_name != "Orders":
            return []
        with self.store.lock:
            return [dict(i) for i in self.store.regions[region].orders.values()]

    def board(self, region: str) -> Board:
        sold: dict[str, int] = {}
        with self.store.lock:
            for item in self.store.regions[region].orders.values():
                for line in item["items"]:
                    times = 2 if self.store.double_count else 1
                    sold[line["bookId"]] = sold.get(line["bookId"], 0) + line["quantity"] * times
        return Board(sold=sold, built=True)

    def close(self) -> None:
        self.closed = True


@contextmanager
def fake_bookstore(
    detect_after: float = 1.0, outage_mode: int | str | None = None
) -> Iterator[FakeTarget]:
    store = Store()
    server = make_server(store)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield FakeTarget(store, f"http://{host!s}:{port}", detect_after, outage_mode)
    finally:
        server.shutdown()
        server.server_close()
