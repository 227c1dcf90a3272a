"""BlogTier alone: WordPress on Fargate behind an HTTPS ALB, the Aurora member clusters, the
replicated credentials."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from components.blog_tier import WORDPRESS_KEYS, BlogTier, BlogTierArgs, replica_secret_arn
from components.network import NetworkRef
from tests.infra import harness

IMAGE = "wordpress:6.8.1-php8.3-apache"
NETWORK = NetworkRef(
    vpc_id="vpc-1",
    public_subnet_ids=["subnet-pub-a", "subnet-pub-b"],
    private_subnet_ids=["subnet-priv-a", "subnet-priv-b"],
    dynamodb_prefix_list_id="pl-dynamodb",
)
PRIMARY_SECRET = (
    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/blog/db-credentials-AbCdEf"
)


def _args(role: str, **changes: Any) -> BlogTierArgs:
    """The blog's arguments in `role` as the program passes them; `changes` on top."""
    primary = role == "primary"
    args = BlogTierArgs(
        role=role,  # type: ignore[arg-type]
        region="eu-west-1" if primary else "ap-southeast-1",
        prefix="shop",
        domain="books.example.com",
        hosted_zone_id="Z0123",
        network=NETWORK,
        global_cluster_id="shop-blog",
        engine_version="8.0.mysql_aurora.3.08.2",
        instance_class="db.r6g.large",
        image=IMAGE,
        db_password="s3cret-password" if primary else None,
        secret_replica_region="ap-southeast-1" if primary else None,
        db_secret_arn=None if primary else PRIMARY_SECRET,
    )
    return dataclasses.replace(args, **changes)


def _run(role: str, name: str = "blog", **changes: Any) -> harness.Run:
    return harness.run(lambda: BlogTier(name, _args(role, **changes)))


@pytest.fixture(scope="module")
def primary() -> harness.Run:
    return _run("primary")


@pytest.fixture(scope="module")
def secondary() -> harness.Run:
    return _run("secondary")


def _container(run: harness.Run) -> dict[str, object]:
    task = run.one("aws:ecs/taskDefinition:TaskDefinition").inputs
    (container,) = json.loads(task["containerDefinitions"])
    return dict(container)


def test_wordpress_on_fargate_with_pinned_image(primary: harness.Run) -> None:
    task = primary.one("aws:ecs/taskDefinition:TaskDefinition").inputs
    assert task["requiresCompatibilities"] == ["FARGATE"]
    assert task["networkMode"] == "awsvpc"
    assert task["runtimePlatform"] == {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}
    container = _container(primary)
    assert container["image"] == IMAGE
    assert ":" in IMAGE
    assert not IMAGE.endswith(":latest")
    service = primary.one("aws:ecs/service:Service").inputs
    assert service["launchType"] == "FARGATE"
    assert service["networkConfiguration"]["subnets"] == ["subnet-pub-a", "subnet-pub-b"]
    task_sg = primary.one("aws:ec2/securityGroup:SecurityGroup", "-tasks-sg")
    assert service["networkConfiguration"]["securityGroups"] == [task_sg.id]


