"""What every path of the front door shares: one call to an upstream, the headers a proxy
drops, and the front door's own answers in the API's error shape."""

from __future__ import annotations

import http.client
import json

from sandbox.config import HOST
from sandbox.httpd import Response

ERROR_CODES = {
    405: "METHOD_NOT_ALLOWED",
    400: "BAD_REQUEST",
    413: "PAYLOAD_TOO_LARGE",
    414: "URI_TOO_LONG",
    431: "HEADERS_TOO_LARGE",
    502: "REGION_UNREACHABLE",
    503: "FRONT_DOOR_BUSY",
    504: "REGION_TIMEOUT",
}
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    # The front door's own server writes these two.
    "server",
    "date",
}


def error_body(status: int, message: str, code: str | None = None) -> bytes:
    """The API's error shape, for what the front door answers itself."""
    code = code or ERROR_CODES.get(status, "ERROR")
    return json.dumps({"error": {"code": code, "message": message}}).encode()


def error(status: int, message: str, code: str | None = None) -> Response:
    return status, [("content-type", "application/json")], error_body(status, message, code)


def end_to_end(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers a proxy passes on: all but the hop-by-hop ones."""
    return [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]


def upstream(
    port: int,
    method: str,
    path: str,
    headers: list[tuple[str, str]],
    body: bytes,
    timeout: float,
) -> Response:
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=body or None, headers=dict(headers))
        response = connection.getresponse()
        payload = response.read()
        return response.status, response.getheaders(), payload
    finally:
        connection.close()
