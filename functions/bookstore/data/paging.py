"""Reading every page of a DynamoDB Query or Scan."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

Item = dict[str, Any]


def all_items(read: Callable[..., Mapping[str, Any]], **kwargs: Any) -> Iterator[Item]:
    """Calls `read` (a table's `query` or `scan`) until DynamoDB reports no further page."""
    while True:
        response = read(**kwargs)
        yield from response.get("Items", [])
        last = response.get("LastEvaluatedKey")
        if not last:
            return
        kwargs["ExclusiveStartKey"] = last
