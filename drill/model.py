"""What a drill records: requests, acknowledged orders, routing samples and phase events.

Times are seconds since the drill's start on one monotonic clock, so every figure is a
difference of two readings of the same clock (wall-clock jumps cannot skew an RTO).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Outcome = Literal["ok", "error", "no-answer"]


@dataclass(frozen=True)
class RequestRecord:
    """One HTTP request as the client saw it."""

    t: float
    latency: float
    user: int
    step: str
    method: str
    path: str
    status: int | None
    region: str | None
    outcome: Outcome
    error: str = ""
    key: str | None = None
    order_id: str | None = None
    # Who sent it: "policy" (the web app's client failover) or "naive" (routed endpoint only).
    client: str = ""
    # The endpoint ("routed" or a region) whose failure moved this request to `region`.
    moved_from: str | None = None
    # Set on a read that did not show what this shopper wrote and had acknowledged.
    violation: str = ""

    @property
    def end(self) -> float:
        return self.t + self.latency

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Ack:
    """An order the API acknowledged (201 or 200 replay) to a user."""

    user: int
    customer: str
    key: str
    order_id: str
    at: float
    region: str | None
    created: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Sample:
    """The routing layer's view at one moment: which region serves, which are healthy."""

    t: float
    serving: str | None
    healthy: dict[str, bool]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Events:
    """Phase marks of one drill (None: did not happen)."""

    fault_at: float | None = None
    fault_injected_at: float | None = None
    restore_at: float | None = None
    restored_at: float | None = None
    load_stopped_at: float | None = None
    converged_at: float | None = None
    extra: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FaultFacts:
    """What the target did to cause the fault, as reported (None: does not apply)."""

    command: str | None = None
    said: str | None = None
    keys_dropped: int | None = None
    fence: str | None = None
    table: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {_camel(k): v for k, v in asdict(self).items() if v is not None}


@dataclass
class CacheFigures:
    """A cache loss: the flushed region, when its leaderboard was seen built again."""

    region: str
    rebuilt_at: float | None = None
    probes: int = 0
    rebuilt_seconds: float | None = None  # from the fault; set once the drill is over

    def to_json(self) -> dict[str, Any]:
        figures: dict[str, Any] = {
            "region": self.region,
            "rebuiltAt": self.rebuilt_at,
            "probes": self.probes,
        }
        if self.rebuilt_seconds is not None:
            figures["rebuiltSeconds"] = self.rebuilt_seconds
        return figures


@dataclass(frozen=True)
class BlogFigures:
    """A blog primary loss: posts on the failed primary and on the promoted replica."""

    primary_before: str | None
    posts_before: int | None
    posts_after: int | None
    posts_lost: int | None
    promoted_seconds: float | None

    def to_json(self) -> dict[str, Any]:
        return {_camel(k): v for k, v in asdict(self).items()}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)
