"""The multi-region bookstore on AWS: one Pulumi program, three stacks.

- `primary`: GlobalData (global tables, replicated site buckets, Aurora global cluster), and
  in the primary region a RegionalNetwork with RegionalBookstore (with the Cognito user pool
  and the catalog seed) and BlogTier (the Aurora writer) placed in it.
- `secondary`: RegionalNetwork, RegionalBookstore and BlogTier in the secondary region,
  reading the primary's outputs.
- `global`: FailoverRouting (health checks, DNS, CloudFront, the web app), reading both.

Deploy in that order (docs/deploy.md). The stack name selects the role; `bookstore:role`
overrides it for stacks named per environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pulumi

from bookstore.tables import ORDERS, TABLES
from components.artifacts import ArtifactError, load_artifact
from components.blog_tier import BlogTier, BlogTierArgs
from components.failover_routing import (
    CognitoConfig,
    FailoverRouting,
    FailoverRoutingArgs,
    RegionFront,
    WebBuildMissingError,
)
from components.global_data import GlobalData, GlobalDataArgs
from components.identity import UserPoolRef
from components.network import RegionalNetwork, RegionalNetworkArgs
from components.regional_bookstore import RegionalBookstore, RegionalBookstoreArgs
from components.settings import ConfigError, Settings, load_settings
from components.upstream import UpstreamStack

PROJECT_ROOT = Path(__file__).resolve().parent
VPC_CIDRS = {"primary": "10.10.0.0/16", "secondary": "10.20.0.0/16"}

# What each stack exports for the stacks after it; `tests/infra` checks that every output the
# secondary and global stacks require is in these lists and really exported.
PRIMARY_OUTPUTS = (
    "region",
    "secondaryRegion",
    "tableNames",
    "streamArns",
    "siteBuckets",
    "auroraGlobalClusterId",
    "auroraGlobalClusterArn",
    "auroraEngineVersion",
    "userPoolId",
    "userPoolArn",
    "userPoolClientId",
    "apiEndpoint",
    "apiHost",
    "apiDomainTarget",
    "apiDomainZoneId",
    "apiRegionalUrl",
    "blogAlbDnsName",
    "blogAlbZoneId",
    "alarmTopicArn",
    "blogDbSecretArn",
)
SECONDARY_OUTPUTS = (
    "region",
    "apiEndpoint",
    "apiHost",
    "apiDomainTarget",
    "apiDomainZoneId",
    "apiRegionalUrl",
    "blogAlbDnsName",
    "blogAlbZoneId",
    "alarmTopicArn",
)


def _regional_exports(region: RegionalBookstore, blog: BlogTier, settings: Settings) -> None:
    pulumi.export("region", settings.region)
    pulumi.export("apiEndpoint", region.api.api_endpoint)
    pulumi.export("apiHost", region.api_host)
    pulumi.export("apiDomainTarget", region.api_domain_target)
    pulumi.export("apiDomainZoneId", region.api_domain_zone_id)
    pulumi.export("apiRegionalUrl", region.api_regional_url)
    pulumi.export("blogAlbDnsName", blog.alb.dns_name)
    pulumi.export("blogAlbZoneId", blog.alb.zone_id)
    pulumi.export("alarmTopicArn", region.alarms.topic.arn)


def _network(
    settings: Settings, role: Literal["primary", "secondary"], region: str
) -> RegionalNetwork:
    name = f"{settings.name_prefix}-{role}"
    return RegionalNetwork(
        name,
        RegionalNetworkArgs(
            region=region,
            cidr=VPC_CIDRS[role],
            name_tag=name,
            # RegionalBookstore declared the network before it was a component of its own.
            moved_from=pulumi.create_urn(name, "bookstore:index:RegionalBookstore"),
        ),
    )


def _regional_args(
    settings: Settings,
    network: RegionalNetwork,
    role: Literal["primary", "secondary"],
    **own: Any,
) -> RegionalBookstoreArgs:
    """What both regions take from the settings alike, plus the role's `own` arguments."""
    return RegionalBookstoreArgs(
        role=role,
        prefix=settings.name_prefix,
        domain=settings.domain,
        hosted_zone_id=settings.hosted_zone_id,
        network=network.ref,
        redis_node_type=settings.redis_node_type,
        redis_nodes=settings.redis_nodes,
        lambda_memory_mb=settings.lambda_memory_mb,
        throttle_rate_limit=settings.api_throttle_rate_limit,
        throttle_burst_limit=settings.api_throttle_burst_limit,
        log_retention_days=settings.log_retention_days,
        deletion_protection=settings.deletion_protection,
        alarm_email=settings.alarm_email,
        **own,
    )


