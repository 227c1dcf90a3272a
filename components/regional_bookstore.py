"""RegionalBookstore: everything one region needs to serve the API on its own.

Placed in the region's `RegionalNetwork`: a Valkey leaderboard reachable only from the
functions, the API and stream functions with one least-privilege role each, the HTTP API (JWT
authorizer on the primary user pool, the routes of the API contract, CORS, access logs,
throttling) behind two custom domains, `api.<domain>` (routed between the regions by the
global stack) and `api-<region>.<domain>` (this region only, for clients that fail over on
their own), and the Orders-stream consumer. The primary region also owns the Cognito user
pool and seeds the catalog. The cache and the pool are declared by `components.leaderboard_cache`
and `components.identity`, as children of this component.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from bookstore.settings import table_env_var
from bookstore.stream_config import ORDERS_STREAM_CONSUMER
from bookstore.tables import BOOKS, CART, ORDERS, TABLES, TableDefinition
from components.alarms import AlarmTargets, RegionAlarms
from components.artifacts import LambdaArtifact
from components.aws_helpers import (
    UNSCOPED_ACTIONS,
    assume_role_policy,
    dynamodb_table_arn,
    log_group_arn_pattern,
    policy_document,
    statement,
    validated_certificate,
)
from components.identity import UserPool, UserPoolRef, user_pool
from components.leaderboard_cache import REDIS_PORT, leaderboard_cache, redis_url
from components.network import NetworkRef, egress, ingress, security_group

# The API contract (design section 3): (method, path, needs a Cognito token).
API_ROUTES: tuple[tuple[str, str, bool], ...] = (
    ("GET", "/health", False),
    ("GET", "/books", False),
    ("GET", "/books/{bookId}", False),
    ("GET", "/categories", False),
    ("GET", "/bestsellers", False),
    ("GET", "/cart", True),
    ("PUT", "/cart/{bookId}", True),
    ("DELETE", "/cart/{bookId}", True),
    ("POST", "/orders", True),
    ("GET", "/orders", True),
    ("GET", "/orders/{orderId}", True),
)

# What each function may do to each table, matching the calls in `functions/bookstore/data`
# (checkout is one TransactWriteItems: a conditional Put on Orders and Deletes on Cart, which
# IAM authorises as PutItem and DeleteItem). The stream function reads only its stream.
API_TABLE_ACTIONS: dict[TableDefinition, tuple[str, ...]] = {
    BOOKS: ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Scan"),
    CART: ("dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem"),
    # Scan: the best-seller board is rebuilt from Orders when the cache was lost. A
    # customer's orders are listed through the byCreatedAt index (below), not the table.
    ORDERS: ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan"),
}
API_INDEX_ACTIONS: dict[TableDefinition, tuple[str, ...]] = {
    BOOKS: ("dynamodb:Query",),
    ORDERS: ("dynamodb:Query",),
}
SEED_TABLE_ACTIONS: dict[TableDefinition, tuple[str, ...]] = {
    BOOKS: ("dynamodb:BatchWriteItem", "dynamodb:PutItem"),
}
STREAM_READ_ACTIONS = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
)
STAGE = "$default"
CORS_HEADERS = ("authorization", "content-type", "idempotency-key")
REGION_HEADER = "x-bookstore-region"
LAMBDA_RUNTIME = "python3.12"
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
class RegionalBookstoreArgs:
    role: Literal["primary", "secondary"]
    region: str
    prefix: str
    domain: str
    hosted_zone_id: str
    table_names: dict[str, pulumi.Input[str]]
    """Physical table names by logical name (global tables: the same in every region)."""
    orders_stream_arn: pulumi.Input[str]
    """This region's Orders stream (the replica's stream in the secondary)."""
    artifact: LambdaArtifact
    network: NetworkRef
    """The region's network: the functions and Valkey run in its private subnets."""
    user_pool: UserPoolRef | None = None
    """The primary's pool; None in the primary, which creates it."""
    redis_node_type: str = "cache.t4g.micro"
    redis_nodes: int = 1
    lambda_memory_mb: int = 512
    throttle_rate_limit: float = 100.0
    throttle_burst_limit: int = 200
    log_retention_days: int = 30
    deletion_protection: bool = True
    alarm_email: str | None = None
    """Subscribed to the region's alarm topic when given."""


