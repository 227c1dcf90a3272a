"""Running Pulumi programs against mocks and recording what they declare.

`run(program, stack=..., config=..., upstream=...)` runs a program to completion under a fresh
mock runtime and returns every resource registration (type, name, inputs, options that matter)
and the stack's exports, resolved. StackReference outputs come from `upstream`, keyed by the
referenced stack's full name.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from tests.infra.policy import Recorded

PROJECT = "bookstore"
ACCOUNT = "123456789012"
BASE_CONFIG = {
    "bookstore:domain": "books.example.com",
    "bookstore:hostedZoneId": "Z0123456789ABC",
}


@dataclass
class Run:
    resources: list[Recorded]
    exports: dict[str, Any]
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    required: dict[str, set[str]] = field(default_factory=dict)
    """Outputs required from upstream stacks, by their role (see conftest.run_program)."""

    def of_type(self, typ: str) -> list[Recorded]:
        return [r for r in self.resources if r.type == typ]

    def one(self, typ: str, name_suffix: str = "") -> Recorded:
        found = [r for r in self.of_type(typ) if r.name.endswith(name_suffix)]
        assert len(found) == 1, f"{typ} *{name_suffix}: {[r.name for r in self.of_type(typ)]}"
        return found[0]

    def named(self, name: str) -> Recorded:
        found = [r for r in self.resources if r.name == name]
        assert len(found) == 1, f"no single resource named {name}"
        return found[0]


SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def unsecret(value: Any) -> Any:
    """The plain value of an input the engine received as a secret; None if it was not one."""
    if isinstance(value, dict) and value.get(pulumi.runtime.rpc._special_sig_key) == SECRET_SIG:
        return value["value"]
    return None


def _region(inputs: dict[str, Any]) -> str:
    return str(inputs.get("region") or "eu-west-1")


class RecordingMocks(pulumi.runtime.Mocks):
    """Echoes inputs back and adds the computed outputs the program reads."""

    def __init__(self, upstream: dict[str, dict[str, Any]]) -> None:
        self.upstream = upstream
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        name, typ = args.name, args.typ
        region = _region(inputs)
        rid = f"{name}-id"
        state: dict[str, Any] = {
            **inputs,
            "arn": f"arn:aws:mock:{region}:{ACCOUNT}:{typ.split(':')[-1].lower()}/{name}",
        }
        if typ == "pulumi:pulumi:StackReference":
            target = inputs["name"]
            if target not in self.upstream:
                raise KeyError(f"test gave no outputs for stack reference {target}")
            return target, {"name": target, "outputs": self.upstream[target]}
        if typ == "aws:dynamodb/table:Table":
            table = inputs["name"]
            stream = f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{table}/stream/2026-01-01"
            state["arn"] = f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{table}"
            state["streamArn"] = stream
            state["replicas"] = [
                {
                    **replica,
                    "arn": f"arn:aws:dynamodb:{replica['regionName']}:{ACCOUNT}:table/{table}",
                    "streamArn": stream.replace(region, replica["regionName"]),
                }
                for replica in inputs.get("replicas", [])
            ]
        elif typ == "aws:s3/bucket:Bucket":
            bucket = f"{name}-bucket"
            rid = bucket
            state.update(
                bucket=bucket,
                arn=f"arn:aws:s3:::{bucket}",
                bucketRegionalDomainName=f"{bucket}.s3.{region}.amazonaws.com",
            )
        elif typ == "random:index/randomId:RandomId":
            state["hex"] = "0a1b2c3d"
        elif typ == "random:index/randomPassword:RandomPassword":
            # Distinct per resource, so a test can tell which value went where; letters and
            # digits only when special characters were turned off.
            state["result"] = (
                "random" + "".join(c for c in name if c.isalnum())
                if inputs.get("special") is False
                else f"random-{name}"
            )
        elif typ == "aws:acm/certificate:Certificate":
            # ACM lists one option per name, not in the order the names were asked for.
            domains = [inputs["domainName"], *inputs.get("subjectAlternativeNames", [])]
            state["domainValidationOptions"] = [
                {
                    "domainName": domain,
                    "resourceRecordName": f"_abc.{domain}.",
                    "resourceRecordType": "CNAME",
                    "resourceRecordValue": f"_xyz.{domain}.acm-validations.aws.",
                }
                for domain in reversed(domains)
            ]
        elif typ == "aws:acm/certificateValidation:CertificateValidation":
            state["certificateArn"] = inputs["certificateArn"]
        elif typ == "aws:route53/record:Record":
            state["fqdn"] = str(inputs["name"]).rstrip(".")
        elif typ == "aws:apigatewayv2/api:Api":
            state["apiEndpoint"] = f"https://{rid}.execute-api.{region}.amazonaws.com"
            state["executionArn"] = f"arn:aws:execute-api:{region}:{ACCOUNT}:{rid}"
        elif typ == "aws:apigatewayv2/domainName:DomainName":
            state["domainNameConfiguration"] = {
                **inputs["domainNameConfiguration"],
                "targetDomainName": f"d-{name}.execute-api.{region}.amazonaws.com",
                "hostedZoneId": f"ZAPI{region.upper()}",
            }
        elif typ == "aws:lambda/function:Function":
            state["name"] = f"{name}-fn"
            state["arn"] = f"arn:aws:lambda:{region}:{ACCOUNT}:function:{name}-fn"
            state["invokeArn"] = f"arn:aws:apigateway:{region}:lambda:path/{name}-fn/invocations"
        elif typ == "aws:elasticache/replicationGroup:ReplicationGroup":
            state["primaryEndpointAddress"] = f"master.{name}.cache.amazonaws.com"
        elif typ == "aws:lb/loadBalancer:LoadBalancer":
            state["dnsName"] = f"{name}.{region}.elb.amazonaws.com"
            state["zoneId"] = f"ZELB{region.upper()}"
        elif typ == "aws:rds/cluster:Cluster":
            state["endpoint"] = f"{name}.cluster-x.{region}.rds.amazonaws.com"
            state["readerEndpoint"] = f"{name}.cluster-ro-x.{region}.rds.amazonaws.com"
        elif typ == "aws:rds/globalCluster:GlobalCluster":
            rid = inputs["globalClusterIdentifier"]
            state["arn"] = f"arn:aws:rds::{ACCOUNT}:global-cluster:{rid}"
            # What RDS reports running, which a partial version in the inputs resolves to.
            state["engineVersionActual"] = f"{inputs['engineVersion']}-actual"
        elif typ == "aws:secretsmanager/secret:Secret":
            state["arn"] = (
                f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{inputs['name']}-AbCdEf"
            )
        elif typ == "aws:cloudwatch/logGroup:LogGroup":
            state["arn"] = f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{inputs['name']}"
        elif typ == "aws:sqs/queue:Queue":
            state["arn"] = f"arn:aws:sqs:{region}:{ACCOUNT}:{name}"
            state["name"] = name
        elif typ == "aws:sns/topic:Topic":
            state["arn"] = f"arn:aws:sns:{region}:{ACCOUNT}:{name}"
        elif typ == "aws:cloudfront/distribution:Distribution":
            state["domainName"] = "d111111abcdef8.cloudfront.net"
        elif typ == "aws:ec2/vpcEndpoint:VpcEndpoint":
            state["prefixListId"] = "pl-dynamodb"
        elif typ == "aws:cognito/userPool:UserPool":
            state["endpoint"] = f"cognito-idp.{region}.amazonaws.com/{rid}"
        return rid, state

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        self.calls.append((args.token, dict(args.args)))
        region = str(args.args.get("region") or "eu-west-1")
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT,
                "arn": f"arn:aws:iam::{ACCOUNT}:user/ci",
                "userId": "ci",
            }, []
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            # An opted-in Local Zone sorts first, as AWS lists it: a program that does not
            # filter on opt-in status gets its subnets placed there.
            zones = [
                (f"{region}-lz-1a", "opted-in"),
                *((f"{region}{z}", "opt-in-not-required") for z in "abc"),
            ]
            for flt in args.args.get("filters") or []:
                if flt["name"] == "opt-in-status":
                    zones = [(n, status) for n, status in zones if status in flt["values"]]
            return {"names": [n for n, _ in zones], "zoneIds": []}, []
        if args.token == "aws:kms/getAlias:getAlias":
            key = f"arn:aws:kms:{region}:{ACCOUNT}:key/rds-default"
            return {"arn": f"arn:aws:kms:{region}:{ACCOUNT}:alias/aws/rds", "targetKeyArn": key}, []
        raise NotImplementedError(f"unmocked call {args.token}")


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """Also keeps the resource options the mocks API does not pass on."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.recorded: list[Recorded] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type != "pulumi:pulumi:Stack":
            inputs = pulumi.runtime.rpc.deserialize_properties(request.object)
            self.recorded.append(
                Recorded(
                    type=request.type,
                    name=request.name,
                    inputs=inputs,
                    id=response.id,
                    parent=request.parent,
                    ignore_changes=tuple(request.ignoreChanges),
                    dependencies=tuple(request.dependencies),
                    urn=response.urn,
                    alias_parents=tuple(
                        alias.spec.parentUrn for alias in request.aliases if alias.spec.parentUrn
                    ),
                    retain_on_delete=bool(request.retainOnDelete),
                )
            )
        return response

    def ReadResource(self, request: Any) -> Any:  # StackReferences are read, not registered
        response = super().ReadResource(request)  # type: ignore[no-untyped-call]
        inputs = pulumi.runtime.rpc.deserialize_properties(request.properties)
        self.recorded.append(
            Recorded(type=request.type, name=request.name, inputs=inputs, id=request.id)
        )
        return response


def _resolve(value: Any) -> Any:
    return _sync_await(pulumi.Output.from_input(value).future())


def run(
    program: Callable[[], object],
    *,
    stack: str = "primary",
    config: dict[str, str] | None = None,
    upstream: dict[str, dict[str, Any]] | None = None,
    secret_keys: list[str] | None = None,
) -> Run:
    """Run `program` under mocks until every output is resolved."""
    asyncio.set_event_loop(asyncio.new_event_loop())
    pulumi_settings.reset_options(project=PROJECT, stack=stack)
    pulumi.runtime.set_all_config({**BASE_CONFIG, **(config or {})}, secret_keys=secret_keys or [])
    mocks = RecordingMocks(upstream or {})
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)

    def body() -> None:
        program()

    _sync_await(run_pulumi_func(body))
    root = pulumi_settings.get_root_resource()
    outputs = getattr(root, "outputs", {})
    exports = {key: _resolve(value) for key, value in outputs.items()}
    return Run(resources=monitor.recorded, exports=exports, calls=mocks.calls)
