"""The sandbox's parts without processes: replication, stream delivery, gateway, front door."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from bookstore.stream_config import StreamConsumerConfig
from sandbox.config import build_config
from sandbox.frontdoor import FrontDoor
from sandbox.gateway import Gateway, build_event, response_from_result
from sandbox.jwt_auth import JwtAuthorizer, Unauthorized
from sandbox.poller import BatchInvoker
from sandbox.replicator import Stats, TableReplicator

# -- replication -----------------------------------------------------------------------------

_clock = itertools.count()


def _now() -> float:
    # Strictly increasing, millisecond-spaced stream times, as moto's are at best.
    return time.time() + next(_clock) / 1000


class FakeRegion:
    """A table in one region with a stream, behaving like moto's (every put is recorded)."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.stream: list[dict[str, Any]] = []
        self.read = 0
        self.frozen = False
        self.backlog: list[tuple[str, dict[str, Any]]] = []

    def _frozen(self, call: str, kwargs: dict[str, Any]) -> bool:
        """A frozen region times the caller out but runs the request when it resumes."""
        if not self.frozen:
            return False
        self.backlog.append((call, kwargs))
        raise ReadTimeoutError(endpoint_url="http://frozen")

    def resume(self) -> None:
        self.frozen = False
        for call, kwargs in self.backlog:
            getattr(self, call)(**kwargs)
        self.backlog.clear()

    @staticmethod
    def _key(keys: dict[str, Any]) -> str:
        return json.dumps(keys, sort_keys=True)

    def _record(self, name: str, keys: dict[str, Any], new: dict[str, Any] | None) -> None:
        data: dict[str, Any] = {
            "ApproximateCreationDateTime": _now(),
            "SequenceNumber": str(len(self.stream) + 1),
            "Keys": keys,
        }
        if new is not None:
            data["NewImage"] = new
        self.stream.append({"eventName": name, "dynamodb": data})

    def put_item(self, TableName: str, Item: dict[str, Any]) -> dict[str, Any]:
        self._frozen("put_item", {"TableName": TableName, "Item": Item})
        keys = {"id": Item["id"]}
        existed = self._key(keys) in self.items
        self.items[self._key(keys)] = Item
        self._record("MODIFY" if existed else "INSERT", keys, Item)
        return {}

    def delete_item(self, TableName: str, Key: dict[str, Any], ReturnValues: str) -> dict[str, Any]:
        self._frozen("delete_item", {"TableName": TableName, "Key": Key, "ReturnValues": "NONE"})
        old = self.items.pop(self._key(Key), None)
        if old is None:
            return {}
        self._record("REMOVE", Key, None)
        return {"Attributes": old}

    def unread(self) -> list[dict[str, Any]]:
        records, self.read = self.stream[self.read :], len(self.stream)
        return records


@pytest.fixture
def world() -> tuple[TableReplicator, dict[str, FakeRegion]]:
    config = build_config(30000)
    regions = {r.name: FakeRegion() for r in config.regions}
    replicator = TableReplicator("Cart", list(config.regions), regions, {}, Stats())  # type: ignore[arg-type]
    return replicator, regions


def _pump(replicator: TableReplicator, regions: dict[str, FakeRegion]) -> None:
    for _ in range(20):
        moved = False
        for name, region in regions.items():
            for record in region.unread():
                moved = True
                replicator.observe(name, record)
        for name in regions:
            moved = moved or bool(replicator.queues[name])
            assert replicator.drain(name)
        if not moved:
            return
    raise AssertionError("replication did not settle")


def _item(value: int) -> dict[str, Any]:
    return {"id": {"S": "k"}, "quantity": {"N": str(value)}}


def test_a_write_replicates_once_without_echo(world: Any) -> None:
    replicator, regions = world
    first, second = regions.values()
    first.put_item(TableName="Cart", Item=_item(1))
    _pump(replicator, regions)
    assert first.items == second.items
    assert len(first.stream) == 1  # nothing came back
    assert replicator.stats.echoes == 1


def test_concurrent_writes_converge_on_the_later_one(world: Any) -> None:
    replicator, regions = world
    first, second = regions.values()
    first.put_item(TableName="Cart", Item=_item(1))
    second.put_item(TableName="Cart", Item=_item(2))  # later
    _pump(replicator, regions)
    assert first.items == second.items == {'{"id": {"S": "k"}}': _item(2)}


