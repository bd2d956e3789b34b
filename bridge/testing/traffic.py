"""Traffic for the live demo: a box office that places and lifts holds in Tessitura, and an
online buyer who books seats in seats.io, one move every few seconds.

:class:`TrafficSimulator` decides each move from a seeded :class:`random.Random` and what it
has done so far (pure: :meth:`TrafficSimulator.next_move`), then performs it through an
:class:`Actions` (the fakes' HTTP APIs in the demo: :class:`HttpActions`; a recorder in tests).
``sleep`` is injected, so tests run it without waiting.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import httpx

from bridge.errors import BridgeError
from bridge.sandbox.venue import Venue
from bridge.tessitura.client import TessituraClient
from bridge.tessitura.models import ReplaceMode, SeatHoldRequest

MoveKind = Literal["hold", "lift", "book"]


@dataclass(frozen=True, slots=True)
class Move:
    """One thing the simulated world does: ``hold`` seats with ``hold_code_id``, ``lift`` the
    holds the box office placed, or ``book`` seats online in the performance's event."""

    kind: MoveKind
    performance_id: int
    seat_ids: tuple[int, ...]
    labels: tuple[str, ...]
    hold_code_id: int | None = None

    def describe(self, venue: Venue) -> str:
        perf = venue.performance(self.performance_id)
        seats = _span(self.labels)
        if self.kind == "hold":
            return f"box office: hold code {self.hold_code_id} on {seats} in performance {perf.id}"
        if self.kind == "lift":
            return f"box office: lifts the hold on {seats} in performance {perf.id}"
        return f"online buyer: books {seats} in {perf.event_key}"


class Actions(Protocol):
    """How moves reach the world; each returns False when the world refused it (a seat taken)."""

    async def hold(
        self, performance_id: int, seat_ids: Sequence[int], hold_code_id: int
    ) -> bool: ...

    async def lift(self, performance_id: int, seat_ids: Sequence[int]) -> bool: ...

    async def book(self, event_key: str, labels: Sequence[str]) -> bool: ...


#: HoldCodeId that lifts every hold from a seat (Tessitura's POST Seats/Holds).
LIFT_ALL = -1


class HttpActions:
    """Moves through the fakes' own APIs: Tessitura's POST Seats/Holds (the bridge's client) and
    seats.io's ``POST /events/{key}/actions/book`` (``seatsio``: an httpx client with the
    seats.io base URL and secret key)."""

    def __init__(self, tessitura: TessituraClient, seatsio: httpx.AsyncClient) -> None:
        self.tessitura = tessitura
        self.seatsio = seatsio

    async def hold(self, performance_id: int, seat_ids: Sequence[int], hold_code_id: int) -> bool:
        lines = [SeatHoldRequest(seat_id=s, hold_code_id=hold_code_id) for s in seat_ids]
        return bool(await self.tessitura.update_seat_holds(performance_id, lines))

    async def lift(self, performance_id: int, seat_ids: Sequence[int]) -> bool:
        lines = [SeatHoldRequest(seat_id=s, hold_code_id=LIFT_ALL) for s in seat_ids]
        await self.tessitura.update_seat_holds(
            performance_id, lines, replace_mode=ReplaceMode.REPLACE_EXISTING
        )
        return True

    async def book(self, event_key: str, labels: Sequence[str]) -> bool:
        r = await self.seatsio.post(
            f"/events/{event_key}/actions/book", json={"objects": list(labels)}
        )
        return r.is_success


#: Hold codes the box office uses, with how often (the sample venue's codes: press, house,
#: artist comps, access, not for sale).
HOLD_CODES: tuple[tuple[int, float], ...] = ((2, 4.0), (1, 2.0), (3, 1.0), (4, 1.0), (5, 1.0))
#: How often each kind of move comes, while there is something to lift.
WEIGHTS: dict[MoveKind, float] = {"hold": 4.0, "lift": 3.0, "book": 3.0}


