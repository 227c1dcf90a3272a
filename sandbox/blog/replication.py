"""Replication between the pair's two MariaDB servers: setting it up on first start,
re-applying the roles after a restart, waiting for it, pausing it, and reporting on it.

The primary region's server takes writes; the other is a `read_only` replica fed by GTID
replication (`MASTER_USE_GTID=slave_pos`). WordPress connects as a user without `SUPER`, so
`read_only` binds it.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from sandbox import procs as proc
from sandbox.blog.db import DATABASE
from sandbox.blog.errors import BlogError, DatabaseError
from sandbox.blog.layout import PairLayout
from sandbox.config import HOST

REPL_USER = "repl"
# The replica retries its connection every second (MASTER_CONNECT_RETRY), so a start that
# finds it still not running after this long has met a real fault, not a slow primary.
REPLICATION_START_TIMEOUT = 20.0

DbRole = Literal["primary", "replica"]


def change_master(layout: PairLayout, source: str, secret: dict[str, Any]) -> str:
    """The statement that points a server at `source`'s database."""
    src = layout.region(source)
    return (
        f"CHANGE MASTER TO MASTER_HOST='{HOST}', MASTER_PORT={src.db_port}, "
        f"MASTER_USER='{REPL_USER}', MASTER_PASSWORD='{secret['replPassword']}', "
        # Heartbeats let a replica notice a frozen primary and report lag as unknown.
        "MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1, MASTER_USE_GTID=slave_pos"
    )


def init_replication(layout: PairLayout, primary: str, secret: dict[str, Any]) -> None:
    """First start: the WordPress database and its users on the primary; the replica follows."""
    replica = layout.other(primary).name
    pdb, rdb = layout.db(primary), layout.db(replica)
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
                f"CREATE USER '{REPL_USER}'@'127.0.0.1' IDENTIFIED BY '{secret['replPassword']}'",
                f"GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO '{REPL_USER}'@'127.0.0.1'",
            ]
        )
    )
    rdb.sql(
        "SET GLOBAL read_only=ON; SET GLOBAL gtid_slave_pos=''; "
        + change_master(layout, primary, secret)
        + "; START SLAVE"
    )


def apply_roles(layout: PairLayout, primary: str, secret: dict[str, Any]) -> None:
    """After a restart: read_only is not persistent, so set it again for the replica, and
    point its replication at the primary's port in case the ports changed. MariaDB restarts
    configured replication by itself; a replica left without replication (a detached old
    primary when the pair stopped) stays so until `rejoin`."""
    layout.db(primary).sql("SET GLOBAL read_only=OFF")
    replica = layout.other(primary).name
    rdb = layout.db(replica)
    rdb.sql("SET GLOBAL read_only=ON")
    row = rdb.vertical("SHOW SLAVE STATUS")
    if row and row.get("Master_Port") != str(layout.region(primary).db_port):
        rdb.sql("STOP SLAVE; " + change_master(layout, primary, secret) + "; START SLAVE")


def wait_running(
    layout: PairLayout, primary: str, timeout: float = REPLICATION_START_TIMEOUT
) -> None:
    """Return once the replica's IO and SQL threads both run; raise `BlogError` saying why
    when they do not within `timeout` (or stopped on an error, which no wait mends).

    Both servers start together, so the replica's first connection often meets a primary
    that is not listening yet and is retried a second later: without this wait a start
    could return while the replica still reports `error connecting to master`. A replica
    with no replication configured (a former primary detached by a failover) waits for
    `rejoin` instead, and is not waited for here."""
    replica = layout.other(primary).name
    db = layout.db(replica)
    deadline = time.monotonic() + timeout
    while True:
        row = db.vertical("SHOW SLAVE STATUS")
        if not row:
            return
        io, sql = row.get("Slave_IO_Running"), row.get("Slave_SQL_Running")
        if io == "Yes" and sql == "Yes":
            return
        stopped_on_error = (io == "No" and row.get("Last_IO_Errno", "0") != "0") or (
            sql == "No" and row.get("Last_SQL_Errno", "0") != "0"
        )
        if stopped_on_error or time.monotonic() >= deadline:
            error = row.get("Last_IO_Error") or row.get("Last_SQL_Error") or "no error reported"
            raise BlogError(
                f"replication from {primary} to {replica} is not running after "
                f"{timeout:g} s (IO thread {io}, SQL thread {sql}): {error}; see {db.log_path}"
            )
        time.sleep(0.1)


def wait_caught_up(layout: PairLayout, primary: str, timeout: float) -> bool:
    """Wait until the replica has applied everything the primary has; False on timeout."""
    position = layout.db(primary).value("SELECT @@gtid_binlog_pos") or ""
    replica = layout.db(layout.other(primary).name)
    if not position:
        return True
    result = replica.value(f"SELECT MASTER_GTID_WAIT('{position}', {timeout})", timeout=timeout + 5)
    return result == "0"


def pause(layout: PairLayout) -> None:
    """`bookstore sandbox partition`: the replica stops receiving (and keeps serving)."""
    with layout.locked():
        replica = layout.other(layout.load_state()["primary"]).name
        layout.db(replica).sql("STOP SLAVE IO_THREAD", timeout=10)


def resume(layout: PairLayout) -> None:
    """`bookstore sandbox heal`: the replica fetches what it missed and catches up."""
    with layout.locked():
        replica = layout.other(layout.load_state()["primary"]).name
        layout.db(replica).sql("START SLAVE", timeout=10)


def status(layout: PairLayout) -> dict[str, dict[str, Any]]:
    """Per region: `blog` (its WordPress URL), `dbRole`, `replicationLagSeconds` (None on
    the primary, or when the replica is not replicating), plus `replication` detail."""
    state = layout.load_state()
    processes = state.get("processes") or {}
    result: dict[str, dict[str, Any]] = {}
    for region in layout.regions:
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
            entry.update(replica_status(layout, region.name))
        result[region.name] = entry
    return result


def replica_status(layout: PairLayout, name: str) -> dict[str, Any]:
    try:
        row = layout.db(name).vertical("SHOW SLAVE STATUS", timeout=3)
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
