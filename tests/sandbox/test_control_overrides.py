"""The control surface's answer overrides (a wrong type in a Tessitura answer) and injected error
bodies (a vendor's own refusal, headers included), in-process and over the /_sandbox/ routes."""

from __future__ import annotations

import httpx
import pytest
from tessitura_fixtures import app_fixture, http_fixture, world_fixture  # noqa: F401

from bridge.sandbox.control import Faults, Override
from bridge.sandbox.tessitura_app import TessituraSandboxApp
from bridge.sandbox.tessitura_world import TessituraWorld

GALA = 201
HOST = "http://tessitura.sandbox"


def seat(world: TessituraWorld, label: str) -> int:
    return world.venue.seat_by_label(label).id


async def test_an_override_sets_a_field_of_the_matching_items_only(
    http: httpx.AsyncClient, app: TessituraSandboxApp, world: TessituraWorld
) -> None:
    target = seat(world, "Orchestra-A-1")
    app.state.control.add_override(
        Override(r"/Seats/Holds$", {"SeatId": True, "HoldCodeDetail.Id": "1"}, {"SeatId": target})
    )
    holds = (await http.get(f"TXN/Performances/{GALA}/Seats/Holds")).json()
    patched = [h for h in holds if h["SeatId"] is True]
    assert len(patched) == 1 and patched[0]["HoldCodeDetail"]["Id"] == "1"
    assert all(isinstance(h["SeatId"], int) for h in holds if h is not patched[0])
    assert target in world.held_seats(GALA)  # only the answer changed, not the world
    again = (await http.get(f"TXN/Performances/{GALA}/Seats/Holds")).json()
    assert [h for h in again if h["SeatId"] is True] == patched  # every answer, no count given


async def test_an_override_reaches_xml_as_text_and_respects_method_and_count(
    http: httpx.AsyncClient, app: TessituraSandboxApp
) -> None:
    app.state.control.add_override(
        Override(r"/Seats/Holds$", {"SeatId": True}, method="GET", count=1)
    )
    xml = {"Accept": "application/xml"}
    first = await http.get(f"TXN/Performances/{GALA}/Seats/Holds", headers=xml)
    assert "<SeatId>true</SeatId>" in first.text
    second = await http.get(f"TXN/Performances/{GALA}/Seats/Holds", headers=xml)
    assert "<SeatId>true</SeatId>" not in second.text


async def test_overrides_are_set_listed_and_cleared_over_http(
    app: TessituraSandboxApp, http: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=HOST) as raw:
        bad = await raw.post("/_sandbox/overrides", json={"path_pattern": "x", "sett": {}})
        assert bad.status_code == 400
        added = await raw.post(
            "/_sandbox/overrides",
            json={"path_pattern": r"Performances/201$", "set": {"Id": "201"}},
        )
        assert added.json()["overrides"][0]["set"] == {"Id": "201"}
        assert (await http.get(f"TXN/Performances/{GALA}")).json()["Id"] == "201"
        assert (await raw.delete("/_sandbox/overrides")).json() == {"overrides": []}
    assert (await http.get(f"TXN/Performances/{GALA}")).json()["Id"] == GALA


@pytest.mark.parametrize("body", [None, {"errors": [{"code": "SLOW_DOWN"}]}])
async def test_an_injected_error_can_carry_a_body_and_headers(
    http: httpx.AsyncClient, app: TessituraSandboxApp, body: object
) -> None:
    app.state.control.set_faults(
        Faults(
            error_rate=1.0, error_status=429, error_body=body, error_headers={"Retry-After": "9"}
        )
    )
    r = await http.get("ReferenceData/SeatStatuses")
    assert r.status_code == 429 and r.headers["retry-after"] == "9"
    assert r.json() == (body if body is not None else {"injected": True, "status": 429})


async def test_an_answer_override_empties_one_performances_holds_and_its_removal_restores_them(
    http: httpx.AsyncClient, app: TessituraSandboxApp, world: TessituraWorld
) -> None:
    """The vanished-holds glitch of the chaos suite: a 200 with no hold at all, in JSON and XML,
    while the world still holds the seats; the other performances answer as before."""
    vanish = Override(r"/Performances/201/Seats/Holds$", {}, method="GET", answer=[])
    app.state.control.add_override(vanish)
    assert (await http.get(f"TXN/Performances/{GALA}/Seats/Holds")).json() == []
    xml = await http.get(
        f"TXN/Performances/{GALA}/Seats/Holds", headers={"Accept": "application/xml"}
    )
    assert xml.status_code == 200 and "<SeatId>" not in xml.text
    assert (await http.get("TXN/Performances/202/Seats/Holds")).json() != []
    assert world.held_seats(GALA)  # only the answer is empty
    app.state.control.remove_override(vanish)
    app.state.control.remove_override(vanish)  # gone already: nothing to do
    assert len((await http.get(f"TXN/Performances/{GALA}/Seats/Holds")).json()) > 0


async def test_an_answer_override_over_http_needs_a_list_or_an_object(
    app: TessituraSandboxApp, http: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=HOST) as raw:
        bad = await raw.post("/_sandbox/overrides", json={"path_pattern": "x", "answer": 3})
        assert bad.status_code == 400 and "list or an object" in bad.json()["error"]
        neither = await raw.post("/_sandbox/overrides", json={"path_pattern": "x", "set": {}})
        assert neither.status_code == 400
        added = await raw.post(
            "/_sandbox/overrides", json={"path_pattern": r"/201/Seats/Holds$", "answer": []}
        )
        assert added.status_code == 200 and added.json()["overrides"][0]["answer"] == []
    assert (await http.get(f"TXN/Performances/{GALA}/Seats/Holds")).json() == []
