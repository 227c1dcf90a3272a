"""Best sellers: the leaderboard's top entries joined with Books in one batch read."""

from __future__ import annotations

import redis

from bookstore.catalog import to_book
from bookstore.data.books import BooksRepository
from bookstore.data.orders import OrdersRepository
from bookstore.errors import Unavailable
from bookstore.leaderboard import TOP, Leaderboard
from bookstore.models import Bestseller, BestsellerList


def best_sellers(
    leaderboard: Leaderboard, books: BooksRepository, orders: OrdersRepository
) -> BestsellerList:
    try:
        if not leaderboard.is_built() and leaderboard.try_lock_rebuild():
            # The cache was lost (or never built): rebuild from the Orders table, the truth.
            try:
                leaderboard.rebuild(orders.scan_all(), reconcile=orders.scan_all())
            finally:
                leaderboard.unlock_rebuild()
        top = leaderboard.top(TOP)
    except (redis.RedisError, OSError) as exc:
        raise Unavailable(
            "LEADERBOARD_UNAVAILABLE", "best sellers are unavailable: the cache cannot be reached"
        ) from exc
    found = books.batch_get(book_id for book_id, _ in top)
    entries = [(found[book_id], sold) for book_id, sold in top if book_id in found]
    return BestsellerList(
        items=[
            Bestseller(rank=rank, sold=sold, book=to_book(item))
            for rank, (item, sold) in enumerate(entries, start=1)
        ]
    )
