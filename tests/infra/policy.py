"""Security invariants over the resources a stack declares.

The checks read what a Pulumi program registered (type, inputs, id) - in the tests, every
stack's run under mocks - so they hold for what would be deployed, not for what the code
meant. Each rule returns the violations it found; `check` runs them all.

Rules:
- no IAM statement allows a wildcard action (`*`, `s3:*`, `dynamodb:Get*`);
- no IAM statement allows `"Resource": "*"` unless every action in it cannot be scoped to an
  ARN (Lambda's VPC networking calls);
- every S3 bucket blocks public access (all four settings) and has default encryption;
- every S3 bucket's policy denies requests without TLS: a Deny of `s3:*` for every principal
  when `aws:SecureTransport` is false, on the bucket's ARN and on its objects (`<arn>/*`);
- every data store is encrypted and deletion protected (DynamoDB tables and their replicas,
  Aurora clusters and the global cluster, Cognito user pools, Secrets Manager recovery
  window);
- ElastiCache, which has no deletion protection, encrypts at rest and in transit with TLS
  required (not `preferred`, which still accepts plain text), and no function or container
  is given a plain `redis://` URL (serverless caches always encrypt, so they pass as they are);
- every CloudFront distribution serves its own ACM/IAM certificate with a minimum protocol of
  TLSv1.2_2021 or newer (with the default `*.cloudfront.net` certificate CloudFront uses TLSv1
  whatever is asked for, so the default certificate fails), and every cache behaviour
  refuses or redirects plain HTTP;
- no secret in a Lambda function's environment or an ECS container's `environment`: names
  matching SECRET/PASSWORD/TOKEN/KEY/CREDENTIAL (any case) must hold a Secrets Manager or SSM
  parameter ARN, and no value may look like a credential (a Pulumi secret, an access key id,
  a private key, a password in a URL, a JWT, a well-known token format); containers take
  secrets through `secrets` (`valueFrom`). One exception, for the functions' cache: a Lambda
  environment may be secret when its `REDIS_URL` is a `rediss://` URL carrying a Valkey AUTH
  token (`rediss://:<token>@host`): the token is a second lock behind the cache's security
  group, and reading it from Secrets Manager would need an interface endpoint in every
  region and a boto3 import in the stream function's cold start. With the whole environment
  secret, the rule cannot tell whether another variable was a secret too; the names and
  values of the others are still checked;
- every log group sets a retention CloudWatch accepts, and every function, container
  (`awslogs`) and API stage (access logs) writes to a log group this program declares (a
  group Lambda creates on the fly, `/aws/lambda/<name>`, keeps its logs forever);
- no security group accepts 0.0.0.0/0 or ::/0 except on 443 into a load balancer's group, or
  on 80 into one when every listener on port 80 only redirects to HTTPS.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi.runtime import rpc

from components.aws_helpers import UNSCOPED_ACTIONS
from components.settings import LOG_RETENTION_DAYS

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
    urn: str = ""
    alias_parents: tuple[str, ...] = field(default_factory=tuple)
    """The URNs of the parents this resource had before (its `Alias(parent=...)` options)."""
    retain_on_delete: bool = False


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


def _redirects_to_https(listener: dict[str, Any]) -> bool:
    actions = _as_list(listener.get("defaultActions"))
    return bool(actions) and all(
        isinstance(action, dict)
        and action.get("type") == "redirect"
        and (action.get("redirect") or {}).get("protocol") == "HTTPS"
        for action in actions
    )


def no_world_ingress(resources: Sequence[Recorded]) -> list[Violation]:
    load_balancer_groups = {
        group
        for r in resources
        if r.type == "aws:lb/loadBalancer:LoadBalancer"
        for group in r.inputs.get("securityGroups") or []
    }
    http_listeners = [
        r.inputs
        for r in resources
        if r.type == "aws:lb/listener:Listener" and r.inputs.get("port") == 80
    ]
    http_redirects_only = bool(http_listeners) and all(
        _redirects_to_https(listener) for listener in http_listeners
    )
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
            port = rule.get("fromPort") if rule.get("fromPort") == rule.get("toPort") else None
            allowed = port == 443 or (port == 80 and http_redirects_only)
            if not (allowed and group in load_balancer_groups):
                found.append(
                    Violation(
                        "world-ingress",
                        r.name,
                        f"open to the internet on {rule.get('fromPort')}-{rule.get('toPort')}",
                    )
                )
    return found


# -- TLS-only buckets ------------------------------------------------------------------------


def _arn_pattern(pattern: str) -> re.Pattern[str]:
    """An IAM resource pattern (`*` and `?` wildcards) as a regular expression."""
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    )


def _covers(patterns: Iterable[str], arn: str) -> bool:
    return any(_arn_pattern(p).fullmatch(arn) for p in patterns)


def _everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, dict) and _as_list(principal.get("AWS")) == ["*"]


def _denies_plain_http(stmt: dict[str, Any]) -> bool:
    """A Deny of every S3 action, for every principal, when the request did not use TLS."""
    if stmt.get("Effect") != "Deny" or "NotPrincipal" in stmt or "NotAction" in stmt:
        return False
    if not _everyone(stmt.get("Principal")):
        return False
    if not {"s3:*", "*"} & {str(a).lower() for a in _as_list(stmt.get("Action"))}:
        return False
    for operator, conditions in (stmt.get("Condition") or {}).items():
        if operator not in ("Bool", "BoolIfExists"):
            continue
        for key, value in conditions.items():
            values = [str(v).lower() for v in _as_list(value)]
            if key.lower() == "aws:securetransport" and values == ["false"]:
                return True
    return False


def buckets_tls_only(resources: Sequence[Recorded]) -> list[Violation]:
    policies: dict[str, list[Recorded]] = {}
    for r in resources:
        if r.type == "aws:s3/bucketPolicy:BucketPolicy":
            policies.setdefault(str(r.inputs.get("bucket")), []).append(r)
    found = []
    for bucket in (r for r in resources if r.type == "aws:s3/bucket:Bucket"):
        attached = policies.get(bucket.id) or policies.get(str(bucket.inputs.get("bucket")))
        if not attached:
            found.append(
                Violation(
                    "bucket-tls-only",
                    bucket.name,
                    "no bucket policy, so requests over plain HTTP are allowed: add one that "
                    "denies s3:* when aws:SecureTransport is false",
                )
            )
            continue
        covered = [
            str(target)
            for policy in attached
            for stmt in _statements(policy)
            if _denies_plain_http(stmt)
            for target in _as_list(stmt.get("Resource"))
        ]
        arn = f"arn:aws:s3:::{bucket.id}"
        missing = [target for target in (arn, f"{arn}/*") if not _covers(covered, target)]
        if not covered:
            found.append(
                Violation(
                    "bucket-tls-only",
                    bucket.name,
                    "the bucket policy does not deny plain HTTP: it needs a Deny of s3:* for "
                    'Principal "*" when aws:SecureTransport is false',
                )
            )
        elif missing:
            found.append(
                Violation(
                    "bucket-tls-only",
                    bucket.name,
                    f"the Deny on aws:SecureTransport=false does not cover {', '.join(missing)}",
                )
            )
    return found


# -- ElastiCache in transit ------------------------------------------------------------------

PLAIN_REDIS_URL = re.compile(r"^\s*redis://", re.IGNORECASE)


def _unwrap(value: Any) -> tuple[Any, bool]:
    """The plain value of an input and whether the engine received it as a Pulumi secret."""
    if isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig:
        return value.get("value"), True
    return value, False


def _lambda_environment(resource: Recorded) -> tuple[dict[str, Any], bool]:
    """A function's variables, and whether the whole map arrived as one Pulumi secret."""
    environment, secret_env = _unwrap(resource.inputs.get("environment"))
    variables, secret_vars = _unwrap((environment or {}).get("variables"))
    return dict(variables or {}), secret_env or secret_vars


