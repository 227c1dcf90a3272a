"""Lambda events and context, shaped as API Gateway (payload 2.0) and DynamoDB Streams send
them; the bench and the tests (tests/lambda_harness.py) both call the handlers with these."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeSerializer

_serializer = TypeSerializer()


def http_event(
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: str | None = None,
    sub: str | None = None,
) -> dict[str, Any]:
    """An HTTP API payload 2.0 event, as the JWT authorizer passes it on (claims under
    `requestContext.authorizer.jwt`); a body comes as JSON unless `headers` say otherwise."""
    request_context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "api",
        "domainName": "api.example.com",
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": "bench",
        },
        "requestId": uuid.uuid4().hex,
        "routeKey": "$default",
        "stage": "$default",
        "time": "28/Nov/2026:03:00:00 +0000",
        "timeEpoch": 1795834800000,
    }
    if sub is not None:
        request_context["authorizer"] = {"jwt": {"claims": {"sub": sub}, "scopes": None}}
    all_headers = {"content-type": "application/json"} if body is not None else {}
    all_headers.update({k.lower(): v for k, v in (headers or {}).items()})
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": all_headers,
        "requestContext": request_context,
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = dict(query)
    if body is not None:
        event["body"] = body
    return event


class LambdaContext:
    function_name = "bookstore-bench"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:bookstore-bench"
    aws_request_id = "bench"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


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
