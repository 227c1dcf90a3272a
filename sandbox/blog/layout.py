"""Where a blog pair keeps everything: its two regions and their ports, the directories under
its state dir, the state file (`pair.json`), the secrets (`secrets.json`) and the file lock.

Every job of the pair (`servers`, `replication`, `failover`, `recovery`) works on a
`PairLayout` and the state dict loaded from it, so any process that can read the state dir
can drive the pair.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sandbox.blog import php
from sandbox.blog.db import MariaDB
from sandbox.config import HOST, build_config


@dataclass(frozen=True)
class BlogRegion:
    """One region of the blog: its name and the two ports it needs on 127.0.0.1."""

    name: str
    db_port: int
    http_port: int

    @property
    def url(self) -> str:
        """This region's WordPress, directly (the front door proxies `/blog/` here)."""
        return f"http://{HOST}:{self.http_port}{php.PREFIX}"


def regions_for(port_base: int, names: Sequence[str]) -> list[BlogRegion]:
    """The blog's regions at the sandbox's port layout, `names[0]` the initial primary."""
    layout = build_config(port_base).regions
    return [
        BlogRegion(name, db_port=region.blog_db_port, http_port=region.blog_http_port)
        for name, region in zip(names, layout, strict=True)
    ]


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


def write_json(path: Path, data: Any, mode: int = 0o644) -> None:
    """Readers in other processes never see a half-written file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
    tmp.replace(path)


def record_event(state: dict[str, Any], what: str, **detail: Any) -> None:
    history = state.setdefault("history", [])
    history.append({"at": now(), "event": what, **detail})
    del history[:-50]


class PairLayout:
    """Two regions' WordPress over a replicated MariaDB pair; `regions[0]` starts as primary."""

    def __init__(self, state_dir: Path, regions: Sequence[BlogRegion], public_url: str) -> None:
        if len(regions) != 2 or regions[0].name == regions[1].name:
            raise ValueError("a blog pair has exactly two regions with different names")
        self.state_dir = Path(state_dir).resolve()
        self.regions = tuple(regions)
        self.public_url = public_url.rstrip("/")
        if not self.public_url.endswith(php.PREFIX):
            raise ValueError(
                f"the public URL must end with {php.PREFIX} (the front door passes it on)"
            )

    # -- files ------------------------------------------------------------------------------

    @property
    def state_path(self) -> Path:
        return self.state_dir / "pair.json"

    @property
    def secrets_path(self) -> Path:
        return self.state_dir / "secrets.json"

    @property
    def logs(self) -> Path:
        return self.state_dir / "logs"

    @property
    def recovery_dir(self) -> Path:
        """Snapshots of failed primaries taken before they are rebuilt (Aurora keeps one too)."""
        return self.state_dir / "recovery"

    @property
    def db_template(self) -> Path:
        return self.state_dir / "db-template"

    def www(self, name: str) -> Path:
        return self.state_dir / f"www-{name}"

    def abspath(self, name: str) -> Path:
        return self.www(name) / php.PREFIX.strip("/")

    # -- regions ----------------------------------------------------------------------------

    def region(self, name: str) -> BlogRegion:
        for region in self.regions:
            if region.name == name:
                return region
        raise KeyError(f"no blog region {name!r}; there are {[r.name for r in self.regions]}")

    def other(self, name: str) -> BlogRegion:
        self.region(name)
        return next(r for r in self.regions if r.name != name)

    def db(self, name: str) -> MariaDB:
        index = [r.name for r in self.regions].index(name)
        region = self.regions[index]
        # server-id follows the region, not the role, so GTIDs say where a write happened.
        return MariaDB(self.state_dir / f"db-{name}", region.db_port, server_id=index + 1)

    # -- state --------------------------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Serialises changes across processes; not re-entrant (flock per open file)."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with (self.state_dir / "pair.lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def load_state(self) -> dict[str, Any]:
        try:
            state: dict[str, Any] = json.loads(self.state_path.read_text())
        except FileNotFoundError:
            state = {"primary": self.regions[0].name, "installed": False, "processes": {}}
        return state

    def save_state(self, state: dict[str, Any]) -> None:
        state["regions"] = [
            {"name": r.name, "dbPort": r.db_port, "httpPort": r.http_port} for r in self.regions
        ]
        state["publicUrl"] = self.public_url
        write_json(self.state_path, state)

    def secrets(self) -> dict[str, Any]:
        """Generated once per state directory; readable by the owner only."""
        try:
            data: dict[str, Any] = json.loads(self.secrets_path.read_text())
            return data
        except FileNotFoundError:
            pass
        data = {
            "dbPassword": secrets.token_urlsafe(18),
            "replPassword": secrets.token_urlsafe(18),
            "adminPassword": secrets.token_urlsafe(15),
            "salts": php.new_salts(),
        }
        self.state_dir.mkdir(parents=True, exist_ok=True)
        write_json(self.secrets_path, data, mode=0o600)
        return data

    def save_secrets(self, data: dict[str, Any]) -> None:
        write_json(self.secrets_path, data, mode=0o600)

    def tool(self, region: str, command: str, payload: dict[str, Any]) -> Any:
        """Run the WordPress command-line helper against `region`'s WordPress."""
        tool = self.state_dir / "wp-tool.php"
        return php.run_tool(tool, self.abspath(region), region, command, payload)


def attach_layout(state_dir: Path) -> tuple[Path, list[BlogRegion], str]:
    """The constructor arguments of the pair whose state lives in `state_dir`."""
    raw = json.loads((Path(state_dir) / "pair.json").read_text())
    regions = [BlogRegion(r["name"], r["dbPort"], r["httpPort"]) for r in raw["regions"]]
    return Path(state_dir), regions, str(raw["publicUrl"])
