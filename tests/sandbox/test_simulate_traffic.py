"""The live demo's traffic: seeded, never touching a seat it should not, no real sleeps."""

from __future__ import annotations

import random
import tempfile
from collections.abc import Sequence
from pathlib import Path

import httpx

from bridge.config import load_config
from bridge.runtime import tessitura_client
from bridge.sandbox import SEATSIO_SECRET_KEY, Sandbox
from bridge.testing.sandbox import sandbox_config, venue
from bridge.testing.traffic import HttpActions, Move, TrafficSimulator


class Recorder:
    """Actions that only record; ``refuse`` makes every booking fail (seats taken)."""

    def __init__(self, refuse: bool = False) -> None:
        self.calls: list[tuple[str, object, tuple[object, ...]]] = []
        self.refuse = refuse

    async def hold(self, performance_id: int, seat_ids: Sequence[int], hold_code_id: int) -> bool:
        self.calls.append(("hold", performance_id, (*seat_ids, hold_code_id)))
        return True

    async def lift(self, performance_id: int, seat_ids: Sequence[int]) -> bool:
        self.calls.append(("lift", performance_id, tuple(seat_ids)))
        return True

    async def book(self, event_key: str, labels: Sequence[str]) -> bool:
        self.calls.append(("book", event_key, tuple(labels)))
        return not self.refuse


class Sleeps:
    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


def simulator(seed: int, actions: Recorder, sleep: Sleeps | None = None) -> TrafficSimulator:
    return TrafficSimulator(
        venue(), actions, rng=random.Random(seed), every_s=3.0, sleep=sleep or Sleeps()
    )


async def test_the_same_seed_makes_the_same_moves() -> None:
    a, b = Recorder(), Recorder()
    await simulator(7, a).run(moves=40)
    await simulator(7, b).run(moves=40)
    assert a.calls == b.calls
    c = Recorder()
    await simulator(8, c).run(moves=40)
    assert c.calls != a.calls


async def test_it_waits_its_interval_between_moves_through_the_injected_sleep() -> None:
    sleeps, seen = Sleeps(), []
    await simulator(1, Recorder(), sleeps).run(lambda m, ok: seen.append(m), moves=5)
    assert sleeps.asked == [3.0] * 5
    assert len(seen) == 5


async def test_holds_and_bookings_go_to_free_seats_and_lifts_only_to_its_own_holds() -> None:
    v = venue()
    held = {(h.performance_id, h.seat_id) for h in v.holds}
    sold = {(s.performance_id, s.seat_id) for s in v.sales}
    sim = simulator(3, Recorder())
    mine: set[tuple[int, int]] = set()
    booked: set[tuple[int, int]] = set()
    kinds = set()
    for _ in range(300):
        move, ok = await sim.step()
        assert ok
        kinds.add(move.kind)
        seats = {(move.performance_id, s) for s in move.seat_ids}
        assert len(move.seat_ids) == len(move.labels) <= sim.group
        if move.kind == "lift":
            assert seats <= mine
            mine -= seats
        else:
            assert not seats & (held | sold | mine | booked)
            (mine if move.kind == "hold" else booked).update(seats)
    assert kinds == {"hold", "lift", "book"}


async def test_a_refused_booking_leaves_the_seats_free_for_later_moves() -> None:
    sim = simulator(5, Recorder(refuse=True))
    for _ in range(50):
        move, ok = await sim.step()
        if move.kind == "book":
            assert not ok
    assert not any(
        sim.booked.get(p.id, set()) - {s.seat_id for s in venue().sales}
        for p in venue().performances
    )


def test_a_move_reads_as_a_sentence() -> None:
    v = venue()
    move = Move("hold", 201, (1, 2), ("Orchestra-A-1", "Orchestra-A-2"), 2)
    assert move.describe(v) == (
        "box office: hold code 2 on Orchestra-A-1 .. Orchestra-A-2 (2 seats) in performance 201"
    )


async def test_http_actions_reach_both_fakes() -> None:
    """Through the fakes' own APIs (in-process, over ASGI): a hold lands in Tessitura, a lift lifts it, a
    booking books the object in seats.io."""
    box = Sandbox()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = load_config(
            sandbox_config(Path(tmp), "http://tessitura.sandbox", "http://seatsio.sandbox")
        )
    seat = box.venue.seat_by_label("Orchestra-J-20")
    async with (
        tessitura_client(cfg, transport=httpx.ASGITransport(app=box.tessitura_app)) as tess,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=box.seatsio_app),
            base_url="http://seatsio.sandbox",
            auth=(SEATSIO_SECRET_KEY, ""),
        ) as sio,
    ):
        actions = HttpActions(tess, sio)
        assert await actions.hold(201, [seat.id], 2)
        assert box.tessitura_world.held_seats(201).get(seat.id)
        assert await actions.lift(201, [seat.id])
        assert not box.tessitura_world.held_seats(201).get(seat.id)
        assert await actions.book("perf-201", ["Orchestra-J-20"])
        assert box.seatsio_world.object_status("perf-201", "Orchestra-J-20") == "booked"
        assert not await actions.book("perf-201", ["Orchestra-J-20"])  # taken now
