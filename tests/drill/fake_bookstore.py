"""A tiny two-region bookstore in one process, for running whole drills in seconds.

It speaks enough of the API contract for the drill's journeys (books, cart, orders with
idempotency keys, best sellers, health) and of Cognito's JSON API for sign-up and sign-in.
A `FakeTarget` drives it: its `outage` marks a region down (its requests answer 503 and
the front door moves after `detect_after` seconds), and knobs make it misbehave on purpose
(lose an order, count the leaderboard twice) so the gates can be seen failing.
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
    carts: dict[tuple[str, str], int] = field(default_factory=dict)
    orders: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)


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
                path, region = path[4:], store.serving
            elif path.startswith("/region/"):
                _, _, region, rest = path.split("/", 3)
                path = "/" + rest
            else:
                return self.reply(404, {"error": {"code": "NOT_FOUND"}})
            state = store.regions[region]
            if state.down:
                return self.reply(503, {"message": "Service Unavailable"})
            with store.lock:
                glitch = store.restored and store.errors_after_restore > 0
                store.errors_after_restore -= int(glitch)
            if glitch:
                return self.reply(500, {"error": {"code": "INTERNAL"}}, region)
            auth = self.headers.get("authorization", "")
            customer = ""
            if auth:
                payload = auth.split(".")[1]
                customer = json.loads(base64.urlsafe_b64decode(payload + "==="))["sub"]
            with store.lock:
                status, body = self.route(method, path, state, customer)
            return self.reply(status, body, region)

        def route(self, method: str, path: str, state: Region, customer: str) -> tuple[int, Any]:
            if path == "/health":
                return 200, {"status": "ok"}
            if path == "/books":
                return 200, {"items": [{"id": b} for b in BOOKS], "nextCursor": None}
            if path.startswith("/books/"):
                return 200, {"id": path.split("/")[2]}
            if path == "/bestsellers":
                return 200, {"items": []}
            if path.startswith("/cart/") and method == "PUT":
                book = path.split("/")[2]
                state.carts[(customer, book)] = int(self.body()["quantity"])
                return 200, {"bookId": book}
            if path == "/orders" and method == "POST":
                key = self.headers.get("idempotency-key", "")
                order_id = "o-" + hashlib.sha256(f"{customer}/{key}".encode()).hexdigest()[:32]
                if (customer, order_id) in state.orders:
                    return 200, {"orderId": order_id}
                lines = [(b, q) for (c, b), q in state.carts.items() if c == customer]
                if not lines:
                    return 409, {"error": {"code": "EMPTY_CART"}}
                for book, _ in lines:
                    del state.carts[(customer, book)]
                item = {
                    CUSTOMER: customer,
                    ORDER: order_id,
                    "idempotencyKey": key,
                    "items": [{"bookId": b, "quantity": q} for b, q in lines],
                }
                store.write_order(state.name, item)
                return 201, {"orderId": order_id}
            if path.startswith("/orders/"):
                order_id = path.split("/")[2]
                found = (customer, order_id) in state.orders
                return (200, {"orderId": order_id}) if found else (404, {"error": {}})
            return 404, {"error": {"code": "NOT_FOUND"}}

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    return server


class FakeTarget(Target):
    name = "fake"

    def __init__(self, store: Store, base: str, detect_after: float = 1.0) -> None:
        self.store = store
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
def fake_bookstore(detect_after: float = 1.0) -> Iterator[FakeTarget]:
    store = Store()
    server = make_server(store)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield FakeTarget(store, f"http://{host!s}:{port}", detect_after)
    finally:
        server.shutdown()
        server.server_close()
