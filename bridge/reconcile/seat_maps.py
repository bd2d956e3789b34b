"""Which Tessitura seat map each performance's hold seat ids belong to, kept in the store.

Holds name seat ids; only ``GET TXN/Performances/{id}`` says which seat map (and so which seat
table) they belong to. Reading it on every run doubled a pass's Tessitura reads, so the answer is
kept in the store (one note for the venue, read once per pass, written only when it changed) and
shared by every process: a pass costs one hold read per performance.

A kept seat map is never trusted blindly. It is read again after ``max_age_s``, and at once when
a hold names a seat id the kept seat map's table does not have (the performance moved to another
seat map, or the table lost the seat): the fresh answer decides, and a seat still unknown then is
reported by the planner as unmapped, as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog

from bridge.clock import SYSTEM, Clock
from bridge.domain import HoldSnapshot
from bridge.store.base import Notes
from bridge.tessitura.client import TessituraClient, snapshot_of

log = structlog.get_logger("seatbridge.reconcile")

#: The store note that keeps the seat maps: {"performance id": [seat map id, "read at"]}.
NOTE_KEY = "tessitura.seat_maps"

#: The seat ids of a seat map's table, or None when there is no table for that seat map.
KnownSeats = Callable[[int], Collection[int] | None]


@dataclass
class SeatMapCache:
    """Performance id -> seat map id, with when it was read; see the module docstring.

    When a seat map was read is ``clock``'s wall time: the store keeps it for every process."""

    max_age_s: float = 86_400.0
    clock: Clock = SYSTEM
    _kept: dict[int, tuple[int, datetime]] = field(default_factory=dict)
    _loaded: bool = False
    _changed: bool = False

    def load(self, store: Notes) -> None:
        """Take what the store keeps, once; a broken note is ignored (each seat map is read)."""
        if self._loaded:
            return
        self._loaded = True
        notes = [n for n in store.notes(NOTE_KEY) if n.key == NOTE_KEY]
        if not notes:
            return
        try:
            raw = json.loads(notes[0].value)
            kept = {
                int(pid): (int(seat_map), datetime.fromisoformat(at))
                for pid, (seat_map, at) in raw.items()
            }
        except (ValueError, TypeError, AttributeError) as exc:
            log.warning("kept seat maps unreadable; reading each again", error=str(exc))
            return
        for pid, entry in kept.items():
            self._kept.setdefault(pid, entry)

    def save(self, store: Notes) -> None:
        """Write the seat maps back if a run read any."""
        if not self._changed:
            return
        value = {str(pid): [m, at.isoformat()] for pid, (m, at) in sorted(self._kept.items())}
        store.put_note(NOTE_KEY, json.dumps(value, separators=(",", ":")))
        self._changed = False

    async def snapshot(
        self, tessitura: TessituraClient, performance_id: int, known_seats: KnownSeats
    ) -> HoldSnapshot:
        """The performance's holds with their seat map: one hold read when the seat map is kept,
        fresh and its table has every held seat; else the performance is read as well."""
        kept = self._kept.get(performance_id)
        fresh = kept is not None and self.clock.now() - kept[1] <= timedelta(seconds=self.max_age_s)
        seat_map = (
            kept[0] if kept is not None and fresh else await self._read(tessitura, performance_id)
        )
        holds = await tessitura.seat_holds(performance_id, include_all_holds=True)
        if fresh:
            seats = known_seats(seat_map)
            if seats is None or any(h.seat_id not in seats for h in holds):
                log.info("kept seat map does not cover the holds", performance=performance_id)
                seat_map = await self._read(tessitura, performance_id)
        return snapshot_of(performance_id, seat_map, holds, clock=self.clock)

    async def _read(self, tessitura: TessituraClient, performance_id: int) -> int:
        seat_map = await tessitura.seat_map_id(performance_id)
        self._kept[performance_id] = (seat_map, self.clock.now())
        self._changed = True
        return seat_map
