"""Section 1: cold start. A fresh Python process imports a handler and invokes it once (API:
GET /books/<id> against a moto server; stream: one INSERT against a real Redis), against a fresh
process doing `import boto3` alone. Runs are interleaved so that load on the machine hits
baseline and subject alike.

Three reference processes split the API's ratio. The floor is the least any DynamoDB-reading
handler does: `import boto3`, create a client, one GetItem, no framework. The floor with
pydantic adds the least use of pydantic (import it, validate one one-field model), which any
handler validating with pydantic, as Powertools' validation does, cannot go under. The floor
with Powertools puts the same GetItem behind Powertools' HTTP API router and Logger, without
validation: what any handler routed by Powertools cannot go under."""

from __future__ import annotations

import json
import logging
import platform
import statistics
import subprocess
import time
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import (
    FUNCTIONS,
    HOST,
    PYTHON,
    REGION,
    ROOT,
    Section,
    child_env,
    free_port,
    log,
    ratio,
)
from bench.events import http_event, order_insert_record

TARGET_RATIO = 1.6
PREFIX = "bench"
CHILD_TIMEOUT_SECONDS = 60.0

# Reference processes above the floor: (child mode, results key, what it does).
REFERENCES = (
    (
        "floor+pydantic",
        "floorWithPydantic",
        "the floor plus importing pydantic and validating one one-field model",
    ),
    (
        "floor+powertools",
        "floorWithPowertools",
        "the floor behind Powertools' HTTP API router and Logger (one route resolved, no"
        " validation, no pydantic)",
    ),
)

# Packages the Lambda Python runtime provides besides the standard library.
LAMBDA_RUNTIME = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")

# Runs in the child. Only `json`, `os`, `sys` and `time` are imported before the clock starts.
# With BENCH_ALLOWED set, importing any other top-level package fails as it would in Lambda (the
# venv holds optional extras, e.g. opentelemetry for pulumi, that redis-py imports if present).
CHILD = """
import json, os, sys, time
mode, payload = sys.argv[1], json.loads(sys.argv[2])
blocked = set()
allowed = os.environ.get("BENCH_ALLOWED")
if allowed:
    allowed = set(allowed.split(",")) | set(sys.stdlib_module_names)
    class Block:
        @staticmethod
        def find_spec(name, path=None, target=None):
            top = name.partition(".")[0]
            if top not in allowed and not top.startswith("_"):
                blocked.add(top)
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None
    sys.meta_path.insert(0, Block)
class Context:
    function_name = "bench"; memory_limit_in_mb = 512; aws_request_id = "bench"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:bench"
    @staticmethod
    def get_remaining_time_in_millis(): return 30000
t0 = time.perf_counter()
result = None
if mode.startswith("import:"):
    __import__(mode.split(":", 1)[1])
    t1 = time.perf_counter()
elif mode == "boto3":
    import boto3
    t1 = time.perf_counter()
elif mode in ("floor", "floor+pydantic"):
    import boto3
    if mode == "floor+pydantic":
        import pydantic
        class Book(pydantic.BaseModel):
            id: str
    t1 = time.perf_counter()
    client = boto3.client("dynamodb", region_name=os.environ["BOOKSTORE_REGION"])
    item = client.get_item(TableName=os.environ["BOOKS_TABLE"], Key={"id": {"S": payload}})
    if mode == "floor+pydantic":
        Book(id=item["Item"]["id"]["S"])
    result = {"statusCode": 200}
elif mode == "floor+powertools":
    import boto3
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
    logger = Logger(service="bench")
    app = APIGatewayHttpResolver()
    @app.get("/books/<book_id>")
    def get_book(book_id):
        client = boto3.client("dynamodb", region_name=os.environ["BOOKSTORE_REGION"])
        key = {"id": {"S": book_id}}
        return client.get_item(TableName=os.environ["BOOKS_TABLE"], Key=key)["Item"]
    @logger.inject_lambda_context
    def handler(event, context):
        return app.resolve(event, context)
    t1 = time.perf_counter()
    result = handler(payload, Context())
else:
    module = __import__(mode)
    t1 = time.perf_counter()
    result = module.handler(payload, Context())
t2 = time.perf_counter()
status = result.get("statusCode") if isinstance(result, dict) else None
failures = result.get("batchItemFailures") if isinstance(result, dict) else None
print(json.dumps({"import": t1 - t0, "invoke": t2 - t1, "total": t2 - t0,
                  "status": status, "failures": failures, "blocked": sorted(blocked)}))
"""


@contextmanager
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    server.start()
    try:
        yield f"http://{HOST}:{port}"
    finally:
        server.stop()


