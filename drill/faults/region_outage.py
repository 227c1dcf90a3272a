"""`region-outage`: the serving region taken out (sandbox: every process frozen; aws: the
fence), held, restored. Watches for the failover to read what the survivor has."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from drill.faults.base import FaultPlan, Findings, Run, need_region
from drill.faults.watch import FailoverWatch
from drill.model import FaultFacts
from drill.target import Target


@dataclass
class RegionOutage(FaultPlan):
    name: ClassVar[str] = "region-outage"
    summary: ClassVar[str] = "the region out (sandbox: its processes frozen, aws: the fence)"
    watch: FailoverWatch = field(default_factory=FailoverWatch)

    def inject(self, target: Target, region: str | None) -> FaultFacts:
        return target.outage(need_region(region))

    def restore(self, target: Target, region: str | None) -> None:
        target.restore_region(need_region(region))

    def while_held(self, run: Run, now: float) -> None:
        self.watch.on_failover(run)

    def before_restore(self, run: Run) -> None:
        # Without a failover seen, the survivor's orders at the restore are the exposure.
        self.watch.read_now(run, "restore (no detection seen)")

    def findings(self, run: Run, fault_time: float) -> Findings:
        return Findings(failover=self.watch.read)
