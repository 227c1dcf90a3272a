"""The deployed bookstore on AWS as a drill target.

Where everything is comes from the three stacks' outputs (`pulumi stack output --json`), the
names `__main__.py` exports. The only fault is the region fence: an item in the Books table
that makes the region's `/health` answer 503 (Route 53 then moves traffic away) and its API
refuse work with `REGION_FENCED`. The fence is lifted on every way out: normal end, error,
Ctrl-C and SIGTERM (the CLI turns those into KeyboardInterrupt; `close` runs in `finally`).

Everything that talks to AWS or runs `pulumi` is injectable, so the tests run it against
moto and fakes and never touch the network.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from bookstore.data.books import BooksRepository, fence_id
from bookstore.data.table import ItemTable
from bookstore.tables import TableDefinition
from drill.load import Cognito, http_call
from drill.model import FaultFacts, Sample
from drill.target import Board, DrillError, Target, scan_items

SUPPORTED_FAULTS = ("region-outage",)
PROJECT_ROOT = Path(__file__).resolve().parent.parent
HEALTH_TIMEOUT_SECONDS = 3.0

# (argv) -> stdout; raises on failure. Replaced by a fake in the tests.
CommandRunner = Callable[[list[str]], str]


def run_command(argv: list[str]) -> str:
    try:
        # From the project root: `--stack <org>/<stack>` takes the project from Pulumi.yaml.
        result = subprocess.run(
            argv, capture_output=True, text=True, timeout=120, check=False, cwd=PROJECT_ROOT
        )
    except FileNotFoundError:
        raise DrillError(f"{argv[0]} is not installed (needed to read the stack outputs)") from None
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise DrillError(f"{' '.join(argv[:4])} failed: {last}")
    return result.stdout


@dataclass(frozen=True)
class Deployment:
    """What the drill needs from the primary, secondary and global stacks."""

    primary_region: str
    secondary_region: str
    api_url: str
    regional_apis: dict[str, str]
    tables: dict[str, str]
    user_pool_id: str
    client_id: str
    site_url: str = ""
    rto_budget_seconds: float | None = None

    @classmethod
    def from_outputs(
        cls, primary: dict[str, Any], secondary: dict[str, Any], global_: dict[str, Any]
    ) -> Deployment:
        def need(outputs: dict[str, Any], stack: str, name: str) -> Any:
            if name not in outputs:
                raise DrillError(f"stack {stack} has no output {name!r}; is it deployed?")
            return outputs[name]

        primary_region = str(need(primary, "primary", "region"))
        secondary_region = str(need(secondary, "secondary", "region"))
        tables = need(primary, "primary", "tableNames")
        if not isinstance(tables, dict):
            raise DrillError("the primary stack's tableNames output is not a map")
        budget = global_.get("rtoBudgetSeconds")
        return cls(
            primary_region=primary_region,
            secondary_region=secondary_region,
            api_url=str(need(global_, "global", "apiUrl")),
            regional_apis={
                primary_region: str(need(primary, "primary", "apiEndpoint")),
                secondary_region: str(need(secondary, "secondary", "apiEndpoint")),
            },
            tables={str(k): str(v) for k, v in tables.items()},
            user_pool_id=str(need(primary, "primary", "userPoolId")),
            client_id=str(need(primary, "primary", "userPoolClientId")),
            site_url=str(global_.get("siteUrl", "")),
            rto_budget_seconds=float(budget) if budget is not None else None,
        )


def read_deployment(
    organization: str, stacks: Sequence[str], runner: CommandRunner = run_command
) -> Deployment:
    outputs = []
    for stack in stacks:
        text = runner(["pulumi", "stack", "output", "--json", "--stack", f"{organization}/{stack}"])
        try:
            outputs.append(json.loads(text))
        except ValueError:
            raise DrillError(f"pulumi printed no JSON for stack {stack}") from None
    return Deployment.from_outputs(*outputs)


class AwsTarget(Target):
    name = "aws"
    faults = SUPPORTED_FAULTS

    def __init__(
        self,
        deployment: Deployment,
        session: Any = None,
        http: Callable[..., Any] = http_call,
        drill_id: str = "drill",
    ) -> None:
        self.deployment = deployment
        self.session = session or boto3.Session()
        self.http = http
        self.drill_id = drill_id
        self.fenced: set[str] = set()
        self.users: list[str] = []

    # -- where things are ----------------------------------------------------------------

    @property
    def api(self) -> str:
        return self.deployment.api_url

    @property
    def regions(self) -> Sequence[str]:
        return (self.deployment.primary_region, self.deployment.secondary_region)

    def regional_api(self, region: str) -> str:
        try:
            return self.deployment.regional_apis[region]
        except KeyError:
            raise DrillError(f"the deployment has no region {region!r}") from None

    def cognito(self) -> Cognito:
        region = self.deployment.primary_region
        return Cognito(
            endpoint=f"https://cognito-idp.{region}.amazonaws.com",
            client_id=self.deployment.client_id,
        )

    def _cognito_client(self) -> Any:
        return self.session.client("cognito-idp", region_name=self.deployment.primary_region)

    def confirm_user(self, username: str) -> None:
        # The real pool sends a code by e-mail; the operator's credentials confirm instead.
        self._cognito_client().admin_confirm_sign_up(
            UserPoolId=self.deployment.user_pool_id, Username=username
        )
        self.users.append(username)

    def serving_region(self) -> str | None:
        reply = self.http(self.api, "GET", "/health", timeout=HEALTH_TIMEOUT_SECONDS)
        region = reply.headers.get("x-bookstore-region")
        return str(region) if region else None

    def sample(self, t: float) -> Sample | None:
        healthy = {}
        for region in self.regions:
            reply = self.http(
                self.regional_api(region), "GET", "/health", timeout=HEALTH_TIMEOUT_SECONDS
            )
            healthy[region] = reply.status == 200
        return Sample(t=t, serving=self.serving_region(), healthy=healthy)

    # -- the fence -----------------------------------------------------------------------

    def _books(self, region: str) -> BooksRepository:
        client = self.session.client("dynamodb", region_name=region)
        return BooksRepository(ItemTable(client, self.deployment.tables["Books"]))

    def outage(self, region: str) -> FaultFacts:
        self.fenced.add(region)
        self._books(region).set_fence(region, True, reason=f"failover drill {self.drill_id}")
        return FaultFacts(fence=region, table=self.deployment.tables["Books"])

    def restore_region(self, region: str) -> None:
        if region in self.fenced:
            self._lift(region)
            self.fenced.discard(region)

    def _lift(self, region: str, attempts: int = 5) -> None:
        """Delete the fence item, retrying: a fence left up keeps the region out of service."""
        for attempt in range(attempts):
            try:
                self._books(region).set_fence(region, False)
                return
            except Exception as exc:
                if attempt == attempts - 1:
                    raise DrillError(
                        f"could not lift the fence of {region} ({exc}); delete the item"
                        f" {fence_id(region)!r} from {self.deployment.tables['Books']} in"
                        f" {region} by hand"
                    ) from exc
                time.sleep(min(8.0, 0.5 * 2**attempt))

    # -- data ----------------------------------------------------------------------------

    def scan(self, region: str, table: TableDefinition) -> list[dict[str, Any]]:
        client = self.session.client("dynamodb", region_name=region)
        return scan_items(client, self.deployment.tables[table.logical_name])

    def board(self, region: str) -> Board:
        """The top of the region's leaderboard through its own API (ElastiCache lives in the
        VPC); compared with the truth as a top-N view."""
        reply = self.http(self.regional_api(region), "GET", "/bestsellers")
        if reply.status != 200 or not isinstance(reply.body, dict):
            return Board(sold=None, complete=False, error=f"GET /bestsellers: {reply.status}")
        sold = {str(e["book"]["id"]): int(e["sold"]) for e in reply.body.get("items", [])}
        return Board(sold=sold, complete=False)

    def close(self) -> None:
        """Lift every fence this drill set, then delete the drill's users."""
        for region in sorted(self.fenced):
            self._lift(region)
        self.fenced.clear()
        client = None
        for username in self.users:
            with contextlib.suppress(Exception):
                client = client or self._cognito_client()
                client.admin_delete_user(UserPoolId=self.deployment.user_pool_id, Username=username)
        self.users.clear()
