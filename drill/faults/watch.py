"""Watches more than one fault shares: the survivor's orders at the moment of failover."""

from __future__ import annotations

from dataclasses import dataclass

from drill.faults.base import FailoverRead, Run


def orders_in(run: Run, region: str) -> set[tuple[str, str]] | None:
    """The (customer, order id) keys in a region's Orders table; None (and a note) when the
    region cannot be read right now, so the caller tries again rather than aborting."""
    from bookstore.tables import ORDERS
    from drill.measure import order_keys

    try:
        return order_keys(run.target.scan(region, ORDERS))
    except Exception as exc:
        run.notes.append(f"reading the Orders of {region} failed: {type(exc).__name__}")
        return None


@dataclass
class FailoverWatch:
    """Reads the survivor's Orders once: at the first sign of failover, or when told."""

    read: FailoverRead | None = None

    def on_failover(self, run: Run) -> None:
        """Once the routing layer has acted (the failed region unhealthy or no longer
        serving), what has the survivor got of what we were told?"""
        latest = run.monitor.latest()
        fault_at = run.events.fault_at
        if (
            self.read is not None
            or run.region is None
            or run.survivor is None
            or fault_at is None
            or latest is None
            or latest.t < fault_at
            or (latest.healthy.get(run.region) is not False and latest.serving == run.region)
        ):
            return
        present = orders_in(run, run.survivor)
        if present is not None:
            self.read = FailoverRead(present, run.clock(), "detection")
            run.say(f"[{self.read.at:6.1f}s] failover detected; survivor read")

    def read_now(self, run: Run, moment: str, from_read: bool = False) -> None:
        """Read at a fixed moment (heal, restore) unless failover was already seen."""
        if self.read is not None or run.survivor is None:
            return
        present = orders_in(run, run.survivor)
        if present is not None:
            self.read = FailoverRead(present, run.clock(), moment, from_read)
