"""FailoverRouting: the global front of the bookstore (the global stack).

Route 53 health checks on each region's deep `/health`; `api.<domain>` as latency (active-
active) or failover (active-passive) alias records guarded by those checks; `blog.<domain>`
as failover records; the site on CloudFront over an origin group of the two regional buckets;
the built web app and its runtime `config.json` (the routed API and each region's own,
`api-<region>.<domain>`, which the regional stacks declare) uploaded to the primary bucket
(replication copies them to the secondary).
"""

from __future__ import annotations

import json
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import pulumi
import pulumi_aws as aws

from components.aws_helpers import validated_certificate
from components.settings import GLOBAL_REGION

HEALTH_CHECK_INTERVAL_SECONDS = 10
HEALTH_CHECK_FAILURE_THRESHOLD = 3
HEALTH_CHECKER_REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-1")
ALIAS_TTL_SECONDS = 60
"""Alias records carry no TTL of their own; Route 53 answers them with a 60-second TTL for
API Gateway, ELB and CloudFront targets, so that is the TTL the RTO budget counts."""
ORIGIN_FAILOVER_STATUS_CODES = (500, 502, 503, 504, 403, 404)
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"
"""The fixed hosted zone of every CloudFront distribution, for alias records."""
CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6"
"""AWS managed cache policy `Managed-CachingOptimized`."""
CERTIFICATE_REGION = GLOBAL_REGION
"""CloudFront accepts certificates from us-east-1 only."""
PRIMARY_ORIGIN = "site-primary"
SECONDARY_ORIGIN = "site-secondary"
ORIGIN_GROUP = "site"
CONFIG_KEY = "config.json"
ASSETS_PREFIX = "assets/"
"""Vite's output for fingerprinted files: a name changes whenever the content does."""

# Paths without a file extension are routes of the single-page app: serve index.html.
SPA_REWRITE = """function handler(event) {
  var request = event.request;
  var last = request.uri.split('/').pop();
  if (last.indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}
"""
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".ico": "image/x-icon",
    ".webp": "image/webp",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
    ".webmanifest": "application/manifest+json",
    ".map": "application/json",
}


class WebBuildMissingError(Exception):
    """The single-page app has not been built."""


def routed_api_name(domain: str, mode: str) -> str:
    """Where the routed records of `api.<domain>` live in a routing mode. Not a region's name:
    those are `api-<region>.<domain>`, and no region is called `latency` or `failover`."""
    return f"api-{mode}.{domain}"


def rto_budget_seconds(interval: int, threshold: int, ttl: int) -> int:
    """Worst case from a region failing to clients resolving the other one."""
    return interval * threshold + ttl


@dataclass(frozen=True)
class RegionFront:
    """What the global stack needs from one regional stack."""

    region: str
    role: Literal["primary", "secondary"]
    api_host: pulumi.Input[str]
    """The regional execute-api host that health checks probe."""
    api_domain_target: pulumi.Input[str]
    api_domain_zone_id: pulumi.Input[str]
    api_url: pulumi.Input[str]
    """This region's own API endpoint (`https://api-<region>.<domain>`), which a client that
    fails over on its own calls directly."""
    blog_alb_dns_name: pulumi.Input[str]
    blog_alb_zone_id: pulumi.Input[str]
    bucket_name: pulumi.Input[str]
    bucket_domain_name: pulumi.Input[str]
    """The bucket's regional domain name (`<bucket>.s3.<region>.amazonaws.com`)."""


@dataclass(frozen=True)
class CognitoConfig:
    region: pulumi.Input[str]
    user_pool_id: pulumi.Input[str]
    client_id: pulumi.Input[str]


@dataclass(frozen=True)
class FailoverRoutingArgs:
    prefix: str
    domain: str
    hosted_zone_id: str
    routing_mode: Literal["latency", "failover"]
    primary: RegionFront
    secondary: RegionFront
    cognito: CognitoConfig
    web_dist: Path


def _content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower()) or (
        mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    )


def _cache_control(key: str) -> str:
    if key == "index.html":
        return "no-cache"
    if key.startswith(ASSETS_PREFIX):
        # Vite fingerprints everything under assets/.
        return "public, max-age=31536000, immutable"
    return "public, max-age=300"