def _containers(resource: Recorded) -> tuple[list[dict[str, Any]], bool]:
    """A task definition's containers, and whether their definitions arrived as a secret."""
    raw, secret = _unwrap(resource.inputs.get("containerDefinitions"))
    if raw is None:
        return [], secret
    containers = json.loads(raw) if isinstance(raw, str) else raw
    return [c for c in _as_list(containers) if isinstance(c, dict)], secret


def _environments(resources: Sequence[Recorded]) -> Iterator[tuple[Recorded, str, str, Any]]:
    """(resource, where, variable, value) for every function and container variable."""
    for r in resources:
        if r.type == "aws:lambda/function:Function":
            for key, value in _lambda_environment(r)[0].items():
                yield r, "", str(key), value
        elif r.type == "aws:ecs/taskDefinition:TaskDefinition":
            for container in _containers(r)[0]:
                where = f"container {container.get('name')}: "
                for entry in _as_list(container.get("environment")):
                    yield r, where, str(entry.get("name")), entry.get("value")


def _cache_checks(resource: Recorded) -> list[str]:
    i = resource.inputs
    problems: list[str] = []
    if resource.type == "aws:elasticache/replicationGroup:ReplicationGroup":
        if i.get("atRestEncryptionEnabled") is not True:
            problems.append("not encrypted at rest (at_rest_encryption_enabled)")
        if i.get("transitEncryptionEnabled") is not True:
            problems.append("not encrypted in transit (transit_encryption_enabled)")
        elif i.get("transitEncryptionMode") == "preferred":
            problems.append(
                "transit encryption mode preferred still accepts plain-text clients: "
                "set it to required"
            )
    elif resource.type == "aws:elasticache/cluster:Cluster" and not i.get("replicationGroupId"):
        # A cluster in a replication group is judged by its group.
        problems.append(
            "a stand-alone cache cluster cannot encrypt at rest: use a replication group "
            "or a serverless cache"
        )
        if i.get("transitEncryptionEnabled") is not True:
            problems.append("not encrypted in transit (transit_encryption_enabled)")
    return problems


