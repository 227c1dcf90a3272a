"""Start and stop the two regions' servers: MariaDB and PHP's server running WordPress.

On first use `start` also creates the databases, sets up replication and installs and seeds
WordPress; on the state of an earlier run it restarts the servers on the same data and
re-applies the roles. Every server is its own process group (`os.killpg` reaches PHP's
workers too), recorded in the state file so that any process can stop, freeze or thaw them.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
from collections.abc import Callable
from typing import Any

from sandbox import procs as proc
from sandbox.blog import php, replication
from sandbox.blog.content import seed_posts
from sandbox.blog.db import MariaDB, bootstrap_template
from sandbox.blog.deps import find_missing, install_hint
from sandbox.blog.errors import BlogError
from sandbox.blog.layout import BlogRegion, PairLayout, record_event

STARTUP_TIMEOUT = 60.0
ADMIN_USER = "admin"
ADMIN_EMAIL = "admin@bookstore.invalid"
SITE_TITLE = "Bookstore Blog"
TAGLINE = "Reviews and reading lists from the Multi-Region Bookstore"

# The servers a process started, so that it can reap them after stopping them (no zombies).
Children = list[subprocess.Popen[bytes]]


def start(layout: PairLayout, children: Children) -> None:
    """Start both regions; on first use also create the databases, replication and WordPress.

    Idempotent: with the state of an earlier run it restarts the servers on the same data
    and re-applies the roles; when everything is already running it does nothing. Returns
    once both WordPress servers listen and the replica replicates.
    """
    missing = find_missing()
    if missing:
        raise BlogError("the blog needs packages that are missing: " + install_hint(missing))
    with layout.locked():
        state = layout.load_state()
        known = [r["name"] for r in state.get("regions", [])]
        if known and known != [r.name for r in layout.regions]:
            raise BlogError(
                f"{layout.state_dir} holds a blog pair for regions {known}; use another state dir"
            )
        if running(state):
            return
        stop_processes(state, children)
        busy = [
            port
            for r in layout.regions
            for port in (r.db_port, r.http_port)
            if proc.port_listening(port)
        ]
        if busy:
            raise BlogError(f"port(s) {busy} on 127.0.0.1 already in use; the blog needs them")
        try:
            _start_locked(layout, state, children)
        except BaseException:
            stop_processes(state, children)
            layout.save_state(state)
            raise


def _start_locked(layout: PairLayout, state: dict[str, Any], children: Children) -> None:
    secret = layout.secrets()
    layout.logs.mkdir(parents=True, exist_ok=True)
    fresh = not state.get("installed")
    if fresh:
        # A half-made pair from an interrupted first start is not worth repairing.
        for region in layout.regions:
            shutil.rmtree(layout.db(region.name).directory, ignore_errors=True)
        state["primary"] = layout.regions[0].name
    state["processes"] = {}
    _start_databases(layout, state, children)
    primary = state["primary"]
    if fresh:
        replication.init_replication(layout, primary, secret)
    else:
        replication.apply_roles(layout, primary, secret)
    replication.wait_running(layout, primary)
    _write_wordpress_files(layout, secret)
    if fresh:
        _install_wordpress(layout, state, secret)
    _start_wordpress(layout, state, children)


def _start_databases(layout: PairLayout, state: dict[str, Any], children: Children) -> None:
    """Both MariaDB servers (each made from a bootstrap template if it has no datadir yet),
    started together; returns once both answer."""
    template = layout.db_template
    for region in layout.regions:
        db = layout.db(region.name)
        db.write_options()
        if not db.datadir.exists():
            if not template.exists():
                bootstrap_template(template, layout.logs / "mariadb-install-db.log")
            db.bootstrap_from(template)
    started = []
    for region in layout.regions:
        db = layout.db(region.name)
        server = proc.spawn(db.command(), layout.logs / f"mariadbd-{region.name}.log")
        children.append(server)
        state["processes"][region.name] = {"db": server.pid}
        started.append((db, server))
    layout.save_state(state)
    for db, server in started:

        def up(db: MariaDB = db, server: subprocess.Popen[bytes] = server) -> bool:
            if server.poll() is not None:
                raise BlogError(f"mariadbd on port {db.port} exited at start; see {db.log_path}")
            return db.ready()

        _wait(up, f"MariaDB on {db.port}")
    shutil.rmtree(template, ignore_errors=True)


def _write_wordpress_files(layout: PairLayout, secret: dict[str, Any]) -> None:
    """Each region's docroot and `wp-config.php`, rewritten at every start so that a new
    public URL or port needs no database change."""
    mu_dir, _tool = php.write_support_files(layout.state_dir)
    for region in layout.regions:
        config = php.wp_config(
            region=region.name,
            db_port=region.db_port,
            db_password=secret["dbPassword"],
            public_url=layout.public_url,
            abspath=layout.abspath(region.name),
            mu_plugin_dir=mu_dir,
            salts=secret["salts"],
        )
        php.build_docroot(layout.www(region.name), config)


def _install_wordpress(layout: PairLayout, state: dict[str, Any], secret: dict[str, Any]) -> None:
    """First start: install WordPress on the primary with the seed posts; the replica gets
    all of it through replication."""
    primary = state["primary"]
    result = layout.tool(
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
        layout.save_secrets(secret)
    replication.wait_caught_up(layout, primary, timeout=15)
    state["installed"] = True
    state["seededPosts"] = len(result.get("postIds", []))
    record_event(state, "installed", primary=primary)


def _start_wordpress(layout: PairLayout, state: dict[str, Any], children: Children) -> None:
    """PHP's server in each region; returns once both listen."""
    servers = []
    for region in layout.regions:
        www = layout.www(region.name)
        error_log = layout.logs / f"php-{region.name}-errors.log"
        argv = php.server_argv(www, region.http_port, error_log)
        server = proc.spawn(argv, layout.logs / f"php-{region.name}.log", php.php_env(), cwd=www)
        children.append(server)
        state["processes"][region.name]["http"] = server.pid
        servers.append((region, server))
    layout.save_state(state)
    for region, server in servers:

        def up(region: BlogRegion = region, server: subprocess.Popen[bytes] = server) -> bool:
            if server.poll() is not None:
                raise BlogError(f"PHP server for {region.name} exited; see {layout.logs}")
            return proc.port_listening(region.http_port)

        _wait(up, f"WordPress on {region.http_port}")


