"""`bookstore sandbox status`: the running sandbox as typed values, its fixed JSON shape, and
the text and live line made from them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sandbox import procs
from sandbox.blog import BlogError
from sandbox.config import SandboxConfig
from sandbox.supervisor import attached_blog, front_door_status, running_state


@dataclass(frozen=True)
class ReplicationStatus:
    paused: bool
    applied: int = 0
    median_lag_ms: float | None = None
    # The replicator's last report as it wrote it (`applied`, lags, `queued`, `writtenAt`, ...).
    report: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {**self.report, "paused": self.paused}


@dataclass(frozen=True)
class BlogStatus:
    """The blog as a whole: whether it runs, its URL, the admin's credentials, or what to
    install. `recorded` is what the supervisor wrote about it (`stateDir`, `missing`, ...)."""

    status: str
    url: str | None = None
    database_primary: str | None = None
    admin: Mapping[str, Any] | None = None
    error: str | None = None
    recorded: Mapping[str, Any] = field(default_factory=dict)

    @property
    def install_hint(self) -> str | None:
        hint = self.recorded.get("installHint")
        return None if hint is None else str(hint)

    @property
    def reason(self) -> str | None:
        reason = self.recorded.get("reason")
        return None if reason is None else str(reason)

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "url": self.url,
            "admin": None if self.admin is None else dict(self.admin),
            "databasePrimary": self.database_primary,
            "error": self.error,
        }
        extra = {key: value for key, value in found.items() if value is not None}
        return {"status": self.status, **self.recorded, **extra}


@dataclass(frozen=True)
class RegionStatus:
    name: str
    role: str
    api: str
    aws_endpoint: str
    redis_url: str
    healthy: bool
    serving: bool
    outage: bool
    # The blog in this region (None without a blog): its WordPress directly, the role of its
    # database and the replication lag (seconds; None on the primary or while the replica
    # does not receive).
    blog_url: str | None = None
    db_role: str | None = None
    replication_lag_seconds: float | None = None
    blog_replication: str | None = None


@dataclass(frozen=True)
class SandboxStatus:
    config: SandboxConfig  # as the running sandbox saved it (ports, user pool, redis-server)
    phase: str | None
    replication: ReplicationStatus
    blog: BlogStatus
    regions: tuple[RegionStatus, ...]

    @property
    def front_door(self) -> str:
        return self.config.front_door_url

    def region(self, name: str) -> RegionStatus:
        for region in self.regions:
            if region.name == name:
                return region
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        """The fixed shape of `status --json`."""
        return {
            "frontDoor": self.front_door,
            "portBase": self.config.port_base,
            "phase": self.phase,
            "mode": self.config.mode,
            "replication": self.replication.to_json(),
            "blog": self.blog.to_json(),
            "regions": {r.name: self._region_json(r) for r in self.regions},
        }

    def _region_json(self, region: RegionStatus) -> dict[str, Any]:
        config = self.config
        return {
            "role": region.role,
            "api": region.api,
            "healthy": region.healthy,
            "serving": region.serving,
            "outage": region.outage,
            "cognito": {
                "endpoint": config.cognito_endpoint,
                "region": config.primary.name,
                "userPoolId": config.cognito.user_pool_id,
                "clientId": config.cognito.client_id,
                "motoEndpoint": config.primary.aws_endpoint,
            },
            "aws": {"endpoint": region.aws_endpoint},
            "redis": {"url": region.redis_url, "source": config.redis_source},
            "blog": region.blog_url,
            "dbRole": region.db_role,
            "replicationLagSeconds": region.replication_lag_seconds,
            "blogReplication": region.blog_replication,
        }


def region_frozen(state: Mapping[str, Any], region: str) -> bool:
    pids = [int(c["pid"]) for c in state["children"].values() if c.get("region") == region]
    return bool(pids) and all(procs.process_state(pid) == "T" for pid in pids)


def replication_status(config: SandboxConfig) -> ReplicationStatus:
    try:
        report: dict[str, Any] = json.loads(config.replicator_status_file.read_text())
    except (OSError, ValueError):
        report = {}
    report.pop("paused", None)
    lag = report.get("medianLagMs")
    return ReplicationStatus(
        paused=config.partition_flag.exists(),
        applied=int(report.get("applied") or 0),
        median_lag_ms=None if lag is None else float(lag),
        report=report,
    )


def blog_status(
    config: SandboxConfig, state: Mapping[str, Any]
) -> tuple[BlogStatus, dict[str, Any]]:
    """The blog as a whole, and what its pair says per region (empty without a blog)."""
    recorded = dict(state.get("blog") or {"status": "unknown"})
    recorded.pop("processGroups", None)
    status = str(recorded.pop("status", "unknown"))
    pair = attached_blog(config.port_base)
    if pair is None:
        return BlogStatus(status, recorded=recorded), {}
    found: dict[str, Any] = {"url": config.blog_public_url + "/"}
    regions: dict[str, Any] = {}
    try:
        found["admin"] = pair.admin_credentials()
        regions = pair.status()
        found["database_primary"] = pair.primary()
    except (BlogError, OSError, ValueError, KeyError) as exc:
        found["error"] = str(exc)
    return BlogStatus(status, recorded=recorded, **found), regions


def blog_region_fields(own: Mapping[str, Any]) -> dict[str, Any]:
    """One region of the blog pair's status as `RegionStatus` fields. Its `blog` is the URL,
    or (another shape of the same report) an object with the URL and the database role."""
    blog = own.get("blog")
    url, db_role = blog, own.get("dbRole")
    if isinstance(blog, Mapping):
        url, db_role = blog.get("url"), blog.get("dbRole", db_role)
    lag = own.get("replicationLagSeconds")
    return {
        "blog_url": None if url is None else str(url),
        "db_role": None if db_role is None else str(db_role),
        "replication_lag_seconds": None if lag is None else float(lag),
        "blog_replication": own.get("replication"),
    }


def sandbox_status(config: SandboxConfig) -> SandboxStatus:
    """The sandbox running on `config`'s port base, or SandboxError."""
    state = running_state(config.port_base)
    config = SandboxConfig.load(config.config_file)
    door = front_door_status(config) or {"regions": {}, "serving": None}
    blog, blog_regions = blog_status(config, state)
    regions = []
    for region in config.regions:
        seen = door["regions"].get(region.name, {})
        regions.append(
            RegionStatus(
                name=region.name,
                role=region.role,
                api=region.api_url,
                aws_endpoint=region.aws_endpoint,
                redis_url=region.redis_url,
                healthy=bool(seen.get("healthy", False)),
                serving=door.get("serving") == region.name,
                outage=region_frozen(state, region.name),
                **blog_region_fields(blog_regions.get(region.name) or {}),
            )
        )
    return SandboxStatus(
        config=config,
        phase=state.get("phase"),
        replication=replication_status(config),
        blog=blog,
        regions=tuple(regions),
    )


