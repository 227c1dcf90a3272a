"""OrdersRepository.newest_first when DynamoDB hands back short pages (its 1 MB read limit)."""

from __future__ import annotations

from typing import Any

import pytest

from bookstore.data.orders import CREATED, CUSTOMER, ORDER, OrdersRepository


class ShortPages:
    """A table whose Query returns at most `page` items per call, with a LastEvaluatedKey
    whenever more remain, however large the Limit: as DynamoDB does at 1 MB read."""

    name = "Orders"

    def __init__(self, count: int, page: int) -> None:
        self.items = [
            {CUSTOMER: "c", ORDER: f"o-{n:032x}", CREATED: f"2026-11-28T10:00:{n:02d}.000Z"}
            for n in reversed(range(count))  # newest first
        ]
        self.page = page
        self.calls: list[dict[str, Any]] = []

    def query(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        start = 0
        if "ExclusiveStartKey" in kwargs:
            start = self.items.index(kwargs["ExclusiveStartKey"]) + 1
        taken = self.items[start : start + min(self.page, kwargs["Limit"])]
        response: dict[str, Any] = {"Items": taken}
        if start + len(taken) < len(self.items):
            response["LastEvaluatedKey"] = taken[-1]
        return response


@pytest.mark.parametrize(("count", "page", "limit"), [(7, 2, 3), (6, 2, 3), (3, 1, 5), (10, 3, 10)])
def test_short_pages_still_fill_the_page_and_every_order_comes_once(
    count: int, page: int, limit: int
) -> None:
    table = ShortPages(count, page)
    repository = OrdersRepository(table)  # type: ignore[arg-type]
    seen: list[str] = []
    start = None
    for _ in range(count + 1):
        items, start = repository.newest_first("c", limit, start)
        assert len(items) == limit or start is None
        seen.extend(str(i[ORDER]) for i in items)
        if start is None:
            break
    assert seen == [str(i[ORDER]) for i in table.items]
    assert all(call["ScanIndexForward"] is False for call in table.calls)
    assert all(call["ConsistentRead"] is True for call in table.calls)
