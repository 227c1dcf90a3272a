"""Small helpers the components share: IAM documents, ARNs and DNS-validated certificates."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
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


def _validation_option(
    domain: str, options: Sequence[aws.acm.outputs.CertificateDomainValidationOption]
) -> aws.acm.outputs.CertificateDomainValidationOption:
    return next(option for option in options if option.domain_name == domain)


def validated_certificate(
    name: str,
    *,
    domain_name: str,
    zone_id: pulumi.Input[str],
    region: str,
    parent: pulumi.Resource,
    alternative_names: Sequence[str] = (),
) -> pulumi.Output[str]:
    """An ACM certificate for `domain_name` and `alternative_names`, validated through one
    Route 53 record per name; returns the ARN once issued.

    The validation record of a name is the same in every region of an account, so the
    stacks that each ask for `api.<domain>` in their region share one record
    (`allow_overwrite`) instead of fighting over it.
    """
    opts = pulumi.ResourceOptions(parent=parent)
    cert = aws.acm.Certificate(
        f"{name}-cert",
        domain_name=domain_name,
        subject_alternative_names=list(alternative_names) or None,
        validation_method="DNS",
        region=region,
        opts=opts,
    )
    fqdns = []
    for index, domain in enumerate((domain_name, *alternative_names)):
        option = cert.domain_validation_options.apply(partial(_validation_option, domain))
        record = aws.route53.Record(
            # The first name keeps the record name it had before certificates took several.
            f"{name}-cert-validation" if index == 0 else f"{name}-cert-validation-{index}",
            zone_id=zone_id,
            name=option.resource_record_name,
            type=option.resource_record_type,
            records=[option.resource_record_value],
            ttl=300,
            allow_overwrite=True,
            opts=opts,
        )
        fqdns.append(record.fqdn)
    validation = aws.acm.CertificateValidation(
        f"{name}-cert-validated",
        certificate_arn=cert.arn,
        validation_record_fqdns=fqdns,
        region=region,
        opts=opts,
    )
    return validation.certificate_arn
