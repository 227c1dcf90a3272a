"""`bookstore sandbox status`: the fixed JSON shape of design section 5, and the live line."""

from __future__ import annotations

import json
from typing import Any

from sandbox import procs
from sandbox.blog import BlogError
from sandbox.config import SandboxConfig
from sandbox.supervisor import attached_blog, front_door_status, load_config, running_state


def region_frozen(state: dict[str, Any], region: str) -> bool:
    pids = [int(c["pid"]) for c in state["children"].values() if c.get("region") == region]
    return bool(pids) and all(procs.process_state(pid) == "T" for pid in pids)


def replication_status(config: SandboxConfig) -> dict[str, Any]:
    try:
        status: dict[str, Any] = json.loads((config.state_dir / "replicator.json").read_text())
    except (OSError, ValueError):
        status = {}
    status["paused"] = (config.state_dir / "partitioned").exists()
    return status


def blog_status(port_base: int, config: SandboxConfig, state: dict[str, Any]) -> dict[str, Any]:
    """The blog as a whole (top level of `status --json`): whether it runs, its URL, the
    admin's credentials, or what to install; `regions` holds the per-region part."""
    info = dict(state.get("blog") or {"status": "unknown"})
    info.pop("processGroups", None)
    result: dict[str, Any] = {"status": info.pop("status", "unknown"), **info, "regions": {}}
    pair = attached_blog(port_base)
    if pair is None:
        return result
    result["url"] = config.blog_public_url + "/"
    try:
        result["admin"] = pair.admin_credentials()
        result["regions"] = pair.status()
        result["databasePrimary"] = pair.primary()
    except (BlogError, OSError, ValueError, KeyError) as exc:
        result["error"] = str(exc)
    return result


def sandbox_status(port_base: int) -> dict[str, Any]:
    state = running_state(port_base)
    config = load_config(port_base)
    door = front_door_status(config) or {"regions": {}, "serving": None}
    blog = blog_status(port_base, config, state)
    regions: dict[str, Any] = {}
    for region in config.regions:
        seen = door["regions"].get(region.name, {})
        regions[region.name] = {
            "role": region.role,
            "api": region.api_url,
            "healthy": bool(seen.get("healthy", False)),
            "serving": door.get("serving") == region.name,
            "outage": region_frozen(state, region.name),
            "cognito": {
                "endpoint": config.cognito_endpoint,
                "region": config.primary.name,
                "userPoolId": config.cognito.user_pool_id,
                "clientId": config.cognito.client_id,
                "motoEndpoint": config.primary.aws_endpoint,
            },
            "aws": {"endpoint": region.aws_endpoint},
            "redis": {"url": region.redis_url, "source": config.redis_source},
        }
        # The blog, per region (None without a blog): its WordPress directly, the role of
        # its database and the replication lag (seconds, None on the primary or while the
        # replica does not receive).
        own = blog["regions"].get(region.name) or {}
        regions[region.name].update(
            {
                "blog": own.get("blog"),
                "dbRole": own.get("dbRole"),
                "replicationLagSeconds": own.get("replicationLagSeconds"),
                "blogReplication": own.get("replication"),
            }
        )
    blog_top = {k: v for k, v in blog.items() if k != "regions"}
    return {
        "frontDoor": config.front_door_url,
        "portBase": config.port_base,
        "phase": state.get("phase"),
        "mode": config.mode,
        "replication": replication_status(config),
        "blog": blog_top,
        "regions": regions,
    }


def status_text(status: dict[str, Any]) -> str:
    lines = [f"front door  {status['frontDoor']}  (mode {status['mode']}, phase {status['phase']})"]
    for name, region in status["regions"].items():
        flags = "OUTAGE" if region["outage"] else ("healthy" if region["healthy"] else "unhealthy")
        serving = ", serving" if region["serving"] else ""
        lines.append(
            f"{name:<15} {region['role']:<9} {flags}{serving}  api {region['api']}"
            f"  aws {region['aws']['endpoint']}  redis {region['redis']['url']}"
        )
    replication = status["replication"]
    lag = replication.get("medianLagMs")
    lines.append(
        "replication "
        + ("PAUSED (partition)" if replication["paused"] else "running")
        + (f", median lag {lag} ms" if lag is not None else "")
        + f", {replication.get('applied', 0)} writes applied"
    )
    first = next(iter(status["regions"].values()))
    lines.append(
        f"cognito     {first['cognito']['endpoint']}  pool {first['cognito']['userPoolId']}"
    )
    lines.append(f"redis from  {first['redis']['source']}")
    lines += blog_text(status)
    return "\n".join(lines)


def blog_text(status: dict[str, Any]) -> list[str]:
    blog = status.get("blog") or {}
    if blog.get("status") != "running":
        why = blog.get("installHint") or blog.get("reason") or blog.get("status")
        return [f"blog        not running: {why}"]
    lines = [f"blog        {blog.get('url')}  (database primary {blog.get('databasePrimary')})"]
    for name, region in status["regions"].items():
        lag = region.get("replicationLagSeconds")
        lag_text = f", lag {lag:.0f} s" if lag is not None else ""
        lines.append(
            f"  {name:<15} {region.get('dbRole') or '?':<8} {region.get('blog')}"
            f"  replication {region.get('blogReplication')}{lag_text}"
        )
    admin = blog.get("admin") or {}
    if admin:
        lines.append(
            f"  admin {admin.get('user')} / {admin.get('password')}  ({admin.get('loginUrl')});"
            f" REST application password: {admin.get('applicationPassword')}"
        )
    if blog.get("error"):
        lines.append(f"  error: {blog['error']}")
    return lines


def status_line(port_base: int) -> str:
    try:
        status = sandbox_status(port_base)
    except Exception as exc:
        return f"status unavailable: {exc}"
    parts = []
    for name, region in status["regions"].items():
        mark = "OUT" if region["outage"] else ("up" if region["healthy"] else "DOWN")
        parts.append(f"{name} {mark}{' *' if region['serving'] else ''}")
    replication = status["replication"]
    lag = replication.get("medianLagMs")
    if replication["paused"]:
        parts.append("replication PAUSED")
    else:
        parts.append("replication " + (f"lag {lag:.0f} ms" if lag is not None else "idle"))
    blog = status.get("blog") or {}
    if blog.get("status") == "running":
        parts.append(f"blog primary {blog.get('databasePrimary')}")
    else:
        parts.append(f"blog {blog.get('status')}")
    return f"{status['frontDoor']}  " + " | ".join(parts)
