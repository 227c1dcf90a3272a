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
are serialised by a file lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sandbox import procs as proc
from sandbox.blog import php
from sandbox.blog.content import seed_posts
from sandbox.blog.db import DATABASE, MariaDB, bootstrap_template, parse_gtid_list
from sandbox.blog.deps import binary, find_missing, install_hint
from sandbox.blog.errors import BlogError, DatabaseError
from sandbox.config import HOST

STARTUP_TIMEOUT = 60.0
REPL_USER = "repl"
ADMIN_USER = "admin"
ADMIN_EMAIL = "admin@bookstore.invalid"
SITE_TITLE = "Bookstore Blog"
TAGLINE = "Reviews and reading lists from the Multi-Region Bookstore"

DbRole = Literal["primary", "replica"]


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


# Suggested place in the sandbox's port layout (region i uses N+10*(i+1)+offset; offsets 0-2
# are moto, Redis and the gateway).
DB_PORT_OFFSET = 3
HTTP_PORT_OFFSET = 4


def regions_for(port_base: int, names: Sequence[str]) -> list[BlogRegion]:
    """The blog's regions at the sandbox's port layout, `names[0]` the initial primary."""
    return [
        BlogRegion(
            name,
            db_port=port_base + 10 * (i + 1) + DB_PORT_OFFSET,
            http_port=port_base + 10 * (i + 1) + HTTP_PORT_OFFSET,
        )
        for i, name in enumerate(names)
    ]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _write_json(path: Path, data: Any, mode: int = 0o644) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
    tmp.replace(path)


