"""Each region's own endpoint on the front door (`/api-<region>`): what the client failover uses."""

from __future__ import annotations

import time
import uuid

from sandbox.frontdoor import API_TIMEOUT_SECONDS as API_TIMEOUT
from sandbox.provision import s3_client
from tests.sandbox.conftest import Sandbox, http


def _requests(sandbox: Sandbox, region: str) -> int:
    status = http("GET", f"{sandbox.front_door}/frontdoor/status").body
    return int(status["regions"][region]["requests"])


def test_web_config_lists_each_regions_own_endpoint(sandbox: Sandbox) -> None:
    config = http("GET", f"{sandbox.front_door}/config.json").body
    assert config["apiUrl"] == "/api"
    assert config["regionalApis"] == {
        sandbox.primary: f"/api-{sandbox.primary}",
        sandbox.secondary: f"/api-{sandbox.secondary}",
    }


def test_a_regions_own_endpoint_is_served_by_that_region_only(sandbox: Sandbox, token: str) -> None:
    for region in (sandbox.primary, sandbox.secondary):
        base = f"{sandbox.front_door}/api-{region}"
        reply = http("GET", f"{base}/books?limit=2")
        assert reply.status == 200, reply.body
        assert reply.headers["x-bookstore-region"] == region
        assert len(reply.body["items"]) == 2  # the query string went along
        assert reply.headers.get("transfer-encoding") is None
        book = reply.body["items"][0]["id"]
        put = http("PUT", f"{base}/cart/{book}", {"quantity": 1}, token=token)
        assert put.status == 200, put.body
        assert put.headers["x-bookstore-region"] == region
        assert http("DELETE", f"{base}/cart/{book}", token=token).status == 204
        assert http("GET", f"{base}/health").status == 200


def test_a_regions_own_endpoint_fails_when_the_region_does_and_is_never_retried(
    sandbox: Sandbox,
) -> None:
    down, up = sandbox.secondary, sandbox.primary
    sandbox.cli("outage", down)
    try:
        others_before = _requests(sandbox, up)
        started = time.monotonic()
        reply = http(
            "GET", f"{sandbox.front_door}/api-{down}/books?limit=1", timeout=API_TIMEOUT + 15
        )
        # Answered by the front door itself once the frozen gateway stays silent: no other
        # region stepped in, though the routed endpoint would have used one.
        assert reply.status == 504, reply.body
        assert reply.body["error"]["code"] == "REGION_TIMEOUT", reply.body
        assert time.monotonic() - started < API_TIMEOUT + 10
        assert _requests(sandbox, up) == others_before
        # The surviving region's own endpoint, and the routed one, carry on.
        alive = http("GET", f"{sandbox.front_door}/api-{up}/books?limit=1")
        assert alive.status == 200
        assert alive.headers["x-bookstore-region"] == up
        assert http("GET", f"{sandbox.front_door}/api/books?limit=1", timeout=30).status == 200
    finally:
        sandbox.cli("restore", down)
    reply = http("GET", f"{sandbox.front_door}/api-{down}/books?limit=1", timeout=30)
    assert reply.status == 200
    assert reply.headers["x-bookstore-region"] == down


def test_the_site_is_read_from_the_private_buckets_as_cloudfront_reads_them(
    sandbox: Sandbox,
) -> None:
    # The buckets are private: the front door signs its origin requests (origin access
    # control). An object only in the secondary's bucket is served through the origin group.
    config = sandbox.config
    key = f"probe-{uuid.uuid4().hex}.txt"
    s3_client(config.other(config.primary.name)).put_object(
        Bucket=config.other(config.primary.name).site_bucket, Key=key, Body=b"from the bucket"
    )
    reply = http("GET", f"{sandbox.front_door}/{key}")
    assert reply.status == 200, reply.body
    assert reply.body == "from the bucket"
