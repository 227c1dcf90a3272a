"""The server under the front door and the gateways: what it answers itself is JSON too."""

from __future__ import annotations

import http.client
import json
import logging
import socket
import threading
from collections.abc import Iterator

import pytest

from sandbox.config import HOST
from sandbox.httpd import METHODS, Response, make_http_server

log = logging.getLogger("test.httpd")


def handle(
    method: str, target: str, headers: list[tuple[str, str]], body: bytes, client: str, host: str
) -> Response:
    if target == "/boom":
        raise RuntimeError("the handler broke")
    echoed = {"method": method, "target": target, "body": body.decode(), "client": client}
    # `server` and `content-length` from a handler are the server's to write, not echoed.
    return (
        200,
        [("content-type", "application/json"), ("server", "x"), ("x-host", host)],
        (json.dumps(echoed).encode()),
    )


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    server = make_http_server(0, "test-httpd", handle, log)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def request(
    port: int, method: str, path: str, body: bytes | None = None
) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    connection.request(method, path, body=body)
    return connection.getresponse()


def test_requests_reach_the_handler(port: int) -> None:
    response = request(port, "POST", "/api/orders?x=1", b'{"a": 1}')
    assert response.status == 200
    assert json.loads(response.read()) == {
        "method": "POST",
        "target": "/api/orders?x=1",
        "body": '{"a": 1}',
        "client": HOST,
    }
    assert response.getheader("x-host") == f"{HOST}:{port}"
    assert response.getheader("server", "").startswith("test-httpd")


def test_head_gets_the_headers_without_a_body(port: int) -> None:
    response = request(port, "HEAD", "/")
    assert response.status == 200
    assert int(response.getheader("content-length", "0")) > 0
    assert response.read() == b""


@pytest.mark.parametrize("method", ["TRACE", "QUERY", "CONNECT", "PROPFIND"])
def test_a_method_nobody_routes_is_a_405_in_json(port: int, method: str) -> None:
    response = request(port, method, "/api/books")
    assert response.status == 405
    assert response.getheader("content-type") == "application/json"
    assert response.getheader("allow") == ", ".join(METHODS)
    assert json.loads(response.read()) == {"message": "Method Not Allowed"}


def test_a_broken_request_line_is_a_400_in_json(port: int) -> None:
    with socket.create_connection((HOST, port), timeout=5) as raw:
        raw.sendall(b"GET /api/books HTTP/1.1 extra\r\n\r\n")
        reply = b""
        while chunk := raw.recv(4096):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 400 ") or head.startswith(b"HTTP/1.1 400 ")
    assert b"content-type: application/json" in head.lower()
    message = json.loads(body)["message"]
    assert "request" in message.lower()


def test_a_failing_handler_is_a_502_in_json_and_the_server_keeps_serving(port: int) -> None:
    response = request(port, "GET", "/boom")
    assert response.status == 502
    assert json.loads(response.read()) == {"message": "Bad Gateway"}
    assert request(port, "GET", "/after").status == 200


@pytest.mark.parametrize("declared", ["abc", "-1", "1e3"])
def test_an_unreadable_content_length_is_a_400_in_json(port: int, declared: str) -> None:
    with socket.create_connection((HOST, port), timeout=5) as raw:
        raw.sendall(f"POST /api/orders HTTP/1.1\r\nContent-Length: {declared}\r\n\r\n".encode())
        reply = b""
        while chunk := raw.recv(4096):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == b"400"
    assert "Content-Length" in json.loads(body)["message"]
