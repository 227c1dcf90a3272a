"""RegionalNetwork: the VPC a region's bookstore and blog run in.

Two private subnets (the functions, Valkey, Aurora) whose route table has no internet route
and reaches DynamoDB through a gateway endpoint, so the functions need no NAT; two public
subnets behind an internet gateway (the blog's load balancer and tasks). The components placed
in it take a `NetworkRef` and declare their own security groups with `security_group`,
`ingress` and `egress`, so each group stays with the component whose traffic it describes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

SUBNETS_PER_KIND = 2
"""One subnet of each kind per availability zone, in the region's first two zones."""
PUBLIC_SUBNET_OFFSET = 10
"""Private subnets take the /24s from `.0`, public ones from `.10` of the VPC's /16."""
ALL_TRAFFIC = "-1"


@dataclass(frozen=True)
class NetworkRef:
    """What a component placed in a region's network needs of it."""

    vpc_id: pulumi.Input[str]
    public_subnet_ids: Sequence[pulumi.Input[str]]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    dynamodb_prefix_list_id: pulumi.Input[str]
    """The DynamoDB gateway endpoint's prefix list: the destination of an egress rule to it."""


@dataclass(frozen=True)
class RegionalNetworkArgs:
    region: str
    cidr: str
    """A /16: the subnets are /24s taken from it."""
    name_tag: str
    """The VPC's `Name` tag, what the console lists it by."""
    moved_from: pulumi.Input[str] | None = None
    """The URN of the component that declared these resources before this one did; each child
    is aliased to it so that a deployed stack keeps its VPC instead of replacing it."""


class RegionalNetwork(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: RegionalNetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("bookstore:index:RegionalNetwork", name, None, opts)
        self._name, self._args = name, args
        aliases = [pulumi.Alias(parent=args.moved_from)] if args.moved_from is not None else None
        self._opts = pulumi.ResourceOptions(parent=self, aliases=aliases)

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            region=args.region,
            tags={"Name": args.name_tag},
            opts=self._opts,
        )
        self.private_route_table = aws.ec2.RouteTable(
            f"{name}-private-rt", vpc_id=self.vpc.id, region=args.region, opts=self._opts
        )
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, region=args.region, opts=self._opts
        )
        public_route_table = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=self.vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
            region=args.region,
            opts=self._opts,
        )
        self.private_subnets = self._subnets("private", 0, self.private_route_table)
        self.public_subnets = self._subnets("public", PUBLIC_SUBNET_OFFSET, public_route_table)
        self.dynamodb_endpoint = aws.ec2.VpcEndpoint(
            f"{name}-dynamodb-endpoint",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{args.region}.dynamodb",
            vpc_endpoint_type="Gateway",
            route_table_ids=[self.private_route_table.id],
            region=args.region,
            opts=self._opts,
        )
        self.ref = NetworkRef(
            vpc_id=self.vpc.id,
            public_subnet_ids=[s.id for s in self.public_subnets],
            private_subnet_ids=[s.id for s in self.private_subnets],
            dynamodb_prefix_list_id=self.dynamodb_endpoint.prefix_list_id,
        )
        self.register_outputs(
            {
                "vpcId": self.vpc.id,
                "privateSubnetIds": self.ref.private_subnet_ids,
                "publicSubnetIds": self.ref.public_subnet_ids,
            }
        )

    def _subnets(
        self, kind: str, offset: int, route_table: aws.ec2.RouteTable
    ) -> list[aws.ec2.Subnet]:
        args, name = self._args, self._name
        # Local Zones and Wavelength Zones are listed too once opted in; the subnets belong in
        # the region's own zones, which need no opt-in.
        zones = aws.get_availability_zones_output(
            state="available",
            filters=[
                aws.GetAvailabilityZonesFilterArgs(
                    name="opt-in-status", values=["opt-in-not-required"]
                )
            ],
            region=args.region,
            opts=pulumi.InvokeOutputOptions(parent=self),
        ).names
        first, second = args.cidr.split(".")[:2]
        subnets = []
        for index in range(SUBNETS_PER_KIND):
            subnet = aws.ec2.Subnet(
                f"{name}-{kind}-{index}",
                vpc_id=self.vpc.id,
                cidr_block=f"{first}.{second}.{offset + index}.0/24",
                availability_zone=zones[index],
                map_public_ip_on_launch=False,
                region=args.region,
                opts=self._opts,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-{kind}-{index}-rt",
                subnet_id=subnet.id,
                route_table_id=route_table.id,
                region=args.region,
                opts=self._opts,
            )
            subnets.append(subnet)
        return subnets


# Security groups and their rules. They are declared by the component whose traffic they
# describe (with that component's `opts`), so the rules of the API's functions and of the blog
# read where the functions and the blog are, and moving one never moves the other.


def security_group(
    name: str,
    network: NetworkRef,
    description: str,
    *,
    region: str,
    opts: pulumi.ResourceOptions,
) -> aws.ec2.SecurityGroup:
    """A group that allows nothing until rules are added: the provider removes the allow-all
    egress AWS gives a new group, and every rule is its own resource (`ingress`, `egress`)."""
    return aws.ec2.SecurityGroup(
        name, vpc_id=network.vpc_id, description=description, region=region, opts=opts
    )


def ingress(
    name: str,
    group: aws.ec2.SecurityGroup,
    port: int,
    *,
    region: str,
    opts: pulumi.ResourceOptions,
    from_group: aws.ec2.SecurityGroup | None = None,
    from_cidr: str | None = None,
) -> aws.vpc.SecurityGroupIngressRule:
    """TCP on `port` into `group`, from exactly one of another group or a CIDR."""
    if (from_group is None) == (from_cidr is None):
        raise ValueError(f"{name}: give exactly one of from_group and from_cidr")
    return aws.vpc.SecurityGroupIngressRule(
        name,
        security_group_id=group.id,
        referenced_security_group_id=from_group.id if from_group is not None else None,
        cidr_ipv4=from_cidr,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        region=region,
        opts=opts,
    )


def egress(
    name: str,
    group: aws.ec2.SecurityGroup,
    port: int | None,
    *,
    region: str,
    opts: pulumi.ResourceOptions,
    to_group: aws.ec2.SecurityGroup | None = None,
    to_cidr: str | None = None,
    to_prefix_list: pulumi.Input[str] | None = None,
) -> aws.vpc.SecurityGroupEgressRule:
    """TCP on `port` out of `group` (every protocol and port when `port` is None), to exactly
    one of another group, a CIDR or a prefix list (a gateway endpoint's)."""
    if sum(x is not None for x in (to_group, to_cidr, to_prefix_list)) != 1:
        raise ValueError(f"{name}: give exactly one of to_group, to_cidr and to_prefix_list")
    return aws.vpc.SecurityGroupEgressRule(
        name,
        security_group_id=group.id,
        referenced_security_group_id=to_group.id if to_group is not None else None,
        cidr_ipv4=to_cidr,
        prefix_list_id=to_prefix_list,
        ip_protocol="tcp" if port is not None else ALL_TRAFFIC,
        from_port=port,
        to_port=port,
        region=region,
        opts=opts,
    )
