"""Which Tessitura seat map each performance's hold seat ids belong to, kept in the store.

Holds name seat ids; only ``GET TXN/Performances/{id}`` says which seat map (and so which seat
table) they belong to. Reading it on every run doubled a pass's Tessitura reads, so the answer is
kept in the store (one note for the venue, read once per pass, written only when it changed) and
shared by every process: a pass costs one hold read per performance.

A kept seat map is never trusted blindly. It is read again after ``max_age_s`` (the runtime
caps it at one discovery cycle), and at once when a hold names a seat id the kept seat map's table
does not have (the performance moved to another seat map, or the table lost the seat): the fresh
answer decides, and a seat still unknown then is reported by the planner as unmapped, as before.

A facility change can move a performance to a seat map whose seat ids overlap the old one's: no
hold then looks out of place, and the kept seat map would hold the wrong seats. So discovery's
search, which names each performance's facility at no extra read, is checked against the facility
kept with the seat map (:meth:`SeatMapCache.notice`): the same facility vouches for the kept seat
map (its age starts again, but never past ``backstop_s`` since it was last read: the search names
no seat map, so one swapped inside a facility is caught then), another one expires it in the
store, for every process, and the next run reads the performance again. A seat map read that differs from the kept one is logged and
reported once (:meth:`SeatMapCache.changes`, a ``seat_map_changed`` finding). Until the new seat
map is read, nothing is planned for the performance from a seat map it may have left: a failed
read is a hold-read error, which releases nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog

from bridge.clock import SYSTEM, Clock
from bridge.domain import HoldSnapshot
from bridge.store.base import Notes
from bridge.tessitura.client import TessituraClient, snapshot_of
from bridge.tessitura.models import PerformanceSearchResult

log = structlog.get_logger("seatbridge.reconcile")

#: The store note that keeps the seat maps:
#: {"performance id": [seat map id, "read at", facility id or null]} (older notes: no facility).
NOTE_KEY = "tessitura.seat_maps"

#: When an expired entry says it was read: older than any age, so every process reads again.
EXPIRED = datetime(1970, 1, 1, tzinfo=UTC)

#: The seat ids of a seat map's table, or None when there is no table for that seat map.
KnownSeats = Callable[[int], Collection[int] | None]


@dataclass
class SeatMapCache:
    """Performance id -> seat map id, with when it was read; see the module docstring.

    When a seat map was read is ``clock``'s wall time: the store keeps it for every process."""

    max_age_s: float = 86_400.0
    clock: Clock = SYSTEM
    #: the longest a seat map is kept since it was last read, whatever vouches for it since
    backstop_s: float = 86_400.0
    #: performance id -> (seat map, read or vouched at, facility, read at)
    _kept: dict[int, tuple[int, datetime, int | None, datetime]] = field(default_factory=dict)
    _loaded: bool = False
    _changed: bool = False
    #: performance id -> (kept seat map, seat map read since), until :meth:`changes` takes it
    _moved: dict[int, tuple[int, int]] = field(default_factory=dict)

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
            kept = {int(pid): _entry(value) for pid, value in raw.items()}
        except (ValueError, TypeError, AttributeError) as exc:
            log.warning("kept seat maps unreadable; reading each again", error=str(exc))
            return
        for pid, entry in kept.items():
            self._kept.setdefault(pid, entry)

    def save(self, store: Notes) -> None:
        """Write the seat maps back if a run read any."""
        if not self._changed:
            return
        value = {
            str(pid): [m, at.isoformat(), facility, read_at.isoformat()]
            for pid, (m, at, facility, read_at) in sorted(self._kept.items())
        }
        store.put_note(NOTE_KEY, json.dumps(value, separators=(",", ":")))
        self._changed = False

    def notice(self, found: Iterable[PerformanceSearchResult]) -> list[int]:
        """Check kept seat maps against what discovery's search says of each performance's
        facility (and seat map, should the answer name one); the performances whose kept seat map
        was expired because it may no longer be theirs. A match vouches for the kept entry."""
        expired: list[int] = []
        now = self.clock.now()
        for p in found:
            kept = self._kept.get(p.performance_id)
            if kept is None or p.facility is None:
                continue
            seat_map, at, facility, read_at = kept
            named = p.facility.seat_map.id if p.facility.seat_map is not None else None
            if (named is not None and named != seat_map) or (
                facility is not None and p.facility.id != facility
            ):
                if at != EXPIRED:
                    log.warning(
                        "performance moved to another facility; its seat map is read again",
                        performance=p.performance_id,
                        kept_facility=facility,
                        facility=p.facility.id,
                        kept_seat_map=seat_map,
                    )
                    self._kept[p.performance_id] = (seat_map, EXPIRED, facility, read_at)
                    self._changed = True
                expired.append(p.performance_id)
            elif facility is not None and at != EXPIRED:
                self._kept[p.performance_id] = (seat_map, now, facility, read_at)
                self._changed = True
        return expired

    def changes(self, performance_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
        """Performances whose seat map was found changed since the last call: id -> (the kept
        seat map, the one read now). Each change is given once."""
        return {pid: self._moved.pop(pid) for pid in performance_ids if pid in self._moved}

    async def snapshot(
        self, tessitura: TessituraClient, performance_id: int, known_seats: KnownSeats
    ) -> HoldSnapshot:
        """The performance's holds with their seat map: one hold read when the seat map is kept,
        fresh and its table has every held seat; else the performance is read as well."""
        kept = self._kept.get(performance_id)
        now = self.clock.now()
        fresh = (
            kept is not None
            and now - kept[1] <= timedelta(seconds=self.max_age_s)
            and now - kept[3] <= timedelta(seconds=self.backstop_s)  # vouched or not
        )
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
        seat_map, facility = await tessitura.seat_map_and_facility(performance_id)
        kept = self._kept.get(performance_id)
        if kept is not None and kept[0] != seat_map:
            log.warning(
                "performance moved to another seat map",
                performance=performance_id,
                kept_seat_map=kept[0],
                seat_map=seat_map,
            )
            self._moved[performance_id] = (kept[0], seat_map)
        now = self.clock.now()
        self._kept[performance_id] = (seat_map, now, facility, now)
        self._changed = True
        return seat_map


def _entry(value: object) -> tuple[int, datetime, int | None, datetime]:
    """One kept entry as the note has it: [seat map, read at], [seat map, read at, facility] or
    [seat map, read or vouched at, facility, read at] (older notes: read when last vouched)."""
    if not isinstance(value, list) or len(value) not in (2, 3, 4):
        raise ValueError(f"not a kept seat map: {value!r}")
    seat_map, at, *rest = value
    facility = rest[0] if rest else None
    read_at = rest[1] if len(rest) > 1 else at
    if (
        not isinstance(seat_map, int)
        or not isinstance(at, str)
        or not isinstance(read_at, str)
        or (facility is not None and not isinstance(facility, int))
    ):
        raise ValueError(f"not a kept seat map: {value!r}")
    return seat_map, datetime.fromisoformat(at), facility, datetime.fromisoformat(read_at)
