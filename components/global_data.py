"""GlobalData: the data every region shares, deployed once by the primary stack.

- Books, Cart and Orders as DynamoDB global tables (version 2019.11.21) with a replica in the
  secondary region, rendered from `bookstore.tables` (no key name is spelled here).
- The site buckets, one per region, replicated both ways with Replication Time Control.
- The Aurora MySQL global cluster that the blog's regional clusters join.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from bookstore.tables import TABLES, GlobalIndex, TableDefinition
from components.aws_helpers import assume_role_policy, policy_document, statement

NONCURRENT_VERSION_DAYS = 30
"""How long the site buckets keep an overwritten or deleted file's old version."""


@dataclass(frozen=True)
class GlobalDataArgs:
    prefix: str
    primary_region: str
    secondary_region: str
    aurora_engine_version: str
    deletion_protection: bool = True


def _key_schema(
    hash_key: str, range_key: str | None
) -> list[aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs]:
    schema = [
        aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(
            attribute_name=hash_key, key_type="HASH"
        )
    ]
    if range_key is not None:
        schema.append(
            aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(
                attribute_name=range_key, key_type="RANGE"
            )
        )
    return schema


def _index_args(index: GlobalIndex) -> aws.dynamodb.TableGlobalSecondaryIndexArgs:
    return aws.dynamodb.TableGlobalSecondaryIndexArgs(
        name=index.name,
        key_schemas=_key_schema(
            index.hash_key.name, index.range_key.name if index.range_key else None
        ),
        projection_type=index.projection,
    )


