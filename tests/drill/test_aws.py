"""The AWS target against moto and fakes: stack outputs from a fake `pulumi`, the fence in
moto's DynamoDB, the regional APIs faked on top of it. Nothing here touches the network."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bookstore.data.books import BooksRepository
from bookstore.data.table import ItemTable
from bookstore.tables import TABLES
from drill import __main__ as drill_main
from drill import aws_target
from drill.aws_target import AwsTarget, Deployment, read_deployment
from drill.load import Reply
from drill.runner import Options, prepare
from drill.target import DrillError

P, S = "eu-west-1", "ap-southeast-1"
PREFIX = "bookstore-test"


def outputs(pool_id: str = "pool", client_id: str = "client") -> dict[str, dict[str, Any]]:
    return {
        "primary": {
            "region": P,
            "secondaryRegion": S,
            "tableNames": {t.logical_name: f"{PREFIX}-{t.logical_name}" for t in TABLES},
            "userPoolId": pool_id,
            "userPoolClientId": client_id,
            "apiEndpoint": f"https://p.execute-api.{P}.amazonaws.com",
        },
        "secondary": {"region": S, "apiEndpoint": f"https://s.execute-api.{S}.amazonaws.com"},
        "global": {
            "siteUrl": "https://shop.example.com",
            "apiUrl": "https://api.shop.example.com",
            "rtoBudgetSeconds": 90,
        },
    }


def fake_pulumi(data: dict[str, dict[str, Any]], calls: list[list[str]]) -> Any:
    def runner(argv: list[str]) -> str:
        calls.append(argv)
        stack = argv[-1].split("/")[-1]
        return json.dumps(data[stack])

    return runner


def test_read_deployment_uses_the_three_stacks_outputs() -> None:
    calls: list[list[str]] = []
    deployment = read_deployment(
        "acme", ["primary", "secondary", "global"], fake_pulumi(outputs(), calls)
    )
    assert calls[0] == ["pulumi", "stack", "output", "--json", "--stack", "acme/primary"]
    assert [c[-1] for c in calls] == ["acme/primary", "acme/secondary", "acme/global"]
    assert deployment.api_url == "https://api.shop.example.com"
    assert deployment.regional_apis[S] == f"https://s.execute-api.{S}.amazonaws.com"
    assert deployment.tables["Orders"] == f"{PREFIX}-Orders"
    assert deployment.rto_budget_seconds == 90


def test_a_missing_output_is_a_clear_error() -> None:
    data = outputs()
    del data["global"]["apiUrl"]
    with pytest.raises(DrillError, match="stack global has no output 'apiUrl'"):
        read_deployment("acme", ["primary", "secondary", "global"], fake_pulumi(data, []))


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Deployment]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": P,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        for region in (P, S):
            client = boto3.client("dynamodb", region_name=region)
            for table in TABLES:
                client.create_table(**table.to_create_table_kwargs(PREFIX))
        cognito = boto3.client("cognito-idp", region_name=P)
        pool = cognito.create_user_pool(PoolName="drill")["UserPool"]["Id"]
        app = cognito.create_user_pool_client(UserPoolId=pool, ClientName="web")
        data = outputs(pool, app["UserPoolClient"]["ClientId"])
        yield Deployment.from_outputs(data["primary"], data["secondary"], data["global"])


class FakeRegionalApis:
    """Each region's /health reads the fence from (moto's) DynamoDB, as the real API does."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.calls: list[tuple[str, str]] = []

    def region_of(self, base: str) -> str:
        for region, url in self.deployment.regional_apis.items():
            if url == base:
                return region
        # The global name answers from the first healthy region (latency routing).
        return next((r for r in (P, S) if not self.fenced(r)), P)

    def fenced(self, region: str) -> bool:
        client = boto3.client("dynamodb", region_name=region)
        return BooksRepository(ItemTable(client, self.deployment.tables["Books"])).is_fenced(region)

    def __call__(self, base: str, method: str, path: str, *args: Any, **kwargs: Any) -> Reply:
        self.calls.append((base, path))
        region = self.region_of(base)
        headers = {"x-bookstore-region": region}
        if self.fenced(region):
            return Reply(503, headers, {"error": {"code": "REGION_FENCED"}})
        if path == "/bestsellers":
            item = {"rank": 1, "sold": 3, "book": {"id": "b1"}}
            return Reply(200, headers, {"items": [item]})
        return Reply(200, headers, {"status": "ok", "region": region})


