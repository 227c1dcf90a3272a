"""FailoverRouting alone: health checks, DNS, CloudFront and the uploaded web app."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from components.failover_routing import (
    SPA_REWRITE,
    CognitoConfig,
    FailoverRouting,
    FailoverRoutingArgs,
    RegionFront,
    content_security_policy,
    rto_budget_seconds,
    web_files,
)
from tests.infra import harness
from tests.infra.conftest import make_web_dist


def _front(region: str, role: str) -> RegionFront:
    return RegionFront(
        region=region,
        role=role,  # type: ignore[arg-type]
        api_host=f"api123.execute-api.{region}.amazonaws.com",
        api_domain_target=f"d-xyz.execute-api.{region}.amazonaws.com",
        api_domain_zone_id=f"ZAPI-{region}",
        api_url=f"https://api-{region}.books.example.com",
        blog_alb_dns_name=f"blog-alb.{region}.elb.amazonaws.com",
        blog_alb_zone_id=f"ZELB-{region}",
        bucket_name=f"site-{role}",
        bucket_domain_name=f"site-{role}.s3.{region}.amazonaws.com",
    )


def _run(dist: Path, mode: str) -> harness.Run:
    return harness.run(
        lambda: FailoverRouting(
            "fr",
            FailoverRoutingArgs(
                prefix="shop",
                domain="books.example.com",
                hosted_zone_id="Z0123",
                routing_mode=mode,  # type: ignore[arg-type]
                primary=_front("eu-west-1", "primary"),
                secondary=_front("ap-southeast-1", "secondary"),
                cognito=CognitoConfig(
                    region="eu-west-1", user_pool_id="eu-west-1_Pool", client_id="client123"
                ),
                web_dist=dist,
            ),
        ),
        stack="global",
    )


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_web_dist(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def latency(dist: Path) -> harness.Run:
    return _run(dist, "latency")


@pytest.fixture(scope="module")
def failover(dist: Path) -> harness.Run:
    return _run(dist, "failover")


def _records(run: harness.Run, name: str) -> list[dict[str, object]]:
    return [r.inputs for r in run.of_type("aws:route53/record:Record") if r.inputs["name"] == name]


def test_health_checks_probe_each_regions_deep_health(latency: harness.Run) -> None:
    checks = {
        r.inputs["fqdn"]: r.inputs
        for r in latency.of_type("aws:route53/healthCheck:HealthCheck")
        if "-api-health-" in r.name
    }
    assert set(checks) == {
        "api123.execute-api.eu-west-1.amazonaws.com",
        "api123.execute-api.ap-southeast-1.amazonaws.com",
    }
    for check in checks.values():
        assert check["type"] == "HTTPS"
        assert check["resourcePath"] == "/health"
        assert check["requestInterval"] == 10
        assert check["failureThreshold"] == 3
        assert len(set(check["regions"])) >= 3


def test_api_latency_records_guarded_by_health_checks(latency: harness.Run) -> None:
    checks = {
        r.inputs["fqdn"]: r.id
        for r in latency.of_type("aws:route53/healthCheck:HealthCheck")
        if "-api-health-" in r.name
    }
    records = _records(latency, "api-latency.books.example.com")
    assert len(records) == 2
    for record in records:
        region = record["setIdentifier"]
        assert record["latencyRoutingPolicies"] == [{"region": region}]
        assert "failoverRoutingPolicies" not in record
        assert record["healthCheckId"] == checks[f"api123.execute-api.{region}.amazonaws.com"]
        assert record["aliases"] == [
            {
                "name": f"d-xyz.execute-api.{region}.amazonaws.com",
                "zoneId": f"ZAPI-{region}",
                "evaluateTargetHealth": True,
            }
        ]


@pytest.mark.parametrize("mode", ["latency", "failover"])
def test_api_name_is_one_alias_to_the_modes_records(
    mode: str, latency: harness.Run, failover: harness.Run
) -> None:
    run = {"latency": latency, "failover": failover}[mode]
    (api,) = [r for r in run.of_type("aws:route53/record:Record") if r.name == "fr-api"]
    assert api.inputs["name"] == "api.books.example.com"
    assert "setIdentifier" not in api.inputs
    assert api.inputs["aliases"] == [
        {"name": f"api-{mode}.books.example.com", "zoneId": "Z0123", "evaluateTargetHealth": True}
    ]
    routed = [r for r in run.of_type("aws:route53/record:Record") if f"-api-{mode}-" in r.name]
    assert len(routed) == 2
    # Created before the alias that targets them (Route 53 refuses a dangling alias).
    assert {r.urn for r in routed} <= set(api.dependencies)


def test_switching_the_routing_mode_never_changes_a_record_in_place(
    latency: harness.Run, failover: harness.Run
) -> None:
    """Route 53 refuses two routing policies under one name: the routed records of one mode
    share neither a logical name nor a DNS name with the other mode's, so a switch creates the
    new ones beside the old, repoints `api.<domain>`, then deletes the old ones."""

    def routed(run: harness.Run) -> dict[str, str]:
        return {
            r.name: r.inputs["name"]
            for r in run.of_type("aws:route53/record:Record")
            if "setIdentifier" in r.inputs and r.inputs["name"].startswith("api")
        }

    before, after = routed(latency), routed(failover)
    assert set(before).isdisjoint(after)
    assert set(before.values()).isdisjoint(after.values())
    # The only api.<domain> record is the same resource in both modes.
    assert "api.books.example.com" not in {*before.values(), *after.values()}


def test_api_failover_mode(failover: harness.Run) -> None:
    records = {r["setIdentifier"]: r for r in _records(failover, "api-failover.books.example.com")}
    assert records["eu-west-1"]["failoverRoutingPolicies"] == [{"type": "PRIMARY"}]
    assert records["ap-southeast-1"]["failoverRoutingPolicies"] == [{"type": "SECONDARY"}]
    assert all("latencyRoutingPolicies" not in r for r in records.values())


def test_blog_failover_records(latency: harness.Run) -> None:
    records = {r["setIdentifier"]: r for r in _records(latency, "blog.books.example.com")}
    assert records["eu-west-1"]["failoverRoutingPolicies"] == [{"type": "PRIMARY"}]
    assert records["ap-southeast-1"]["failoverRoutingPolicies"] == [{"type": "SECONDARY"}]
    blog_check = latency.one("aws:route53/healthCheck:HealthCheck", "-blog-health-primary")
    assert records["eu-west-1"]["healthCheckId"] == blog_check.id
    assert blog_check.inputs["fqdn"] == "blog-alb.eu-west-1.elb.amazonaws.com"


def test_site_certificate_in_us_east_1(latency: harness.Run) -> None:
    cert = latency.one("aws:acm/certificate:Certificate").inputs
    assert cert == {
        "domainName": "books.example.com",
        "validationMethod": "DNS",
        "region": "us-east-1",
    }


def test_cloudfront_origin_group_over_both_buckets(latency: harness.Run) -> None:
    dist = latency.one("aws:cloudfront/distribution:Distribution").inputs
    oac = latency.one("aws:cloudfront/originAccessControl:OriginAccessControl")
    assert oac.inputs["signingBehavior"] == "always"
    assert oac.inputs["originAccessControlOriginType"] == "s3"
    origins = {o["originId"]: o for o in dist["origins"]}
    assert origins["site-primary"]["domainName"] == "site-primary.s3.eu-west-1.amazonaws.com"
    assert origins["site-secondary"]["domainName"] == (
        "site-secondary.s3.ap-southeast-1.amazonaws.com"
    )
    assert {o["originAccessControlId"] for o in origins.values()} == {oac.id}
    (group,) = dist["originGroups"]
    assert sorted(group["failoverCriteria"]["statusCodes"]) == [403, 404, 500, 502, 503, 504]
    assert [m["originId"] for m in group["members"]] == ["site-primary", "site-secondary"]
    behavior = dist["defaultCacheBehavior"]
    assert behavior["targetOriginId"] == group["originId"]
    assert behavior["viewerProtocolPolicy"] == "redirect-to-https"
    # Asian edges: the secondary region is ap-southeast-1 (PriceClass_100 has none).
    assert dist["priceClass"] == "PriceClass_200"
    cert = dist["viewerCertificate"]
    assert cert["minimumProtocolVersion"] == "TLSv1.2_2021"
    assert cert["sslSupportMethod"] == "sni-only"
    assert dist["aliases"] == ["books.example.com"]


def _objects(run: harness.Run) -> dict[str, dict[str, Any]]:
    return {r.inputs["key"]: r.inputs for r in run.of_type("aws:s3/bucketObjectv2:BucketObjectv2")}


def test_spa_fallback_and_security_headers(latency: harness.Run) -> None:
    dist = latency.one("aws:cloudfront/distribution:Distribution").inputs
    function = latency.one("aws:cloudfront/function:Function")
    (association,) = dist["defaultCacheBehavior"]["functionAssociations"]
    assert association["eventType"] == "viewer-request"
    assert "/index.html" in function.inputs["code"]
    policy = latency.one("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")
    assert dist["defaultCacheBehavior"]["responseHeadersPolicyId"] == policy.id
    headers = policy.inputs["securityHeadersConfig"]
    assert headers["strictTransportSecurity"]["accessControlMaxAgeSec"] >= 31536000
    assert headers["frameOptions"]["frameOption"] == "DENY"
    assert "contentTypeOptions" in headers
    csp = headers["contentSecurityPolicy"]["contentSecurityPolicy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ")}
    # Every origin config.json gives the web app, and nothing else.
    assert directives["connect-src"] == [
        "'self'",
        "https://api.books.example.com",
        "https://api-eu-west-1.books.example.com",
        "https://api-ap-southeast-1.books.example.com",
        "https://cognito-idp.eu-west-1.amazonaws.com",
        "https://blog.books.example.com",
    ]
    assert directives["img-src"] == ["'self'", "data:", "https://blog.books.example.com"]
    assert directives["default-src"] == ["'self'"]


def _urls(value: object) -> list[str]:
    """Every http(s) URL anywhere in a config.json value."""
    if isinstance(value, dict):
        return [url for item in value.values() for url in _urls(item)]
    if isinstance(value, str) and value.startswith(("https://", "http://")):
        return [value]
    return []


def test_the_csp_allows_every_origin_the_web_app_is_configured_to_call(
    latency: harness.Run,
) -> None:
    config = json.loads(_objects(latency)["config.json"]["content"])
    policy = latency.one("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")
    csp = policy.inputs["securityHeadersConfig"]["contentSecurityPolicy"]["contentSecurityPolicy"]
    connect = {d for d in csp.split("; ") if d.startswith("connect-src ")}.pop().split()
    urls = _urls(config)
    assert len(urls) == 5  # the routed API, two regional ones, Cognito, the blog
    for url in urls:
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" in connect, url
    # The blog's posts carry images from the blog's own origin.
    img = {d for d in csp.split("; ") if d.startswith("img-src ")}.pop().split()
    assert config["blogUrl"] in img


def test_csp_origins_drop_paths_and_keep_ports() -> None:
    config = {
        "apiUrl": "https://api.example.org",
        "regionalApis": {"eu-west-1": "https://api-eu-west-1.example.org/v1"},
        "blogUrl": "https://blog.example.org:8443/",
        "cognito": {"endpoint": "https://cognito-idp.eu-west-1.amazonaws.com"},
    }
    csp = content_security_policy(config)
    assert (
        "connect-src 'self' https://api.example.org https://api-eu-west-1.example.org "
        "https://cognito-idp.eu-west-1.amazonaws.com https://blog.example.org:8443;"
    ) in csp
    assert "img-src 'self' data: https://blog.example.org:8443;" in csp


def test_web_app_and_config_uploaded_to_the_primary_bucket(latency: harness.Run) -> None:
    objects = _objects(latency)
    assert set(objects) == {
        "index.html",
        "assets/index-abc123.js",
        "covers/dune.svg",
        "config.json",
    }
    assert {o["bucket"] for o in objects.values()} == {"site-primary"}
    assert objects["covers/dune.svg"]["contentType"] == "image/svg+xml"
    assert objects["index.html"]["cacheControl"] == "no-cache"
    assert "immutable" in objects["assets/index-abc123.js"]["cacheControl"]
    assert json.loads(objects["config.json"]["content"]) == {
        "apiUrl": "https://api.books.example.com",
        "regionalApis": {
            "eu-west-1": "https://api-eu-west-1.books.example.com",
            "ap-southeast-1": "https://api-ap-southeast-1.books.example.com",
        },
        "blogUrl": "https://blog.books.example.com",
        "cognito": {
            "endpoint": "https://cognito-idp.eu-west-1.amazonaws.com",
            "region": "eu-west-1",
            "userPoolId": "eu-west-1_Pool",
            "clientId": "client123",
        },
    }


def test_a_deploy_keeps_the_previous_releases_hashed_assets(latency: harness.Run) -> None:
    retained = {
        r.inputs["key"]: r.retain_on_delete
        for r in latency.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
    }
    # Hashed chunks outlive the release that uploaded them; the rest is replaced in place.
    assert retained == {
        "assets/index-abc123.js": True,
        "index.html": False,
        "covers/dune.svg": False,
        "config.json": False,
    }


def test_site_alias_records(latency: harness.Run) -> None:
    records = _records(latency, "books.example.com")
    assert sorted(r["type"] for r in records) == ["A", "AAAA"]  # type: ignore[type-var]
    for record in records:
        assert record["aliases"] == [
            {
                "name": "d111111abcdef8.cloudfront.net",
                "zoneId": "Z2FDTNDATAQYW2",
                "evaluateTargetHealth": False,
            }
        ]


def test_spa_rewrite_serves_index_for_app_routes_only() -> None:
    cases = {
        "/": "/index.html",
        "/books/dune": "/index.html",
        "/orders": "/index.html",
        "/covers/dune.svg": "/covers/dune.svg",
        "/assets/index-abc123.js": "/assets/index-abc123.js",
        "/config.json": "/config.json",
    }
    script = SPA_REWRITE + (
        f"\nconst uris = {json.dumps(list(cases))};"
        "\nprocess.stdout.write(JSON.stringify(uris.map(u => handler({request: {uri: u}}).uri)));"
    )
    result = subprocess.run(
        ["node", "-e", script], capture_output=True, text=True, check=True, timeout=30
    )
    assert json.loads(result.stdout) == list(cases.values())


def test_rto_budget_from_the_actual_settings() -> None:
    assert rto_budget_seconds(10, 3, 60) == 90
    assert rto_budget_seconds(30, 2, 60) == 120


def test_missing_web_build_is_a_clear_error(tmp_path: Path) -> None:
    from components.failover_routing import WebBuildMissingError

    with pytest.raises(WebBuildMissingError, match="web app is not built"):
        web_files(tmp_path)
