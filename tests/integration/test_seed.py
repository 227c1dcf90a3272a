"""Seeding the catalog: complete, idempotent, through the Lambda entry point too."""

from __future__ import annotations

import fakeredis
import pytest

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
