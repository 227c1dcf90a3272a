"""Each stack's `__main__.py` run to completion under mocks: composition, stack references,
exports, and the contract between the stacks."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pulumi
import pytest

from components.upstream import MissingStackOutputError, UpstreamStack
from tests.infra import harness
from tests.infra.conftest import PROGRAM, run_program

STACK_REFERENCE = "pulumi:pulumi:StackReference"


def _program_module() -> ModuleType:
    """`__main__.py`'s constants without running it (its last line deploys)."""
    source = PROGRAM.read_text().rsplit("\nmain()", 1)[0]
    module = ModuleType("bookstore_program")
    module.__file__ = str(PROGRAM)
    exec(compile(source, str(PROGRAM), "exec"), module.__dict__)  # noqa: S102
    return module


def _components(run: harness.Run) -> list[str]:
    return sorted(r.type for r in run.resources if r.type.startswith("bookstore:index:"))


def test_primary_composes_data_region_and_blog(primary_run: harness.Run) -> None:
    assert _components(primary_run) == [
        "bookstore:index:BlogTier",
        "bookstore:index:GlobalData",
        "bookstore:index:RegionalBookstore",
        "bookstore:index:RegionalNetwork",
    ]
    assert primary_run.of_type(STACK_REFERENCE) == []


def test_primary_exports(primary_run: harness.Run) -> None:
    exports = primary_run.exports
    assert set(exports) == set(_program_module().PRIMARY_OUTPUTS)
    assert exports["region"] == "eu-west-1"
    assert exports["secondaryRegion"] == "ap-southeast-1"
    assert exports["tableNames"] == {
        "Books": "bookstore-Books",
        "Cart": "bookstore-Cart",
        "Orders": "bookstore-Orders",
    }
    assert set(exports["streamArns"]) == {"eu-west-1", "ap-southeast-1"}
    assert exports["streamArns"]["ap-southeast-1"]["Orders"].startswith(
        "arn:aws:dynamodb:ap-southeast-1:123456789012:table/bookstore-Orders/stream/"
    )
    assert set(exports["siteBuckets"]) == {"eu-west-1", "ap-southeast-1"}
    assert exports["siteBuckets"]["ap-southeast-1"]["domainName"].endswith(
        ".s3.ap-southeast-1.amazonaws.com"
    )
    assert exports["auroraGlobalClusterId"] == "bookstore-blog"
    assert exports["userPoolId"] == "bookstore-primary-users-id"
    assert exports["userPoolClientId"] == "bookstore-primary-web-client-id"
    assert exports["apiHost"].endswith(".execute-api.eu-west-1.amazonaws.com")
    assert exports["apiRegionalUrl"] == "https://api-eu-west-1.books.example.com"
    assert exports["blogDbSecretArn"].startswith("arn:aws:secretsmanager:eu-west-1:")


def test_secondary_references_primary_and_exports(secondary_run: harness.Run) -> None:
    assert _components(secondary_run) == [
        "bookstore:index:BlogTier",
        "bookstore:index:RegionalBookstore",
        "bookstore:index:RegionalNetwork",
    ]
    refs = secondary_run.of_type(STACK_REFERENCE)
    assert [r.inputs["name"] for r in refs] == ["organization/bookstore/primary"]
    assert set(secondary_run.exports) == set(_program_module().SECONDARY_OUTPUTS)
    assert secondary_run.exports["region"] == "ap-southeast-1"
    assert secondary_run.exports["apiRegionalUrl"] == "https://api-ap-southeast-1.books.example.com"
    # Regional resources land in the secondary region, reading the replica's stream.
    mapping = secondary_run.one("aws:lambda/eventSourceMapping:EventSourceMapping")
    assert mapping.inputs["region"] == "ap-southeast-1"
    assert mapping.inputs["eventSourceArn"].startswith(
        "arn:aws:dynamodb:ap-southeast-1:123456789012:table/bookstore-Orders/stream/"
    )
    assert secondary_run.of_type("aws:dynamodb/table:Table") == []
    assert secondary_run.of_type("aws:cognito/userPool:UserPool") == []
    assert secondary_run.of_type("aws:lambda/invocation:Invocation") == []


