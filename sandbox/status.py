"""`bookstore sandbox status`: the fixed JSON shape of design section 5, and the live line."""

from __future__ import annotations

import json
from typing import Any

from sandbox import procs
from sandbox.config import SandboxConfig
from sandbox.supervisor import front_door_status, load_config, running_state


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


def sandbox_status(port_base: int) -> dict[str, Any]:
    state = running_state(port_base)
    config = load_config(port_base)
    door = front_door_status(config) or {"regions": {}, "serving": None}
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
    return {
        "frontDoor": config.front_door_url,
        "portBase": config.port_base,
        "phase": state.get("phase"),
        "mode": config.mode,
        "replication": replication_status(config),
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
    return "\n".join(lines)


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
    return f"{status['frontDoor']}  " + " | ".join(parts)
