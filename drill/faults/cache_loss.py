"""`cache-loss`: one region's Redis emptied. Nothing to restore: the next `GET /bestsellers`
must rebuild the leaderboard from Orders; the drill asks the region's own API every second
and notes when the board is built again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from drill.faults.base import FaultPlan, Findings, Run, need_region
from drill.load import http_call
from drill.model import CacheFigures, FaultFacts, RequestRecord
from drill.target import Target

PROBE_EVERY_SECONDS = 1.0


@dataclass
class CacheLoss(FaultPlan):
    name: ClassVar[str] = "cache-loss"
    summary: ClassVar[str] = "the region's Redis flushed, its leaderboard rebuilt from Orders"
    figures: CacheFigures | None = None
    next_probe: float = 0.0

    def inject(self, target: Target, region: str | None) -> FaultFacts:
        facts = target.flush_cache(need_region(region))
        self.figures = CacheFigures(region=need_region(region))
        return facts

    def restore(self, target: Target, region: str | None) -> None:
        """Nothing to undo: rebuilding the board is the service's job, and what is measured."""

    def while_held(self, run: Run, now: float) -> None:
        if now >= self.next_probe:
            self.next_probe = now + PROBE_EVERY_SECONDS
            self.probe(run)

    def converging(self, run: Run) -> None:
        if self.figures is not None and self.figures.rebuilt_at is None:
            self.probe(run)

    def probe(self, run: Run) -> None:
        """Ask the flushed region for its best sellers (the route rebuilds a lost board) and
        note when the board is built again."""
        if self.figures is None or run.region is None:
            return
        started = run.clock()
        reply = http_call(run.target.regional_api(run.region), "GET", "/bestsellers")
        self.figures.probes += 1
        run.recorder.add(
            RequestRecord(
                t=started, latency=run.clock() - started, user=0, step="probe", method="GET",
                path="/bestsellers", status=reply.status, region=reply.region,
                outcome="ok" if reply.status == 200 else ("no-answer" if reply.status is None
                                                            else "error"),
                error=reply.error,
            )
        )  # fmt: skip
        if self.figures.rebuilt_at is None:
            board = run.target.board(run.region)
            if board.built and reply.status == 200:
                self.figures.rebuilt_at = run.clock()

    def findings(self, run: Run, fault_time: float) -> Findings:
        if self.figures is None:
            return Findings()
        if self.figures.rebuilt_at is not None:
            self.figures.rebuilt_seconds = round(self.figures.rebuilt_at - fault_time, 3)
            return Findings(cache=self.figures)
        run.notes.append("the flushed leaderboard was not seen rebuilt")
        return Findings(
            cache=self.figures,
            failures=[
                f"the leaderboard of {self.figures.region} was not rebuilt after the cache loss"
            ],
        )
