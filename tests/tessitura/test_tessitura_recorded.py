"""The client against recorded TessituraService answers, not the sandbox's.

Each payload is written from a published sample: the TessituraService help pages (S1 GET
Seats/Holds, S2 POST Seats/Holds, S4 HoldCodes, S11 Performance) and the public Search fixture
(S26 ``clubdeuce/tessitura-php`` ``tests/fixtures/performances.json``), in JSON and in the XML the
help pages show. Dates appear as .NET writes them: 0 to 7 fractional digits, trailing zeros
trimmed. Source tags: ``../shared/docs/api-tessitura.md``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from bridge.errors import ConflictError, CredentialsError, MalformedResponseError
from bridge.sandbox import Sandbox
from bridge.sandbox.tessitura_payloads import search_result
from bridge.tessitura import RetryPolicy, SeatHoldRequest, TessituraClient

PACIFIC = timezone(timedelta(hours=-7))
EASTERN = timezone(timedelta(hours=-5))
EASTERN_DST = timezone(timedelta(hours=-4))
XSI = 'xmlns:i="http://www.w3.org/2001/XMLSchema-instance"'
TXN = 'xmlns="http://schemas.datacontract.org/2004/07/Tessitura.Service.Client.Txn"'
JSON = "application/json; charset=utf-8"
XML = "application/xml; charset=utf-8"

# -- S1: GET TXN/Performances/{id}/Seats/Holds -------------------------------------------------

HOLDS_JSON = """[
  {
    "SeatId": 1,
    "EndDate": "%s",
    "Priority": 2,
    "HoldCodeDetail": {
      "Id": 1,
      "Description": "sample string 2",
      "Legend": "sample string 3",
      "IsBlackout": true
    }
  }
]"""

HOLDS_XML = f"""<SeatHoldDetails {XSI}>
  <SeatHoldDetail>
    <EndDate>%s</EndDate>
    <HoldCodeDetail>
      <Description>sample string 2</Description>
      <Id>1</Id>
      <IsBlackout>true</IsBlackout>
      <Legend>sample string 3</Legend>
    </HoldCodeDetail>
    <Priority>2</Priority>
    <SeatId>1</SeatId>
  </SeatHoldDetail>
</SeatHoldDetails>"""

# -- S2: POST TXN/Performances/{id}/Seats/Holds (the answer) ------------------------------------

UPDATE_JSON = """[
  {
    "SeatId": 1,
    "HoldCodeId": 2,
    "EndDate": "2025-04-24T05:25:27.4679001-07:00"
  },
  {
    "SeatId": 1,
    "HoldCodeId": 2,
    "EndDate": "2025-04-24T05:25:27.4679001-07:00"
  }
]"""

UPDATE_XML = f"""<SeatHolds {XSI}>
  <SeatHold>
    <EndDate>2025-04-24T05:25:27.4679001-07:00</EndDate>
    <HoldCodeId>2</HoldCodeId>
    <SeatId>1</SeatId>
  </SeatHold>
  <SeatHold>
    <EndDate>2025-04-24T05:25:27.4679001-07:00</EndDate>
    <HoldCodeId>2</HoldCodeId>
    <SeatId>1</SeatId>
  </SeatHold>
