"""Lambda entry point of the Orders stream: counts each new order into this region's
leaderboard, reporting failed records one by one (ReportBatchItemFailures)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from bookstore.data import cache
from bookstore.data.markers import is_reserved_item
from bookstore.leaderboard import Leaderboard, tally_from_item
from bookstore.settings import get_settings

logger = Logger(service="bookstore")


@lru_cache(maxsize=1)
def leaderboard() -> Leaderboard:
    # Built here rather than through `bookstore.services`, which would import the API's
    # models and boto3: the stream function needs Redis alone.
    return Leaderboard(cache.redis_client(), get_settings().leaderboard_key)


# A batch in which every record failed is reported like any other (all ids listed) instead of
# raised, so the event source mapping retries from the first failure either way and the
# sandbox poller sees one response shape.
processor = BatchProcessor(
    event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False
)


def record_handler(record: DynamoDBRecord) -> None:
    # Every order reaches each region's stream as an INSERT (written locally or replicated
    # in). A MODIFY is last-writer-wins replacing one version of an order with another; the
    # leaderboard counts per order id and version, so it never counts an order twice, and a
    # MODIFY that changed nothing it counts is a no-op. Orders are never deleted: REMOVE is
    # ignored.
    counted_events = (DynamoDBRecordEventName.INSERT, DynamoDBRecordEventName.MODIFY)
    if record.event_name not in counted_events or record.dynamodb is None:
        return
    if is_reserved_item(record.dynamodb.keys or {}):
        return  # the failback gate's acknowledgement, not an order
    try:
        tally = tally_from_item(record.dynamodb.new_image)
    except ValueError as exc:
        # Reported and skipped, not failed: retrying cannot make it countable, and with
        # unlimited retries it would hold back every order behind it in the shard.
        logger.error(
            "skipped a malformed order record",
            reason=str(exc),
            keys=record.dynamodb.keys,
            sequence_number=record.dynamodb.sequence_number,
        )
        return
    if leaderboard().count(tally):
        logger.debug("counted order", order_id=tally.order_id)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
