"""The fake Tessitura's box office: layered holds, replace modes, removal, sales."""

from datetime import date, datetime, timedelta, timezone

import pytest

from bridge.sandbox.tessitura_world import (
    REMOVE_ALL_HOLDS,
    HoldRequest,
    HoldRequestError,
    ReplaceMode,
    SeatStatus,
    TessituraWorld,
)
from bridge.sandbox.venue import load_venue

TODAY = date(2026, 11, 21)
GALA = 201
HOUSE, PRESS, ARTIST, KILL = 1, 2, 3, 5


@pytest.fixture
def world() -> TessituraWorld:
    return TessituraWorld.from_venue(load_venue(today=TODAY))


def seat(world: TessituraWorld, label: str) -> int:
    return world.venue.seat_by_label(label).id


def codes(world: TessituraWorld, seat_id: int, performance_id: int = GALA) -> list[int]:
    return [layer.hold_code_id for layer in world.layers(performance_id, seat_id)]


def test_venue_layers_are_seeded_top_priority_first(world: TessituraWorld) -> None:
    assert codes(world, seat(world, "Orchestra-A-5")) == [HOUSE, PRESS]
    assert codes(world, seat(world, "Orchestra-A-1")) == [HOUSE]


def test_above_existing_puts_the_new_code_on_top(world: TessituraWorld) -> None:
    a1 = seat(world, "Orchestra-A-1")
    world.hold(GALA, [a1], ARTIST, mode=ReplaceMode.ABOVE_EXISTING)
    assert codes(world, a1) == [ARTIST, HOUSE]


def test_below_existing_puts_the_new_code_underneath(world: TessituraWorld) -> None:
    a1 = seat(world, "Orchestra-A-1")
    world.hold(GALA, [a1], ARTIST, mode=ReplaceMode.BELOW_EXISTING)
    assert codes(world, a1) == [HOUSE, ARTIST]


def test_ignore_if_held_leaves_a_held_seat_alone_and_holds_a_free_one(
    world: TessituraWorld,
) -> None:
    a1, c1 = seat(world, "Orchestra-A-1"), seat(world, "Orchestra-C-1")
    applied = world.hold(GALA, [a1, c1], ARTIST, mode=ReplaceMode.IGNORE_IF_HELD)
    assert codes(world, a1) == [HOUSE]
    assert codes(world, c1) == [ARTIST]
    assert [a.seat_id for a in applied] == [c1]


def test_replace_existing_leaves_only_the_new_code(world: TessituraWorld) -> None:
    a5 = seat(world, "Orchestra-A-5")
    world.hold(GALA, [a5], ARTIST, mode=ReplaceMode.REPLACE_EXISTING)
    assert codes(world, a5) == [ARTIST]


def test_a_code_already_on_the_seat_is_moved_not_duplicated(world: TessituraWorld) -> None:
    a5 = seat(world, "Orchestra-A-5")
    world.hold(GALA, [a5], PRESS, mode=ReplaceMode.ABOVE_EXISTING)
    assert codes(world, a5) == [PRESS, HOUSE]


def test_hold_code_minus_one_removes_every_layer(world: TessituraWorld) -> None:
    a5 = seat(world, "Orchestra-A-5")
    applied = world.update(GALA, [HoldRequest(a5, REMOVE_ALL_HOLDS)])
    assert codes(world, a5) == []
    assert applied[0].hold_code_id == REMOVE_ALL_HOLDS


def test_a_hold_on_a_sold_seat_is_refused_whole_when_only_affecting_available(
    world: TessituraWorld,
) -> None:
    g10, c1 = seat(world, "Orchestra-G-10"), seat(world, "Orchestra-C-1")
    with pytest.raises(HoldRequestError) as caught:
        world.hold(GALA, [c1, g10], PRESS)
    assert [c for c, _ in caught.value.problems] == ["SeatSold"]
    assert codes(world, g10) == codes(world, c1) == []


def test_with_sold_seat_lines_skip_a_sold_seat_is_left_out_of_the_answer(
    world: TessituraWorld,
) -> None:
    world.sold_seat_lines = "skip"
    g10, c1 = seat(world, "Orchestra-G-10"), seat(world, "Orchestra-C-1")
    applied = world.hold(GALA, [c1, g10], PRESS)
    assert [a.seat_id for a in applied] == [c1]
    assert (codes(world, g10), codes(world, c1)) == ([], [PRESS])


