"""Sections 4, 5 and 8, against a running two-region sandbox on 127.0.0.1.

4. End to end at a bounded load (one closed-loop client, interleaved): browse, cart and
   checkout through the front door and directly at the serving region's gateway, and a bare
   moto GetItem on that region's Books table.
5. Replication lag (write an item in one region's DynamoDB, poll the other's) and the delay
   from an acknowledged checkout to the order being counted in each region's Redis leaderboard.
8. RTO and RPO from a short `bookstore drill` (it takes a region out and restores it).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.common import PYTHON, ROOT, Section, log, ratio, summary_ms

BOOKSTORE = str(Path(PYTHON).parent / "bookstore")
POLL_SECONDS = 0.005
PROBE_TIMEOUT_SECONDS = 15.0
UP_TIMEOUT_SECONDS = 300.0
LEADERBOARD_NAME = "bestsellers"  # bookstore.settings: LEADERBOARD_KEY's default


# -- the sandbox's lifecycle -------------------------------------------------------------------


def status(port_base: int) -> dict[str, Any] | None:
    done = subprocess.run(
        [BOOKSTORE, "sandbox", "status", "--json", "--port-base", str(port_base)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        return None
    try:
        parsed: dict[str, Any] = json.loads(done.stdout)
    except ValueError:
        return None
    return parsed if parsed.get("phase") == "running" else None


def up(port_base: int) -> dict[str, Any]:
    log(f"sandbox: starting one on port base {port_base}")
    subprocess.run(
        [BOOKSTORE, "sandbox", "up", "--detach", "--port-base", str(port_base)],
        cwd=ROOT,
        check=True,
        timeout=UP_TIMEOUT_SECONDS,
        stdout=subprocess.DEVNULL,
    )
    found = status(port_base)
    if found is None:
        raise RuntimeError(f"the sandbox on port base {port_base} did not come up")
    return found


def down(port_base: int) -> None:
    log(f"sandbox: stopping the one on port base {port_base}")
    subprocess.run(
        [BOOKSTORE, "sandbox", "down", "--port-base", str(port_base)],
        cwd=ROOT,
        check=False,
        timeout=120,
        stdout=subprocess.DEVNULL,
    )


def serving_region(sandbox: dict[str, Any]) -> str:
    regions: dict[str, Any] = sandbox["regions"]
    for name, region in regions.items():
        if region.get("serving"):
            return name
    return next(n for n, r in regions.items() if r.get("role") == "primary")


def _dynamodb(endpoint: str, region: str) -> Any:
    import boto3

    return boto3.client(
        "dynamodb",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106  (moto's dummy credentials)
    )


def _table(logical: str) -> str:
    from bookstore.tables import TABLES
    from sandbox.config import TABLE_PREFIX

    return next(t.physical_name(TABLE_PREFIX) for t in TABLES if t.logical_name == logical)


def _session(sandbox: dict[str, Any]) -> Any:
    from drill.load import Cognito, sign_up_and_in

    cognito = next(iter(sandbox["regions"].values()))["cognito"]
    return sign_up_and_in(
        Cognito(cognito["endpoint"], cognito["clientId"]),
        f"bench-{uuid.uuid4().hex[:10]}@example.com",
    )


# -- 4: end to end -----------------------------------------------------------------------------


def end_to_end(sandbox: dict[str, Any], iterations: int, budget_seconds: float) -> Section:
    from drill.load import http_call

    region = serving_region(sandbox)
    layers = {
        "frontDoor": sandbox["frontDoor"].rstrip("/") + "/api",
        "gateway": sandbox["regions"][region]["api"],
    }
    log(f"end to end: {iterations} rounds through the front door, {region}'s gateway, moto")
    session = _session(sandbox)
    auth = {"Authorization": f"Bearer {session.token}"}
    listing = http_call(layers["gateway"], "GET", "/books?limit=20")
    if listing.status != 200 or not isinstance(listing.body, dict):
        raise RuntimeError(f"GET /books answered {listing.status}")
    books = [str(b["id"]) for b in listing.body["items"]]
    client = _dynamodb(sandbox["regions"][region]["aws"]["endpoint"], region)
    books_table = _table("Books")
    times: dict[str, dict[str, list[float]]] = {
        layer: {"browse": [], "cart": [], "checkout": []} for layer in layers
    }
    get_item: list[float] = []
    errors: dict[str, int] = {}

    def timed(layer: str, step: str, method: str, path: str, ok: int, **kw: Any) -> None:
        started = time.perf_counter()
        reply = http_call(layers[layer], method, path, **kw)
        elapsed = time.perf_counter() - started
        if reply.status == ok:
            times[layer][step].append(elapsed)
        else:
            key = f"{layer} {step} {reply.status}"
            errors[key] = errors.get(key, 0) + 1

    deadline = time.monotonic() + budget_seconds
    rounds = 0
    while rounds < iterations and time.monotonic() < deadline:
        order = list(layers) if rounds % 2 == 0 else list(reversed(layers))
        book = books[rounds % len(books)]
        for layer in order:
            timed(layer, "browse", "GET", "/books?limit=20", 200)
            timed(layer, "cart", "PUT", f"/cart/{book}", 200, body={"quantity": 1}, headers=auth)
            key = {"Idempotency-Key": f"bench-{uuid.uuid4().hex}"}
            timed(layer, "checkout", "POST", "/orders", 201, headers={**auth, **key})
        started = time.perf_counter()
        client.get_item(TableName=books_table, Key={"id": {"S": book}})
        get_item.append(time.perf_counter() - started)
        rounds += 1
    baseline = summary_ms(get_item)
    result: dict[str, Any] = {
        "status": "ok",
        "rounds": rounds,
        "region": region,
        "load": "one closed-loop client, no think time; layers interleaved within each round",
        "errors": errors,
        "motoGetItem": baseline,
        "steps": {},
    }
    for step in ("browse", "cart", "checkout"):
        front = times["frontDoor"][step]
        gate = times["gateway"][step]
        if not front or not gate:
            result["steps"][step] = {"error": "no successful request"}
            continue
        f, g = summary_ms(front), summary_ms(gate)
        result["steps"][step] = {
            "frontDoor": f,
            "gateway": g,
            "frontDoorOverGatewayP50": ratio(float(f["p50"]), float(g["p50"])),
            "frontDoorOverGatewayP99": ratio(float(f["p99"]), float(g["p99"])),
            "gatewayOverGetItemP50": ratio(float(g["p50"]), float(baseline["p50"])),
        }
        log(
            f"  {step}: front door p50 {f['p50']:.1f} / p99 {f['p99']:.1f} ms,"
            f" gateway p50 {g['p50']:.1f} / p99 {g['p99']:.1f} ms"
        )
    log(f"  moto GetItem p50 {baseline['p50']:.1f} ms; errors {errors or 'none'}")
    result["what"] = (
        "frontDoorOverGateway = what the front door (routing, health-aware proxy) adds;"
        " gatewayOverGetItem = gateway + JWT check + Lambda handler + its data calls, in units"
        " of one bare moto GetItem (boto3, kept-alive connection). HTTP requests use a fresh"
        " connection each, as the drill's users do. checkout = POST /orders only (the cart PUT"
        " before it is timed as cart)."
    )
    return result


# -- 5: replication and leaderboard ------------------------------------------------------------


def replication(sandbox: dict[str, Any], probes: int, budget_seconds: float) -> Section:
    import redis

    from bookstore.leaderboard import Leaderboard
    from drill.load import http_call

    names = list(sandbox["regions"])
    log(f"replication: {probes} probes each way, then {probes} checkouts to the leaderboards")
    clients = {n: _dynamodb(sandbox["regions"][n]["aws"]["endpoint"], n) for n in names}
    cart_table = _table("Cart")
    lags: dict[str, list[float]] = {}
    timeouts: dict[str, int] = {}
    deadline = time.monotonic() + budget_seconds
    for i in range(probes * 2):
        if time.monotonic() > deadline:
            break
        source, target = (names[0], names[1]) if i % 2 == 0 else (names[1], names[0])
        direction = f"{source} -> {target}"
        key = {
            "customerId": {"S": "bench-replication"},
            "bookId": {"S": f"probe-{uuid.uuid4().hex}"},
        }
        item = {**key, "quantity": {"N": "1"}, "title": {"S": "probe"}, "price": {"S": "1.00"}}
        started = time.perf_counter()
        clients[source].put_item(TableName=cart_table, Item=item)
        seen = False
        while time.perf_counter() - started < PROBE_TIMEOUT_SECONDS:
            got = clients[target].get_item(TableName=cart_table, Key=key, ConsistentRead=True)
            if "Item" in got:
                seen = True
                break
            time.sleep(POLL_SECONDS)
        if seen:
            lags.setdefault(direction, []).append(time.perf_counter() - started)
        else:
            timeouts[direction] = timeouts.get(direction, 0) + 1
        clients[source].delete_item(TableName=cart_table, Key=key)
    result: dict[str, Any] = {"status": "ok", "replicationLag": {}, "timeouts": timeouts}
    all_lags = [v for values in lags.values() for v in values]
    for direction, values in lags.items():
        result["replicationLag"][direction] = summary_ms(values)
    if all_lags:
        result["replicationLag"]["all"] = summary_ms(all_lags)
        s = result["replicationLag"]["all"]
        log(f"  replication lag p50 {s['p50']:.0f} ms, p99 {s['p99']:.0f} ms")

    # Order -> leaderboard: the checkout's acknowledgement until each region's Redis counted it.
    session = _session(sandbox)
    auth = {"Authorization": f"Bearer {session.token}"}
    # Pinned to one region's gateway, so the cart line and the checkout meet in one region.
    region = serving_region(sandbox)
    front = sandbox["regions"][region]["api"]
    redis_clients = {
        n: redis.Redis.from_url(sandbox["regions"][n]["redis"]["url"], socket_timeout=2.0)
        for n in names
    }
    counted_key = Leaderboard(redis_clients[names[0]], LEADERBOARD_NAME).counted_key
    listing = http_call(front, "GET", "/books?limit=20")
    if not isinstance(listing.body, dict) or not listing.body.get("items"):
        raise RuntimeError(f"GET /books answered {listing.status}")
    books = [str(b["id"]) for b in listing.body["items"]]
    delays: dict[str, list[float]] = {"local": [], "remote": []}
    board_timeouts = 0
    checkout_failures: list[str] = []
    deadline = time.monotonic() + budget_seconds
    for i in range(probes):
        if time.monotonic() > deadline:
            break
        put = http_call(front, "PUT", f"/cart/{books[i % len(books)]}", {"quantity": 1}, auth)
        reply = http_call(
            front, "POST", "/orders", headers={**auth, "Idempotency-Key": uuid.uuid4().hex}
        )
        acked = time.perf_counter()
        if reply.status != 201 or not isinstance(reply.body, dict):
            failed = f"cart {put.status}, checkout {reply.status} {str(reply.body)[:120]}"
            checkout_failures.append(failed)
            if len(checkout_failures) > probes // 2:
                raise RuntimeError(f"checkouts keep failing: {checkout_failures}")
            continue
        order_id = str(reply.body["orderId"])
        took = str(reply.body.get("region") or reply.region)
        pending = set(names)
        while pending and time.perf_counter() - acked < PROBE_TIMEOUT_SECONDS:
            for name in list(pending):
                if redis_clients[name].hexists(counted_key, order_id):
                    delays["local" if name == took else "remote"].append(
                        time.perf_counter() - acked
                    )
                    pending.discard(name)
            time.sleep(POLL_SECONDS)
        board_timeouts += len(pending)
    result["orderToLeaderboard"] = {
        kind: summary_ms(values) for kind, values in delays.items() if values
    }
    result["orderToLeaderboardTimeouts"] = board_timeouts
    result["orderToLeaderboardRegion"] = region
    result["checkoutFailures"] = checkout_failures
    for kind, s in result["orderToLeaderboard"].items():
        log(f"  order -> leaderboard ({kind}): p50 {s['p50']:.0f} ms, p99 {s['p99']:.0f} ms")
    result["what"] = (
        "replicationLag: PutItem in one region's DynamoDB until a consistent GetItem in the other"
        f" finds it (polled every {POLL_SECONDS * 1000:.0f} ms). orderToLeaderboard: from the"
        " checkout's 201 (at the serving region's gateway) until the order is counted in a"
        " region's Redis: local = the region that"
        " took the order (its stream poller), remote = the other region (replication, then its"
        " stream poller)."
    )
    return result


# -- 8: drill ----------------------------------------------------------------------------------


def drill(port_base: int, users: int, duration: float) -> Section:
    log(f"drill: {users} users for {duration:.0f} s against port base {port_base}")
    out = tempfile.mkdtemp(prefix="bench-drill-")  # kept: the full report, for a failed drill
    done = subprocess.run(
        [
            BOOKSTORE, "drill", "--users", str(users), "--duration", str(duration),
            "--port-base", str(port_base), "--out", out,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=duration + 600,
        check=False,
    )  # fmt: skip
    reports = sorted(Path(out).glob("*/report.json"))
    if not reports:
        return {
            "status": "error",
            "reason": f"drill wrote no report (exit {done.returncode}): {done.stderr[-600:]}",
        }
    report: dict[str, Any] = json.loads(reports[-1].read_text())
    report_dir = str(reports[-1].parent)
    rpo = report.get("rpo") or {}
    at_failover = rpo.get("atFailover") or {}
    after = rpo.get("afterRecovery") or {}
    recovery = report.get("recovery") or {}
    detection = report.get("detection") or {}
    result: dict[str, Any] = {
        "status": "ok",
        "reportDir": report_dir,
        "result": report.get("result"),
        "failures": report.get("failures"),
        "drill": report.get("drill"),
        "requirement": report.get("requirement"),
        "detectionSeconds": detection.get("seconds"),
        "rtoSeconds": recovery.get("rtoSeconds"),
        "failedCheckoutsAfterFault": recovery.get("failedCheckoutsAfterFault"),
        "rpoAtFailoverSeconds": at_failover.get("rpoSeconds"),
        "missingAtFailover": at_failover.get("missing"),
        "acknowledgedChecked": at_failover.get("acknowledgedChecked"),
        "rpoAfterRecoverySeconds": after.get("rpoSeconds"),
        "missingAfterRecovery": after.get("missing"),
        "errorRate": (report.get("errors") or {}).get("rate"),
        "duplicates": (report.get("duplicates") or {}).get("count"),
        "converged": (report.get("convergence") or {}).get("converged"),
    }
    log(
        f"  drill {result['result']}: RTO {result['rtoSeconds']} s, detection"
        f" {result['detectionSeconds']} s, RPO at failover {result['rpoAtFailoverSeconds']} s"
        f" ({result['missingAtFailover']} missing), after recovery"
        f" {result['missingAfterRecovery']} missing"
    )
    return result
