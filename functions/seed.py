"""Lambda entry point that loads the shipped catalog into Books (run once per deploy by the
primary stack; idempotent, so re-running it is harmless)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from bookstore import services
from bookstore.catalog import seed_books

logger = Logger(service="bookstore")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    seeded = seed_books(services.books())
    logger.info("catalog seeded", seeded=seeded)
    return {"seeded": seeded}