def caches_encrypted_in_transit(resources: Sequence[Recorded]) -> list[Violation]:
    found = [
        Violation("cache-encryption", r.name, problem)
        for r in resources
        for problem in _cache_checks(r)
    ]
    for r, where, name, raw in _environments(resources):
        value, _ = _unwrap(raw)
        if isinstance(value, str) and PLAIN_REDIS_URL.match(value):
            found.append(
                Violation(
                    "cache-encryption",
                    r.name,
                    f"{where}environment variable {name} connects to Redis without TLS "
                    "(redis://): the caches require TLS, use rediss://",
                )
            )
    return found


# -- CloudFront TLS --------------------------------------------------------------------------

CLOUDFRONT_TLS_POLICIES = frozenset({"TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"})
"""CloudFront security policies with TLS 1.2 or newer and only modern ciphers."""
HTTPS_VIEWER_POLICIES = ("https-only", "redirect-to-https")


def cloudfront_tls(resources: Sequence[Recorded]) -> list[Violation]:
    found = []
    for r in resources:
        if r.type != "aws:cloudfront/distribution:Distribution":
            continue
        certificate = r.inputs.get("viewerCertificate") or {}
        own = certificate.get("acmCertificateArn") or certificate.get("iamCertificateId")
        version = certificate.get("minimumProtocolVersion")
        if certificate.get("cloudfrontDefaultCertificate") or not own:
            found.append(
                Violation(
                    "cloudfront-tls",
                    r.name,
                    "serves the default *.cloudfront.net certificate, with which CloudFront "
                    "accepts TLSv1 whatever is asked for: serve an ACM certificate (us-east-1) "
                    "for an alias with minimum_protocol_version TLSv1.2_2021 or newer",
                )
            )
        elif version not in CLOUDFRONT_TLS_POLICIES:
            found.append(
                Violation(
                    "cloudfront-tls",
                    r.name,
                    f"minimum protocol version {version or 'TLSv1 (the default)'} is below "
                    "TLSv1.2_2021",
                )
            )
        behaviors = [("default", r.inputs.get("defaultCacheBehavior") or {})]
        behaviors += [
            (str(b.get("pathPattern")), b) for b in r.inputs.get("orderedCacheBehaviors") or []
        ]
        for pattern, behavior in behaviors:
            policy = behavior.get("viewerProtocolPolicy")
            if policy not in HTTPS_VIEWER_POLICIES:
                found.append(
                    Violation(
                        "cloudfront-tls",
                        r.name,
                        f"cache behaviour {pattern}: viewer protocol policy {policy} serves "
                        "plain HTTP (use https-only or redirect-to-https)",
                    )
                )
    return found


