"""RegionalNetwork alone, and the security-group helpers the components declare rules with."""

from __future__ import annotations

import pulumi
import pytest

from components.network import (
    NetworkRef,
    RegionalNetwork,
    RegionalNetworkArgs,
    egress,
    ingress,
    security_group,
)
from tests.infra import harness
from tests.infra.policy import Recorded

OLD_PARENT = "urn:pulumi:primary::bookstore::bookstore:index:RegionalBookstore::net"


def _run(moved_from: str | None = None) -> harness.Run:
    return harness.run(
        lambda: RegionalNetwork(
            "net",
            RegionalNetworkArgs(
                region="ap-southeast-1",
                cidr="10.20.0.0/16",
                name_tag="shop-secondary",
                moved_from=moved_from,
            ),
        )
    )


@pytest.fixture(scope="module")
def network() -> harness.Run:
    return _run()


def _children(run: harness.Run) -> list[Recorded]:
    return [r for r in run.resources if r.type != "bookstore:index:RegionalNetwork"]


def test_subnets_only_in_zones_that_need_no_opt_in(network: harness.Run) -> None:
    calls = [a for t, a in network.calls if t.endswith("getAvailabilityZones")]
    assert calls
    for call in calls:
        assert call["state"] == "available"
        assert call["filters"] == [{"name": "opt-in-status", "values": ["opt-in-not-required"]}]
    zones = {r.inputs["availabilityZone"] for r in network.of_type("aws:ec2/subnet:Subnet")}
    assert zones == {"ap-southeast-1a", "ap-southeast-1b"}


def test_private_subnets_in_two_azs_reach_dynamodb_without_nat(network: harness.Run) -> None:
    vpc = network.one("aws:ec2/vpc:Vpc").inputs
    assert vpc["cidrBlock"] == "10.20.0.0/16"
    assert vpc["tags"] == {"Name": "shop-secondary"}
    subnets = {r.name: r.inputs for r in network.of_type("aws:ec2/subnet:Subnet")}
    private = [s for n, s in subnets.items() if "-private-" in n]
    assert sorted(s["availabilityZone"] for s in private) == ["ap-southeast-1a", "ap-southeast-1b"]
    assert sorted(s["cidrBlock"] for s in private) == ["10.20.0.0/24", "10.20.1.0/24"]
    endpoint = network.one("aws:ec2/vpcEndpoint:VpcEndpoint").inputs
    assert endpoint["serviceName"] == "com.amazonaws.ap-southeast-1.dynamodb"
    assert endpoint["vpcEndpointType"] == "Gateway"
    private_rt = network.one("aws:ec2/routeTable:RouteTable", "-private-rt")
    assert endpoint["routeTableIds"] == [private_rt.id]
    assert not private_rt.inputs.get("routes")  # no NAT, no internet route
    assert network.of_type("aws:ec2/natGateway:NatGateway") == []


def test_public_subnets_route_to_the_internet_gateway(network: harness.Run) -> None:
    igw = network.one("aws:ec2/internetGateway:InternetGateway")
    public_rt = network.one("aws:ec2/routeTable:RouteTable", "-public-rt")
    assert public_rt.inputs["routes"] == [{"cidrBlock": "0.0.0.0/0", "gatewayId": igw.id}]
    public = {
        r.id: r.inputs for r in network.of_type("aws:ec2/subnet:Subnet") if "-public-" in r.name
    }
    assert sorted(s["cidrBlock"] for s in public.values()) == ["10.20.10.0/24", "10.20.11.0/24"]
    assert all(s["mapPublicIpOnLaunch"] is False for s in public.values())
    associations = {
        r.inputs["subnetId"]: r.inputs["routeTableId"]
        for r in network.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
    }
    assert {associations[subnet] for subnet in public} == {public_rt.id}
    assert len(associations) == 4


def test_everything_is_in_the_networks_region(network: harness.Run) -> None:
    assert {r.inputs["region"] for r in _children(network)} == {"ap-southeast-1"}


def test_children_are_aliased_to_the_component_that_declared_them_before() -> None:
    moved = _run(moved_from=OLD_PARENT)
    children = _children(moved)
    assert len(children) == 13  # VPC, gateway, 2 route tables, 4 subnets + associations, endpoint
    assert {r.alias_parents for r in children} == {(OLD_PARENT,)}
    # Names are what they were, so the alias is the old URN exactly.
    assert {r.name for r in children} >= {"net-vpc", "net-private-0", "net-dynamodb-endpoint"}


def test_a_new_network_has_no_aliases(network: harness.Run) -> None:
    assert {r.alias_parents for r in _children(network)} == {()}


REF = NetworkRef(
    vpc_id="vpc-1",
    public_subnet_ids=["subnet-pub"],
    private_subnet_ids=["subnet-priv"],
    dynamodb_prefix_list_id="pl-1",
)


def _rules() -> harness.Run:
    def body() -> None:
        opts = pulumi.ResourceOptions()
        db = security_group("db", REF, "database", region="eu-west-1", opts=opts)
        app = security_group("app", REF, "app", region="eu-west-1", opts=opts)
        ingress("db-from-app", db, 3306, from_group=app, region="eu-west-1", opts=opts)
        egress("app-to-db", app, 3306, to_group=db, region="eu-west-1", opts=opts)
        egress("app-out", app, None, to_cidr="0.0.0.0/0", region="eu-west-1", opts=opts)

    return harness.run(body)


def test_rule_helpers_declare_tcp_on_one_port_or_all_traffic() -> None:
    run = _rules()
    db, app = run.named("db"), run.named("app")
    assert db.inputs == {"vpcId": "vpc-1", "description": "database", "region": "eu-west-1"}
    assert run.named("db-from-app").inputs == {
        "securityGroupId": db.id,
        "referencedSecurityGroupId": app.id,
        "ipProtocol": "tcp",
        "fromPort": 3306,
        "toPort": 3306,
        "region": "eu-west-1",
    }
    assert run.named("app-to-db").inputs["referencedSecurityGroupId"] == db.id
    assert run.named("app-out").inputs == {
        "securityGroupId": app.id,
        "cidrIpv4": "0.0.0.0/0",
        "ipProtocol": "-1",
        "region": "eu-west-1",
    }


def test_a_rule_names_exactly_one_peer() -> None:
    def body() -> None:
        opts = pulumi.ResourceOptions()
        group = security_group("g", REF, "g", region="eu-west-1", opts=opts)
        with pytest.raises(ValueError, match="exactly one of from_group and from_cidr"):
            ingress("in", group, 443, region="eu-west-1", opts=opts)
        with pytest.raises(ValueError, match="exactly one of to_group, to_cidr"):
            egress(
                "out",
                group,
                443,
                to_cidr="0.0.0.0/0",
                to_prefix_list="pl-1",
                region="eu-west-1",
                opts=opts,
            )

    harness.run(body)