@contextmanager
def redis_server() -> Iterator[str]:
    import redis

    from sandbox.supervisor import find_redis

    binary = find_redis()
    port = free_port()
    process = subprocess.Popen(
        [binary.path, "--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://{HOST}:{port}/0"
    try:
        client = redis.Redis.from_url(url, socket_timeout=1.0)
        deadline = time.monotonic() + 15.0
        while True:
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def provision(endpoint: str) -> dict[str, str]:
    """Creates and seeds the tables on the moto server; returns the Lambda's table env vars."""
    import boto3

    from bookstore.catalog import seed_books
    from bookstore.data.books import BooksRepository
    from bookstore.data.table import ItemTable
    from bookstore.settings import table_env_var
    from bookstore.tables import TABLES

    kwargs: dict[str, Any] = {
        "region_name": REGION,
        "endpoint_url": endpoint,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    client = boto3.client("dynamodb", **kwargs)
    env: dict[str, str] = {}
    for table in TABLES:
        client.create_table(**table.to_create_table_kwargs(PREFIX))
        env[table_env_var(table)] = table.physical_name(PREFIX)
    seed_books(BooksRepository(ItemTable(client, env["BOOKS_TABLE"])))
    return env


def bundle_top_level(zip_path: Path) -> set[str] | None:
    """Top-level module names inside the Lambda zip, plus the code in functions/."""
    if not zip_path.exists():
        return None
    names: set[str] = set()
    with zipfile.ZipFile(zip_path) as archive:
        for entry in archive.namelist():
            head = entry.split("/", 1)[0]
            if head.endswith(".dist-info") or head.endswith(".libs"):
                continue
            names.add(head.split(".", 1)[0])
    return names


def first_book_id() -> str:
    from bookstore.catalog import load_catalog

    return str(load_catalog()[0]["id"])


def run_child(mode: str, payload: Any, env: dict[str, str]) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run(
        [PYTHON, "-c", CHILD, mode, json.dumps(payload)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_SECONDS,
        check=False,
    )
    wall = time.perf_counter() - started
    lines = [line for line in done.stdout.splitlines() if line.startswith('{"import"')]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{mode} child failed ({done.returncode}): {done.stderr[-800:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    result["wall"] = wall
    return result


def import_profile(
    module: str, env: dict[str, str], top: int = 12, exclude: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """`python -X importtime` of importing `module` (under the same import restrictions as the
    timed runs): the slowest imports, self time per package and per module. Modules in
    `exclude` (what interpreter start-up and the child's prelude import) are left out."""
    done = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", CHILD, f"import:{module}", "null"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_SECONDS,
        check=False,
    )
    rows: list[tuple[int, int, str, int]] = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        try:
            self_us, cumulative_us, name = line.split(":", 1)[1].split("|")
        except ValueError:
            continue
        depth = (len(name) - len(name.lstrip())) // 2
        if name.strip() in exclude:
            continue
        rows.append((int(self_us), int(cumulative_us), name.strip(), depth))
    total = sum(r[0] for r in rows)
    # Self time summed per top-level package: what each distribution costs to import.
    packages: dict[str, int] = {}
    for own_us, _cumulative_us, module_name, _depth in rows:
        root = module_name.split(".")[0]
        packages[root] = packages.get(root, 0) + own_us
    by_package = sorted(packages.items(), key=lambda kv: kv[1], reverse=True)[:top]
    by_self = sorted(rows, key=lambda r: r[0], reverse=True)[:top]
    return {
        "module": module,
        "modules": [r[2] for r in rows],
        "totalImportMs": round(total / 1000, 1),
        "topPackagesSelfMs": [{"package": p, "ms": round(us / 1000, 1)} for p, us in by_package],
        "topModulesSelfMs": [{"module": r[2], "ms": round(r[0] / 1000, 1)} for r in by_self],
    }


def _med(values: list[float]) -> float:
    return round(statistics.median(values) * 1000, 1)


def run(repeats: int, bundle: Path, profile: bool = True) -> Section:
    log(f"cold start: {repeats} interleaved rounds of boto3 / api / stream processes")
    book = first_book_id()
    in_bundle = bundle_top_level(bundle)
    restrict: dict[str, str] = {}
    if in_bundle is not None:
        local = {p.stem for p in FUNCTIONS.iterdir() if p.suffix == ".py" or p.is_dir()}
        allowed = in_bundle | local | set(LAMBDA_RUNTIME)
        restrict["BENCH_ALLOWED"] = ",".join(sorted(allowed))
    with moto_server() as endpoint, redis_server() as redis_url:
        tables = provision(endpoint)
        env = child_env(
            BOOKSTORE_REGION=REGION,
            AWS_ENDPOINT_URL=endpoint,
            REDIS_URL=redis_url,
            POWERTOOLS_LOG_LEVEL="WARNING",
            **tables,
            **restrict,
        )
        api_event = http_event("GET", f"/books/{book}")
        # One untimed round first: compiles bytecode, warms the page cache.
        run_child("boto3", None, env)
        run_child("floor", book, env)
        run_child("floor+pydantic", book, env)
        run_child("floor+powertools", api_event, env)
        run_child("api", api_event, env)
        run_child("stream", {"Records": [order_insert_record("warm", book)]}, env)
        samples: dict[str, list[dict[str, Any]]] = {
            "boto3": [],
            "floor": [],
            "floor+pydantic": [],
            "floor+powertools": [],
            "api": [],
            "stream": [],
        }
        for i in range(repeats):  # bounded: each child has a timeout
            samples["boto3"].append(run_child("boto3", None, env))
            samples["floor"].append(run_child("floor", book, env))
            samples["floor+pydantic"].append(run_child("floor+pydantic", book, env))
            samples["floor+powertools"].append(run_child("floor+powertools", api_event, env))
            samples["api"].append(run_child("api", api_event, env))
            record = order_insert_record(f"bench-{uuid.uuid4().hex}", book, 2000 + i)
            samples["stream"].append(run_child("stream", {"Records": [record]}, env))
            log(
                f"  round {i + 1}/{repeats}: boto3 {samples['boto3'][-1]['total'] * 1000:.0f} ms,"
                f" floor {samples['floor'][-1]['total'] * 1000:.0f} ms,"
                f" api {samples['api'][-1]['total'] * 1000:.0f} ms,"
                f" stream {samples['stream'][-1]['total'] * 1000:.0f} ms"
            )
        references = samples["floor"] + samples["floor+pydantic"] + samples["floor+powertools"]
        bad_api = [s["status"] for s in samples["api"] + references if s["status"] != 200]
        bad_stream = [s["failures"] for s in samples["stream"] if s["failures"] != []]
        if bad_api or bad_stream:
            raise RuntimeError(f"handlers failed: api {bad_api}, stream {bad_stream}")

        def figures(name: str) -> dict[str, Any]:
            runs = samples[name]
            return {
                "medianImportMs": _med([r["import"] for r in runs]),
                "medianFirstInvokeMs": _med([r["invoke"] for r in runs]),
                "medianInProcessMs": _med([r["total"] for r in runs]),
                "medianProcessWallMs": _med([r["wall"] for r in runs]),
                "inProcessMs": [round(r["total"] * 1000, 1) for r in runs],
            }

        result: dict[str, Any] = {"status": "ok", "repeats": repeats, "targetRatio": TARGET_RATIO}
        result["python"] = platform.python_version()
        blocked = sorted({b for runs in samples.values() for r in runs for b in r["blocked"]})
        result["importSet"] = {
            "restrictedToLambda": in_bundle is not None,
            "what": (
                "imports limited to the standard library, the Lambda runtime's packages"
                f" ({', '.join(LAMBDA_RUNTIME)}), functions/ and what {bundle.name} ships;"
                " this venv's other packages fail to import, as in Lambda"
                if in_bundle is not None
                else f"{bundle} is missing: imports resolve against the whole venv, which"
                " holds optional extras the Lambda bundle lacks (figures may be pessimistic)"
            ),
            "blockedImports": blocked,
        }
        baseline = figures("boto3")
        result["baseline"] = {"what": "python -c 'import boto3'", **baseline}
        floor = figures("floor")
        floor["ratio"] = ratio(floor["medianInProcessMs"], baseline["medianInProcessMs"])
        floor["ratioProcessWall"] = ratio(
            floor["medianProcessWallMs"], baseline["medianProcessWallMs"]
        )
        result["floor"] = {
            "what": "import boto3, create a DynamoDB client, one GetItem; no framework",
            **floor,
        }
        # Two floors on top of that, one per library the API is built on (the project's
        # standards ask for both): what any handler validating with pydantic (as Powertools'
        # validation does), or routing with Powertools, cannot go under.
        for mode, key, what in REFERENCES:
            ref = figures(mode)
            ref["ratio"] = ratio(ref["medianInProcessMs"], baseline["medianInProcessMs"])
            ref["ratioProcessWall"] = ratio(
                ref["medianProcessWallMs"], baseline["medianProcessWallMs"]
            )
            ref["ratioToFloor"] = ratio(ref["medianInProcessMs"], floor["medianInProcessMs"])
            result[key] = {"what": what, **ref}
        for name in ("api", "stream"):
            subject = figures(name)
            r_in = ratio(subject["medianInProcessMs"], baseline["medianInProcessMs"])
            r_wall = ratio(subject["medianProcessWallMs"], baseline["medianProcessWallMs"])
            subject["ratio"] = r_in
            subject["ratioProcessWall"] = r_wall
            subject["target"] = "pass" if r_in is not None and r_in <= TARGET_RATIO else "miss"
            r_floor = ratio(subject["medianInProcessMs"], floor["medianInProcessMs"])
            subject["ratioToFloor"] = r_floor
            result[name] = subject
            log(
                f"  {name}: {r_in}x import boto3 (in-process), {r_wall}x (whole process),"
                f" {r_floor}x the floor"
            )
        result["what"] = (
            "in-process = from before the first import to the end of the first invocation;"
            " process wall = spawn to exit, interpreter start-up included (same for both)"
        )
        missed = any(result[name]["target"] == "miss" for name in ("api", "stream"))
        if missed and profile:
            log("  target missed: profiling imports with -X importtime")
            prelude = frozenset(import_profile("sys", env)["modules"])
            result["importProfile"] = {
                m: import_profile(m, env, exclude=prelude) for m in ("api", "stream", "boto3")
            }
            for profiled in result["importProfile"].values():
                profiled.pop("modules")
        return result