def test_a_stale_replica_landing_after_a_newer_local_write_is_repaired(world: Any) -> None:
    replicator, regions = world
    (first_name, first), (second_name, second) = regions.items()
    first.put_item(TableName="Cart", Item=_item(1))
    for record in first.unread():
        replicator.observe(first_name, record)
    second.put_item(TableName="Cart", Item=_item(2))  # newer, written before v1 lands
    assert replicator.drain(second_name)  # v1 overwrites v2 in the second region
    assert second.items['{"id": {"S": "k"}}'] == _item(1)
    _pump(replicator, regions)
    assert first.items == second.items == {'{"id": {"S": "k"}}': _item(2)}


def test_deletes_replicate(world: Any) -> None:
    replicator, regions = world
    first, second = regions.values()
    first.put_item(TableName="Cart", Item=_item(1))
    _pump(replicator, regions)
    second.delete_item(TableName="Cart", Key={"id": {"S": "k"}}, ReturnValues="ALL_OLD")
    _pump(replicator, regions)
    assert first.items == second.items == {}


def test_a_timed_out_delete_that_lands_late_does_not_win(world: Any) -> None:
    replicator, regions = world
    (first_name, first), (second_name, second) = regions.items()
    first.put_item(TableName="Cart", Item=_item(1))
    _pump(replicator, regions)
    second.frozen = True
    first.delete_item(TableName="Cart", Key={"id": {"S": "k"}}, ReturnValues="ALL_OLD")
    for record in first.unread():
        replicator.observe(first_name, record)
    assert not replicator.drain(second_name)  # the delete times out, and waits in the backlog
    first.put_item(TableName="Cart", Item=_item(3))  # re-created while the other is out
    for record in first.unread():
        replicator.observe(first_name, record)
    second.resume()  # the delete runs now, later than the re-creation
    _pump(replicator, regions)
    assert first.items == second.items == {'{"id": {"S": "k"}}': _item(3)}


# -- stream delivery -------------------------------------------------------------------------


def _records(count: int) -> list[dict[str, Any]]:
    now = time.time()
    return [
        {
            "eventID": str(i),
            "dynamodb": {"SequenceNumber": str(i), "ApproximateCreationDateTime": now},
        }
        for i in range(count)
    ]


CONSUMER = StreamConsumerConfig(
    batch_size=10,
    maximum_batching_window_seconds=0,
    maximum_retry_attempts=2,
    maximum_record_age_seconds=3600,
    bisect_batch_on_function_error=True,
    starting_position="TRIM_HORIZON",
)


def test_partial_failures_are_retried_from_the_first_failed_record() -> None:
    calls: list[list[str]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        ids = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
        calls.append(ids)
        failed = [{"itemIdentifier": "2"}] if len(calls) == 1 else []
        return {"batchItemFailures": failed}

    BatchInvoker(handler, CONSUMER, "f", "eu-west-1", sleep=lambda s: None).deliver(_records(4))
    assert calls == [["0", "1", "2", "3"], ["2", "3"]]


def test_a_raising_handler_bisects_and_gives_up_on_the_poison_record() -> None:
    delivered: list[str] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        ids = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
        if "1" in ids:
            raise RuntimeError("poison")
        delivered.extend(ids)
        return {"batchItemFailures": []}

    invoker = BatchInvoker(handler, CONSUMER, "f", "eu-west-1", sleep=lambda s: None)
    invoker.deliver(_records(4))
    assert sorted(delivered) == ["0", "2", "3"]
    assert [r["eventID"] for r in invoker.exhausted] == ["1"]


# -- gateway ---------------------------------------------------------------------------------

ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_pool"
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)


def _token(key: RSAKey = KEY, **overrides: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": "user-1", "aud": "client", "exp": now + 60, "iat": now}
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


@pytest.fixture
def authorizer() -> JwtAuthorizer:
    return JwtAuthorizer(ISSUER, ["client"], "http://127.0.0.1:9/jwks", keys=KeySet([KEY]))


def test_valid_tokens_pass_with_string_claims(authorizer: JwtAuthorizer) -> None:
    claims = authorizer.claims(f"Bearer {_token()}")
    assert claims["sub"] == "user-1"
    assert isinstance(claims["exp"], str)
    access = _token(aud=None, client_id="client", token_use="access")
    assert authorizer.claims(access)["client_id"] == "client"


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda: _token(iss="https://elsewhere"), id="issuer"),
        pytest.param(lambda: _token(aud="other"), id="audience"),
        pytest.param(lambda: _token(exp=int(time.time()) - 5), id="expired"),
        pytest.param(
            lambda: _token(RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)),
            id="signature",
        ),
        pytest.param(lambda: "not-a-jwt", id="garbage"),
    ],
)
def test_bad_tokens_are_refused(authorizer: JwtAuthorizer, token: Any) -> None:
    with pytest.raises(Unauthorized):
        authorizer.claims(f"Bearer {token()}")


