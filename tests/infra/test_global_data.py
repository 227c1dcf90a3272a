"""GlobalData alone: global tables from the shared definitions, replicated private buckets,
the Aurora global cluster."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest

from bookstore.tables import TABLES
from components.global_data import GlobalData, GlobalDataArgs, _field
from tests.infra import harness
from tests.infra.policy import Recorded

TABLE = "aws:dynamodb/table:Table"


@pytest.fixture(scope="module")
def run() -> harness.Run:
    return harness.run(
        lambda: GlobalData(
            "gd",
            GlobalDataArgs(
                prefix="shop",
                primary_region="eu-west-1",
                secondary_region="ap-southeast-1",
                aurora_engine_version="8.0.mysql_aurora.3.08.2",
            ),
        )
    )


def test_component_type_and_children(run: harness.Run) -> None:
    component = run.one("bookstore:index:GlobalData")
    assert component.name == "gd"
    children = [r for r in run.resources if r.type.startswith("aws:")]
    assert children
    assert all(r.name.startswith("gd-") for r in children)
    assert all("GlobalData" in r.parent for r in children)


def test_tables_render_the_shared_definitions(run: harness.Run) -> None:
    tables = {r.inputs["name"]: r.inputs for r in run.of_type(TABLE)}
    assert set(tables) == {t.physical_name("shop") for t in TABLES}
    for definition in TABLES:
        table = tables[definition.physical_name("shop")]
        assert table["hashKey"] == definition.hash_key.name
        assert table.get("rangeKey") == (
            definition.range_key.name if definition.range_key else None
        )
        assert sorted((a["name"], a["type"]) for a in table["attributes"]) == sorted(
            (k.name, k.type) for k in definition.attributes()
        )
        assert [i["name"] for i in table.get("globalSecondaryIndexes", [])] == [
            i.name for i in definition.indexes
        ]
        assert [
            (i["name"], i["rangeKey"], i["projectionType"])
            for i in table.get("localSecondaryIndexes", [])
        ] == [(i.name, i.range_key.name, i.projection) for i in definition.local_indexes]


def test_orders_are_listed_newest_first_through_a_local_index(run: harness.Run) -> None:
    # A local index can only be made with its table: it must be in the first deployment.
    orders = next(r.inputs for r in run.of_type(TABLE) if r.inputs["name"] == "shop-Orders")
    assert orders["localSecondaryIndexes"] == [
        {"name": "byCreatedAt", "rangeKey": "createdAt", "projectionType": "ALL"}
    ]
    assert {"name": "createdAt", "type": "S"} in orders["attributes"]


def test_books_index_key_schema(run: harness.Run) -> None:
    books = next(r.inputs for r in run.of_type(TABLE) if r.inputs["name"] == "shop-Books")
    (index,) = books["globalSecondaryIndexes"]
    assert index["name"] == "byCategory"
    assert index["projectionType"] == "ALL"
    assert index["keySchemas"] == [
        {"attributeName": "category", "keyType": "HASH"},
        {"attributeName": "id", "keyType": "RANGE"},
    ]


def test_tables_are_global_on_demand_streamed_protected(run: harness.Run) -> None:
    for table in run.of_type(TABLE):
        i = table.inputs
        assert i["region"] == "eu-west-1"
        assert i["billingMode"] == "PAY_PER_REQUEST"
        assert i["streamEnabled"] is True
        assert i["streamViewType"] == "NEW_AND_OLD_IMAGES"
        assert i["pointInTimeRecovery"] == {"enabled": True}
        assert i["serverSideEncryption"] == {"enabled": True}
        assert i["deletionProtectionEnabled"] is True
        assert i["replicas"] == [
            {
                "regionName": "ap-southeast-1",
                "pointInTimeRecovery": True,
                "deletionProtectionEnabled": True,
                "propagateTags": True,
            }
        ]


def test_buckets_in_both_regions_private_encrypted_versioned(run: harness.Run) -> None:
    buckets = {r.inputs["region"]: r for r in run.of_type("aws:s3/bucket:Bucket")}
    assert set(buckets) == {"eu-west-1", "ap-southeast-1"}
    for region, bucket in buckets.items():

        def attached(typ: str, bucket_id: str = bucket.id, bucket_region: str = region) -> Recorded:
            (found,) = [r for r in run.of_type(typ) if r.inputs["bucket"] == bucket_id]
            assert found.inputs["region"] == bucket_region
            return found

        block = attached("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
        assert all(
            block[k] is True
            for k in (
                "blockPublicAcls",
                "blockPublicPolicy",
                "ignorePublicAcls",
                "restrictPublicBuckets",
            )
        )
        versioning = attached("aws:s3/bucketVersioning:BucketVersioning").inputs
        assert versioning["versioningConfiguration"] == {"status": "Enabled"}
        encryption = attached(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        ).inputs
        assert encryption["rules"][0]["applyServerSideEncryptionByDefault"] == {
            "sseAlgorithm": "AES256"
        }
        ownership = attached("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs
        assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
        policy = json.loads(attached("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
        deny, allow = policy["Statement"]
        assert deny["Effect"] == "Deny"
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
        assert allow["Action"] == "s3:GetObject"
        assert allow["Resource"] == f"arn:aws:s3:::{bucket.id}/*"


def test_replication_both_ways_with_rtc_and_metrics(run: harness.Run) -> None:
    buckets = {r.inputs["region"]: r.id for r in run.of_type("aws:s3/bucket:Bucket")}
    configs = run.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    pairs = {(c.inputs["bucket"], c.inputs["rules"][0]["destination"]["bucket"]) for c in configs}
    primary, secondary = buckets["eu-west-1"], buckets["ap-southeast-1"]
    assert pairs == {
        (primary, f"arn:aws:s3:::{secondary}"),
        (secondary, f"arn:aws:s3:::{primary}"),
    }
    for config in configs:
        (rule,) = config.inputs["rules"]
        assert rule["status"] == "Enabled"
        assert rule["deleteMarkerReplication"] == {"status": "Enabled"}
        destination = rule["destination"]
        assert destination["replicationTime"] == {"status": "Enabled", "time": {"minutes": 15}}
        assert destination["metrics"] == {"status": "Enabled", "eventThreshold": {"minutes": 15}}
        # Versioning of both buckets first.
        assert sum("versioning" in d for d in config.dependencies) == 2


def test_replication_roles_grant_exactly_replication(run: harness.Run) -> None:
    policies = [
        json.loads(r.inputs["policy"])
        for r in run.of_type("aws:iam/rolePolicy:RolePolicy")
        if "replication" in r.name
    ]
    assert len(policies) == 2
    for policy in policies:
        actions = sorted(a for s in policy["Statement"] for a in s["Action"])
        assert actions == sorted(
            [
                "s3:GetReplicationConfiguration",
                "s3:ListBucket",
                "s3:GetObjectVersionForReplication",
                "s3:GetObjectVersionAcl",
                "s3:GetObjectVersionTagging",
                "s3:ReplicateObject",
                "s3:ReplicateDelete",
                "s3:ReplicateTags",
            ]
        )
        source = policy["Statement"][0]["Resource"][0]
        destination = policy["Statement"][2]["Resource"][0]
        assert source.startswith("arn:aws:s3:::")
        assert destination.endswith("/*")
        assert destination.removesuffix("/*") != source
    trust = [r.inputs for r in run.of_type("aws:iam/role:Role") if "replication" in r.name]
    assert all(
        json.loads(t["assumeRolePolicy"])["Statement"][0]["Principal"]
        == {"Service": "s3.amazonaws.com"}
        for t in trust
    )


def test_aurora_global_cluster(run: harness.Run) -> None:
    cluster = run.one("aws:rds/globalCluster:GlobalCluster").inputs
    assert cluster["globalClusterIdentifier"] == "shop-blog"
    assert cluster["engine"] == "aurora-mysql"
    assert cluster["engineVersion"] == "8.0.mysql_aurora.3.08.2"
    assert cluster["storageEncrypted"] is True
    assert cluster["deletionProtection"] is True


def test_replica_fields_are_read_without_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *a, **k: warnings.append(message))
    # What pulumi-aws 7 hands an apply on a real deployment: output types, not dicts.
    replica = aws.dynamodb.outputs.TableReplica(
        region_name="ap-southeast-1", stream_arn="arn:aws:dynamodb:ap-southeast-1:1:stream"
    )
    assert _field(replica, "region_name") == "ap-southeast-1"
    assert _field(replica, "stream_arn") == "arn:aws:dynamodb:ap-southeast-1:1:stream"
    assert _field({"regionName": "eu-west-1"}, "region_name") == "eu-west-1"  # the mocks
    assert warnings == []


def test_site_buckets_expire_noncurrent_versions(run: harness.Run) -> None:
    configs = run.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    buckets = {b.id for b in run.of_type("aws:s3/bucket:Bucket")}
    assert {c.inputs["bucket"] for c in configs} == buckets
    assert {c.inputs["region"] for c in configs} == {"eu-west-1", "ap-southeast-1"}
    versioning = {v.urn for v in run.of_type("aws:s3/bucketVersioning:BucketVersioning")}
    for config in configs:
        (rule,) = config.inputs["rules"]
        assert rule["status"] == "Enabled"
        assert rule["filter"] == {"prefix": ""}
        assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 30}
        assert rule["expiration"] == {"expiredObjectDeleteMarker": True}
        assert set(config.dependencies) & versioning
