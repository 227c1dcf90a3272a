"""The Valkey replication group that holds a region's best-seller board.

Encrypted at rest and in transit with TLS required (the functions connect with `rediss://`),
in the region's private subnets, behind a security group its owner declares. The board is a
cache of what Orders holds: the API rebuilds it when it is lost, so one node is enough and a
second buys only Multi-AZ failover.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import pulumi
import pulumi_aws as aws

REDIS_PORT = 6379
ENGINE = "valkey"
ENGINE_VERSION = "8.0"


def leaderboard_cache(
    name: str,
    *,
    role: Literal["primary", "secondary"],
    region: str,
    node_type: str,
    nodes: int,
    subnet_ids: Sequence[pulumi.Input[str]],
    security_group: aws.ec2.SecurityGroup,
    opts: pulumi.ResourceOptions,
) -> aws.elasticache.ReplicationGroup:
    """Declared with the caller's `opts` (its parent)."""
    subnet_group = aws.elasticache.SubnetGroup(
        f"{name}-redis-subnets",
        subnet_ids=list(subnet_ids),
        description="Bookstore leaderboard",
        region=region,
        opts=opts,
    )
    replicated = nodes > 1
    return aws.elasticache.ReplicationGroup(
        f"{name}-redis",
        description=f"Bookstore leaderboard ({role})",
        engine=ENGINE,
        engine_version=ENGINE_VERSION,
        node_type=node_type,
        num_cache_clusters=nodes,
        automatic_failover_enabled=replicated,
        multi_az_enabled=replicated,
        port=REDIS_PORT,
        subnet_group_name=subnet_group.name,
        security_group_ids=[security_group.id],
        at_rest_encryption_enabled=True,
        transit_encryption_enabled=True,
        transit_encryption_mode="required",
        region=region,
        opts=opts,
    )


def redis_url(cache: aws.elasticache.ReplicationGroup) -> pulumi.Output[str]:
    """What the functions connect to: TLS, database 0."""
    return pulumi.Output.concat("rediss://", cache.primary_endpoint_address, f":{REDIS_PORT}/0")
