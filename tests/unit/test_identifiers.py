"""Order id derivation, idempotency keys and opaque cursors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bookstore.errors import InvalidInput
from bookstore.identifiers import (
    check_idempotency_key,
    decode_cursor,
    derive_order_id,
    encode_cursor,
    is_order_id,
)

KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
keys = st.text(alphabet=KEY_ALPHABET, min_size=1, max_size=128)
names = ("id", "category")
# Every value accepted that is a non-empty string: the checks under test are the cursor's own.
checks = dict.fromkeys(names, bool)
values = st.text(min_size=1, max_size=80)
scopes = st.tuples(st.none() | st.text(max_size=20), st.none() | st.text(max_size=20))


@given(st.text(min_size=1, max_size=64), keys)
def test_order_id_is_deterministic_and_well_formed(customer: str, key: str) -> None:
    order_id = derive_order_id(customer, key)
    assert order_id == derive_order_id(customer, key)
    assert is_order_id(order_id)


def test_order_id_depends_on_customer_and_key_without_ambiguity() -> None:
    assert derive_order_id("a", "b") != derive_order_id("b", "a")
    assert derive_order_id("ab", "c") != derive_order_id("a", "bc")


@given(keys)
def test_valid_keys_pass(key: str) -> None:
    assert check_idempotency_key(key) == key


@pytest.mark.parametrize("bad", [None, "", "x" * 129, "has space", "é", "a/b", "a.b"])
def test_invalid_keys_name_the_header(bad: str | None) -> None:
    with pytest.raises(InvalidInput) as info:
        check_idempotency_key(bad)
    assert info.value.field == "Idempotency-Key"


@given(st.fixed_dictionaries({n: values for n in names}), scopes)
def test_cursor_round_trips(key: dict[str, str], scope: tuple[str | None, str | None]) -> None:
    assert decode_cursor(encode_cursor(key, scope), checks, scope) == key


@given(st.fixed_dictionaries({n: values for n in names}), scopes, scopes)
def test_cursor_is_bound_to_its_query(
    key: dict[str, str], scope: tuple[str | None, str | None], other: tuple[str | None, str | None]
) -> None:
    cursor = encode_cursor(key, scope)
    if other != scope:
        with pytest.raises(InvalidInput):
            decode_cursor(cursor, checks, other)


@given(st.text(max_size=300))
def test_arbitrary_text_is_never_accepted_as_a_cursor(text: str) -> None:
    with pytest.raises(InvalidInput) as info:
        decode_cursor(text, checks, (None, None))
    assert info.value.field == "cursor"


def test_cursor_with_wrong_key_names_is_rejected() -> None:
    cursor = encode_cursor({"id": "x"}, (None, None))
    with pytest.raises(InvalidInput):
        decode_cursor(cursor, checks, (None, None))


def test_a_key_value_failing_its_check_is_rejected() -> None:
    key = dict.fromkeys(names, "x")
    cursor = encode_cursor(key, (None, None))
    assert decode_cursor(cursor, checks, (None, None)) == key
    strict = {**checks, names[0]: lambda value: value == "y"}
    with pytest.raises(InvalidInput) as info:
        decode_cursor(cursor, strict, (None, None))
    assert info.value.field == "cursor"
