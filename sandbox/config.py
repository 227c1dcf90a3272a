"""The shape of one sandbox: its regions, ports, names and file locations.

The supervisor writes a `SandboxConfig` to `.sandbox/<port-base>/config.json` before it starts
any child; every child reads that file, so ports and names are decided in exactly one place.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

HOST = "127.0.0.1"
DEFAULT_PORT_BASE = 8700
PORT_SPAN = 100
PRIMARY_REGION = "eu-west-1"
SECONDARY_REGION = "ap-southeast-1"
TABLE_PREFIX = "bookstore"
ACCOUNT_ID = "123456789012"
# moto accepts any credentials; fixed ones keep the children's environment reproducible.
AWS_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "sandbox", "AWS_SECRET_ACCESS_KEY": "sandbox"}

RoutingMode = Literal["latency", "failover"]
Role = Literal["primary", "secondary"]
REGION_ROLES: tuple[tuple[str, Role], ...] = (
    (PRIMARY_REGION, "primary"),
    (SECONDARY_REGION, "secondary"),
)

# Port layout inside N..N+99: the front door at N, region i at N+10*(i+1) + offset.
FRONT_DOOR_OFFSET = 0
MOTO_OFFSET = 0
REDIS_OFFSET = 1
GATEWAY_OFFSET = 2
# The blog tier (`sandbox.blog`): the region's MariaDB and its WordPress (PHP's server).
BLOG_DB_OFFSET = 3
BLOG_HTTP_OFFSET = 4


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def state_root() -> Path:
    return Path(os.environ.get("BOOKSTORE_SANDBOX_HOME", repo_root() / ".sandbox"))


def url(port: int, path: str = "") -> str:
    return f"http://{HOST}:{port}{path}"


@dataclass(frozen=True)
class RegionConfig:
    name: str
    role: Role
    moto_port: int
    redis_port: int
    gateway_port: int
    # 0 in a config written before the blog joined the sandbox.
    blog_db_port: int = 0
    blog_http_port: int = 0

    @property
    def blog_url(self) -> str:
        """This region's WordPress, directly (the front door proxies `/blog/` to it)."""
        return url(self.blog_http_port, "/blog")

    @property
    def aws_endpoint(self) -> str:
        return url(self.moto_port)

    @property
    def redis_url(self) -> str:
        return f"redis://{HOST}:{self.redis_port}/0"

    @property
    def api_url(self) -> str:
        return url(self.gateway_port)

    @property
    def site_bucket(self) -> str:
        return f"{TABLE_PREFIX}-site-{self.name}"


@dataclass(frozen=True)
class CognitoConfig:
    user_pool_id: str = ""
    client_id: str = ""

    @property
    def issuer(self) -> str:
        # moto issues tokens as the real service would, for the pool's region.
        region = self.user_pool_id.split("_", 1)[0]
        return f"https://cognito-idp.{region}.amazonaws.com/{self.user_pool_id}"


@dataclass(frozen=True)
class SandboxConfig:
    port_base: int
    regions: tuple[RegionConfig, ...]
    mode: RoutingMode = "latency"
    near_region: str = PRIMARY_REGION
    health_interval: float = 1.0
    failure_threshold: int = 3
    recovery_threshold: int = 2
    record_ttl: float | None = None  # None: 6 x health_interval, as AWS's 60 s TTL to 10 s checks
    lambda_concurrency: int = 8  # execution environments per region, each its own process
    cognito: CognitoConfig = field(default_factory=CognitoConfig)
    redis_server: str = ""
    redis_source: str = ""

    @property
    def front_door_port(self) -> int:
        return self.port_base + FRONT_DOOR_OFFSET

    @property
    def front_door_url(self) -> str:
        return url(self.front_door_port)

    @property
    def cognito_endpoint(self) -> str:
        """Where clients talk to Cognito: the front door's auto-confirming proxy."""
        return url(self.front_door_port, "/cognito")

    @property
    def primary(self) -> RegionConfig:
        return next(r for r in self.regions if r.role == "primary")

    def region(self, name: str) -> RegionConfig:
        for region in self.regions:
            if region.name == name:
                return region
        raise KeyError(name)

    def other(self, name: str) -> RegionConfig:
        return next(r for r in self.regions if r.name != name)

    def ports(self) -> list[int]:
        ports = [self.front_door_port]
        for r in self.regions:
            ports += [r.moto_port, r.redis_port, r.gateway_port]
            ports += [p for p in (r.blog_db_port, r.blog_http_port) if p]
        return ports

    @property
    def state_dir(self) -> Path:
        return state_dir(self.port_base)

    @property
    def blog_state_dir(self) -> Path:
        """The blog's databases and WordPress files; kept across `down`/`up` (~2 s restart)."""
        return self.state_dir / "blog"

    @property
    def blog_public_url(self) -> str:
        return url(self.front_door_port, "/blog")

    def with_cognito(self, cognito: CognitoConfig) -> SandboxConfig:
        return replace(self, cognito=cognito)

    def save(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.state_dir / "config.json", asdict(self))

    @classmethod
    def load(cls, path: Path) -> SandboxConfig:
        raw = json.loads(path.read_text())
        return cls(
            port_base=raw["port_base"],
            regions=tuple(RegionConfig(**r) for r in raw["regions"]),
            mode=raw["mode"],
            near_region=raw["near_region"],
            health_interval=raw["health_interval"],
            failure_threshold=raw["failure_threshold"],
            recovery_threshold=raw["recovery_threshold"],
            cognito=CognitoConfig(**raw["cognito"]),
            redis_server=raw["redis_server"],
            redis_source=raw["redis_source"],
        )


def state_dir(port_base: int) -> Path:
    return state_root() / str(port_base)


def build_config(port_base: int = DEFAULT_PORT_BASE, **options: Any) -> SandboxConfig:
    regions = tuple(
        RegionConfig(
            name=name,
            role=role,
            moto_port=port_base + 10 * (i + 1) + MOTO_OFFSET,
            redis_port=port_base + 10 * (i + 1) + REDIS_OFFSET,
            gateway_port=port_base + 10 * (i + 1) + GATEWAY_OFFSET,
            blog_db_port=port_base + 10 * (i + 1) + BLOG_DB_OFFSET,
            blog_http_port=port_base + 10 * (i + 1) + BLOG_HTTP_OFFSET,
        )
        for i, (name, role) in enumerate(REGION_ROLES)
    )
    return SandboxConfig(port_base=port_base, regions=regions, **options)


def write_json_atomic(path: Path, data: Any) -> None:
    """Readers in other processes never see a half-written file."""
    tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
    tmp.replace(path)
