"""Failover: promote the replica region's database to primary, as an Aurora global failover
does, and `reconcile`, which promotes or rejoins as the front door's view of region health
says.

A frozen old primary is left alone (detached) until `recovery.rejoin`; one that still answers
makes the promotion a planned switchover: it is fenced, the replica drains it, and it becomes
a replica at once, losing nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from sandbox import procs as proc
from sandbox.blog import recovery
from sandbox.blog.db import DATABASE, MariaDB
from sandbox.blog.errors import BlogError, DatabaseError
from sandbox.blog.layout import PairLayout, now, record_event
from sandbox.blog.servers import frozen


def promote(layout: PairLayout, region: str) -> dict[str, Any]:
    """Make `region`'s database the writable primary, as an Aurora global failover does.

    The replica applies every transaction it has already received (waiting up to 5 s),
    stops replicating and leaves read-only mode. The old primary:

    - frozen or down (an outage): left alone; it stays detached until `rejoin`;
    - still answering (a planned switchover): fenced first (read-only), the replica waits
      until it has all of its transactions (up to 10 s), and it is made a replica of the
      new primary at once, so nothing is lost and no `rejoin` is needed.

    Returns what happened (`action`: "promoted", "switched over" or "none").
    """
    layout.region(region)
    with layout.locked():
        state = layout.load_state()
        report = _promote_locked(layout, state, region)
        if report["action"] != "none":
            layout.save_state(state)
        return report


def _promote_locked(layout: PairLayout, state: dict[str, Any], region: str) -> dict[str, Any]:
    db = layout.db(region)
    try:
        replica_status = db.vertical("SHOW SLAVE STATUS")
    except DatabaseError as exc:
        raise BlogError(f"cannot promote {region}: its database does not answer") from exc
    if state.get("primary") == region and not replica_status:
        db.sql("SET GLOBAL read_only=OFF")
        return {"region": region, "action": "none", "reason": "already the primary"}
    old = layout.other(region).name
    fenced_at = _fence(layout, state, old)
    target = fenced_at if fenced_at is not None else replica_status.get("Gtid_IO_Pos", "")
    drained = True
    if target:
        wait = 10 if fenced_at is not None else 5
        drained = db.value(f"SELECT MASTER_GTID_WAIT('{target}', {wait})", timeout=wait + 10) == "0"
    db.sql("STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=OFF")
    applied = db.value("SELECT @@gtid_slave_pos") or ""
    state["primary"] = region
    # The highest post id this region had at failover: ids above it on the old primary
    # were written there after replication stopped (see recovery).
    state["failover"] = {
        "at": now(),
        "from": old,
        "to": region,
        "appliedGtid": applied,
        "postsHighWater": _posts_high_water(db),
    }
    record_event(state, "promoted", region=region, previous=old, applied=applied)
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
        report["rejoin"] = recovery.rejoin_locked(layout, state, old)
    return report


def _fence(layout: PairLayout, state: dict[str, Any], region: str) -> str | None:
    """Make a still-running server read-only; its binlog position, or None when it is
    frozen or down (then it cannot take writes anyway until it is thawed)."""
    pid = (state.get("processes", {}).get(region) or {}).get("db")
    if pid is None or not proc.pid_alive(pid) or proc.process_state(pid) == "T":
        return None
    db = layout.db(region)
    try:
        db.sql("SET GLOBAL read_only=ON", timeout=3)
        return db.value("SELECT @@gtid_binlog_pos", timeout=3) or ""
    except DatabaseError:
        return None


def _posts_high_water(db: MariaDB) -> int:
    with contextlib.suppress(DatabaseError, ValueError, TypeError):
        # DATABASE is a constant, not input.
        query = f"SELECT COALESCE(MAX(ID), 0) FROM {DATABASE}.wp_posts"  # noqa: S608
        return int(db.value(query) or 0)
    return 0


def reconcile(layout: PairLayout, healthy: Mapping[str, bool]) -> dict[str, Any] | None:
    """Follow the front door's view of region health, as Aurora global failover would:
    promote the replica when the primary's region is unhealthy and the replica's is
    healthy; rejoin a healthy former primary that is not replicating. Cheap when nothing
    is to be done (one status query), so a supervisor can call it every health interval.
    Returns what it did, or None."""
    state = layout.load_state()
    primary = state["primary"]
    standby = layout.other(primary).name
    if healthy.get(standby, False) and not frozen(state, standby):
        if not healthy.get(primary, True):
            return {"promoted": promote(layout, standby)}
        try:
            row = layout.db(standby).vertical("SHOW SLAVE STATUS", timeout=3)
        except DatabaseError:
            return None
        if row.get("Master_Port") != str(layout.region(primary).db_port):
            return {"rejoined": recovery.rejoin(layout, standby)}
    return None
