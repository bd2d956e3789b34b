"""Fail closed at the Tessitura edge: a value of the wrong type is a malformed answer, never coerced.

``"SeatId": true`` must not be read as seat 1 (pydantic's lax mode would), and XML text converts
only to the type a field declares. Every refusal is one line naming the field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from bridge.errors import BridgeError, MalformedResponseError
from bridge.sandbox.control import Override
from bridge.sandbox.tessitura_app import TessituraSandboxApp
from bridge.tessitura import RetryPolicy, TessituraClient
from bridge.tessitura.models import Performance, SeatHold, SeatHoldDetail

GALA = 201
ClientFactory = Callable[..., TessituraClient]
HOLD_CODE = {"Id": 1, "Description": "House", "Legend": "H", "IsBlackout": False}


def json_client(answer: Any) -> TessituraClient:
    return TessituraClient(
        "http://tessitura.test/TessituraService/",
        "user",
        "group",
        "location",
        "hunter2-secret",
        transport=httpx.MockTransport(lambda request: httpx.Response(200, json=answer)),
        retry=RetryPolicy.immediate(),
    )


def xml_client(body: str) -> TessituraClient:
    answer = httpx.Response(
        200, content=body.encode(), headers={"Content-Type": "application/xml; charset=utf-8"}
    )
    return TessituraClient(
        "http://tessitura.test/TessituraService/",
        "user",
        "group",
        "location",
        "hunter2-secret",
        format="xml",
        transport=httpx.MockTransport(lambda request: answer),
        retry=RetryPolicy.immediate(),
    )


def one_line(error: MalformedResponseError) -> str:
    """The message, checked to be a single short line and not a pydantic dump."""
    text = str(error)
    assert "\n" not in text and len(text) < 300, text
    assert "errors.pydantic.dev" not in text and "validation error" not in text, text
    return text


def hold(**fields: Any) -> dict[str, Any]:
    return {"SeatId": 10001, "EndDate": None, "Priority": 1, "HoldCodeDetail": HOLD_CODE} | fields


# -- JSON --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "field", "found"),
    [
        (hold(SeatId=True), "SeatHoldDetail[1].SeatId", "a boolean"),
        (hold(SeatId=1.0), "SeatHoldDetail[1].SeatId", "a number with a fraction"),
        (hold(SeatId="1"), "SeatHoldDetail[1].SeatId", "the string '1'"),
        (hold(Priority=False), "SeatHoldDetail[1].Priority", "a boolean"),
        (hold(HoldCodeDetail=[HOLD_CODE]), "SeatHoldDetail[1].HoldCodeDetail", "a list"),
        (hold(HoldCodeDetail=HOLD_CODE | {"Id": True}), "HoldCodeDetail.Id", "a boolean"),
        (
            hold(HoldCodeDetail=HOLD_CODE | {"IsBlackout": "false"}),
            "HoldCodeDetail.IsBlackout",
            "the string 'false'",
        ),
        (hold(HoldCodeDetail=HOLD_CODE | {"Legend": 7}), "HoldCodeDetail.Legend", "an integer"),
        (hold(EndDate=20250424), "SeatHoldDetail[1].EndDate", "an integer"),
    ],
)
async def test_a_wrong_type_in_a_json_hold_is_malformed_naming_the_field(
    item: dict[str, Any], field: str, found: str
) -> None:
    async with json_client([hold(SeatId=10002), item]) as client:
        with pytest.raises(MalformedResponseError) as caught:
            await client.seat_holds(GALA)
    message = one_line(caught.value)
    assert field in message and f"(got {found})" in message
    assert caught.value.status == 200 and caught.value.body  # the raw answer is kept for logs


@pytest.mark.parametrize(
    ("end", "problem"),
    [
        ("next tuesday", "not an ISO-8601 date: 'next tuesday'"),
        ("2025-13-40T05:25:27-07:00", "not an ISO-8601 date"),
        ("2025-04-24T05:25:27.4679001", "date without a UTC offset"),
    ],
)
async def test_a_garbled_or_zoneless_date_is_malformed(end: str, problem: str) -> None:
    async with json_client([hold(EndDate=end)]) as client:
        with pytest.raises(MalformedResponseError) as caught:
            await client.seat_holds(GALA)
    message = one_line(caught.value)
    assert "SeatHoldDetail[0].EndDate" in message and problem in message


async def test_a_list_where_an_object_belongs_is_malformed() -> None:
    async with json_client([{"Id": GALA}]) as client:
        with pytest.raises(MalformedResponseError) as caught:
            await client.performance(GALA)
    assert "Performance: Input should be a valid dictionary" in one_line(caught.value)


async def test_a_missing_required_field_is_named() -> None:
    async with json_client([{"HoldCodeDetail": HOLD_CODE}]) as client:
        with pytest.raises(MalformedResponseError) as caught:
            await client.seat_holds(GALA)
    assert "SeatHoldDetail[0].SeatId: Field required" in one_line(caught.value)


async def test_several_problems_are_counted_not_dumped() -> None:
    answer = [hold(SeatId=True, Priority="1", HoldCodeDetail={"Id": "x"})] * 50
    async with json_client(answer) as client:
        with pytest.raises(MalformedResponseError) as caught:
            await client.seat_holds(GALA)
    assert "more problems)" in one_line(caught.value)


def test_the_models_refuse_coercion_on_their_own() -> None:
    for bad in (True, 1.0, "1"):
        with pytest.raises(ValidationError):
            SeatHold.model_validate({"SeatId": bad, "HoldCodeId": 2})
    with pytest.raises(ValidationError):
        Performance.model_validate({"Id": 1, "Date": "2024-10-19T19:30:00"})


def test_well_typed_json_still_reads_with_its_padding_offsets_and_nulls() -> None:
    detail = SeatHoldDetail.model_validate(
        hold(
            EndDate="2025-04-24T05:25:29.2960592-07:00",
            HoldCodeDetail={"Id": 3, "Legend": "KL ", "Description": None},
        )
    )
    assert detail.hold_code_detail.legend == "KL"
    assert detail.end_date is not None and detail.end_date.utcoffset() is not None


# -- XML ---------------------------------------------------------------------------------------


def holds_xml(*items: str) -> str:
    return (
        '<SeatHoldDetails xmlns:i="http://www.w3.org/2001/XMLSchema-instance">'
        + "".join(f"<SeatHoldDetail>{i}</SeatHoldDetail>" for i in items)
        + "</SeatHoldDetails>"
    )


def xml_hold(seat: str = "10001", blackout: str = "false", end: str = "", extra: str = "") -> str:
    end_element = f"<EndDate>{end}</EndDate>" if end else '<EndDate i:nil="true"/>'
    return (
        f"{end_element}<HoldCodeDetail><Description>House   </Description><Id>1</Id>"
        f"<IsBlackout>{blackout}</IsBlackout><Legend>H  </Legend></HoldCodeDetail>"
        f"<Priority>1</Priority><SeatId>{seat}</SeatId>{extra}"
    )


async def test_xml_text_is_converted_to_the_declared_types() -> None:
    body = holds_xml(
        xml_hold(" 12 ", blackout="true", end="2025-04-24T05:25:29.2960592-07:00"),
        xml_hold("+13"),
    )
    async with xml_client(body) as client:
        first, second = await client.seat_holds(GALA)
    assert (first.seat_id, first.hold_code_detail.is_blackout, second.seat_id) == (12, True, 13)
    assert first.hold_code_detail.description == "House" and first.end_date is not None
    assert second.end_date is None and second.hold_code_detail.is_blackout is False


@pytest.mark.parametrize("seat", ["true", "1.0", "1e3", "0x1F", "", "12 34", "١٢", "9" * 40])
async def test_xml_text_that_is_not_a_plain_integer_is_malformed(seat: str) -> None:
    async with xml_client(holds_xml(xml_hold(seat))) as client:
        with pytest.raises(MalformedResponseError) as caught:
            await client.seat_holds(GALA)
    assert "SeatHoldDetail[0].SeatId: Input should be a valid integer" in one_line(caught.value)


@pytest.mark.parametrize("flag", ["1", "0", "yes", "True", ""])
async def test_xml_booleans_are_true_or_false_only(flag: str) -> None:
    async with xml_client(holds_xml(xml_hold(blackout=flag))) as client:
        with pytest.raises(MalformedResponseError) as caught:
            await client.seat_holds(GALA)
    assert "HoldCodeDetail.IsBlackout: Input should be a valid boolean" in one_line(caught.value)


async def test_an_xml_date_with_garbage_is_malformed() -> None:
    async with xml_client(holds_xml(xml_hold(end="2025-04-24Tnoon"))) as client:
        with pytest.raises(MalformedResponseError) as caught:
            await client.seat_holds(GALA)
    assert "SeatHoldDetail[0].EndDate: Value error, not an ISO-8601 date" in one_line(caught.value)


async def test_an_xml_object_where_a_value_belongs_is_malformed() -> None:
    body = holds_xml(xml_hold(seat="<Id>10001</Id>"))
    async with xml_client(body) as client:
        with pytest.raises(MalformedResponseError) as caught:
            await client.seat_holds(GALA)
    assert "SeatHoldDetail[0].SeatId" in one_line(caught.value)


async def test_an_xml_member_given_twice_is_malformed_not_guessed() -> None:
    body = holds_xml(xml_hold(extra="<SeatId>1</SeatId>"))
    async with xml_client(body) as client:
        with pytest.raises(MalformedResponseError) as caught:
            await client.seat_holds(GALA)
    message = one_line(caught.value)
    assert "SeatId appears twice" in message and caught.value.status == 200


# -- the sandbox answering a wrong type --------------------------------------------------------


async def test_the_sandbox_can_answer_seat_id_true_and_the_client_refuses_it(
    make_client: ClientFactory, app: TessituraSandboxApp, fmt: str
) -> None:
    control = app.state.control
    control.add_override(
        Override(rf"Performances/{GALA}/Seats/Holds$", {"SeatId": True}, where={"SeatId": 10001})
    )
    client = make_client(fmt)
    with pytest.raises(MalformedResponseError) as caught:
        await client.seat_holds(GALA)
    assert "SeatId: Input should be a valid integer" in one_line(caught.value)
    assert len(await client.seat_holds(202)) > 0  # other performances answer as before
    control.clear_overrides()
    assert 10001 in {h.seat_id for h in await client.seat_holds(GALA)}


# -- a JSON member given twice -------------------------------------------------------------------


def raw_json_client(body: bytes, status: int = 200) -> TessituraClient:
    answer = httpx.Response(status, content=body, headers={"Content-Type": "application/json"})
    return TessituraClient(
        "http://tessitura.test/TessituraService/",
        "user",
        "group",
        "location",
        "hunter2-secret",
        transport=httpx.MockTransport(lambda request: answer),
        retry=RetryPolicy.immediate(),
    )


HOLD_CODE_JSON = b'{"Id": 1, "Description": "House", "Legend": "H", "IsBlackout": false}'


@pytest.mark.parametrize(
    ("body", "member"),
    [
        # read last-wins, the house hold on seat 10001 would move to seat 10002
        (
            b'[{"SeatId": 10001, "EndDate": null, "Priority": 1, "SeatId": 10002, '
            b'"HoldCodeDetail": ' + HOLD_CODE_JSON + b"}]",
            "SeatId",
        ),
        (
            b'[{"SeatId": 10001, "EndDate": null, "Priority": 1, "HoldCodeDetail": '
            b'{"Id": 1, "Description": "House", "Id": 4, "Legend": "H", "IsBlackout": false}}]',
            "Id",
        ),
    ],
)
async def test_a_json_member_given_twice_is_malformed_not_read_last_wins(
    body: bytes, member: str
) -> None:
    async with raw_json_client(body) as client:
        with pytest.raises(MalformedResponseError) as caught:
            await client.seat_holds(GALA)
    message = one_line(caught.value)
    assert f"member '{member}' given twice" in message and caught.value.status == 200


async def test_a_json_object_answer_with_a_member_given_twice_is_malformed() -> None:
    body = HOLD_CODE_JSON[:-1] + b', "IsBlackout": true}'
    async with raw_json_client(body) as client:
        with pytest.raises(MalformedResponseError) as caught:
            await client.hold_code(1)
    assert "member 'IsBlackout' given twice" in one_line(caught.value)


async def test_nan_in_a_json_answer_is_malformed() -> None:
    body = b'[{"SeatId": NaN, "EndDate": null, "Priority": 1, "HoldCodeDetail": null}]'
    async with raw_json_client(body) as client:
        with pytest.raises(MalformedResponseError) as caught:
            await client.seat_holds(GALA)
    assert "not valid JSON" in one_line(caught.value)


async def test_an_error_body_with_a_member_given_twice_names_no_vendor_reason() -> None:
    """An error answer is an error whatever its body says; a body read last-wins could put the
    wrong reason in front of the operator, so a repeated member makes it a body without one."""
    body = b'{"Code": "1", "Description": "Seat locked", "Description": "All fine"}'
    async with raw_json_client(body, status=400) as client:
        with pytest.raises(BridgeError) as caught:
            await client.seat_holds(GALA)
    assert "All fine" not in str(caught.value) and "Seat locked" not in str(caught.value)