def web_files(dist: Path) -> list[tuple[str, Path]]:
    """(key, path) of every file of the built app, sorted; the generated config.json wins
    over one in the build."""
    if not (dist / "index.html").is_file():
        raise WebBuildMissingError(
            f"the web app is not built: {dist / 'index.html'} is missing; run "
            "`npm --prefix web ci && npm --prefix web run build` (or set bookstore:webDist)"
        )
    files = [
        (path.relative_to(dist).as_posix(), path)
        for path in sorted(dist.rglob("*"))
        if path.is_file()
    ]
    return [(key, path) for key, path in files if key != CONFIG_KEY]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(config: dict[str, Any]) -> str:
    """The site's CSP for the web app's resolved `config.json`: it calls the APIs (routed and
    regional), Cognito and the blog's WordPress API, and shows the blog's images."""
    api_origins = [config["apiUrl"], *config["regionalApis"].values()]
    blog = _origin(config["blogUrl"])
    connect = [_origin(url) for url in api_origins]
    connect += [_origin(config["cognito"]["endpoint"]), blog]
    return "; ".join(
        [
            "default-src 'self'",
            f"img-src 'self' data: {blog}",
            "style-src 'self' 'unsafe-inline'",
            "script-src 'self'",
            f"connect-src 'self' {' '.join(dict.fromkeys(connect))}",
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "form-action 'self'",
        ]
    )


