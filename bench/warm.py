"""Section 3: warm handler latency per route, in-process over moto (mock_aws) and fakeredis,
against a bare boto3 GetItem on the same in-process moto, interleaved in one loop."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench.common import REGION, Section, ensure_paths, log, ratio, summary_ms
from bench.events import LambdaContext, http_event

PREFIX = "bench"
SUB = "bench-warm-customer"


@contextmanager
def patched_env(values: dict[str, str], drop: tuple[str, ...] = ()) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in (*values, *drop)}
    os.environ.update(values)
    for key in drop:
        os.environ.pop(key, None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run(iterations: int, budget_seconds: float) -> Section:
    ensure_paths()
    import boto3
    import fakeredis
    from moto import mock_aws

    from bookstore import services
    from bookstore.catalog import load_catalog, seed_books
    from bookstore.data import cache
    from bookstore.settings import get_settings, table_env_var
    from bookstore.tables import TABLES

    log(f"warm latency: up to {iterations} rounds of every route in-process (moto + fakeredis)")
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "BOOKSTORE_REGION": REGION,
        "REDIS_URL": "redis://fake:6379/0",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        **{table_env_var(t): t.physical_name(PREFIX) for t in TABLES},
    }
    book = str(load_catalog()[0]["id"])
    original_redis = cache.redis_client
    fake = fakeredis.FakeRedis(server=fakeredis.FakeServer(), decode_responses=True)
    with patched_env(env, drop=("AWS_ENDPOINT_URL",)), mock_aws():
        get_settings.cache_clear()
        services.reset()
        cache.redis_client = lambda: fake  # type: ignore[assignment]
        try:
            dynamodb = boto3.client("dynamodb", region_name=REGION)
            for table in TABLES:
                dynamodb.create_table(**table.to_create_table_kwargs(PREFIX))
            seed_books(services.books())
            import api

            def call(
                method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
            ) -> Callable[[], int]:
                def go() -> int:
                    raw = None if body is None else json.dumps(body)
                    event = http_event(method, path, headers=headers, body=raw, sub=SUB)
                    if "?" in path:
                        raw_path, query = path.split("?", 1)
                        event["rawPath"] = raw_path
                        event["requestContext"]["http"]["path"] = raw_path
                        event["rawQueryString"] = query
                        event["queryStringParameters"] = dict(
                            pair.split("=", 1) for pair in query.split("&")
                        )
                    result = api.handler(event, LambdaContext())  # type: ignore[arg-type]
                    status: int = result["statusCode"]
                    return status

                return go

            books_table = env["BOOKS_TABLE"]

            def get_item() -> int:
                dynamodb.get_item(TableName=books_table, Key={"id": {"S": book}})
                return 200

            def checkout() -> int:
                return call("POST", "/orders", headers={"Idempotency-Key": uuid.uuid4().hex})()

            steps: list[tuple[str, Callable[[], int], tuple[int, ...]]] = [
                ("baseline: boto3 GetItem", get_item, (200,)),
                ("GET /health", call("GET", "/health"), (200,)),
                ("GET /books?limit=20", call("GET", "/books?limit=20"), (200,)),
                ("GET /books/{id}", call("GET", f"/books/{book}"), (200,)),
                ("GET /categories", call("GET", "/categories"), (200,)),
                ("GET /bestsellers", call("GET", "/bestsellers"), (200,)),
                ("PUT /cart/{id}", call("PUT", f"/cart/{book}", {"quantity": 2}), (200,)),
                ("GET /cart", call("GET", "/cart"), (200,)),
                ("POST /orders", checkout, (201,)),
                ("GET /orders", call("GET", "/orders"), (200,)),
                ("DELETE /cart/{id}", call("DELETE", f"/cart/{book}"), (204,)),
            ]
            for _name, step, _ok in steps:  # warm-up round, untimed
                step()
            times: dict[str, list[float]] = {name: [] for name, _, _ in steps}
            deadline = time.monotonic() + budget_seconds
            rounds = 0
            while rounds < iterations and time.monotonic() < deadline:
                rounds += 1
                for name, step, ok in steps:
                    started = time.perf_counter()
                    status = step()
                    times[name].append(time.perf_counter() - started)
                    if status not in ok:
                        raise RuntimeError(f"{name} answered {status}")
        finally:
            cache.redis_client = original_redis
            services.reset()
            get_settings.cache_clear()
    baseline = summary_ms(times["baseline: boto3 GetItem"])
    routes: dict[str, Any] = {}
    for name, values in times.items():
        if name.startswith("baseline"):
            continue
        figures: dict[str, Any] = dict(summary_ms(values))
        figures["ratioP50ToGetItem"] = ratio(float(figures["p50"]), float(baseline["p50"]))
        routes[name] = figures
        log(f"  {name}: p50 {figures['p50']:.1f} ms, p99 {figures['p99']:.1f} ms")
    return {
        "status": "ok",
        "rounds": rounds,
        "baseline": {"what": "boto3 GetItem on the same in-process moto", **baseline},
        "routes": routes,
        "what": (
            "ratioP50ToGetItem = route p50 / bare GetItem p50: the handler's cost in units of"
            " one data-store round trip (moto in-process; real DynamoDB round trips differ)."
            " GET /orders reads one page (20) of the orders placed during the run."
        ),
    }