class RegionalBookstore(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: RegionalBookstoreArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if (args.role == "primary") != (args.user_pool is None):
            raise ValueError("the primary creates the user pool; the secondary must be given it")
        super().__init__("bookstore:index:RegionalBookstore", name, None, opts)
        self._name = name
        self._args = args
        self._opts = pulumi.ResourceOptions(parent=self)
        self._account = aws.get_caller_identity_output(
            opts=pulumi.InvokeOutputOptions(parent=self)
        ).account_id

        self._security_groups()
        self.redis = leaderboard_cache(
            name,
            role=args.role,
            region=args.region,
            node_type=args.redis_node_type,
            nodes=args.redis_nodes,
            subnet_ids=args.network.private_subnet_ids,
            security_group=self.redis_sg,
            opts=self._opts,
        )
        self.redis_url = redis_url(self.redis)
        self.cognito: UserPool | None = None
        if args.user_pool is None:
            self.cognito = user_pool(
                name,
                prefix=args.prefix,
                region=args.region,
                deletion_protection=args.deletion_protection,
                opts=self._opts,
            )
            self.user_pool = self.cognito.ref
        else:
            self.user_pool = args.user_pool
        self.environment: dict[str, pulumi.Input[str]] = {
            "BOOKSTORE_REGION": args.region,
            **{table_env_var(t): args.table_names[t.logical_name] for t in TABLES},
            "REDIS_URL": self.redis_url,
            "SITE_ORIGIN": f"https://{args.domain}",
            "POWERTOOLS_SERVICE_NAME": "bookstore",
            "POWERTOOLS_LOG_LEVEL": "INFO",
        }
        self.api_function = self._function(
            "api",
            handler="api.handler",
            timeout=10,
            statements=self._table_statements(API_TABLE_ACTIONS, API_INDEX_ACTIONS),
            in_vpc=True,
        )
        self._stream_consumer()
        self._http_api()
        if args.role == "primary":
            self._seed()
        self.alarms = RegionAlarms(
            AlarmTargets(
                region=args.region,
                label=name,
                api_id=self.api.id,
                stage=STAGE,
                stream_function_name=self.stream_function.name,
                stream_failure_queue_name=self.stream_dlq.name,
                email=args.alarm_email,
            ),
            self._opts,
        )

        self.register_outputs(
            {
                "apiEndpoint": self.api.api_endpoint,
                "apiDomainTarget": self.api_domain_target,
                "apiRegionalUrl": self.api_regional_url,
                "redisUrl": self.redis_url,
            }
        )

    # -- network -------------------------------------------------------------------------

    def _security_groups(self) -> None:
        args, name, opts = self._args, self._name, self._opts
        region, network = args.region, args.network
        self.functions_sg = security_group(
            f"{name}-functions-sg",
            network,
            "Bookstore Lambda functions: no ingress; egress to DynamoDB and Redis",
            region=region,
            opts=opts,
        )
        self.redis_sg = security_group(
            f"{name}-redis-sg",
            network,
            "Leaderboard Valkey: reachable from the bookstore functions only",
            region=region,
            opts=opts,
        )
        ingress(
            f"{name}-redis-from-functions",
            self.redis_sg,
            REDIS_PORT,
            from_group=self.functions_sg,
            region=region,
            opts=opts,
        )
        egress(
            f"{name}-functions-to-redis",
            self.functions_sg,
            REDIS_PORT,
            to_group=self.redis_sg,
            region=region,
            opts=opts,
        )
        egress(
            f"{name}-functions-to-dynamodb",
            self.functions_sg,
            443,
            to_prefix_list=network.dynamodb_prefix_list_id,
            region=region,
            opts=opts,
        )

    # -- functions -----------------------------------------------------------------------

    def _table_arn(self, table: TableDefinition) -> pulumi.Output[str]:
        return dynamodb_table_arn(
            self._args.region, self._account, self._args.table_names[table.logical_name]
        )

    def _table_statements(
        self,
        grants: dict[TableDefinition, tuple[str, ...]],
        index_grants: dict[TableDefinition, tuple[str, ...]] | None = None,
    ) -> list[dict[str, object]]:
        result = [statement(actions, [self._table_arn(t)]) for t, actions in grants.items()]
        for table, actions in (index_grants or {}).items():
            indexes = [
                pulumi.Output.concat(self._table_arn(table), "/index/", index)
                for index in table.index_names()
            ]
            result.append(statement(actions, indexes))
        return result

    def _function(
        self,
        function: str,
        *,
        handler: str,
        timeout: int,
        statements: list[dict[str, object]],
        in_vpc: bool,
    ) -> aws.lambda_.Function:
        args, name, opts = self._args, self._name, self._opts
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-{function}-logs",
            name=f"/{args.prefix}/{args.role}/{function}",
            retention_in_days=args.log_retention_days,
            region=args.region,
            opts=opts,
        )
        role = aws.iam.Role(
            f"{name}-{function}-role",
            assume_role_policy=assume_role_policy("lambda.amazonaws.com"),
            opts=opts,
        )
        logs = statement(
            ["logs:CreateLogStream", "logs:PutLogEvents"], [log_group_arn_pattern(log_group)]
        )
        network = [statement(sorted(UNSCOPED_ACTIONS), ["*"])] if in_vpc else []
        policy = aws.iam.RolePolicy(
            f"{name}-{function}-policy",
            role=role.id,
            policy=policy_document([logs, *network, *statements]),
            opts=opts,
        )
        return aws.lambda_.Function(
            f"{name}-{function}",
            role=role.arn,
            runtime=LAMBDA_RUNTIME,
            architectures=["arm64"],
            handler=handler,
            code=pulumi.FileArchive(str(args.artifact.path)),
            source_code_hash=args.artifact.source_code_hash,
            memory_size=args.lambda_memory_mb,
            timeout=timeout,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=self.environment),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON", log_group=log_group.name
            ),
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=list(args.network.private_subnet_ids),
                security_group_ids=[self.functions_sg.id],
            )
            if in_vpc
            else None,
            region=args.region,
            # The role's policy must exist before the function first runs.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )

    def _stream_consumer(self) -> None:
        args, name, opts = self._args, self._name, self._opts
        consumer = ORDERS_STREAM_CONSUMER
        self.stream_dlq = aws.sqs.Queue(
            f"{name}-orders-stream-failures",
            message_retention_seconds=14 * 24 * 3600,
            sqs_managed_sse_enabled=True,
            region=args.region,
            opts=opts,
        )
        self.stream_function = self._function(
            "stream",
            handler="stream.handler",
            timeout=60,
            statements=[
                statement(STREAM_READ_ACTIONS, [args.orders_stream_arn]),
                # Lambda reports a batch it gave up on (older than the consumer's maximum
                # record age) to the queue with the function's own role: the shard and the
                # sequence numbers, to read the records from the stream before it trims them.
                statement(["sqs:SendMessage"], [self.stream_dlq.arn]),
            ],
            in_vpc=True,
        )
        self.stream_mapping = aws.lambda_.EventSourceMapping(
            f"{name}-orders-stream",
            event_source_arn=args.orders_stream_arn,
            function_name=self.stream_function.arn,
            starting_position=consumer.starting_position,
            batch_size=consumer.batch_size,
            maximum_batching_window_in_seconds=consumer.maximum_batching_window_seconds,
            maximum_retry_attempts=consumer.maximum_retry_attempts,
            maximum_record_age_in_seconds=consumer.maximum_record_age_seconds,
            bisect_batch_on_function_error=consumer.bisect_batch_on_function_error,
            function_response_types=["ReportBatchItemFailures"],
            destination_config=aws.lambda_.EventSourceMappingDestinationConfigArgs(
                on_failure=aws.lambda_.EventSourceMappingDestinationConfigOnFailureArgs(
                    destination_arn=self.stream_dlq.arn
                )
            ),
            region=args.region,
            opts=opts,
        )

    def _seed(self) -> None:
        args, name, opts = self._args, self._name, self._opts
        # Outside the VPC: the seed only writes Books, over DynamoDB's public endpoint.
        self.seed_function = self._function(
            "seed",
            handler="seed.handler",
            timeout=120,
            statements=self._table_statements(SEED_TABLE_ACTIONS),
            in_vpc=False,
        )
        # Runs on the first deploy and again whenever the bundle (and so the shipped
        # catalog) changes; the seed is idempotent.
        self.seed = aws.lambda_.Invocation(
            f"{name}-seed-catalog",
            function_name=self.seed_function.name,
            input=json.dumps({}),
            triggers={"bundle": args.artifact.sha256},
            region=args.region,
            opts=opts,
        )

    # -- HTTP API ------------------------------------------------------------------------

    def _http_api(self) -> None:
        args, name, opts = self._args, self._name, self._opts
        pool = self.user_pool
        self.api = aws.apigatewayv2.Api(
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
            api_id=self.api.id,
            authorizer_type="JWT",
            identity_sources=["$request.header.Authorization"],
            name="cognito",
            jwt_configuration=aws.apigatewayv2.AuthorizerJwtConfigurationArgs(
                issuer=pulumi.Output.concat(
                    f"https://cognito-idp.{pool.region}.amazonaws.com/", pool.user_pool_id
                ),
                audiences=[pool.client_id],
            ),
            region=args.region,
            opts=opts,
        )
        integration = aws.apigatewayv2.Integration(
            f"{name}-api-lambda",
            api_id=self.api.id,
            integration_type="AWS_PROXY",
            integration_method="POST",
            integration_uri=self.api_function.invoke_arn,
            payload_format_version="2.0",
            region=args.region,
            opts=opts,
        )
        for method, path, protected in API_ROUTES:
            slug = path.strip("/").replace("/", "-").replace("{", "").replace("}", "")
            aws.apigatewayv2.Route(
                f"{name}-route-{method.lower()}-{slug}",
                api_id=self.api.id,
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
            function=self.api_function.name,
            principal="apigateway.amazonaws.com",
            source_arn=pulumi.Output.concat(self.api.execution_arn, "/*/*"),
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
        self.stage = aws.apigatewayv2.Stage(
            f"{name}-api-stage",
            api_id=self.api.id,
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
        self.api_regional_url = f"https://{api_domain(args.domain, args.region)}"
        certificate_arn = validated_certificate(
            f"{name}-api",
            domain_name=api_domain(args.domain),
            alternative_names=[api_domain(args.domain, args.region)],
            zone_id=args.hosted_zone_id,
            region=args.region,
            parent=self,
        )
        self.api_domain = self._custom_domain("api", api_domain(args.domain), certificate_arn)
        config = self.api_domain.domain_name_configuration
        self.api_domain_target: pulumi.Output[str] = config.target_domain_name
        self.api_domain_zone_id: pulumi.Output[str] = config.hosted_zone_id
        # The routed name's records belong to the global stack, which weighs both regions;
        # the regional name points at this region whatever its health, so it is recorded here.
        regional = self._custom_domain(
            "api-regional", api_domain(args.domain, args.region), certificate_arn
        )
        regional_config = regional.domain_name_configuration
        self.api_regional_record = aws.route53.Record(
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
        # The execute-api host stays enabled: Route 53 health checks probe it directly, so a
        # region is judged on its own API and not on the record being routed.
        self.api_host: pulumi.Output[str] = self.api.api_endpoint.apply(
            lambda url: url.removeprefix("https://")
        )

    def _custom_domain(
        self, kind: str, domain: str, certificate_arn: pulumi.Input[str]
    ) -> aws.apigatewayv2.DomainName:
        """`domain` served by this region's API (its `$default` stage)."""
        args, name, opts = self._args, self._name, self._opts
        custom = aws.apigatewayv2.DomainName(
            f"{name}-{kind}-domain",
            domain_name=domain,
            domain_name_configuration=aws.apigatewayv2.DomainNameDomainNameConfigurationArgs(
                certificate_arn=certificate_arn,
                endpoint_type="REGIONAL",
                security_policy="TLS_1_2",
            ),
            region=args.region,
            opts=opts,
        )
        aws.apigatewayv2.ApiMapping(
            f"{name}-{kind}-mapping",
            api_id=self.api.id,
            domain_name=custom.id,
            stage=self.stage.id,
            region=args.region,
            opts=opts,
        )
        return custom