def _blog_args(
    settings: Settings,
    network: RegionalNetwork,
    role: Literal["primary", "secondary"],
    region: str,
    **own: Any,
) -> BlogTierArgs:
    """The blog in the region's `network`, sized by the settings; the role's `own` arguments
    (database membership, credentials) on top."""
    return BlogTierArgs(
        role=role,
        region=region,
        prefix=settings.name_prefix,
        domain=settings.domain,
        hosted_zone_id=settings.hosted_zone_id,
        network=network.ref,
        instance_class=settings.aurora_instance_class,
        image=settings.blog_image,
        cpu=settings.blog_cpu,
        memory_mb=settings.blog_memory_mb,
        desired_count=settings.blog_desired_count,
        log_retention_days=settings.log_retention_days,
        deletion_protection=settings.deletion_protection,
        **own,
    )


def deploy_primary(settings: Settings) -> None:
    artifact = load_artifact(settings.artifact_dir)
    data = GlobalData(
        f"{settings.name_prefix}-data",
        GlobalDataArgs(
            prefix=settings.name_prefix,
            primary_region=settings.primary_region,
            secondary_region=settings.secondary_region,
            aurora_engine_version=settings.aurora_engine_version,
            deletion_protection=settings.deletion_protection,
        ),
    )
    network = _network(settings, "primary", settings.primary_region)
    region = RegionalBookstore(
        f"{settings.name_prefix}-primary",
        _regional_args(
            settings,
            network,
            role="primary",
            region=settings.primary_region,
            table_names=dict(data.table_names),
            orders_stream_arn=data.tables[ORDERS.logical_name].stream_arn,
            artifact=artifact,
        ),
    )
    blog = BlogTier(
        f"{settings.name_prefix}-blog-primary",
        _blog_args(
            settings,
            network,
            role="primary",
            region=settings.primary_region,
            global_cluster_id=data.global_cluster.id,
            # What RDS runs, not what was asked for (a partial version resolves to a full
            # one; a minor upgrade moves it): members must match it to join.
            engine_version=data.global_cluster.engine_version_actual,
            db_password=settings.blog_db_password,
            secret_replica_region=settings.secondary_region,
        ),
    )
    if region.cognito is None:
        raise ValueError("the primary RegionalBookstore creates the user pool; it made none")
    pool = region.cognito
    _regional_exports(region, blog, settings)
    pulumi.export("secondaryRegion", settings.secondary_region)
    pulumi.export("tableNames", data.table_names)
    pulumi.export("streamArns", data.stream_arns)
    pulumi.export(
        "siteBuckets",
        {
            bucket_region: {
                "name": bucket.bucket,
                "arn": bucket.arn,
                "domainName": bucket.bucket_regional_domain_name,
            }
            for bucket_region, bucket in data.buckets.items()
        },
    )
    pulumi.export("auroraGlobalClusterId", data.global_cluster.id)
    pulumi.export("auroraGlobalClusterArn", data.global_cluster.arn)
    pulumi.export("auroraEngineVersion", data.global_cluster.engine_version_actual)
    pulumi.export("userPoolId", pool.pool.id)
    pulumi.export("userPoolArn", pool.pool.arn)
    pulumi.export("userPoolClientId", pool.client.id)
    pulumi.export("blogDbSecretArn", blog.secret_arn)


def _region_value(values: Any, region: str, what: str, upstream: str) -> Any:
    if region not in values:
        raise ConfigError(
            f"the {upstream} stack has no {what} for {region} (only for "
            f"{', '.join(sorted(values))}): set bookstore:primaryRegion and "
            "bookstore:secondaryRegion to the regions the primary stack was deployed with"
        )
    return values[region]


def _deployed_region(
    stack: UpstreamStack, output: str, key: str, configured: str
) -> pulumi.Output[str]:
    """The region `stack` was deployed with (its `output`), refused with a clear message when
    this stack's `bookstore:<key>` says otherwise: a secondary that trusted tokens of a pool in
    another region would answer 401 to every signed-in request."""

    def check(deployed: str) -> str:
        if deployed != configured:
            raise ConfigError(
                f"the {stack.full_name} stack was deployed with {key} {deployed}, but this "
                f"stack's bookstore:{key} is {configured}: run `pulumi config set "
                f"bookstore:{key} {deployed}` (the regions must be the same in all stacks)"
            )
        return deployed

    return stack.require_output(output).apply(check)


def _after(check: pulumi.Output[str], value: pulumi.Output[Any]) -> pulumi.Output[Any]:
    """`value` once `check` passed: a resource input that carries the check, so a failed
    check fails the deployment before anything is changed with the wrong region."""
    return pulumi.Output.all(check, value).apply(lambda pair: pair[1])


