"""The faults a drill can inject, by name. A fault is one module with a `FaultPlan` and one
line here; the CLI's `--fault` choices come from this table."""

from __future__ import annotations

from drill.faults.base import FaultPlan
from drill.faults.blog_primary_loss import BlogPrimaryLoss
from drill.faults.cache_loss import CacheLoss
from drill.faults.partition import Partition
from drill.faults.region_outage import RegionOutage
from drill.target import DrillError

PLANS: dict[str, type[FaultPlan]] = {
    RegionOutage.name: RegionOutage,
    Partition.name: Partition,
    CacheLoss.name: CacheLoss,
    BlogPrimaryLoss.name: BlogPrimaryLoss,
}


def plan_for(name: str) -> FaultPlan:
    """A fresh plan for one drill (a plan keeps what it saw during its drill)."""
    try:
        return PLANS[name]()
    except KeyError:
        raise DrillError(f"unknown fault {name!r} (known: {', '.join(PLANS)})") from None


__all__ = ["PLANS", "FaultPlan", "plan_for"]
