"""The fake TessituraService as the real one behaves (docs/tessitura-fake.md): dates as .NET writes
them, every member of a Search item, 403 for a user group without rights, 409 for a hold change on
a locked seat, each refusal with its ErrorMessages body in either format."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from lxml import etree
from tessitura_fixtures import CREDENTIALS, app_fixture, basic, http_fixture, world_fixture  # noqa: F401

from bridge.sandbox import TESSITURA_LOCATION, TESSITURA_PASSWORD, TESSITURA_USER
from bridge.sandbox.tessitura_payloads import datacontract_time
from bridge.sandbox.tessitura_world import (
    NO_RIGHTS_USER_GROUP,
    Permission,
    TessituraWorld,
)

GALA = 201
PRESS = 2
XML = {"Accept": "application/xml"}
#: As .NET writes a date: 0 to 7 fractional digits, never a trailing zero, then the offset.
NET_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,6}[1-9])?([+-]\d\d:\d\d|Z)$")
NO_RIGHTS = basic(TESSITURA_USER, NO_RIGHTS_USER_GROUP, TESSITURA_LOCATION, TESSITURA_PASSWORD)


def seat(world: TessituraWorld, label: str) -> int:
    return world.venue.seat_by_label(label).id


async def update(http: httpx.AsyncClient, pid: int = GALA, **body: Any) -> httpx.Response:
    return await http.post(f"TXN/Performances/{pid}/Seats/Holds", json=body)


def dates_in(data: Any) -> list[str]:
    if isinstance(data, dict):
        return [d for v in data.values() for d in dates_in(v)]
    if isinstance(data, list):
        return [d for v in data for d in dates_in(v)]
    return [data] if isinstance(data, str) and re.match(r"^\d{4}-\d\d-\d\dT", data) else []


# -- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "echoed"),
    [
        ("2027-04-24T05:25:27.4679001-07:00", "2027-04-24T07:25:27.4679001-05:00"),
        ("2027-04-24T05:25:51.715629-07:00", "2027-04-24T07:25:51.715629-05:00"),
        ("2027-04-24T05:25:51.7156290-07:00", "2027-04-24T07:25:51.715629-05:00"),
        ("2027-04-24T05:25:51.5Z", "2027-04-24T00:25:51.5-05:00"),
        ("2027-04-24T05:00:00.0000000-07:00", "2027-04-24T07:00:00-05:00"),
        ("2027-04-24T05:00:00-07:00", "2027-04-24T07:00:00-05:00"),
        ("2027-04-24T05:00:00", "2027-04-24T05:00:00-05:00"),  # no offset: the venue's time
    ],
)
async def test_hold_until_is_echoed_to_the_tick_and_trimmed_as_dotnet_writes_it(
    http: httpx.AsyncClient, world: TessituraWorld, sent: str, echoed: str
) -> None:
    c1 = seat(world, "Orchestra-C-1")
    r = await update(http, HoldUntilDate=sent, SeatHolds=[{"SeatId": c1, "HoldCodeId": PRESS}])
    assert r.status_code == 200
    assert r.json()[0]["EndDate"] == echoed
    r = await http.get(f"TXN/Performances/{GALA}/Seats/Holds", params={"seatIds": str(c1)})
    assert r.json()[0]["EndDate"] == echoed  # the seventh digit is kept, not only echoed


async def test_an_xml_hold_until_is_echoed_to_the_tick(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    c1 = seat(world, "Orchestra-C-1")
    body = f"""<UpdateHoldCodeRequest xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
  <HoldUntilDate>2027-04-24T05:25:27.4679001-07:00</HoldUntilDate>
  <SeatHolds><SeatHoldRequest><HoldCodeId>{PRESS}</HoldCodeId><SeatId>{c1}</SeatId></SeatHoldRequest></SeatHolds>
