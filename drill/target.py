"""What a drill needs from the system under test; the sandbox and AWS each implement it.

The runner only talks to this interface, so the measurement is the same code for both.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bookstore.data.markers import is_reserved_item
from bookstore.tables import TableDefinition
from drill.load import Cognito
from drill.model import FaultFacts, Sample


def scan_items(client: Any, table_name: str) -> list[dict[str, Any]]:
    """Every item of a DynamoDB table as Python values (strongly consistent reads)."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(TableName=table_name, ConsistentRead=True):
        for raw in page.get("Items", []):
            items.append({k: deserializer.deserialize(v) for k, v in raw.items()})
    # The failback gate's markers are no shopper's data: left out of every count and diff.
    return [item for item in items if not is_reserved_item(item)]


class DrillError(Exception):
    """The drill cannot run (bad target, missing tier); one line for the user."""


@dataclass(frozen=True)
class Board:
    """A region's leaderboard as read: copies per book; `complete` False for a top-N view."""

    sold: dict[str, int] | None
    complete: bool = True
    built: bool | None = None
    error: str = ""


@dataclass(frozen=True)
class BlogView:
    """The blog as one region sees it (None: not known)."""

    url: str | None
    db_role: str | None


class Target(ABC):
    name: str = "target"
    # The faults this target can cause; None: every fault of the registry.
    faults: tuple[str, ...] | None = None

    @property
    @abstractmethod
    def api(self) -> str:
        """The API base URL behind the front door (routes appended: `/books`, ...)."""

    @property
    @abstractmethod
    def regions(self) -> Sequence[str]:
        """Region names, primary first."""

    @abstractmethod
    def regional_api(self, region: str) -> str:
        """One region's API, bypassing the front door."""

    @abstractmethod
    def cognito(self) -> Cognito: ...

    def confirm_user(self, username: str) -> None:  # noqa: B027 - optional hook
        """Confirm a sign-up where the pool does not do it at once (AWS); sandbox: nothing."""

    @abstractmethod
    def serving_region(self) -> str | None:
        """The region the front door sends traffic to right now, if it can be observed."""

    @abstractmethod
    def sample(self, t: float) -> Sample | None:
        """The routing layer's view now (None when it cannot be read)."""

    # -- fault primitives: the fault plans (`drill.faults`) are made of these; a target
    # implements the ones it can cause and names its faults in `faults`.

    def outage(self, region: str) -> FaultFacts:
        """Take one region out (every process frozen, or fenced); returns what was done."""
        raise DrillError(f"a region outage is not available on {self.name}")

    def restore_region(self, region: str) -> None:
        """Undo `outage(region)`."""
        raise DrillError(f"a region outage is not available on {self.name}")

    def partition(self) -> FaultFacts:
        """Cut the link between the regions; both keep serving."""
        raise DrillError(f"a partition is not available on {self.name}")

    def heal(self) -> None:
        """Undo `partition()`."""
        raise DrillError(f"a partition is not available on {self.name}")

    def flush_cache(self, region: str) -> FaultFacts:
        """Empty one region's cache (nothing to undo: the service rebuilds it)."""
        raise DrillError(f"a cache loss is not available on {self.name}")

    @abstractmethod
    def scan(self, region: str, table: TableDefinition) -> list[dict[str, Any]]:
        """Every item of one table in one region (strongly consistent where possible)."""

    @abstractmethod
    def board(self, region: str) -> Board: ...

    def blog(self) -> dict[str, BlogView]:
        """Per region: the blog URL and database role; empty when the blog is not running."""
        return {}

    def blog_posts(self, region: str) -> set[str] | None:
        """Ids of the posts a region's blog serves (None when it cannot be read)."""
        return None

    def close(self) -> None:  # noqa: B027 - optional hook
        """Undo everything the drill left (fence, own sandbox); safe to call twice."""


class Monitor(threading.Thread):
    """Samples the routing layer every `interval` seconds until stopped."""

    def __init__(self, target: Target, clock: Any, interval: float = 0.25) -> None:
        super().__init__(name="drill-monitor", daemon=True)
        self.target = target
        self.clock = clock
        self.interval = interval
        self.samples: list[Sample] = []
        self.stop_event = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                sample = self.target.sample(self.clock())
            except Exception:  # the routing layer may be part of the fault; keep sampling
                sample = None
            if sample is not None:
                with self._lock:
                    self.samples.append(sample)
            self.stop_event.wait(self.interval)

    def snapshot(self) -> list[Sample]:
        with self._lock:
            return list(self.samples)

    def latest(self) -> Sample | None:
        with self._lock:
            return self.samples[-1] if self.samples else None
