"""Create what the Pulumi program would: tables, buckets, the user pool; seed the catalog.

Tables come from `bookstore.tables.TABLES`, the same definitions the Pulumi components read.
The catalog is seeded into the primary and copied item by item into the secondary before the
replicator starts, so both regions begin identical without a replication storm.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from sandbox.config import (
    AWS_CREDENTIALS,
    TABLE_PREFIX,
    CognitoConfig,
    RegionConfig,
    SandboxConfig,
    repo_root,
)

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

USER_POOL_NAME = "bookstore-users"
USER_POOL_CLIENT_NAME = "bookstore-web"


def aws_kwargs(region: RegionConfig, timeout: float) -> dict[str, Any]:
    return {
        "region_name": region.name,
        "endpoint_url": region.aws_endpoint,
        "aws_access_key_id": AWS_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": AWS_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        # Every call is bounded and attempted once: a frozen region must not hang the caller.
        "config": Config(
            connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 1}
        ),
    }


def dynamodb_client(region: RegionConfig, timeout: float = 5.0) -> DynamoDBClient:
    return boto3.client("dynamodb", **aws_kwargs(region, timeout))


def s3_client(region: RegionConfig, timeout: float = 5.0) -> S3Client:
    return boto3.client("s3", **aws_kwargs(region, timeout))


def cognito_client(region: RegionConfig, timeout: float = 5.0) -> CognitoIdentityProviderClient:
    return boto3.client("cognito-idp", **aws_kwargs(region, timeout))


def create_tables(region: RegionConfig) -> None:
    from bookstore.tables import TABLES

    client = dynamodb_client(region)
    existing = set(client.list_tables()["TableNames"])
    for table in TABLES:
        if table.physical_name(TABLE_PREFIX) not in existing:
            client.create_table(**table.to_create_table_kwargs(TABLE_PREFIX))


def create_bucket(region: RegionConfig) -> None:
    client = s3_client(region)
    names = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if region.site_bucket not in names:
        client.create_bucket(
            Bucket=region.site_bucket,
            CreateBucketConfiguration={"LocationConstraint": region.name},  # type: ignore[typeddict-item]
        )
        client.put_bucket_versioning(
            Bucket=region.site_bucket, VersioningConfiguration={"Status": "Enabled"}
        )


def create_user_pool(region: RegionConfig) -> CognitoConfig:
    client = cognito_client(region)
    pool = client.create_user_pool(
        PoolName=USER_POOL_NAME,
        UsernameAttributes=["email"],
        AutoVerifiedAttributes=["email"],
        Policies={"PasswordPolicy": {"MinimumLength": 8}},
    )["UserPool"]
    app_client = client.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName=USER_POOL_CLIENT_NAME,
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"],
    )["UserPoolClient"]
    return CognitoConfig(user_pool_id=pool["Id"], client_id=app_client["ClientId"])


def seed_catalog(region: RegionConfig) -> int:
    """Seed Books in one region with the lead's idempotent seeding; returns the item count."""
    from bookstore.catalog import seed_books
    from bookstore.data.books import BooksRepository
    from bookstore.data.table import ItemTable
    from bookstore.tables import BOOKS

    table = ItemTable(dynamodb_client(region, timeout=10), BOOKS.physical_name(TABLE_PREFIX))
    return seed_books(BooksRepository(table))


def copy_table(source: RegionConfig, target: RegionConfig, logical_name: str) -> int:
    """Copy every item of one table, unchanged, from one region to the other."""
    from bookstore.tables import TABLES

    table = next(t for t in TABLES if t.logical_name == logical_name)
    name = table.physical_name(TABLE_PREFIX)
    src, dst = dynamodb_client(source, 10), dynamodb_client(target, 10)
    copied = 0
    for page in src.get_paginator("scan").paginate(TableName=name):
        items = page.get("Items", [])
        for start in range(0, len(items), 25):  # BatchWriteItem takes at most 25
            requests: Any = [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]
            while requests:
                response = dst.batch_write_item(RequestItems={name: requests})
                requests = response.get("UnprocessedItems", {}).get(name, [])
        copied += len(items)
    return copied


def upload_site(region: RegionConfig, dist: Path) -> int:
    """Upload the built web app to a region's site bucket (replication copies it on)."""
    if not dist.is_dir():
        return 0
    client = s3_client(region, timeout=10)
    count = 0
    for path in sorted(p for p in dist.rglob("*") if p.is_file()):
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        client.put_object(
            Bucket=region.site_bucket,
            Key=path.relative_to(dist).as_posix(),
            Body=path.read_bytes(),
            ContentType=content_type,
        )
        count += 1
    return count


def provision(config: SandboxConfig) -> SandboxConfig:
    """Everything the regions need before their gateways start; returns the config with the
    user pool filled in."""
    for region in config.regions:
        create_tables(region)
        create_bucket(region)
    cognito = create_user_pool(config.primary)
    seed_catalog(config.primary)
    for region in config.regions:
        if region.role != "primary":
            copy_table(config.primary, region, "Books")
    upload_site(config.primary, web_dist())
    return config.with_cognito(cognito)


def web_dist() -> Path:
    return repo_root() / "web" / "dist"
