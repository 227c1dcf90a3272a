"""Exact money arithmetic."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bookstore.money import format_money, line_total, to_money, total

cents = st.integers(min_value=0, max_value=10_000_00).map(lambda c: Decimal(c) / 100)
quantities = st.integers(min_value=1, max_value=99)


@given(st.lists(st.tuples(cents, quantities), max_size=50))
def test_total_equals_the_integer_cent_sum(lines: list[tuple[Decimal, int]]) -> None:
    expected_cents = sum(int(price * 100) * quantity for price, quantity in lines)
    assert total(lines) == Decimal(expected_cents) / 100
    assert format_money(total(lines)) == f"{expected_cents // 100}.{expected_cents % 100:02d}"


@given(cents)
def test_format_then_parse_round_trips(amount: Decimal) -> None:
    assert to_money(format_money(amount)) == amount


@given(cents, quantities)
def test_line_total_has_two_places(price: Decimal, quantity: int) -> None:
    assert line_total(price, quantity).as_tuple().exponent == -2


def test_float_noise_cannot_creep_in() -> None:
    assert total([(Decimal("0.10"), 3), (Decimal("0.20"), 1)]) == Decimal("0.50")
    assert format_money(Decimal("1.1")) == "1.10"


@pytest.mark.parametrize("bad", ["abc", "-1.00", "1.005", "NaN", "Infinity", ""])
def test_invalid_amounts_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match=r"amount|places"):
        to_money(bad)
