"""Payload models read what TessituraService really sends: padding, .NET dates, nulls, namespaces."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest
from lxml import etree
from pydantic import SecretStr

from bridge.errors import ConfigError
from bridge.tessitura.credentials import TessituraCredentials
from bridge.tessitura.models import Performance, Seat, SeatHold, SeatHoldDetail, Section
from bridge.tessitura.xml import collection_data, object_data, update_request_xml

PACIFIC = timezone(timedelta(hours=-7))


def test_seven_digit_fractions_keep_their_offset() -> None:
    hold = SeatHold.model_validate(
        {"SeatId": 1, "HoldCodeId": 2, "EndDate": "2025-04-24T05:25:27.4679001-07:00"}
    )
    assert hold.end_date == datetime(2025, 4, 24, 5, 25, 27, 467900, tzinfo=PACIFIC)


def test_a_z_suffix_is_utc() -> None:
    hold = SeatHold.model_validate(
        {"SeatId": 1, "HoldCodeId": 2, "EndDate": "2018-04-30T15:36:30.1938837Z"}
    )
    assert hold.end_date is not None and hold.end_date.tzinfo == UTC


@pytest.mark.parametrize("end", [None, ""])
def test_an_end_date_may_be_null_or_empty(end: str | None) -> None:
    hold = SeatHold.model_validate({"SeatId": 1, "HoldCodeId": 2, "EndDate": end})
    assert hold.end_date is None


def test_absent_optional_fields_take_defaults() -> None:
    detail = SeatHoldDetail.model_validate({"SeatId": 1, "HoldCodeDetail": {"Id": 3}})
    assert (detail.priority, detail.end_date, detail.hold_code_detail.is_blackout) == (
        1,
        None,
        False,
    )


def test_char_padding_is_stripped() -> None:
    section = Section.model_validate(
        {"Id": 1, "ShortDesc": "ORCH      ", "SectionLegend": "O  ", "PrintDesc": None}
    )
    assert (section.short_desc, section.section_legend, section.print_desc) == ("ORCH", "O", None)


def test_unknown_fields_are_ignored() -> None:
    seat = Seat.model_validate({"Id": 1, "IsSeat": True, "SeatStatusId": 0, "NewIn17": "x"})
    assert seat.hold_code_id == 0


def test_xml_is_read_by_local_name_whatever_the_namespaces() -> None:
    xml = b"""<Performance xmlns:i="http://www.w3.org/2001/XMLSchema-instance"
        xmlns="http://schemas.datacontract.org/2004/07/Tessitura.Service.Client.Txn">
      <Date>2024-10-19T19:30:00-04:00</Date>
      <Facility xmlns:d3p1="http://schemas.datacontract.org/2004/07/Tessitura.Service.Client.Other">
        <d3p1:Description>Detroit Opera House   </d3p1:Description>
        <d3p1:Id>47</d3p1:Id>
        <d3p1:SeatMap><d3p1:Id>201</d3p1:Id></d3p1:SeatMap>
      </Facility>
      <Id>4849</Id>
      <Season i:nil="true"/>
      <Unknown><Deep>1</Deep></Unknown>
    </Performance>"""
    p = Performance.model_validate(object_data(etree.fromstring(xml), Performance))
    assert (p.id, p.seat_map_id, p.season) == (4849, 201, None)
    assert p.facility is not None and p.facility.description == "Detroit Opera House"


def test_an_xml_collection_is_read_whatever_its_item_elements_are_called() -> None:
    xml = b"""<ArrayOfWhatever><Item><SeatId>1</SeatId><HoldCodeId>2</HoldCodeId>
      <EndDate xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:nil="true"/></Item>
      </ArrayOfWhatever>"""
    (data,) = collection_data(etree.fromstring(xml), SeatHold)
    assert SeatHold.model_validate(data) == SeatHold(seat_id=1, hold_code_id=2)


def test_the_xml_update_request_matches_the_reference_page() -> None:
    body = update_request_xml(
        [(1, 2)],
        replace_mode=1,
        only_affect_available=True,
        hold_until=datetime(2025, 4, 24, 5, 25, 27, 467900, tzinfo=PACIFIC),
    )
    root = etree.fromstring(body)
    assert root.tag == "UpdateHoldCodeRequest"
    assert [c.tag for c in root] == [
        "HoldUntilDate",
        "OnlyAffectAvailable",
        "ReplaceMode",
        "SeatHolds",
    ]
    holds = root.find("SeatHolds")
    assert holds is not None
    (line,) = holds
    assert (line.tag, [c.tag for c in line]) == ("SeatHoldRequest", ["HoldCodeId", "SeatId"])


# -- credentials -------------------------------------------------------------------------------


def test_credentials_make_the_four_part_basic_header() -> None:
    creds = TessituraCredentials("admin", "admin", "location1", SecretStr("pwd123"))
    token = creds.authorization().removeprefix("Basic ")
    assert base64.b64decode(token) == b"admin:admin:location1:pwd123"


def test_credentials_never_show_the_password() -> None:
    creds = TessituraCredentials("admin", "admin", "location1", SecretStr("pwd123"))
    assert "pwd123" not in repr(creds) + str(creds)


@pytest.mark.parametrize("user", ["", "ad:min"])
def test_a_user_name_that_would_break_the_four_parts_is_a_config_error(user: str) -> None:
    with pytest.raises(ConfigError, match="user"):
        TessituraCredentials(user, "admin", "location1", SecretStr("pwd123"))