@dataclass
class TrafficSimulator:
    venue: Venue
    actions: Actions
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    every_s: float = 3.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    #: seats per move, at most
    group: int = 4
    #: performance id -> seats the box office holds now (that it placed)
    placed: dict[int, set[int]] = field(default_factory=dict)
    #: performance id -> seats booked online (by the venue's sales, then by the buyer)
    booked: dict[int, set[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for sale in self.venue.sales:
            self.booked.setdefault(sale.performance_id, set()).add(sale.seat_id)
        self._held = {(h.performance_id, h.seat_id) for h in self.venue.holds}
        self._order = sorted(self.venue.seats, key=lambda s: s.id)

    def next_move(self) -> Move:
        """The next move, from the generator and what was done so far (no I/O)."""
        kinds: list[MoveKind] = ["hold", "book"]
        if any(self.placed.values()):
            kinds.append("lift")
        kind = self.rng.choices(kinds, weights=[WEIGHTS[k] for k in kinds])[0]
        if kind == "lift":
            pid = self.rng.choice(sorted(p for p, s in self.placed.items() if s))
            seats = sorted(self.placed[pid])
            start = self.rng.randrange(len(seats))
            return self._move("lift", pid, seats[start : start + self.group])
        perf = self.rng.choice(self.venue.performances)
        free = [s.id for s in self._order if self._free(perf.id, s.id)]
        if not free:
            return self._move(kind, perf.id, [])
        # neighbours: a run of seats in seat-id order, as people sit together
        start = self.rng.randrange(len(free))
        seats = free[start : start + self.rng.randint(1, self.group)]
        if kind == "book":
            return self._move("book", perf.id, seats)
        codes, weights = zip(*HOLD_CODES, strict=True)
        code = self.rng.choices(codes, weights=weights)[0]
        return self._move("hold", perf.id, seats, code)

    async def step(self) -> tuple[Move, bool]:
        """Decide a move and perform it; whether the world took it."""
        move = self.next_move()
        if not move.seat_ids:
            return move, False
        if move.kind == "hold":
            assert move.hold_code_id is not None
            ok = await self.actions.hold(move.performance_id, move.seat_ids, move.hold_code_id)
            if ok:
                self.placed.setdefault(move.performance_id, set()).update(move.seat_ids)
        elif move.kind == "lift":
            ok = await self.actions.lift(move.performance_id, move.seat_ids)
            if ok:
                self.placed[move.performance_id].difference_update(move.seat_ids)
        else:
            event_key = self.venue.performance(move.performance_id).event_key
            ok = await self.actions.book(event_key, move.labels)
            if ok:
                self.booked.setdefault(move.performance_id, set()).update(move.seat_ids)
        return move, ok

    async def run(
        self,
        on_move: Callable[[Move, bool], None] | None = None,
        *,
        moves: int | None = None,
    ) -> None:
        """A move every ``every_s`` until cancelled (or ``moves`` moves). A move the fakes fail
        to answer is reported as not taken; the traffic goes on."""
        done = 0
        while moves is None or done < moves:
            await self.sleep(self.every_s)
            try:
                move, ok = await self.step()
            except (BridgeError, httpx.HTTPError):
                continue
            done += 1
            if on_move is not None:
                on_move(move, ok)

    def _free(self, pid: int, seat_id: int) -> bool:
        return (
            (pid, seat_id) not in self._held
            and seat_id not in self.placed.get(pid, ())
            and seat_id not in self.booked.get(pid, ())
        )

    def _move(
        self, kind: MoveKind, pid: int, seat_ids: Sequence[int], code: int | None = None
    ) -> Move:
        labels = tuple(self.venue.seat(s).label for s in seat_ids)
        return Move(kind, pid, tuple(seat_ids), labels, code)


def _span(labels: Sequence[str]) -> str:
    if not labels:
        return "no seat"
    if len(labels) == 1:
        return labels[0]
    return f"{labels[0]} .. {labels[-1]} ({len(labels)} seats)"