def status_text(status: SandboxStatus) -> str:
    config = status.config
    lines = [f"front door  {status.front_door}  (mode {config.mode}, phase {status.phase})"]
    for region in status.regions:
        flags = "OUTAGE" if region.outage else ("healthy" if region.healthy else "unhealthy")
        serving = ", serving" if region.serving else ""
        lines.append(
            f"{region.name:<15} {region.role:<9} {flags}{serving}  api {region.api}"
            f"  aws {region.aws_endpoint}  redis {region.redis_url}"
        )
    replication = status.replication
    lag = replication.median_lag_ms
    lines.append(
        "replication "
        + ("PAUSED (partition)" if replication.paused else "running")
        + (f", median lag {lag} ms" if lag is not None else "")
        + f", {replication.applied} writes applied"
    )
    lines.append(f"cognito     {config.cognito_endpoint}  pool {config.cognito.user_pool_id}")
    lines.append(f"redis from  {config.redis_source}")
    lines += blog_text(status)
    return "\n".join(lines)


def blog_text(status: SandboxStatus) -> list[str]:
    blog = status.blog
    if blog.status != "running":
        why = blog.install_hint or blog.reason or blog.status
        return [f"blog        not running: {why}"]
    lines = [f"blog        {blog.url}  (database primary {blog.database_primary})"]
    for region in status.regions:
        lag = region.replication_lag_seconds
        lag_text = f", lag {lag:.0f} s" if lag is not None else ""
        lines.append(
            f"  {region.name:<15} {region.db_role or '?':<8} {region.blog_url}"
            f"  replication {region.blog_replication}{lag_text}"
        )
    admin = blog.admin or {}
    if admin:
        lines.append(
            f"  admin {admin.get('user')} / {admin.get('password')}  ({admin.get('loginUrl')});"
            f" REST application password: {admin.get('applicationPassword')}"
        )
    if blog.error:
        lines.append(f"  error: {blog.error}")
    return lines


def status_line(config: SandboxConfig) -> str:
    try:
        status = sandbox_status(config)
    except Exception as exc:
        return f"status unavailable: {exc}"
    parts = []
    for region in status.regions:
        mark = "OUT" if region.outage else ("up" if region.healthy else "DOWN")
        parts.append(f"{region.name} {mark}{' *' if region.serving else ''}")
    lag = status.replication.median_lag_ms
    if status.replication.paused:
        parts.append("replication PAUSED")
    else:
        parts.append("replication " + (f"lag {lag:.0f} ms" if lag is not None else "idle"))
    if status.blog.status == "running":
        parts.append(f"blog primary {status.blog.database_primary}")
    else:
        parts.append(f"blog {status.blog.status}")
    return f"{status.front_door}  " + " | ".join(parts)
