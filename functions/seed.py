"""Lambda entry point that loads the shipped catalog into Books (run once per deploy by the
primary stack; idempotent, so re-running it is harmless).

The first deploy invokes it seconds after its role's policy is created, and IAM takes a while
to propagate: DynamoDB may answer AccessDenied until it has. The seed therefore retries
access-denied and throttling for about a minute before it fails the deploy.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from bookstore import services
from bookstore.catalog import seed_books
from bookstore.data.table import IncompleteBatch

logger = Logger(service="bookstore")

RETRY_FOR_SECONDS = 60.0
MAX_DELAY_SECONDS = 8.0
RETRIED_CODES = frozenset(
    {
        "AccessDeniedException",
        "AccessDenied",
        "UnrecognizedClientException",
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
    }
)


def _retried(error: Exception) -> bool:
    if isinstance(error, IncompleteBatch):  # DynamoDB kept throttling a batch
        return True
    return (
        isinstance(error, ClientError)
        and error.response.get("Error", {}).get("Code") in RETRIED_CODES
    )


def seed_with_retry(
    seed: Callable[[], int],
    *,
    retry_for: float = RETRY_FOR_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """`seed()`, again after access-denied or throttling until `retry_for` seconds have
    passed (1 s, 2 s, 4 s, then every 8 s); any other error, or the last one, is raised."""
    deadline = clock() + retry_for
    delay = 1.0
    while True:
        try:
            return seed()
        except (ClientError, IncompleteBatch) as error:
            if not _retried(error) or clock() + delay > deadline:
                raise
            logger.warning("seed retried", error=str(error), retry_in_seconds=delay)
            sleep(delay)
            delay = min(delay * 2, MAX_DELAY_SECONDS)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    seeded = seed_with_retry(lambda: seed_books(services.books()))
    logger.info("catalog seeded", seeded=seeded)
    return {"seeded": seeded}