def test_global_references_both_and_exports(global_run: harness.Run) -> None:
    assert _components(global_run) == ["bookstore:index:FailoverRouting"]
    refs = global_run.of_type(STACK_REFERENCE)
    assert sorted(r.inputs["name"] for r in refs) == [
        "organization/bookstore/primary",
        "organization/bookstore/secondary",
    ]
    exports = global_run.exports
    assert exports["siteUrl"] == "https://books.example.com"
    assert exports["apiUrl"] == "https://api.books.example.com"
    assert exports["blogUrl"] == "https://blog.books.example.com"
    assert exports["rtoBudgetSeconds"] == 10 * 3 + 60
    assert set(exports["healthCheckIds"]) == {"eu-west-1", "ap-southeast-1"}
    assert exports["distributionDomainName"] == "d111111abcdef8.cloudfront.net"


@pytest.mark.parametrize("stack", ["primary_run", "secondary_run"])
def test_the_bookstore_and_the_blog_share_the_regions_network(
    stack: str, request: pytest.FixtureRequest
) -> None:
    run: harness.Run = request.getfixturevalue(stack)
    (vpc,) = run.of_type("aws:ec2/vpc:Vpc")
    groups = run.of_type("aws:ec2/securityGroup:SecurityGroup")
    owners = {g.parent.rsplit("::", 1)[-1] for g in groups}
    role = stack.removesuffix("_run")
    assert owners == {f"bookstore-{role}", f"bookstore-blog-{role}"}
    assert {g.inputs["vpcId"] for g in groups} == {vpc.id}
    private = {r.id for r in run.of_type("aws:ec2/subnet:Subnet") if "-private-" in r.name}
    (db_subnets,) = run.of_type("aws:rds/subnetGroup:SubnetGroup")
    (redis_subnets,) = run.of_type("aws:elasticache/subnetGroup:SubnetGroup")
    assert set(db_subnets.inputs["subnetIds"]) == set(redis_subnets.inputs["subnetIds"]) == private


@pytest.mark.parametrize("stack", ["primary_run", "secondary_run"])
def test_the_network_keeps_the_urns_it_had_inside_the_bookstore(
    stack: str, request: pytest.FixtureRequest
) -> None:
    run: harness.Run = request.getfixturevalue(stack)
    (network,) = run.of_type("bookstore:index:RegionalNetwork")
    (bookstore,) = run.of_type("bookstore:index:RegionalBookstore")
    children = [r for r in run.resources if r.parent == network.urn]
    assert {r.type for r in children} >= {"aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet"}
    # Same names, and aliased to the bookstore's URN: the old URNs exactly. The mock monitor
    # qualifies a top-level resource's type with the stack's (`pulumi:pulumi:Stack$...`); the
    # engine does not, and the alias is the engine's URN.
    assert network.name == bookstore.name
    assert all(r.name.startswith(f"{bookstore.name}-") for r in children)
    engine_urn = bookstore.urn.replace("::pulumi:pulumi:Stack$", "::", 1)
    assert engine_urn == (
        f"urn:pulumi:{stack.removesuffix('_run')}::bookstore::"
        f"bookstore:index:RegionalBookstore::{bookstore.name}"
    )
    assert {r.alias_parents for r in children} == {(engine_urn,)}


@pytest.mark.parametrize(
    ("stack", "region"), [("primary_run", "eu-west-1"), ("secondary_run", "ap-southeast-1")]
)
def test_each_regional_stack_serves_its_api_on_its_own_name(
    stack: str, region: str, request: pytest.FixtureRequest
) -> None:
    run: harness.Run = request.getfixturevalue(stack)
    own = f"api-{region}.books.example.com"
    (cert,) = [
        c
        for c in run.of_type("aws:acm/certificate:Certificate")
        if c.inputs["domainName"] == "api.books.example.com"
    ]
    assert cert.inputs["subjectAlternativeNames"] == [own]
    records = {r.inputs["name"]: r.inputs for r in run.of_type("aws:route53/record:Record")}
    assert f"_abc.{own}." in records  # its validation record
    (domain,) = [
        d
        for d in run.of_type("aws:apigatewayv2/domainName:DomainName")
        if d.inputs["domainName"] == own
    ]
    (api,) = run.of_type("aws:apigatewayv2/api:Api")
    (mapping,) = [
        m
        for m in run.of_type("aws:apigatewayv2/apiMapping:ApiMapping")
        if m.inputs["domainName"] == domain.id
    ]
    assert mapping.inputs["apiId"] == api.id
    (alias,) = records[own]["aliases"]
    assert alias["name"] == f"d-{domain.name}.execute-api.{region}.amazonaws.com"
    assert run.exports["apiRegionalUrl"] == f"https://{own}"