def _wait(predicate: Callable[[], bool], what: str) -> None:
    try:
        proc.wait_until(predicate, STARTUP_TIMEOUT, what, interval=0.1)
    except TimeoutError as exc:
        raise BlogError(str(exc)) from exc


def running(state: dict[str, Any]) -> bool:
    """All four servers of the state file are alive."""
    processes = state.get("processes") or {}
    pids = [pid for region in processes.values() for pid in region.values()]
    return len(pids) == 4 and all(proc.pid_alive(pid) for pid in pids)


def stop(layout: PairLayout, children: Children) -> None:
    """Stop every process of both regions (frozen ones too); the data stays for a restart."""
    with layout.locked():
        state = layout.load_state()
        stop_processes(state, children)
        if layout.state_path.exists():
            layout.save_state(state)


def stop_processes(state: dict[str, Any], children: Children) -> None:
    processes: dict[str, dict[str, int]] = state.get("processes") or {}
    # WordPress first, so no request meets a stopping database; then both databases.
    for kind in ("http", "db"):
        groups = [r[kind] for r in processes.values() if r.get(kind) is not None]
        proc.stop_groups(groups, timeout=15)
    for child in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=2)
    children.clear()
    state["processes"] = {}


def pids(layout: PairLayout, region: str) -> list[int]:
    """Every live process of the region (both servers and PHP's workers), group leaders
    first. Each leader is its own process group: `os.killpg(leader, SIGSTOP)` reaches all."""
    layout.region(region)
    processes = layout.load_state().get("processes") or {}
    leaders = list((processes.get(region) or {}).values())
    return [pid for leader in leaders for pid in proc.group_members(leader)]


def process_groups(layout: PairLayout, region: str) -> list[int]:
    """The region's process-group ids (one per server), for `os.killpg`."""
    layout.region(region)
    processes = layout.load_state().get("processes") or {}
    return [pid for pid in (processes.get(region) or {}).values() if proc.pid_alive(pid)]


def frozen(state: dict[str, Any], region: str) -> bool:
    """The region's servers are stopped by a signal, gone, or were never started."""
    leaders = list((state.get("processes", {}).get(region) or {}).values())
    return not leaders or any(proc.process_state(pid) in ("T", "", "Z") for pid in leaders)


def freeze(layout: PairLayout, region: str) -> None:
    """SIGSTOP every process of the region (what `bookstore sandbox outage` does)."""
    for group in process_groups(layout, region):
        proc.signal_group(group, signal.SIGSTOP)


def thaw(layout: PairLayout, region: str) -> None:
    for group in process_groups(layout, region):
        proc.signal_group(group, signal.SIGCONT)
