"""The best-seller leaderboard in Redis, fed by the Orders stream.

Counting is idempotent per order: a hash remembers, per order id, the copies it added, and
one atomic script compares, adds and remembers. A redelivered record changes nothing. When
the two regions wrote different versions of one order (the same Idempotency-Key checked out
in both during a partition), last-writer-wins replaces the loser with a MODIFY; the script
then takes the old copies back and adds the winner's, so every region's board follows the
version that won instead of keeping the first one it saw. All keys share one hash tag so that
the scripts and the swap also work on a clustered Redis.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

import redis

from bookstore.data.markers import is_reserved_item
from bookstore.identifiers import is_book_id
from bookstore.tables import ORDERS

ORDER = ORDERS.key_names()[-1]

TOP = 20

# KEYS: board, counted; ARGV: order id, copies encoded as "book:n,book:n" (book ids are slugs).
_COUNT = """
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old == ARGV[2] then return 0 end
if old then
  for book, n in string.gmatch(old, '([^,:]+):(%d+)') do
    redis.call('ZINCRBY', KEYS[1], -tonumber(n), book)
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', 0)
end
for book, n in string.gmatch(ARGV[2], '([^,:]+):(%d+)') do
  redis.call('ZINCRBY', KEYS[1], n, book)
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1
"""

_SWAP = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('RENAME', KEYS[1], KEYS[3])
else redis.call('DEL', KEYS[3]) end
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('RENAME', KEYS[2], KEYS[4])
else redis.call('DEL', KEYS[4]) end
redis.call('SET', KEYS[5], ARGV[1])
return 1
"""


@dataclass(frozen=True)
class OrderTally:
    """What one order adds to the leaderboard: copies sold per book."""

    order_id: str
    copies: Mapping[str, int]

    def encoded(self) -> str:
        return ",".join(f"{book}:{n}" for book, n in sorted(self.copies.items()))


def tally_from_item(item: Mapping[str, Any]) -> OrderTally:
    """Reads an Orders item (or stream image); a malformed one is a ValueError."""
    order_id = item.get(ORDER)
    lines = item.get("items")
    if not isinstance(order_id, str) or not order_id or not isinstance(lines, list) or not lines:
        raise ValueError("not an order: missing order id or lines")
    copies: dict[str, int] = {}
    for line in lines:
        if not isinstance(line, Mapping):
            raise ValueError(f"order {order_id}: a line is not a map")
        book_id = line.get("bookId")
        quantity = line.get("quantity")
        if not isinstance(book_id, str) or not isinstance(quantity, int | Decimal):
            raise ValueError(f"order {order_id}: a line lacks bookId or quantity")
        if not is_book_id(book_id):
            raise ValueError(f"order {order_id}: {book_id!r} is not a book id")
        if quantity != int(quantity) or int(quantity) < 1:
            raise ValueError(f"order {order_id}: quantity {quantity} is not a positive integer")
        copies[book_id] = copies.get(book_id, 0) + int(quantity)
    return OrderTally(order_id=order_id, copies=copies)


def countable(items: Iterable[Mapping[str, Any]]) -> Iterator[OrderTally]:
    """The tallies of the orders among `items`; a malformed item (which the stream handler
    reports and skips too) is left out rather than stopping a rebuild for good."""
    for item in items:
        if is_reserved_item(item):
            continue
        try:
            yield tally_from_item(item)
        except ValueError:
            continue


class Leaderboard:
    def __init__(self, client: redis.Redis, name: str = "bestsellers") -> None:
        self._redis = client
        tag = "{" + name + "}"
        self.board_key = f"{tag}:board"
        self.counted_key = f"{tag}:counted"
        self.built_key = f"{tag}:built"
        self._lock_key = f"{tag}:rebuild-lock"
        self._tag = tag
        self._count = client.register_script(_COUNT)
        self._swap = client.register_script(_SWAP)

    def count(
        self, tally: OrderTally, board_key: str | None = None, counted: str | None = None
    ) -> bool:
        """Counts this version of an order; False when exactly this version was counted."""
        keys = [board_key or self.board_key, counted or self.counted_key]
        return bool(self._count(keys=keys, args=[tally.order_id, tally.encoded()]))

    def top(self, n: int = TOP) -> list[tuple[str, int]]:
        entries = cast(
            "list[tuple[str, float]]",
            self._redis.zrevrange(self.board_key, 0, n - 1, withscores=True),
        )
        return [(str(member), int(score)) for member, score in entries]

    def is_built(self) -> bool:
        return bool(self._redis.exists(self.built_key))

    def rebuild(
        self,
        orders: Iterable[Mapping[str, Any]],
        reconcile: Iterable[Mapping[str, Any]] | None = None,
    ) -> int:
        """Recomputes the board from every order into fresh keys and swaps them in atomically.

        Orders that arrive while the scan runs are counted by the stream into the old board,
        which the swap discards; the optional second pass (`reconcile`, another scan of the
        table) counts them again, idempotently, into the new board.
        """
        run = uuid.uuid4().hex
        tmp_board, tmp_counted = (
            f"{self._tag}:rebuild:{run}:board",
            f"{self._tag}:rebuild:{run}:counted",
        )
        counted = 0
        try:
            for tally in countable(orders):
                counted += self.count(tally, tmp_board, tmp_counted)
            self._swap(
                keys=[tmp_board, tmp_counted, self.board_key, self.counted_key, self.built_key],
                args=[f"{time.time():.3f}"],
            )
        finally:
            self._redis.delete(tmp_board, tmp_counted)
        for tally in countable(reconcile or ()):
            self.count(tally)
        return counted

    def try_lock_rebuild(self, seconds: int = 60) -> bool:
        return bool(self._redis.set(self._lock_key, "1", nx=True, ex=seconds))

    def unlock_rebuild(self) -> None:
        self._redis.delete(self._lock_key)
