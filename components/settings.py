"""The stack configuration: every key the program reads, its default, and the clear error for
a missing or invalid one.

The defaults here are the ones documented in `Pulumi.yaml` and `docs/deploy.md`;
`tests/infra/test_settings.py` keeps the three in step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, cast

import pulumi

Role = Literal["primary", "secondary", "global"]
RoutingMode = Literal["latency", "failover"]
GLOBAL_REGION = "us-east-1"
ROLES: tuple[Role, ...] = ("primary", "secondary", "global")
ROUTING_MODES: tuple[RoutingMode, ...] = ("latency", "failover")
DB_ENDPOINTS = ("reader", "writer")
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip
"""The retention periods CloudWatch Logs accepts (0, "never expire", is refused on purpose)."""

NAMESPACE = "bookstore"

# key -> default; `None` marks a required key. Strings only: Pulumi config is text.
DEFAULTS: dict[str, str | None] = {
    "domain": None,
    "hostedZoneId": None,
    "primaryRegion": "eu-west-1",
    "secondaryRegion": "ap-southeast-1",
    "routingMode": "latency",
    "stackOrganization": "organization",
    "primaryStack": "primary",
    "secondaryStack": "secondary",
    "namePrefix": "bookstore",
    "deletionProtection": "true",
    "lambdaMemoryMb": "512",
    "apiThrottleRateLimit": "100",
    "apiThrottleBurstLimit": "200",
    "logRetentionDays": "30",
    "redisNodeType": "cache.t4g.micro",
    "redisNodes": "1",
    "auroraEngineVersion": "8.0.mysql_aurora.3.08.2",
    "auroraInstanceClass": "db.r6g.large",
    "blogImage": "wordpress:6.8.1-php8.3-apache",
    "blogCpu": "512",
    "blogMemoryMb": "1024",
    "blogDesiredCount": "1",
    "blogSecondaryDbEndpoint": "reader",
    "artifactDir": "build/lambda",
    "webDist": "web/dist",
    "alarmEmail": "",
}
SECRET_KEYS = ("blogDbPassword",)
"""Secrets the program reads: `blogDbPassword` in the primary stack, optional (Aurora global
databases cannot use RDS-managed master passwords, so without it the program makes one)."""


class ConfigError(Exception):
    """The stack configuration is incomplete or invalid; the message says what to set."""


@dataclass(frozen=True)
class Settings:
    role: Role
    stack: str
    project: str
    domain: str
    hosted_zone_id: str
    primary_region: str
    secondary_region: str
    routing_mode: RoutingMode
    stack_organization: str
    primary_stack: str
    secondary_stack: str
    name_prefix: str
    deletion_protection: bool
    lambda_memory_mb: int
    api_throttle_rate_limit: float
    api_throttle_burst_limit: int
    log_retention_days: int
    redis_node_type: str
    redis_nodes: int
    aurora_engine_version: str
    aurora_instance_class: str
    blog_image: str
    blog_cpu: int
    blog_memory_mb: int
    blog_desired_count: int
    blog_secondary_db_endpoint: Literal["reader", "writer"]
    artifact_dir: Path
    web_dist: Path
    alarm_email: str | None = None
    blog_db_password: pulumi.Output[str] | None = field(default=None, compare=False)

    @property
    def region(self) -> str:
        """The region this stack deploys its regional resources to."""
        return {
            "primary": self.primary_region,
            "secondary": self.secondary_region,
            # The global stack's only regional resource is CloudFront's certificate, which
            # must be in us-east-1.
            "global": GLOBAL_REGION,
        }[self.role]

    def stack_reference_name(self, stack: str) -> str:
        return f"{self.stack_organization}/{self.project}/{stack}"


def _set_hint(key: str) -> str:
    return f"`pulumi config set {NAMESPACE}:{key} <value>`"


def _text(config: pulumi.Config, key: str) -> str:
    value = config.get(key)
    if value is None or value == "":
        default = DEFAULTS[key]
        if default is None:
            raise ConfigError(
                f"missing required config {NAMESPACE}:{key}: set it with {_set_hint(key)}"
            )
        return default
    return value


# The prefix starts physical names AWS limits: the blog's load balancer and target group get
# `<prefix>-blog-p-alb-<7 random>` (32 at most), buckets and cache ids want lowercase.
NAME_PREFIX = re.compile(r"[a-z](?:[a-z0-9]|-(?=[a-z0-9])){0,12}")


# Names AWS reserves: a load balancer's may not start with `internal-`, a bucket's with
# `sthree-`, `amzn-s3-demo-` or `xn--`; the prefix is followed by `-` in every name it starts.
RESERVED_NAME_STARTS = ("internal-", "sthree-", "amzn-s3-demo-", "xn--")


def _name_prefix(config: pulumi.Config) -> str:
    value = _text(config, "namePrefix")
    if NAME_PREFIX.fullmatch(value) is None:
        raise ConfigError(
            f"config {NAMESPACE}:namePrefix must be 1 to 13 characters of a-z, 0-9 and single"
            f" '-', starting with a letter (got {value!r}): AWS limits the names it starts,"
            " e.g. load balancer names to 32 characters"
        )
    reserved = [start for start in RESERVED_NAME_STARTS if f"{value}-".startswith(start)]
    if reserved:
        raise ConfigError(
            f"config {NAMESPACE}:namePrefix {value!r} would start names with {reserved[0]!r},"
            " which AWS reserves (load balancer and bucket names): choose another prefix"
        )
    return value


def _email(config: pulumi.Config, key: str) -> str | None:
    value = _text(config, key).strip()
    if not value:
        return None
    if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value) is None:
        raise ConfigError(f"config {NAMESPACE}:{key} must be an e-mail address (got {value!r})")
    return value


def _int(config: pulumi.Config, key: str, minimum: int = 0) -> int:
    raw = _text(config, key)
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"config {NAMESPACE}:{key} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"config {NAMESPACE}:{key} must be at least {minimum}, got {value}")
    return value


def _retention(config: pulumi.Config) -> int:
    days = _int(config, "logRetentionDays", minimum=1)
    if days not in LOG_RETENTION_DAYS:
        raise ConfigError(
            f"config {NAMESPACE}:logRetentionDays must be one of the periods CloudWatch Logs "
            f"accepts ({', '.join(map(str, LOG_RETENTION_DAYS))}), got {days}"
        )
    return days


def _bool(config: pulumi.Config, key: str) -> bool:
    raw = _text(config, key).lower()
    if raw not in ("true", "false"):
        raise ConfigError(f"config {NAMESPACE}:{key} must be true or false, got {raw!r}")
    return raw == "true"


def _choice(config: pulumi.Config, key: str, choices: tuple[str, ...]) -> str:
    raw = _text(config, key)
    if raw not in choices:
        raise ConfigError(
            f"config {NAMESPACE}:{key} must be one of {'|'.join(choices)}, got {raw!r}"
        )
    return raw


def role_for_stack(stack: str, config: pulumi.Config) -> Role:
    """The stack's role: its name (`primary`, `secondary`, `global`) unless `bookstore:role`
    says otherwise (for stacks named per environment, e.g. `staging-primary`)."""
    role = config.get("role") or stack
    if role not in ROLES:
        raise ConfigError(
            f"unknown stack {stack!r}: name the stack primary, secondary or global, "
            f"or set its role with `pulumi config set {NAMESPACE}:role primary|secondary|global`"
        )
    return role


def load_settings(
    project_root: Path,
    *,
    stack: str | None = None,
    project: str | None = None,
    config: pulumi.Config | None = None,
) -> Settings:
    config = config or pulumi.Config(NAMESPACE)
    stack = stack or pulumi.get_stack()
    role = role_for_stack(stack, config)
    password = config.get_secret("blogDbPassword")
    primary_region = _text(config, "primaryRegion")
    secondary_region = _text(config, "secondaryRegion")
    if primary_region == secondary_region:
        raise ConfigError(
            f"config {NAMESPACE}:primaryRegion and {NAMESPACE}:secondaryRegion must differ "
            f"(both are {primary_region})"
        )
    return Settings(
        role=role,
        stack=stack,
        project=project or pulumi.get_project(),
        domain=_text(config, "domain").rstrip("."),
        hosted_zone_id=_text(config, "hostedZoneId"),
        primary_region=primary_region,
        secondary_region=secondary_region,
        routing_mode=cast(RoutingMode, _choice(config, "routingMode", ROUTING_MODES)),
        stack_organization=_text(config, "stackOrganization"),
        primary_stack=_text(config, "primaryStack"),
        secondary_stack=_text(config, "secondaryStack"),
        name_prefix=_name_prefix(config),
        deletion_protection=_bool(config, "deletionProtection"),
        lambda_memory_mb=_int(config, "lambdaMemoryMb", minimum=128),
        api_throttle_rate_limit=float(_int(config, "apiThrottleRateLimit", minimum=1)),
        api_throttle_burst_limit=_int(config, "apiThrottleBurstLimit", minimum=1),
        log_retention_days=_retention(config),
        redis_node_type=_text(config, "redisNodeType"),
        redis_nodes=_int(config, "redisNodes", minimum=1),
        aurora_engine_version=_text(config, "auroraEngineVersion"),
        aurora_instance_class=_text(config, "auroraInstanceClass"),
        blog_image=_text(config, "blogImage"),
        blog_cpu=_int(config, "blogCpu", minimum=256),
        blog_memory_mb=_int(config, "blogMemoryMb", minimum=512),
        blog_desired_count=_int(config, "blogDesiredCount", minimum=0),
        blog_secondary_db_endpoint=cast(
            Literal["reader", "writer"], _choice(config, "blogSecondaryDbEndpoint", DB_ENDPOINTS)
        ),
        artifact_dir=project_root / _text(config, "artifactDir"),
        web_dist=project_root / _text(config, "webDist"),
        alarm_email=_email(config, "alarmEmail"),
        blog_db_password=password,
    )
