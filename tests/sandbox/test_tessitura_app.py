"""The fake TessituraService over HTTP: auth, paths, each endpoint, updates, errors, control."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from tessitura_fixtures import CREDENTIALS, app_fixture, basic, http_fixture, world_fixture  # noqa: F401

from bridge.sandbox import (
    TESSITURA_ASGI_BASE,
    TESSITURA_PASSWORD,
    TESSITURA_USER,
)
from bridge.sandbox.tessitura_world import SeatStatus, TessituraWorld

GALA = 201
HOUSE, PRESS, ARTIST, KILL = 1, 2, 3, 5
HOST = TESSITURA_ASGI_BASE.split("/TessituraService")[0]
#: As .NET writes a date: up to seven fractional digits, trailing zeros trimmed, then the offset.
NET_DATE_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,6}[1-9])?[+-]\d\d:\d\d$")


def seat(world: TessituraWorld, label: str) -> int:
    return world.venue.seat_by_label(label).id


# -- auth and paths ----------------------------------------------------------------------------


async def test_a_call_without_credentials_is_refused_with_401_and_an_error_body(
    http: httpx.AsyncClient,
) -> None:
    r = await http.get("ReferenceData/SeatStatuses", headers={"Authorization": ""})
    assert r.status_code == 401
    (problem,) = r.json()
    assert set(problem) == {"Code", "Description"}


@pytest.mark.parametrize("wrong", range(4))
async def test_any_wrong_part_of_the_four_part_user_is_refused(
    http: httpx.AsyncClient, wrong: int
) -> None:
    parts = list(CREDENTIALS)
    parts[wrong] = "nope"
    r = await http.get("ReferenceData/SeatStatuses", headers={"Authorization": basic(*parts)})
    assert r.status_code == 401


async def test_a_two_part_basic_user_is_refused(http: httpx.AsyncClient) -> None:
    r = await http.get(
        "ReferenceData/SeatStatuses",
        headers={"Authorization": basic(TESSITURA_USER, TESSITURA_PASSWORD)},
    )
    assert r.status_code == 401


async def test_paths_match_whatever_their_case(http: httpx.AsyncClient) -> None:
    upper = await http.get(f"TXN/Performances/{GALA}/Seats/Holds")
    lower = await http.get(f"{HOST}/tessituraservice/txn/performances/{GALA}/seats/holds")
    mixed = await http.get(f"{HOST}/TessituraService/Txn/Performances/{GALA}/Seats/Holds")
    assert upper.status_code == lower.status_code == mixed.status_code == 200
    assert upper.json() == lower.json() == mixed.json()


async def test_an_unknown_path_is_404_with_an_error_body(http: httpx.AsyncClient) -> None:
    r = await http.get("TXN/Nothing")
    assert r.status_code == 404
    assert r.json()[0]["Code"]


# -- seat holds --------------------------------------------------------------------------------


async def test_holds_list_only_the_top_layer_by_default(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    holds = (await http.get(f"TXN/Performances/{GALA}/Seats/Holds")).json()
    a5 = [h for h in holds if h["SeatId"] == seat(world, "Orchestra-A-5")]
    assert [(h["Priority"], h["HoldCodeDetail"]["Id"]) for h in a5] == [(1, HOUSE)]
    assert {h["Priority"] for h in holds} == {1}


async def test_include_all_holds_shows_every_layer_with_its_priority(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    r = await http.get(f"TXN/Performances/{GALA}/Seats/Holds", params={"includeAllHolds": "true"})
    a5 = [h for h in r.json() if h["SeatId"] == seat(world, "Orchestra-A-5")]
    assert [(h["Priority"], h["HoldCodeDetail"]["Id"]) for h in a5] == [(1, HOUSE), (2, PRESS)]


async def test_hold_code_detail_names_the_code_and_flags_blackouts(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    holds = (await http.get(f"TXN/Performances/{GALA}/Seats/Holds")).json()
    kill = next(h for h in holds if h["SeatId"] == seat(world, "Balcony-P-1"))
    assert kill["HoldCodeDetail"] == {
        "Id": KILL,
        "Description": "Sightline Kill",
        "Legend": "KIL",
        "IsBlackout": True,
    }


async def test_seat_and_hold_code_filters_take_comma_separated_ids(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    a1, b1, c1 = (seat(world, f"Orchestra-{row}-1") for row in "ABC")
    r = await http.get(
        f"TXN/Performances/{GALA}/Seats/Holds",
        params={"seatIds": f"{a1},{b1},{c1}", "holdCodeIds": f"{ARTIST},{KILL}"},
    )
    assert [(h["SeatId"], h["HoldCodeDetail"]["Id"]) for h in r.json()] == [(b1, ARTIST)]


async def test_an_end_date_is_null_without_expiry(http: httpx.AsyncClient) -> None:
    holds = (await http.get(f"TXN/Performances/{GALA}/Seats/Holds")).json()
    assert holds and all(h["EndDate"] is None for h in holds)


async def test_a_malformed_id_list_is_400(http: httpx.AsyncClient) -> None:
    r = await http.get(f"TXN/Performances/{GALA}/Seats/Holds", params={"seatIds": "1,x"})
    assert r.status_code == 400
    assert "seatIds" in r.json()[0]["Description"]


async def test_holds_of_an_unknown_performance_are_404_with_an_error_body(
    http: httpx.AsyncClient,
) -> None:
    r = await http.get("TXN/Performances/999/Seats/Holds")
    assert r.status_code == 404
    assert r.json() == [{"Code": "PerformanceNotFound", "Description": "Performance 999 not found"}]


# -- seats -------------------------------------------------------------------------------------


async def seats_by_id(http: httpx.AsyncClient, pid: int = GALA) -> dict[int, dict[str, Any]]:
    r = await http.get(
        f"TXN/Performances/{pid}/Seats",
        params={"constituentId": 0, "modeOfSaleId": 10, "performanceId": pid},
    )
    assert r.status_code == 200
    return {s["Id"]: s for s in r.json()}


async def test_seats_report_available_held_blacked_out_and_ticketed(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    seats = await seats_by_id(http)
    status = {label: seats[seat(world, label)]["SeatStatusId"] for label in (
        "Orchestra-C-1", "Orchestra-A-1", "Balcony-P-1", "Orchestra-G-10",
    )}  # fmt: skip
    assert status == {
        "Orchestra-C-1": SeatStatus.AVAILABLE,
        "Orchestra-A-1": SeatStatus.HELD,
        "Balcony-P-1": SeatStatus.BLACKED_OUT,
        "Orchestra-G-10": SeatStatus.TICKETED,
    }


async def test_a_sale_made_later_shows_as_ticketed(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    c1 = seat(world, "Orchestra-C-1")
    world.sell(GALA, c1)
    assert (await seats_by_id(http))[c1]["SeatStatusId"] == SeatStatus.TICKETED


async def test_a_seat_names_its_top_hold_code_or_zero(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    seats = await seats_by_id(http)
    assert seats[seat(world, "Orchestra-A-5")]["HoldCodeId"] == HOUSE
    assert seats[seat(world, "Orchestra-C-1")]["HoldCodeId"] == 0


async def test_seats_include_non_seat_cells_flagged_is_seat_false(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    seats = await seats_by_id(http)
    non_seats = [s for s in seats.values() if not s["IsSeat"]]
    assert non_seats
    assert len(seats) - len(non_seats) == len(world.venue.seats)


async def test_a_seat_carries_every_documented_field(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    a1 = (await seats_by_id(http))[seat(world, "Orchestra-A-1")]
    assert set(a1) == {
        "Id", "SectionId", "SeatRow", "SeatNumber", "ZoneId", "AllocationId", "SeatTypeId",
        "LogicalSeatRow", "LogicalSeatNumber", "XPosition", "YPosition", "IsSeat",
        "SeatStatusId", "AisleIndicator", "HasStairs", "ScreenId", "DisplayLetter", "HoldCodeId",
    }  # fmt: skip
    assert (a1["SectionId"], a1["SeatRow"], a1["SeatNumber"]) == (1, "A", "1")


async def test_section_ids_filter_the_seats(http: httpx.AsyncClient) -> None:
    r = await http.get(f"TXN/Performances/{GALA}/Seats", params={"sectionIds": "2"})
    assert {s["SectionId"] for s in r.json()} == {2}


async def test_seats_of_an_unknown_performance_are_404(http: httpx.AsyncClient) -> None:
    assert (await http.get("TXN/Performances/999/Seats")).status_code == 404


# -- performances ------------------------------------------------------------------------------


async def test_a_performance_names_its_facility_seat_map_and_season(
    http: httpx.AsyncClient,
) -> None:
    p = (await http.get(f"TXN/Performances/{GALA}")).json()
    assert p["Id"] == GALA
    assert p["Date"] == "2026-11-21T19:30:00-05:00"
    assert p["Facility"] == {
        "Id": 47,
        "Description": "Grand Hall",
        "SeatMap": {"Id": 12, "Description": "Grand Hall seat map"},
    }
    assert p["Season"] == {"Id": 2028, "Description": "Specials", "FYear": 2027, "Inactive": False}
    assert p["ProductionSeason"]["Id"] == 910


async def test_an_unknown_performance_is_404_with_an_error_body(http: httpx.AsyncClient) -> None:
    r = await http.get("TXN/Performances/999")
    assert r.status_code == 404
    assert r.json()[0]["Code"] == "PerformanceNotFound"


async def search(http: httpx.AsyncClient, **body: Any) -> list[int]:
    r = await http.post("TXN/Performances/Search", json=body)
    assert r.status_code == 200
    return [item["PerformanceId"] for item in r.json()]


async def test_search_dates_are_inclusive_at_both_ends(http: httpx.AsyncClient) -> None:
    found = await search(
        http, PerformanceStartDate="2026-11-21", PerformanceEndDate="2026-11-24T00:00:00-05:00"
    )
    assert found == [201, 202, 101]


async def test_search_filters_by_season_facility_and_production_season(
    http: httpx.AsyncClient,
) -> None:
    assert len(await search(http, SeasonIds="2027")) == 8
    assert await search(http, SeasonIds="2028", ProductionSeasonIds="911,913") == [202, 204]
    assert await search(http, FacilityIds="99") == []
    assert len(await search(http, FacilityIds="47")) == 12


async def test_search_items_use_the_search_field_names(http: httpx.AsyncClient) -> None:
    r = await http.post("TXN/Performances/Search", json={"SeasonIds": "2028"})
    item = r.json()[0]
    for name in ("PerformanceId", "PerformanceCode", "PerformanceDate", "PerformanceDescription"):
        assert name in item
    assert item["Facility"] == {"Id": 47, "Description": "Grand Hall"}


async def test_a_search_with_a_bad_date_is_400(http: httpx.AsyncClient) -> None:
    r = await http.post("TXN/Performances/Search", json={"PerformanceStartDate": "soon"})
    assert r.status_code == 400


# -- reference data ----------------------------------------------------------------------------


async def test_sections_are_filtered_by_seat_map_and_char_padded(
    http: httpx.AsyncClient,
) -> None:
    sections = (await http.get("ReferenceData/Sections", params={"seatMapId": 12})).json()
    assert [s["ShortDesc"] for s in sections] == ["ORCH      ", "MEZZ      ", "BALC      "]
    other = await http.get("ReferenceData/Sections", params={"seatMapId": 13})
    assert other.json() == []


async def test_seat_statuses_include_the_ids_the_seats_use(http: httpx.AsyncClient) -> None:
    statuses = (await http.get("ReferenceData/SeatStatuses")).json()
    by_id = {s["Id"]: s["StatusCode"].strip() for s in statuses}
    assert {0: "AVL", 4: "HLD", 6: "BLK", 13: "TKD"}.items() <= by_id.items()


async def test_a_hold_code_is_read_by_id(http: httpx.AsyncClient) -> None:
    code = (await http.get(f"TXN/HoldCodes/{KILL}")).json()
    assert (code["Id"], code["Description"], code["BlackoutIndicator"]) == (
        KILL,
        "Sightline Kill",
        True,
    )
    assert code["Type"]["Description"] == "Production"


async def test_an_unknown_hold_code_is_404_with_an_error_body(http: httpx.AsyncClient) -> None:
    r = await http.get("TXN/HoldCodes/99")
    assert r.status_code == 404
    assert r.json()[0]["Code"] == "HoldCodeNotFound"


# -- updating holds ----------------------------------------------------------------------------


async def update(http: httpx.AsyncClient, pid: int = GALA, **body: Any) -> httpx.Response:
    return await http.post(f"TXN/Performances/{pid}/Seats/Holds", json=body)


async def test_an_update_answers_the_holds_it_applied_with_their_end_date(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    c1 = seat(world, "Orchestra-C-1")
    r = await update(
        http,
        HoldUntilDate="2026-12-01T12:00:00.5000000Z",
        ReplaceMode=1,
        SeatHolds=[{"SeatId": c1, "HoldCodeId": PRESS}],
    )
    assert r.status_code == 200
    (applied,) = r.json()
    assert (applied["SeatId"], applied["HoldCodeId"]) == (c1, PRESS)
    assert applied["EndDate"] == "2026-12-01T07:00:00.5-05:00"
    assert NET_DATE_WITH_OFFSET.match(applied["EndDate"])


async def test_an_updated_hold_reads_back_with_its_end_date(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    c1 = seat(world, "Orchestra-C-1")
    await update(
        http,
        HoldUntilDate="2026-12-01T12:00:00-05:00",
        SeatHolds=[{"SeatId": c1, "HoldCodeId": PRESS}],
    )
    r = await http.get(f"TXN/Performances/{GALA}/Seats/Holds", params={"seatIds": str(c1)})
    assert r.json()[0]["EndDate"] == "2026-12-01T12:00:00-05:00"


@pytest.mark.parametrize(
    ("mode", "layers"),
    [(1, [ARTIST, HOUSE]), (2, [HOUSE, ARTIST]), (3, [HOUSE]), (4, [ARTIST])],
)
async def test_each_replace_mode_over_http(
    http: httpx.AsyncClient, world: TessituraWorld, mode: int, layers: list[int]
) -> None:
    a1 = seat(world, "Orchestra-A-1")
    r = await update(http, ReplaceMode=mode, SeatHolds=[{"SeatId": a1, "HoldCodeId": ARTIST}])
    assert r.status_code == 200
    assert [layer.hold_code_id for layer in world.layers(GALA, a1)] == layers


async def test_hold_code_minus_one_lifts_every_layer_over_http(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    a5 = seat(world, "Orchestra-A-5")
    await update(http, SeatHolds=[{"SeatId": a5, "HoldCodeId": -1}])
    r = await http.get(f"TXN/Performances/{GALA}/Seats/Holds", params={"includeAllHolds": "true"})
    assert a5 not in {h["SeatId"] for h in r.json()}


async def test_a_hold_on_a_sold_seat_is_400_when_only_affecting_available(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    g10, c1 = seat(world, "Orchestra-G-10"), seat(world, "Orchestra-C-1")
    lines = [{"SeatId": c1, "HoldCodeId": PRESS}, {"SeatId": g10, "HoldCodeId": PRESS}]
    r = await update(http, OnlyAffectAvailable=True, SeatHolds=lines)
    assert r.status_code == 400
    assert [(e["Code"], str(g10) in e["Description"]) for e in r.json()] == [("SeatSold", True)]
    assert world.layers(GALA, g10) == world.layers(GALA, c1) == ()


async def test_without_only_affect_available_a_sold_seat_is_held(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    g10 = seat(world, "Orchestra-G-10")
    line = [{"SeatId": g10, "HoldCodeId": PRESS}]
    assert len((await update(http, SeatHolds=line)).json()) == 1  # absent: .NET's false
    assert [layer.hold_code_id for layer in world.layers(GALA, g10)] == [PRESS]
    await update(http, SeatHolds=[{"SeatId": g10, "HoldCodeId": -1}])
    assert len((await update(http, OnlyAffectAvailable=False, SeatHolds=line)).json()) == 1
    assert [layer.hold_code_id for layer in world.layers(GALA, g10)] == [PRESS]


@pytest.mark.parametrize(
    ("line", "mode", "code"),
    [
        ({"SeatId": 1, "HoldCodeId": PRESS}, 1, "InvalidSeat"),
        ({"SeatId": 10001, "HoldCodeId": 99}, 1, "InvalidHoldCode"),
        ({"SeatId": 10001, "HoldCodeId": PRESS}, 5, "InvalidReplaceMode"),
    ],
)
async def test_an_invalid_update_is_400_with_an_error_collection_and_changes_nothing(
    http: httpx.AsyncClient, world: TessituraWorld, line: dict[str, int], mode: int, code: str
) -> None:
    c1 = seat(world, "Orchestra-C-1")
    r = await update(http, ReplaceMode=mode, SeatHolds=[{"SeatId": c1, "HoldCodeId": PRESS}, line])
    assert r.status_code == 400
    assert code in [p["Code"] for p in r.json()]
    assert world.layers(GALA, c1) == ()


async def test_an_update_without_seat_holds_is_400(http: httpx.AsyncClient) -> None:
    assert (await update(http, ReplaceMode=1)).status_code == 400


async def test_an_update_that_is_not_json_is_400(http: httpx.AsyncClient) -> None:
    r = await http.post(
        f"TXN/Performances/{GALA}/Seats/Holds",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400


async def test_an_update_of_an_unknown_performance_is_404(http: httpx.AsyncClient) -> None:
    assert (await update(http, 999, SeatHolds=[])).status_code == 404


# -- control surface ---------------------------------------------------------------------------


async def test_the_request_log_counts_calls_per_endpoint(http: httpx.AsyncClient) -> None:
    await http.get(f"TXN/Performances/{GALA}/Seats/Holds")
    await http.get("txn/performances/202/seats/holds")
    log = (await http.get(f"{HOST}/_sandbox/requests")).json()
    template = "GET /TessituraService/TXN/Performances/{performance_id:int}/Seats/Holds"
    assert log["counts"] == {template: 2}


async def test_an_injected_fault_answers_the_chosen_status(http: httpx.AsyncClient) -> None:
    await http.post(
        f"{HOST}/_sandbox/faults",
        json={"error_rate": 1.0, "error_status": 503, "count": 1},
    )
    assert (await http.get("ReferenceData/SeatStatuses")).status_code == 503
    assert (await http.get("ReferenceData/SeatStatuses")).status_code == 200