class FailoverRouting(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: FailoverRoutingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        files = web_files(args.web_dist)  # fail before registering anything
        super().__init__("bookstore:index:FailoverRouting", name, None, opts)
        self._name, self._args = name, args
        self._opts = pulumi.ResourceOptions(parent=self)
        self.regions = (args.primary, args.secondary)
        self.api_url = f"https://api.{args.domain}"
        self.blog_url = f"https://blog.{args.domain}"
        self.site_url = f"https://{args.domain}"

        self.web_config_values = pulumi.Output.from_input(self._web_config())
        self.health_checks = {front.region: self._health_check(front) for front in self.regions}
        self._api_records()
        self.blog_health_check = self._blog_records()
        self._distribution()
        self._upload(files)
        self.rto_budget_seconds = rto_budget_seconds(
            HEALTH_CHECK_INTERVAL_SECONDS, HEALTH_CHECK_FAILURE_THRESHOLD, ALIAS_TTL_SECONDS
        )
        self.register_outputs(
            {
                "siteUrl": self.site_url,
                "apiUrl": self.api_url,
                "blogUrl": self.blog_url,
                "healthCheckIds": {r: hc.id for r, hc in self.health_checks.items()},
                "rtoBudgetSeconds": self.rto_budget_seconds,
            }
        )

    def _health_check(self, front: RegionFront) -> aws.route53.HealthCheck:
        return aws.route53.HealthCheck(
            f"{self._name}-api-health-{front.role}",
            type="HTTPS",
            fqdn=front.api_host,
            port=443,
            resource_path="/health",
            enable_sni=True,
            request_interval=HEALTH_CHECK_INTERVAL_SECONDS,
            failure_threshold=HEALTH_CHECK_FAILURE_THRESHOLD,
            regions=list(HEALTH_CHECKER_REGIONS),
            measure_latency=True,
            tags={"Name": f"{self._args.prefix}-api-{front.region}"},
            opts=self._opts,
        )

    def _api_records(self) -> None:
        """`api.<domain>` is one simple alias to `api-<mode>.<domain>`, where the routed
        records live. Route 53 refuses records of different routing policies under one name
        and type, and Pulumi would change the two regions' records one at a time; under a name
        per mode, switching `routingMode` creates the new mode's records beside the old ones,
        repoints the alias (one record, updated in place), then deletes the old records."""
        args = self._args
        mode = args.routing_mode
        routed_name = routed_api_name(args.domain, mode)
        records = [self._routed_record(front, routed_name) for front in self.regions]
        aws.route53.Record(
            f"{self._name}-api",
            zone_id=args.hosted_zone_id,
            name=f"api.{args.domain}",
            type="A",
            aliases=[
                aws.route53.RecordAliasArgs(
                    name=routed_name,
                    zone_id=args.hosted_zone_id,
                    # Answers only with a record whose own health check passes.
                    evaluate_target_health=True,
                )
            ],
            # Route 53 refuses an alias to a name that has no records yet.
            opts=pulumi.ResourceOptions(parent=self, depends_on=records),
        )

    def _routed_record(self, front: RegionFront, routed_name: str) -> aws.route53.Record:
        args = self._args
        latency = args.routing_mode == "latency"
        return aws.route53.Record(
            f"{self._name}-api-{args.routing_mode}-{front.role}",
            zone_id=args.hosted_zone_id,
            name=routed_name,
            type="A",
            set_identifier=front.region,
            health_check_id=self.health_checks[front.region].id,
            latency_routing_policies=[
                aws.route53.RecordLatencyRoutingPolicyArgs(region=front.region)
            ]
            if latency
            else None,
            failover_routing_policies=None
            if latency
            else [aws.route53.RecordFailoverRoutingPolicyArgs(type=front.role.upper())],
            aliases=[
                aws.route53.RecordAliasArgs(
                    name=front.api_domain_target,
                    zone_id=front.api_domain_zone_id,
                    evaluate_target_health=True,
                )
            ],
            opts=self._opts,
        )

    def _blog_records(self) -> aws.route53.HealthCheck:
        args = self._args
        primary = args.primary
        health = aws.route53.HealthCheck(
            f"{self._name}-blog-health-primary",
            type="HTTPS",
            fqdn=primary.blog_alb_dns_name,
            port=443,
            resource_path="/",
            request_interval=HEALTH_CHECK_INTERVAL_SECONDS,
            failure_threshold=HEALTH_CHECK_FAILURE_THRESHOLD,
            regions=list(HEALTH_CHECKER_REGIONS),
            tags={"Name": f"{args.prefix}-blog-{primary.region}"},
            opts=self._opts,
        )
        for front in self.regions:
            aws.route53.Record(
                f"{self._name}-blog-{front.role}",
                zone_id=args.hosted_zone_id,
                name=f"blog.{args.domain}",
                type="A",
                set_identifier=front.region,
                failover_routing_policies=[
                    aws.route53.RecordFailoverRoutingPolicyArgs(type=front.role.upper())
                ],
                health_check_id=health.id if front.role == "primary" else None,
                aliases=[
                    aws.route53.RecordAliasArgs(
                        name=front.blog_alb_dns_name,
                        zone_id=front.blog_alb_zone_id,
                        evaluate_target_health=True,
                    )
                ],
                opts=self._opts,
            )
        return health

    def _distribution(self) -> None:
        args, name, opts = self._args, self._name, self._opts
        certificate_arn = validated_certificate(
            f"{name}-site",
            domain_name=args.domain,
            zone_id=args.hosted_zone_id,
            region=CERTIFICATE_REGION,
            parent=self,
        )
        oac = aws.cloudfront.OriginAccessControl(
            f"{name}-oac",
            name=f"{args.prefix}-site",
            description="Bookstore site buckets",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=opts,
        )
        # Built from the very values config.json gives the web app, so every origin the app
        # is configured to call is allowed.
        csp = self.web_config_values.apply(content_security_policy)
        headers = aws.cloudfront.ResponseHeadersPolicy(
            f"{name}-security-headers",
            name=f"{args.prefix}-security-headers",
            security_headers_config=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigArgs(
                strict_transport_security=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurityArgs(
                    access_control_max_age_sec=63072000,
                    include_subdomains=True,
                    preload=True,
                    override=True,
                ),
                content_type_options=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigContentTypeOptionsArgs(
                    override=True
                ),
                frame_options=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigFrameOptionsArgs(
                    frame_option="DENY", override=True
                ),
                referrer_policy=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigReferrerPolicyArgs(
                    referrer_policy="strict-origin-when-cross-origin", override=True
                ),
                xss_protection=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigXssProtectionArgs(
                    protection=True, mode_block=True, override=True
                ),
                content_security_policy=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigContentSecurityPolicyArgs(
                    content_security_policy=csp, override=True
                ),
            ),
            opts=opts,
        )
        spa = aws.cloudfront.Function(
            f"{name}-spa-rewrite",
            name=f"{args.prefix}-spa-rewrite",
            runtime="cloudfront-js-2.0",
            code=SPA_REWRITE,
            publish=True,
            opts=opts,
        )
        self.distribution = aws.cloudfront.Distribution(
            f"{name}-site",
            enabled=True,
            comment=f"{args.prefix} web app",
            aliases=[args.domain],
            default_root_object="index.html",
            is_ipv6_enabled=True,
            http_version="http2and3",
            # PriceClass_100 has edges in North America, Europe and Israel only: viewers near
            # the secondary region (ap-southeast-1) would be served from Europe or the US.
            # PriceClass_200 adds Asia, the Middle East and Africa; only South America and
            # Oceania are left to farther edges.
            price_class="PriceClass_200",
            origins=[
                aws.cloudfront.DistributionOriginArgs(
                    origin_id=origin_id,
                    domain_name=front.bucket_domain_name,
                    origin_access_control_id=oac.id,
                )
                for origin_id, front in (
                    (PRIMARY_ORIGIN, args.primary),
                    (SECONDARY_ORIGIN, args.secondary),
                )
            ],
            origin_groups=[
                aws.cloudfront.DistributionOriginGroupArgs(
                    origin_id=ORIGIN_GROUP,
                    failover_criteria=aws.cloudfront.DistributionOriginGroupFailoverCriteriaArgs(
                        status_codes=list(ORIGIN_FAILOVER_STATUS_CODES)
                    ),
                    members=[
                        aws.cloudfront.DistributionOriginGroupMemberArgs(origin_id=PRIMARY_ORIGIN),
                        aws.cloudfront.DistributionOriginGroupMemberArgs(
                            origin_id=SECONDARY_ORIGIN
                        ),
                    ],
                )
            ],
            default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
                target_origin_id=ORIGIN_GROUP,
                # Origin groups fail over reads only, and the site only reads.
                allowed_methods=["GET", "HEAD", "OPTIONS"],
                cached_methods=["GET", "HEAD"],
                # A viewer typing the bare domain arrives on http://: send it to https://
                # rather than refusing it.
                viewer_protocol_policy="redirect-to-https",
                compress=True,
                cache_policy_id=CACHING_OPTIMIZED_POLICY_ID,
                response_headers_policy_id=headers.id,
                function_associations=[
                    aws.cloudfront.DistributionDefaultCacheBehaviorFunctionAssociationArgs(
                        event_type="viewer-request", function_arn=spa.arn
                    )
                ],
            ),
            restrictions=aws.cloudfront.DistributionRestrictionsArgs(
                geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(
                    restriction_type="none"
                )
            ),
            viewer_certificate=aws.cloudfront.DistributionViewerCertificateArgs(
                acm_certificate_arn=certificate_arn,
                ssl_support_method="sni-only",
                minimum_protocol_version="TLSv1.2_2021",
            ),
            opts=opts,
        )
        for record_type in ("A", "AAAA"):
            aws.route53.Record(
                f"{name}-site-{record_type.lower()}",
                zone_id=args.hosted_zone_id,
                name=args.domain,
                type=record_type,
                aliases=[
                    aws.route53.RecordAliasArgs(
                        name=self.distribution.domain_name,
                        zone_id=CLOUDFRONT_ZONE_ID,
                        evaluate_target_health=False,
                    )
                ],
                opts=opts,
            )

    def _web_config(self) -> dict[str, Any]:
        """The runtime `config.json` of the web app (with outputs still in it)."""
        args = self._args
        return {
            "apiUrl": self.api_url,
            "regionalApis": {front.region: front.api_url for front in self.regions},
            "blogUrl": self.blog_url,
            "cognito": {
                "endpoint": pulumi.Output.concat(
                    "https://cognito-idp.", args.cognito.region, ".amazonaws.com"
                ),
                "region": args.cognito.region,
                "userPoolId": args.cognito.user_pool_id,
                "clientId": args.cognito.client_id,
            },
        }

    def _upload(self, files: list[tuple[str, Path]]) -> None:
        args, name, opts = self._args, self._name, self._opts
        primary = args.primary
        for key, path in files:
            aws.s3.BucketObjectv2(
                f"{name}-web-{key}",
                bucket=primary.bucket_name,
                key=key,
                source=pulumi.FileAsset(str(path)),
                content_type=_content_type(path),
                cache_control=_cache_control(key),
                region=primary.region,
                # A tab opened before a deploy still runs the previous index.html and loads
                # its hashed chunks lazily: a release's assets stay when the next release no
                # longer has them (Pulumi forgets them instead of deleting them). They are
                # small and named by content; docs/deploy.md says how to prune old ones.
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True)
                if key.startswith(ASSETS_PREFIX)
                else opts,
            )
        self.web_config = self.web_config_values.apply(json.dumps)
        aws.s3.BucketObjectv2(
            f"{name}-web-config",
            bucket=primary.bucket_name,
            key=CONFIG_KEY,
            content=self.web_config,
            content_type="application/json",
            cache_control="no-cache",
            region=primary.region,
            opts=opts,
        )
