"""The fake Tessitura's in-memory state: seat holds in layers, sales, and the box office's verbs.

The HTTP app reads and writes through this object; tests, the demo and benchmarks use the same
methods directly (``world.sell(101, 10001)``, ``world.hold(...)``) to act as the box office.
Holds are kept per performance and seat as a list of layers, top first, each with its priority
(1 is the top). A layer with an end date lapses at that moment of the world's clock (``clock``,
injectable) and leaves its priority empty: the layers below keep theirs.

It also keeps what the box office's other users do to the API user: the rights of each user group
(Tessitura's Security application grants View/Add/Edit/Delete per REST resource; a call without
the right is 403) and seats locked by another user's pending transaction (a hold change on one is
409: ``world.lock(201, 10001)``).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from dataclasses import replace as replace_field
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Literal

from bridge.sandbox import TESSITURA_USER_GROUP
from bridge.sandbox.seatsio_clock import Clock, utc_now
from bridge.sandbox.venue import HoldCode, Performance, Seat, Venue

#: HoldCodeId that removes every hold layer from a seat (documented by Tessitura).
REMOVE_ALL_HOLDS = -1

#: What a hold line on a sold seat meets when ``OnlyAffectAvailable`` is true: ``refuse`` (the
#: default, 400 ``SeatSold`` for the whole request) or ``skip`` (the line is left out of the answer).
SoldSeatLines = Literal["refuse", "skip"]

#: A second user group the sandbox user belongs to, with no rights to any resource: every call
#: made with it authenticates and is then refused with 403.
NO_RIGHTS_USER_GROUP = "norights"

#: The REST resources the fake serves, as the Security application's Services window names them.
RESOURCES = (
    "TXN/Performances",
    "TXN/HoldCodes",
    "ReferenceData/Sections",
    "ReferenceData/SeatStatuses",
)


class Permission(StrEnum):
    """A right on a REST resource; each HTTP verb needs its own (Add for POST, View for GET)."""

    VIEW = "View"
    ADD = "Add"
    EDIT = "Edit"
    DELETE = "Delete"

    @classmethod
    def for_method(cls, method: str) -> Permission:
        return {"POST": cls.ADD, "PUT": cls.EDIT, "DELETE": cls.DELETE}.get(
            method.upper(), cls.VIEW
        )


def all_rights() -> set[tuple[str, Permission]]:
    return {(resource, p) for resource in RESOURCES for p in Permission}


class ReplaceMode(IntEnum):
    """How a new hold meets the holds a seat already carries (UpdateSeatHoldRequest.ReplaceMode)."""

    ABOVE_EXISTING = 1
    BELOW_EXISTING = 2
    IGNORE_IF_HELD = 3
    REPLACE_EXISTING = 4


class SeatStatus(IntEnum):
    """The seat statuses the sandbox reports (ids as observed on a live server)."""

    AVAILABLE = 0
    HELD = 4
    NOT_IN_ALLOCATION = 5
    BLACKED_OUT = 6
    RESERVED_UNPAID = 7
    RESERVED_PAID = 8
    TICKETED = 13


@dataclass(frozen=True, slots=True)
class HoldLayer:
    """One hold code on one seat; ``end`` is when it lapses (None: no expiry).

    ``end_ticks`` keeps what .NET keeps and Python cannot: the 100-ns ticks past ``end``'s
    microsecond (0-9), so ``.4679001`` is echoed as sent, not as ``.4679``. ``priority`` is the
    layer's place (1 is the top); a layer that went leaves a gap, so a seat may have no
    priority-1 layer and show nothing in a read without ``includeAllHolds``."""

    hold_code_id: int
    end: datetime | None = None
    end_ticks: int = 0
    priority: int = 1


@dataclass(frozen=True, slots=True)
class NonSeat:
    """A cell of the seat map that is not a seat (an aisle, a pillar): clients must skip it."""

    id: int
    section_id: int
    row: str
    x: int
    y: int


@dataclass(frozen=True, slots=True)
class HoldRequest:
    """One line of an UpdateSeatHoldRequest."""

    seat_id: int
    hold_code_id: int


@dataclass(frozen=True, slots=True)
class AppliedHold:
    """One line of the answer to an update: the hold now on the seat (-1 when all were removed)."""

    seat_id: int
    hold_code_id: int
    end: datetime | None
    end_ticks: int = 0


class HoldRequestError(ValueError):
    """An update names a seat, a hold code or a mode the venue does not know; nothing was applied."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        super().__init__("; ".join(d for _, d in problems))
        self.problems = tuple(problems)


