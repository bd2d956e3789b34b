"""The fake Tessitura's hold layers under any sequence of box-office and API moves: what a
write-back bridge relies on (issue 26), checked as properties of the world and over HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from tessitura_fixtures import TODAY, app_fixture, http_fixture, world_fixture  # noqa: F401

from bridge.sandbox import tessitura_payloads as payloads
from bridge.sandbox.seatsio_clock import ManualClock
from bridge.sandbox.tessitura_world import (
    REMOVE_ALL_HOLDS,
    HoldRequest,
    HoldRequestError,
    SeatStatus,
    TessituraWorld,
)
from bridge.sandbox.venue import Venue, load_venue

GALA = 201
HOUSE, PRESS, ARTIST = 1, 2, 3
NOON = datetime.combine(TODAY, time(12), tzinfo=UTC)
XML = {"Accept": "application/xml"}
XML_BODY = {"Content-Type": "application/xml", **XML}


@cache
def venue() -> Venue:
    return load_venue(today=TODAY)


def seat_id(label: str) -> int:
    return venue().seat_by_label(label).id


#: Two seats seeded with layers (A-5: house over press; A-1: house), a free one, a sold one.
SEATS = [seat_id(label) for label in ("Orchestra-A-5", "Orchestra-A-1", "Orchestra-C-1")]
SOLD = seat_id("Orchestra-G-10")
POOL = [*SEATS, SOLD]


# -- moves --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Update:
    lines: tuple[tuple[int, int], ...]
    mode: int
    only_available: bool
    #: minutes from the clock's now to HoldUntilDate (None: no expiry); negative is past
    until: int | None


@dataclass(frozen=True)
class Advance:
    minutes: int


@dataclass(frozen=True)
class Sale:
    seat_id: int
    refund: bool


updates = st.builds(
    Update,
    lines=st.lists(
        st.tuples(st.sampled_from(POOL), st.sampled_from([HOUSE, PRESS, ARTIST, REMOVE_ALL_HOLDS])),
        min_size=1,
        max_size=4,
    ).map(tuple),
    mode=st.integers(1, 4),
    only_available=st.booleans(),
    until=st.none() | st.integers(-30, 120),
)
moves = st.lists(
    st.one_of(
        updates,
        st.builds(Advance, st.integers(0, 90)),
        st.builds(Sale, st.sampled_from(POOL), st.booleans()),
    ),
    max_size=12,
)
sold_seat_lines = st.sampled_from(["refuse", "skip"])


def snapshot(world: TessituraWorld) -> dict[int, list[int]]:
    return {s: [layer.hold_code_id for layer in world.layers(GALA, s)] for s in POOL}


def apply(world: TessituraWorld, clock: ManualClock, move: Any) -> None:
    """Apply one move and check what it may and may not have done to the layers."""
    if isinstance(move, Advance):
        clock.advance(timedelta(minutes=move.minutes))
        return
    if isinstance(move, Sale):
        (world.refund if move.refund else world.sell)(GALA, move.seat_id)
        return
    before = snapshot(world)
    sold = {s for s in POOL if world.is_sold(GALA, s)}
    until = None if move.until is None else clock() + timedelta(minutes=move.until)
    lines = [HoldRequest(s, c) for s, c in move.lines]
    try:
        world.update(GALA, lines, mode=move.mode, only_available=move.only_available, until=until)
    except HoldRequestError as refused:
        assert move.only_available and world.sold_seat_lines == "refuse"
        assert {c for c, _ in refused.problems} == {"SeatSold"}
        assert snapshot(world) == before  # refused whole: nothing applied
        return
    after = snapshot(world)
    lifted = {s for s, c in move.lines if c == REMOVE_ALL_HOLDS}
    last: dict[int, int] = {s: c for s, c in move.lines}
    for s in POOL:
        if last.get(s) == REMOVE_ALL_HOLDS:
            assert after[s] == [], "-1 leaves no layer"
        if s in lifted:
            continue
        if move.mode == 3 and before[s]:
            assert after[s] == before[s], "mode 3 never changes a held seat"
        if move.only_available and s in sold:
            assert after[s] == before[s], "OnlyAffectAvailable never touches a sold seat"


def check_layers(world: TessituraWorld, now: datetime) -> None:
    every = payloads.seat_hold_details(
        world, GALA, seat_ids=set(POOL), hold_code_ids=None, include_all=True
    )
    top = payloads.seat_hold_details(
        world, GALA, seat_ids=set(POOL), hold_code_ids=None, include_all=False
    )
    for s in POOL:
        rows = [r for r in every if r["SeatId"] == s]
        priorities = [r["Priority"] for r in rows]
        assert priorities == sorted(set(priorities)), "priorities unique, top first"
        assert all(p >= 1 for p in priorities)
        codes = [r["HoldCodeDetail"]["Id"] for r in rows]
        assert len(set(codes)) == len(codes), "a seat carries a code once"
        shown = [r for r in top if r["SeatId"] == s]
        assert shown == [r for r in rows if r["Priority"] == 1], "without the flag: priority 1"
        for layer in world.layers(GALA, s):
            assert layer.end is None or layer.end > now, "a lapsed layer is gone"
        expected = SeatStatus.TICKETED if world.is_sold(GALA, s) else None
        if expected is None and not rows:
            expected = SeatStatus.AVAILABLE
        if expected is not None:
            assert world.status(GALA, s) is expected


@settings(max_examples=150, deadline=None)
@given(moves=moves, sold_lines=sold_seat_lines)
def test_any_sequence_of_moves_keeps_the_layer_model(moves: list[Any], sold_lines: str) -> None:
    clock = ManualClock(NOON)
    world = TessituraWorld.from_venue(venue(), clock=clock)
    world.sold_seat_lines = sold_lines  # type: ignore[assignment]
    check_layers(world, clock())
    for move in moves:
        apply(world, clock, move)
        check_layers(world, clock())


@settings(max_examples=50, deadline=None)
@given(minutes=st.integers(1, 600))
def test_a_layer_lives_until_its_end_date_and_not_a_tick_longer(minutes: int) -> None:
    clock = ManualClock(NOON)
    world = TessituraWorld.from_venue(venue(), clock=clock)
    a5 = SEATS[0]
    world.hold(GALA, [a5], ARTIST, mode=2, until=clock() + timedelta(minutes=minutes))
    clock.advance(timedelta(minutes=minutes) - timedelta(microseconds=1))
    assert [layer.hold_code_id for layer in world.layers(GALA, a5)] == [HOUSE, PRESS, ARTIST]
    clock.advance(timedelta(microseconds=1))
    assert [layer.hold_code_id for layer in world.layers(GALA, a5)] == [HOUSE, PRESS]


def test_holds_lapse_false_keeps_a_layer_past_its_end_date() -> None:
    clock = ManualClock(NOON)
    world = TessituraWorld.from_venue(venue(), clock=clock)
    world.holds_lapse = False  # the other reading: the expiry job has not run yet
    c1 = SEATS[2]
    world.hold(GALA, [c1], PRESS, until=clock() + timedelta(minutes=5))
    clock.advance(3600)
    assert [layer.hold_code_id for layer in world.layers(GALA, c1)] == [PRESS]


# -- over HTTP ----------------------------------------------------------------------------------


async def update(http: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await http.post(f"TXN/Performances/{GALA}/Seats/Holds", json=body)


async def holds(http: httpx.AsyncClient, *seats: int, every: bool = True) -> list[Any]:
    params = {"seatIds": ",".join(map(str, seats)), "includeAllHolds": str(every).lower()}
    r = await http.get(f"TXN/Performances/{GALA}/Seats/Holds", params=params)
    assert r.status_code == 200
    return [(h["SeatId"], h["Priority"], h["HoldCodeDetail"]["Id"]) for h in r.json()]


async def test_a_layer_below_lapses_and_the_seat_keeps_its_box_office_layer(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    a1 = SEATS[1]
    r = await update(
        http,
        HoldUntilDate="2026-11-21T08:00:00-05:00",  # 13:00 UTC, an hour after the fake's now
        OnlyAffectAvailable=True,
        ReplaceMode=2,
        SeatHolds=[{"SeatId": a1, "HoldCodeId": ARTIST}],
    )
    assert r.status_code == 200
    assert await holds(http, a1) == [(a1, 1, HOUSE), (a1, 2, ARTIST)]
    assert await holds(http, a1, every=False) == [(a1, 1, HOUSE)]
    assert isinstance(world.clock, ManualClock)
    world.clock.advance(timedelta(hours=1))
    assert await holds(http, a1) == [(a1, 1, HOUSE)]


async def test_a_lapsed_top_layer_frees_the_seat_in_holds_and_seats(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    c1 = SEATS[2]
    await update(
        http,
        HoldUntilDate="2026-11-21T07:30:00-05:00",
        OnlyAffectAvailable=True,
        SeatHolds=[{"SeatId": c1, "HoldCodeId": PRESS}],
    )
    seats = await http.get(f"TXN/Performances/{GALA}/Seats")
    (row,) = [s for s in seats.json() if s["Id"] == c1]
    assert (row["SeatStatusId"], row["HoldCodeId"]) == (SeatStatus.HELD, PRESS)
    assert isinstance(world.clock, ManualClock)
    world.clock.advance(timedelta(minutes=30))
    assert await holds(http, c1) == []
    seats = await http.get(f"TXN/Performances/{GALA}/Seats")
    (row,) = [s for s in seats.json() if s["Id"] == c1]
    assert (row["SeatStatusId"], row["HoldCodeId"]) == (SeatStatus.AVAILABLE, 0)


async def test_a_hold_until_already_past_is_answered_but_holds_nothing(
    http: httpx.AsyncClient,
) -> None:
    c1 = SEATS[2]
    r = await update(
        http,
        HoldUntilDate="2026-11-21T06:59:59-05:00",  # a second before the fake's now
        OnlyAffectAvailable=True,
        SeatHolds=[{"SeatId": c1, "HoldCodeId": PRESS}],
    )
    assert r.status_code == 200
    assert [(h["SeatId"], h["HoldCodeId"]) for h in r.json()] == [(c1, PRESS)]
    assert await holds(http, c1) == []


async def test_mode_3_leaves_a_held_seat_as_it_was_and_holds_a_free_one(
    http: httpx.AsyncClient,
) -> None:
    a5, c1 = SEATS[0], SEATS[2]
    before = await holds(http, a5)
    r = await update(
        http,
        ReplaceMode=3,
        OnlyAffectAvailable=True,
        SeatHolds=[{"SeatId": a5, "HoldCodeId": ARTIST}, {"SeatId": c1, "HoldCodeId": ARTIST}],
    )
    assert [h["SeatId"] for h in r.json()] == [c1]
    assert await holds(http, a5) == before == [(a5, 1, HOUSE), (a5, 2, PRESS)]


async def test_minus_one_lifts_every_layer_of_a_sold_seat_too(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    world.hold(GALA, [SOLD], PRESS, only_available=False)
    world.hold(GALA, [SOLD], HOUSE, only_available=False, mode=2)
    r = await update(http, OnlyAffectAvailable=True, SeatHolds=[{"SeatId": SOLD, "HoldCodeId": -1}])
    assert r.status_code == 200
    assert r.json() == [{"SeatId": SOLD, "HoldCodeId": -1, "EndDate": None}]
    assert await holds(http, SOLD) == []


async def test_an_xml_hold_on_a_sold_seat_is_400_in_xml(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    body = f"""<UpdateHoldCodeRequest xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
  <OnlyAffectAvailable>true</OnlyAffectAvailable>
  <ReplaceMode>2</ReplaceMode>
  <SeatHolds><SeatHoldRequest><HoldCodeId>{PRESS}</HoldCodeId><SeatId>{SOLD}</SeatId></SeatHoldRequest></SeatHolds>