class BlogPair:
    """Two regions' WordPress over a replicated MariaDB pair; `regions[0]` starts as primary."""

    def __init__(self, state_dir: Path, regions: Sequence[BlogRegion], public_url: str) -> None:
        if len(regions) != 2 or regions[0].name == regions[1].name:
            raise ValueError("a blog pair has exactly two regions with different names")
        self.state_dir = Path(state_dir).resolve()
        self.regions = tuple(regions)
        self.public_url = public_url.rstrip("/")
        # The servers this object started, so that stop() can reap them (no zombies left).
        self._children: list[subprocess.Popen[bytes]] = []
        if not self.public_url.endswith(php.PREFIX):
            raise ValueError(
                f"the public URL must end with {php.PREFIX} (the front door passes it on)"
            )

    # -- construction from a running pair ---------------------------------------------------

    @classmethod
    def attach(cls, state_dir: Path) -> BlogPair:
        """The pair whose state lives in `state_dir` (started by this or another process)."""
        raw = json.loads((Path(state_dir) / "pair.json").read_text())
        regions = [BlogRegion(r["name"], r["dbPort"], r["httpPort"]) for r in raw["regions"]]
        return cls(state_dir, regions, raw["publicUrl"])

    # -- files --------------------------------------------------------------------------------

    @property
    def _state_path(self) -> Path:
        return self.state_dir / "pair.json"

    @property
    def _secrets_path(self) -> Path:
        return self.state_dir / "secrets.json"

    @property
    def logs(self) -> Path:
        return self.state_dir / "logs"

    @property
    def recovery_dir(self) -> Path:
        """Snapshots of failed primaries taken before they are rebuilt (Aurora keeps one too)."""
        return self.state_dir / "recovery"

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

    def _www(self, name: str) -> Path:
        return self.state_dir / f"www-{name}"

    def _abspath(self, name: str) -> Path:
        return self._www(name) / php.PREFIX.strip("/")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with (self.state_dir / "pair.lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _load_state(self) -> dict[str, Any]:
        try:
            state: dict[str, Any] = json.loads(self._state_path.read_text())
        except FileNotFoundError:
            state = {"primary": self.regions[0].name, "installed": False, "processes": {}}
        return state

    def _save_state(self, state: dict[str, Any]) -> None:
        state["regions"] = [
            {"name": r.name, "dbPort": r.db_port, "httpPort": r.http_port} for r in self.regions
        ]
        state["publicUrl"] = self.public_url
        _write_json(self._state_path, state)

    def _secrets(self) -> dict[str, Any]:
        """Generated once per state directory; readable by the owner only."""
        try:
            data: dict[str, Any] = json.loads(self._secrets_path.read_text())
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
        _write_json(self._secrets_path, data, mode=0o600)
        return data

    # -- start / stop ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start both regions; on first use also create the databases, replication and WordPress.

        Idempotent: with the state of an earlier run it restarts the servers on the same data
        and re-applies the roles; when everything is already running it does nothing.
        """
        missing = find_missing()
        if missing:
            raise BlogError("the blog needs packages that are missing: " + install_hint(missing))
        with self._locked():
            state = self._load_state()
            known = [r["name"] for r in state.get("regions", [])]
            if known and known != [r.name for r in self.regions]:
                raise BlogError(
                    f"{self.state_dir} holds a blog pair for regions {known}; use another state dir"
                )
            if self._running(state):
                return
            self._stop_processes(state)
            busy = [
                port
                for r in self.regions
                for port in (r.db_port, r.http_port)
                if proc.port_listening(port)
            ]
            if busy:
                raise BlogError(f"port(s) {busy} on 127.0.0.1 already in use; the blog needs them")
            try:
                self._start_locked(state)
            except BaseException:
                self._stop_processes(state)
                self._save_state(state)
                raise

    def _start_locked(self, state: dict[str, Any]) -> None:
        secret = self._secrets()
        self.logs.mkdir(parents=True, exist_ok=True)
        fresh = not state.get("installed")
        if fresh:
            # A half-made pair from an interrupted first start is not worth repairing.
            for region in self.regions:
                shutil.rmtree(self.db(region.name).directory, ignore_errors=True)
            state["primary"] = self.regions[0].name
        template = self.state_dir / "db-template"
        for region in self.regions:
            db = self.db(region.name)
            db.write_options()
            if not db.datadir.exists():
                if not template.exists():
                    bootstrap_template(template, self.logs / "mariadb-install-db.log")
                db.bootstrap_from(template)
        processes: dict[str, dict[str, int]] = {}
        state["processes"] = processes
        started = []
        for region in self.regions:
            db = self.db(region.name)
            server = proc.spawn(db.command(), self.logs / f"mariadbd-{region.name}.log")
            self._children.append(server)
            processes[region.name] = {"db": server.pid}
            started.append((db, server))
        self._save_state(state)
        for db, server in started:
            self._wait(
                lambda db=db, server=server: self._db_up(db, server), f"MariaDB on {db.port}"
            )
        shutil.rmtree(template, ignore_errors=True)
        primary = state["primary"]
        if fresh:
            self._init_replication(primary, secret)
        else:
            self._apply_roles(primary, secret)
        mu_dir, _tool = php.write_support_files(self.state_dir)
        for region in self.regions:
            config = php.wp_config(
                region=region.name,
                db_port=region.db_port,
                db_password=secret["dbPassword"],
                public_url=self.public_url,
                abspath=self._abspath(region.name),
                mu_plugin_dir=mu_dir,
                salts=secret["salts"],
            )
            php.build_docroot(self._www(region.name), config)
        if fresh:
            result = self._tool(
                primary,
                "install",
                {
                    "title": SITE_TITLE,
                    "tagline": TAGLINE,
                    "user": ADMIN_USER,
                    "email": ADMIN_EMAIL,
                    "password": secret["adminPassword"],
                    "posts": seed_posts(),
                },
            )
            if result.get("installed"):
                secret["applicationPassword"] = result["applicationPassword"]
                _write_json(self._secrets_path, secret, mode=0o600)
            self._wait_replica_caught_up(primary, timeout=15)
            state["installed"] = True
            state["seededPosts"] = len(result.get("postIds", []))
            self._event(state, "installed", primary=primary)
        servers = []
        for region in self.regions:
            www = self._www(region.name)
            argv = [
                binary("php"),
                "-S",
                f"{HOST}:{region.http_port}",
                "-t",
                str(www),
                "-d",
                "display_errors=0",
                "-d",
                "log_errors=1",
                "-d",
                f"error_log={self.logs / f'php-{region.name}-errors.log'}",
                "-d",
                "memory_limit=256M",
                "-d",
                "opcache.enable_cli=1",
                str(www / "router.php"),
            ]
            server = proc.spawn(argv, self.logs / f"php-{region.name}.log", php.php_env(), cwd=www)
            self._children.append(server)
            processes[region.name]["http"] = server.pid
            servers.append((region, server))
        self._save_state(state)
        for region, server in servers:

            def up(region: BlogRegion = region, server: subprocess.Popen[bytes] = server) -> bool:
                if server.poll() is not None:
                    raise BlogError(f"PHP server for {region.name} exited; see {self.logs}")
                return proc.port_listening(region.http_port)

            self._wait(up, f"WordPress on {region.http_port}")

    def _db_up(self, db: MariaDB, server: subprocess.Popen[bytes]) -> bool:
        if server.poll() is not None:
            raise BlogError(f"mariadbd on port {db.port} exited at start; see {db.log_path}")
        return db.ready()

    @staticmethod
    def _wait(predicate: Any, what: str) -> None:
        try:
            proc.wait_until(predicate, STARTUP_TIMEOUT, what, interval=0.1)
        except TimeoutError as exc:
            raise BlogError(str(exc)) from exc

    def _running(self, state: dict[str, Any]) -> bool:
        processes = state.get("processes") or {}
        pids = [pid for region in processes.values() for pid in region.values()]
        return len(pids) == 4 and all(proc.pid_alive(pid) for pid in pids)

    def stop(self) -> None:
        """Stop every process of both regions (frozen ones too); the data stays for a restart."""
        with self._locked():
            state = self._load_state()
            self._stop_processes(state)
            if self._state_path.exists():
                self._save_state(state)

    def _stop_processes(self, state: dict[str, Any]) -> None:
        processes: dict[str, dict[str, int]] = state.get("processes") or {}
        # WordPress first, so no request meets a stopping database; then both databases.
        for kind in ("http", "db"):
            groups = [r[kind] for r in processes.values() if r.get(kind) is not None]
            proc.stop_groups(groups, timeout=15)
        for child in self._children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=2)
        self._children.clear()
        state["processes"] = {}

    def wipe(self) -> None:
        """Stop and delete every file of the pair (databases, snapshots, logs)."""
        self.stop()
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def pids(self, region: str) -> list[int]:
        """Every live process of the region (both servers and PHP's workers), group leaders
        first. Each leader is its own process group: `os.killpg(leader, SIGSTOP)` reaches all."""
        self.region(region)
        processes = self._load_state().get("processes") or {}
        leaders = list((processes.get(region) or {}).values())
        return [pid for leader in leaders for pid in proc.group_members(leader)]

    def process_groups(self, region: str) -> list[int]:
        """The region's process-group ids (one per server), for `os.killpg`."""
        self.region(region)
        processes = self._load_state().get("processes") or {}
        return [pid for pid in (processes.get(region) or {}).values() if proc.pid_alive(pid)]

    # -- replication ----------------------------------------------------------------------------

    def _change_master(self, replica: str, source: str, secret: dict[str, Any]) -> str:
        src = self.region(source)
        return (
            f"CHANGE MASTER TO MASTER_HOST='{HOST}', MASTER_PORT={src.db_port}, "
            f"MASTER_USER='{REPL_USER}', MASTER_PASSWORD='{secret['replPassword']}', "
            # Heartbeats let a replica notice a frozen primary and report lag as unknown.
            "MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1, MASTER_USE_GTID=slave_pos"
        )

    def _init_replication(self, primary: str, secret: dict[str, Any]) -> None:
        replica = self.other(primary).name
        pdb, rdb = self.db(primary), self.db(replica)
        # Both datadirs are copies of one bootstrap: start both histories empty, so the
        # replica replays exactly what the primary does from here on.
        for db in (pdb, rdb):
            db.sql("RESET MASTER")
        users = []
        for host in ("127.0.0.1", "localhost"):
            users += [
                f"CREATE USER 'wordpress'@'{host}' IDENTIFIED BY '{secret['dbPassword']}'",
                f"GRANT ALL PRIVILEGES ON {DATABASE}.* TO 'wordpress'@'{host}'",
            ]
        pdb.sql(
            "; ".join(
                [
                    f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
                    *users,
                    f"CREATE USER '{REPL_USER}'@'127.0.0.1' "
                    f"IDENTIFIED BY '{secret['replPassword']}'",
                    f"GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO '{REPL_USER}'@'127.0.0.1'",
                ]
            )
        )
        rdb.sql(
            "SET GLOBAL read_only=ON; SET GLOBAL gtid_slave_pos=''; "
            + self._change_master(replica, primary, secret)
            + "; START SLAVE"
        )

    def _apply_roles(self, primary: str, secret: dict[str, Any]) -> None:
        """After a restart: read_only is not persistent, so set it again for the replica, and
        point its replication at the primary's port in case the ports changed. MariaDB restarts
        configured replication by itself; a replica left without replication (a detached old
        primary when the pair stopped) stays so until `rejoin`."""
        self.db(primary).sql("SET GLOBAL read_only=OFF")
        replica = self.other(primary).name
        rdb = self.db(replica)
        rdb.sql("SET GLOBAL read_only=ON")
        row = rdb.vertical("SHOW SLAVE STATUS")
        if row and row.get("Master_Port") != str(self.region(primary).db_port):
            rdb.sql(
                "STOP SLAVE; " + self._change_master(replica, primary, secret) + "; START SLAVE"
            )

    def _wait_replica_caught_up(self, primary: str, timeout: float) -> bool:
        position = self.db(primary).value("SELECT @@gtid_binlog_pos") or ""
        replica = self.db(self.other(primary).name)
        if not position:
            return True
        result = replica.value(
            f"SELECT MASTER_GTID_WAIT('{position}', {timeout})", timeout=timeout + 5
        )
        return result == "0"

    def promote(self, region: str) -> dict[str, Any]:
        """Make `region`'s database the writable primary, as an Aurora global failover does.

        The replica applies every transaction it has already received (waiting up to 5 s),
        stops replicating and leaves read-only mode. The old primary:

        - frozen or down (an outage): left alone; it stays detached until `rejoin`;
        - still answering (a planned switchover): fenced first (read-only), the replica waits
          until it has all of its transactions (up to 10 s), and it is made a replica of the
          new primary at once, so nothing is lost and no `rejoin` is needed.

        Returns what happened (`action`: "promoted", "switched over" or "none").
        """
        self.region(region)
        with self._locked():
            state = self._load_state()
            db = self.db(region)
            try:
                replica_status = db.vertical("SHOW SLAVE STATUS")
            except DatabaseError as exc:
                raise BlogError(f"cannot promote {region}: its database does not answer") from exc
            if state.get("primary") == region and not replica_status:
                db.sql("SET GLOBAL read_only=OFF")
                return {"region": region, "action": "none", "reason": "already the primary"}
            old = self.other(region).name
            fenced_at = self._fence(old, state)
            target = fenced_at if fenced_at is not None else replica_status.get("Gtid_IO_Pos", "")
            drained = True
            if target:
                wait = 10 if fenced_at is not None else 5
                drained = (
                    db.value(f"SELECT MASTER_GTID_WAIT('{target}', {wait})", timeout=wait + 10)
                    == "0"
                )
            db.sql("STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=OFF")
            applied = db.value("SELECT @@gtid_slave_pos") or ""
            state["primary"] = region
            # The highest post id this region had at failover: ids above it on the old
            # primary were written there after replication stopped (see rejoin).
            state["failover"] = {
                "at": _now(),
                "from": old,
                "to": region,
                "appliedGtid": applied,
                "postsHighWater": self._posts_high_water(db),
            }
            self._event(state, "promoted", region=region, previous=old, applied=applied)
            report: dict[str, Any] = {
                "region": region,
                "action": "promoted",
                "previousPrimary": old,
                "previousPrimaryFenced": fenced_at is not None,
                "appliedGtid": applied,
                "relayDrained": drained,
            }
            if fenced_at is not None and drained:
                report["action"] = "switched over"
                report["rejoin"] = self._rejoin_locked(state, old)
            self._save_state(state)
            return report

    def _fence(self, region: str, state: dict[str, Any]) -> str | None:
        """Make a still-running server read-only; its binlog position, or None when it is
        frozen or down (then it cannot take writes anyway until it is thawed)."""
        pid = (state.get("processes", {}).get(region) or {}).get("db")
        if pid is None or not proc.pid_alive(pid) or proc.process_state(pid) == "T":
            return None
        db = self.db(region)
        try:
            db.sql("SET GLOBAL read_only=ON", timeout=3)
            return db.value("SELECT @@gtid_binlog_pos", timeout=3) or ""
        except DatabaseError:
            return None

    def reconcile(self, healthy: Mapping[str, bool]) -> dict[str, Any] | None:
        """Follow the front door's view of region health, as Aurora global failover would:
        promote the replica when the primary's region is unhealthy and the replica's is
        healthy; rejoin a healthy former primary that is not replicating. Cheap when nothing
        is to be done (one status query), so a supervisor can call it every health interval.
        Returns what it did, or None."""
        state = self._load_state()
        primary = state["primary"]
        standby = self.other(primary).name
        if (
            not healthy.get(primary, True)
            and healthy.get(standby, False)
            and not self._frozen(state, standby)
        ):
            return {"promoted": self.promote(standby)}
        if healthy.get(standby, False) and not self._frozen(state, standby):
            try:
                row = self.db(standby).vertical("SHOW SLAVE STATUS", timeout=3)
            except DatabaseError:
                return None
            if row.get("Master_Port") != str(self.region(primary).db_port):
                return {"rejoined": self.rejoin(standby)}
        return None

    @staticmethod
    def _frozen(state: dict[str, Any], region: str) -> bool:
        pids = list((state.get("processes", {}).get(region) or {}).values())
        return not pids or any(proc.process_state(pid) in ("T", "", "Z") for pid in pids)

    def pause_replication(self) -> None:
        """`bookstore sandbox partition`: the replica stops receiving (and keeps serving)."""
        with self._locked():
            replica = self.other(self._load_state()["primary"]).name
            self.db(replica).sql("STOP SLAVE IO_THREAD", timeout=10)

    def resume_replication(self) -> None:
        """`bookstore sandbox heal`: the replica fetches what it missed and catches up."""
        with self._locked():
            replica = self.other(self._load_state()["primary"]).name
            self.db(replica).sql("START SLAVE", timeout=10)

    @staticmethod
    def _posts_high_water(db: MariaDB) -> int:
        with contextlib.suppress(DatabaseError, ValueError, TypeError):
            # DATABASE is a constant of this module, not input.
            query = f"SELECT COALESCE(MAX(ID), 0) FROM {DATABASE}.wp_posts"  # noqa: S608
            return int(db.value(query) or 0)
        return 0

    def rejoin(self, region: str) -> dict[str, Any]:
        """Bring `region` (a failed former primary, now running again) back as a read-only
        replica of the current primary, losing no post.

        1. Fence it at once (read_only) so its WordPress takes no more writes.
        2. Compare GTID histories. If everything it has is also in the primary's binlog,
           it simply resumes replication from its own position.
        3. Otherwise it holds errant transactions (acknowledged writes that never replicated).
           A snapshot (`recovery/<time>-<region>-snapshot.sql`) is dumped; posts that exist
           only there are written again on the new primary through WordPress (new ids, same
           content, dates and terms); posts edited only there are updated on the new primary
           unless it edited them later (then the newer edit wins and the snapshot keeps the
           other); then the region is rebuilt from a dump of the new primary and replicates.
        """
        self.region(region)
        with self._locked():
            state = self._load_state()
            report = self._rejoin_locked(state, region)
            self._save_state(state)
            return report

    def _rejoin_locked(self, state: dict[str, Any], region: str) -> dict[str, Any]:
        primary = state["primary"]
        if primary == region:
            raise BlogError(f"{region} is the primary; promote {self.other(region).name} first")
        secret = self._secrets()
        old, new = self.db(region), self.db(primary)
        try:
            old.sql("SET GLOBAL read_only=ON", timeout=5)
        except DatabaseError as exc:
            raise BlogError(f"{region}'s database does not answer (still frozen?): {exc}") from exc
        status = old.vertical("SHOW SLAVE STATUS")
        if (
            status.get("Master_Port") == str(new.port)
            and status.get("Slave_IO_Running") in ("Yes", "Connecting")
            and status.get("Slave_SQL_Running") == "Yes"
        ):
            return {"region": region, "primary": primary, "action": "none"}
        theirs = parse_gtid_list(new.value("SELECT @@gtid_binlog_state"))
        ours = parse_gtid_list(old.value("SELECT @@gtid_binlog_state"))
        # GTIDs of one server id in one domain are ordered, so "we have server s up to n,
        # they only up to m < n" means n's and those before it down to m+1 never arrived.
        errant = [
            f"{d}-{s}-{theirs.get((d, s), 0) + 1}..{n}"
            for (d, s), n in ours.items()
            if theirs.get((d, s), 0) < n
        ]
        report: dict[str, Any] = {"region": region, "primary": primary}
        if not errant and self._resume(old, region, primary, secret):
            report["action"] = "resumed"
        else:
            report["action"] = "rebuilt"
            report["errantGtids"] = sorted(errant)
            report.update(self._recover_and_rebuild(state, region, primary, secret))
        self._wait_replica_caught_up(primary, timeout=10)
        self._event(state, "rejoined", **report)
        return report

    def _resume(self, old: MariaDB, region: str, primary: str, secret: dict[str, Any]) -> bool:
        """Replicate from our own binlog position; False if the primary cannot serve it."""
        old.sql(
            "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL gtid_slave_pos=@@gtid_binlog_pos; "
            + self._change_master(region, primary, secret)
            + "; START SLAVE"
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            status = old.vertical("SHOW SLAVE STATUS")
            if status.get("Last_IO_Errno", "0") != "0" or status.get("Last_SQL_Errno", "0") != "0":
                old.sql("STOP SLAVE")
                return False
            if status.get("Slave_IO_Running") == "Yes" and status.get("Slave_SQL_Running") == "Yes":
                return True
            time.sleep(0.1)
        old.sql("STOP SLAVE")
        return False

    def _recover_and_rebuild(
        self, state: dict[str, Any], region: str, primary: str, secret: dict[str, Any]
    ) -> dict[str, Any]:
        old, new = self.db(region), self.db(primary)
        self.recovery_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        snapshot = self.recovery_dir / f"{stamp}-{region}-snapshot.sql"
        old.dump(snapshot)
        theirs = {p["id"]: p for p in self._tool(primary, "export-posts", {})}
        failover = state.get("failover") or {}
        high_water = (
            int(failover.get("postsHighWater") or 0) if failover.get("from") == region else 0
        )
        to_import: list[dict[str, Any]] = []
        recovered, updated, kept, deleted = [], [], [], []
        for post in self._tool(region, "export-posts", {}):
            match = theirs.get(post["id"])
            if match is None:
                # Ids up to the high-water mark existed on the new primary at failover; if one
                # is gone now it was deleted there on purpose, and stays deleted.
                if post["id"] > high_water:
                    to_import.append(post)
                    recovered.append(post["title"])
                else:
                    deleted.append(post["title"])
                continue
            same_post = (
                match["date_gmt"] == post["date_gmt"]
                and match["type"] == post["type"]
                and (match["slug"] == post["slug"] or not match["slug"] or not post["slug"])
            )
            if not same_post:
                # Both primaries gave this id to a different post (after a double failover).
                to_import.append(post)
                recovered.append(post["title"])
                continue
            fields = ("title", "content", "excerpt", "status")
            if any(post[f] != match[f] for f in fields):
                if post["modified_gmt"] > match["modified_gmt"]:
                    to_import.append({**post, "replace": match["id"]})
                    updated.append(post["title"])
                else:
                    kept.append(post["title"])
        if to_import:
            self._tool(primary, "import-posts", {"posts": to_import})
        dump = self.recovery_dir / f"{stamp}-{primary}-copy.sql"
        new.dump(dump)
        # mariadb-dump prints the position it read under its lock near the end of the file.
        found = re.findall(r"SET GLOBAL gtid_slave_pos='([^']*)'", dump.read_text(errors="replace"))
        if not found:
            raise BlogError(
                f"no GTID position in the dump of {primary}; rebuild of {region} stopped"
            )
        position = found[-1]
        binlog_state = self._history_at(new, position)
        old.sql(
            f"STOP SLAVE; RESET SLAVE ALL; SET SESSION sql_log_bin=0; "
            f"DROP DATABASE IF EXISTS {DATABASE}; "
            f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
        old.load(dump)
        dump.unlink()
        # The rebuilt server's history starts at the dump's position: an empty binlog that
        # claims it, so that a later failover to this server can resume the other from there.
        old.sql(
            f"RESET MASTER; SET GLOBAL gtid_binlog_state='{binlog_state}'; "
            f"SET GLOBAL gtid_slave_pos='{position}'; "
            + self._change_master(region, primary, secret)
            + "; START SLAVE"
        )
        return {
            "snapshot": str(snapshot),
            "recoveredPosts": recovered,
            "updatedPosts": updated,
            "keptNewerOnPrimary": kept,
            "deletedOnPrimary": deleted,
        }

    @staticmethod
    def _history_at(source: MariaDB, position: str) -> str:
        """The binlog state to give a server rebuilt from `source`'s dump at `position`: the
        last GTID of every server id that `source` had seen by then, the position last, so
        that a later rejoin can tell that all of it is shared history and not errant."""
        limit = {d: n for (d, _s), n in parse_gtid_list(position).items()}
        seen = parse_gtid_list(source.value("SELECT @@gtid_binlog_state"))
        last = {(d, s): n for (d, s), n in parse_gtid_list(position).items()}
        earlier = [
            f"{d}-{s}-{n}"
            for (d, s), n in sorted(seen.items())
            if d in limit and n < limit[d] and (d, s) not in last
        ]
        return ",".join(earlier + [f"{d}-{s}-{n}" for (d, s), n in last.items()])

    # -- WordPress command-line tool ---------------------------------------------------------------

    def _tool(self, region: str, command: str, payload: dict[str, Any]) -> Any:
        argv = [
            binary("php"),
            "-d",
            "memory_limit=256M",
            "-d",
            "display_errors=stderr",
            str(self.state_dir / "wp-tool.php"),
            str(self._abspath(region)),
            command,
        ]
        done = subprocess.run(
            argv,
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=self._abspath(region),
        )
        if done.returncode != 0:
            raise BlogError(
                f"WordPress {command} in {region} failed ({done.returncode}): "
                + (done.stderr.strip() or done.stdout.strip())[-2000:]
            )
        lines = done.stdout.strip().splitlines()
        return json.loads(lines[-1]) if lines else None

    # -- status ---------------------------------------------------------------------------------

    def status(self) -> dict[str, dict[str, Any]]:
        """Per region: `blog` (its WordPress URL), `dbRole`, `replicationLagSeconds` (None on
        the primary, or when the replica is not replicating), plus `replication` detail."""
        state = self._load_state()
        processes = state.get("processes") or {}
        result: dict[str, dict[str, Any]] = {}
        for region in self.regions:
            role: DbRole = "primary" if state.get("primary") == region.name else "replica"
            entry: dict[str, Any] = {
                "blog": region.url,
                "dbRole": role,
                "replicationLagSeconds": None,
                "replication": "primary" if role == "primary" else "unknown",
            }
            db_pid = (processes.get(region.name) or {}).get("db")
            if db_pid is None or not proc.pid_alive(db_pid):
                entry["replication"] = "stopped"
            elif proc.process_state(db_pid) == "T":
                # A frozen server would never answer; say so instead of waiting for it.
                entry["replication"] = "unreachable (outage)"
            elif role == "replica":
                entry.update(self._replica_status(region.name))
            result[region.name] = entry
        return result

    def _replica_status(self, name: str) -> dict[str, Any]:
        try:
            row = self.db(name).vertical("SHOW SLAVE STATUS", timeout=3)
        except DatabaseError:
            return {"replication": "unreachable"}
        if not row:
            return {"replication": "detached (former primary, waiting for rejoin)"}
        io, sql = row.get("Slave_IO_Running"), row.get("Slave_SQL_Running")
        lag = row.get("Seconds_Behind_Master", "NULL")
        error = row.get("Last_IO_Error") or row.get("Last_SQL_Error")
        if io == "Yes" and sql == "Yes":
            text = "running"
        elif error:
            text = f"error: {error}"
        elif io == "No" and sql == "Yes":
            text = "paused"
        elif io == "Connecting":
            text = "connecting (primary unreachable)"
        else:
            text = f"io={io} sql={sql}"
        return {
            "replication": text,
            "replicationLagSeconds": float(lag) if lag.isdigit() and io == "Yes" else None,
            "gtidReceived": row.get("Gtid_IO_Pos", ""),
        }

    def primary(self) -> str:
        return str(self._load_state()["primary"])

    def upstreams(self, method: str, healthy: Mapping[str, bool]) -> list[BlogRegion]:
        """Where the front door should send a `/blog/...` request, in the order to try them.

        Reads: the region whose database is primary first (so an editor reads their own
        writes), then the other; unhealthy regions last. Writes go to one region only, the
        first of that list: after a failover that is the promoted one; before it, the replica
        region answers 503 `blog_read_only`, which says what is going on. Reads only the state
        file, so it is cheap enough to call per request."""
        primary = self.primary()
        ordered = sorted(self.regions, key=lambda r: r.name != primary)
        live = [r for r in ordered if healthy.get(r.name, True)]
        ranked = live + [r for r in ordered if r not in live]
        if method.upper() in ("GET", "HEAD", "OPTIONS"):
            return ranked
        return ranked[:1]

    def admin_credentials(self) -> dict[str, str]:
        """The WordPress admin: `user`, `password` (for wp-login), `applicationPassword` (HTTP
        Basic auth on the REST API, e.g. `curl -u admin:'<it>'`), and `loginUrl`."""
        secret = self._secrets()
        return {
            "user": ADMIN_USER,
            "password": str(secret["adminPassword"]),
            "applicationPassword": str(secret.get("applicationPassword", "")),
            "loginUrl": f"{self.public_url}/wp-login.php",
        }

    def _event(self, state: dict[str, Any], what: str, **detail: Any) -> None:
        history = state.setdefault("history", [])
        history.append({"at": _now(), "event": what, **detail})
        del history[:-50]


def freeze(pair: BlogPair, region: str) -> None:
    """SIGSTOP every process of the region (what `bookstore sandbox outage` does)."""
    for group in pair.process_groups(region):
        proc.signal_group(group, signal.SIGSTOP)


def thaw(pair: BlogPair, region: str) -> None:
    for group in pair.process_groups(region):
        proc.signal_group(group, signal.SIGCONT)
