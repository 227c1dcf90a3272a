"""BlogTier: WordPress on ECS Fargate behind an HTTPS ALB for `blog.<domain>`, backed by this
region's member of the Aurora MySQL global database.

In the primary the cluster is the global database's writer and the DB credentials live in a
Secrets Manager secret replicated to the secondary region. In the secondary the cluster joins
the global cluster without credentials (it inherits them) and WordPress reads the replicated
secret; until an Aurora global failover promotes it, that cluster is read-only (see
docs/deploy.md, "The blog in the secondary region").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.aws_helpers import (
    assume_role_policy,
    log_group_arn_pattern,
    policy_document,
    statement,
    validated_certificate,
)
from components.network import NetworkRef, egress, ingress, security_group

DB_USERNAME = "wordpress"
DB_NAME = "wordpress"
DB_PORT = 3306
CONTAINER_PORT = 80
ALB_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
# WordPress signs its login cookies and nonces with these. Left unset, the image makes random
# ones per container, so every task replacement, and every failover to the other region, would
# sign everyone out. They live in the replicated secret, so both regions share them.
WORDPRESS_KEYS = (
    "AUTH_KEY",
    "SECURE_AUTH_KEY",
    "LOGGED_IN_KEY",
    "NONCE_KEY",
    "AUTH_SALT",
    "SECURE_AUTH_SALT",
    "LOGGED_IN_SALT",
    "NONCE_SALT",
)
WORDPRESS_KEY_LENGTH = 64


@dataclass(frozen=True)
class BlogTierArgs:
    role: Literal["primary", "secondary"]
    region: str
    prefix: str
    domain: str
    hosted_zone_id: str
    network: NetworkRef
    """The region's network: the load balancer and tasks in its public subnets, the database
    in its private ones."""
    global_cluster_id: pulumi.Input[str]
    engine_version: pulumi.Input[str]
    instance_class: str
    image: str
    db_password: pulumi.Input[str] | None = None
    """Primary only: the master password stored in the replicated secret; made at random
    (and kept in the stack's state) when not given."""
    secret_replica_region: str | None = None
    """Primary only: where the secret is replicated (the secondary region)."""
    db_secret_arn: pulumi.Input[str] | None = None
    """Secondary only: the secret's ARN in the primary region (its replica is read here)."""
    db_endpoint: Literal["reader", "writer"] = "reader"
    """Secondary only: which endpoint WordPress uses (`writer` after an Aurora failover)."""
    cpu: int = 512
    memory_mb: int = 1024
    desired_count: int = 1
    log_retention_days: int = 30
    deletion_protection: bool = True


def replica_secret_arn(arn: str, region: str) -> str:
    """A replicated secret keeps its ARN except for the region field."""
    parts = arn.split(":")
    parts[3] = region
    return ":".join(parts)


class BlogTier(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: BlogTierArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        primary = args.role == "primary"
        if primary and args.secret_replica_region is None:
            raise ValueError("the primary blog needs secret_replica_region")
        if not primary and args.db_secret_arn is None:
            raise ValueError("the secondary blog needs the primary's db_secret_arn")
        super().__init__("bookstore:index:BlogTier", name, None, opts)
        self._name, self._args = name, args
        self._opts = pulumi.ResourceOptions(parent=self)

        self._security_groups()
        self._password = self._master_password() if primary else None
        self.secret_arn = (
            self._secret()
            if primary
            else pulumi.Output.from_input(args.db_secret_arn).apply(
                lambda arn: replica_secret_arn(str(arn), args.region)
            )
        )
        self._database()
        self._load_balancer()
        self._service()
        self.register_outputs(
            {
                "albDnsName": self.alb.dns_name,
                "clusterArn": self.cluster.arn,
                "secretArn": self.secret_arn,
            }
        )

    def _security_groups(self) -> None:
        args, name, opts = self._args, self._name, self._opts
        region, network = args.region, args.network

        def group(kind: str, description: str) -> aws.ec2.SecurityGroup:
            return security_group(
                f"{name}-{kind}-sg", network, description, region=region, opts=opts
            )

        self.alb_sg = group("alb", "Blog ALB: HTTPS from anywhere")
        self.task_sg = group("tasks", "WordPress tasks: HTTP from the ALB only")
        self.db_sg = group("db", "Blog Aurora cluster: MySQL from the WordPress tasks only")
        ingress(
            f"{name}-alb-https", self.alb_sg, 443, from_cidr="0.0.0.0/0", region=region, opts=opts
        )
        # Plain HTTP reaches the ALB only to be redirected to HTTPS (the :80 listener).
        ingress(
            f"{name}-alb-http", self.alb_sg, 80, from_cidr="0.0.0.0/0", region=region, opts=opts
        )
        ingress(
            f"{name}-tasks-from-alb",
            self.task_sg,
            CONTAINER_PORT,
            from_group=self.alb_sg,
            region=region,
            opts=opts,
        )
        ingress(
            f"{name}-db-from-tasks",
            self.db_sg,
            DB_PORT,
            from_group=self.task_sg,
            region=region,
            opts=opts,
        )
        egress(
            f"{name}-alb-to-tasks",
            self.alb_sg,
            CONTAINER_PORT,
            to_group=self.task_sg,
            region=region,
            opts=opts,
        )
        # Tasks pull the image from Docker Hub and reach Secrets Manager and CloudWatch over
        # the internet (public IP, no NAT); nothing can connect to them but the ALB.
        egress(
            f"{name}-tasks-egress",
            self.task_sg,
            None,
            to_cidr="0.0.0.0/0",
            region=region,
            opts=opts,
        )

    def _master_password(self) -> pulumi.Output[str]:
        """The configured password, or one made once and kept (encrypted) in the state.
        Aurora global databases cannot use RDS-managed master passwords."""
        if self._args.db_password is not None:
            return pulumi.Output.secret(self._args.db_password)
        return random.RandomPassword(
            f"{self._name}-db-password",
            length=32,
            # Aurora refuses '/', '"', '@' and spaces in a master password.
            override_special="!#$%&*()-_=+[]{}<>:?",
            opts=self._opts,
        ).result

    def _secret(self) -> pulumi.Output[str]:
        args, name, opts = self._args, self._name, self._opts
        secret = aws.secretsmanager.Secret(
            f"{name}-db-credentials",
            name=f"{args.prefix}/blog/db-credentials",
            description="WordPress database credentials (Aurora global database master user)",
            replicas=[aws.secretsmanager.SecretReplicaArgs(region=str(args.secret_replica_region))],
            recovery_window_in_days=7,
            region=args.region,
            opts=opts,
        )
        # Made once and kept in the stack's state (encrypted), not per deployment.
        keys = {
            key.lower(): random.RandomPassword(
                f"{name}-wp-{key.lower().replace('_', '-')}",
                length=WORDPRESS_KEY_LENGTH,
                special=False,
                opts=opts,
            ).result
            for key in WORDPRESS_KEYS
        }
        aws.secretsmanager.SecretVersion(
            f"{name}-db-credentials-value",
            secret_id=secret.id,
            secret_string=pulumi.Output.json_dumps(
                {"username": DB_USERNAME, "password": self._password, **keys}
            ),
            region=args.region,
            opts=opts,
        )
        return secret.arn

    def _final_snapshot_name(self) -> pulumi.Output[str]:
        """Unique per deployment: a fixed name would make the destroy of the next deployment
        with the same prefix fail (SnapshotAlreadyExists), the first one's snapshot being
        kept. The suffix is made once and kept in the state, so updates leave it alone."""
        suffix = random.RandomId(
            f"{self._name}-final-snapshot-suffix", byte_length=4, opts=self._opts
        )
        return pulumi.Output.concat(
            f"{self._args.prefix}-blog-{self._args.role}-final-", suffix.hex
        )

    def _database(self) -> None:
        args, name, opts = self._args, self._name, self._opts
        subnet_group = aws.rds.SubnetGroup(
            f"{name}-db-subnets",
            subnet_ids=list(args.network.private_subnet_ids),
            region=args.region,
            opts=opts,
        )
        primary = args.role == "primary"
        # An encrypted cross-region member needs a key in its own region: the account's
        # AWS-managed RDS key there.
        rds_key = (
            None
            if primary
            else aws.kms.get_alias_output(
                name="alias/aws/rds",
                region=args.region,
                opts=pulumi.InvokeOutputOptions(parent=self),
            ).target_key_arn
        )
        self.cluster = aws.rds.Cluster(
            f"{name}-db",
            engine="aurora-mysql",
            engine_version=args.engine_version,
            global_cluster_identifier=args.global_cluster_id,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[self.db_sg.id],
            storage_encrypted=True,
            kms_key_id=rds_key,
            deletion_protection=args.deletion_protection,
            backup_retention_period=7,
            copy_tags_to_snapshot=True,
            # A secondary member inherits the credentials and the database from the writer.
            master_username=DB_USERNAME if primary else None,
            master_password=self._password,
            database_name=DB_NAME if primary else None,
            final_snapshot_identifier=self._final_snapshot_name() if primary else None,
            skip_final_snapshot=not primary,
            region=args.region,
            opts=pulumi.ResourceOptions(
                parent=self,
                # A version upgrade is made on the global cluster, which upgrades its members;
                # setting it here as well fails the plan (pulumi-aws GlobalCluster docs).
                # Joining a global database sets the replication source and a failover
                # changes it; neither is this program's to undo.
                ignore_changes=["engine_version"]
                if primary
                else [
                    "engine_version",
                    "replication_source_identifier",
                    "global_cluster_identifier",
                ],
            ),
        )
        self.instance = aws.rds.ClusterInstance(
            f"{name}-db-1",
            cluster_identifier=self.cluster.id,
            engine=aws.rds.EngineType.AURORA_MYSQL,
            # No engine_version: an instance runs its cluster's, which the global cluster sets.
            instance_class=args.instance_class,
            db_subnet_group_name=subnet_group.name,
            publicly_accessible=False,
            region=args.region,
            opts=opts,
        )
        use_reader = args.role == "secondary" and args.db_endpoint == "reader"
        self.db_host: pulumi.Output[str] = (
            self.cluster.reader_endpoint if use_reader else self.cluster.endpoint
        )

    def _load_balancer(self) -> None:
        args, name, opts = self._args, self._name, self._opts
        # Auto-named (logical name + 8 random characters, so a replacement can be created
        # before the old one goes), and AWS allows these two names 32 characters: the logical
        # names are kept short for it (components/settings.py caps namePrefix to match).
        short = f"{args.prefix}-blog-{args.role[0]}"
        self.alb = aws.lb.LoadBalancer(
            f"{short}-alb",
            load_balancer_type="application",
            internal=False,
            subnets=list(args.network.public_subnet_ids),
            security_groups=[self.alb_sg.id],
            drop_invalid_header_fields=True,
            region=args.region,
            opts=opts,
        )
        self.target_group = aws.lb.TargetGroup(
            f"{short}-tg",
            port=CONTAINER_PORT,
            protocol="HTTP",
            target_type="ip",
            vpc_id=args.network.vpc_id,
            deregistration_delay=30,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                # WordPress answers / with a redirect until it is installed.
                path="/",
                matcher="200-399",
                interval=15,
                healthy_threshold=2,
                unhealthy_threshold=3,
            ),
            region=args.region,
            opts=opts,
        )
        certificate_arn = validated_certificate(
            f"{name}-blog",
            domain_name=f"blog.{args.domain}",
            zone_id=args.hosted_zone_id,
            region=args.region,
            parent=self,
        )
        self.listener = aws.lb.Listener(
            f"{name}-https",
            load_balancer_arn=self.alb.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=ALB_SSL_POLICY,
            certificate_arn=certificate_arn,
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="forward", target_group_arn=self.target_group.arn
                )
            ],
            region=args.region,
            opts=opts,
        )
        self.http_listener = aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=self.alb.arn,
            port=80,
            protocol="HTTP",
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="redirect",
                    redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                        protocol="HTTPS", port="443", status_code="HTTP_301"
                    ),
                )
            ],
            region=args.region,
            opts=opts,
        )

    def _service(self) -> None:
        args, name, opts = self._args, self._name, self._opts
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/{args.prefix}/{args.role}/blog",
            retention_in_days=args.log_retention_days,
            region=args.region,
            opts=opts,
        )
        execution_role = aws.iam.Role(
            f"{name}-execution-role",
            assume_role_policy=assume_role_policy("ecs-tasks.amazonaws.com"),
            opts=opts,
        )
        aws.iam.RolePolicy(
            f"{name}-execution-policy",
            role=execution_role.id,
            policy=policy_document(
                [
                    statement(
                        ["logs:CreateLogStream", "logs:PutLogEvents"],
                        [log_group_arn_pattern(log_group)],
                    ),
                    statement(["secretsmanager:GetSecretValue"], [self.secret_arn]),
                ]
            ),
            opts=opts,
        )
        site = f"https://blog.{args.domain}"
        config_extra = (
            f"define('WP_HOME', '{site}'); define('WP_SITEURL', '{site}'); "
            "if (($_SERVER['HTTP_X_FORWARDED_PROTO'] ?? '') === 'https') "
            "{ $_SERVER['HTTPS'] = 'on'; }"
        )
        containers = pulumi.Output.all(
            host=self.db_host, secret=self.secret_arn, logs=log_group.name
        ).apply(
            lambda v: json.dumps(
                [
                    {
                        "name": "wordpress",
                        "image": args.image,
                        "essential": True,
                        "portMappings": [{"containerPort": CONTAINER_PORT, "protocol": "tcp"}],
                        "environment": [
                            {"name": "WORDPRESS_DB_HOST", "value": f"{v['host']}:{DB_PORT}"},
                            {"name": "WORDPRESS_DB_NAME", "value": DB_NAME},
                            {"name": "WORDPRESS_CONFIG_EXTRA", "value": config_extra},
                        ],
                        "secrets": [
                            {
                                "name": "WORDPRESS_DB_USER",
                                "valueFrom": f"{v['secret']}:username::",
                            },
                            {
                                "name": "WORDPRESS_DB_PASSWORD",
                                "valueFrom": f"{v['secret']}:password::",
                            },
                            *(
                                {
                                    "name": f"WORDPRESS_{key}",
                                    "valueFrom": f"{v['secret']}:{key.lower()}::",
                                }
                                for key in WORDPRESS_KEYS
                            ),
                        ],
                        "logConfiguration": {
                            "logDriver": "awslogs",
                            "options": {
                                "awslogs-group": v["logs"],
                                "awslogs-region": args.region,
                                "awslogs-stream-prefix": "wordpress",
                            },
                        },
                    }
                ]
            )
        )
        cluster = aws.ecs.Cluster(f"{name}-cluster", region=args.region, opts=opts)
        task = aws.ecs.TaskDefinition(
            f"{name}-task",
            family=f"{args.prefix}-blog-{args.role}",
            cpu=str(args.cpu),
            memory=str(args.memory_mb),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
                cpu_architecture="ARM64", operating_system_family="LINUX"
            ),
            execution_role_arn=execution_role.arn,
            container_definitions=containers,
            region=args.region,
            opts=opts,
        )
        self.service = aws.ecs.Service(
            f"{name}-service",
            cluster=cluster.arn,
            task_definition=task.arn,
            desired_count=args.desired_count,
            launch_type="FARGATE",
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=list(args.network.public_subnet_ids),
                security_groups=[self.task_sg.id],
                assign_public_ip=True,
            ),
            load_balancers=[
                aws.ecs.ServiceLoadBalancerArgs(
                    target_group_arn=self.target_group.arn,
                    container_name="wordpress",
                    container_port=CONTAINER_PORT,
                )
            ],
            health_check_grace_period_seconds=120,
            # A task that never turns healthy (a bad image, no database) stops the rollout and
            # puts the last working task definition back, and `pulumi up` waits for the
            # service to be steady, so such a deployment fails instead of reporting success.
            deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(
                enable=True, rollback=True
            ),
            wait_for_steady_state=True,
            region=args.region,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.listener, self.instance]),
        )
