"""The Valkey replication group that holds a region's best-seller board.

Encrypted at rest and in transit with TLS required (the functions connect with `rediss://`),
in the region's private subnets, behind a security group its owner declares, and closed to a
client without its AUTH token (made once by `pulumi-random`, kept as a secret in the state):
a security group opened too wide by mistake does not open the cache with it. The board is a
cache of what Orders holds: the API rebuilds it when it is lost, so one node is enough and a
second buys only Multi-AZ failover.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws
import pulumi_random as random

REDIS_PORT = 6379
ENGINE = "valkey"
ENGINE_VERSION = "8.0"
AUTH_TOKEN_LENGTH = 64
"""ElastiCache takes 16 to 128 printable characters; letters and digits only, so the token
needs no escaping in the URL."""


@dataclass(frozen=True)
class LeaderboardCache:
    group: aws.elasticache.ReplicationGroup
    auth_token: pulumi.Output[str]
    """Secret."""

    @property
    def url(self) -> pulumi.Output[str]:
        """What the functions connect to: TLS, the AUTH token, database 0. A Pulumi secret,
        so the token stays encrypted in the state and out of previews."""
        return pulumi.Output.secret(
            pulumi.Output.concat(
                "rediss://:",
                self.auth_token,
                "@",
                self.group.primary_endpoint_address,
                f":{REDIS_PORT}/0",
            )
        )


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
) -> LeaderboardCache:
    """Declared with the caller's `opts` (its parent)."""
    subnet_group = aws.elasticache.SubnetGroup(
        f"{name}-redis-subnets",
        subnet_ids=list(subnet_ids),
        description="Bookstore leaderboard",
        region=region,
        opts=opts,
    )
    replicated = nodes > 1
    token = random.RandomPassword(
        f"{name}-redis-auth-token", length=AUTH_TOKEN_LENGTH, special=False, opts=opts
    ).result
    group = aws.elasticache.ReplicationGroup(
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
        auth_token=token,
        region=region,
        opts=opts,
    )
    return LeaderboardCache(group=group, auth_token=token)
