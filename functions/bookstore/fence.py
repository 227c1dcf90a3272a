"""The region fence a drill sets: while it is up, the region refuses work so traffic moves away.

Apart from the health check on purpose: every request passes the guard, and this module must
not import redis (the catalog and cart routes never touch Redis, so a cold start skips it).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bookstore.data.books import BooksRepository
from bookstore.errors import Unavailable


class FenceGuard:
    """Refuses work while the region is fenced. The flag is re-read at most once a second so
    that a drill's fence takes effect quickly without a DynamoDB read per request."""

    def __init__(
        self,
        region: str,
        books: BooksRepository,
        ttl_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._region = region
        self._books = books
        self._ttl = ttl_seconds
        self._clock = clock
        self._checked_at = float("-inf")
        self._fenced = False

    def ensure_open(self) -> None:
        now = self._clock()
        if now - self._checked_at >= self._ttl:
            self._fenced = self._books.is_fenced(self._region)
            self._checked_at = now
        if self._fenced:
            raise Unavailable("REGION_FENCED", f"region {self._region} is fenced by a drill")
