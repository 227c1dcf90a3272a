"""RegionalBookstore in its region's network, as the primary (with user pool and seed) and as
the secondary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from bookstore.http.openapi import openapi_json
from bookstore.stream_config import ORDERS_STREAM_CONSUMER
from components.artifacts import load_artifact
from components.network import NetworkRef, RegionalNetwork, RegionalNetworkArgs
from components.regional_bookstore import (
    API_ROUTES,
    RegionalBookstore,
    RegionalBookstoreArgs,
    UserPoolRef,
)
from tests.infra import harness
from tests.infra.conftest import FAKE_SHA256
from tests.infra.policy import Recorded

ACCOUNT = harness.ACCOUNT
TABLES = {"Books": "shop-Books", "Cart": "shop-Cart", "Orders": "shop-Orders"}
STREAM = "arn:aws:dynamodb:{region}:123456789012:table/shop-Orders/stream/2026-01-01T00:00"
FUNCTION = "aws:lambda/function:Function"


def _run(role: str, artifact_dir: Path, alarm_email: str | None = None) -> harness.Run:
    region = "eu-west-1" if role == "primary" else "ap-southeast-1"
    pool = (
        None
        if role == "primary"
        else UserPoolRef(region="eu-west-1", user_pool_id="eu-west-1_Pool", client_id="client123")
    )

    def program() -> None:
        network = RegionalNetwork(
            "net", RegionalNetworkArgs(region=region, cidr="10.20.0.0/16", name_tag="shop")
        )
        RegionalBookstore(
            "rb",
            RegionalBookstoreArgs(
                role=role,  # type: ignore[arg-type]
                region=region,
                prefix="shop",
                domain="books.example.com",
                hosted_zone_id="Z0123",
                table_names=dict(TABLES),
                orders_stream_arn=STREAM.format(region=region),
                artifact=load_artifact(artifact_dir),
                network=network.ref,
                user_pool=pool,
                alarm_email=alarm_email,
            ),
        )

    return harness.run(program)


@pytest.fixture(scope="module")
def primary(artifact_dir: Path) -> harness.Run:
    return _run("primary", artifact_dir)


@pytest.fixture(scope="module")
def secondary(artifact_dir: Path) -> harness.Run:
    return _run("secondary", artifact_dir)


def _function(run: harness.Run, suffix: str) -> Recorded:
    return run.one(FUNCTION, f"-{suffix}")


def _policy_of(run: harness.Run, function: str) -> list[dict[str, Any]]:
    policy = run.one("aws:iam/rolePolicy:RolePolicy", f"-{function}-policy")
    return list(json.loads(policy.inputs["policy"])["Statement"])


def _grants(statements: list[dict[str, Any]]) -> dict[str, set[str]]:
    """resource -> actions."""
    grants: dict[str, set[str]] = {}
    for stmt in statements:
        assert stmt["Effect"] == "Allow"
        for resource in stmt["Resource"]:
            grants.setdefault(resource, set()).update(stmt["Action"])
    return grants


def _table_arn(region: str, name: str) -> str:
    return f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{name}"


def test_redis_in_the_private_subnets(secondary: harness.Run) -> None:
    subnet_group = secondary.one("aws:elasticache/subnetGroup:SubnetGroup").inputs
    private = sorted(
        r.id for r in secondary.of_type("aws:ec2/subnet:Subnet") if "-private-" in r.name
    )
    assert sorted(subnet_group["subnetIds"]) == private


def test_functions_reach_dynamodb_through_the_endpoint_only(secondary: harness.Run) -> None:
    functions_sg = secondary.one("aws:ec2/securityGroup:SecurityGroup", "-functions-sg")
    vpc = secondary.one("aws:ec2/vpc:Vpc")
    assert functions_sg.inputs["vpcId"] == vpc.id
    egress = {
        r.name: r.inputs
        for r in secondary.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
        if r.inputs["securityGroupId"] == functions_sg.id
    }
    assert egress["rb-functions-to-dynamodb"]["prefixListId"] == "pl-dynamodb"
    assert egress["rb-functions-to-dynamodb"]["fromPort"] == 443
    assert set(egress) == {"rb-functions-to-dynamodb", "rb-functions-to-redis"}


def test_redis_encrypted_and_reachable_only_from_functions(secondary: harness.Run) -> None:
    redis = secondary.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs
    assert redis["engine"] == "valkey"
    assert redis["atRestEncryptionEnabled"] is True
    assert redis["transitEncryptionEnabled"] is True
    assert redis["transitEncryptionMode"] == "required"
    redis_sg = secondary.one("aws:ec2/securityGroup:SecurityGroup", "-redis-sg")
    functions_sg = secondary.one("aws:ec2/securityGroup:SecurityGroup", "-functions-sg")
    assert redis["securityGroupIds"] == [redis_sg.id]
    ingress = [
        r.inputs
        for r in secondary.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] == redis_sg.id
    ]
    assert ingress == [
        {
            "securityGroupId": redis_sg.id,
            "referencedSecurityGroupId": functions_sg.id,
            "ipProtocol": "tcp",
            "fromPort": 6379,
            "toPort": 6379,
            "region": "ap-southeast-1",
        }
    ]


def test_functions_are_arm64_python312_from_the_artifact(
    primary: harness.Run, artifact_dir: Path
) -> None:
    artifact = load_artifact(artifact_dir)
    functions = {r.name: r.inputs for r in primary.of_type(FUNCTION)}
    assert {n.removeprefix("rb-"): f["handler"] for n, f in functions.items()} == {
        "api": "api.handler",
        "stream": "stream.handler",
        "seed": "seed.handler",
    }
    for function in functions.values():
        assert function["architectures"] == ["arm64"]
        assert function["runtime"] == "python3.12"
        assert function["sourceCodeHash"] == artifact.source_code_hash
        assert function["code"].path == str(artifact.path)


def _environment(run: harness.Run, function: str) -> dict[str, str]:
    """A function's variables; the whole environment must arrive as a Pulumi secret, since
    REDIS_URL carries the cache's AUTH token."""
    environment = harness.unsecret(_function(run, function).inputs["environment"])
    assert environment is not None, "the environment is not a secret"
    return dict(environment["variables"])