def deploy_secondary(settings: Settings) -> None:
    artifact = load_artifact(settings.artifact_dir)
    primary = UpstreamStack(
        "primary", settings.stack_reference_name(settings.primary_stack), "primary"
    )
    region_name = settings.secondary_region
    # The pool's region comes from the primary stack itself; the regions of this stack's
    # config must agree with what the primary was deployed with.
    pool_region = _deployed_region(primary, "region", "primaryRegion", settings.primary_region)
    own_region = _deployed_region(
        primary, "secondaryRegion", "secondaryRegion", settings.secondary_region
    )
    stream_arns = _after(own_region, primary.require_output("streamArns")).apply(
        lambda arns: _region_value(arns, region_name, "streams", primary.full_name)
    )
    table_names = primary.require_output("tableNames")
    network = _network(settings, "secondary", region_name)
    region = RegionalBookstore(
        f"{settings.name_prefix}-secondary",
        _regional_args(
            settings,
            network,
            role="secondary",
            region=region_name,
            table_names={t.logical_name: table_names[t.logical_name] for t in TABLES},
            orders_stream_arn=stream_arns[ORDERS.logical_name],
            artifact=artifact,
            user_pool=UserPoolRef(
                region=pool_region,
                user_pool_id=primary.require_output("userPoolId"),
                client_id=primary.require_output("userPoolClientId"),
            ),
        ),
    )
    blog = BlogTier(
        f"{settings.name_prefix}-blog-secondary",
        _blog_args(
            settings,
            network,
            role="secondary",
            region=region_name,
            global_cluster_id=primary.require_output("auroraGlobalClusterId"),
            engine_version=primary.require_output("auroraEngineVersion"),
            db_secret_arn=primary.require_output("blogDbSecretArn"),
            db_endpoint=settings.blog_secondary_db_endpoint,
        ),
    )
    _regional_exports(region, blog, settings)


def _front(
    stack: UpstreamStack,
    region: str,
    role: Literal["primary", "secondary"],
    buckets: pulumi.Output[Any],
) -> RegionFront:
    bucket = buckets.apply(lambda b: _region_value(b, region, "site bucket", stack.full_name))
    deployed = _deployed_region(stack, "region", f"{role}Region", region)
    return RegionFront(
        region=region,
        role=role,
        api_host=_after(deployed, stack.require_output("apiHost")),
        api_domain_target=stack.require_output("apiDomainTarget"),
        api_domain_zone_id=stack.require_output("apiDomainZoneId"),
        api_url=stack.require_output("apiRegionalUrl"),
        blog_alb_dns_name=stack.require_output("blogAlbDnsName"),
        blog_alb_zone_id=stack.require_output("blogAlbZoneId"),
        bucket_name=bucket.apply(lambda b: b["name"]),
        bucket_domain_name=bucket.apply(lambda b: b["domainName"]),
    )


def deploy_global(settings: Settings) -> None:
    primary = UpstreamStack(
        "primary", settings.stack_reference_name(settings.primary_stack), "primary"
    )
    secondary = UpstreamStack(
        "secondary", settings.stack_reference_name(settings.secondary_stack), "secondary"
    )
    buckets = primary.require_output("siteBuckets")
    routing = FailoverRouting(
        f"{settings.name_prefix}-routing",
        FailoverRoutingArgs(
            prefix=settings.name_prefix,
            domain=settings.domain,
            hosted_zone_id=settings.hosted_zone_id,
            routing_mode=settings.routing_mode,
            primary=_front(primary, settings.primary_region, "primary", buckets),
            secondary=_front(secondary, settings.secondary_region, "secondary", buckets),
            cognito=CognitoConfig(
                region=_deployed_region(
                    primary, "region", "primaryRegion", settings.primary_region
                ),
                user_pool_id=primary.require_output("userPoolId"),
                client_id=primary.require_output("userPoolClientId"),
            ),
            web_dist=settings.web_dist,
        ),
    )
    pulumi.export("siteUrl", routing.site_url)
    pulumi.export("apiUrl", routing.api_url)
    pulumi.export("blogUrl", routing.blog_url)
    pulumi.export("healthCheckIds", {r: hc.id for r, hc in routing.health_checks.items()})
    pulumi.export("blogHealthCheckId", routing.blog_health_check.id)
    pulumi.export("rtoBudgetSeconds", routing.rto_budget_seconds)
    pulumi.export("distributionId", routing.distribution.id)
    pulumi.export("distributionDomainName", routing.distribution.domain_name)


DEPLOYERS = {"primary": deploy_primary, "secondary": deploy_secondary, "global": deploy_global}


def main() -> None:
    try:
        settings = load_settings(PROJECT_ROOT)
        DEPLOYERS[settings.role](settings)
    except (ConfigError, ArtifactError, WebBuildMissingError) as exc:
        # A RunError is reported as its message alone, without a Python traceback.
        raise pulumi.RunError(str(exc)) from None


main()
