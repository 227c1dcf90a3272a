"""What a fault plan is, and what it sees of a drill while the drill runs.

The runner owns the phases (warm-up, fault, recovery, converge) and calls a plan at fixed
points: before anyone signs in (`check_ready`, `pick_region`), once users are signed in and
before the load starts (`before_load`), at the fault (`inject`), on every tick while the
fault is held (`while_held`), just before the restore (`before_restore`, then `restore`), on
every round of the convergence wait (`converging`), and at the end (`findings`: its figures
and the failures it adds to the gates). A plan object lives for one drill, so it keeps what
it saw in its own fields.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from drill.model import Ack, BlogFigures, CacheFigures, Events, FaultFacts
from drill.target import DrillError, Monitor, Target

if TYPE_CHECKING:
    from drill.load import Recorder
    from drill.measure import Loss


@dataclass
class Run:
    """The running drill as a plan sees it."""

    target: Target
    region: str | None  # the region the fault hits; None for a fault of no one region
    survivor: str | None  # the region expected to carry the users meanwhile
    clock: Callable[[], float]
    recorder: Recorder
    monitor: Monitor
    events: Events
    notes: list[str]
    say: Callable[[str], None]  # one progress line
    facts: FaultFacts = field(default_factory=FaultFacts)  # what `inject` reported


@dataclass(frozen=True)
class FailoverRead:
    """The survivor's orders read at one moment of the fault ("detection", "heal", ...)."""

    present: set[tuple[str, str]]
    at: float
    moment: str
    # A partition's exposure starts when the regions stop talking, not at the fault mark:
    # measure from the read itself.
    from_read: bool = False

    def loss(self, acks: list[Ack], fault_time: float) -> Loss:
        from drill.measure import missing_orders

        reference = self.at if self.from_read else fault_time
        return missing_orders(acks, self.present, until=self.at, reference=reference)


@dataclass
class Findings:
    """What a plan measured, for the result and the gates."""

    failover: FailoverRead | None = None
    blog: BlogFigures | None = None
    cache: CacheFigures | None = None
    failures: list[str] = field(default_factory=list)  # the fault's own gates, one line each


class FaultPlan(ABC):
    name: ClassVar[str]
    summary: ClassVar[str]  # one line for `--fault` help and the docs

    def check_ready(self, target: Target) -> None:  # noqa: B027 - optional hook
        """Refuse (DrillError) when the target cannot take this fault; nothing is touched yet."""

    def pick_region(self, target: Target, requested: str | None) -> str | None:
        """The region to hit; `requested` is `--region`, already known to the target."""
        if requested is not None:
            return requested
        # By default the fault hits the region that serves the users: the case that matters.
        return target.serving_region() or target.regions[0]

    @abstractmethod
    def inject(self, target: Target, region: str | None) -> FaultFacts: ...

    @abstractmethod
    def restore(self, target: Target, region: str | None) -> None: ...

    def before_load(self, target: Target, region: str | None) -> None:  # noqa: B027
        """Users are signed in, the load (and the drill's clock) not started yet: read what
        the fault may change."""

    def while_held(self, run: Run, now: float) -> None:  # noqa: B027 - optional hook
        """Called about five times a second while the fault is held."""

    def before_restore(self, run: Run) -> None:  # noqa: B027 - optional hook
        """The last moment of the fault."""

    def converging(self, run: Run) -> None:  # noqa: B027 - optional hook
        """Called on every round of the convergence wait, after the load."""

    def findings(self, run: Run, fault_time: float) -> Findings:
        return Findings()


def need_region(region: str | None) -> str:
    if region is None:
        raise DrillError("this fault needs a region")
    return region