def test_function_environment_contract(secondary: harness.Run) -> None:
    env = _environment(secondary, "api")
    token = "randomrbredisauthtoken"  # the mock's RandomPassword result
    assert env == {
        "BOOKSTORE_REGION": "ap-southeast-1",
        "BOOKS_TABLE": "shop-Books",
        "CART_TABLE": "shop-Cart",
        "ORDERS_TABLE": "shop-Orders",
        "REDIS_URL": f"rediss://:{token}@master.rb-redis.cache.amazonaws.com:6379/0",
        "SITE_ORIGIN": "https://books.example.com",
        "POWERTOOLS_SERVICE_NAME": "bookstore",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        # Route 53 fails a region over after 3 failures 10 s apart, i.e. after 20 s.
        "FAILBACK_AWAY_SECONDS": "20",
    }


def test_valkey_requires_the_token_the_functions_connect_with(secondary: harness.Run) -> None:
    group = secondary.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs
    token = harness.unsecret(group["authToken"])
    assert token is not None, "the AUTH token is not a secret"
    made = secondary.one("random:index/randomPassword:RandomPassword", "-redis-auth-token")
    assert made.inputs["length"] >= 32
    assert made.inputs["special"] is False  # nothing to escape in the URL
    for function in ("api", "stream"):
        url = _environment(secondary, function)["REDIS_URL"]
        # What redis-py's from_url makes of it: TLS, no user name, the group's token.
        parts = urlsplit(url)
        assert parts.scheme == "rediss"
        assert parts.username in ("", None)
        assert parts.password == token
        assert parts.hostname == "master.rb-redis.cache.amazonaws.com"
        assert parts.port == 6379
        assert parts.path == "/0"