</SeatHolds>"""

# -- S4: GET TXN/HoldCodes/{id} -----------------------------------------------------------------

HOLD_CODE_JSON = """{
  "BlackoutIndicator": true,
  "CreatedDateTime": "2025-04-24T08:56:36.1686099-07:00",
  "CreateLocation": "sample string 1",
  "CreatedBy": "sample string 2",
  "Description": "sample string 3",
  "Legend": "sample string 4",
  "Id": 1,
  "EditIndicator": true,
  "UpdatedDateTime": "2025-04-24T08:56:36.1686099-07:00",
  "UpdatedBy": "sample string 6",
  "Type": { "Id": 1, "Description": "sample string 1" }
}"""

# -- S11: GET TXN/Performances/{id}, every member of the help page's model ---------------------

PERFORMANCE_JSON = """{
  "AvailSaleIndicator": true,
  "BestSeatMap": {"Id": 1, "Description": "sample string 1"},
  "BudgetAmount": 1.0,
  "Campaign": null,
  "Code": "sample string 2",
  "CreatedBy": "sample string 3",
  "CreatedDateTime": "2025-04-24T05:30:24.7962192-07:00",
  "CreateLocation": "sample string 4",
  "Date": "2025-04-24T19:30:00-07:00",
  "DefaultEndSaleDateTime": "2025-04-24T19:30:00-07:00",
  "DefaultStartSaleDateTime": "2025-02-01T00:00:00-08:00",
  "Description": "sample string 5",
  "DoorsClose": null,
  "DoorsOpen": "2025-04-24T18:45:00-07:00",
  "Duration": 120,
  "EditIndicator": true,
  "Facility": {"Id": 47, "Description": "sample string 6",
               "SeatMap": {"Id": 12, "Description": "sample string 7"}},
  "Id": 4849,
  "ProductionSeason": {"Id": 4848, "Description": "sample string 8",
                       "Production": {"Id": 4847, "Description": "sample string 9"},
                       "Season": {"Id": 194, "Description": "sample string 10", "FYear": 2025,
                                  "Inactive": false}},
  "PublishClientEndDate": "2025-04-24T21:00:00-07:00",
  "PublishClientStartDate": "2025-02-01T00:00:00-08:00",
  "PublishWebApiEndDate": null,
  "PublishWebApiStartDate": null,
  "RankType": {"Id": 1, "Description": "Default TR_RANK_TYPE", "Inactive": false},
  "SalesNotes": null,
  "SalesNotesRequired": false,
  "Season": {"Id": 194, "Description": "sample string 10", "FYear": 2025, "Inactive": false},
  "ShortName": "sample string 11",
  "Status": {"Id": 1, "Description": "On Sale", "Inactive": false},
  "Text1": null, "Text2": null, "Text3": null, "Text4": null,
  "TimeSlot": {"Id": 1, "Description": "Evening", "Inactive": false},
  "TvIndicator": false,
  "Type": {"Id": 1, "Description": "Default TR_PERF_TYPE", "Inactive": false},
  "UpdatedBy": "sample string 12",
  "UpdatedDateTime": "2025-04-24T05:30:24.796-07:00",
  "ZoneMap": {"Id": 298, "Description": "sample string 13"}
}"""

# -- S26: POST TXN/Performances/Search, the public fixture's first item, exactly ---------------

SEARCH_ITEM = {
    "PerformanceId": 4849,
    "PerformanceCode": "LA TRAV A",
    "PerformanceDate": "2024-10-19T19:30:00-04:00",
    "Facility": {"Id": 47, "Description": "Detroit Opera House"},
    "FacilityDescription": "Detroit Opera House",
    "PerformanceDescription": "La Traviata",
    "PerformanceShortName": "La Traviata",
    "ProductionSeason": {"Id": 4848, "Description": "La Traviata"},
    "BusinessUnitId": 1,
    "ZoneMap": {"Id": 298, "Description": "FY25 DOH Rescale"},
    "ZoneMapDescription": "FY25 DOH Rescale",
    "AvailSaleIndicator": "Y",
    "ConstituentInterestWeight": None,
    "Season": {"Id": 194, "Description": "2024/2025 Opera", "FYear": 2025, "Inactive": False},
    "PublishClientStartDate": "2024-02-01T00:00:00-05:00",
    "PublishClientEndDate": "2024-10-19T21:00:00-04:00",
    "PublishWebApiStartDate": None,
    "PublishWebApiEndDate": None,
    "DoorsOpen": None,
    "DoorsClose": None,
    "Duration": None,
    "SalesNotes": None,
    "SalesNotesRequired": False,
    "Text1": None,
    "Text2": None,
    "Text3": None,
    "Text4": None,
    "RankType": {"Id": 1, "Description": "Default TR_RANK_TYPE"},
    "RankTypeDescription": "Default TR_RANK_TYPE",
    "PerformanceType": {"Id": 1, "Description": "Default TR_PERF_TYPE", "Inactive": False},
    "PerformanceStatus": {"Id": 1, "Description": "On Sale"},
    "PerformanceStatusDescription": "On Sale",
    "TimeSlot": {"Id": 1, "Description": "Evening"},
    "TimeSlotDescription": "Evening",
    "ModeOfSale": None,
    "ModeOfSaleDescription": None,
    "ModeOfSaleStartDate": None,
    "ModeOfSaleEndDate": None,
    "IsRestricted": False,
    "ValidCountries": None,
}

#: The same item as the DataContract serialiser writes it: members in ordinal order, nulls nil.
SEARCH_XML = f"""<ArrayOfPerformanceSearchResponse {XSI} {TXN}>
  <PerformanceSearchResponse>
    <AvailSaleIndicator>Y</AvailSaleIndicator>
    <BusinessUnitId>1</BusinessUnitId>
    <ConstituentInterestWeight i:nil="true"/>
    <DoorsClose i:nil="true"/>
    <DoorsOpen i:nil="true"/>
    <Duration i:nil="true"/>
    <Facility><Description>Detroit Opera House</Description><Id>47</Id></Facility>
    <FacilityDescription>Detroit Opera House</FacilityDescription>
    <IsRestricted>false</IsRestricted>
    <ModeOfSale i:nil="true"/>
    <ModeOfSaleDescription i:nil="true"/>
    <ModeOfSaleEndDate i:nil="true"/>
    <ModeOfSaleStartDate i:nil="true"/>
    <PerformanceCode>LA TRAV A</PerformanceCode>
    <PerformanceDate>2024-10-19T19:30:00-04:00</PerformanceDate>
    <PerformanceDescription>La Traviata</PerformanceDescription>
    <PerformanceId>4849</PerformanceId>
    <PerformanceShortName>La Traviata</PerformanceShortName>
    <PerformanceStatus><Description>On Sale</Description><Id>1</Id></PerformanceStatus>
    <PerformanceStatusDescription>On Sale</PerformanceStatusDescription>
    <PerformanceType><Description>Default TR_PERF_TYPE</Description><Id>1</Id><Inactive>false</Inactive></PerformanceType>
    <ProductionSeason><Description>La Traviata</Description><Id>4848</Id></ProductionSeason>
    <PublishClientEndDate>2024-10-19T21:00:00-04:00</PublishClientEndDate>
    <PublishClientStartDate>2024-02-01T00:00:00-05:00</PublishClientStartDate>
    <PublishWebApiEndDate i:nil="true"/>
    <PublishWebApiStartDate i:nil="true"/>
    <RankType><Description>Default TR_RANK_TYPE</Description><Id>1</Id></RankType>
    <RankTypeDescription>Default TR_RANK_TYPE</RankTypeDescription>
    <SalesNotes i:nil="true"/>
    <SalesNotesRequired>false</SalesNotesRequired>
    <Season><Description>2024/2025 Opera</Description><FYear>2025</FYear><Id>194</Id><Inactive>false</Inactive></Season>
    <Text1 i:nil="true"/>
    <Text2 i:nil="true"/>
    <Text3 i:nil="true"/>
    <Text4 i:nil="true"/>
    <TimeSlot><Description>Evening</Description><Id>1</Id></TimeSlot>
    <TimeSlotDescription>Evening</TimeSlotDescription>
    <ValidCountries i:nil="true"/>
    <ZoneMap><Description>FY25 DOH Rescale</Description><Id>298</Id></ZoneMap>
    <ZoneMapDescription>FY25 DOH Rescale</ZoneMapDescription>
  </PerformanceSearchResponse>
