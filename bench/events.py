"""Lambda events and context, shaped as API Gateway (payload 2.0) and DynamoDB Streams send
them: the one builder that the sandbox's gateway (`sandbox/gateway.py`), the bench and the
tests (`tests/lambda_harness.py`) all call the handlers with. Not part of the Lambda bundle."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from boto3.dynamodb.types import TypeSerializer

_serializer = TypeSerializer()

ACCOUNT_ID = "123456789012"
# Bodies of these content types reach the function as text; any other body is base64.
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-www-form")


def build_event(
    method: str,
    target: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    source_ip: str,
    domain: str,
    claims: Mapping[str, str] | None,
) -> dict[str, Any]:
    """An HTTP API (payload format 2.0) event for a `$default` route, from the request as
    received (`target` is the path with its query string) and the claims the JWT authorizer
    verified, if any."""
    parts = urlsplit(target)
    lowered: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            cookies += [c.strip() for c in value.split(";") if c.strip()]
            continue
        lowered[key] = f"{lowered[key]},{value}" if key in lowered else value
    now = datetime.now(UTC)
    request_context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": "sandbox",
        "domainName": domain,
        "domainPrefix": domain.split(".")[0],
        "http": {
            "method": method,
            "path": parts.path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": lowered.get("user-agent", ""),
        },
        "requestId": uuid.uuid4().hex[:16] + "=",
        "routeKey": "$default",
        "stage": "$default",
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    if claims is not None:
        request_context["authorizer"] = {"jwt": {"claims": dict(claims), "scopes": None}}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": parts.path,
        "rawQueryString": parts.query,
        "headers": lowered,
        "requestContext": request_context,
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    query: dict[str, str] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    if query:
        event["queryStringParameters"] = query
    if body:
        content_type = lowered.get("content-type", "")
        if content_type.startswith(TEXT_TYPES):
            event["body"] = body.decode("utf-8", errors="replace")
        else:
            event["body"] = base64.b64encode(body).decode("ascii")
            event["isBase64Encoded"] = True
    return event


def http_event(
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: str | None = None,
    sub: str | None = None,
) -> dict[str, Any]:
    """`build_event` for a caller that speaks JSON: a body comes as JSON unless `headers` say
    otherwise, and `sub` is the subject of a token the authorizer accepted."""
    all_headers = {"content-type": "application/json"} if body is not None else {}
    all_headers.update({k.lower(): v for k, v in (headers or {}).items()})
    target = f"{path}?{urlencode(query)}" if query else path
    claims = {"sub": sub} if sub is not None else None
    raw = body.encode() if body is not None else b""
    return build_event(
        method, target, all_headers.items(), raw, "127.0.0.1", "api.example.com", claims
    )


class LambdaContext:
    """The attributes of Lambda's context object that handler code and Powertools read."""

    def __init__(
        self,
        function_name: str = "bookstore-api",
        region: str = "eu-west-1",
        timeout_seconds: float = 29,
    ) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{function_name}"
        self.memory_limit_in_mb = 512
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = datetime.now(UTC).strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def order_insert_record(order_id: str, book_id: str, sequence: int = 1000) -> dict[str, Any]:
    """One INSERT of an Orders item, as the Orders stream delivers it."""
    image: dict[str, Any] = {
        "customerId": "bench-customer",
        "orderId": order_id,
        "createdAt": "2026-11-28T03:00:00.000Z",
        "items": [{"bookId": book_id, "title": "Bench", "price": Decimal("9.99"), "quantity": 1}],
        "total": Decimal("9.99"),
        "region": "eu-west-1",
    }
    keys = {k: _serializer.serialize(image[k]) for k in ("customerId", "orderId")}
    return {
        "eventID": str(sequence),
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "dynamodb": {
            "Keys": keys,
            "NewImage": {k: _serializer.serialize(v) for k, v in image.items()},
            "SequenceNumber": str(sequence),
            "SizeBytes": 100,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
            "ApproximateCreationDateTime": 1795834800,
        },
        "eventSourceARN": "arn:aws:dynamodb:eu-west-1:123456789012:table/bench-Orders/stream/x",
    }