def test_the_web_app_may_call_every_regional_api(
    primary_run: harness.Run, secondary_run: harness.Run, global_run: harness.Run
) -> None:
    regional = {
        run.exports["region"]: run.exports["apiRegionalUrl"] for run in (primary_run, secondary_run)
    }
    assert regional == {
        "eu-west-1": "https://api-eu-west-1.books.example.com",
        "ap-southeast-1": "https://api-ap-southeast-1.books.example.com",
    }
    (config,) = [
        r.inputs["content"]
        for r in global_run.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
        if r.inputs["key"] == "config.json"
    ]
    assert json.loads(config)["regionalApis"] == regional
    (headers,) = global_run.of_type("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")
    csp = headers.inputs["securityHeadersConfig"]["contentSecurityPolicy"]["contentSecurityPolicy"]
    (connect,) = [d.split() for d in csp.split("; ") if d.startswith("connect-src ")]
    assert {"https://api.books.example.com", *regional.values()} <= set(connect)


def test_every_required_output_is_exported(
    primary_run: harness.Run, secondary_run: harness.Run, global_run: harness.Run
) -> None:
    by_secondary, by_global = secondary_run.required, global_run.required
    assert set(by_secondary) == {"primary"}
    assert set(by_global) == {"primary", "secondary"}
    assert by_secondary["primary"] <= set(primary_run.exports)
    assert by_global["primary"] <= set(primary_run.exports)
    assert by_global["secondary"] <= set(secondary_run.exports)
    # Concretely, not vacuously:
    assert {"streamArns", "tableNames", "userPoolId", "blogDbSecretArn"} <= by_secondary["primary"]
    assert {"apiHost", "apiDomainTarget", "apiRegionalUrl", "blogAlbDnsName"} <= by_global[
        "secondary"
    ]
    assert primary_run.required == {}


def test_missing_upstream_output_names_the_stack_to_deploy() -> None:
    def program() -> None:
        primary = UpstreamStack("primary", "organization/bookstore/primary", "primary")
        pulumi.export("pool", primary.require_output("userPoolId"))

    with pytest.raises(MissingStackOutputError) as info:
        harness.run(program, stack="secondary", upstream={"organization/bookstore/primary": {}})
    assert str(info.value) == (
        "stack organization/bookstore/primary has no output 'userPoolId': deploy the primary "
        "stack first (`pulumi up --stack organization/bookstore/primary`)"
    )
    present = harness.run(
        program,
        stack="secondary",
        upstream={"organization/bookstore/primary": {"userPoolId": "eu-west-1_X"}},
    )
    assert present.exports == {"pool": "eu-west-1_X"}


def test_stack_reference_names_follow_config(
    web_dist: Path, primary_run: harness.Run, secondary_run: harness.Run
) -> None:
    run = run_program(
        "staging-global",
        {
            "bookstore:role": "global",
            "bookstore:webDist": str(web_dist),
            "bookstore:stackOrganization": "acme",
            "bookstore:primaryStack": "staging-primary",
            "bookstore:secondaryStack": "staging-secondary",
        },
        {
            "acme/bookstore/staging-primary": primary_run.exports,
            "acme/bookstore/staging-secondary": secondary_run.exports,
        },
    )
    assert sorted(r.inputs["name"] for r in run.of_type(STACK_REFERENCE)) == [
        "acme/bookstore/staging-primary",
        "acme/bookstore/staging-secondary",
    ]


def test_regions_must_match_the_primary_stack(
    web_dist: Path, primary_run: harness.Run, secondary_run: harness.Run
) -> None:
    with pytest.raises(Exception, match="deployed with secondaryRegion ap-southeast-1") as info:
        run_program(
            "global",
            {"bookstore:webDist": str(web_dist), "bookstore:secondaryRegion": "us-west-2"},
            {
                "organization/bookstore/primary": primary_run.exports,
                "organization/bookstore/secondary": secondary_run.exports,
            },
        )
    assert "`pulumi config set bookstore:secondaryRegion ap-southeast-1`" in str(info.value)