def test_alb_serves_https_for_the_blog_domain_and_redirects_http(primary: harness.Run) -> None:
    listeners = {r.inputs["port"]: r.inputs for r in primary.of_type("aws:lb/listener:Listener")}
    assert sorted(listeners) == [80, 443]
    (redirect,) = listeners[80]["defaultActions"]
    assert redirect["type"] == "redirect"
    assert redirect["redirect"] == {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}
    listener = listeners[443]
    assert listener["protocol"] == "HTTPS"
    assert listener["sslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    cert = primary.one("aws:acm/certificate:Certificate").inputs
    assert cert["domainName"] == "blog.books.example.com"
    assert cert["validationMethod"] == "DNS"
    alb = primary.one("aws:lb/loadBalancer:LoadBalancer").inputs
    assert alb["subnets"] == ["subnet-pub-a", "subnet-pub-b"]
    assert alb["dropInvalidHeaderFields"] is True


def test_the_blog_is_placed_in_the_network_it_is_given(primary: harness.Run) -> None:
    groups = primary.of_type("aws:ec2/securityGroup:SecurityGroup")
    assert {g.inputs["vpcId"] for g in groups} == {"vpc-1"}
    assert len(groups) == 3
    assert primary.one("aws:lb/targetGroup:TargetGroup").inputs["vpcId"] == "vpc-1"
    subnet_group = primary.one("aws:rds/subnetGroup:SubnetGroup").inputs
    assert subnet_group["subnetIds"] == ["subnet-priv-a", "subnet-priv-b"]
    assert primary.of_type("aws:ec2/vpc:Vpc") == []


def test_only_the_alb_takes_internet_traffic_on_443_and_80(primary: harness.Run) -> None:
    groups = {
        r.id: r.name.removeprefix("blog-")
        for r in primary.of_type("aws:ec2/securityGroup:SecurityGroup")
    }
    rules = [
        (groups[r.inputs["securityGroupId"]], r.inputs)
        for r in primary.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    ]
    world = [(g, r["fromPort"]) for g, r in rules if r.get("cidrIpv4") or r.get("cidrIpv6")]
    assert sorted(world) == [("alb-sg", 80), ("alb-sg", 443)]
    sourced = {
        (g, groups[r["referencedSecurityGroupId"]], r["fromPort"])
        for g, r in rules
        if "referencedSecurityGroupId" in r
    }
    assert sourced == {("tasks-sg", "alb-sg", 80), ("db-sg", "tasks-sg", 3306)}


def test_primary_cluster_is_the_encrypted_protected_writer(primary: harness.Run) -> None:
    cluster = primary.one("aws:rds/cluster:Cluster")
    i = cluster.inputs
    assert i["globalClusterIdentifier"] == "shop-blog"
    assert i["engine"] == "aurora-mysql"
    assert i["masterUsername"] == "wordpress"
    assert i["storageEncrypted"] is True
    assert i["deletionProtection"] is True
    db_sg = primary.one("aws:ec2/securityGroup:SecurityGroup", "-db-sg")
    assert i["vpcSecurityGroupIds"] == [db_sg.id]
    # Upgrades go through the global cluster; the member must not fight it.
    assert i["engineVersion"] == "8.0.mysql_aurora.3.08.2"
    assert cluster.ignore_changes == ("engineVersion",)
    instance = primary.one("aws:rds/clusterInstance:ClusterInstance").inputs
    assert "engineVersion" not in instance
    assert instance["instanceClass"] == "db.r6g.large"
    assert instance["publiclyAccessible"] is False


def test_a_given_master_password_is_the_clusters_and_the_secrets(primary: harness.Run) -> None:
    cluster = primary.one("aws:rds/cluster:Cluster").inputs
    assert harness.unsecret(cluster["masterPassword"]) == "s3cret-password"
    names = [r.name for r in primary.of_type("random:index/randomPassword:RandomPassword")]
    assert not [n for n in names if n.endswith("-db-password")]


def test_without_a_master_password_one_is_made_and_kept_secret() -> None:
    run = _run("primary", db_password=None)
    made = run.one("random:index/randomPassword:RandomPassword", "-db-password")
    assert made.inputs["length"] >= 16
    # Characters Aurora refuses in a master password are never drawn.
    assert not set(made.inputs["overrideSpecial"]) & set('/"@ ')
    generated = "random-blog-db-password"  # what the mock makes the resource's result
    cluster = run.one("aws:rds/cluster:Cluster").inputs
    assert harness.unsecret(cluster["masterPassword"]) == generated  # secret in the state
    secret = run.one("aws:secretsmanager/secretVersion:SecretVersion").inputs
    assert json.loads(harness.unsecret(secret["secretString"]))["password"] == generated


def test_secondary_cluster_joins_without_credentials(secondary: harness.Run) -> None:
    cluster = secondary.one("aws:rds/cluster:Cluster")
    i = cluster.inputs
    assert i["globalClusterIdentifier"] == "shop-blog"
    assert "masterUsername" not in i
    assert "masterPassword" not in i
    assert i["storageEncrypted"] is True
    assert i["kmsKeyId"] == "arn:aws:kms:ap-southeast-1:123456789012:key/rds-default"
    assert i["region"] == "ap-southeast-1"
    assert set(cluster.ignore_changes) == {
        "engineVersion",
        "replicationSourceIdentifier",
        "globalClusterIdentifier",
    }
    assert secondary.of_type("aws:secretsmanager/secret:Secret") == []


def test_credentials_in_a_secret_replicated_to_the_secondary(primary: harness.Run) -> None:
    secret = primary.one("aws:secretsmanager/secret:Secret").inputs
    assert secret["replicas"] == [{"region": "ap-southeast-1"}]
    value = primary.one("aws:secretsmanager/secretVersion:SecretVersion").inputs
    # The password arrives as a secret, so Pulumi encrypts it in state.
    stored = json.loads(harness.unsecret(value["secretString"]))
    assert stored.pop("username") == "wordpress"
    assert stored.pop("password") == "s3cret-password"
    # What is left are WordPress's cookie keys and salts, one random value each.
    assert sorted(stored) == sorted(k.lower() for k in WORDPRESS_KEYS)
    assert len(set(stored.values())) == len(WORDPRESS_KEYS)
    container = _container(primary)
    assert "s3cret" not in json.dumps(container)
    assert container["secrets"][:2] == [
        {"name": "WORDPRESS_DB_USER", "valueFrom": f"{PRIMARY_SECRET}:username::"},
        {"name": "WORDPRESS_DB_PASSWORD", "valueFrom": f"{PRIMARY_SECRET}:password::"},
    ]


def test_wordpress_keys_are_made_once_and_read_from_the_shared_secret(
    primary: harness.Run, secondary: harness.Run
) -> None:
    # Without fixed keys every new task (and the other region) signs everyone out.
    passwords = primary.of_type("random:index/randomPassword:RandomPassword")
    assert len(passwords) == len(WORDPRESS_KEYS)
    for password in passwords:
        assert password.inputs["length"] >= 64
    assert secondary.of_type("random:index/randomPassword:RandomPassword") == []
    replica = replica_secret_arn(PRIMARY_SECRET, "ap-southeast-1")
    for run, arn in ((primary, PRIMARY_SECRET), (secondary, replica)):
        container = _container(run)
        by_name = {s["name"]: s["valueFrom"] for s in container["secrets"]}  # type: ignore[attr-defined]
        for key in WORDPRESS_KEYS:
            assert by_name[f"WORDPRESS_{key}"] == f"{arn}:{key.lower()}::"
        env = {e["name"] for e in container["environment"]}  # type: ignore[attr-defined]
        assert not [n for n in env if n.startswith("WORDPRESS_") and n.endswith(("KEY", "SALT"))]


def test_secondary_reads_the_replica_secret_and_the_reader(secondary: harness.Run) -> None:
    replica = replica_secret_arn(PRIMARY_SECRET, "ap-southeast-1")
    assert replica == PRIMARY_SECRET.replace("eu-west-1", "ap-southeast-1")
    container = _container(secondary)
    assert container["secrets"][1] == {  # type: ignore[index]
        "name": "WORDPRESS_DB_PASSWORD",
        "valueFrom": f"{replica}:password::",
    }
    env = {e["name"]: e["value"] for e in container["environment"]}  # type: ignore[attr-defined]
    assert env["WORDPRESS_DB_HOST"] == "blog-db.cluster-ro-x.ap-southeast-1.rds.amazonaws.com:3306"
    policy = json.loads(
        secondary.one("aws:iam/rolePolicy:RolePolicy", "-execution-policy").inputs["policy"]
    )
    assert policy["Statement"][1] == {
        "Effect": "Allow",
        "Action": ["secretsmanager:GetSecretValue"],
        "Resource": [replica],
    }


def test_primary_wordpress_uses_the_writer(primary: harness.Run) -> None:
    env = {e["name"]: e["value"] for e in _container(primary)["environment"]}  # type: ignore[attr-defined]
    assert env["WORDPRESS_DB_HOST"] == "blog-db.cluster-x.eu-west-1.rds.amazonaws.com:3306"
    assert "https://blog.books.example.com" in env["WORDPRESS_CONFIG_EXTRA"]


def test_roles_need_their_own_arguments() -> None:
    base = {
        "region": "eu-west-1",
        "prefix": "shop",
        "domain": "books.example.com",
        "hosted_zone_id": "Z0123",
        "network": NETWORK,
        "global_cluster_id": "shop-blog",
        "engine_version": "8.0.mysql_aurora.3.08.2",
        "instance_class": "db.r6g.large",
        "image": IMAGE,
    }
    with pytest.raises(ValueError, match="secret_replica_region"):
        BlogTier("blog", BlogTierArgs(role="primary", **base))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="db_secret_arn"):
        BlogTier("blog", BlogTierArgs(role="secondary", **base))  # type: ignore[arg-type]