class HoldConflictError(HoldRequestError):
    """An update touches a seat locked by another user's pending transaction (HTTP 409); nothing
    was applied."""


@dataclass
class TessituraWorld:
    """Holds and sales of every performance of one venue, mutable, seeded from the venue file."""

    venue: Venue
    holds: dict[int, dict[int, list[HoldLayer]]] = field(default_factory=dict)
    sold: dict[int, set[int]] = field(default_factory=dict)
    non_seats: tuple[NonSeat, ...] = ()
    #: Seats locked by another user's pending transaction (reserve, release or return), per
    #: performance: their holds cannot change until :meth:`unlock`.
    locked: dict[int, set[int]] = field(default_factory=dict)
    #: The rights of each user group the sandbox user belongs to (a group not listed here is not
    #: one of the user's: 401). Seeded by :meth:`from_venue` with the API group, which may do
    #: everything, and :data:`NO_RIGHTS_USER_GROUP`, which may do nothing.
    user_groups: dict[str, set[tuple[str, Permission]]] = field(default_factory=dict, repr=False)
    #: Performances the box office moved to another facility and seat map (:meth:`move`):
    #: performance id -> (facility id, seat map id); the others play in the venue's own.
    moved: dict[int, tuple[int, int]] = field(default_factory=dict)
    #: The fake's time: a layer whose end date it has reached is gone (HoldUntilDate expiry).
    clock: Clock = field(default=utc_now, repr=False)
    #: False models the other reading of expiry: the job that ends lapsed holds has not run,
    #: so a layer stays past its end date until something lifts it.
    holds_lapse: bool = True
    #: How a line on a sold seat with ``OnlyAffectAvailable`` true is met (:data:`SoldSeatLines`).
    sold_seat_lines: SoldSeatLines = "refuse"
    #: Lines of updates that put a layer on a seat sold at that moment (``OnlyAffectAvailable``
    #: false), by hold code: what a write-back must never do to a box-office sale (the chaos
    #: suite requires 0 for its code).
    sold_seat_layers: Counter[int] = field(default_factory=Counter, repr=False)
    #: Lines refused (or, with ``sold_seat_lines = "skip"``, left out) because their seat was
    #: sold and ``OnlyAffectAvailable`` true, by hold code.
    sold_seat_refusals: Counter[int] = field(default_factory=Counter, repr=False)
    #: One update, sale or read of the layers at a time: the served app and a harness acting as
    #: the box office from another thread must not interleave inside one.
    mutex: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    @classmethod
    def from_venue(cls, venue: Venue, *, clock: Clock = utc_now) -> TessituraWorld:
        world = cls(venue=venue, non_seats=_aisles(venue), clock=clock)
        world.user_groups = {TESSITURA_USER_GROUP: all_rights(), NO_RIGHTS_USER_GROUP: set()}
        for p in venue.performances:
            world.holds[p.id] = {}
            world.sold[p.id] = set()
            world.locked[p.id] = set()
        for h in sorted(venue.holds, key=lambda h: h.priority):
            layers = world.holds[h.performance_id].setdefault(h.seat_id, [])
            layers.append(HoldLayer(h.hold_code_id, priority=len(layers) + 1))
        for s in venue.sales:
            world.sold[s.performance_id].add(s.seat_id)
        return world

    # -- lookups -----------------------------------------------------------------------------

    def performance(self, performance_id: int) -> Performance | None:
        return next((p for p in self.venue.performances if p.id == performance_id), None)

    def hold_code(self, hold_code_id: int) -> HoldCode | None:
        return next((c for c in self.venue.hold_codes if c.id == hold_code_id), None)

    def seat(self, seat_id: int) -> Seat | None:
        try:
            return self.venue.seat(seat_id)
        except KeyError:
            return None

    def facility(self, performance_id: int) -> tuple[int, int]:
        """(facility id, seat map id) the performance plays in: the venue's unless moved."""
        return self.moved.get(performance_id, (self.venue.facility_id, self.venue.seat_map_id))

    def seat_maps(self) -> set[int]:
        """Every seat map a performance plays on (each has the venue's sections and seats)."""
        return {self.venue.seat_map_id} | {m for _, m in self.moved.values()}

    def layers(self, performance_id: int, seat_id: int) -> tuple[HoldLayer, ...]:
        """The live hold layers of one seat, top (priority 1) first."""
        with self.mutex:
            layers = self.holds[performance_id].get(seat_id)
            if not layers:
                return ()
            self._lapse(layers)
            return tuple(layers)

    def held_seats(self, performance_id: int) -> dict[int, tuple[HoldLayer, ...]]:
        """Every seat with a live layer, and its layers top first."""
        out: dict[int, tuple[HoldLayer, ...]] = {}
        with self.mutex:
            for sid, layers in self.holds[performance_id].items():
                self._lapse(layers)
                if layers:
                    out[sid] = tuple(layers)
        return out

    def _lapse(self, layers: list[HoldLayer]) -> None:
        """Drop the layers whose end date the clock has reached; the rest keep their priority."""
        if not self.holds_lapse or all(layer.end is None for layer in layers):
            return
        now = self.clock()
        layers[:] = [layer for layer in layers if layer.end is None or layer.end > now]

    def is_sold(self, performance_id: int, seat_id: int) -> bool:
        return seat_id in self.sold[performance_id]

    def is_locked(self, performance_id: int, seat_id: int) -> bool:
        return seat_id in self.locked[performance_id]

    def may(self, user_group: str, resource: str, permission: Permission) -> bool:
        return (resource, permission) in self.user_groups.get(user_group, set())

    # -- the security application ------------------------------------------------------------

    def grant(self, user_group: str, resource: str, *permissions: Permission) -> None:
        """Give a user group rights on a resource (every right when none is named)."""
        rights = self.user_groups.setdefault(user_group, set())
        rights.update((resource, p) for p in permissions or tuple(Permission))

    def revoke(
        self, user_group: str, resource: str | None = None, *permissions: Permission
    ) -> None:
        """Take rights away: every right on ``resource`` unless some are named; every right on
        every resource when no resource is named. The group stays one of the user's."""
        rights = self.user_groups.setdefault(user_group, set())
        for res, p in list(rights):
            if resource in (None, res) and (not permissions or p in permissions):
                rights.discard((res, p))

    def status(self, performance_id: int, seat_id: int) -> SeatStatus:
        """Ticketed beats any hold; otherwise the top hold decides held or blacked out."""
        if self.is_sold(performance_id, seat_id):
            return SeatStatus.TICKETED
        layers = self.layers(performance_id, seat_id)
        if not layers:
            return SeatStatus.AVAILABLE
        code = self.hold_code(layers[0].hold_code_id)
        return SeatStatus.BLACKED_OUT if code and code.blackout else SeatStatus.HELD

    # -- the box office ----------------------------------------------------------------------

    def sell(self, performance_id: int, *seat_ids: int) -> None:
        """Ticket seats, as a sale at the box office would; holds stay where they are."""
        self._check_performance(performance_id)
        for sid in seat_ids:
            self._check_seat(sid)
        with self.mutex:
            self.sold[performance_id].update(seat_ids)

    def sell_open(self, performance_id: int, *seat_ids: int) -> tuple[int, ...]:
        """Ticket the seats that carry no hold, as a box-office user without hold rights can;
        returns the seats refused because a hold is on them (nothing is sold then)."""
        self._check_performance(performance_id)
        held = tuple(s for s in seat_ids if self.layers(performance_id, s))
        if not held:
            self.sell(performance_id, *seat_ids)
        return held

    def refund(self, performance_id: int, *seat_ids: int) -> None:
        """Return seats to inventory."""
        self._check_performance(performance_id)
        self.sold[performance_id].difference_update(seat_ids)

    def move(self, performance_id: int, facility_id: int, seat_map_id: int) -> None:
        """Move a performance to another facility and seat map, as a facility change in
        Tessitura does. The new seat map has the same seat ids as the venue's (the overlap a
        kept seat map cannot tell apart); holds and sales stay on their seat ids."""
        self._check_performance(performance_id)
        self.moved[performance_id] = (facility_id, seat_map_id)

    def lock(self, performance_id: int, *seat_ids: int) -> None:
        """Lock seats as another user's pending transaction does (a seat in someone's order)."""
        self._check_performance(performance_id)
        for sid in seat_ids:
            self._check_seat(sid)
        self.locked[performance_id].update(seat_ids)

    def unlock(self, performance_id: int, *seat_ids: int) -> None:
        """End the pending transaction on the seats (all of them when none are named)."""
        self._check_performance(performance_id)
        if seat_ids:
            self.locked[performance_id].difference_update(seat_ids)
        else:
            self.locked[performance_id].clear()

    def hold(
        self,
        performance_id: int,
        seat_ids: Iterable[int],
        hold_code_id: int,
        *,
        mode: ReplaceMode = ReplaceMode.ABOVE_EXISTING,
        until: datetime | None = None,
        only_available: bool = True,
    ) -> list[AppliedHold]:
        """Put one hold code on many seats (a shortcut for :meth:`update`)."""
        lines = [HoldRequest(sid, hold_code_id) for sid in seat_ids]
        return self.update(
            performance_id, lines, mode=mode, until=until, only_available=only_available
        )

    def unhold(self, performance_id: int, seat_ids: Iterable[int], hold_code_id: int) -> None:
        """Take one hold code off seats, as the box office's own client does (the REST API can
        only lift every layer, ``-1``); the layers below keep their priorities, as after a lapse.
        A locked seat raises :class:`HoldConflictError` and nothing changes."""
        self._check_performance(performance_id)
        seats = list(seat_ids)
        with self.mutex:
            locked = [sid for sid in seats if self.is_locked(performance_id, sid)]
            if locked:
                raise HoldConflictError(
                    [
                        ("SeatLocked", f"Seat {sid} is locked by a pending transaction")
                        for sid in locked
                    ]
                )
            for sid in seats:
                layers = self.holds[performance_id].get(sid)
                if layers:
                    layers[:] = [la for la in layers if la.hold_code_id != hold_code_id]

    def release(self, performance_id: int, seat_ids: Iterable[int]) -> list[AppliedHold]:
        """Lift every hold from the seats."""
        lines = [HoldRequest(sid, REMOVE_ALL_HOLDS) for sid in seat_ids]
        return self.update(performance_id, lines)

    def update(
        self,
        performance_id: int,
        lines: Sequence[HoldRequest],
        *,
        mode: int = ReplaceMode.ABOVE_EXISTING,
        until: datetime | None = None,
        only_available: bool = True,
        until_ticks: int = 0,
    ) -> list[AppliedHold]:
        """Apply an UpdateSeatHoldRequest: all lines are checked first, then applied in order.

        A request naming an unknown seat, code or mode, or (``only_available`` set, the default
        :attr:`sold_seat_lines`) putting a hold on a sold seat, raises :class:`HoldRequestError`
        (400); one naming a locked seat raises :class:`HoldConflictError` (409). Either way
        nothing changes. A line is skipped (and absent from the answer) when ``mode`` is "ignore
        if already held" and the seat has a live layer, or, with ``sold_seat_lines = "skip"``,
        when the seat is sold. ``-1`` lifts every layer, sold seat or not. A layer whose
        ``until`` has passed is applied and lapses at once (the answer still lists it).
        """
        with self.mutex:
            return self._update(performance_id, lines, mode, until, only_available, until_ticks)

    def _update(
        self,
        performance_id: int,
        lines: Sequence[HoldRequest],
        mode: int,
        until: datetime | None,
        only_available: bool,
        until_ticks: int,
    ) -> list[AppliedHold]:
        self._check_performance(performance_id)
        problems: list[tuple[str, str]] = []
        if mode not in set(ReplaceMode):
            problems.append(("InvalidReplaceMode", f"ReplaceMode {mode} is not 1, 2, 3 or 4"))
        for line in lines:
            if self.seat(line.seat_id) is None:
                problems.append(
                    ("InvalidSeat", f"Seat {line.seat_id} is not a seat of this performance")
                )
            if line.hold_code_id != REMOVE_ALL_HOLDS and self.hold_code(line.hold_code_id) is None:
                problems.append(
                    ("InvalidHoldCode", f"Hold code {line.hold_code_id} does not exist")
                )
        if only_available and self.sold_seat_lines == "refuse":
            sold = dict.fromkeys(
                line.seat_id
                for line in lines
                if line.hold_code_id != REMOVE_ALL_HOLDS
                and self.seat(line.seat_id) is not None
                and self.is_sold(performance_id, line.seat_id)
            )
            problems.extend(
                (
                    "SeatSold",
                    f"Seat {seat_id} is sold in performance {performance_id}; "
                    "OnlyAffectAvailable is true",
                )
                for seat_id in sold
            )
            self.sold_seat_refusals.update(
                line.hold_code_id
                for line in lines
                if line.seat_id in sold and line.hold_code_id != REMOVE_ALL_HOLDS
            )
        if problems:
            raise HoldRequestError(problems)
        conflicts = [
            (
                "SeatLocked",
                f"Seat {seat_id} is locked by a pending transaction of another user "
                f"in performance {performance_id}",
            )
            for seat_id in dict.fromkeys(line.seat_id for line in lines)
            if self.is_locked(performance_id, seat_id)
        ]
        if conflicts:
            raise HoldConflictError(conflicts)
        replace = ReplaceMode(mode)
        applied: list[AppliedHold] = []
        seats = self.holds[performance_id]
        for line in lines:
            layers = seats.setdefault(line.seat_id, [])
            self._lapse(layers)
            if line.hold_code_id == REMOVE_ALL_HOLDS:
                layers.clear()
                applied.append(AppliedHold(line.seat_id, REMOVE_ALL_HOLDS, None))
                continue
            if self.is_sold(performance_id, line.seat_id):
                if only_available:
                    self.sold_seat_refusals[line.hold_code_id] += 1
                    continue
                if replace is not ReplaceMode.IGNORE_IF_HELD or not layers:
                    self.sold_seat_layers[line.hold_code_id] += 1
            if replace is ReplaceMode.IGNORE_IF_HELD and layers:
                continue
            ticks = until_ticks if until is not None else 0
            new = HoldLayer(line.hold_code_id, until, ticks)
            others = [layer for layer in layers if layer.hold_code_id != line.hold_code_id]
            if replace is ReplaceMode.REPLACE_EXISTING:
                layers[:] = [new]
            elif replace is ReplaceMode.BELOW_EXISTING:
                lowest = max((layer.priority for layer in others), default=0)
                layers[:] = [*others, replace_field(new, priority=lowest + 1)]
            else:
                pushed = [replace_field(layer, priority=layer.priority + 1) for layer in others]
                layers[:] = [new, *pushed]
            applied.append(AppliedHold(line.seat_id, line.hold_code_id, until, ticks))
        return applied

    # -- checks ------------------------------------------------------------------------------

    def _check_performance(self, performance_id: int) -> None:
        if performance_id not in self.holds:
            raise KeyError(f"no performance {performance_id}")

    def _check_seat(self, seat_id: int) -> None:
        if self.seat(seat_id) is None:
            raise KeyError(f"no seat {seat_id}")


def _aisles(venue: Venue) -> tuple[NonSeat, ...]:
    """Two aisle cells per section, in its first row, with ids after the last seat."""
    next_id = max((s.id for s in venue.seats), default=0) + 1
    cells: list[NonSeat] = []
    for section in venue.sections:
        first = next((s for s in venue.seats if s.section_id == section.id), None)
        if first is None:
            continue
        width = max(s.x for s in venue.seats if s.section_id == section.id)
        for x in (0, width + 1):
            cells.append(NonSeat(next_id, section.id, first.row, x, first.y))
            next_id += 1
    return tuple(cells)
