"""The local sandbox as a drill target.

Faults go through the sandbox's own command set (`outage`, `restore`, `partition`, `heal`),
called in-process through `sandbox.cli` so that the fault lands within milliseconds of the
moment we record (a subprocess would add a second of interpreter start-up to every figure).
Data is read straight from each region's moto server and Redis, the sandbox's stand-ins for
DynamoDB and ElastiCache.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import boto3
import redis
from botocore.config import Config

from bookstore.leaderboard import Leaderboard
from bookstore.tables import TableDefinition
from cli.main import CliError
from drill.load import Cognito, http_call
from drill.model import FaultFacts, Sample
from drill.target import BlogView, Board, DrillError, Target, scan_items

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

DATA_TIMEOUT_SECONDS = 5.0
START_TIMEOUT_SECONDS = 240.0


def sandbox_command(*argv: str) -> str:
    """Run `bookstore sandbox ARGV...` in this process; returns what it printed."""
    from sandbox import cli as sandbox_cli

    parser = argparse.ArgumentParser(prog="bookstore sandbox")
    sandbox_cli.register(parser)
    args = parser.parse_args(list(argv))
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer):
            code = sandbox_cli.run(args)
    except CliError as exc:
        raise DrillError(f"sandbox {argv[0]}: {exc}") from None
    if code != 0:
        raise DrillError(f"sandbox {argv[0]} exited with {code}: {buffer.getvalue().strip()}")
    return buffer.getvalue()


class SandboxTarget(Target):
    name = "sandbox"

    def __init__(self, port_base: int, start: bool = True, out: Any = None) -> None:
        self.port_base = port_base
        self.started_here = False
        self._closed = False
        try:
            self.status = self.read_status()
        except DrillError:
            if not start:
                raise
            if out is not None:
                print(f"no sandbox on port base {port_base}; starting one...", file=out)
            self.started_here = True
            try:
                sandbox_command("up", "--detach", "--port-base", str(port_base))
                self.status = self.read_status()
            except BaseException:
                # Interrupted or failed half-way: stop whatever came up; nobody else will.
                with contextlib.suppress(Exception):
                    sandbox_command("down", "--port-base", str(port_base))
                raise
        self._dynamo: dict[str, DynamoDBClient] = {}
        self._redis: dict[str, redis.Redis] = {}

    def read_status(self) -> dict[str, Any]:
        status: dict[str, Any] = json.loads(
            sandbox_command("status", "--json", "--port-base", str(self.port_base))
        )
        return status

    # -- where things are ------------------------------------------------------------------

    def _region(self, region: str) -> dict[str, Any]:
        try:
            found: dict[str, Any] = self.status["regions"][region]
        except KeyError:
            raise DrillError(f"the sandbox has no region {region!r}") from None
        return found

    @property
    def api(self) -> str:
        return str(self.status["frontDoor"]).rstrip("/") + "/api"

    @property
    def regions(self) -> Sequence[str]:
        regions = self.status["regions"]
        return sorted(regions, key=lambda name: regions[name]["role"] != "primary")

    def regional_api(self, region: str) -> str:
        return str(self._region(region)["api"])

    def cognito(self) -> Cognito:
        cognito = self._region(self.regions[0])["cognito"]
        return Cognito(endpoint=str(cognito["endpoint"]), client_id=str(cognito["clientId"]))

    def front_door_status(self) -> dict[str, Any] | None:
        reply = http_call(str(self.status["frontDoor"]), "GET", "/frontdoor/status", timeout=2)
        return reply.body if reply.status == 200 and isinstance(reply.body, dict) else None

    def serving_region(self) -> str | None:
        status = self.front_door_status()
        return None if status is None else status.get("serving")

    def sample(self, t: float) -> Sample | None:
        status = self.front_door_status()
        if status is None:
            return None
        healthy = {name: bool(r.get("healthy")) for name, r in status["regions"].items()}
        return Sample(t=t, serving=status.get("serving"), healthy=healthy)

    # -- faults --------------------------------------------------------------------------

    def outage(self, region: str) -> FaultFacts:
        said = sandbox_command("outage", region, "--port-base", str(self.port_base))
        return FaultFacts(command=f"bookstore sandbox outage {region}", said=said.strip())

    def restore_region(self, region: str) -> None:
        sandbox_command("restore", region, "--port-base", str(self.port_base))

    def partition(self) -> FaultFacts:
        sandbox_command("partition", "--port-base", str(self.port_base))
        return FaultFacts(command="bookstore sandbox partition")

    def heal(self) -> None:
        sandbox_command("heal", "--port-base", str(self.port_base))

    def flush_cache(self, region: str) -> FaultFacts:
        client = self._redis_client(region)
        keys = int(client.dbsize())
        client.flushdb()
        return FaultFacts(command=f"FLUSHDB on the Redis of {region}", keys_dropped=keys)

    # -- data ----------------------------------------------------------------------------

    def _dynamodb(self, region: str) -> DynamoDBClient:
        if region not in self._dynamo:
            self._dynamo[region] = boto3.client(
                "dynamodb",
                region_name=region,
                endpoint_url=str(self._region(region)["aws"]["endpoint"]),
                # moto accepts any credentials; these are its documented dummies.
                aws_access_key_id="testing",
                aws_secret_access_key="testing",  # noqa: S106
                # Bounded and tried once: a frozen region must not hang the drill.
                config=Config(
                    connect_timeout=DATA_TIMEOUT_SECONDS,
                    read_timeout=DATA_TIMEOUT_SECONDS,
                    retries={"max_attempts": 1},
                ),
            )
        return self._dynamo[region]

    def _redis_client(self, region: str) -> redis.Redis:
        if region not in self._redis:
            self._redis[region] = redis.Redis.from_url(
                str(self._region(region)["redis"]["url"]),
                socket_timeout=DATA_TIMEOUT_SECONDS,
                socket_connect_timeout=DATA_TIMEOUT_SECONDS,
                decode_responses=True,
            )
        return self._redis[region]

    def scan(self, region: str, table: TableDefinition) -> list[dict[str, Any]]:
        from sandbox.config import TABLE_PREFIX

        return scan_items(self._dynamodb(region), table.physical_name(TABLE_PREFIX))

    def board(self, region: str) -> Board:
        try:
            client = self._redis_client(region)
            leaderboard = Leaderboard(client)
            entries = cast(
                "list[tuple[str, float]]",
                client.zrange(leaderboard.board_key, 0, -1, withscores=True),
            )
            sold = {str(member): int(score) for member, score in entries}
            return Board(sold=sold, complete=True, built=leaderboard.is_built())
        except (redis.RedisError, OSError) as exc:
            return Board(sold=None, error=f"Redis unreadable: {type(exc).__name__}")

    # -- blog ----------------------------------------------------------------------------

    def blog(self) -> dict[str, BlogView]:
        status = self.read_status()
        views = {}
        for name, region in status["regions"].items():
            blog = region.get("blog")
            if isinstance(blog, dict):
                views[name] = BlogView(url=blog.get("url"), db_role=blog.get("dbRole"))
            elif isinstance(blog, str):
                views[name] = BlogView(url=blog, db_role=region.get("dbRole"))
        return views

    def blog_posts(self, region: str) -> set[str] | None:
        """Post ids through WordPress's REST API (`?rest_route=` works without pretty
        permalinks), 100 a page, at most 50 pages."""
        view = self.blog().get(region)
        if view is None or not view.url:
            return None
        ids: set[str] = set()
        for page in range(1, 51):
            reply = http_call(
                view.url, "GET", f"/?rest_route=/wp/v2/posts&per_page=100&page={page}&_fields=id"
            )
            if reply.status == 400 and page > 1:
                break  # WordPress answers 400 for a page past the last
            if reply.status != 200 or not isinstance(reply.body, list):
                return None
            ids |= {str(post.get("id")) for post in reply.body if isinstance(post, dict)}
            if len(reply.body) < 100:
                break
        return ids

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for client in self._redis.values():
            with contextlib.suppress(Exception):
                client.close()
        if self.started_here:
            with contextlib.suppress(DrillError):
                sandbox_command("down", "--port-base", str(self.port_base))
