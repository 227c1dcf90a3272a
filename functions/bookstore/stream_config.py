"""How the Orders stream is consumed: one definition for the Lambda event source mapping
(`components/regional_bookstore.py`) and the sandbox's stream poller."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StreamConsumerConfig:
    batch_size: int
    maximum_batching_window_seconds: int
    maximum_retry_attempts: int
    maximum_record_age_seconds: int
    bisect_batch_on_function_error: bool
    starting_position: str


STREAM_RETENTION_SECONDS = 24 * 3600
MAXIMUM_RECORD_AGE_SECONDS = STREAM_RETENTION_SECONDS - 3600

ORDERS_STREAM_CONSUMER = StreamConsumerConfig(
    batch_size=100,
    # Orders should reach the leaderboard within about a second, so batches are not held.
    maximum_batching_window_seconds=0,
    # No retry limit (-1): a batch that fails because Redis is down waits out the outage
    # instead of being dropped after a few seconds of retries, which would lose its orders
    # from the board for good (a drill showed it). A malformed order cannot block the shard
    # meanwhile: the handler reports and skips what no retry could ever count, and bisecting
    # isolates any other failing record.
    maximum_retry_attempts=-1,
    # Given up after 23 h, an hour before DynamoDB Streams trims the records (24 h): Lambda
    # then sends the batch's shard and sequence numbers to the on-failure queue while the
    # records can still be read. With no age limit either, a batch would only expire with
    # the stream and the queue would never hear of it.
    maximum_record_age_seconds=MAXIMUM_RECORD_AGE_SECONDS,
    bisect_batch_on_function_error=True,
    starting_position="TRIM_HORIZON",
)
