"""`blog-primary-loss`: an outage of the region whose blog database is the primary. Watches
for the failover and for the replica's promotion; counts the posts before and after."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import ClassVar

from drill.faults.base import FaultPlan, Findings, Run, need_region
from drill.faults.watch import FailoverWatch
from drill.model import BlogFigures, FaultFacts
from drill.target import BlogView, DrillError, Target


@dataclass
class BlogPrimaryLoss(FaultPlan):
    name: ClassVar[str] = "blog-primary-loss"
    summary: ClassVar[str] = "outage of the region holding the blog's primary database"
    watch: FailoverWatch = field(default_factory=FailoverWatch)
    views: dict[str, BlogView] = field(default_factory=dict)
    posts_before: set[str] | None = None
    promoted_at: float | None = None

    def check_ready(self, target: Target) -> None:
        self.views = target.blog()
        if not any(view.db_role == "primary" for view in self.views.values()):
            raise DrillError(
                "blog tier not running: the target reports no blog with a primary database"
            )

    def pick_region(self, target: Target, requested: str | None) -> str | None:
        if requested is not None:
            return requested
        return next(r for r, view in self.views.items() if view.db_role == "primary")

    def inject(self, target: Target, region: str | None) -> FaultFacts:
        return target.outage(need_region(region))

    def restore(self, target: Target, region: str | None) -> None:
        target.restore_region(need_region(region))

    def before_load(self, target: Target, region: str | None) -> None:
        if region is not None:
            self.posts_before = target.blog_posts(region)

    def while_held(self, run: Run, now: float) -> None:
        self.watch.on_failover(run)
        if self.promoted_at is None and run.survivor:
            with contextlib.suppress(Exception):
                view = run.target.blog().get(run.survivor)
                if view is not None and view.db_role == "primary":
                    self.promoted_at = run.clock()

    def findings(self, run: Run, fault_time: float) -> Findings:
        after = run.target.blog_posts(run.survivor) if run.survivor else None
        before = self.posts_before
        lost = None if before is None or after is None else len(before - after)
        blog = BlogFigures(
            primary_before=run.region,
            posts_before=None if before is None else len(before),
            posts_after=None if after is None else len(after),
            posts_lost=lost,
            promoted_seconds=None
            if self.promoted_at is None
            else round(self.promoted_at - fault_time, 3),
        )
        if lost is None:
            run.notes.append("blog posts could not be counted (the blog's REST API did not answer)")
        return Findings(
            failover=self.watch.read,
            blog=blog,
            failures=[f"{lost} blog posts lost"] if lost else [],
        )