</ArrayOfPerformanceSearchResponse>"""

# -- refusals: a collection of ErrorMessages {Code, Description} (S23, S28) --------------------

FORBIDDEN_JSON = (
    '[{"Code":"Forbidden","Description":"User group web does not have View rights to '
    'TXN/Performances."}]'
)
LOCKED_XML = f"""<ErrorMessages {XSI}>
  <ErrorMessage>
    <Code>SeatLocked</Code>
    <Description>Seat 1 is locked by a pending transaction of another user</Description>
  </ErrorMessage>
</ErrorMessages>"""


def answering(
    body: str, status: int = 200, content_type: str = JSON
) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body.encode(), headers={"content-type": content_type})

    return handler


def recorded(
    handler: Callable[[httpx.Request], httpx.Response], fmt: str = "json"
) -> TessituraClient:
    return TessituraClient(
        "http://tessitura.test/TessituraService/",
        "user",
        "group",
        "location",
        "secret",
        format=fmt,  # type: ignore[arg-type]
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy.immediate(),
    )


def holds_answer(fmt: str, end: str) -> Callable[[httpx.Request], httpx.Response]:
    if fmt == "json":
        return answering(HOLDS_JSON % end)
    return answering(HOLDS_XML % end, content_type=XML)


# -- dates, as .NET trims them ------------------------------------------------------------------

#: EndDate as TessituraService may write it, and the instant it is.
NET_DATES = [
    ("2025-04-24T05:25:29.2960592-07:00", datetime(2025, 4, 24, 5, 25, 29, 296059, PACIFIC)),
    ("2025-04-24T05:25:51.715629-07:00", datetime(2025, 4, 24, 5, 25, 51, 715629, PACIFIC)),
    ("2025-04-24T05:25:51.71562-07:00", datetime(2025, 4, 24, 5, 25, 51, 715620, PACIFIC)),
    ("2025-04-24T05:25:51.7156-07:00", datetime(2025, 4, 24, 5, 25, 51, 715600, PACIFIC)),
    ("2024-01-19T13:02:24.803-05:00", datetime(2024, 1, 19, 13, 2, 24, 803000, EASTERN)),
    ("2025-04-24T05:25:51.71-07:00", datetime(2025, 4, 24, 5, 25, 51, 710000, PACIFIC)),
    ("2025-04-24T05:25:51.7-07:00", datetime(2025, 4, 24, 5, 25, 51, 700000, PACIFIC)),
    ("2025-04-24T05:00:00-07:00", datetime(2025, 4, 24, 5, 0, 0, 0, PACIFIC)),
    ("2018-04-30T15:36:30.1938837Z", datetime(2018, 4, 30, 15, 36, 30, 193883, UTC)),
    ("2018-04-30T15:36:30.5Z", datetime(2018, 4, 30, 15, 36, 30, 500000, UTC)),
    ("2018-04-30T15:00:00Z", datetime(2018, 4, 30, 15, 0, 0, 0, UTC)),
]


@pytest.mark.parametrize(("text", "moment"), NET_DATES, ids=[t for t, _ in NET_DATES])
@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_hold_end_dates_are_read_with_any_number_of_fractional_digits(
    fmt: str, text: str, moment: datetime
) -> None:
    async with recorded(holds_answer(fmt, text), fmt) as client:
        (hold,) = await client.seat_holds(1)
    assert hold.end_date == moment
    assert hold.end_date is not None and hold.end_date.utcoffset() == moment.utcoffset()


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_a_hold_end_without_an_offset_is_a_malformed_answer(fmt: str) -> None:
    async with recorded(holds_answer(fmt, "2025-04-24T05:25:29.29"), fmt) as client:
        with pytest.raises(MalformedResponseError, match="without a UTC offset"):
            await client.seat_holds(1)


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_the_holds_sample_reads_alike_in_both_formats(fmt: str) -> None:
    async with recorded(holds_answer(fmt, "2025-04-24T05:25:29.2960592-07:00"), fmt) as client:
        (hold,) = await client.seat_holds(1, include_all_holds=True)
    assert (hold.seat_id, hold.priority, hold.hold_code_id) == (1, 2, 1)
    assert hold.hold_code_detail.is_blackout
    assert hold.hold_code_detail.legend == "sample string 3"


@pytest.mark.parametrize(
    ("fmt", "answer"),
    [("json", answering(UPDATE_JSON)), ("xml", answering(UPDATE_XML, content_type=XML))],
)
async def test_the_update_answer_sample_is_read_with_its_seven_digit_end(
    fmt: str, answer: Callable[[httpx.Request], httpx.Response]
) -> None:
    async with recorded(answer, fmt) as client:
        lines = await client.update_seat_holds(1, [SeatHoldRequest(seat_id=1, hold_code_id=2)])
    assert [(line.seat_id, line.hold_code_id) for line in lines] == [(1, 2), (1, 2)]
    assert {line.end_date for line in lines} == {datetime(2025, 4, 24, 5, 25, 27, 467900, PACIFIC)}


async def test_the_hold_code_sample_is_read() -> None:
    async with recorded(answering(HOLD_CODE_JSON)) as client:
        code = await client.hold_code(1)
    assert (code.id, code.blackout_indicator, code.legend) == (1, True, "sample string 4")
    assert code.type is not None and code.type.id == 1


async def test_a_performance_with_every_documented_member_is_read() -> None:
    async with recorded(answering(PERFORMANCE_JSON)) as client:
        performance = await client.performance(4849)
    assert performance.seat_map_id == 12
    assert performance.date == datetime(2025, 4, 24, 19, 30, tzinfo=PACIFIC)
    assert performance.season is not None and performance.season.fyear == 2025


# -- Search: every member of the fixture, most of them unused ----------------------------------


@pytest.mark.parametrize(
    ("fmt", "answer"),
    [
        ("json", answering(json.dumps([SEARCH_ITEM]))),
        ("xml", answering(SEARCH_XML, content_type=XML)),
    ],
)
async def test_a_search_item_with_every_fixture_member_is_read(
    fmt: str, answer: Callable[[httpx.Request], httpx.Response]
) -> None:
    async with recorded(answer, fmt) as client:
        (item,) = await client.search_performances(start=datetime(2024, 10, 1, tzinfo=UTC))
    assert item.performance_id == 4849
    assert item.performance_code == "LA TRAV A"
    assert item.performance_date == datetime(2024, 10, 19, 19, 30, tzinfo=EASTERN_DST)
    assert item.facility is not None and item.facility.id == 47
    assert item.season is not None and item.season.id == 194
    assert item.duration is None


async def test_search_members_the_client_does_not_use_are_ignored_whatever_they_hold() -> None:
    """Strict models refuse a wrong type only in members they declare: a server adding members,
    or filling the null ones, never makes an answer malformed."""
    item = {
        **SEARCH_ITEM,
        "ValidCountries": "USA,CAN",
        "ModeOfSale": {"Id": 1, "Description": "Box Office"},
        "ModeOfSaleStartDate": "2024-02-01T00:00:00.5-05:00",
        "ConstituentInterestWeight": 0.25,
        "Text1": "sample string",
        "SalesNotes": "Late seating after the first act",
        "SalesNotesRequired": True,
        "SomeFutureMember": [1, 2, 3],
    }
    async with recorded(answering(json.dumps([item]))) as client:
        (read,) = await client.search_performances()
    assert read.performance_id == 4849


def test_the_sandbox_serves_every_fixture_member_with_its_type() -> None:
    """The fake's Search item has exactly the fixture's members, in its order; a member null in
    the fixture is null in the sandbox too, unless the sandbox knows its value."""
    box = Sandbox()
    served = search_result(box.tessitura_world, box.venue.performances[0])
    assert list(served) == list(SEARCH_ITEM)
    known: dict[str, type] = {"DoorsOpen": str, "Duration": int}
    for name, value in SEARCH_ITEM.items():
        assert isinstance(served[name], known.get(name, type(value))), (name, served[name])


# -- refusals ----------------------------------------------------------------------------------


async def test_a_403_body_is_a_credentials_error_naming_what_tessitura_said() -> None:
    async with recorded(answering(FORBIDDEN_JSON, status=403)) as client:
        with pytest.raises(CredentialsError) as caught:
            await client.seat_holds(1)
    assert caught.value.status == 403
    assert caught.value.codes == ("Forbidden",)
    assert "does not have View rights" in str(caught.value)


async def test_a_409_xml_body_on_a_write_is_a_conflict_error() -> None:
    async with recorded(answering(LOCKED_XML, status=409, content_type=XML), "xml") as client:
        with pytest.raises(ConflictError) as caught:
            await client.update_seat_holds(1, [SeatHoldRequest(seat_id=1, hold_code_id=2)])
    assert caught.value.codes == ("SeatLocked",)
    assert "locked" in str(caught.value)
