"""The blog tier: WordPress in two regions over a MariaDB primary and its GTID replica.

One pair for the whole module (starting one costs ~15 s); the tests run in file order and the
later ones continue from the state the earlier ones leave (failover, rejoin, switch back).
Without the Debian packages these tests fail, naming what to install: CI installs them.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox import procs
from sandbox.blog import BlogError, BlogPair, BlogRegion, find_missing, install_hint
from sandbox.blog.content import seed_posts
from sandbox.blog.replication import wait_running
from sandbox.frontdoor import forward_blog
from sandbox.httpd import Response, make_http_server

PRIMARY = "eu-west-1"
SECONDARY = "ap-southeast-1"

pytestmark = pytest.mark.timeout(240)


def free_ports(count: int) -> list[int]:
    sockets = []
    for _ in range(count):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
    ports = [s.getsockname()[1] for s in sockets]
    for sock in sockets:
        sock.close()
    return ports


@pytest.fixture(scope="module")
def ports() -> dict[str, int]:
    front, db1, http1, db2, http2 = free_ports(5)
    return {"front": front, "db1": db1, "http1": http1, "db2": db2, "http2": http2}


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory, ports: dict[str, int]) -> Iterator[BlogPair]:
    missing = find_missing()
    if missing:
        pytest.fail(f"the blog tier needs Debian packages: {install_hint(missing)}")
    state = tmp_path_factory.mktemp("blog")
    blog = BlogPair(
        state,
        [
            BlogRegion(PRIMARY, ports["db1"], ports["http1"]),
            BlogRegion(SECONDARY, ports["db2"], ports["http2"]),
        ],
        public_url=f"http://127.0.0.1:{ports['front']}/blog",
    )
    try:
        blog.start()
        yield blog
    finally:
        groups = [g for r in (PRIMARY, SECONDARY) for g in blog.process_groups(r)]
        blog.stop()
        for group in groups:  # whatever stop() could not end
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)


@pytest.fixture(scope="module")
def front(pair: BlogPair, ports: dict[str, int]) -> Iterator[dict[str, bool]]:
    """The front door's `/blog` route (the real one) at the pair's public URL. It yields the
    region health it routes by, which a test sets as the front door's health checks would."""
    healthy = {r.name: True for r in pair.regions}

    def handle(
        method: str, target: str, headers: list[tuple[str, str]], body: bytes, *_client: str
    ) -> Response:
        # Route 53's failover records: the primary region while it is healthy.
        name = PRIMARY if healthy[PRIMARY] else SECONDARY
        region = next(r for r in pair.regions if r.name == name)
        return forward_blog(region, method, target, headers, body)

    server = make_http_server(ports["front"], "test-frontdoor", handle, logging.getLogger(__name__))
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True)
    thread.start()
    try:
        yield healthy
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def healthy(front: dict[str, bool]) -> Iterator[dict[str, bool]]:
    """Region health as the front door sees it; a test marks a frozen region unhealthy."""
    yield front
    for region in front:
        front[region] = True


# -- helpers -------------------------------------------------------------------------------


