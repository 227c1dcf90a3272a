"""A minimal stand-in for the sandbox's front door, for the blog's tests only.

It does what the real front door is asked to do for `/blog/`: pass the path through unchanged
(with the client's Host header) to the regions `BlogPair.upstreams` names, trying the next one
for a read when a region does not answer. Region health is set by the test (`healthy`), as the
front door's health checks would.
"""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sandbox.blog import BlogPair

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "trailer"}


class FrontDoorStub:
    def __init__(self, pair: BlogPair, port: int) -> None:
        self.pair = pair
        self.healthy: dict[str, bool] = {r.name: True for r in pair.regions}
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _proxy(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                result = stub.forward(self.command, self.path, headers, body)
                status, response_headers, payload = result
                self.send_response(status)
                for key, value in response_headers:
                    if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _proxy

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        if not path.startswith("/blog"):
            return 404, [], b"not the blog"
        for region in self.pair.upstreams(method, self.healthy):
            connection = http.client.HTTPConnection("127.0.0.1", region.http_port, timeout=5)
            try:
                connection.request(method, path, body=body or None, headers=headers)
                response = connection.getresponse()
                return response.status, response.getheaders(), response.read()
            except OSError:
                continue
            finally:
                connection.close()
        return 502, [], b"no region answered"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