@pytest.mark.parametrize("stack", ["secondary", "global"])
def test_a_primary_region_other_than_the_primary_stacks_is_refused(
    stack: str,
    artifact_dir: Path,
    web_dist: Path,
    primary_run: harness.Run,
    secondary_run: harness.Run,
) -> None:
    # us-east-2 is neither region, so only the primary's own `region` output can tell.
    with pytest.raises(Exception, match="deployed with primaryRegion eu-west-1") as info:
        run_program(
            stack,
            {
                "bookstore:artifactDir": str(artifact_dir),
                "bookstore:webDist": str(web_dist),
                "bookstore:primaryRegion": "us-east-2",
            },
            {
                "organization/bookstore/primary": primary_run.exports,
                "organization/bookstore/secondary": secondary_run.exports,
            },
        )
    assert "`pulumi config set bookstore:primaryRegion eu-west-1`" in str(info.value)


def test_the_secondary_trusts_the_pool_in_the_primary_stacks_region(
    secondary_run: harness.Run,
) -> None:
    issuer = secondary_run.one("aws:apigatewayv2/authorizer:Authorizer").inputs["jwtConfiguration"][
        "issuer"
    ]
    assert issuer == "https://cognito-idp.eu-west-1.amazonaws.com/bookstore-primary-users-id"


def test_members_join_at_the_version_the_global_cluster_runs(
    primary_run: harness.Run, secondary_run: harness.Run
) -> None:
    # The mock reports `<asked>-actual` as the running version.
    actual = "8.0.mysql_aurora.3.08.2-actual"
    assert primary_run.exports["auroraEngineVersion"] == actual
    for run in (primary_run, secondary_run):
        assert run.one("aws:rds/cluster:Cluster").inputs["engineVersion"] == actual


def test_unknown_stack_is_a_clear_error() -> None:
    with pytest.raises(pulumi.RunError, match=r"unknown stack 'dev'.*bookstore:role"):
        run_program("dev")


def test_missing_domain_is_a_clear_error(primary_config: dict[str, str]) -> None:
    from tests.infra.harness import BASE_CONFIG

    config = {**primary_config, "bookstore:domain": ""}
    assert "bookstore:domain" in BASE_CONFIG
    with pytest.raises(pulumi.RunError, match="missing required config bookstore:domain"):
        run_program("primary", config)


def test_without_a_db_password_the_primary_makes_one(artifact_dir: Path) -> None:
    run = run_program("primary", {"bookstore:artifactDir": str(artifact_dir)})
    made = run.one("random:index/randomPassword:RandomPassword", "-db-password")
    cluster = run.one("aws:rds/cluster:Cluster").inputs
    assert "masterPassword" in cluster
    assert made.inputs["length"] >= 16


def test_missing_artifacts_fail_naming_make_build(tmp_path: Path) -> None:
    with pytest.raises(pulumi.RunError, match="run `make build` first"):
        run_program(
            "primary",
            {"bookstore:artifactDir": str(tmp_path), "bookstore:blogDbPassword": "x" * 12},
        )


def test_missing_web_build_fails_only_the_global_stack(
    tmp_path: Path, primary_run: harness.Run, secondary_run: harness.Run
) -> None:
    with pytest.raises(pulumi.RunError, match=r"the web app is not built.*npm --prefix web"):
        run_program(
            "global",
            {"bookstore:webDist": str(tmp_path / "missing")},
            {
                "organization/bookstore/primary": primary_run.exports,
                "organization/bookstore/secondary": secondary_run.exports,
            },
        )


def test_secret_password_is_not_exported_or_logged(primary_run: harness.Run) -> None:
    assert "correct-horse" not in json.dumps(primary_run.exports)


def test_program_defaults_match_spec() -> None:
    module = _program_module()
    assert module.VPC_CIDRS == {"primary": "10.10.0.0/16", "secondary": "10.20.0.0/16"}
    assert importlib.util.find_spec("components.settings") is not None