def request(
    url: str, method: str = "GET", body: Any = None, auth: tuple[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310
            raw = response.read()
            status, got = response.status, dict(response.headers)
    except urllib.error.HTTPError as exc:
        raw, status, got = exc.read(), exc.code, dict(exc.headers)
    text = raw.decode(errors="replace")
    try:
        parsed: Any = json.loads(text)
    except ValueError:
        parsed = text
    return status, got, parsed


def region_url(pair: BlogPair, region: str) -> str:
    return pair.region(region).url


def base(pair: BlogPair, region: str) -> str:
    """A region's WordPress, or the front door's `/blog` for region "front"."""
    return pair.public_url if region == "front" else region_url(pair, region)


def posts(pair: BlogPair, region: str) -> list[dict[str, Any]]:
    status, _, body = request(f"{base(pair, region)}/wp-json/wp/v2/posts?per_page=100")
    assert status == 200, body
    assert isinstance(body, list)
    return body


def titles(pair: BlogPair, region: str) -> set[str]:
    return {p["title"]["rendered"] for p in posts(pair, region)}


def write_post(pair: BlogPair, region: str, title: str) -> tuple[int, Any]:
    creds = pair.admin_credentials()
    status, _, body = request(
        f"{base(pair, region)}/wp-json/wp/v2/posts",
        "POST",
        {"title": title, "content": f"<p>{title}</p>", "status": "publish"},
        auth=(creds["user"], creds["applicationPassword"]),
    )
    return status, body


def wait_for_title(pair: BlogPair, region: str, title: str, timeout: float) -> float:
    """Seconds until the post is in the region's database (polled there directly, so the
    time measures replication, not WordPress's page time on a busy machine); then it must
    also be served by the region's REST API."""
    db = pair.db(region)
    literal = title.replace("\\", "\\\\").replace("'", "\\'")
    query = (
        "SELECT COUNT(*) FROM wordpress.wp_posts "  # noqa: S608 - a test's own title
        f"WHERE post_title = '{literal}' AND post_status = 'publish'"
    )
    start = time.monotonic()
    while True:
        elapsed = time.monotonic() - start
        if db.value(query) != "0":
            break
        if elapsed > timeout:
            raise AssertionError(f"{title!r} did not reach {region} within {timeout} s")
        time.sleep(0.02)
    assert title in titles(pair, region)
    return elapsed


def freeze(pair: BlogPair, region: str, sig: signal.Signals) -> None:
    """What `bookstore sandbox outage/restore` does: signal every process of the region."""
    pids = pair.pids(region)
    assert pids
    for pid in pids:
        os.kill(pid, sig)


def listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


# -- tests ---------------------------------------------------------------------------------


def test_packages_are_installed() -> None:
    assert find_missing() == [], install_hint()


@pytest.mark.parametrize("region", [PRIMARY, SECONDARY])
def test_seeded_posts_read_through_rest_api_in_each_region(pair: BlogPair, region: str) -> None:
    status, headers, body = request(
        f"{region_url(pair, region)}/wp-json/wp/v2/posts?per_page=20&_embed=1"
    )
    assert status == 200
    assert headers.get("X-Bookstore-Region") == region
    assert len(body) >= 8
    expected = {p["title"] for p in seed_posts()}
    assert expected <= {p["title"]["rendered"] for p in body}
    first = body[0]
    assert first["_embedded"]["author"][0]["name"] == "admin"
    # Links follow the public (front door) URL and the /blog path it passes through.
    assert first["link"].startswith(pair.public_url + "/")
    assert 'href="/books/' in first["content"]["rendered"]


def test_posts_read_through_the_front_door(pair: BlogPair, front: dict[str, bool]) -> None:
    # The web app's own request (web/src/features/blog/api/get-posts.ts).
    status, headers, body = request(f"{pair.public_url}/wp-json/wp/v2/posts?_embed=1&per_page=20")
    assert status == 200
    assert headers.get("X-Bookstore-Region") == PRIMARY
    assert {p["title"] for p in seed_posts()} <= {p["title"]["rendered"] for p in body}
    post = body[0]
    status, _, one = request(f"{pair.public_url}/wp-json/wp/v2/posts/{post['id']}?_embed=1")
    assert status == 200
    assert one["id"] == post["id"]
    # Pages and the links in them work through the front door.
    status, _, page = request(post["link"])
    assert status == 200
    assert f'href="{pair.public_url}/' in page
    status, _, home = request(pair.public_url + "/")
    assert status == 200
    assert post["title"]["rendered"] in home


@pytest.mark.parametrize("path", ["/", "/2026/11/review-the-martian/", "/feed/", "/?s=dune"])
def test_replica_region_renders_pages(pair: BlogPair, path: str) -> None:
    """WordPress writes on some reads; on a read-only replica those must not break pages."""
    status, headers, body = request(region_url(pair, SECONDARY) + path)
    assert status == 200, body[:500] if isinstance(body, str) else body
    assert headers.get("X-Bookstore-Region") == SECONDARY


def test_status_reports_roles_and_lag(pair: BlogPair) -> None:
    status = pair.status()
    assert status[PRIMARY]["dbRole"] == "primary"
    assert status[PRIMARY]["replicationLagSeconds"] is None
    assert status[SECONDARY]["dbRole"] == "replica"
    assert isinstance(status[SECONDARY]["replicationLagSeconds"], float)
    assert status[SECONDARY]["blog"] == region_url(pair, SECONDARY)


def test_post_on_primary_is_on_replica_within_one_second(pair: BlogPair) -> None:
    title = unique("Replicated")
    status, body = write_post(pair, PRIMARY, title)
    assert status == 201, body
    assert wait_for_title(pair, SECONDARY, title, timeout=1.0) < 1.0


def test_write_on_replica_is_refused_clearly(pair: BlogPair) -> None:
    status, body = write_post(pair, SECONDARY, unique("Refused"))
    assert status == 503
    assert body["code"] == "blog_read_only"


def test_outage_of_the_replica_catches_up_after_restore(pair: BlogPair) -> None:
    freeze(pair, SECONDARY, signal.SIGSTOP)
    try:
        title = unique("While the replica was out")
        status, body = write_post(pair, PRIMARY, title)
        assert status == 201, body
        assert pair.status()[SECONDARY]["replication"] == "unreachable (outage)"
    finally:
        freeze(pair, SECONDARY, signal.SIGCONT)
    wait_for_title(pair, SECONDARY, title, timeout=5.0)
    assert pair.rejoin(SECONDARY)["action"] == "none"


def test_partition_pauses_and_heal_resumes_replication(pair: BlogPair) -> None:
    pair.pause_replication()
    try:
        title = unique("During the partition")
        assert write_post(pair, PRIMARY, title)[0] == 201
        time.sleep(0.5)
        assert title not in titles(pair, SECONDARY)
        replica = pair.status()[SECONDARY]
        assert replica["replication"] == "paused"
        assert replica["replicationLagSeconds"] is None
    finally:
        pair.resume_replication()
    wait_for_title(pair, SECONDARY, title, timeout=2.0)


def test_planned_switchover_and_back_loses_nothing(pair: BlogPair) -> None:
    report = pair.promote(SECONDARY)
    assert report["action"] == "switched over", report
    assert report["rejoin"]["action"] == "resumed"
    title = unique("After switchover")
    assert write_post(pair, SECONDARY, title)[0] == 201
    wait_for_title(pair, PRIMARY, title, timeout=1.0)
    assert write_post(pair, PRIMARY, unique("Refused"))[0] == 503
    back = pair.promote(PRIMARY)
    assert back["action"] == "switched over", back
    assert title in titles(pair, PRIMARY)
    assert pair.status()[PRIMARY]["dbRole"] == "primary"
    assert pair.status()[SECONDARY]["replication"] == "running"


def test_failover_keeps_reading_and_writing_and_rejoin_loses_nothing(
    pair: BlogPair, healthy: dict[str, bool]
) -> None:
    # A post the primary acknowledges but never ships: the replica's receiver is paused, as
    # if the outage struck before the write crossed the ocean.
    pair.db(SECONDARY).sql("STOP SLAVE IO_THREAD")
    stranded = unique("Stranded on the primary")
    status, body = write_post(pair, PRIMARY, stranded)
    assert status == 201, body
    # ...and an edit of an existing post, equally stranded.
    seeded = next(p for p in posts(pair, PRIMARY) if p["slug"] == "review-the-martian")
    edited = unique("Review: The Martian, revised")
    creds = pair.admin_credentials()
    status, _, body = request(
        f"{region_url(pair, PRIMARY)}/wp-json/wp/v2/posts/{seeded['id']}",
        "POST",
        {"title": edited},
        auth=(creds["user"], creds["applicationPassword"]),
    )
    assert status == 200, body
    freeze(pair, PRIMARY, signal.SIGSTOP)
    healthy[PRIMARY] = False  # what the front door's health checks conclude
    try:
        before = titles(pair, SECONDARY)
        assert titles(pair, "front") == before  # the front door serves from the replica
        result = pair.promote(SECONDARY)
        assert result["action"] == "promoted"
        assert titles(pair, "front") == before  # posts still read
        assert stranded not in before
        during = unique("Written during the outage")
        status, body = write_post(pair, "front", during)
        assert status == 201, body
        state = pair.status()
        assert state[SECONDARY]["dbRole"] == "primary"
        assert state[PRIMARY]["dbRole"] == "replica"
    finally:
        freeze(pair, PRIMARY, signal.SIGCONT)
    report = pair.rejoin(PRIMARY)
    healthy[PRIMARY] = True
    assert report["action"] == "rebuilt", report
    assert stranded in report["recoveredPosts"]
    assert edited in report["updatedPosts"]
    assert Path(report["snapshot"]).is_file()
    everything = (before - {seeded["title"]["rendered"]}) | {stranded, during, edited}
    for region in (PRIMARY, SECONDARY, "front"):
        assert everything <= titles(pair, region), region
    # The old primary is now a read-only replica that follows the new primary.
    after = unique("After rejoin")
    status, body = write_post(pair, SECONDARY, after)
    assert status == 201, body
    wait_for_title(pair, PRIMARY, after, timeout=1.0)
    status_after = pair.status()
    assert status_after[PRIMARY]["dbRole"] == "replica"
    assert status_after[PRIMARY]["replication"] == "running"
    assert write_post(pair, PRIMARY, unique("Refused"))[0] == 503


def test_switch_back_without_errant_writes_resumes_replication(pair: BlogPair) -> None:
    before = titles(pair, SECONDARY)
    freeze(pair, SECONDARY, signal.SIGSTOP)
    try:
        assert pair.promote(PRIMARY)["action"] == "promoted"
        back = unique("Back home")
        status, body = write_post(pair, PRIMARY, back)
        assert status == 201, body
    finally:
        freeze(pair, SECONDARY, signal.SIGCONT)
    report = pair.rejoin(SECONDARY)
    assert report["action"] == "resumed", report
    wait_for_title(pair, SECONDARY, back, timeout=1.0)
    for region in (PRIMARY, SECONDARY):
        assert before | {back} <= titles(pair, region)
    assert pair.rejoin(SECONDARY)["action"] == "none"


def test_double_failover_loses_nothing(pair: BlogPair) -> None:
    """Both regions take writes the other never sees: the primary while replication is
    down, the promoted replica during the outage; then the old primary comes back and is
    promoted again while the other is out. Post ids collide; every post survives."""
    pair.pause_replication()
    first = unique("Only on the first primary")
    assert write_post(pair, PRIMARY, first)[0] == 201
    freeze(pair, PRIMARY, signal.SIGSTOP)
    try:
        assert pair.promote(SECONDARY)["action"] == "promoted"
        second = unique("Only on the promoted replica")
        assert write_post(pair, SECONDARY, second)[0] == 201
        freeze(pair, SECONDARY, signal.SIGSTOP)
    finally:
        freeze(pair, PRIMARY, signal.SIGCONT)
    try:
        assert pair.promote(PRIMARY)["action"] == "promoted"
        third = unique("Back on the first primary")
        assert write_post(pair, PRIMARY, third)[0] == 201
    finally:
        freeze(pair, SECONDARY, signal.SIGCONT)
    report = pair.rejoin(SECONDARY)
    assert report["action"] == "rebuilt", report
    assert second in report["recoveredPosts"]
    for region in (PRIMARY, SECONDARY):
        assert {first, second, third} <= titles(pair, region), region
    assert pair.status()[SECONDARY]["replication"] == "running"


def test_reconcile_follows_region_health(pair: BlogPair) -> None:
    both = {PRIMARY: True, SECONDARY: True}
    assert pair.reconcile(both) is None
    freeze(pair, PRIMARY, signal.SIGSTOP)
    try:
        done = pair.reconcile({PRIMARY: False, SECONDARY: True})
        assert done is not None
        assert done["promoted"]["action"] == "promoted"
        title = unique("Reconciled")
        assert write_post(pair, SECONDARY, title)[0] == 201
        assert pair.reconcile({PRIMARY: False, SECONDARY: True}) is None
    finally:
        freeze(pair, PRIMARY, signal.SIGCONT)
    done = pair.reconcile(both)
    assert done is not None
    assert done["rejoined"]["action"] in ("resumed", "rebuilt")
    wait_for_title(pair, PRIMARY, title, timeout=1.0)
    assert pair.reconcile(both) is None
    # And back, so the next test starts from the initial roles.
    assert pair.promote(PRIMARY)["action"] == "switched over"


def test_restart_on_existing_state_keeps_posts_and_roles(pair: BlogPair) -> None:
    before = titles(pair, PRIMARY)
    pair.stop()
    assert pair.pids(PRIMARY) == []
    assert pair.pids(SECONDARY) == []
    ports = [p for r in pair.regions for p in (r.db_port, r.http_port)]
    assert not any(listening(port) for port in ports)
    pair.start()
    assert pair.status()[SECONDARY]["replication"] == "running"
    assert titles(pair, PRIMARY) == before
    assert titles(pair, SECONDARY) == before
    again = unique("After restart")
    assert write_post(pair, PRIMARY, again)[0] == 201
    wait_for_title(pair, SECONDARY, again, timeout=1.0)


def test_restart_returns_only_once_the_replica_replicates(
    pair: BlogPair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The primary's database comes up well after the replica's, whose first connection is
    refused and retried only seconds later: start() still returns with replication running."""
    replica = pair.db(SECONDARY)
    replica.sql("STOP SLAVE; CHANGE MASTER TO MASTER_CONNECT_RETRY=4; START SLAVE")
    pair.stop()
    primary_server = pair.db(PRIMARY).command()
    spawn = procs.spawn

    def late_primary(argv: list[str], *args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        if argv == primary_server:
            argv = ["sh", "-c", 'sleep 1.5; exec "$@"', "sh", *argv]
        return spawn(argv, *args, **kwargs)

    monkeypatch.setattr(procs, "spawn", late_primary)
    try:
        pair.start()
        monkeypatch.undo()
        assert pair.status()[SECONDARY]["replication"] == "running"
    finally:
        replica.sql("STOP SLAVE; CHANGE MASTER TO MASTER_CONNECT_RETRY=1; START SLAVE")
    again = unique("After a late primary")
    assert write_post(pair, PRIMARY, again)[0] == 201
    wait_for_title(pair, SECONDARY, again, timeout=1.0)


def test_waiting_for_replication_is_bounded_and_says_why(pair: BlogPair) -> None:
    pair.pause_replication()
    try:
        started = time.monotonic()
        with pytest.raises(BlogError, match=r"not running after 0.5 s \(IO thread No"):
            wait_running(pair, PRIMARY, timeout=0.5)
        assert time.monotonic() - started < 5
    finally:
        pair.resume_replication()
    wait_running(pair, PRIMARY, timeout=10)
    assert pair.status()[SECONDARY]["replication"] == "running"


def test_attach_from_another_process_sees_the_same_pair(pair: BlogPair) -> None:
    other = BlogPair.attach(pair.state_dir)
    assert other.status()[PRIMARY]["dbRole"] == "primary"
    assert sorted(other.pids(PRIMARY)) == sorted(pair.pids(PRIMARY))
    assert other.admin_credentials() == pair.admin_credentials()