class GlobalData(pulumi.ComponentResource):
    tables: dict[str, aws.dynamodb.Table]
    """By logical name (`Books`, `Cart`, `Orders`)."""
    buckets: dict[str, aws.s3.Bucket]
    """Site bucket by region."""

    def __init__(
        self, name: str, args: GlobalDataArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("bookstore:index:GlobalData", name, None, opts)
        self._args = args
        self.regions = (args.primary_region, args.secondary_region)
        self.tables = {t.logical_name: self._table(name, t) for t in TABLES}
        self.table_names: dict[str, pulumi.Output[str]] = {
            logical: table.name for logical, table in self.tables.items()
        }
        self.stream_arns: pulumi.Output[dict[str, dict[str, str]]] = self._stream_arns()
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        self._versioning: dict[str, aws.s3.BucketVersioning] = {}
        self.buckets = {region: self._bucket(name, region) for region in self.regions}
        self._replication(name)
        for region, bucket in self.buckets.items():
            self._bucket_policy(name, region, bucket, account.account_id)
        self.global_cluster = aws.rds.GlobalCluster(
            f"{name}-aurora-global",
            global_cluster_identifier=f"{args.prefix}-blog",
            engine="aurora-mysql",
            engine_version=args.aurora_engine_version,
            database_name="wordpress",
            storage_encrypted=True,
            deletion_protection=args.deletion_protection,
            region=args.primary_region,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs(
            {
                "tableNames": self.table_names,
                "streamArns": self.stream_arns,
                "bucketNames": {region: b.bucket for region, b in self.buckets.items()},
                "auroraGlobalClusterId": self.global_cluster.id,
            }
        )

    def _table(self, name: str, table: TableDefinition) -> aws.dynamodb.Table:
        args = self._args
        return aws.dynamodb.Table(
            f"{name}-{table.logical_name.lower()}",
            name=table.physical_name(args.prefix),
            billing_mode="PAY_PER_REQUEST",
            hash_key=table.hash_key.name,
            range_key=table.range_key.name if table.range_key else None,
            attributes=[
                aws.dynamodb.TableAttributeArgs(name=key.name, type=key.type)
                for key in table.attributes()
            ],
            global_secondary_indexes=[_index_args(index) for index in table.indexes] or None,
            local_secondary_indexes=[
                aws.dynamodb.TableLocalSecondaryIndexArgs(
                    name=local.name,
                    range_key=local.range_key.name,
                    projection_type=local.projection,
                )
                for local in table.local_indexes
            ]
            or None,
            stream_enabled=True,
            stream_view_type=table.stream_view,
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
            deletion_protection_enabled=args.deletion_protection,
            replicas=[
                aws.dynamodb.TableReplicaArgs(
                    region_name=args.secondary_region,
                    point_in_time_recovery=True,
                    deletion_protection_enabled=args.deletion_protection,
                    propagate_tags=True,
                )
            ],
            region=args.primary_region,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _stream_arns(self) -> pulumi.Output[dict[str, dict[str, str]]]:
        """`{region: {logical table name: stream ARN}}`: each region's stream function reads
        its own region's Orders stream (the replica's, in the secondary)."""
        primary, secondary = self.regions
        logical = list(self.tables)
        parts = [pulumi.Output.all(t.stream_arn, t.replicas) for t in self.tables.values()]

        def collect(values: list[list[object]]) -> dict[str, dict[str, str]]:
            result: dict[str, dict[str, str]] = {primary: {}, secondary: {}}
            for table_name, (own, replicas) in zip(logical, values, strict=True):
                result[primary][table_name] = str(own)
                for replica in replicas or []:  # type: ignore[attr-defined]
                    region = _field(replica, "region_name")
                    result.setdefault(region, {})[table_name] = _field(replica, "stream_arn")
            return result

        return pulumi.Output.all(*parts).apply(collect)

    def _bucket(self, name: str, region: str) -> aws.s3.Bucket:
        opts = pulumi.ResourceOptions(parent=self)
        role = "primary" if region == self._args.primary_region else "secondary"
        bucket = aws.s3.Bucket(f"{name}-site-{role}", region=region, opts=opts)
        aws.s3.BucketOwnershipControls(
            f"{name}-site-{role}-ownership",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            region=region,
            opts=opts,
        )
        aws.s3.BucketPublicAccessBlock(
            f"{name}-site-{role}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            region=region,
            opts=opts,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-site-{role}-encryption",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    # SSE-S3 rather than KMS: CloudFront's OAC and the replication role then
                    # need no key grants.
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="AES256"
                    ),
                    bucket_key_enabled=True,
                )
            ],
            region=region,
            opts=opts,
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-site-{role}-versioning",
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled"
            ),
            region=region,
            opts=opts,
        )
        self._versioning[region] = versioning
        # Versioning (which replication needs) keeps every overwritten index.html and
        # config.json and every deleted file: noncurrent versions go after a while, and the
        # delete markers left with no version behind them too.
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-site-{role}-lifecycle",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="noncurrent-versions",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=NONCURRENT_VERSION_DAYS
                    ),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                        expired_object_delete_marker=True
                    ),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=7
                    ),
                )
            ],
            region=region,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        return bucket

    def _replication(self, name: str) -> None:
        """Both-way replication; one role per direction, each limited to reading its source's
        versions and writing replicas into its destination."""
        primary, secondary = self.regions
        versioning = list(self._versioning.values())
        for source_region, dest_region in ((primary, secondary), (secondary, primary)):
            source = self.buckets[source_region]
            dest = self.buckets[dest_region]
            role_name = "primary" if source_region == primary else "secondary"
            opts = pulumi.ResourceOptions(parent=self)
            role = aws.iam.Role(
                f"{name}-replication-{role_name}",
                assume_role_policy=assume_role_policy("s3.amazonaws.com"),
                opts=opts,
            )
            aws.iam.RolePolicy(
                f"{name}-replication-{role_name}",
                role=role.id,
                policy=policy_document(
                    [
                        statement(
                            ["s3:GetReplicationConfiguration", "s3:ListBucket"], [source.arn]
                        ),
                        statement(
                            [
                                "s3:GetObjectVersionForReplication",
                                "s3:GetObjectVersionAcl",
                                "s3:GetObjectVersionTagging",
                            ],
                            [pulumi.Output.concat(source.arn, "/*")],
                        ),
                        statement(
                            ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                            [pulumi.Output.concat(dest.arn, "/*")],
                        ),
                    ]
                ),
                opts=opts,
            )
            aws.s3.BucketReplicationConfig(
                f"{name}-site-{role_name}-replication",
                bucket=source.id,
                role=role.arn,
                rules=[
                    aws.s3.BucketReplicationConfigRuleArgs(
                        id="site",
                        status="Enabled",
                        filter=aws.s3.BucketReplicationConfigRuleFilterArgs(prefix=""),
                        delete_marker_replication=aws.s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs(
                            status="Enabled"
                        ),
                        destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(
                            bucket=dest.arn,
                            storage_class="STANDARD",
                            replication_time=aws.s3.BucketReplicationConfigRuleDestinationReplicationTimeArgs(
                                status="Enabled",
                                time=aws.s3.BucketReplicationConfigRuleDestinationReplicationTimeTimeArgs(
                                    minutes=15
                                ),
                            ),
                            metrics=aws.s3.BucketReplicationConfigRuleDestinationMetricsArgs(
                                status="Enabled",
                                event_threshold=aws.s3.BucketReplicationConfigRuleDestinationMetricsEventThresholdArgs(
                                    minutes=15
                                ),
                            ),
                        ),
                    )
                ],
                region=source_region,
                # Both buckets must be versioned before either replication rule is accepted.
                opts=pulumi.ResourceOptions(parent=self, depends_on=versioning),
            )

    def _bucket_policy(
        self, name: str, region: str, bucket: aws.s3.Bucket, account_id: pulumi.Output[str]
    ) -> None:
        role = "primary" if region == self._args.primary_region else "secondary"
        # The distribution lives in the global stack, deployed after this one, so the read
        # grant is scoped to CloudFront distributions of this account rather than one ARN.
        document = pulumi.Output.json_dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [bucket.arn, pulumi.Output.concat(bucket.arn, "/*")],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                    {
                        "Sid": "AllowCloudFrontRead",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudfront.amazonaws.com"},
                        "Action": "s3:GetObject",
                        "Resource": pulumi.Output.concat(bucket.arn, "/*"),
                        "Condition": {
                            "StringEquals": {"AWS:SourceAccount": account_id},
                            "ArnLike": {
                                "AWS:SourceArn": pulumi.Output.concat(
                                    "arn:aws:cloudfront::", account_id, ":distribution/*"
                                )
                            },
                        },
                    },
                ],
            }
        )
        aws.s3.BucketPolicy(
            f"{name}-site-{role}-policy",
            bucket=bucket.id,
            policy=document,
            region=region,
            opts=pulumi.ResourceOptions(parent=self),
        )


def _field(value: object, name: str) -> str:
    """A field of a nested output value: an output type (`outputs.TableReplica`, what
    pulumi-aws 7 gives a real deployment) or a plain dict (the mocks). Output types are dicts
    too, keyed by the engine's camelCase names, and warn on every `.get` of a key they lack,
    so they are read through their property getters."""
    if isinstance(value, dict) and not hasattr(type(value), name):
        camel = "".join(p if i == 0 else p.title() for i, p in enumerate(name.split("_")))
        return str(value.get(name, value.get(camel)))
    return str(getattr(value, name))