def test_sold_seats_are_held_when_only_affect_available_is_false(world: TessituraWorld) -> None:
    g10 = seat(world, "Orchestra-G-10")
    world.hold(GALA, [g10], PRESS, only_available=False)
    assert codes(world, g10) == [PRESS]
    assert world.status(GALA, g10) is SeatStatus.TICKETED


def test_hold_until_sets_the_end_date_of_the_new_layer(world: TessituraWorld) -> None:
    c1 = seat(world, "Orchestra-C-1")
    until = datetime(2027, 12, 1, 12, tzinfo=timezone(timedelta(hours=-5)))
    world.hold(GALA, [c1], PRESS, until=until)
    assert world.layers(GALA, c1)[0].end == until


@pytest.mark.parametrize(
    ("line", "mode", "code"),
    [
        (HoldRequest(1, PRESS), 1, "InvalidSeat"),
        (HoldRequest(10001, 99), 1, "InvalidHoldCode"),
        (HoldRequest(10001, PRESS), 7, "InvalidReplaceMode"),
    ],
)
def test_an_invalid_update_is_refused_whole(
    world: TessituraWorld, line: HoldRequest, mode: int, code: str
) -> None:
    c1 = seat(world, "Orchestra-C-1")
    with pytest.raises(HoldRequestError) as caught:
        world.update(GALA, [HoldRequest(c1, PRESS), line], mode=mode)
    assert code in [c for c, _ in caught.value.problems]
    assert codes(world, c1) == []


def test_status_follows_sale_then_top_hold(world: TessituraWorld) -> None:
    assert world.status(GALA, seat(world, "Orchestra-C-1")) is SeatStatus.AVAILABLE
    assert world.status(GALA, seat(world, "Orchestra-A-1")) is SeatStatus.HELD
    assert world.status(GALA, seat(world, "Balcony-P-1")) is SeatStatus.BLACKED_OUT
    assert world.status(GALA, seat(world, "Orchestra-G-10")) is SeatStatus.TICKETED


def test_sell_and_refund_change_the_ticketed_set(world: TessituraWorld) -> None:
    c1 = seat(world, "Orchestra-C-1")
    world.sell(GALA, c1)
    assert world.status(GALA, c1) is SeatStatus.TICKETED
    world.refund(GALA, c1)
    assert world.status(GALA, c1) is SeatStatus.AVAILABLE


def test_selling_an_unknown_seat_is_an_error(world: TessituraWorld) -> None:
    with pytest.raises(KeyError):
        world.sell(GALA, 1)


def test_non_seat_cells_do_not_collide_with_seat_ids(world: TessituraWorld) -> None:
    seat_ids = {s.id for s in world.venue.seats}
    assert world.non_seats
    assert not seat_ids & {c.id for c in world.non_seats}


async def test_a_performance_moved_to_another_facility_answers_its_new_seat_map() -> None:
    """The control surface's facility change (docs/tessitura-fake.md): performance, search and
    sections follow it; the seat ids stay (the overlap a kept seat map cannot see)."""
    import httpx

    from bridge.sandbox import Sandbox
    from bridge.testing.sandbox import CREDENTIALS, basic

    box = Sandbox()
    auth = {"Authorization": basic(*CREDENTIALS), "Accept": "application/json"}
    transport = httpx.ASGITransport(app=box.tessitura_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        bad = await client.post("/_sandbox/facilities", json={"performance_id": 201})
        assert bad.status_code == 400
        moved = {"performance_id": 201, "facility_id": 48, "seat_map_id": 13}
        answer = await client.post("/_sandbox/facilities", json=moved)
        assert answer.json() == {"moved": [moved]}
        base = "/TessituraService"
        perf = (await client.get(f"{base}/TXN/Performances/201", headers=auth)).json()
        assert (perf["Facility"]["Id"], perf["Facility"]["SeatMap"]["Id"]) == (48, 13)
        other = (await client.get(f"{base}/TXN/Performances/202", headers=auth)).json()
        assert other["Facility"]["Id"] == box.venue.facility_id
        sections = await client.get(f"{base}/ReferenceData/Sections?seatMapId=13", headers=auth)
        assert sections.json()
        for facility, listed in ((48, True), (box.venue.facility_id, False)):
            found = await client.post(
                f"{base}/TXN/Performances/Search",
                headers=auth,
                json={"FacilityIds": str(facility)},
            )
            ids = {p["PerformanceId"] for p in found.json()}
            assert (201 in ids) is listed
