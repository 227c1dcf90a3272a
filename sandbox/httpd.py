"""The HTTP server the front door and each region's gateway run on: a threading server on
127.0.0.1 that hands every request to one function and writes back what it returns.

What `http.server` answers on its own (an unknown method such as TRACE, a malformed request
line, an over-long header) goes out as JSON like every other error of the sandbox, not as
Python's HTML error page; an unknown method is a 405, as CloudFront and API Gateway refuse
methods they do not route, rather than Python's 501. Each server chooses the shape of those
bodies: the gateway API Gateway's `{"message"}`, the front door the API's `{"error": {...}}`.

Overload is answered, not queued: beyond `max_in_flight` requests at once the server answers
503 at once, and its listen backlog is deep enough that a burst of clients is accepted and
answered rather than left retransmitting SYNs for seconds.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sandbox.config import HOST

Response = tuple[int, list[tuple[str, str]], bytes]
# (method, path with query, headers, body, client address, Host header) -> response
Handle = Callable[[str, str, list[tuple[str, str]], bytes, str, str], Response]

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# Written by the server itself; a handler's own values for these are dropped.
SERVER_HEADERS = {"content-length", "connection", "transfer-encoding", "server", "date"}


# (status, message) -> JSON body of an answer the server gives itself
ErrorBody = Callable[[int, str], bytes]
LISTEN_BACKLOG = 256


def message_body(status: int, message: str) -> bytes:
    """API Gateway's shape for what it answers itself."""
    return json.dumps({"message": message}).encode()


def json_error(status: int, message: str, body: ErrorBody = message_body) -> Response:
    return status, [("content-type", "application/json")], body(status, message)


class _Server(ThreadingHTTPServer):
    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True


@dataclass(frozen=True)
class _Settings:
    """What one server's request handler needs beyond the request."""

    name: str
    port: int
    handle: Handle
    log: logging.Logger
    error_body: ErrorBody
    slots: threading.BoundedSemaphore | None


class _RequestHandler(BaseHTTPRequestHandler):
    """Hands every request to `settings.handle` and writes back what it returns."""

    settings: _Settings

    def _serve(self) -> None:
        declared = self.headers.get("content-length") or "0"
        if not declared.isdigit():  # not a number, or negative: the body cannot be read
            self.send_error(400, f"invalid Content-Length {declared[:40]!r}")
            return
        length = int(declared)
        body = self.rfile.read(length) if length else b""
        settings = self.settings
        if settings.slots is not None and not settings.slots.acquire(blocking=False):
            settings.log.warning("busy: %s %s answered 503", self.command, self.path)
            self._write(*json_error(503, "Service Unavailable", settings.error_body))
            return
        try:
            response = self._answer(body)
        finally:
            if settings.slots is not None:
                settings.slots.release()
        try:
            self._write(*response)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up waiting (a health check's timeout, say): nothing to tell.
            self.close_connection = True

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve

    def _answer(self, body: bytes) -> Response:
        settings = self.settings
        try:
            return settings.handle(
                self.command,
                self.path,
                list(self.headers.items()),
                body,
                self.client_address[0],
                self.headers.get("host", f"{HOST}:{settings.port}"),
            )
        except Exception:
            settings.log.exception("%s failed on %s %s", settings.name, self.command, self.path)
            return json_error(502, "Bad Gateway", settings.error_body)

    def _write(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.send_response(status)
        for key, value in headers:
            if key.lower() not in SERVER_HEADERS:
                self.send_header(key, value)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        extra: list[tuple[str, str]] = []
        if code == HTTPStatus.NOT_IMPLEMENTED:  # http.server's answer to a method it lacks
            code, message = HTTPStatus.METHOD_NOT_ALLOWED, None
            extra.append(("allow", ", ".join(METHODS)))
        reason = HTTPStatus(code).phrase
        self.log_error("code %d, message %s", code, message or reason)
        # After a request the server could not read, the connection is not reusable.
        self.close_connection = True
        # http.server takes an unreadable request line for HTTP/0.9 and would then send the
        # body alone, without a status line; nothing speaks 0.9 any more.
        if self.request_version == "HTTP/0.9":
            self.request_version = "HTTP/1.0"
        _status, headers, payload = json_error(code, message or reason, self.settings.error_body)
        self.send_response(code, reason)
        self.send_header("connection", "close")
        for key, value in headers + extra:
            self.send_header(key, value)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        self.settings.log.info("%s %s", self.address_string(), format % args)


def make_http_server(
    port: int,
    name: str,
    handle: Handle,
    log: logging.Logger,
    error_body: ErrorBody = message_body,
    max_in_flight: int | None = None,
) -> ThreadingHTTPServer:
    slots = threading.BoundedSemaphore(max_in_flight) if max_in_flight else None
    server_settings = _Settings(name, port, handle, log, error_body, slots)

    class RequestHandler(_RequestHandler):
        server_version = name
        settings = server_settings

    return _Server((HOST, port), RequestHandler)