@pytest.mark.parametrize("prefix", ["shop", "bookstore", "abcdefghijklm"])
def test_load_balancer_names_fit_aws_limit_of_32(prefix: str) -> None:
    # Pulumi names them <logical name>-<7 random characters>; AWS refuses more than 32.
    for role in ("primary", "secondary"):
        run = _run(role, name=f"bookstore-blog-{role}", prefix=prefix)
        for typ in ("aws:lb/loadBalancer:LoadBalancer", "aws:lb/targetGroup:TargetGroup"):
            (resource,) = run.of_type(typ)
            assert "name" not in resource.inputs  # auto-named, so replaceable
            assert len(resource.name) + 8 <= 32, (typ, resource.name)


def test_a_crash_looping_blog_fails_the_deploy(primary: harness.Run) -> None:
    service = primary.one("aws:ecs/service:Service").inputs
    assert service["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert service["waitForSteadyState"] is True


def test_the_final_snapshot_name_is_unique_per_deployment(
    primary: harness.Run, secondary: harness.Run
) -> None:
    cluster = primary.one("aws:rds/cluster:Cluster").inputs
    suffix = primary.one("random:index/randomId:RandomId")
    assert suffix.inputs["byteLength"] == 4
    # The mock's RandomId hex; a new deployment gets a new one, an update keeps it.
    assert cluster["finalSnapshotIdentifier"] == "shop-blog-primary-final-0a1b2c3d"
    assert cluster["skipFinalSnapshot"] is False
    assert secondary.of_type("random:index/randomId:RandomId") == []
