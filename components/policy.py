"""Security invariants over the resources a stack declares.

The checks read what a Pulumi program registered (type, inputs, id) - in the tests, every
stack's run under mocks - so they hold for what would be deployed, not for what the code
meant. Each rule returns the violations it found; `check` runs them all.

Rules:
- no IAM statement allows a wildcard action (`*`, `s3:*`, `dynamodb:Get*`);
- no IAM statement allows `"Resource": "*"` unless every action in it cannot be scoped to an
  ARN (Lambda's VPC networking calls);
- every S3 bucket blocks public access (all four settings) and has default encryption;
- every data store is encrypted and deletion protected (DynamoDB tables and their replicas,
  Aurora clusters and the global cluster, Cognito user pools, Secrets Manager recovery
  window); ElastiCache, which has no deletion protection, must encrypt at rest and in transit;
- no security group accepts 0.0.0.0/0 or ::/0 except on 443 into a load balancer's group.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from components.aws_helpers import UNSCOPED_ACTIONS

WORLD = ("0.0.0.0/0", "::/0")
IAM_DOCUMENT_INPUTS: dict[str, tuple[str, ...]] = {
    "aws:iam/rolePolicy:RolePolicy": ("policy",),
    "aws:iam/policy:Policy": ("policy",),
    "aws:s3/bucketPolicy:BucketPolicy": ("policy",),
    "aws:iam/role:Role": ("assumeRolePolicy",),
    "aws:sqs/queuePolicy:QueuePolicy": ("policy",),
}


@dataclass(frozen=True)
class Recorded:
    """One registered resource, with inputs as the engine saw them (camelCase keys)."""

    type: str
    name: str
    inputs: dict[str, Any]
    id: str = ""
    parent: str = ""
    ignore_changes: tuple[str, ...] = field(default_factory=tuple)
    dependencies: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Violation:
    rule: str
    resource: str
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.resource}: {self.message}"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _statements(resource: Recorded) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    for key in IAM_DOCUMENT_INPUTS.get(resource.type, ()):
        raw = resource.inputs.get(key)
        if raw is None:
            continue
        document = json.loads(raw) if isinstance(raw, str) else raw
        result.extend(_as_list(document.get("Statement")))
    return result


def _allows(stmt: dict[str, Any]) -> bool:
    return stmt.get("Effect") == "Allow"


def no_wildcard_actions(resources: Sequence[Recorded]) -> list[Violation]:
    found = []
    for resource in resources:
        for stmt in filter(_allows, _statements(resource)):
            if "NotAction" in stmt:
                found.append(
                    Violation("iam-wildcard-action", resource.name, "Allow with NotAction")
                )
            for action in _as_list(stmt.get("Action")):
                if "*" in str(action):
                    found.append(
                        Violation("iam-wildcard-action", resource.name, f"allows {action}")
                    )
    return found


def no_wildcard_resources(resources: Sequence[Recorded]) -> list[Violation]:
    found = []
    for resource in resources:
        for stmt in filter(_allows, _statements(resource)):
            if "Principal" in stmt and resource.type == "aws:iam/role:Role":
                continue  # trust policies name principals, not resources
            targets = [str(r) for r in _as_list(stmt.get("Resource"))]
            actions = {str(a) for a in _as_list(stmt.get("Action"))}
            if "NotResource" in stmt:
                found.append(Violation("iam-wildcard-resource", resource.name, "NotResource"))
            if "*" in targets and not actions <= UNSCOPED_ACTIONS:
                scoped = sorted(actions - UNSCOPED_ACTIONS)
                found.append(
                    Violation(
                        "iam-wildcard-resource",
                        resource.name,
                        f"Resource * for actions that take an ARN: {', '.join(scoped)}",
                    )
                )
    return found


def buckets_private_and_encrypted(resources: Sequence[Recorded]) -> list[Violation]:
    blocked = {
        r.inputs.get("bucket")
        for r in resources
        if r.type == "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
        and all(
            r.inputs.get(k) is True
            for k in (
                "blockPublicAcls",
                "blockPublicPolicy",
                "ignorePublicAcls",
                "restrictPublicBuckets",
            )
        )
    }
    encrypted = {
        r.inputs.get("bucket")
        for r in resources
        if r.type
        == "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        and r.inputs.get("rules")
    }
    found = []
    for bucket in (r for r in resources if r.type == "aws:s3/bucket:Bucket"):
        if bucket.id not in blocked:
            found.append(
                Violation("bucket-private", bucket.name, "public access not fully blocked")
            )
        if bucket.id not in encrypted:
            found.append(Violation("bucket-encrypted", bucket.name, "no default encryption"))
        if str(bucket.inputs.get("acl", "private")) != "private":
            found.append(Violation("bucket-private", bucket.name, f"acl {bucket.inputs['acl']}"))
    return found


def _store_checks(resource: Recorded) -> list[str]:
    i = resource.inputs
    problems: list[str] = []
    if resource.type == "aws:dynamodb/table:Table":
        if not (i.get("serverSideEncryption") or {}).get("enabled"):
            problems.append("server-side encryption not enabled")
        if i.get("deletionProtectionEnabled") is not True:
            problems.append("deletion protection off")
        for replica in i.get("replicas") or []:
            if replica.get("deletionProtectionEnabled") is not True:
                problems.append(f"replica {replica.get('regionName')}: deletion protection off")
    elif resource.type in ("aws:rds/cluster:Cluster", "aws:rds/globalCluster:GlobalCluster"):
        if i.get("storageEncrypted") is not True:
            problems.append("storage not encrypted")
        if i.get("deletionProtection") is not True:
            problems.append("deletion protection off")
    elif resource.type == "aws:elasticache/replicationGroup:ReplicationGroup":
        if i.get("atRestEncryptionEnabled") is not True:
            problems.append("not encrypted at rest")
        if i.get("transitEncryptionEnabled") is not True:
            problems.append("not encrypted in transit")
    elif resource.type == "aws:cognito/userPool:UserPool":
        if i.get("deletionProtection") != "ACTIVE":
            problems.append("deletion protection off")
    elif resource.type == "aws:secretsmanager/secret:Secret":
        if int(i.get("recoveryWindowInDays", 30)) < 7:
            problems.append("recovery window under 7 days")
    elif resource.type == "aws:sqs/queue:Queue" and not (
        i.get("sqsManagedSseEnabled") or i.get("kmsMasterKeyId")
    ):
        problems.append("not encrypted")
    return problems


def data_stores_encrypted_and_protected(resources: Sequence[Recorded]) -> list[Violation]:
    return [
        Violation("data-store", r.name, problem) for r in resources for problem in _store_checks(r)
    ]


def no_world_ingress(resources: Sequence[Recorded]) -> list[Violation]:
    load_balancer_groups = {
        group
        for r in resources
        if r.type == "aws:lb/loadBalancer:LoadBalancer"
        for group in r.inputs.get("securityGroups") or []
    }
    found = []
    for r in resources:
        rules: list[tuple[str, dict[str, Any]]] = []
        if r.type == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
            rules.append((str(r.inputs.get("securityGroupId")), r.inputs))
        elif r.type == "aws:ec2/securityGroup:SecurityGroup":
            rules.extend((r.id, rule) for rule in r.inputs.get("ingress") or [])
        elif r.type == "aws:ec2/securityGroupRule:SecurityGroupRule" and (
            r.inputs.get("type") == "ingress"
        ):
            rules.append((str(r.inputs.get("securityGroupId")), r.inputs))
        for group, rule in rules:
            sources = [
                *_as_list(rule.get("cidrIpv4")),
                *_as_list(rule.get("cidrIpv6")),
                *_as_list(rule.get("cidrBlocks")),
                *_as_list(rule.get("ipv6CidrBlocks")),
            ]
            if not any(source in WORLD for source in sources):
                continue
            https_only = rule.get("fromPort") == 443 and rule.get("toPort") == 443
            if not (https_only and group in load_balancer_groups):
                found.append(
                    Violation(
                        "world-ingress",
                        r.name,
                        f"open to the internet on {rule.get('fromPort')}-{rule.get('toPort')}",
                    )
                )
    return found


RULES: tuple[Callable[[Sequence[Recorded]], list[Violation]], ...] = (
    no_wildcard_actions,
    no_wildcard_resources,
    buckets_private_and_encrypted,
    data_stores_encrypted_and_protected,
    no_world_ingress,
)


def check(resources: Iterable[Recorded]) -> list[Violation]:
    recorded = list(resources)
    return [violation for rule in RULES for violation in rule(recorded)]