# -- secrets in environments -----------------------------------------------------------------

SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|KEY|CREDENTIAL", re.IGNORECASE)
SECRET_REFERENCE = re.compile(
    r"^arn:aws[\w-]*:(secretsmanager:[\w-]+:\d{12}:secret:\S+|ssm:[\w-]+:\d{12}:parameter/\S+)$"
)
"""A Secrets Manager secret or SSM parameter ARN: a pointer to a secret, not the secret."""
SECRET_VALUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a URL with a password", re.compile(r"^[a-z][a-z0-9+.-]*://[^/\s@:]*:[^/\s@]+@", re.I)),
    ("a JSON Web Token", re.compile(r"\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{20,})")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[\w-]{10,}")),
    ("a Stripe secret key", re.compile(r"\b[rs]k_live_\w{16,}")),
)


CACHE_AUTH_VARIABLE = "REDIS_URL"
CACHE_AUTH_URL = re.compile(r"^rediss://:[A-Za-z0-9]{16,128}@[\w.-]+:\d+/\d+$")
"""The one credential a Lambda environment may hold: a Valkey AUTH token, over TLS."""


def _cache_auth_url(name: str, value: Any) -> bool:
    return (
        name == CACHE_AUTH_VARIABLE and isinstance(value, str) and bool(CACHE_AUTH_URL.match(value))
    )


def _secret_problem(name: str, raw: Any) -> str | None:
    value, secret = _unwrap(raw)
    if secret:
        return "holds a Pulumi secret, which is stored and shown in plain text there"
    text = "" if value is None else str(value)
    if SECRET_REFERENCE.match(text) or _cache_auth_url(name, value):
        return None
    for what, pattern in SECRET_VALUES:
        if pattern.search(text):
            return f"holds what looks like {what}"
    match = SECRET_NAME.search(name)
    if match:
        return (
            f"is named like a secret ({match.group(0).upper()}) but does not hold a "
            "Secrets Manager or SSM parameter ARN"
        )
    return None


def no_plaintext_secrets(resources: Sequence[Recorded]) -> list[Violation]:
    found = []
    for r, where, name, raw in _environments(resources):
        problem = _secret_problem(name, raw)
        if problem is None:
            continue
        fix = (
            "pass it in the container's `secrets` (valueFrom a Secrets Manager or SSM ARN)"
            if where
            else "keep it in Secrets Manager or SSM and pass the ARN"
        )
        found.append(
            Violation(
                "plaintext-secret",
                r.name,
                f"{where}environment variable {name} {problem}: {fix}",
            )
        )
    # A secret anywhere in a nested input makes the engine mark the whole input secret, so
    # these name no variable.
    for r in resources:
        if r.type == "aws:lambda/function:Function":
            variables, secret = _lambda_environment(r)
            explained = _cache_auth_url(
                CACHE_AUTH_VARIABLE, _unwrap(variables.get(CACHE_AUTH_VARIABLE))[0]
            )
            if explained and not secret:
                found.append(
                    Violation(
                        "plaintext-secret",
                        r.name,
                        f"its {CACHE_AUTH_VARIABLE} carries the cache's AUTH token but the "
                        "environment is not a Pulumi secret, so the token is stored in the "
                        "state in plain text: make the URL a secret",
                    )
                )
            if secret and not explained:
                found.append(
                    Violation(
                        "plaintext-secret",
                        r.name,
                        f"its environment (one of {', '.join(sorted(variables))}) holds a "
                        "Pulumi secret, which Lambda stores and shows in plain text: keep it "
                        "in Secrets Manager or SSM and pass the ARN",
                    )
                )
        elif r.type == "aws:ecs/taskDefinition:TaskDefinition" and _containers(r)[1]:
            found.append(
                Violation(
                    "plaintext-secret",
                    r.name,
                    "its container definitions hold a Pulumi secret, which ECS stores and "
                    "shows in plain text: pass it in `secrets` (valueFrom a Secrets Manager "
                    "or SSM ARN)",
                )
            )
    return found


