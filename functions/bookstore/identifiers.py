"""Identifiers derived from requests: order ids, idempotency keys, book ids, page cursors."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence

from bookstore.errors import InvalidInput

IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{1,128}")
BOOK_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
ORDER_ID = re.compile(r"o-[0-9a-f]{32}")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
MAX_CURSOR_LENGTH = 2048


def is_book_id(value: str) -> bool:
    return BOOK_ID.fullmatch(value) is not None


def is_order_id(value: str) -> bool:
    return ORDER_ID.fullmatch(value) is not None


def check_idempotency_key(value: str | None) -> str:
    if value is None or value == "":
        raise InvalidInput("the Idempotency-Key header is required", field="Idempotency-Key")
    if IDEMPOTENCY_KEY.fullmatch(value) is None:
        raise InvalidInput(
            "Idempotency-Key must be 1 to 128 characters of A-Z, a-z, 0-9, '_' or '-'",
            field="Idempotency-Key",
        )
    return value


def derive_order_id(customer_id: str, idempotency_key: str) -> str:
    """The same (customer, key) gives the same id in every region, so a checkout retried on
    the other region writes the same item instead of a second order."""
    digest = hashlib.sha256(f"{customer_id}\x00{idempotency_key}".encode()).hexdigest()
    return f"o-{digest[:32]}"


def _fingerprint(scope: Sequence[str | None]) -> str:
    return hashlib.sha256(json.dumps(list(scope)).encode()).hexdigest()[:12]


def encode_cursor(last_key: dict[str, str], scope: Sequence[str | None]) -> str:
    """An opaque cursor: the last returned item's key, bound to the query it came from."""
    payload = json.dumps({"k": last_key, "s": _fingerprint(scope)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(
    cursor: str, key_checks: Mapping[str, Callable[[str], bool]], scope: Sequence[str | None]
) -> dict[str, str]:
    """The start key inside a cursor made by `encode_cursor` for this scope. A cursor is not
    signed, so each key value must pass its check (`key_checks`, one per key attribute):
    what reaches DynamoDB as an ExclusiveStartKey is then a key it could have given us."""
    invalid = InvalidInput("cursor is not valid for this query", field="cursor")
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise invalid
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        # RecursionError: deeply nested JSON, which json.loads does not turn into ValueError.
        raise invalid from None
    if not isinstance(payload, dict) or payload.get("s") != _fingerprint(scope):
        raise invalid
    key = payload.get("k")
    if (
        not isinstance(key, dict)
        or sorted(key) != sorted(key_checks)
        or not all(isinstance(v, str) and key_checks[k](v) for k, v in key.items())
    ):
        raise invalid
    return key


def is_timestamp(value: str) -> bool:
    """An ISO 8601 UTC time with milliseconds, as `now_iso` writes `createdAt`."""
    return TIMESTAMP.fullmatch(value) is not None
