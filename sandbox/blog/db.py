"""One MariaDB server of the blog tier: its option file, bootstrap, start, and SQL access.

SQL goes through the `mariadb` command-line client over the server's own Unix socket as root,
so the blog tier needs no Python database driver. Every call has a connect timeout and a
subprocess timeout: a server frozen by an outage (SIGSTOP) accepts the socket connection in
the kernel but never answers, and callers such as `status()` must not hang on it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sandbox.blog.deps import binary
from sandbox.blog.errors import DatabaseError

CLIENT = "mariadb"
SERVER = "mariadbd"
INSTALL_DB = "mariadb-install-db"
DUMP = "mariadb-dump"
DATABASE = "wordpress"
# Unix socket paths are limited to 107 bytes (sun_path).
MAX_SOCKET_PATH = 107


def _unescape(field: str) -> str | None:
    """The client's --batch output escapes tab, newline and backslash, and prints NULL."""
    if field == "NULL":
        return None
    out = []
    chars = iter(field)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            out.append({"n": "\n", "t": "\t", "0": "\0", "\\": "\\"}.get(nxt, nxt))
        else:
            out.append(ch)
    return "".join(out)


@dataclass(frozen=True)
class MariaDB:
    directory: Path
    port: int
    server_id: int

    @property
    def datadir(self) -> Path:
        return self.directory / "data"

    @property
    def socket(self) -> Path:
        local = self.directory / "mariadb.sock"
        if len(str(local)) <= MAX_SOCKET_PATH:
            return local
        # A deep checkout (CI workspaces) can exceed sun_path; a short name in the temp dir,
        # derived from the state directory, keeps one socket per server.
        digest = hashlib.sha256(str(self.directory).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"bookstore-blog-{digest}.sock"

    @property
    def option_file(self) -> Path:
        return self.directory / "my.cnf"

    @property
    def log_path(self) -> Path:
        return self.directory / "mariadbd.log"

    def write_options(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        lines = [
            "[mariadbd]",
            f"datadir={self.datadir}",
            f"socket={self.socket}",
            f"port={self.port}",
            "bind-address=127.0.0.1",
            f"pid-file={self.directory / 'mariadbd.pid'}",
            f"log-error={self.log_path}",
            f"server-id={self.server_id}",
            # GTID replication needs the binlog on both sides, and log-slave-updates so that a
            # promoted replica's binlog holds everything the old primary must catch up on.
            "log-bin=mariadb-bin",
            "log-slave-updates=1",
            # Named, not derived from the host name, so a renamed machine keeps replicating.
            "relay-log=relay-bin",
            "binlog-format=ROW",
            # Strict mode turns a diverged history into an error instead of silent drift.
            "gtid-strict-mode=1",
            "skip-name-resolve",
            # A replica should notice a frozen primary within seconds, not the default minute.
            "slave-net-timeout=4",
            "innodb-buffer-pool-size=32M",
            # Commits reach the OS at once but are fsynced about once a second: a killed or
            # frozen mariadbd loses nothing, only a machine crash could, and the sandbox's
            # installs and failover rebuilds do not wait on hundreds of fsyncs.
            "innodb-flush-log-at-trx-commit=2",
            "performance-schema=0",
            "character-set-server=utf8mb4",
            "collation-server=utf8mb4_unicode_ci",
            "max-connections=100",
        ]
        if os.geteuid() == 0:
            lines.append("user=root")
        self.option_file.write_text("\n".join(lines) + "\n")

    def bootstrap_from(self, template: Path) -> None:
        """Copy a pristine system-table datadir made by `bootstrap_template`."""
        shutil.copytree(template, self.datadir)

    def command(self) -> list[str]:
        return [binary(SERVER), f"--defaults-file={self.option_file}"]

    def ready(self) -> bool:
        try:
            self.sql("SELECT 1", timeout=2)
        except DatabaseError:
            return False
        return True

    def _client(self, *extra: str) -> list[str]:
        return [
            binary(CLIENT),
            "--no-defaults",
            f"--socket={self.socket}",
            "--user=root",
            "--connect-timeout=2",
            *extra,
        ]

    def sql(
        self, statement: str, timeout: float = 20.0, database: str = ""
    ) -> list[list[str | None]]:
        """Run statement(s); the rows of the last result set, fields unescaped."""
        argv = self._client("--batch", "--skip-column-names", "-e", statement)
        if database:
            argv.append(database)
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise DatabaseError(f"no answer from MariaDB on port {self.port}") from exc
        if done.returncode != 0:
            raise DatabaseError(done.stderr.strip() or f"mariadb exited {done.returncode}")
        return [[_unescape(f) for f in line.split("\t")] for line in done.stdout.splitlines()]

    def value(self, statement: str, timeout: float = 20.0) -> str | None:
        rows = self.sql(statement, timeout=timeout)
        return rows[0][0] if rows and rows[0] else None

    def vertical(self, statement: str, timeout: float = 5.0) -> dict[str, str]:
        """One row as a column -> value map (for SHOW SLAVE STATUS); {} when there is none."""
        argv = self._client("--vertical", "-e", statement)
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise DatabaseError(f"no answer from MariaDB on port {self.port}") from exc
        if done.returncode != 0:
            raise DatabaseError(done.stderr.strip())
        row: dict[str, str] = {}
        for line in done.stdout.splitlines():
            key, sep, val = line.partition(":")
            if sep and not key.startswith("*"):
                row[key.strip()] = val.strip()
        return row

    def load(self, dump: Path, timeout: float = 120.0) -> None:
        """Load a dump into the blog database without writing it to this server's binlog:
        the rows arrive as a copy of another server's history, not as new transactions."""
        argv = self._client("--init-command=SET SESSION sql_log_bin=0", DATABASE)
        with dump.open("rb") as handle:
            done = subprocess.run(
                argv, stdin=handle, capture_output=True, timeout=timeout, check=False
            )
        if done.returncode != 0:
            raise DatabaseError(done.stderr.decode(errors="replace").strip())

    def dump(self, target: Path, timeout: float = 120.0) -> None:
        """A consistent dump of the blog database, with the GTID position it corresponds to
        as a comment (`-- SET GLOBAL gtid_slave_pos='...'`)."""
        argv = [
            binary(DUMP),
            "--no-defaults",
            f"--socket={self.socket}",
            "--user=root",
            "--single-transaction",
            "--master-data=2",
            "--gtid",
            "--routines",
            "--triggers",
            DATABASE,
        ]
        with target.open("wb") as out:
            done = subprocess.run(
                argv, stdout=out, stderr=subprocess.PIPE, timeout=timeout, check=False
            )
        if done.returncode != 0:
            raise DatabaseError(done.stderr.decode(errors="replace").strip())


def bootstrap_template(template: Path, log_path: Path) -> None:
    """Create the system tables once; both regions start from a copy (saves one 6 s run)."""
    template.parent.mkdir(parents=True, exist_ok=True)
    partial = template.with_name(template.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    argv = [
        binary(INSTALL_DB),
        "--no-defaults",
        f"--datadir={partial}",
        "--auth-root-authentication-method=normal",
        "--skip-test-db",
        "--skip-name-resolve",
    ]
    if os.geteuid() == 0:
        argv.append("--user=root")
    with log_path.open("ab") as log:
        done = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, timeout=180, check=False)
    if done.returncode != 0:
        raise DatabaseError(f"{INSTALL_DB} failed; see {log_path}")
    partial.rename(template)


def parse_gtid_list(text: str | None) -> dict[tuple[int, int], int]:
    """'0-1-100,0-2-7' -> {(domain, server): seq_no}."""
    result: dict[tuple[int, int], int] = {}
    for item in (text or "").replace("\n", ",").split(","):
        item = item.strip()
        if not item:
            continue
        domain, server, seq = (int(part) for part in item.split("-"))
        result[(domain, server)] = max(seq, result.get((domain, server), 0))
    return result
