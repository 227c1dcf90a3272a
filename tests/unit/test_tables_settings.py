"""The table definitions and the settings contract."""

from __future__ import annotations

import pytest

from bookstore.settings import SettingsError, settings_from_env, table_env_var
from bookstore.tables import BOOKS, CART, ORDERS, TABLES


def test_create_table_kwargs_declare_every_key_attribute_once() -> None:
    kwargs = BOOKS.to_create_table_kwargs("p")
    assert kwargs["TableName"] == "p-Books"
    declared = [a["AttributeName"] for a in kwargs["AttributeDefinitions"]]
    assert sorted(declared) == sorted(set(declared))
    index_keys = {k["AttributeName"] for k in kwargs["GlobalSecondaryIndexes"][0]["KeySchema"]}
    assert index_keys <= set(declared)
    assert kwargs["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    assert kwargs["BillingMode"] == "PAY_PER_REQUEST"


def test_cart_and_orders_have_customer_partitions() -> None:
    assert CART.key_names()[0] == ORDERS.key_names()[0]
    assert len(CART.key_names()) == len(ORDERS.key_names()) == 2
    assert [t.logical_name for t in TABLES] == ["Books", "Cart", "Orders"]


def full_env() -> dict[str, str]:
    env = {table_env_var(t): t.physical_name("x") for t in TABLES}
    return env | {"AWS_REGION": "eu-west-1", "REDIS_URL": "redis://127.0.0.1:6379/0"}


def test_settings_read_the_environment() -> None:
    settings = settings_from_env(full_env() | {"BOOKSTORE_REGION": "ap-southeast-1"})
    assert settings.region == "ap-southeast-1"
    assert settings.orders_table == "x-Orders"
    assert settings.site_origin == "*"


@pytest.mark.parametrize("missing", ["REDIS_URL", "ORDERS_TABLE", "AWS_REGION"])
def test_missing_settings_are_named(missing: str) -> None:
    env = full_env()
    del env[missing]
    with pytest.raises(SettingsError, match=missing.lower().replace("aws_", "")):
        settings_from_env(env)


@pytest.mark.parametrize("raw", ["60", "0", "-1", "nan", "inf", "soon", ""])
def test_a_timeout_outside_0_to_10_seconds_is_rejected(raw: str) -> None:
    with pytest.raises(SettingsError, match="redis_timeout_seconds"):
        settings_from_env(full_env() | {"REDIS_TIMEOUT_SECONDS": raw})


def test_timeouts_are_read_as_seconds() -> None:
    settings = settings_from_env(full_env() | {"HEALTH_TIMEOUT_SECONDS": "2.5"})
    assert settings.health_timeout_seconds == 2.5
    assert settings.redis_timeout_seconds == 1.0
