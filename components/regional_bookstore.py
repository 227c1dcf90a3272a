"""RegionalBookstore: everything one region needs to serve the API on its own.

A VPC whose private subnets reach DynamoDB through a gateway endpoint (the functions need no
NAT), a Valkey leaderboard reachable only from the functions, the API and stream functions
with one least-privilege role each, the HTTP API (JWT authorizer on the primary user pool,
the routes of the API contract, CORS, access logs, throttling) behind `api.<domain>`, and the
Orders-stream consumer. The primary region also owns the Cognito user pool and seeds the
catalog.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from bookstore.http.routes import ROUTES
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

# (method, path, needs a Cognito token), read from the handlers' own route declarations.
API_ROUTES: tuple[tuple[str, str, bool], ...] = tuple(
    (route.method, route.path, route.protected) for route in ROUTES
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
REDIS_PORT = 6379
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


@dataclass(frozen=True)
class UserPoolRef:
    """The primary region's user pool, which every region's authorizer trusts."""

    region: str
    user_pool_id: pulumi.Input[str]
    client_id: pulumi.Input[str]


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
    user_pool: UserPoolRef | None = None
    """The primary's pool; None in the primary, which creates it."""
    vpc_cidr: str = "10.10.0.0/16"
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

        self._network()
        self._redis()
        self.user_pool = self._user_pool() if args.user_pool is None else args.user_pool
        self.redis_url = pulumi.Output.concat(
            "rediss://", self.redis.primary_endpoint_address, f":{REDIS_PORT}/0"
        )
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
                "vpcId": self.vpc.id,
                "redisUrl": self.redis_url,
            }
        )

    # -- network -------------------------------------------------------------------------

    def _network(self) -> None:
        args, name, opts = self._args, self._name, self._opts
        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.vpc_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            region=args.region,
            tags={"Name": f"{args.prefix}-{args.role}"},
            opts=opts,
        )
        zones = aws.get_availability_zones_output(
            state="available", region=args.region, opts=pulumi.InvokeOutputOptions(parent=self)
        ).names
        base = args.vpc_cidr.split(".")
        private_rt = aws.ec2.RouteTable(
            f"{name}-private-rt", vpc_id=self.vpc.id, region=args.region, opts=opts
        )
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, region=args.region, opts=opts
        )
        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=self.vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
            region=args.region,
            opts=opts,
        )
        self.private_subnets: list[aws.ec2.Subnet] = []
        self.public_subnets: list[aws.ec2.Subnet] = []
        for index in range(2):
            zone = zones[index]
            for kind, offset, table, subnets in (
                ("private", 0, private_rt, self.private_subnets),
                ("public", 10, public_rt, self.public_subnets),
            ):
                subnet = aws.ec2.Subnet(
                    f"{name}-{kind}-{index}",
                    vpc_id=self.vpc.id,
                    cidr_block=f"{base[0]}.{base[1]}.{offset + index}.0/24",
                    availability_zone=zone,
                    map_public_ip_on_launch=False,
                    region=args.region,
                    opts=opts,
                )
                aws.ec2.RouteTableAssociation(
                    f"{name}-{kind}-{index}-rt",
                    subnet_id=subnet.id,
                    route_table_id=table.id,
                    region=args.region,
                    opts=opts,
                )
                subnets.append(subnet)
        self.dynamodb_endpoint = aws.ec2.VpcEndpoint(
            f"{name}-dynamodb-endpoint",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{args.region}.dynamodb",
            vpc_endpoint_type="Gateway",
            route_table_ids=[private_rt.id],
            region=args.region,
            opts=opts,
        )
        self.functions_sg = aws.ec2.SecurityGroup(
            f"{name}-functions-sg",
            vpc_id=self.vpc.id,
            description="Bookstore Lambda functions: no ingress; egress to DynamoDB and Redis",
            region=args.region,
            opts=opts,
        )
        self.redis_sg = aws.ec2.SecurityGroup(
            f"{name}-redis-sg",
            vpc_id=self.vpc.id,
            description="Leaderboard Valkey: reachable from the bookstore functions only",
            region=args.region,
            opts=opts,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-redis-from-functions",
            security_group_id=self.redis_sg.id,
            referenced_security_group_id=self.functions_sg.id,
            ip_protocol="tcp",
            from_port=REDIS_PORT,
            to_port=REDIS_PORT,
            region=args.region,
            opts=opts,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-functions-to-redis",
            security_group_id=self.functions_sg.id,
            referenced_security_group_id=self.redis_sg.id,
            ip_protocol="tcp",
            from_port=REDIS_PORT,
            to_port=REDIS_PORT,
            region=args.region,
            opts=opts,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-functions-to-dynamodb",
            security_group_id=self.functions_sg.id,
            prefix_list_id=self.dynamodb_endpoint.prefix_list_id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            region=args.region,
            opts=opts,
        )

    def _redis(self) -> None:
        args, name, opts = self._args, self._name, self._opts
        subnet_group = aws.elasticache.SubnetGroup(
            f"{name}-redis-subnets",
            subnet_ids=[s.id for s in self.private_subnets],
            description="Bookstore leaderboard",
            region=args.region,
            opts=opts,
        )
        replicated = args.redis_nodes > 1
        self.redis = aws.elasticache.ReplicationGroup(
            f"{name}-redis",
            description=f"Bookstore leaderboard ({args.role})",
            engine="valkey",
            engine_version="8.0",
            node_type=args.redis_node_type,
            num_cache_clusters=args.redis_nodes,
            automatic_failover_enabled=replicated,
            multi_az_enabled=replicated,
            port=REDIS_PORT,
            subnet_group_name=subnet_group.name,
            security_group_ids=[self.redis_sg.id],
            at_rest_encryption_enabled=True,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            region=args.region,
            opts=opts,
        )

    # -- identity ------------------------------------------------------------------------

    def _user_pool(self) -> UserPoolRef:
        args, name, opts = self._args, self._name, self._opts
        self.cognito_pool = aws.cognito.UserPool(
            f"{name}-users",
            name=f"{args.prefix}-users",
            username_attributes=["email"],
            auto_verified_attributes=["email"],
            password_policy=aws.cognito.UserPoolPasswordPolicyArgs(
                minimum_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_numbers=True,
                require_symbols=False,
                temporary_password_validity_days=3,
            ),
            account_recovery_setting=aws.cognito.UserPoolAccountRecoverySettingArgs(
                recovery_mechanisms=[
                    aws.cognito.UserPoolAccountRecoverySettingRecoveryMechanismArgs(
                        name="verified_email", priority=1
                    )
                ]
            ),
            deletion_protection="ACTIVE" if args.deletion_protection else "INACTIVE",
            region=args.region,
            opts=opts,
        )
        self.cognito_client = aws.cognito.UserPoolClient(
            f"{name}-web-client",
            name=f"{args.prefix}-web",
            user_pool_id=self.cognito_pool.id,
            generate_secret=False,
            explicit_auth_flows=[
                "ALLOW_USER_PASSWORD_AUTH",
                "ALLOW_USER_SRP_AUTH",
                "ALLOW_REFRESH_TOKEN_AUTH",
            ],
            prevent_user_existence_errors="ENABLED",
            enable_token_revocation=True,
            region=args.region,
            opts=opts,
        )
        return UserPoolRef(
            region=args.region,
            user_pool_id=self.cognito_pool.id,
            client_id=self.cognito_client.id,
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
                subnet_ids=[s.id for s in self.private_subnets],
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
        api_domain = f"api.{args.domain}"
        certificate_arn = validated_certificate(
            f"{name}-api",
            domain_name=api_domain,
            zone_id=args.hosted_zone_id,
            region=args.region,
            parent=self,
        )
        self.api_domain = aws.apigatewayv2.DomainName(
            f"{name}-api-domain",
            domain_name=api_domain,
            domain_name_configuration=aws.apigatewayv2.DomainNameDomainNameConfigurationArgs(
                certificate_arn=certificate_arn,
                endpoint_type="REGIONAL",
                security_policy="TLS_1_2",
            ),
            region=args.region,
            opts=opts,
        )
        aws.apigatewayv2.ApiMapping(
            f"{name}-api-mapping",
            api_id=self.api.id,
            domain_name=self.api_domain.id,
            stage=self.stage.id,
            region=args.region,
            opts=opts,
        )
        config = self.api_domain.domain_name_configuration
        self.api_domain_target: pulumi.Output[str] = config.target_domain_name
        self.api_domain_zone_id: pulumi.Output[str] = config.hosted_zone_id
        # The execute-api host stays enabled: Route 53 health checks probe it directly, so a
        # region is judged on its own API and not on the record being routed.
        self.api_host: pulumi.Output[str] = self.api.api_endpoint.apply(
            lambda url: url.removeprefix("https://")
        )
