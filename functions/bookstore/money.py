"""Exact money arithmetic: prices are Decimals with two places, serialised as strings."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

CENT = Decimal("0.01")


def to_money(value: str | int | Decimal) -> Decimal:
    """A non-negative amount with exactly two decimal places; anything else is a ValueError."""
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"not an amount: {value!r}")
    if amount != amount.quantize(CENT):
        raise ValueError(f"more than two decimal places: {value!r}")
    return amount.quantize(CENT)


def format_money(amount: Decimal) -> str:
    return str(amount.quantize(CENT))


def line_total(price: Decimal, quantity: int) -> Decimal:
    return (price * quantity).quantize(CENT)


def total(lines: Iterable[tuple[Decimal, int]]) -> Decimal:
    return sum((line_total(price, quantity) for price, quantity in lines), Decimal("0.00"))
