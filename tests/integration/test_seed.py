"""Seeding the catalog: complete, idempotent, through the Lambda entry point too."""

from __future__ import annotations

import fakeredis
import pytest
from botocore.exceptions import ClientError

from bookstore import services
from bookstore.catalog import load_catalog, seed_books
from bookstore.data.table import IncompleteBatch
from tests.lambda_harness import LambdaContext


def stored_books() -> dict[str, dict[str, object]]:
    return {str(item["id"]): item for item in services.books().scan_all()}


def test_seeding_twice_leaves_exactly_the_catalog(
    aws_env: None, fake_redis: fakeredis.FakeRedis
) -> None:
    catalog = load_catalog()
    assert seed_books(services.books()) == len(catalog)
    first = stored_books()
    assert seed_books(services.books()) == len(catalog)
    assert stored_books() == first
    assert set(first) == {str(book["id"]) for book in catalog}
    assert first[str(catalog[0]["id"])]["price"] == catalog[0]["price"]


def test_seed_entry_point_reports_the_count(aws_env: None, fake_redis: fakeredis.FakeRedis) -> None:
    import seed

    assert seed.handler({}, LambdaContext()) == {"seeded": len(load_catalog())}
    assert len(stored_books()) == len(load_catalog())


def test_batches_are_resent_when_dynamodb_leaves_items_unprocessed(
    aws_env: None, fake_redis: fakeredis.FakeRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = services.books()._table.client
    original = client.batch_write_item
    calls = {"n": 0}

    def throttle_first_call(**kwargs: object) -> dict[str, object]:
        calls["n"] += 1
        if calls["n"] == 1:
            # DynamoDB accepted nothing: everything comes back as unprocessed.
            return {"UnprocessedItems": kwargs["RequestItems"]}
        return original(**kwargs)

    monkeypatch.setattr(client, "batch_write_item", throttle_first_call)
    seed_books(services.books())
    assert calls["n"] > 1
    assert len(stored_books()) == len(load_catalog())


def test_a_batch_dynamodb_keeps_refusing_is_an_error_not_a_silent_loss(
    aws_env: None, fake_redis: fakeredis.FakeRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = services.books()._table.client

    def refuse_everything(**kwargs: object) -> dict[str, object]:
        return {"UnprocessedItems": kwargs["RequestItems"]}

    monkeypatch.setattr(client, "batch_write_item", refuse_everything)
    with pytest.raises(IncompleteBatch):
        seed_books(services.books())


def _denied(code: str = "AccessDeniedException") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "not yet"}}, "BatchWriteItem")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_seed_entry_point_waits_for_the_role_policy_to_propagate(
    aws_env: None, fake_redis: fakeredis.FakeRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    import seed

    client = services.books()._table.client
    original = client.batch_write_item
    calls = {"n": 0}

    def denied_at_first(**kwargs: object) -> dict[str, object]:
        calls["n"] += 1
        if calls["n"] <= 2:  # IAM has not propagated the new policy yet
            raise _denied()
        return original(**kwargs)

    monkeypatch.setattr(client, "batch_write_item", denied_at_first)
    monkeypatch.setattr(seed.time, "sleep", lambda seconds: None)
    assert seed.handler({}, LambdaContext()) == {"seeded": len(load_catalog())}
    assert len(stored_books()) == len(load_catalog())


@pytest.mark.parametrize(
    "error",
    [_denied(), _denied("ThrottlingException"), _denied("ProvisionedThroughputExceededException")],
)
def test_access_denied_and_throttling_are_retried_for_about_a_minute(error: Exception) -> None:
    from seed import seed_with_retry

    clock = FakeClock()

    def always_failing() -> int:
        raise error

    with pytest.raises(type(error)):
        seed_with_retry(always_failing, sleep=clock.sleep, clock=clock)
    assert clock.sleeps[:4] == [1.0, 2.0, 4.0, 8.0]
    assert 50 <= clock.now <= 60


def test_a_batch_dynamodb_keeps_throttling_is_retried() -> None:
    from seed import seed_with_retry

    clock = FakeClock()
    outcomes: list[Exception | int] = [IncompleteBatch("Books"), 7]

    def seed_once() -> int:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert seed_with_retry(seed_once, sleep=clock.sleep, clock=clock) == 7
    assert clock.sleeps == [1.0]


def test_other_errors_fail_at_once() -> None:
    from seed import seed_with_retry

    clock = FakeClock()

    def missing_table() -> int:
        raise _denied("ResourceNotFoundException")

    with pytest.raises(ClientError):
        seed_with_retry(missing_table, sleep=clock.sleep, clock=clock)
    assert clock.sleeps == []