# -- log retention ---------------------------------------------------------------------------

LOG_GROUP_ARN = re.compile(r"^arn:aws[\w-]*:logs:([\w-]+):\d{12}:log-group:(.+?)(?::\*)?$")


def _declared_group(groups: Sequence[Recorded], name: Any, region: Any) -> Recorded | None:
    for group in groups:
        same_region = region is None or group.inputs.get("region") in (None, region)
        if group.inputs.get("name") == name and same_region:
            return group
    return None


def _log_destinations(resource: Recorded) -> list[tuple[str, str, Any]]:
    """(what writes, log group name, region) for a resource that writes logs."""
    i = resource.inputs
    region = i.get("region")
    if resource.type == "aws:lambda/function:Function":
        configured = (i.get("loggingConfig") or {}).get("logGroup")
        if configured:
            return [("the function", str(configured), region)]
        if i.get("name"):
            return [("the function", f"/aws/lambda/{i['name']}", region)]
        return [("the function", "/aws/lambda/<generated name>", region)]
    if resource.type == "aws:ecs/taskDefinition:TaskDefinition":
        result = []
        for container in _containers(resource)[0]:
            logging = container.get("logConfiguration") or {}
            options = logging.get("options") or {}
            if logging.get("logDriver") == "awslogs":
                result.append(
                    (
                        f"container {container.get('name')}",
                        str(options.get("awslogs-group")),
                        options.get("awslogs-region") or region,
                    )
                )
        return result
    if resource.type in ("aws:apigatewayv2/stage:Stage", "aws:apigateway/stage:Stage"):
        arn = str((i.get("accessLogSettings") or {}).get("destinationArn") or "")
        match = LOG_GROUP_ARN.match(arn)
        if match:
            return [("the access log", match.group(2), match.group(1))]
    return []


def logs_have_retention(resources: Sequence[Recorded]) -> list[Violation]:
    groups = [r for r in resources if r.type == "aws:cloudwatch/logGroup:LogGroup"]
    found = []
    for group in groups:
        days = group.inputs.get("retentionInDays")
        if not days:
            found.append(
                Violation(
                    "log-retention",
                    group.name,
                    "no retention set (retention_in_days): the logs are kept forever",
                )
            )
        elif int(days) not in LOG_RETENTION_DAYS:
            found.append(
                Violation(
                    "log-retention",
                    group.name,
                    f"retention of {int(days)} days is not one CloudWatch accepts",
                )
            )
    for r in resources:
        hint = (
            " and point logging_config.log_group at it"
            if r.type == "aws:lambda/function:Function"
            else ""
        )
        for writer, name, region in _log_destinations(r):
            if _declared_group(groups, name, region) is None:
                found.append(
                    Violation(
                        "log-retention",
                        r.name,
                        f"{writer} writes to log group {name}, which is not declared here, so "
                        "nothing sets its retention: declare an aws.cloudwatch.LogGroup with "
                        f"retention_in_days{hint}",
                    )
                )
    return found


RULES: tuple[Callable[[Sequence[Recorded]], list[Violation]], ...] = (
    no_wildcard_actions,
    no_wildcard_resources,
    buckets_private_and_encrypted,
    buckets_tls_only,
    data_stores_encrypted_and_protected,
    caches_encrypted_in_transit,
    cloudfront_tls,
    no_plaintext_secrets,
    logs_have_retention,
    no_world_ingress,
)


def check(resources: Iterable[Recorded]) -> list[Violation]:
    recorded = list(resources)
    return [violation for rule in RULES for violation in rule(recorded)]
