"""A region's HTTP API: the routes of the API contract, the JWT authorizer on the primary user
pool, CORS, access logs and throttling, behind two custom domains: `api.<domain>` (routed
between the regions by the global stack) and `api-<region>.<domain>` (this region only, for
clients that fail over on their own), both on one DNS-validated certificate.

Declared as children of the `RegionalBookstore` that calls `http_api`, whose names they carry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from bookstore.http.routes import ROUTES
from components.aws_helpers import validated_certificate
from components.identity import UserPoolRef

# (method, path, needs a Cognito token), read from the handlers' own route declarations.
API_ROUTES: tuple[tuple[str, str, bool], ...] = tuple(
    (route.method, route.path, route.protected) for route in ROUTES
)

STAGE = "$default"
CORS_HEADERS = ("authorization", "content-type", "idempotency-key")
REGION_HEADER = "x-bookstore-region"
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "integrationLatency": "$context.integrationLatency",
        "authorizerError": "$context.authorizer.error",
        "integrationError": "$context.integrationErrorMessage",
    }
)


def api_domain(domain: str, region: str | None = None) -> str:
    """The API's host name: routed between the regions, or `region`'s own."""
    return f"api.{domain}" if region is None else f"api-{region}.{domain}"


@dataclass(frozen=True)
class HttpApiArgs:
    role: Literal["primary", "secondary"]
    region: str
    prefix: str
    domain: str
    hosted_zone_id: str
    user_pool: UserPoolRef
    function: aws.lambda_.Function
    """What every route invokes."""
    throttle_rate_limit: float
    throttle_burst_limit: int
    log_retention_days: int


@dataclass(frozen=True)
class HttpApi:
    api: aws.apigatewayv2.Api
    stage: aws.apigatewayv2.Stage
    domain_target: pulumi.Output[str]
    """The routed name's regional target, what the global stack's alias records point at."""
    domain_zone_id: pulumi.Output[str]
    regional_url: str
    """`https://api-<region>.<domain>`."""
    execute_api_host: pulumi.Output[str]


def http_api(name: str, args: HttpApiArgs, parent: pulumi.Resource) -> HttpApi:
    """The API invoking `args.function`, its resources named `<name>-...` under `parent`."""
    opts = pulumi.ResourceOptions(parent=parent)
    pool = args.user_pool
    api = aws.apigatewayv2.Api(
        f"{name}-api",
        name=f"{args.prefix}-{args.role}",
        protocol_type="HTTP",
        # One CORS configuration per API, answered on every domain mapped to it (the routed
        # and the regional name alike); the caller is always the site, whichever it calls.
        cors_configuration=aws.apigatewayv2.ApiCorsConfigurationArgs(
            allow_origins=[f"https://{args.domain}"],
            allow_methods=sorted({method for method, _, _ in API_ROUTES}),
            allow_headers=list(CORS_HEADERS),
            expose_headers=[REGION_HEADER],
            max_age=600,
        ),
        region=args.region,
        opts=opts,
    )
    authorizer = aws.apigatewayv2.Authorizer(
        f"{name}-jwt",
        api_id=api.id,
        authorizer_type="JWT",
        identity_sources=["$request.header.Authorization"],
        name="cognito",
        jwt_configuration=aws.apigatewayv2.AuthorizerJwtConfigurationArgs(
            issuer=pulumi.Output.concat(
                "https://cognito-idp.", pool.region, ".amazonaws.com/", pool.user_pool_id
            ),
            audiences=[pool.client_id],
        ),
        region=args.region,
        opts=opts,
    )
    integration = aws.apigatewayv2.Integration(
        f"{name}-api-lambda",
        api_id=api.id,
        integration_type="AWS_PROXY",
        integration_method="POST",
        integration_uri=args.function.invoke_arn,
        payload_format_version="2.0",
        region=args.region,
        opts=opts,
    )
    for method, path, protected in API_ROUTES:
        slug = path.strip("/").replace("/", "-").replace("{", "").replace("}", "")
        aws.apigatewayv2.Route(
            f"{name}-route-{method.lower()}-{slug}",
            api_id=api.id,
            route_key=f"{method} {path}",
            target=pulumi.Output.concat("integrations/", integration.id),
            authorization_type="JWT" if protected else "NONE",
            authorizer_id=authorizer.id if protected else None,
            region=args.region,
            opts=opts,
        )
    aws.lambda_.Permission(
        f"{name}-api-invoke",
        action="lambda:InvokeFunction",
        function=args.function.name,
        principal="apigateway.amazonaws.com",
        source_arn=pulumi.Output.concat(api.execution_arn, "/*/*"),
        region=args.region,
        opts=opts,
    )
    access_logs = aws.cloudwatch.LogGroup(
        f"{name}-api-access-logs",
        name=f"/{args.prefix}/{args.role}/api-access",
        retention_in_days=args.log_retention_days,
        region=args.region,
        opts=opts,
    )
    stage = aws.apigatewayv2.Stage(
        f"{name}-api-stage",
        api_id=api.id,
        name=STAGE,
        auto_deploy=True,
        access_log_settings=aws.apigatewayv2.StageAccessLogSettingsArgs(
            destination_arn=access_logs.arn, format=ACCESS_LOG_FORMAT
        ),
        default_route_settings=aws.apigatewayv2.StageDefaultRouteSettingsArgs(
            throttling_rate_limit=args.throttle_rate_limit,
            throttling_burst_limit=args.throttle_burst_limit,
            detailed_metrics_enabled=True,
        ),
        region=args.region,
        opts=opts,
    )
    certificate_arn = validated_certificate(
        f"{name}-api",
        domain_name=api_domain(args.domain),
        alternative_names=[api_domain(args.domain, args.region)],
        zone_id=args.hosted_zone_id,
        region=args.region,
        parent=parent,
    )
    routed = _custom_domain(
        name, "api", api_domain(args.domain), certificate_arn, api, stage, args.region, opts
    )
    # The routed name's records belong to the global stack, which weighs both regions;
    # the regional name points at this region whatever its health, so it is recorded here.
    regional = _custom_domain(
        name,
        "api-regional",
        api_domain(args.domain, args.region),
        certificate_arn,
        api,
        stage,
        args.region,
        opts,
    )
    regional_config = regional.domain_name_configuration
    aws.route53.Record(
        f"{name}-api-regional-record",
        zone_id=args.hosted_zone_id,
        name=api_domain(args.domain, args.region),
        type="A",
        aliases=[
            aws.route53.RecordAliasArgs(
                name=regional_config.target_domain_name,
                zone_id=regional_config.hosted_zone_id,
                evaluate_target_health=False,
            )
        ],
        opts=opts,
    )
    config = routed.domain_name_configuration
    return HttpApi(
        api=api,
        stage=stage,
        domain_target=config.target_domain_name,
        domain_zone_id=config.hosted_zone_id,
        regional_url=f"https://{api_domain(args.domain, args.region)}",
        # The execute-api host stays enabled: Route 53 health checks probe it directly, so a
        # region is judged on its own API and not on the record being routed.
        execute_api_host=api.api_endpoint.apply(lambda url: url.removeprefix("https://")),
    )


def _custom_domain(
    name: str,
    kind: str,
    domain: str,
    certificate_arn: pulumi.Input[str],
    api: aws.apigatewayv2.Api,
    stage: aws.apigatewayv2.Stage,
    region: str,
    opts: pulumi.ResourceOptions,
) -> aws.apigatewayv2.DomainName:
    """`domain` served by the API's `$default` stage."""
    custom = aws.apigatewayv2.DomainName(
        f"{name}-{kind}-domain",
        domain_name=domain,
        domain_name_configuration=aws.apigatewayv2.DomainNameDomainNameConfigurationArgs(
            certificate_arn=certificate_arn,
            endpoint_type="REGIONAL",
            security_policy="TLS_1_2",
        ),
        region=region,
        opts=opts,
    )
    aws.apigatewayv2.ApiMapping(
        f"{name}-{kind}-mapping",
        api_id=api.id,
        domain_name=custom.id,
        stage=stage.id,
        region=region,
        opts=opts,
    )
    return custom
