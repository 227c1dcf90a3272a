"""Rejoin and recovery: bring a failed former primary back as a replica of the new one,
losing no post.

It is fenced at once, then the two GTID histories are compared. With nothing errant it
resumes replication from its own position. With errant transactions (writes it acknowledged
that never replicated, the RPO of an asynchronous failover) a snapshot is kept, the posts
only it had are written again on the new primary through WordPress, and it is rebuilt from
a dump of the new primary.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sandbox.blog import replication
from sandbox.blog.db import DATABASE, MariaDB, parse_gtid_list
from sandbox.blog.errors import BlogError, DatabaseError
from sandbox.blog.layout import PairLayout, record_event

RESUME_TIMEOUT = 10.0


def rejoin(layout: PairLayout, region: str) -> dict[str, Any]:
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
    layout.region(region)
    with layout.locked():
        state = layout.load_state()
        report = rejoin_locked(layout, state, region)
        layout.save_state(state)
        return report


def rejoin_locked(layout: PairLayout, state: dict[str, Any], region: str) -> dict[str, Any]:
    """`rejoin` for a caller that holds the pair's lock and saves `state` afterwards."""
    primary = state["primary"]
    if primary == region:
        raise BlogError(f"{region} is the primary; promote {layout.other(region).name} first")
    secret = layout.secrets()
    old, new = layout.db(region), layout.db(primary)
    try:
        old.sql("SET GLOBAL read_only=ON", timeout=5)
    except DatabaseError as exc:
        raise BlogError(f"{region}'s database does not answer (still frozen?): {exc}") from exc
    if _replicates_from(old, new):
        return {"region": region, "primary": primary, "action": "none"}
    errant = _errant_gtids(old, new)
    report: dict[str, Any] = {"region": region, "primary": primary}
    if not errant and _resume(layout, old, primary, secret):
        report["action"] = "resumed"
    else:
        report["action"] = "rebuilt"
        report["errantGtids"] = sorted(errant)
        report.update(_recover_and_rebuild(layout, state, region, primary, secret))
    replication.wait_caught_up(layout, primary, timeout=10)
    record_event(state, "rejoined", **report)
    return report


def _replicates_from(old: MariaDB, new: MariaDB) -> bool:
    status = old.vertical("SHOW SLAVE STATUS")
    return (
        status.get("Master_Port") == str(new.port)
        and status.get("Slave_IO_Running") in ("Yes", "Connecting")
        and status.get("Slave_SQL_Running") == "Yes"
    )


def _errant_gtids(old: MariaDB, new: MariaDB) -> list[str]:
    """The GTID ranges `old` has that `new` never received."""
    theirs = parse_gtid_list(new.value("SELECT @@gtid_binlog_state"))
    ours = parse_gtid_list(old.value("SELECT @@gtid_binlog_state"))
    # GTIDs of one server id in one domain are ordered, so "we have server s up to n,
    # they only up to m < n" means n's and those before it down to m+1 never arrived.
    return [
        f"{d}-{s}-{theirs.get((d, s), 0) + 1}..{n}"
        for (d, s), n in ours.items()
        if theirs.get((d, s), 0) < n
    ]


def _resume(layout: PairLayout, old: MariaDB, primary: str, secret: dict[str, Any]) -> bool:
    """Replicate from our own binlog position; False if the primary cannot serve it."""
    old.sql(
        "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL gtid_slave_pos=@@gtid_binlog_pos; "
        + replication.change_master(layout, primary, secret)
        + "; START SLAVE"
    )
    deadline = time.monotonic() + RESUME_TIMEOUT
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
    layout: PairLayout, state: dict[str, Any], region: str, primary: str, secret: dict[str, Any]
) -> dict[str, Any]:
    layout.recovery_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    snapshot = layout.recovery_dir / f"{stamp}-{region}-snapshot.sql"
    layout.db(region).dump(snapshot)
    failover = state.get("failover") or {}
    high_water = int(failover.get("postsHighWater") or 0) if failover.get("from") == region else 0
    theirs = {p["id"]: p for p in layout.tool(primary, "export-posts", {})}
    ours = layout.tool(region, "export-posts", {})
    merge = merge_posts(ours, theirs, high_water)
    to_import = merge.pop("toImport")
    if to_import:
        layout.tool(primary, "import-posts", {"posts": to_import})
    dump = layout.recovery_dir / f"{stamp}-{primary}-copy.sql"
    _rebuild(layout, region, primary, dump, secret)
    return {"snapshot": str(snapshot), **merge}


def merge_posts(
    ours: list[dict[str, Any]], theirs: dict[int, dict[str, Any]], high_water: int
) -> dict[str, Any]:
    """What to write again on the new primary from the old one's posts (`ours`), given the
    new primary's posts by id (`theirs`) and the highest post id it had at failover.

    `toImport` holds the posts to write (with `replace` naming the id an edit updates);
    the other keys hold titles for the report."""
    to_import: list[dict[str, Any]] = []
    recovered, updated, kept, deleted = [], [], [], []
    for post in ours:
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
    return {
        "toImport": to_import,
        "recoveredPosts": recovered,
        "updatedPosts": updated,
        "keptNewerOnPrimary": kept,
        "deletedOnPrimary": deleted,
    }


def _rebuild(
    layout: PairLayout, region: str, primary: str, dump: Path, secret: dict[str, Any]
) -> None:
    """Replace `region`'s blog database with a dump of the primary's, and replicate from the
    position the dump was taken at."""
    old, new = layout.db(region), layout.db(primary)
    new.dump(dump)
    # mariadb-dump prints the position it read under its lock near the end of the file.
    found = re.findall(r"SET GLOBAL gtid_slave_pos='([^']*)'", dump.read_text(errors="replace"))
    if not found:
        raise BlogError(f"no GTID position in the dump of {primary}; rebuild of {region} stopped")
    position = found[-1]
    binlog_state = history_at(new, position)
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
        + replication.change_master(layout, primary, secret)
        + "; START SLAVE"
    )


def history_at(source: MariaDB, position: str) -> str:
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