def test_the_fence_takes_a_region_out_and_is_lifted(aws: Deployment) -> None:
    apis = FakeRegionalApis(aws)
    target = AwsTarget(aws, http=apis, drill_id="t1")
    assert target.api == "https://api.shop.example.com"
    assert target.serving_region() == P
    assert target.sample(0.0) is not None
    facts = target.outage(P)
    assert facts.to_json() == {"fence": P, "table": aws.tables["Books"]}
    assert apis.fenced(P)
    assert not apis.fenced(S)
    sample = target.sample(1.0)
    assert sample is not None
    assert sample.healthy == {P: False, S: True}
    assert sample.serving == S
    target.restore_region(P)
    assert not apis.fenced(P)
    assert target.fenced == set()


def test_close_lifts_a_fence_left_behind_and_deletes_the_drill_users(aws: Deployment) -> None:
    cognito = boto3.client("cognito-idp", region_name=P)
    cognito.sign_up(ClientId=aws.client_id, Username="drill-1@example.com", Password="Pass-word-1!")
    target = AwsTarget(aws, http=FakeRegionalApis(aws))
    target.confirm_user("drill-1@example.com")
    user = cognito.admin_get_user(UserPoolId=aws.user_pool_id, Username="drill-1@example.com")
    assert user["UserStatus"] == "CONFIRMED"
    target.outage(S)
    target.close()
    assert not FakeRegionalApis(aws).fenced(S)
    users = cognito.list_users(UserPoolId=aws.user_pool_id)["Users"]
    assert users == []


def test_other_faults_are_refused_on_aws(aws: Deployment) -> None:
    target = AwsTarget(aws, http=FakeRegionalApis(aws))
    for fault in ("partition", "cache-loss", "blog-primary-loss"):
        with pytest.raises(DrillError, match=f"fault '{fault}' is not available on aws"):
            prepare(target, Options("aws", fault, None, 1, 5.0, None, None))
    with pytest.raises(DrillError, match="not available on aws"):
        target.partition()
    with pytest.raises(DrillError, match="not available on aws"):
        target.flush_cache(P)
    assert target.fenced == set()


def test_board_is_read_through_the_regional_api_as_a_top_n_view(aws: Deployment) -> None:
    board = AwsTarget(aws, http=FakeRegionalApis(aws)).board(S)
    assert board.sold == {"b1": 3}
    assert board.complete is False


def test_scan_reads_the_deployed_tables(aws: Deployment) -> None:
    table = boto3.resource("dynamodb", region_name=S).Table(aws.tables["Orders"])
    table.put_item(Item={"customerId": "c1", "orderId": "o-1", "total": 3})
    items = AwsTarget(aws).scan(S, TABLES[2])
    assert items == [{"customerId": "c1", "orderId": "o-1", "total": 3}]


def test_cli_refuses_aws_without_yes(capsys: pytest.CaptureFixture[str]) -> None:
    assert drill_main.main(["--target", "aws"]) == 2
    assert "add --yes" in capsys.readouterr().err


def test_ctrl_c_mid_drill_lifts_the_fence(
    aws: Deployment, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI path end to end with the drill interrupted right after the fence went up."""
    monkeypatch.setattr(aws_target, "read_deployment", lambda org, stacks: aws)

    def interrupted(target: AwsTarget, options: Any, out: Any = None) -> Any:
        target.outage(P)
        assert FakeRegionalApis(aws).fenced(P)
        raise KeyboardInterrupt

    monkeypatch.setattr("drill.runner.run_drill", interrupted)
    code = drill_main.main(["--target", "aws", "--yes", "--org", "acme"])
    assert code == 130
    assert not FakeRegionalApis(aws).fenced(P)