def test_api_role_names_exact_tables_and_index(secondary: harness.Run) -> None:
    region = "ap-southeast-1"
    grants = _grants(_policy_of(secondary, "api"))
    books = _table_arn(region, "shop-Books")
    assert grants[books] == {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Scan"}
    assert grants[f"{books}/index/byCategory"] == {"dynamodb:Query"}
    assert grants[_table_arn(region, "shop-Cart")] == {
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
    }
    orders = _table_arn(region, "shop-Orders")
    assert grants[orders] == {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan"}
    assert grants[f"{orders}/index/byCreatedAt"] == {"dynamodb:Query"}
    log_group = f"arn:aws:logs:{region}:{ACCOUNT}:log-group:/shop/secondary/api:*"
    assert grants[log_group] == {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert set(grants) == {
        books,
        f"{books}/index/byCategory",
        _table_arn(region, "shop-Cart"),
        orders,
        f"{orders}/index/byCreatedAt",
        log_group,
        "*",  # ENI management for the VPC, which takes no ARN
    }


def test_stream_role_reads_only_its_stream(secondary: harness.Run) -> None:
    grants = _grants(_policy_of(secondary, "stream"))
    stream = STREAM.format(region="ap-southeast-1")
    assert grants[stream] == {
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    }
    queue = secondary.one("aws:sqs/queue:Queue")
    assert grants[f"arn:aws:sqs:ap-southeast-1:{ACCOUNT}:{queue.name}"] == {"sqs:SendMessage"}
    assert not any(r.startswith("arn:aws:dynamodb") and "/stream/" not in r for r in grants)


def test_event_source_mapping_uses_the_shared_consumer_config(secondary: harness.Run) -> None:
    mapping = secondary.one("aws:lambda/eventSourceMapping:EventSourceMapping").inputs
    queue = secondary.one("aws:sqs/queue:Queue")
    consumer = ORDERS_STREAM_CONSUMER
    assert mapping["eventSourceArn"] == STREAM.format(region="ap-southeast-1")
    assert mapping["functionName"].endswith(":function:rb-stream-fn")
    assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["bisectBatchOnFunctionError"] is consumer.bisect_batch_on_function_error
    assert mapping["maximumRetryAttempts"] == consumer.maximum_retry_attempts == -1
    assert mapping["maximumRecordAgeInSeconds"] == consumer.maximum_record_age_seconds
    # With unlimited retries the age limit is what hands a batch to the failure queue; it
    # must come before the stream trims the records (24 h), or the queue never hears of it.
    assert 60 <= consumer.maximum_record_age_seconds < 24 * 3600
    assert mapping["batchSize"] == consumer.batch_size
    assert mapping["startingPosition"] == consumer.starting_position
    assert mapping["destinationConfig"] == {
        "onFailure": {"destinationArn": f"arn:aws:sqs:ap-southeast-1:{ACCOUNT}:{queue.name}"}
    }
    assert queue.inputs["sqsManagedSseEnabled"] is True


def _resolver_operations() -> dict[str, bool]:
    """Every operation the Lambda resolver serves, as its OpenAPI document declares it:
    route key -> whether it asks for a token. Read from the resolver itself, not from the
    route table that the component is built from."""
    document = json.loads(openapi_json())
    return {
        f"{method.upper()} {path}": bool(operation.get("security"))
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }


def test_http_api_routes_are_the_resolvers_routes(secondary: harness.Run) -> None:
    routes = {
        r.inputs["routeKey"]: r.inputs for r in secondary.of_type("aws:apigatewayv2/route:Route")
    }
    operations = _resolver_operations()
    assert set(routes) == set(operations)
    assert len(API_ROUTES) == len(routes)
    assert {"GET /books/{bookId}", "POST /orders", "GET /health"} <= set(routes)
    authorizer = secondary.one("aws:apigatewayv2/authorizer:Authorizer")
    for key, protected in operations.items():
        if protected:
            assert routes[key]["authorizationType"] == "JWT", key
            assert routes[key]["authorizerId"] == authorizer.id, key
        else:
            assert routes[key]["authorizationType"] == "NONE", key
            assert "authorizerId" not in routes[key], key


def test_jwt_authorizer_trusts_the_primary_pool(secondary: harness.Run) -> None:
    authorizer = secondary.one("aws:apigatewayv2/authorizer:Authorizer").inputs
    assert authorizer["authorizerType"] == "JWT"
    assert authorizer["identitySources"] == ["$request.header.Authorization"]
    assert authorizer["jwtConfiguration"] == {
        "issuer": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool",
        "audiences": ["client123"],
    }


def test_cors_access_logs_and_throttling(secondary: harness.Run) -> None:
    api = secondary.one("aws:apigatewayv2/api:Api")
    cors = api.inputs["corsConfiguration"]
    # The caller is the site whichever API name it calls: the CORS configuration belongs to
    # the API, and both custom domains are mapped to this one API and stage.
    assert cors["allowOrigins"] == ["https://books.example.com"]
    stage = secondary.one("aws:apigatewayv2/stage:Stage")
    mappings = secondary.of_type("aws:apigatewayv2/apiMapping:ApiMapping")
    assert [(m.inputs["apiId"], m.inputs["stage"]) for m in mappings] == [(api.id, stage.id)] * 2
    assert cors["allowMethods"] == ["DELETE", "GET", "POST", "PUT"]
    assert {"authorization", "idempotency-key"} <= set(cors["allowHeaders"])
    assert cors["exposeHeaders"] == ["x-bookstore-region"]
    assert stage.inputs["name"] == "$default"
    assert stage.inputs["autoDeploy"] is True
    log_group = secondary.one("aws:cloudwatch/logGroup:LogGroup", "-api-access-logs")
    access_logs = stage.inputs["accessLogSettings"]
    assert access_logs["destinationArn"].endswith(log_group.inputs["name"])
    assert "$context.requestId" in access_logs["format"]
    assert stage.inputs["defaultRouteSettings"]["throttlingRateLimit"] == 100
    assert stage.inputs["defaultRouteSettings"]["throttlingBurstLimit"] == 200


@pytest.mark.parametrize(
    ("role", "region"), [("primary", "eu-west-1"), ("secondary", "ap-southeast-1")]
)
def test_one_certificate_covers_the_routed_and_the_regional_name(
    role: str, region: str, request: pytest.FixtureRequest
) -> None:
    run: harness.Run = request.getfixturevalue(role)
    cert = run.one("aws:acm/certificate:Certificate")
    assert cert.inputs == {
        "domainName": "api.books.example.com",
        "subjectAlternativeNames": [f"api-{region}.books.example.com"],
        "validationMethod": "DNS",
        "region": region,
    }
    records = {
        r.inputs["name"]: r.inputs
        for r in run.of_type("aws:route53/record:Record")
        if "-cert-validation" in r.name
    }
    # One validation record per name, each with the value ACM gave for that name.
    assert set(records) == {
        "_abc.api.books.example.com.",
        f"_abc.api-{region}.books.example.com.",
    }
    for name, record in records.items():
        domain = name.removeprefix("_abc.").rstrip(".")
        assert record["records"] == [f"_xyz.{domain}.acm-validations.aws."]
        assert record["zoneId"] == "Z0123"
        assert record["allowOverwrite"] is True
    # The routed name's record keeps its logical name from before the certificate had two.
    assert run.one("aws:route53/record:Record", "-api-cert-validation").inputs["name"] == (
        "_abc.api.books.example.com."
    )
    validation = run.one("aws:acm/certificateValidation:CertificateValidation").inputs
    assert validation["certificateArn"] == (
        f"arn:aws:mock:{region}:{ACCOUNT}:certificate/rb-api-cert"
    )
    assert sorted(validation["validationRecordFqdns"]) == sorted(
        name.rstrip(".") for name in records
    )


@pytest.mark.parametrize(
    ("role", "region"), [("primary", "eu-west-1"), ("secondary", "ap-southeast-1")]
)
def test_routed_and_regional_custom_domains(
    role: str, region: str, request: pytest.FixtureRequest
) -> None:
    run: harness.Run = request.getfixturevalue(role)
    validation = run.one("aws:acm/certificateValidation:CertificateValidation")
    domains = {
        r.inputs["domainName"]: r for r in run.of_type("aws:apigatewayv2/domainName:DomainName")
    }
    regional_name = f"api-{region}.books.example.com"
    assert set(domains) == {"api.books.example.com", regional_name}
    for domain in domains.values():
        configuration = domain.inputs["domainNameConfiguration"]
        assert configuration["endpointType"] == "REGIONAL"
        assert configuration["securityPolicy"] == "TLS_1_2"
        assert configuration["certificateArn"] == validation.inputs["certificateArn"]
        assert domain.inputs["region"] == region
    mapped = {m.inputs["domainName"] for m in run.of_type("aws:apigatewayv2/apiMapping:ApiMapping")}
    assert mapped == {d.id for d in domains.values()}
    # The routed name keeps the logical names it had before there were two.
    assert domains["api.books.example.com"].name == "rb-api-domain"
    routed_mapping = run.one("aws:apigatewayv2/apiMapping:ApiMapping", "-api-mapping")
    assert routed_mapping.inputs["domainName"] == "rb-api-domain-id"


@pytest.mark.parametrize(
    ("role", "region"), [("primary", "eu-west-1"), ("secondary", "ap-southeast-1")]
)
def test_the_regional_name_is_an_alias_of_its_own_domain(
    role: str, region: str, request: pytest.FixtureRequest
) -> None:
    run: harness.Run = request.getfixturevalue(role)
    regional_name = f"api-{region}.books.example.com"
    (record,) = [
        r.inputs
        for r in run.of_type("aws:route53/record:Record")
        if r.inputs["name"] == regional_name
    ]
    assert record["zoneId"] == "Z0123"
    assert record["type"] == "A"
    assert "setIdentifier" not in record  # answers with this region whatever its health
    assert record["aliases"] == [
        {
            "name": f"d-rb-api-regional-domain.execute-api.{region}.amazonaws.com",
            "zoneId": f"ZAPI{region.upper()}",
            "evaluateTargetHealth": False,
        }
    ]
    # The routed name's records are the global stack's.
    assert [
        r
        for r in run.of_type("aws:route53/record:Record")
        if r.inputs["name"] == "api.books.example.com"
    ] == []


def test_primary_owns_the_user_pool(primary: harness.Run, secondary: harness.Run) -> None:
    pool = primary.one("aws:cognito/userPool:UserPool").inputs
    assert pool["usernameAttributes"] == ["email"]
    assert pool["deletionProtection"] == "ACTIVE"
    assert pool["passwordPolicy"]["minimumLength"] >= 12
    assert pool["accountRecoverySetting"] == {
        "recoveryMechanisms": [{"name": "verified_email", "priority": 1}]
    }
    client = primary.one("aws:cognito/userPoolClient:UserPoolClient").inputs
    assert {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"} <= set(
        client["explicitAuthFlows"]
    )
    assert client["generateSecret"] is False
    authorizer = primary.one("aws:apigatewayv2/authorizer:Authorizer").inputs
    assert authorizer["jwtConfiguration"]["issuer"] == (
        "https://cognito-idp.eu-west-1.amazonaws.com/rb-users-id"
    )
    assert secondary.of_type("aws:cognito/userPool:UserPool") == []


def test_primary_seeds_the_catalog_once_per_bundle(
    primary: harness.Run, secondary: harness.Run
) -> None:
    invocation = primary.one("aws:lambda/invocation:Invocation").inputs
    assert invocation["functionName"] == "rb-seed-fn"
    assert invocation["triggers"] == {"bundle": FAKE_SHA256}
    seed = _function(primary, "seed").inputs
    assert "vpcConfig" not in seed
    grants = _grants(_policy_of(primary, "seed"))
    assert grants[_table_arn("eu-west-1", "shop-Books")] == {
        "dynamodb:BatchWriteItem",
        "dynamodb:PutItem",
    }
    assert len(grants) == 2  # Books and its log group, nothing else
    assert secondary.of_type("aws:lambda/invocation:Invocation") == []


def test_api_function_is_in_the_private_subnets(secondary: harness.Run) -> None:
    api = _function(secondary, "api").inputs
    private = sorted(
        r.id for r in secondary.of_type("aws:ec2/subnet:Subnet") if "-private-" in r.name
    )
    assert sorted(api["vpcConfig"]["subnetIds"]) == private
    functions_sg = secondary.one("aws:ec2/securityGroup:SecurityGroup", "-functions-sg")
    assert api["vpcConfig"]["securityGroupIds"] == [functions_sg.id]


def test_only_the_primary_creates_the_user_pool(artifact_dir: Path) -> None:
    args = {
        "region": "ap-southeast-1",
        "prefix": "shop",
        "domain": "books.example.com",
        "hosted_zone_id": "Z0123",
        "table_names": dict(TABLES),
        "orders_stream_arn": "arn",
        "artifact": load_artifact(artifact_dir),
        "network": NetworkRef(
            vpc_id="vpc-1",
            public_subnet_ids=[],
            private_subnet_ids=[],
            dynamodb_prefix_list_id="pl-1",
        ),
    }
    with pytest.raises(ValueError, match="secondary must be given it"):
        RegionalBookstore("rb", RegionalBookstoreArgs(role="secondary", **args))  # type: ignore[arg-type]


ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def test_alarms_watch_the_api_and_the_stream_and_notify_the_topic(
    secondary: harness.Run,
) -> None:
    region = "ap-southeast-1"
    topic = secondary.one("aws:sns/topic:Topic")
    topic_arn = f"arn:aws:sns:{region}:{ACCOUNT}:{topic.name}"
    alarms = {a.name.removeprefix("rb-"): a.inputs for a in secondary.of_type(ALARM)}
    assert set(alarms) == {"api-5xx", "stream-lag", "stream-failures"}
    api = secondary.one("aws:apigatewayv2/api:Api")
    stage = secondary.one("aws:apigatewayv2/stage:Stage").inputs
    queue = secondary.one("aws:sqs/queue:Queue")
    expected = {
        "api-5xx": ("AWS/ApiGateway", "5xx", {"ApiId": api.id, "Stage": stage["name"]}),
        "stream-lag": ("AWS/Lambda", "IteratorAge", {"FunctionName": "rb-stream-fn"}),
        "stream-failures": (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            {"QueueName": queue.name},
        ),
    }
    for kind, (namespace, metric, dimensions) in expected.items():
        alarm = alarms[kind]
        assert (alarm["namespace"], alarm["metricName"]) == (namespace, metric)
        assert alarm["dimensions"] == dimensions
        assert alarm["alarmActions"] == alarm["okActions"] == [topic_arn]
        assert alarm["treatMissingData"] == (
            "ignore" if kind == "stream-failures" else "notBreaching"
        )
        assert alarm["region"] == region
        assert region in alarm["alarmDescription"]
    # One failed batch is enough; five minutes of stream lag; 5xx in 3 of 5 minutes.
    assert alarms["stream-failures"]["threshold"] == 1
    assert alarms["stream-lag"]["threshold"] == 5 * 60 * 1000
    assert (alarms["api-5xx"]["evaluationPeriods"], alarms["api-5xx"]["datapointsToAlarm"]) == (
        5,
        3,
    )
    assert secondary.of_type("aws:sns/topicSubscription:TopicSubscription") == []


def test_an_alarm_email_is_subscribed_to_the_topic(artifact_dir: Path) -> None:
    run = _run("secondary", artifact_dir, alarm_email="ops@example.com")
    subscription = run.one("aws:sns/topicSubscription:TopicSubscription").inputs
    topic = run.one("aws:sns/topic:Topic")
    assert subscription["protocol"] == "email"
    assert subscription["endpoint"] == "ops@example.com"
    assert subscription["topic"] == f"arn:aws:sns:ap-southeast-1:{ACCOUNT}:{topic.name}"
