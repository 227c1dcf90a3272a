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
)

# API_ROUTES is re-exported for the code that read the route list from here.
from components.failover_routing import (
    HEALTH_CHECK_FAILURE_THRESHOLD,
    HEALTH_CHECK_INTERVAL_SECONDS,
)
from components.http_api import API_ROUTES as API_ROUTES
from components.http_api import STAGE, HttpApiArgs, http_api
from components.identity import UserPool, UserPoolRef, user_pool
from components.leaderboard_cache import REDIS_PORT, leaderboard_cache
from components.network import NetworkRef, egress, ingress, security_group

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
LAMBDA_RUNTIME = "python3.12"


# Each Route 53 checker's `threshold` failures span (threshold - 1) intervals.
FAILBACK_AWAY_SECONDS = (HEALTH_CHECK_FAILURE_THRESHOLD - 1) * HEALTH_CHECK_INTERVAL_SECONDS


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
        self.cache = leaderboard_cache(
            name,
            role=args.role,
            region=args.region,
            node_type=args.redis_node_type,
            nodes=args.redis_nodes,
            subnet_ids=args.network.private_subnet_ids,
            security_group=self.redis_sg,
            opts=self._opts,
        )
        self.redis = self.cache.group
        self.redis_url = self.cache.url
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
            # A region whose health checks stopped for longer than Route 53 needs to fail it
            # over was away: it takes traffic again only once it has caught up (failback gate).
            "FAILBACK_AWAY_SECONDS": str(FAILBACK_AWAY_SECONDS),
        }
        self.api_function = self._function(
            "api",
            handler="api.handler",
            timeout=10,
            statements=self._table_statements(API_TABLE_ACTIONS, API_INDEX_ACTIONS),
            in_vpc=True,
        )
        self._stream_consumer()
        self.http = http_api(
            name,
            HttpApiArgs(
                role=args.role,
                region=args.region,
                prefix=args.prefix,
                domain=args.domain,
                hosted_zone_id=args.hosted_zone_id,
                user_pool=self.user_pool,
                function=self.api_function,
                throttle_rate_limit=args.throttle_rate_limit,
                throttle_burst_limit=args.throttle_burst_limit,
                log_retention_days=args.log_retention_days,
            ),
            parent=self,
        )
        self.api = self.http.api
        self.api_domain_target = self.http.domain_target
        self.api_domain_zone_id = self.http.domain_zone_id
        self.api_regional_url = self.http.regional_url
        self.api_host = self.http.execute_api_host
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
