"""The fake TessituraService speaks XML as well as JSON: same data, DataContract shape, safe parsing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree
from tessitura_fixtures import app_fixture, http_fixture, world_fixture  # noqa: F401

from bridge.sandbox.tessitura_world import TessituraWorld
from bridge.sandbox.tessitura_xml import TXN_NAMESPACE, XSI

GALA = 201
PRESS = 2
XML = {"Accept": "application/xml"}
XML_BODY = {"Content-Type": "application/xml"}


def as_text(value: Any) -> Any:
    """JSON data with every scalar as the text XML would carry (None stays None)."""
    if isinstance(value, dict):
        return {k: as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_text(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None else str(value)


def from_xml(element: etree._Element, collection: bool) -> Any:
    """XML back to JSON-shaped data, reading local names only."""
    kids = [c for c in element if isinstance(c.tag, str)]
    if collection:
        return [from_xml(c, False) for c in kids]
    if element.get(f"{{{XSI}}}nil") == "true":
        return None
    if not kids:
        return element.text or ""
    return {etree.QName(c).localname: from_xml(c, False) for c in kids}


ENDPOINTS: list[tuple[str, str, dict[str, Any] | None, bool]] = [
    ("GET", f"TXN/Performances/{GALA}/Seats/Holds?includeAllHolds=true", None, True),
    ("GET", f"TXN/Performances/{GALA}/Seats?constituentId=0&modeOfSaleId=10", None, True),
    ("GET", f"TXN/Performances/{GALA}", None, False),
    ("POST", "TXN/Performances/Search", {"SeasonIds": "2027,2028"}, True),
    ("GET", "ReferenceData/Sections?seatMapId=12", None, True),
    ("GET", "ReferenceData/SeatStatuses", None, True),
    ("GET", "TXN/HoldCodes/5", None, False),
    ("GET", "TXN/Performances/999", None, True),
    ("GET", "TXN/HoldCodes/99", None, True),
]


@pytest.mark.parametrize(("method", "url", "body", "collection"), ENDPOINTS)
async def test_json_and_xml_answers_carry_the_same_data(
    http: httpx.AsyncClient, method: str, url: str, body: dict[str, Any] | None, collection: bool
) -> None:
    as_json = await http.request(method, url, json=body)
    as_xml = await http.request(method, url, json=body, headers=XML)
    assert as_json.status_code == as_xml.status_code
    assert as_xml.headers["content-type"].startswith("application/xml")
    root = etree.fromstring(as_xml.content)
    assert from_xml(root, collection) == as_text(as_json.json())


async def test_update_answers_the_same_data_in_json_and_xml(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    seat = world.venue.seat_by_label("Orchestra-C-1").id
    body = {
        "HoldUntilDate": "2026-12-01T12:00:00-05:00",
        "SeatHolds": [{"SeatId": seat, "HoldCodeId": PRESS}],
    }
    url = f"TXN/Performances/{GALA}/Seats/Holds"
    as_json = await http.post(url, json=body)
    as_xml = await http.post(url, json=body, headers=XML)
    root = etree.fromstring(as_xml.content)
    assert etree.QName(root).localname == "SeatHolds"
    assert from_xml(root, True) == as_text(as_json.json())


async def test_xml_elements_are_in_alphabetical_order(http: httpx.AsyncClient) -> None:
    r = await http.get(f"TXN/Performances/{GALA}", headers=XML)
    for element in etree.fromstring(r.content).iter():
        names = [etree.QName(c).localname for c in element if isinstance(c.tag, str)]
        assert names == sorted(names)


@pytest.mark.parametrize(
    ("url", "root", "item", "namespace"),
    [
        (f"TXN/Performances/{GALA}/Seats/Holds", "SeatHoldDetails", "SeatHoldDetail", None),
        (f"TXN/Performances/{GALA}/Seats", "Seats", "Seat", TXN_NAMESPACE),
        (f"TXN/Performances/{GALA}", "Performance", "AvailSaleIndicator", TXN_NAMESPACE),
        ("ReferenceData/Sections", "Sections", "Section", None),
        ("ReferenceData/SeatStatuses", "SeatStatuses", "SeatStatus", None),
        ("TXN/HoldCodes/1", "HoldCode", "BlackoutIndicator", None),
        ("TXN/HoldCodes/99", "ErrorMessages", "ErrorMessage", None),
    ],
)
async def test_xml_roots_are_named_and_namespaced_as_documented(
    http: httpx.AsyncClient, url: str, root: str, item: str, namespace: str | None
) -> None:
    element = etree.fromstring((await http.get(url, headers=XML)).content)
    assert element.tag == (f"{{{namespace}}}{root}" if namespace else root)
    assert element.nsmap.get("i") == XSI
    assert element.nsmap.get(None) == namespace
    assert etree.QName(element[0]).localname == item


async def test_xml_nulls_are_marked_nil(http: httpx.AsyncClient) -> None:
    r = await http.get(f"TXN/Performances/{GALA}/Seats/Holds", headers=XML)
    end = etree.fromstring(r.content)[0].find("EndDate")
    assert end is not None and end.get(f"{{{XSI}}}nil") == "true"


async def test_text_xml_in_accept_selects_xml(http: httpx.AsyncClient) -> None:
    r = await http.get("ReferenceData/SeatStatuses", headers={"Accept": "text/xml"})
    assert r.content.startswith(b"<SeatStatuses")


async def test_json_is_the_default_answer(http: httpx.AsyncClient) -> None:
    r = await http.get("ReferenceData/SeatStatuses", headers={"Accept": "*/*"})
    assert r.headers["content-type"].startswith("application/json")


async def test_a_401_follows_the_accept_header(http: httpx.AsyncClient) -> None:
    r = await http.get(
        "ReferenceData/SeatStatuses", headers={**XML, "Authorization": "Basic Zm9vOmJhcg=="}
    )
    assert r.status_code == 401
    assert etree.fromstring(r.content).tag == "ErrorMessages"


# -- XML request bodies ------------------------------------------------------------------------


def update_xml(root: str, seat: int, code: int, mode: int = 1) -> bytes:
    return f"""<{root} xmlns:i="{XSI}">
  <HoldUntilDate>2027-04-24T05:25:27.4679001-07:00</HoldUntilDate>
  <OnlyAffectAvailable>true</OnlyAffectAvailable>
  <ReplaceMode>{mode}</ReplaceMode>
  <SeatHolds><SeatHoldRequest><HoldCodeId>{code}</HoldCodeId><SeatId>{seat}</SeatId></SeatHoldRequest></SeatHolds>
