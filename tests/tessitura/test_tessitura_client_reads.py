"""Every read call of the Tessitura client against the sandbox, in JSON and in XML."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

import httpx

from bridge.domain import SeatHold
from bridge.sandbox.tessitura_world import TessituraWorld
from bridge.tessitura import TessituraClient

GALA = 201
ClientFactory = Callable[..., TessituraClient]
HOUSE, PRESS, ARTIST, KILL = 1, 2, 3, 5
VENUE_OFFSET = timezone(timedelta(hours=-5))


def seat(world: TessituraWorld, label: str) -> int:
    return world.venue.seat_by_label(label).id


async def test_seat_holds_are_the_top_layer_by_default(
    client: TessituraClient, world: TessituraWorld
) -> None:
    holds = await client.seat_holds(GALA)
    a5 = [h for h in holds if h.seat_id == seat(world, "Orchestra-A-5")]
    assert [(h.priority, h.hold_code_id) for h in a5] == [(1, HOUSE)]


async def test_seat_holds_with_all_layers_carry_priorities(
    client: TessituraClient, world: TessituraWorld
) -> None:
    holds = await client.seat_holds(GALA, include_all_holds=True)
    a5 = [h for h in holds if h.seat_id == seat(world, "Orchestra-A-5")]
    assert [(h.priority, h.hold_code_id) for h in a5] == [(1, HOUSE), (2, PRESS)]


async def test_seat_holds_can_be_limited_to_seats_and_hold_codes(
    client: TessituraClient, world: TessituraWorld
) -> None:
    b1, b2, c1 = (
        seat(world, label) for label in ("Orchestra-B-1", "Orchestra-B-2", "Orchestra-C-1")
    )
    holds = await client.seat_holds(GALA, seat_ids=[b1, c1], hold_code_ids=[ARTIST, KILL])
    assert [(h.seat_id, h.hold_code_id) for h in holds] == [(b1, ARTIST)]
    assert b2 not in {h.seat_id for h in holds}


async def test_hold_code_detail_is_read_with_its_blackout_flag(
    client: TessituraClient, world: TessituraWorld
) -> None:
    holds = await client.seat_holds(GALA, seat_ids=[seat(world, "Balcony-P-1")])
    (kill,) = holds
    assert kill.hold_code_detail.is_blackout
    assert (kill.hold_code_detail.description, kill.hold_code_detail.legend) == (
        "Sightline Kill",
        "KIL",
    )
    assert kill.end_date is None


async def test_hold_snapshot_names_the_seat_map_and_every_layer(
    client: TessituraClient, world: TessituraWorld
) -> None:
    snapshot = await client.hold_snapshot(GALA)
    assert (snapshot.performance_id, snapshot.seat_map_id) == (GALA, 12)
    a5 = seat(world, "Orchestra-A-5")
    assert SeatHold(a5, PRESS, priority=2) in snapshot.holds
    assert len(snapshot.holds) == sum(len(ls) for ls in world.held_seats(GALA).values())
    assert snapshot.taken_at is not None


async def test_hold_snapshot_keeps_end_dates_with_their_offset(
    client: TessituraClient, world: TessituraWorld
) -> None:
    c1 = seat(world, "Orchestra-C-1")
    until = datetime(2026, 12, 1, 12, 0, 0, 467900, tzinfo=VENUE_OFFSET)
    world.hold(GALA, [c1], PRESS, until=until)
    snapshot = await client.hold_snapshot(GALA)
    (hold,) = [h for h in snapshot.holds if h.seat_id == c1]
    assert hold.end_date == until
    assert hold.end_date is not None and hold.end_date.utcoffset() == timedelta(hours=-5)


async def test_seats_include_non_seats_that_callers_filter_on_is_seat(
    client: TessituraClient, world: TessituraWorld
) -> None:
    seats = await client.seats(GALA, mode_of_sale_id=10)
    real = [s for s in seats if s.is_seat]
    assert len(real) == len(world.venue.seats) < len(seats)


async def test_seats_carry_status_top_hold_and_unpadded_labels(
    client: TessituraClient, world: TessituraWorld
) -> None:
    world.sell(GALA, seat(world, "Orchestra-C-2"))
    by_id = {s.id: s for s in await client.seats(GALA)}
    a1 = by_id[seat(world, "Orchestra-A-1")]
    assert (a1.section_id, a1.seat_row, a1.seat_number, a1.hold_code_id) == (1, "A", "1", HOUSE)
    assert a1.seat_status_id == 4
    assert a1.display_letter == ""
    assert by_id[seat(world, "Orchestra-C-2")].seat_status_id == 13
    assert by_id[seat(world, "Orchestra-C-1")].hold_code_id == 0


async def test_seats_can_be_limited_to_sections(client: TessituraClient) -> None:
    seats = await client.seats(GALA, section_ids=[3])
    assert {s.section_id for s in seats} == {3}


async def test_a_performance_gives_its_seat_map_season_and_local_date(
    client: TessituraClient,
) -> None:
    p = await client.performance(GALA)
    assert p.seat_map_id == 12
    assert p.date == datetime(2026, 11, 21, 19, 30, tzinfo=VENUE_OFFSET)
    assert p.season is not None and (p.season.id, p.season.fyear) == (2028, 2027)
    assert p.code == "GH201"


async def test_search_finds_performances_in_an_inclusive_date_range(
    client: TessituraClient,
) -> None:
    found = await client.search_performances(start=date(2026, 11, 21), end=date(2026, 11, 24))
    assert [p.performance_id for p in found] == [201, 202, 101]
    assert found[0].performance_date == datetime(2026, 11, 21, 19, 30, tzinfo=VENUE_OFFSET)


async def test_search_filters_by_season_facility_and_production_season(
    client: TessituraClient,
) -> None:
    assert len(await client.search_performances(season_ids=[2027])) == 8
    assert await client.search_performances(facility_ids=[99]) == []
    found = await client.search_performances(season_ids=[2028], production_season_ids=[911, 913])
    assert [p.performance_id for p in found] == [202, 204]


async def test_sections_come_without_char_padding(client: TessituraClient) -> None:
    sections = await client.sections(12)
    assert [(s.id, s.short_desc, s.section_legend) for s in sections] == [
        (1, "ORCH", "O"),
        (2, "MEZZ", "M"),
        (3, "BALC", "B"),
    ]


async def test_seat_statuses_are_listed_with_their_codes(client: TessituraClient) -> None:
    statuses = {s.id: s.status_code for s in await client.seat_statuses()}
    assert {0: "AVL", 4: "HLD", 6: "BLK", 13: "TKD"}.items() <= statuses.items()


async def test_a_hold_code_is_read_by_id(client: TessituraClient) -> None:
    code = await client.hold_code(KILL)
    assert (code.id, code.description, code.legend, code.blackout_indicator) == (
        KILL,
        "Sightline Kill",
        "KIL",
        True,
    )
    assert code.type is not None and code.type.description == "Production"


async def test_json_and_xml_clients_read_the_same_values(make_client: ClientFactory) -> None:
    as_json, as_xml = make_client("json"), make_client("xml")
    assert await read_everything(as_json) == await read_everything(as_xml)
    snapshot_json, snapshot_xml = (
        await as_json.hold_snapshot(GALA),
        await as_xml.hold_snapshot(GALA),
    )
    assert snapshot_json.holds == snapshot_xml.holds


async def read_everything(c: TessituraClient) -> list[object]:
    return [
        await c.seat_holds(GALA, include_all_holds=True),
        await c.seats(GALA),
        await c.performance(GALA),
        await c.search_performances(season_ids=[2027, 2028]),
        await c.sections(12),
        await c.seat_statuses(),
        await c.hold_code(KILL),
    ]


async def test_a_season_of_hold_reads_at_once_keeps_few_requests_in_flight() -> None:
    """A pass reads a whole season's holds at once; Tessitura (the box office's server too)
    sees at most ``in_flight`` of them at a time, and every read still gets its answer."""
    in_flight = peak = 0

    async def holds(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        for _ in range(5):  # let the other reads in, if the client lets them
            await asyncio.sleep(0)
        in_flight -= 1
        return httpx.Response(200, json=[])

    client = TessituraClient(
        "http://tessitura.test/TessituraService/",
        "user",
        "group",
        "location",
        "secret",
        transport=httpx.MockTransport(holds),
        in_flight=3,
    )
    async with client:
        got = await asyncio.gather(*(client.seat_holds(p) for p in range(1, 41)))
    assert got == [[]] * 40
    assert peak == 3


async def test_an_unchanged_holds_answer_is_decoded_once_and_a_changed_one_again(
    client: TessituraClient, world: TessituraWorld
) -> None:
    """What a daemon reading an unchanged performance every few seconds saves; a hold placed
    between two reads is never hidden by it."""
    first = await client.seat_holds(GALA)
    again = await client.seat_holds(GALA)
    assert again == first
    assert all(a is b for a, b in zip(again, first, strict=True))  # decoded once, not twice
    world.hold(GALA, [seat(world, "Orchestra-M-1")], PRESS)
    changed = await client.seat_holds(GALA)
    assert not any(a is b for a, b in zip(changed, first, strict=False))  # decoded afresh
    assert seat(world, "Orchestra-M-1") in {h.seat_id for h in changed}
    assert seat(world, "Orchestra-M-1") not in {h.seat_id for h in first}
