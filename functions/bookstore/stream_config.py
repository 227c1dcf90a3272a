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


ORDERS_STREAM_CONSUMER = StreamConsumerConfig(
    batch_size=100,
    # Orders should reach the leaderboard within about a second, so batches are not held.
    maximum_batching_window_seconds=0,
    # No limit (-1, Lambda's default): a batch that fails because Redis is down waits out the
    # outage instead of being dropped after a few seconds of retries, which would lose its
    # orders from the board for good (a drill showed it). A malformed order cannot block the
    # shard meanwhile: the handler reports and skips what no retry could ever count, and
    # bisecting isolates any other failing record.
    maximum_retry_attempts=-1,
    maximum_record_age_seconds=-1,
    bisect_batch_on_function_error=True,
    starting_position="TRIM_HORIZON",
)
