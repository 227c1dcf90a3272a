"""`partition`: the link between the regions cut (both keep serving), later healed. The
exposure is what the other region lacks when the link heals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from drill.faults.base import FaultPlan, Findings, Run
from drill.faults.watch import FailoverWatch
from drill.model import FaultFacts
from drill.target import DrillError, Target


@dataclass
class Partition(FaultPlan):
    name: ClassVar[str] = "partition"
    summary: ClassVar[str] = "replication between the regions cut, both keep serving"
    watch: FailoverWatch = field(default_factory=FailoverWatch)

    def pick_region(self, target: Target, requested: str | None) -> str | None:
        if requested is not None:
            raise DrillError("--region does not apply to a partition (both regions keep serving)")
        return None

    def inject(self, target: Target, region: str | None) -> FaultFacts:
        return target.partition()

    def restore(self, target: Target, region: str | None) -> None:
        target.heal()

    def before_restore(self, run: Run) -> None:
        self.watch.read_now(run, "heal", from_read=True)

    def findings(self, run: Run, fault_time: float) -> Findings:
        return Findings(failover=self.watch.read)
