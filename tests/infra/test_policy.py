"""The security policy holds on every stack, and each rule catches a bad resource."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.runtime import rpc

from tests.infra import harness, policy
from tests.infra.policy import Recorded


@pytest.mark.parametrize("stack", ["primary_run", "secondary_run", "global_run"])
def test_every_stack_passes_the_policy(stack: str, request: pytest.FixtureRequest) -> None:
    run: harness.Run = request.getfixturevalue(stack)
    assert len(run.resources) > 15
    assert policy.check(run.resources) == []


def _role_policy(statements: list[dict[str, Any]]) -> Recorded:
    document = json.dumps({"Version": "2012-10-17", "Statement": statements})
    return Recorded(type="aws:iam/rolePolicy:RolePolicy", name="bad", inputs={"policy": document})


def _rules(resources: list[Recorded]) -> list[str]:
    return [v.rule for v in policy.check(resources)]


@pytest.mark.parametrize("action", ["*", "dynamodb:*", "s3:Get*"])
def test_wildcard_action_fails(action: str) -> None:
    bad = _role_policy([{"Effect": "Allow", "Action": [action], "Resource": ["arn:aws:s3:::b"]}])
    assert "iam-wildcard-action" in _rules([bad])


def test_deny_with_wildcard_is_fine() -> None:
    deny = _role_policy([{"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Principal": "*"}])
    assert _rules([deny]) == []


def test_wildcard_resource_fails_where_an_arn_exists() -> None:
    bad = _role_policy([{"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": "*"}])
    assert _rules([bad]) == ["iam-wildcard-resource"]
    eni = _role_policy(
        [{"Effect": "Allow", "Action": ["ec2:CreateNetworkInterface"], "Resource": ["*"]}]
    )
    assert _rules([eni]) == []
    mixed = _role_policy(
        [
            {
                "Effect": "Allow",
                "Action": ["ec2:CreateNetworkInterface", "sqs:SendMessage"],
                "Resource": ["*"],
            }
        ]
    )
    (violation,) = policy.check([mixed])
    assert "sqs:SendMessage" in violation.message


def _bucket_with(*attachments: str, acl: str | None = None) -> list[Recorded]:
    inputs = {"acl": acl} if acl else {}
    resources = [Recorded(type="aws:s3/bucket:Bucket", name="b", inputs=inputs, id="b-1")]
    full_block = {
        "bucket": "b-1",
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    if "block" in attachments:
        resources.append(
            Recorded("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "pab", full_block)
        )
    if "half-block" in attachments:
        resources.append(
            Recorded(
                "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                "pab",
                {**full_block, "restrictPublicBuckets": False},
            )
        )
    if "tls-policy" in attachments:
        resources.append(_tls_policy("b-1"))
    if "encryption" in attachments:
        resources.append(
            Recorded(
                "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                "enc",
                {"bucket": "b-1", "rules": [{"applyServerSideEncryptionByDefault": {}}]},
            )
        )
    return resources


def _tls_policy(bucket: str, *, resources: list[str] | None = None, **overrides: Any) -> Recorded:
    arn = f"arn:aws:s3:::{bucket}"
    deny = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"] if resources is None else resources,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        **overrides,
    }
    document = json.dumps({"Version": "2012-10-17", "Statement": [deny]})
    return Recorded(
        "aws:s3/bucketPolicy:BucketPolicy", "b-policy", {"bucket": bucket, "policy": document}
    )


def test_bucket_rules() -> None:
    assert _rules(_bucket_with("block", "encryption", "tls-policy")) == []
    assert _rules(_bucket_with("encryption", "tls-policy")) == ["bucket-private"]
    assert _rules(_bucket_with("half-block", "encryption", "tls-policy")) == ["bucket-private"]
    assert _rules(_bucket_with("block", "tls-policy")) == ["bucket-encrypted"]
    assert _rules(_bucket_with("block", "encryption", "tls-policy", acl="public-read")) == [
        "bucket-private"
    ]


def test_a_bucket_without_a_policy_is_not_tls_only() -> None:
    (violation,) = policy.check(_bucket_with("block", "encryption"))
    assert (violation.rule, violation.resource) == ("bucket-tls-only", "b")
    assert "no bucket policy" in violation.message
    assert "aws:SecureTransport" in str(violation)


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"Effect": "Allow", "Action": "s3:GetObject"}, "does not deny plain HTTP"),
        ({"Condition": {"Bool": {"aws:SecureTransport": "true"}}}, "does not deny plain HTTP"),
        ({"Condition": {}}, "does not deny plain HTTP"),
        ({"Action": ["s3:GetObject"]}, "does not deny plain HTTP"),
        ({"Principal": {"AWS": "arn:aws:iam::123456789012:root"}}, "does not deny plain HTTP"),
        ({"Resource": ["arn:aws:s3:::b-1"]}, "does not cover arn:aws:s3:::b-1/*"),
        ({"Resource": "arn:aws:s3:::b-1/*"}, "does not cover arn:aws:s3:::b-1"),
        (
            {"Resource": "arn:aws:s3:::other-bucket*"},
            "does not cover arn:aws:s3:::b-1, arn:aws:s3:::b-1/*",
        ),
    ],
)
def test_bucket_policy_must_deny_plain_http_on_bucket_and_objects(
    overrides: dict[str, Any], problem: str
) -> None:
    bucket = _bucket_with("block", "encryption")
    (violation,) = policy.check([*bucket, _tls_policy("b-1", **overrides)])
    assert (violation.rule, violation.resource) == ("bucket-tls-only", "b")
    assert problem in violation.message


def test_tls_deny_may_use_wildcards_and_other_spellings() -> None:
    bucket = _bucket_with("block", "encryption")
    wildcard = _tls_policy(
        "b-1",
        resources=["arn:aws:s3:::b-1*"],
        Principal={"AWS": "*"},
        Action=["*"],
        Condition={"Bool": {"aws:securetransport": False}},
    )
    assert _rules([*bucket, wildcard]) == []


@pytest.mark.parametrize(
    ("typ", "inputs", "problem"),
    [
        (
            "aws:dynamodb/table:Table",
            {"serverSideEncryption": {"enabled": True}, "deletionProtectionEnabled": False},
            "deletion protection off",
        ),
        (
            "aws:dynamodb/table:Table",
            {"deletionProtectionEnabled": True},
            "server-side encryption not enabled",
        ),
        (
            "aws:dynamodb/table:Table",
            {
                "serverSideEncryption": {"enabled": True},
                "deletionProtectionEnabled": True,
                "replicas": [{"regionName": "ap-southeast-1"}],
            },
            "replica ap-southeast-1: deletion protection off",
        ),
        ("aws:rds/cluster:Cluster", {"deletionProtection": True}, "storage not encrypted"),
        (
            "aws:rds/globalCluster:GlobalCluster",
            {"storageEncrypted": True},
            "deletion protection off",
        ),
        ("aws:cognito/userPool:UserPool", {"deletionProtection": "INACTIVE"}, "deletion"),
        ("aws:sqs/queue:Queue", {}, "not encrypted"),
    ],
)
def test_data_store_rules(typ: str, inputs: dict[str, Any], problem: str) -> None:
    (violation,) = policy.check([Recorded(type=typ, name="store", inputs=inputs)])
    assert violation.rule == "data-store"
    assert problem in violation.message


def _ingress(port: int, group: str = "sg-alb", cidr: str = "0.0.0.0/0") -> Recorded:
    return Recorded(
        type="aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        name=f"in-{port}",
        inputs={"securityGroupId": group, "cidrIpv4": cidr, "fromPort": port, "toPort": port},
    )


ALB = Recorded(
    type="aws:lb/loadBalancer:LoadBalancer", name="alb", inputs={"securityGroups": ["sg-alb"]}
)


def _listener(port: int, action: dict[str, Any]) -> Recorded:
    return Recorded(
        type="aws:lb/listener:Listener",
        name=f"listener-{port}",
        inputs={"port": port, "defaultActions": [action]},
    )


REDIRECT = {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443"}}


def test_world_ingress_only_on_443_into_a_load_balancer() -> None:
    assert _rules([ALB, _ingress(443)]) == []
    assert _rules([ALB, _ingress(80)]) == ["world-ingress"]
    assert _rules([ALB, _ingress(80), _listener(80, REDIRECT)]) == []
    forward = _listener(80, {"type": "forward", "targetGroupArn": "tg"})
    assert _rules([ALB, _ingress(80), forward]) == ["world-ingress"]
    assert _rules([ALB, _ingress(80, group="sg-tasks"), _listener(80, REDIRECT)]) == [
        "world-ingress"
    ]
    assert _rules([ALB, _ingress(443, group="sg-tasks")]) == ["world-ingress"]
    assert _rules([ALB, _ingress(22, cidr="10.0.0.0/8")]) == []
    inline = Recorded(
        type="aws:ec2/securityGroup:SecurityGroup",
        name="sg",
        id="sg-db",
        inputs={"ingress": [{"cidrBlocks": ["0.0.0.0/0"], "fromPort": 3306, "toPort": 3306}]},
    )
    assert _rules([ALB, inline]) == ["world-ingress"]
    ipv6 = Recorded(
        type="aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        name="v6",
        inputs={"securityGroupId": "sg-x", "cidrIpv6": "::/0", "fromPort": 0, "toPort": 65535},
    )
    assert _rules([ipv6]) == ["world-ingress"]


def _only(resources: list[Recorded], rule: str) -> list[policy.Violation]:
    return [v for v in policy.check(resources) if v.rule == rule]


# -- ElastiCache encryption in transit ---------------------------------------------------------

GOOD_CACHE = {
    "atRestEncryptionEnabled": True,
    "transitEncryptionEnabled": True,
    "transitEncryptionMode": "required",
}


@pytest.mark.parametrize(
    ("typ", "inputs", "problems"),
    [
        ("aws:elasticache/replicationGroup:ReplicationGroup", GOOD_CACHE, []),
        (
            "aws:elasticache/replicationGroup:ReplicationGroup",
            {**GOOD_CACHE, "transitEncryptionEnabled": False},
            ["not encrypted in transit"],
        ),
        (
            "aws:elasticache/replicationGroup:ReplicationGroup",
            {"atRestEncryptionEnabled": True},
            ["not encrypted in transit"],
        ),
        (
            "aws:elasticache/replicationGroup:ReplicationGroup",
            {**GOOD_CACHE, "atRestEncryptionEnabled": False},
            ["not encrypted at rest"],
        ),
        (
            "aws:elasticache/replicationGroup:ReplicationGroup",
            {**GOOD_CACHE, "transitEncryptionMode": "preferred"},
            ["preferred still accepts plain-text clients"],
        ),
        (
            "aws:elasticache/cluster:Cluster",
            {"engine": "valkey", "transitEncryptionEnabled": True},
            ["cannot encrypt at rest"],
        ),
        (
            "aws:elasticache/cluster:Cluster",
            {"engine": "memcached"},
            ["cannot encrypt at rest", "not encrypted in transit"],
        ),
        ("aws:elasticache/cluster:Cluster", {"replicationGroupId": "rg-1"}, []),
        ("aws:elasticache/serverlessCache:ServerlessCache", {"engine": "valkey"}, []),
    ],
)
def test_cache_encryption(typ: str, inputs: dict[str, Any], problems: list[str]) -> None:
    found = policy.check([Recorded(type=typ, name="leaderboard", inputs=inputs)])
    assert [v.rule for v in found] == ["cache-encryption"] * len(problems)
    assert all(v.resource == "leaderboard" for v in found)
    for violation, problem in zip(found, problems, strict=True):
        assert problem in violation.message


def _function(
    variables: dict[str, Any] | None = None, resource: str = "api-fn", **inputs: Any
) -> Recorded:
    environment = {"variables": variables} if variables is not None else None
    return Recorded(
        type="aws:lambda/function:Function",
        name=resource,
        inputs={"environment": environment, "region": "eu-west-1", **inputs},
    )


def _task(environment: list[dict[str, str]], **container: Any) -> Recorded:
    definition = {"name": "wordpress", "environment": environment, **container}
    return Recorded(
        type="aws:ecs/taskDefinition:TaskDefinition",
        name="blog-task",
        inputs={"containerDefinitions": json.dumps([definition]), "region": "eu-west-1"},
    )


def test_clients_must_reach_redis_over_tls() -> None:
    plain = _function({"REDIS_URL": "redis://master.x.cache.amazonaws.com:6379/0"})
    (violation,) = _only([plain], "cache-encryption")
    assert violation.resource == "api-fn"
    assert "REDIS_URL connects to Redis without TLS (redis://)" in violation.message
    tls = _function({"REDIS_URL": "rediss://master.x.cache.amazonaws.com:6379/0"})
    assert _only([tls], "cache-encryption") == []
    container = _task([{"name": "CACHE_URL", "value": "REDIS://cache:6379"}])
    (violation,) = _only([container], "cache-encryption")
    assert violation.resource == "blog-task"
    assert "container wordpress: environment variable CACHE_URL" in violation.message


# -- CloudFront minimum TLS --------------------------------------------------------------------

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/abc"


def _distribution(
    certificate: dict[str, Any] | None = None,
    policy_: str = "https-only",
    ordered: list[dict[str, Any]] | None = None,
) -> Recorded:
    return Recorded(
        type="aws:cloudfront/distribution:Distribution",
        name="site",
        inputs={
            "viewerCertificate": certificate
            if certificate is not None
            else {
                "acmCertificateArn": CERT,
                "sslSupportMethod": "sni-only",
                "minimumProtocolVersion": "TLSv1.2_2021",
            },
            "defaultCacheBehavior": {"viewerProtocolPolicy": policy_},
            "orderedCacheBehaviors": ordered or [],
        },
    )


def test_cloudfront_with_own_certificate_and_tls12_passes() -> None:
    assert _rules([_distribution()]) == []
    newer = {"acmCertificateArn": CERT, "minimumProtocolVersion": "TLSv1.3_2025"}
    ordered = [{"pathPattern": "/assets/*", "viewerProtocolPolicy": "redirect-to-https"}]
    assert _rules([_distribution(newer, "redirect-to-https", ordered)]) == []


@pytest.mark.parametrize(
    ("distribution", "problem"),
    [
        (
            _distribution({"cloudfrontDefaultCertificate": True}),
            "default *.cloudfront.net certificate",
        ),
        (
            _distribution({"cloudfrontDefaultCertificate": True, "minimumProtocolVersion": "x"}),
            "default *.cloudfront.net certificate",
        ),
        (_distribution({}), "default *.cloudfront.net certificate"),
        (
            _distribution({"acmCertificateArn": CERT, "minimumProtocolVersion": "TLSv1.2_2019"}),
            "minimum protocol version TLSv1.2_2019 is below TLSv1.2_2021",
        ),
        (
            _distribution({"iamCertificateId": "ASCA123", "minimumProtocolVersion": "TLSv1"}),
            "minimum protocol version TLSv1 is below",
        ),
        (
            _distribution({"acmCertificateArn": CERT, "sslSupportMethod": "sni-only"}),
            "minimum protocol version TLSv1 (the default) is below",
        ),
        (
            _distribution(policy_="allow-all"),
            "cache behaviour default: viewer protocol policy allow-all serves plain HTTP",
        ),
        (
            _distribution(ordered=[{"pathPattern": "/api/*", "viewerProtocolPolicy": "allow-all"}]),
            "cache behaviour /api/*: viewer protocol policy allow-all",
        ),
    ],
)
def test_cloudfront_tls_fails(distribution: Recorded, problem: str) -> None:
    (violation,) = policy.check([distribution])
    assert (violation.rule, violation.resource) == ("cloudfront-tls", "site")
    assert problem in violation.message


# -- no secret in an environment ---------------------------------------------------------------

SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bookstore/db-AbCdEf"
PARAMETER_ARN = "arn:aws:ssm:eu-west-1:123456789012:parameter/bookstore/api-key"
PULUMI_SECRET = {
    pulumi.runtime.rpc._special_sig_key: pulumi.runtime.rpc._special_secret_sig,
    "value": "hunter2hunter2",
}


@pytest.mark.parametrize(
    ("variables", "problem"),
    [
        ({"DB_PASSWORD": "hunter2"}, "DB_PASSWORD is named like a secret (PASSWORD)"),
        ({"stripe_api_key": "x"}, "stripe_api_key is named like a secret (KEY)"),
        ({"JWT_SECRET": "x"}, "(SECRET)"),
        ({"GITHUB_TOKEN": ""}, "(TOKEN)"),
        ({"AWS_CREDENTIALS": "{}"}, "(CREDENTIAL)"),
        ({"DB_PASSWORD": "arn:aws:s3:::bucket/password"}, "(PASSWORD)"),
        ({"CONFIG": "AKIAIOSFODNN7EXAMPLE"}, "CONFIG holds what looks like an AWS access key id"),
        ({"CERT": "-----BEGIN RSA PRIVATE KEY-----\nMIIE"}, "looks like a private key"),
        ({"DATABASE_URL": "mysql://app:s3cr3t@db:3306/x"}, "looks like a URL with a password"),
        ({"CACHE": "rediss://:authtoken@master.x:6379"}, "looks like a URL with a password"),
        (
            {"AUTH": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2ln"},
            "looks like a JSON Web Token",
        ),
        ({"BOT": "ghp_" + "a1" * 18}, "looks like a GitHub token"),
        ({"HOOK": "xoxb-1234567890-abcdef"}, "looks like a Slack token"),
        ({"SETTING": PULUMI_SECRET}, "SETTING holds a Pulumi secret"),
    ],
)
def test_secrets_in_a_lambda_environment_fail(variables: dict[str, Any], problem: str) -> None:
    (violation,) = _only([_function(variables)], "plaintext-secret")
    assert violation.resource == "api-fn"
    assert problem in violation.message
    assert "Secrets Manager or SSM" in violation.message


AUTH_URL = "rediss://:0123456789abcdefABCDEF@master.x.cache.amazonaws.com:6379/0"


def test_a_secret_environment_is_accepted_only_for_the_caches_auth_token() -> None:
    def secret_env(variables: dict[str, Any]) -> Recorded:
        function = _function(variables)
        wrapped = {rpc._special_sig_key: rpc._special_secret_sig, "value": {"variables": variables}}
        return dataclasses.replace(function, inputs={**function.inputs, "environment": wrapped})

    assert _only([secret_env({"REDIS_URL": AUTH_URL, "SITE": "x"})], "plaintext-secret") == []
    # The same URL anywhere else, a password with a user name, a URL without TLS, or a secret
    # environment without the token to explain it are all refused.
    for variables in (
        {"CACHE_URL": AUTH_URL},
        {"REDIS_URL": AUTH_URL.replace("rediss://:", "rediss://admin:")},
        {"REDIS_URL": AUTH_URL.replace("rediss://", "redis://")},
        {"REDIS_URL": "rediss://master.x.cache.amazonaws.com:6379/0", "SITE": "x"},
    ):
        assert _only([secret_env(variables)], "plaintext-secret"), variables
    # Not secret at all: the token would sit in the state in plain text.
    (violation,) = _only([_function({"REDIS_URL": AUTH_URL})], "plaintext-secret")
    assert "not a Pulumi secret" in violation.message


def test_references_and_ordinary_settings_pass() -> None:
    variables = {
        "DB_SECRET_ARN": SECRET_ARN,
        "API_KEY_PARAMETER": PARAMETER_ARN,
        "REDIS_URL": "rediss://master.x.cache.amazonaws.com:6379/0",
        "SITE_ORIGIN": "https://books.example.com",
        "BOOKS_TABLE": "bookstore-Books",
        "POWERTOOLS_SERVICE_NAME": "bookstore",
    }
    assert _only([_function(variables), _function(None, resource="bare")], "plaintext-secret") == []


def test_a_secret_environment_map_fails() -> None:
    function = _function(None, environment={**PULUMI_SECRET, "value": {"variables": {"A": "b"}}})
    (violation,) = _only([function], "plaintext-secret")
    assert violation.resource == "api-fn"
    assert "environment (one of A) holds a Pulumi secret" in violation.message


def test_containers_take_secrets_through_value_from() -> None:
    good = _task(
        [{"name": "WORDPRESS_DB_HOST", "value": "db:3306"}],
        secrets=[{"name": "WORDPRESS_DB_PASSWORD", "valueFrom": f"{SECRET_ARN}:password::"}],
    )
    assert _only([good], "plaintext-secret") == []
    bad = _task([{"name": "WORDPRESS_DB_PASSWORD", "value": "correct-horse"}])
    (violation,) = _only([bad], "plaintext-secret")
    assert violation.resource == "blog-task"
    assert violation.message.startswith(
        "container wordpress: environment variable WORDPRESS_DB_PASSWORD is named like a secret"
    )
    assert "`secrets` (valueFrom" in violation.message
    hidden = Recorded(
        type="aws:ecs/taskDefinition:TaskDefinition",
        name="blog-task",
        inputs={"containerDefinitions": {**PULUMI_SECRET, "value": "[]"}},
    )
    (violation,) = _only([hidden], "plaintext-secret")
    assert "container definitions hold a Pulumi secret" in violation.message


# -- log retention -----------------------------------------------------------------------------


def _log_group(name: str, days: float | None = 30.0, region: str = "eu-west-1") -> Recorded:
    inputs: dict[str, Any] = {"name": name, "region": region}
    if days is not None:
        inputs["retentionInDays"] = days
    return Recorded(type="aws:cloudwatch/logGroup:LogGroup", name=f"lg{name}", inputs=inputs)


@pytest.mark.parametrize(
    ("days", "problem"),
    [
        (None, "no retention set"),
        (0, "no retention set"),
        (45, "retention of 45 days is not one CloudWatch accepts"),
    ],
)
def test_log_groups_need_a_retention(days: int | None, problem: str) -> None:
    (violation,) = policy.check([_log_group("/x", days)])
    assert (violation.rule, violation.resource) == ("log-retention", "lg/x")
    assert problem in violation.message


def test_functions_log_to_a_declared_group() -> None:
    configured = _function({}, loggingConfig={"logGroup": "/bookstore/api"})
    assert _rules([configured, _log_group("/bookstore/api")]) == []
    named = _function({}, resource="seed", name="bookstore-seed")
    assert _rules([named, _log_group("/aws/lambda/bookstore-seed")]) == []

    (violation,) = policy.check([configured])
    assert (violation.rule, violation.resource) == ("log-retention", "api-fn")
    assert "the function writes to log group /bookstore/api, which is not declared" in str(
        violation
    )
    (violation,) = policy.check([named])
    assert "/aws/lambda/bookstore-seed" in violation.message
    (violation,) = policy.check([_function({})])
    assert "/aws/lambda/<generated name>" in violation.message
    # A group of the same name in another region is not the function's.
    elsewhere = _log_group("/bookstore/api", region="us-east-1")
    assert _rules([configured, elsewhere]) == ["log-retention"]


def test_containers_and_access_logs_write_to_declared_groups() -> None:
    awslogs = {"logDriver": "awslogs", "options": {"awslogs-group": "/bookstore/blog"}}
    task = _task([], logConfiguration=awslogs)
    assert _rules([task, _log_group("/bookstore/blog")]) == []
    (violation,) = policy.check([task])
    assert (violation.rule, violation.resource) == ("log-retention", "blog-task")
    assert "container wordpress writes to log group /bookstore/blog" in violation.message

    arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/bookstore/api-access"
    for typ in ("aws:apigatewayv2/stage:Stage", "aws:apigateway/stage:Stage"):
        stage = Recorded(
            type=typ, name="stage", inputs={"accessLogSettings": {"destinationArn": arn}}
        )
        assert _rules([stage, _log_group("/bookstore/api-access")]) == []
        (violation,) = policy.check([stage])
        assert (violation.rule, violation.resource) == ("log-retention", "stage")
        assert "the access log writes to log group /bookstore/api-access" in violation.message


# -- the rules read what pulumi-aws really registers ----------------------------------------


def _bad_program() -> None:
    aws.s3.Bucket("open-bucket", region="eu-west-1")
    aws.elasticache.ReplicationGroup(
        "half-tls-cache",
        description="leaderboard",
        engine="valkey",
        node_type="cache.t4g.micro",
        at_rest_encryption_enabled=True,
        transit_encryption_enabled=True,
        transit_encryption_mode="preferred",
        region="eu-west-1",
    )
    aws.cloudfront.Distribution(
        "default-cert-site",
        enabled=True,
        origins=[
            aws.cloudfront.DistributionOriginArgs(
                origin_id="s3", domain_name="b.s3.eu-west-1.amazonaws.com"
            )
        ],
        default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
            target_origin_id="s3",
            allowed_methods=["GET", "HEAD"],
            cached_methods=["GET", "HEAD"],
            viewer_protocol_policy="allow-all",
        ),
        restrictions=aws.cloudfront.DistributionRestrictionsArgs(
            geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(
                restriction_type="none"
            )
        ),
        viewer_certificate=aws.cloudfront.DistributionViewerCertificateArgs(
            cloudfront_default_certificate=True
        ),
    )
    aws.lambda_.Function(
        "leaky-fn",
        role="arn:aws:iam::123456789012:role/fn",
        runtime="python3.12",
        handler="api.handler",
        code=pulumi.AssetArchive({}),
        environment=aws.lambda_.FunctionEnvironmentArgs(
            variables={
                "SETTING": pulumi.Output.secret("hunter2hunter2"),
                "REDIS_URL": "redis://cache:6379/0",
            }
        ),
        region="eu-west-1",
    )
    aws.cloudwatch.LogGroup("forever-logs", name="/forever", region="eu-west-1")
    aws.ecs.TaskDefinition(
        "leaky-task",
        family="blog",
        container_definitions=json.dumps(
            [
                {
                    "name": "wordpress",
                    "image": "wordpress",
                    "environment": [{"name": "WORDPRESS_DB_PASSWORD", "value": "x"}],
                }
            ]
        ),
        region="eu-west-1",
    )
    aws.apigatewayv2.Stage(
        "unlogged-stage",
        api_id="api",
        name="$default",
        access_log_settings=aws.apigatewayv2.StageAccessLogSettingsArgs(
            destination_arn="arn:aws:logs:eu-west-1:123456789012:log-group:/nowhere",
            format="$context.requestId",
        ),
        region="eu-west-1",
    )


def test_each_new_rule_catches_a_bad_resource_declared_with_pulumi_aws() -> None:
    run = harness.run(_bad_program)
    found = {(v.rule, v.resource) for v in policy.check(run.resources)}
    assert {
        ("bucket-tls-only", "open-bucket"),
        ("cache-encryption", "half-tls-cache"),
        ("cache-encryption", "leaky-fn"),
        ("cloudfront-tls", "default-cert-site"),
        ("plaintext-secret", "leaky-fn"),
        ("plaintext-secret", "leaky-task"),
        ("log-retention", "forever-logs"),
        ("log-retention", "leaky-fn"),
        ("log-retention", "unlogged-stage"),
    } <= found
    messages = [str(v) for v in policy.check(run.resources)]
    # One secret variable makes the engine mark the whole environment secret.
    assert any("(one of REDIS_URL, SETTING) holds a Pulumi secret" in m for m in messages)
    assert any("viewer protocol policy allow-all" in m for m in messages)


# -- the rules see the real program's resources ----------------------------------------------


def _edit_json(raw: str, edit: Callable[[Any], Any]) -> str:
    return json.dumps(edit(json.loads(raw)))


def _strip_tls_deny(inputs: dict[str, Any]) -> dict[str, Any]:
    def edit(document: dict[str, Any]) -> dict[str, Any]:
        kept = [s for s in document["Statement"] if s["Effect"] != "Deny"]
        return {**document, "Statement": kept}

    return {**inputs, "policy": _edit_json(inputs["policy"], edit)}


def _password_in_environment(inputs: dict[str, Any]) -> dict[str, Any]:
    def edit(containers: list[dict[str, Any]]) -> list[dict[str, Any]]:
        (wordpress,) = containers
        env = [*wordpress["environment"], {"name": "WORDPRESS_DB_PASSWORD", "value": "pw"}]
        return [{**wordpress, "environment": env, "secrets": []}]

    return {**inputs, "containerDefinitions": _edit_json(inputs["containerDefinitions"], edit)}


def _with_variables(**extra: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def edit(inputs: dict[str, Any]) -> dict[str, Any]:
        # The functions' environment is a Pulumi secret because REDIS_URL carries the cache's
        # token; a REDIS_URL put in its place carries none.
        environment, secret = policy._unwrap(inputs["environment"])
        changed = {"variables": {**environment["variables"], **extra}}
        if secret and "REDIS_URL" not in extra:
            changed = {rpc._special_sig_key: rpc._special_secret_sig, "value": changed}
        return {**inputs, "environment": changed}

    return edit


DROP = None
MUTATIONS: list[tuple[str, str, Callable[[dict[str, Any]], dict[str, Any]] | None, str, str]] = [
    # (stack, resource edited, edit or DROP, rule, resource reported)
    (
        "primary_run",
        "bookstore-data-site-primary-policy",
        _strip_tls_deny,
        "bucket-tls-only",
        "bookstore-data-site-primary",
    ),
    (
        "primary_run",
        "bookstore-data-site-secondary-policy",
        DROP,
        "bucket-tls-only",
        "bookstore-data-site-secondary",
    ),
    (
        "primary_run",
        "bookstore-primary-redis",
        lambda i: {**i, "transitEncryptionEnabled": False},
        "cache-encryption",
        "bookstore-primary-redis",
    ),
    (
        "secondary_run",
        "bookstore-secondary-stream",
        _with_variables(REDIS_URL="redis://master.x.cache.amazonaws.com:6379/0"),
        "cache-encryption",
        "bookstore-secondary-stream",
    ),
    (
        "global_run",
        "bookstore-routing-site",
        lambda i: {**i, "viewerCertificate": {"cloudfrontDefaultCertificate": True}},
        "cloudfront-tls",
        "bookstore-routing-site",
    ),
    (
        "global_run",
        "bookstore-routing-site",
        lambda i: {**i, "defaultCacheBehavior": {"viewerProtocolPolicy": "allow-all"}},
        "cloudfront-tls",
        "bookstore-routing-site",
    ),
    (
        "primary_run",
        "bookstore-primary-seed",
        _with_variables(ADMIN_TOKEN="s3cr3t"),
        "plaintext-secret",
        "bookstore-primary-seed",
    ),
    (
        "primary_run",
        "bookstore-blog-primary-task",
        _password_in_environment,
        "plaintext-secret",
        "bookstore-blog-primary-task",
    ),
    (
        "primary_run",
        "bookstore-primary-api-logs",
        lambda i: {k: v for k, v in i.items() if k != "retentionInDays"},
        "log-retention",
        "bookstore-primary-api-logs",
    ),
    ("primary_run", "bookstore-primary-seed-logs", DROP, "log-retention", "bookstore-primary-seed"),
    (
        "secondary_run",
        "bookstore-blog-secondary-logs",
        DROP,
        "log-retention",
        "bookstore-blog-secondary-task",
    ),
    (
        "secondary_run",
        "bookstore-secondary-api-access-logs",
        DROP,
        "log-retention",
        "bookstore-secondary-api-stage",
    ),
]


@pytest.mark.parametrize(("stack", "target", "edit", "rule", "reported"), MUTATIONS)
def test_a_broken_resource_of_the_real_program_is_reported(
    stack: str,
    target: str,
    edit: Callable[[dict[str, Any]], dict[str, Any]] | None,
    rule: str,
    reported: str,
    request: pytest.FixtureRequest,
) -> None:
    run: harness.Run = request.getfixturevalue(stack)
    run.named(target)  # exists
    resources = [
        r if r.name != target or edit is None else dataclasses.replace(r, inputs=edit(r.inputs))
        for r in run.resources
        if not (r.name == target and edit is None)
    ]
    assert [(v.rule, v.resource) for v in policy.check(resources)] == [(rule, reported)]