</UpdateHoldCodeRequest>"""
    r = await http.post(
        f"TXN/Performances/{GALA}/Seats/Holds",
        content=body.encode(),
        headers={**XML, "Content-Type": "application/xml"},
    )
    end = etree.fromstring(r.content).find("SeatHold/EndDate")
    assert end is not None and end.text == "2027-04-24T07:25:27.4679001-05:00"


async def test_every_date_the_fake_serves_is_written_as_dotnet_writes_it(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    c1 = seat(world, "Orchestra-C-1")
    await update(
        http,
        HoldUntilDate="2026-12-01T12:00:00.120Z",
        SeatHolds=[{"SeatId": c1, "HoldCodeId": PRESS}],
    )
    served: list[str] = []
    for path in (
        f"TXN/Performances/{GALA}",
        f"TXN/Performances/{GALA}/Seats/Holds?includeAllHolds=true",
        "TXN/HoldCodes/1",
        "ReferenceData/Sections",
        "ReferenceData/SeatStatuses",
    ):
        served += dates_in((await http.get(path)).json())
    served += dates_in((await http.post("TXN/Performances/Search", json={})).json())
    assert len(served) > 10
    assert [d for d in served if not NET_DATE.match(d)] == []
    assert "2026-12-01T07:00:00.12-05:00" in served
    assert any(re.search(r"T\d\d:\d\d:\d\d[+-]", d) for d in served)  # whole seconds: no fraction


def test_datacontract_time_trims_like_dotnet() -> None:
    pacific = timezone(timedelta(hours=-7))
    at = datetime(2027, 4, 24, 5, 25, 27, 467900, tzinfo=pacific)
    assert datacontract_time(at, pacific, 1) == "2027-04-24T05:25:27.4679001-07:00"
    assert datacontract_time(at, pacific) == "2027-04-24T05:25:27.4679-07:00"
    assert datacontract_time(at.replace(microsecond=0), pacific) == "2027-04-24T05:25:27-07:00"
    with pytest.raises(ValueError):
        datacontract_time(at, pacific, 10)


# -- Search items --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_search_items_carry_the_members_live_servers_send(
    http: httpx.AsyncClient, fmt: str
) -> None:
    members = {
        "PerformanceShortName",
        "PublishClientStartDate",
        "PublishClientEndDate",
        "SalesNotes",
        "SalesNotesRequired",
        "Text1",
        "Text4",
        "RankType",
        "RankTypeDescription",
        "PerformanceType",
        "ModeOfSaleStartDate",
        "ModeOfSaleEndDate",
        "ValidCountries",
        "ConstituentInterestWeight",
    }
    headers = XML if fmt == "xml" else {}
    r = await http.post("TXN/Performances/Search", json={"SeasonIds": "2028"}, headers=headers)
    if fmt == "json":
        item = r.json()[0]
        assert members <= set(item)
        assert item["SalesNotesRequired"] is False and item["Text1"] is None
        assert item["PerformanceType"] == {
            "Id": 1,
            "Description": "Default TR_PERF_TYPE",
            "Inactive": False,
        }
        assert NET_DATE.match(item["PublishClientStartDate"])
    else:
        item_xml = etree.fromstring(r.content)[0]
        assert members <= {etree.QName(c).localname for c in item_xml}


async def test_a_search_mode_of_sale_must_be_an_integer(http: httpx.AsyncClient) -> None:
    assert (await http.post("TXN/Performances/Search", json={"ModeOfSaleId": 3})).status_code == 200
    r = await http.post("TXN/Performances/Search", json={"ModeOfSaleId": "web"})
    assert r.status_code == 400


# -- 403: a user group without rights -------------------------------------------------------------


async def test_a_user_group_without_rights_authenticates_then_gets_403(
    http: httpx.AsyncClient,
) -> None:
    r = await http.get(f"TXN/Performances/{GALA}", headers={"Authorization": NO_RIGHTS})
    assert r.status_code == 403
    assert r.json() == [
        {
            "Code": "Forbidden",
            "Description": f"User group {NO_RIGHTS_USER_GROUP} does not have View rights "
            "to TXN/Performances.",
        }
    ]


async def test_a_group_the_user_is_not_in_is_still_401(http: httpx.AsyncClient) -> None:
    header = basic(TESSITURA_USER, "boxoffice", TESSITURA_LOCATION, TESSITURA_PASSWORD)
    r = await http.get(f"TXN/Performances/{GALA}", headers={"Authorization": header})
    assert r.status_code == 401


async def test_a_wrong_password_with_the_no_rights_group_is_401_not_403(
    http: httpx.AsyncClient,
) -> None:
    header = basic(TESSITURA_USER, NO_RIGHTS_USER_GROUP, TESSITURA_LOCATION, "guess")
    r = await http.get(f"TXN/Performances/{GALA}", headers={"Authorization": header})
    assert r.status_code == 401


async def test_a_403_body_follows_the_accept_header(http: httpx.AsyncClient) -> None:
    r = await http.get("ReferenceData/Sections", headers={**XML, "Authorization": NO_RIGHTS})
    assert r.status_code == 403
    root = etree.fromstring(r.content)
    assert root.tag == "ErrorMessages"
    assert root.findtext("ErrorMessage/Code") == "Forbidden"


async def test_rights_are_per_resource_and_verb(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    world.grant(NO_RIGHTS_USER_GROUP, "TXN/Performances", Permission.VIEW)
    as_group = {"Authorization": NO_RIGHTS}
    assert (await http.get(f"TXN/Performances/{GALA}", headers=as_group)).status_code == 200
    assert (
        await http.get(f"TXN/Performances/{GALA}/Seats/Holds", headers=as_group)
    ).status_code == 200
    assert (await http.get("TXN/HoldCodes/1", headers=as_group)).status_code == 403
    c1 = seat(world, "Orchestra-C-1")
    r = await http.post(
        f"TXN/Performances/{GALA}/Seats/Holds",
        json={"SeatHolds": [{"SeatId": c1, "HoldCodeId": PRESS}]},
        headers=as_group,
    )
    assert r.status_code == 403
    assert "Add rights" in r.json()[0]["Description"]
    assert world.layers(GALA, c1) == ()


async def test_revoking_the_api_groups_view_right_refuses_its_reads(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    assert (await http.get(f"TXN/Performances/{GALA}/Seats/Holds")).status_code == 200
    world.revoke("api", "TXN/Performances", Permission.VIEW)
    assert (await http.get(f"TXN/Performances/{GALA}/Seats/Holds")).status_code == 403
    assert (await http.get("ReferenceData/SeatStatuses")).status_code == 200
    world.grant("api", "TXN/Performances")
    assert (await http.get(f"TXN/Performances/{GALA}/Seats/Holds")).status_code == 200


# -- 409: a hold change on a locked seat ------------------------------------------------------------


async def test_a_hold_change_on_a_locked_seat_is_409_and_applies_nothing(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    c1, c2 = seat(world, "Orchestra-C-1"), seat(world, "Orchestra-C-2")
    world.lock(GALA, c2)
    r = await update(
        http,
        SeatHolds=[{"SeatId": c1, "HoldCodeId": PRESS}, {"SeatId": c2, "HoldCodeId": PRESS}],
    )
    assert r.status_code == 409
    assert [e["Code"] for e in r.json()] == ["SeatLocked"]
    assert str(c2) in r.json()[0]["Description"]
    assert world.layers(GALA, c1) == () and world.layers(GALA, c2) == ()


async def test_lifting_holds_from_a_locked_seat_is_409_too(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    c1 = seat(world, "Orchestra-C-1")
    world.hold(GALA, [c1], PRESS)
    world.lock(GALA, c1)
    r = await update(http, SeatHolds=[{"SeatId": c1, "HoldCodeId": -1}])
    assert r.status_code == 409
    assert [layer.hold_code_id for layer in world.layers(GALA, c1)] == [PRESS]


async def test_a_409_body_follows_the_accept_header_and_unlocking_lets_the_change_in(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    c1 = seat(world, "Orchestra-C-1")
    world.lock(GALA, c1)
    body = {"SeatHolds": [{"SeatId": c1, "HoldCodeId": PRESS}]}
    r = await http.post(f"TXN/Performances/{GALA}/Seats/Holds", json=body, headers=XML)
    assert r.status_code == 409
    assert etree.fromstring(r.content).findtext("ErrorMessage/Code") == "SeatLocked"
    world.unlock(GALA)
    r = await http.post(f"TXN/Performances/{GALA}/Seats/Holds", json=body)
    assert r.status_code == 200
    assert [layer.hold_code_id for layer in world.layers(GALA, c1)] == [PRESS]


async def test_a_bad_line_wins_over_a_locked_seat(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    c1 = seat(world, "Orchestra-C-1")
    world.lock(GALA, c1)
    r = await update(
        http, SeatHolds=[{"SeatId": c1, "HoldCodeId": PRESS}, {"SeatId": 1, "HoldCodeId": PRESS}]
    )
    assert r.status_code == 400


async def test_locks_are_per_performance(http: httpx.AsyncClient, world: TessituraWorld) -> None:
    c1 = seat(world, "Orchestra-C-1")
    world.lock(GALA, c1)
    other = next(p.id for p in world.venue.performances if p.id != GALA)
    assert (
        await update(http, other, SeatHolds=[{"SeatId": c1, "HoldCodeId": PRESS}])
    ).status_code == 200


def test_the_default_credentials_still_log_in(world: TessituraWorld) -> None:
    assert CREDENTIALS[1] in world.user_groups
    assert world.may(CREDENTIALS[1], "TXN/Performances", Permission.ADD)
    assert not world.may(NO_RIGHTS_USER_GROUP, "TXN/Performances", Permission.VIEW)