</{root}>""".encode()


@pytest.mark.parametrize("root", ["UpdateHoldCodeRequest", "UpdateSeatHoldRequest"])
async def test_an_xml_update_is_applied_under_either_root_name(
    http: httpx.AsyncClient, world: TessituraWorld, root: str
) -> None:
    seat = world.venue.seat_by_label("Orchestra-C-1").id
    r = await http.post(
        f"TXN/Performances/{GALA}/Seats/Holds",
        content=update_xml(root, seat, PRESS),
        headers={**XML_BODY, **XML},
    )
    assert r.status_code == 200
    assert [layer.hold_code_id for layer in world.layers(GALA, seat)] == [PRESS]
    assert world.layers(GALA, seat)[0].end is not None


async def test_an_xml_update_in_a_namespace_is_read_by_local_name(
    http: httpx.AsyncClient, world: TessituraWorld
) -> None:
    seat = world.venue.seat_by_label("Orchestra-C-1").id
    body = update_xml("UpdateSeatHoldRequest", seat, PRESS).replace(
        b"<UpdateSeatHoldRequest ", f'<UpdateSeatHoldRequest xmlns="{TXN_NAMESPACE}" '.encode()
    )
    r = await http.post(f"TXN/Performances/{GALA}/Seats/Holds", content=body, headers=XML_BODY)
    assert r.status_code == 200
    assert world.layers(GALA, seat)


async def test_an_xml_update_with_another_root_is_400(http: httpx.AsyncClient) -> None:
    r = await http.post(
        f"TXN/Performances/{GALA}/Seats/Holds",
        content=update_xml("Something", 10001, PRESS),
        headers=XML_BODY,
    )
    assert r.status_code == 400


async def test_an_xml_search_filters_like_json(http: httpx.AsyncClient) -> None:
    body = b"<PerformanceSearchRequest><SeasonIds>2028</SeasonIds></PerformanceSearchRequest>"
    r = await http.post("TXN/Performances/Search", content=body, headers=XML_BODY)
    assert [p["PerformanceId"] for p in r.json()] == [201, 202, 203, 204]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<PerformanceSearchRequest><SeasonIds>&lol9;</SeasonIds></PerformanceSearchRequest>"""


def xxe(path: Path) -> bytes:
    return f"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{path}">]>
<PerformanceSearchRequest><SeasonIds>&xxe;</SeasonIds></PerformanceSearchRequest>""".encode()


async def test_a_billion_laughs_body_is_refused_before_any_expansion(
    http: httpx.AsyncClient,
) -> None:
    r = await http.post("TXN/Performances/Search", content=BILLION_LAUGHS, headers=XML_BODY)
    assert r.status_code == 400
    assert "DOCTYPE" in r.text  # refused by the declaration check, never parsed or expanded


async def test_an_xxe_body_is_refused_without_reading_the_file(
    http: httpx.AsyncClient, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("2027")  # a valid season id: a leak would change the answer
    r = await http.post("TXN/Performances/Search", content=xxe(secret), headers=XML_BODY)
    assert r.status_code == 400
    assert "2027" not in r.text