def test_events_follow_payload_format_2() -> None:
    event = build_event(
        "GET",
        "/books?q=a&q=b&limit=2",
        [("Cookie", "a=1; b=2"), ("X-Thing", "1"), ("X-Thing", "2"), ("User-Agent", "t")],
        b"",
        "127.0.0.1",
        "127.0.0.1:8712",
        {"sub": "user-1"},
    )
    assert event["version"] == "2.0"
    assert event["rawPath"] == "/books"
    assert event["rawQueryString"] == "q=a&q=b&limit=2"
    assert event["queryStringParameters"] == {"q": "a,b", "limit": "2"}
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["headers"]["x-thing"] == "1,2"
    context = event["requestContext"]
    assert context["http"]["method"] == "GET"
    assert context["http"]["sourceIp"] == "127.0.0.1"
    assert context["authorizer"]["jwt"]["claims"]["sub"] == "user-1"


def test_results_become_responses() -> None:
    status, headers, body = response_from_result(
        {"statusCode": 201, "headers": {"X-A": "1"}, "body": "{}", "cookies": ["c=1"]}
    )
    assert (status, body) == (201, b"{}")
    assert ("set-cookie", "c=1") in headers
    assert response_from_result({"ok": True})[0] == 200


def test_protected_routes_need_a_token(authorizer: JwtAuthorizer) -> None:
    seen: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append(event)
        return {"statusCode": 200, "body": "{}"}

    gateway = Gateway("eu-west-1", lambda: handler, authorizer)
    status, _, body = gateway.handle("GET", "/cart", [], b"", "127.0.0.1", "h")
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})
    for encoded in ("/%63art", "/%6Frders/x", "/cart%2Fx"):
        assert gateway.handle("GET", encoded, [], b"", "127.0.0.1", "h")[0] == 401, encoded
    assert seen == []
    assert gateway.handle("GET", "/books", [], b"", "127.0.0.1", "h")[0] == 200
    auth = [("Authorization", f"Bearer {_token()}")]
    assert gateway.handle("GET", "/orders/x", auth, b"", "127.0.0.1", "h")[0] == 200
    assert seen[-1]["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] == "user-1"


def test_a_failing_handler_is_a_500() -> None:
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise RuntimeError("boom")

    gateway = Gateway("eu-west-1", lambda: handler, None)
    status, _, body = gateway.handle("GET", "/books", [], b"", "127.0.0.1", "h")
    assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})


# -- front door ------------------------------------------------------------------------------


def _front_door(**options: Any) -> FrontDoor:
    return FrontDoor(build_config(30000, **options))


def test_health_needs_consecutive_failures_and_successes() -> None:
    door = _front_door()
    state = door.health["eu-west-1"]
    state.record(True, 3, 2)
    assert state.healthy is True
    for _ in range(2):
        state.record(False, 3, 2)
    assert state.healthy is True
    state.record(False, 3, 2)
    assert state.healthy is False
    state.record(True, 3, 2)
    assert state.healthy is False
    state.record(True, 3, 2)
    assert state.healthy is True


def test_routing_prefers_the_nearest_healthy_region() -> None:
    door = _front_door(near_region="ap-southeast-1")
    for state in door.health.values():
        state.healthy = True
    assert [r.name for r in door.preference()] == ["ap-southeast-1", "eu-west-1"]
    assert door.serving() == "ap-southeast-1"
    door.health["ap-southeast-1"].healthy = False
    assert [r.name for r in door.preference()] == ["eu-west-1"]
    assert door.serving() == "eu-west-1"
    door.health["eu-west-1"].healthy = False
    assert len(door.preference()) == 2  # none healthy: try them all, as Route 53 does
    assert door.serving() is None


def test_failover_mode_prefers_the_primary() -> None:
    door = _front_door(mode="failover", near_region="ap-southeast-1")
    for state in door.health.values():
        state.healthy = True
    assert door.serving() == "eu-west-1"
