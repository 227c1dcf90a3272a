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
    # Bounded so that a poison record cannot block its shard for a day (the default is -1,
    # retry until the record expires); exhausted records go to the on-failure queue.
    maximum_retry_attempts=5,
    maximum_record_age_seconds=3600,
    bisect_batch_on_function_error=True,
    starting_position="TRIM_HORIZON",
)
