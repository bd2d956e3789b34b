"""Fail closed at the seats.io edge: a key, label, status, id or flag of the wrong type makes the
answer malformed (one line naming the field), never a coerced value the bridge then acts on."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from seatsio_mock import MakeClient, ok, replies
from seatsio_payloads import EVENT, object_info, rate_limited_result

from bridge.errors import MalformedResponseError
from bridge.seatsio import ForSaleEdit


def one_line(error: MalformedResponseError) -> str:
    text = str(error)
    assert "\n" not in text and len(text) < 300, text
    assert "errors.pydantic.dev" not in text and "'input'" not in text, text
    return text


def with_(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return base | changes


@pytest.mark.parametrize(
    ("event", "field", "found"),
    [
        (with_(EVENT, key=17), "answer.key", "an integer"),
        (with_(EVENT, id="168"), "answer.id", "the string '168'"),
        (with_(EVENT, id=168.0), "answer.id", "a number with a fraction"),
        (with_(EVENT, id=True), "answer.id", "a boolean"),
        (with_(EVENT, isEventInSeason="false"), "answer.isEventInSeason", "the string 'false'"),
        (with_(EVENT, channels={"key": "8950dd"}), "answer.channels", "an object"),
        (with_(EVENT, forSaleConfig=[]), "answer.forSaleConfig", "a list"),
        (
            with_(EVENT, channels=[{"key": "ck", "objects": ["A-1", 2]}]),
            "answer.channels[0].objects[1]",
            "an integer",
        ),
        (
            with_(EVENT, forSaleConfig={"forSale": 0, "objects": ["A-1"]}),
            "answer.forSaleConfig.forSale",
            "an integer",
        ),
    ],
)
async def test_an_event_with_a_wrong_type_is_malformed_naming_the_field(
    make_client: MakeClient, event: dict[str, Any], field: str, found: str
) -> None:
    client, _ = make_client(replies(ok(event)))
    with pytest.raises(MalformedResponseError) as caught:
        await client.events.retrieve("evt1")
    message = one_line(caught.value)
    assert "GET /events/evt1:" in message and "{key}" not in message  # the concrete request
    assert field in message and f"(got {found})" in message


@pytest.mark.parametrize(
    ("info", "field"),
    [
        (object_info("A-1") | {"label": True}, "answer.A-1.label"),
        (object_info("A-1") | {"status": 1}, "answer.A-1.status"),
        (object_info("A-1", channel=["house"]), "answer.A-1.channel"),
        (object_info("A-1", forSale="true"), "answer.A-1.forSale"),
        (object_info("A-1", holdToken=123), "answer.A-1.holdToken"),
    ],
)
async def test_an_object_info_with_a_wrong_type_is_malformed(
    make_client: MakeClient, info: dict[str, Any], field: str
) -> None:
    client, _ = make_client(replies(ok({"A-1": info})))
    with pytest.raises(MalformedResponseError) as caught:
        await client.reports.object_infos("evt1", ["A-1"])
    assert field in one_line(caught.value)


async def test_a_list_where_the_object_map_belongs_is_malformed(make_client: MakeClient) -> None:
    client, _ = make_client(replies(ok([object_info("A-1")])))
    with pytest.raises(MalformedResponseError) as caught:
        await client.reports.object_infos("evt1", ["A-1"])
    assert "answer: Input should be a valid dictionary (got a list)" in one_line(caught.value)


@pytest.mark.parametrize(
    ("info", "field"),
    [
        ({"rateLimitRemainingCalls": "9"}, "rateLimitInfo.rateLimitRemainingCalls"),
        ({"rateLimitRemainingCalls": 9.0}, "rateLimitInfo.rateLimitRemainingCalls"),
        ({"rateLimitResetDate": "tomorrow"}, "rateLimitInfo.rateLimitResetDate"),
        ({"rateLimitResetDate": "2026-10-01T23:00:00"}, "rateLimitInfo.rateLimitResetDate"),
        ({"rateLimitResetDate": 1790000000}, "rateLimitInfo.rateLimitResetDate"),
    ],
)
async def test_a_garbled_for_sale_budget_is_malformed(
    make_client: MakeClient, info: dict[str, Any], field: str
) -> None:
    answer = rate_limited_result() | {"rateLimitInfo": info}
    client, _ = make_client(replies(ok(answer)))
    with pytest.raises(MalformedResponseError) as caught:
        await client.for_sale.edit("evt1", ForSaleEdit.of(not_for_sale=["A-1"]))
    assert field in one_line(caught.value)


async def test_well_typed_answers_still_read(make_client: MakeClient) -> None:
    client, _ = make_client(replies(ok(rate_limited_result(remaining=4))))
    result = await client.for_sale.edit("evt1", ForSaleEdit.of(not_for_sale=["A-1"]))
    assert result is not None and result.rate_limit_info is not None
    assert result.rate_limit_info.rate_limit_remaining_calls == 4
    reset = result.rate_limit_info.rate_limit_reset_date
    assert reset is not None and reset.utcoffset() is not None


def raw(body: bytes, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=body, headers={"Content-Type": "application/json"})


@pytest.mark.parametrize(
    ("body", "member"),
    [
        # read last-wins, a booked seat would look free
        (
            b'{"A-1": {"label": "A-1", "status": "booked", "forSale": true, "status": "free"}}',
            "status",
        ),
        (
            b'{"A-1": {"label": "A-1", "status": "booked", "forSale": true}, '
            b'"A-1": {"label": "A-1", "status": "free", "forSale": true}}',
            "A-1",
        ),
    ],
)
async def test_an_object_info_answer_with_a_member_given_twice_is_malformed(
    make_client: MakeClient, body: bytes, member: str
) -> None:
    client, _ = make_client(replies(raw(body)))
    with pytest.raises(MalformedResponseError) as caught:
        await client.reports.object_infos("evt1", ["A-1"])
    message = one_line(caught.value)
    assert "GET /events/evt1/objects" in message and f"member '{member}' given twice" in message


async def test_an_event_answer_with_a_member_given_twice_is_malformed(
    make_client: MakeClient,
) -> None:
    body = json.dumps(EVENT).encode()[:-1] + b', "key": "other"}'
    client, _ = make_client(replies(raw(body)))
    with pytest.raises(MalformedResponseError) as caught:
        await client.events.retrieve("evt1")
    assert "member 'key' given twice" in one_line(caught.value)
