"""Stack configuration: documented defaults, and clear errors naming what to set."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pulumi
import pytest
import yaml  # type: ignore[import-untyped]

from components.settings import DEFAULTS, SECRET_KEYS, ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = {"bookstore:domain": "books.example.com", "bookstore:hostedZoneId": "Z1"}


def _load(stack: str, config: dict[str, str]) -> object:
    asyncio.set_event_loop(asyncio.new_event_loop())
    pulumi.runtime.set_all_config(config, secret_keys=[])
    return load_settings(ROOT, stack=stack, project="bookstore")


def test_pulumi_yaml_documents_every_key_with_the_same_default() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "bookstore"
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["virtualenv"] == ".venv"
    declared = project["config"]
    assert set(declared) == set(DEFAULTS)
    for key, default in DEFAULTS.items():
        assert declared[key].get("default") == default, key
        assert declared[key]["description"], key


def test_deploy_guide_documents_every_key() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text()
    for key in [*DEFAULTS, *SECRET_KEYS, "role"]:
        assert f"`{key}`" in guide, key


@pytest.mark.parametrize(
    ("stack", "region"),
    [("primary", "eu-west-1"), ("secondary", "ap-southeast-1"), ("global", "us-east-1")],
)
def test_stack_files_set_the_provider_region(stack: str, region: str) -> None:
    stack_file = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    assert stack_file["config"]["aws:region"] == region
    settings = _load(stack, {**REQUIRED, "bookstore:blogDbPassword": "x" * 16})
    assert settings.region == region  # type: ignore[attr-defined]


def test_defaults() -> None:
    settings = _load("secondary", REQUIRED)
    assert settings.routing_mode == "latency"  # type: ignore[attr-defined]
    assert settings.stack_reference_name("primary") == "organization/bookstore/primary"  # type: ignore[attr-defined]
    assert settings.deletion_protection is True  # type: ignore[attr-defined]
    assert settings.artifact_dir == ROOT / "build" / "lambda"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "prefix", ["bookstore-staging", "Bookstore", "9lives", "shop-", "my--shop", "a b", "shop_1"]
)
def test_a_name_prefix_aws_would_refuse_is_a_config_error(prefix: str) -> None:
    with pytest.raises(ConfigError, match=r"namePrefix must be 1 to 13 characters"):
        _load("global", {**REQUIRED, "bookstore:namePrefix": prefix})


@pytest.mark.parametrize(
    ("prefix", "start"),
    [
        ("internal", "internal-"),
        ("internal-shop", "internal-"),
        ("sthree", "sthree-"),
        ("amzn-s3-demo", "amzn-s3-demo-"),
    ],
)
def test_a_name_prefix_starting_a_reserved_name_is_a_config_error(prefix: str, start: str) -> None:
    with pytest.raises(ConfigError, match=f"would start names with '{start}'.*choose another"):
        _load("global", {**REQUIRED, "bookstore:namePrefix": prefix})


@pytest.mark.parametrize(
    ("value", "expected"), [("", None), (" ops@example.com ", "ops@example.com")]
)
def test_alarm_email_is_optional(value: str, expected: str | None) -> None:
    settings = _load("secondary", {**REQUIRED, "bookstore:alarmEmail": value})
    assert settings.alarm_email == expected  # type: ignore[attr-defined]


@pytest.mark.parametrize("value", ["ops", "ops@", "@example.com", "a b@example.com"])
def test_an_alarm_email_that_is_not_an_address_is_a_config_error(value: str) -> None:
    with pytest.raises(ConfigError, match="alarmEmail must be an e-mail address"):
        _load("secondary", {**REQUIRED, "bookstore:alarmEmail": value})


@pytest.mark.parametrize(
    "prefix", ["b", "shop", "bookstore-stg", "a1-b2-c3", "internals", "sthreeshop"]
)
def test_name_prefixes_that_fit_are_taken(prefix: str) -> None:
    settings = _load("global", {**REQUIRED, "bookstore:namePrefix": prefix})
    assert settings.name_prefix == prefix  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("stack", "config", "message"),
    [
        ("dev", REQUIRED, "unknown stack 'dev'"),
        (
            "secondary",
            {"bookstore:hostedZoneId": "Z1"},
            "set it with `pulumi config set bookstore:domain",
        ),
        ("secondary", {"bookstore:domain": "d"}, "bookstore:hostedZoneId"),
        ("global", {**REQUIRED, "bookstore:routingMode": "geo"}, "latency|failover"),
        ("global", {**REQUIRED, "bookstore:redisNodes": "two"}, "must be an integer"),
        ("global", {**REQUIRED, "bookstore:deletionProtection": "yes"}, "true or false"),
        (
            "global",
            {**REQUIRED, "bookstore:logRetentionDays": "45"},
            "logRetentionDays must be one of the periods CloudWatch Logs accepts",
        ),
        ("global", {**REQUIRED, "bookstore:logRetentionDays": "0"}, "must be at least 1"),
        (
            "global",
            {**REQUIRED, "bookstore:secondaryRegion": "eu-west-1"},
            "primaryRegion and bookstore:secondaryRegion must differ",
        ),
    ],
)
def test_invalid_configuration_names_what_to_set(
    stack: str, config: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        _load(stack, config)
    assert message in str(info.value)


def test_role_override_for_environment_stacks() -> None:
    settings = _load("staging-global", {**REQUIRED, "bookstore:role": "global"})
    assert settings.role == "global"  # type: ignore[attr-defined]
