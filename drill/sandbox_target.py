"""The local sandbox as a drill target.

Faults go through the sandbox's own control functions (`sandbox.control`: `outage`, `restore`,
`partition`, `heal`), called in-process so that the fault lands within milliseconds of the
moment we record (a subprocess would add a second of interpreter start-up to every figure).
Data is read straight from each region's moto server and Redis, the sandbox's stand-ins for
DynamoDB and ElastiCache.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

import boto3
import redis
from botocore.config import Config

from bookstore.leaderboard import Leaderboard
from bookstore.tables import TableDefinition
from drill.load import Cognito, http_call
from drill.model import FaultFacts, Sample
from drill.target import BlogView, Board, DrillError, Target, scan_items
from sandbox import control
from sandbox.config import SandboxError, build_config
from sandbox.status import RegionStatus, SandboxStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

DATA_TIMEOUT_SECONDS = 5.0
START_TIMEOUT_SECONDS = 240.0


_T = TypeVar("_T")
_P = ParamSpec("_P")


def sandbox_call(what: str, function: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """A control function of the sandbox; its error becomes the drill's."""
    try:
        return function(*args, **kwargs)
    except SandboxError as exc:
        raise DrillError(f"sandbox {what}: {exc}") from None


class SandboxTarget(Target):
    name = "sandbox"

    def __init__(self, port_base: int, start: bool = True, out: Any = None) -> None:
        self.port_base = port_base
        self.config = build_config(port_base)
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
                sandbox_call("up", control.up, self.config)
                self.status = self.read_status()
            except BaseException:
                # Interrupted or failed half-way: stop whatever came up; nobody else will.
                with contextlib.suppress(Exception):
                    control.down(self.config)
                raise
        self._dynamo: dict[str, DynamoDBClient] = {}
        self._redis: dict[str, redis.Redis] = {}

    def read_status(self) -> SandboxStatus:
        return sandbox_call("status", control.status, self.config)

    # -- where things are ------------------------------------------------------------------

    def _region(self, region: str) -> RegionStatus:
        try:
            return self.status.region(region)
        except KeyError:
            raise DrillError(f"the sandbox has no region {region!r}") from None

    @property
    def api(self) -> str:
        return self.status.front_door.rstrip("/") + "/api"

    @property
    def regions(self) -> Sequence[str]:
        regions = sorted(self.status.regions, key=lambda region: region.role != "primary")
        return [region.name for region in regions]

    def regional_api(self, region: str) -> str:
        return self._region(region).api

    def cognito(self) -> Cognito:
        config = self.status.config
        return Cognito(endpoint=config.cognito_endpoint, client_id=config.cognito.client_id)

    def front_door_status(self) -> dict[str, Any] | None:
        reply = http_call(self.status.front_door, "GET", "/frontdoor/status", timeout=2)
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
        done = sandbox_call("outage", control.outage, self.config, region)
        said = f"{done.region} is out: {done.processes} processes frozen"
        said += f"\n{done.blog}" if done.blog else ""
        return FaultFacts(command=f"bookstore sandbox outage {region}", said=said)

    def restore_region(self, region: str) -> None:
        sandbox_call("restore", control.restore, self.config, region)

    def partition(self) -> FaultFacts:
        sandbox_call("partition", control.partition, self.config)
        return FaultFacts(command="bookstore sandbox partition")

    def heal(self) -> None:
        sandbox_call("heal", control.heal, self.config)

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
                endpoint_url=self._region(region).aws_endpoint,
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
                self._region(region).redis_url,
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
        return {
            region.name: BlogView(url=region.blog_url, db_role=region.db_role)
            for region in self.read_status().regions
            if region.blog_url is not None
        }

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
                sandbox_call("down", control.down, self.config)
