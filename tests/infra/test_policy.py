"""The security policy holds on every stack, and each rule catches a bad resource."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import policy
from components.policy import Recorded
from tests.infra import harness


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
    if "encryption" in attachments:
        resources.append(
            Recorded(
                "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                "enc",
                {"bucket": "b-1", "rules": [{"applyServerSideEncryptionByDefault": {}}]},
            )
        )
    return resources


def test_bucket_rules() -> None:
    assert _rules(_bucket_with("block", "encryption")) == []
    assert _rules(_bucket_with("encryption")) == ["bucket-private"]
    assert _rules(_bucket_with("half-block", "encryption")) == ["bucket-private"]
    assert _rules(_bucket_with("block")) == ["bucket-encrypted"]
    assert _rules(_bucket_with("block", "encryption", acl="public-read")) == ["bucket-private"]


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
        (
            "aws:elasticache/replicationGroup:ReplicationGroup",
            {"atRestEncryptionEnabled": True},
            "not encrypted in transit",
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


def test_world_ingress_only_on_443_into_a_load_balancer() -> None:
    assert _rules([ALB, _ingress(443)]) == []
    assert _rules([ALB, _ingress(80)]) == ["world-ingress"]
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
