"""The shape of one sandbox: its settings, regions, ports, names and file locations.

The supervisor writes a `SandboxConfig` to its `config_file` (`.sandbox/<port-base>/`) before it
starts any child; every child reads that file, so ports and names are decided in exactly one
place. A setting is a field whose metadata holds its `Flag`: `bookstore sandbox` makes the
flag, the saved file carries the value, and loading needs no edit.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import tempfile
from collections.abc import Callable
from dataclasses import MISSING, Field, asdict, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

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
ROUTING_MODES: tuple[str, ...] = get_args(RoutingMode)
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

# Where tests and tools pick free port bases: below Linux's ephemeral range (32768 and up),
# so that no client socket of a busy machine takes one of the ports between pick and start.
FREE_PORT_BASES = range(20000, 32700, PORT_SPAN)

_T = TypeVar("_T")


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


class SandboxError(Exception):
    """Something a user can act on (a port in use, no sandbox running, a region that does not
    exist, ...); its message is one line, fit for the terminal."""


@dataclass(frozen=True)
class Flag:
    """How a setting appears on the command line: `bookstore sandbox up --<name> VALUE`
    (`every`: on every subcommand, as `--port-base` is)."""

    help: str
    name: str = ""
    parse: Callable[[str], Any] | None = None
    choices: tuple[str, ...] = ()
    metavar: str | None = None
    every: bool = False


def flag(help_text: str, **options: Any) -> dict[str, Flag]:
    """The metadata that makes a field of `SandboxConfig` a setting the user passes."""
    return {"flag": Flag(help_text, **options)}


def parse_port_base(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"not a port number: {text!r}") from None
    if not 1024 <= value <= 65535 - PORT_SPAN:
        raise ValueError(f"must lie in 1024..{65535 - PORT_SPAN}")
    return value


def parse_positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"not a number: {text!r}") from None
    if value <= 0:
        raise ValueError("must be positive")
    return value


def parse_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise ValueError("must be at least 1")
    return value


@dataclass(frozen=True)
class SandboxConfig:
    """Every setting of one sandbox (the fields with a `Flag` are the user's), what `up`
    learns while starting (the user pool, which redis-server), and where its files live."""

    port_base: int = field(
        default=DEFAULT_PORT_BASE,
        metadata=flag(
            f"the sandbox's ports lie in N..N+{PORT_SPAN - 1}",
            parse=parse_port_base,
            metavar="N",
            every=True,
        ),
    )
    # Follows the port base unless given (see `region_layout`).
    regions: tuple[RegionConfig, ...] = ()
    mode: RoutingMode = field(
        default="latency",
        metadata=flag("how the front door picks a region", choices=ROUTING_MODES),
    )
    near_region: str = field(
        default=PRIMARY_REGION,
        metadata=flag(
            "latency mode: the client's nearest region",
            name="near",
            choices=tuple(name for name, _role in REGION_ROLES),
        ),
    )
    health_interval: float = field(
        default=1.0,
        metadata=flag(
            "seconds between the front door's health checks",
            parse=parse_positive,
            metavar="SECONDS",
        ),
    )
    failure_threshold: int = field(
        default=3,
        metadata=flag("failed checks before a region is out", parse=parse_count, metavar="N"),
    )
    recovery_threshold: int = field(
        default=2,
        metadata=flag("good checks before a region is back", parse=parse_count, metavar="N"),
    )
    record_ttl: float | None = field(
        default=None,
        metadata=flag(
            "seconds a client keeps the region it was given (default: 6 x the health"
            " interval, as Route 53's 60 s TTL to its 10 s checks)",
            parse=parse_positive,
            metavar="SECONDS",
        ),
    )
    lambda_concurrency: int = field(
        default=8,
        metadata=flag(
            "execution environments per region, each its own process (Lambda's, scaled down)",
            parse=parse_count,
            metavar="N",
        ),
    )
    cognito: CognitoConfig = field(default_factory=CognitoConfig)
    redis_server: str = ""
    redis_source: str = ""
    # Where the state directories live; empty: $BOOKSTORE_SANDBOX_HOME, else `.sandbox/`.
    home: str = ""

    def __post_init__(self) -> None:
        if not self.regions:
            # Written this way because the dataclass is frozen; the ports follow the base.
            object.__setattr__(self, "regions", region_layout(self.port_base))

    @classmethod
    def settings(cls) -> tuple[Field[Any], ...]:
        """The fields a user sets, each with its `Flag` in `metadata["flag"]`."""
        return tuple(f for f in fields(cls) if "flag" in f.metadata)

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

    # -- where its files live (`.sandbox/<port-base>/`) -----------------------------------

    @property
    def state_dir(self) -> Path:
        return Path(self.home) / str(self.port_base) if self.home else state_dir(self.port_base)

    @property
    def config_file(self) -> Path:
        """This config as `up` started it; every child reads it."""
        return self.state_dir / "config.json"

    @property
    def state_file(self) -> Path:
        """The supervisor's pid, each child's pid/process group, the phase, the blog's state."""
        return self.state_dir / "state.json"

    @property
    def replicator_status_file(self) -> Path:
        """The replicator's figures and whether it has seen a pause (`writtenAt` says when)."""
        return self.state_dir / "replicator.json"

    @property
    def partition_flag(self) -> Path:
        """Present while replication is paused; the replicator checks it between steps."""
        return self.state_dir / "partitioned"

    @property
    def logs_dir(self) -> Path:
        """One `<child>.log` per process; kept after `down`."""
        return self.state_dir / "logs"

    @property
    def supervisor_log(self) -> Path:
        """The output of a detached supervisor."""
        return self.state_dir / "supervisor.log"

    def redis_dir(self, region: str) -> Path:
        return self.state_dir / f"redis-{region}"

    @property
    def transient_files(self) -> tuple[Path, ...]:
        """What `down` removes; the logs and the blog's data stay."""
        return (
            self.state_file,
            self.config_file,
            self.partition_flag,
            self.replicator_status_file,
        )

    @property
    def blog_state_dir(self) -> Path:
        """The blog's databases and WordPress files; kept across `down`/`up` (~2 s restart)."""
        return self.state_dir / "blog"

    @property
    def blog_pair_file(self) -> Path:
        """Written by the blog's first start (its absence means a fresh install)."""
        return self.blog_state_dir / "pair.json"

    @property
    def blog_logs_dir(self) -> Path:
        return self.blog_state_dir / "logs"

    @property
    def blog_public_url(self) -> str:
        return url(self.front_door_port, "/blog")

    def with_cognito(self, cognito: CognitoConfig) -> SandboxConfig:
        return replace(self, cognito=cognito)

    def save(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.config_file, asdict(self))

    @classmethod
    def load(cls, path: Path) -> SandboxConfig:
        """A saved config; a field missing from the file takes its default, and a file that
        lacks one without a default (written by an older version) is a SandboxError."""
        try:
            raw = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise SandboxError(f"cannot read the sandbox config {path}: {exc}") from None
        return from_json(cls, raw, path)


def from_json(cls: type[_T], raw: Any, path: Path) -> _T:
    """An instance of the dataclass `cls` from its `asdict` form, field by field as the class
    declares them (nested dataclasses and tuples of them included)."""
    if not isinstance(raw, dict):
        raise SandboxError(f"{path}: expected an object for {cls.__name__}, got {raw!r}")
    hints = get_type_hints(cls)
    values: dict[str, Any] = {}
    missing: list[str] = []
    for item in fields(cls):  # type: ignore[arg-type]
        if item.name in raw:
            values[item.name] = _from_json_value(hints[item.name], raw[item.name], path)
        elif item.default is MISSING and item.default_factory is MISSING:
            missing.append(item.name)
    if missing:
        raise SandboxError(
            f"{path} has no {', '.join(missing)} for {cls.__name__}: it was written by an older"
            " version; stop that sandbox with that version, or delete the file"
        )
    return cls(**values)


def _from_json_value(hint: Any, raw: Any, path: Path) -> Any:
    if isinstance(hint, type) and is_dataclass(hint):
        return from_json(hint, raw, path)
    if get_origin(hint) is tuple:
        item_hint = get_args(hint)[0]
        return tuple(_from_json_value(item_hint, item, path) for item in raw)
    return raw


def state_dir(port_base: int) -> Path:
    return state_root() / str(port_base)


def region_layout(port_base: int) -> tuple[RegionConfig, ...]:
    return tuple(
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


def build_config(port_base: int = DEFAULT_PORT_BASE, **options: Any) -> SandboxConfig:
    """The config of a sandbox on `port_base` with `options` (settings by field name)."""
    return SandboxConfig(port_base=port_base, **options)


# Held open for the life of the process: the lock on each reserved base's file.
_reserved: list[int] = []


def free_port_base(bases: range = FREE_PORT_BASES) -> int:
    """A port base whose whole span is free and that no other process picked: each pick holds
    a lock file in the temp directory until this process ends, so that test processes
    starting sandboxes at the same time (which bind only later) never share a span."""
    from sandbox.procs import port_in_use

    candidates = list(bases)
    random.shuffle(candidates)
    # Per user: another user's lock directory would not be writable (the bind check still
    # keeps apart the spans of two users' sandboxes that run).
    locks = Path(tempfile.gettempdir()) / f"bookstore-port-bases-{os.getuid()}"
    locks.mkdir(exist_ok=True)
    for base in candidates:
        fd = os.open(locks / str(base), os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        if not any(port_in_use(port) for port in range(base, base + PORT_SPAN)):
            _reserved.append(fd)
            return base
        os.close(fd)  # closing releases the lock
    raise SandboxError(f"no free port base in {bases.start}..{bases.stop - 1}")


def write_json_atomic(path: Path, data: Any) -> None:
    """Readers in other processes never see a half-written file."""
    tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
    tmp.replace(path)
