"""`BlogPair`: WordPress in two regions over a MariaDB primary and its asynchronous GTID replica.

This is the sandbox's stand-in for WordPress on Fargate over an Aurora MySQL global database:

- the primary region's MariaDB takes writes; the other region's is a read-only replica fed by
  GTID replication (binlog, `log-slave-updates`, strict mode), so it lags by milliseconds and
  keeps serving reads in its own region;
- `promote(region)` is a managed failover: the replica applies what it already received, stops
  replicating and becomes writable;
- `rejoin(region)` brings a failed primary back as a replica of the new one. If it holds
  transactions that never replicated (written just before the outage), it is fenced, a
  snapshot is kept, the posts only it had are written again on the new primary through
  WordPress, and it is rebuilt from a dump of the new primary. No post is lost either way.

Every method works from any process (the supervisor that started the pair, or a CLI command):
what the pair needs to know lives in `<state_dir>/pair.json` and `secrets.json`, and changes
are serialised by a file lock. The work is done by one module per job: `servers` (start and
stop), `replication`, `failover` (promotion) and `recovery` (rejoin); `layout` holds the files.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sandbox.blog import failover, recovery, replication, servers
from sandbox.blog.layout import BlogRegion, PairLayout, attach_layout, regions_for
from sandbox.blog.servers import ADMIN_USER

__all__ = ["BlogPair", "BlogRegion", "regions_for"]


class BlogPair(PairLayout):
    """Two regions' WordPress over a replicated MariaDB pair; `regions[0]` starts as primary."""

    def __init__(self, state_dir: Path, regions: Sequence[BlogRegion], public_url: str) -> None:
        super().__init__(state_dir, regions, public_url)
        # The servers this object started, so that stop() can reap them (no zombies left).
        self._children: list[subprocess.Popen[bytes]] = []

    @classmethod
    def attach(cls, state_dir: Path) -> BlogPair:
        """The pair whose state lives in `state_dir` (started by this or another process)."""
        return cls(*attach_layout(state_dir))

    # -- servers ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start both regions (on first use: install); returns once WordPress listens in both
        and the replica replicates, or raises `BlogError`. Idempotent."""
        servers.start(self, self._children)

    def stop(self) -> None:
        """Stop every process of both regions (frozen ones too); the data stays for a restart."""
        servers.stop(self, self._children)

    def wipe(self) -> None:
        """Stop and delete every file of the pair (databases, snapshots, logs)."""
        self.stop()
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def pids(self, region: str) -> list[int]:
        """Every live process of the region, group leaders first (see `servers.pids`)."""
        return servers.pids(self, region)

    def process_groups(self, region: str) -> list[int]:
        """The region's process-group ids (one per server), for `os.killpg`."""
        return servers.process_groups(self, region)

    # -- replication, failover, rejoin --------------------------------------------------------

    def status(self) -> dict[str, dict[str, Any]]:
        """Per region: `blog`, `dbRole`, `replicationLagSeconds`, `replication`."""
        return replication.status(self)

    def pause_replication(self) -> None:
        replication.pause(self)

    def resume_replication(self) -> None:
        replication.resume(self)

    def promote(self, region: str) -> dict[str, Any]:
        """Make `region`'s database the writable primary (see `failover.promote`)."""
        return failover.promote(self, region)

    def rejoin(self, region: str) -> dict[str, Any]:
        """Bring a former primary back as a replica, losing no post (see `recovery.rejoin`)."""
        return recovery.rejoin(self, region)

    def reconcile(self, healthy: Mapping[str, bool]) -> dict[str, Any] | None:
        """Promote or rejoin as region health says (see `failover.reconcile`)."""
        return failover.reconcile(self, healthy)

    # -- what the front door and the operator need --------------------------------------------

    def primary(self) -> str:
        return str(self.load_state()["primary"])

    def admin_credentials(self) -> dict[str, str]:
        """The WordPress admin: `user`, `password` (for wp-login), `applicationPassword` (HTTP
        Basic auth on the REST API, e.g. `curl -u admin:'<it>'`), and `loginUrl`."""
        secret = self.secrets()
        return {
            "user": ADMIN_USER,
            "password": str(secret["adminPassword"]),
            "applicationPassword": str(secret.get("applicationPassword", "")),
            "loginUrl": f"{self.public_url}/wp-login.php",
        }
