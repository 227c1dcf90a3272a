"""Small helpers the components share: IAM documents, ARNs and DNS-validated certificates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

# Actions that AWS does not scope to a resource ARN (Lambda's VPC networking, as in the
# managed AWSLambdaVPCAccessExecutionRole); the only ones the infrastructure policy
# (`tests/infra/policy.py`) accepts on `"Resource": "*"`.
UNSCOPED_ACTIONS: frozenset[str] = frozenset(
    {
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
    }
)


def statement(
    actions: Sequence[str], resources: Sequence[pulumi.Input[str]], sid: str | None = None
) -> dict[str, Any]:
    stmt: dict[str, Any] = {
        "Effect": "Allow",
        "Action": sorted(actions),
        "Resource": list(resources),
    }
    if sid:
        stmt["Sid"] = sid
    return stmt


def policy_document(statements: Sequence[dict[str, Any]]) -> pulumi.Output[str]:
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def assume_role_policy(service: str) -> str:
    import json

    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def log_group_arn_pattern(log_group: aws.cloudwatch.LogGroup) -> pulumi.Output[str]:
    """The log group's streams: what `logs:CreateLogStream`/`PutLogEvents` act on."""
    return pulumi.Output.concat(log_group.arn, ":*")


def dynamodb_table_arn(
    region: pulumi.Input[str], account: pulumi.Input[str], table: pulumi.Input[str]
) -> pulumi.Output[str]:
    return pulumi.Output.concat("arn:aws:dynamodb:", region, ":", account, ":table/", table)


def validated_certificate(
    name: str,
    *,
    domain_name: pulumi.Input[str],
    zone_id: pulumi.Input[str],
    region: str,
    parent: pulumi.Resource,
) -> pulumi.Output[str]:
    """An ACM certificate validated through a Route 53 record; returns the ARN once issued.

    The validation record of a name is the same in every region of an account, so the
    stacks that each ask for `api.<domain>` in their region share one record
    (`allow_overwrite`) instead of fighting over it.
    """
    opts = pulumi.ResourceOptions(parent=parent)
    cert = aws.acm.Certificate(
        f"{name}-cert",
        domain_name=domain_name,
        validation_method="DNS",
        region=region,
        opts=opts,
    )
    option = cert.domain_validation_options[0]
    record = aws.route53.Record(
        f"{name}-cert-validation",
        zone_id=zone_id,
        name=option.resource_record_name,
        type=option.resource_record_type,
        records=[option.resource_record_value],
        ttl=300,
        allow_overwrite=True,
        opts=opts,
    )
    validation = aws.acm.CertificateValidation(
        f"{name}-cert-validated",
        certificate_arn=cert.arn,
        validation_record_fqdns=[record.fqdn],
        region=region,
        opts=opts,
    )
    return validation.certificate_arn