</UpdateHoldCodeRequest>""".encode()
    r = await http.post(f"TXN/Performances/{GALA}/Seats/Holds", content=body, headers=XML_BODY)
    assert r.status_code == 400
    assert etree.fromstring(r.content).findtext("ErrorMessage/Code") == "SeatSold"
    assert world.layers(GALA, SOLD) == ()


async def test_an_xml_update_without_only_affect_available_holds_a_sold_seat(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    body = f"""<UpdateHoldCodeRequest xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
  <ReplaceMode>2</ReplaceMode>
  <SeatHolds><SeatHoldRequest><HoldCodeId>{PRESS}</HoldCodeId><SeatId>{SOLD}</SeatId></SeatHoldRequest></SeatHolds>
</UpdateHoldCodeRequest>""".encode()
    r = await http.post(f"TXN/Performances/{GALA}/Seats/Holds", content=body, headers=XML_BODY)
    assert r.status_code == 200
    assert [layer.hold_code_id for layer in world.layers(GALA, SOLD)] == [PRESS]


@pytest.mark.parametrize("mode", [1, 2])
async def test_a_lapsed_top_layer_leaves_its_priority_empty(
    http: httpx.AsyncClient, world: TessituraWorld, mode: int
) -> None:
    """The layers below keep their priorities, so a read without includeAllHolds shows the seat
    unheld only under mode 2: the reading under which a reader that drops the flag is caught."""
    a1 = SEATS[1]
    await update(
        http,
        HoldUntilDate="2026-11-21T07:10:00-05:00",
        OnlyAffectAvailable=True,
        ReplaceMode=1,
        SeatHolds=[{"SeatId": a1, "HoldCodeId": ARTIST}],
    )
    await update(
        http,
        OnlyAffectAvailable=True,
        ReplaceMode=mode,
        SeatHolds=[{"SeatId": a1, "HoldCodeId": PRESS}],
    )
    assert isinstance(world.clock, ManualClock)
    world.clock.advance(timedelta(minutes=10))
    if mode == 1:  # press over artist over house; artist lapses
        assert await holds(http, a1) == [(a1, 1, PRESS), (a1, 3, HOUSE)]
        assert await holds(http, a1, every=False) == [(a1, 1, PRESS)]
    else:  # artist over house over press; artist lapses
        assert await holds(http, a1) == [(a1, 2, HOUSE), (a1, 3, PRESS)]
        assert await holds(http, a1, every=False) == []
    assert world.status(GALA, a1) is SeatStatus.HELD


async def test_a_new_layer_above_a_gap_takes_priority_1(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    a1 = SEATS[1]
    world.hold(GALA, [a1], ARTIST, until=world.clock() + timedelta(minutes=1))
    assert isinstance(world.clock, ManualClock)
    world.clock.advance(60)
    await update(
        http,
        OnlyAffectAvailable=True,
        ReplaceMode=1,
        SeatHolds=[{"SeatId": a1, "HoldCodeId": PRESS}],
    )
    assert await holds(http, a1) == [(a1, 1, PRESS), (a1, 3, HOUSE)]
