"""The composition root: services wired to the clients named by the settings, built once per
process (a Lambda execution environment) and reused across invocations."""

from __future__ import annotations

import sys
from functools import lru_cache
from typing import TYPE_CHECKING

from bookstore.cart import CartService
from bookstore.catalog import Catalog
from bookstore.checkout import CheckoutService, OrderHistory
from bookstore.data import clients
from bookstore.data.books import BooksRepository
from bookstore.data.carts import CartRepository
from bookstore.data.orders import OrdersRepository
from bookstore.fence import FenceGuard
from bookstore.settings import get_settings

if TYPE_CHECKING:
    from bookstore.leaderboard import Leaderboard


@lru_cache(maxsize=1)
def books() -> BooksRepository:
    return BooksRepository(clients.table(get_settings().books_table))


@lru_cache(maxsize=1)
def health_books() -> BooksRepository:
    return BooksRepository(clients.health_table(get_settings().books_table))


@lru_cache(maxsize=1)
def orders() -> OrdersRepository:
    return OrdersRepository(clients.table(get_settings().orders_table))


@lru_cache(maxsize=1)
def carts() -> CartRepository:
    return CartRepository(clients.table(get_settings().cart_table))


@lru_cache(maxsize=1)
def catalog() -> Catalog:
    return Catalog(books())


@lru_cache(maxsize=1)
def cart_service() -> CartService:
    return CartService(carts(), catalog())


@lru_cache(maxsize=1)
def checkout_service() -> CheckoutService:
    return CheckoutService(carts(), orders(), get_settings().region)


@lru_cache(maxsize=1)
def order_history() -> OrderHistory:
    return OrderHistory(orders())


@lru_cache(maxsize=1)
def leaderboard() -> Leaderboard:
    # Imported here: only the best-seller and health routes use Redis, and importing redis-py
    # is a large share of a cold start that the catalog, cart and order routes need not pay.
    from bookstore.data import cache
    from bookstore.leaderboard import Leaderboard

    return Leaderboard(cache.redis_client(), get_settings().leaderboard_key)


@lru_cache(maxsize=1)
def fence_guard() -> FenceGuard:
    return FenceGuard(get_settings().region, books())


def reset() -> None:
    """Forgets every cached client and service (tests switch environments with this)."""
    for factory in (
        books,
        health_books,
        orders,
        carts,
        catalog,
        cart_service,
        checkout_service,
        order_history,
        leaderboard,
        fence_guard,
        get_settings,
        clients.dynamodb,
        clients.health_dynamodb,
        # Only if something imported it: the Redis client module is loaded on first use.
        getattr(sys.modules.get("bookstore.data.cache"), "redis_client", None),
    ):
        # A test may have replaced a factory with a plain function.
        clear = getattr(factory, "cache_clear", None)
        if clear is not None:
            clear()
