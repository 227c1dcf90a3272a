"""The failback gate: a region that was away takes no new traffic until it has caught up with
what the other region took meanwhile.

Run by every health check (Route 53's, or the sandbox front door's), so it needs no timer:

1. A region knows it was away. Each health check that finds the region able to serve records
   the time in the region's own Redis, which is not replicated. A check that finds the last
   record older than the away threshold (set from the health checks' interval and failure
   threshold, so that any outage that can have moved traffic is longer) starts a catch-up:
   it writes a probe with a fresh token into the replicated tables.
2. The other region answers. Its health checks read the probes in their local tables and
   answer each new one with an acknowledgement in every table the shoppers read after a
   write. Those replicate in order behind what that region took before answering.
3. The region opens when every acknowledgement of its probe has arrived in its own tables;
   until then its health check answers 503, so the health checks keep traffic away.

See docs/failback.md for what this guarantees and what it does not.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from bookstore.data.markers import Markers, Probe


class MarkerRepository(Protocol):
    def read(self) -> Markers: ...

    def put_probe(self, probe: Probe) -> None: ...

    def delete_probe(self, probe: Probe) -> bool: ...

    def acknowledge(self, probe: Probe, by_region: str) -> None: ...

    def missing_acks(self, probe: Probe) -> list[str]: ...


@dataclass(frozen=True)
class GateState:
    """What one health check learnt. `present_at`: the time to record as last seen serving
    (None when the region is not serving, so that the time counts as away)."""

    catching_up: bool
    detail: str
    present_at: float | None = None
    answered: tuple[str, ...] = ()
    started: Probe | None = None
    caught_up: Probe | None = None


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _new_token() -> str:
    return uuid.uuid4().hex


class FailbackGate:
    def __init__(
        self,
        region: str,
        away_seconds: float,
        markers: MarkerRepository,
        clock: Callable[[], float] = time.time,
        new_token: Callable[[], str] = _new_token,
    ) -> None:
        self._region = region
        self._away = away_seconds
        self._markers = markers
        # Wall-clock time: the record is shared by every execution environment of the region.
        self._clock = clock
        self._new_token = new_token

    def check(self, last_seen: float | None, serving: bool = True) -> GateState:
        """One health check's part. `last_seen`: the recorded time, None when there is none
        or Redis cannot be read (then the region is taken as not away: see docs/failback.md).
        `serving` False (a fenced region) answers the others' probes but neither records
        presence nor opens. DynamoDB errors propagate: the health check reports them."""
        now = self._clock()
        markers = self._markers.read()
        answered = self._answer(markers)
        if not serving:
            return GateState(False, "not serving", None, answered)
        probe = markers.probes.get(self._region)
        away = last_seen is not None and now - last_seen > self._away
        # A probe whose `since` is this same record belongs to this absence already (another
        # check started it, or recording the time failed): starting again would only move
        # the goal the other region is answering.
        started = None
        if away and last_seen is not None and (probe is None or probe.since < last_seen):
            probe = started = Probe(self._region, self._new_token(), last_seen)
            self._markers.put_probe(probe)
        if probe is None:
            return GateState(False, "open", now, answered)
        missing = self._markers.missing_acks(probe)
        if missing:
            waiting = ", ".join(missing)
            detail = (
                f"catching-up: away since {_iso(probe.since)}; waiting for the other region's"
                f" acknowledgement to replicate into {waiting}"
            )
            return GateState(True, detail, now, answered, started=started)
        if not self._markers.delete_probe(probe):
            # A newer catch-up replaced this one between the read and now.
            detail = "catching-up: a newer catch-up started"
            return GateState(True, detail, now, answered, started=started)
        return GateState(False, "open (caught up)", now, answered, started, caught_up=probe)

    def _answer(self, markers: Markers) -> tuple[str, ...]:
        """Acknowledges the other regions' probes not yet answered from here."""
        answered = []
        for region, probe in sorted(markers.probes.items()):
            if region != self._region and markers.cart_acks.get(region) != probe.token:
                self._markers.acknowledge(probe, self._region)
                answered.append(region)
        return tuple(answered)
