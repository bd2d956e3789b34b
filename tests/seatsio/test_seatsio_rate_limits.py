"""Two different 429s: an event's daily budget of restricting for-sale edits, and the account's
concurrency lanes. Only a 429 positively identified as the daily limit is a ForSaleLimitError; any
other 429 is retried with backoff and, when the attempts run out, is a plain RateLimitedError."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from seatsio_mock import MakeClient, RecordingSleep, error, ok, replies
from seatsio_payloads import rate_limited_result
from seatsio_sandbox_control import CHART, SECRET, SandboxControl

from bridge.errors import ForSaleLimitError, RateLimitedError
from bridge.sandbox import SEATSIO_ASGI_BASE, Sandbox
from bridge.sandbox.seatsio_forsale import next_reset
from bridge.seatsio import ChannelSpec, ForSaleEdit, LaneLimits, RetryPolicy, SeatsioClient
from bridge.seatsio.translate import is_for_sale_limit

KILL = ForSaleEdit.of(not_for_sale=["A-1"])
DAILY = {"Retry-After": "7200"}


def daily_limit() -> httpx.Response:
    return error(429, "RATE_LIMIT_EXCEEDED", "Too many for-sale changes", headers=DAILY)


def lane_limit() -> httpx.Response:
    return error(429, "TOO_MANY_CONCURRENT_REQUESTS", "Too many concurrent requests")


# -- the daily limit, positively identified ----------------------------------------------------


async def test_the_daily_limit_on_an_edit_is_a_for_sale_limit_error_handed_back_at_once(
    make_client: MakeClient, sleeps: RecordingSleep
) -> None:
    client, rec = make_client(replies(daily_limit()))
    with pytest.raises(ForSaleLimitError) as info:
        await client.for_sale.edit("e1", KILL)
    assert info.value.retry_after == 7200.0 and info.value.codes == ("RATE_LIMIT_EXCEEDED",)
    assert len(rec.requests) == 1 and sleeps.waits == []


async def test_the_daily_limit_on_a_multi_event_edit_is_identified_too(
    make_client: MakeClient,
) -> None:
    client, _ = make_client(replies(daily_limit()))
    with pytest.raises(ForSaleLimitError):
        await client.for_sale.edit_for_events({"e1": KILL, "e2": KILL})


async def test_a_short_daily_retry_after_is_waited_out(
    make_client: MakeClient, sleeps: RecordingSleep
) -> None:
    soon = error(429, "RATE_LIMIT_EXCEEDED", headers={"Retry-After": "4"})
    client, rec = make_client(replies(soon, ok(rate_limited_result(remaining=0))))
    result = await client.for_sale.edit("e1", KILL)
    assert result is not None and sleeps.waits == [4.0] and len(rec.requests) == 2


# -- every other 429 ---------------------------------------------------------------------------


async def test_a_lane_429_on_the_for_sale_edit_is_retried_then_succeeds(
    make_client: MakeClient, sleeps: RecordingSleep
) -> None:
    client, rec = make_client(replies(lane_limit(), lane_limit(), ok(rate_limited_result())))
    result = await client.for_sale.edit("e1", KILL)
    assert result is not None and len(rec.requests) == 3
    # the backoff schedule (0.4 s, then 0.8 s, each plus up to 0.4 s of jitter), no long wait
    assert len(sleeps.waits) == 2 and sleeps.waits[0] <= 0.8 and sleeps.waits[1] <= 1.2


async def test_a_lasting_lane_429_on_the_for_sale_edit_is_not_the_daily_limit(
    make_client: MakeClient, sleeps: RecordingSleep
) -> None:
    client, rec = make_client(replies(lane_limit()))
    with pytest.raises(RateLimitedError) as info:
        await client.for_sale.edit("e1", KILL)
    assert not isinstance(info.value, ForSaleLimitError)
    assert len(rec.requests) == 6 and len(sleeps.waits) == 5


@pytest.mark.parametrize(
    ("code", "message", "headers"),
    [
        (None, "", DAILY),  # no body at all
        ("RATE_LIMIT_EXCEEDED", "Too many for-sale changes", {}),  # no Retry-After
        ("TOO_MANY_CONCURRENT_REQUESTS", "Too many concurrent requests", DAILY),
        ("RATE_LIMIT_EXCEEDED", "Too many concurrent requests on the regular lane", DAILY),
        ("SOMETHING_ELSE", "Slow down", DAILY),
    ],
)
async def test_a_429_not_positively_the_daily_limit_is_backed_off_and_records_nothing(
    make_client: MakeClient,
    sleeps: RecordingSleep,
    code: str | None,
    message: str,
    headers: dict[str, str],
) -> None:
    client, rec = make_client(replies(error(429, code, message, headers=headers)))
    with pytest.raises(RateLimitedError) as info:
        await client.for_sale.edit("e1", KILL)
    assert not isinstance(info.value, ForSaleLimitError)
    # A Retry-After of hours is no reason to give up on an unidentified 429: backoff instead.
    assert len(rec.requests) == 6 and max(sleeps.waits) <= 6.4


async def test_a_daily_looking_429_elsewhere_is_not_the_for_sale_limit(
    make_client: MakeClient,
) -> None:
    client, rec = make_client(replies(daily_limit(), ok()))
    await client.channels.replace("e1", [ChannelSpec("house", "House")])
    assert len(rec.requests) == 2


def test_the_identification_needs_every_marker() -> None:
    edit = "POST /events/{key}/actions/edit-for-sale-config"
    codes = ("RATE_LIMIT_EXCEEDED",)
    assert is_for_sale_limit(edit, codes, "{}", 60.0)
    assert not is_for_sale_limit("POST /events/{key}/channels/replace", codes, "{}", 60.0)
    assert not is_for_sale_limit(edit, codes, "{}", None)
    assert not is_for_sale_limit(edit, (), "{}", 60.0)
    assert not is_for_sale_limit(edit, (*codes, "TOO_MANY_CONCURRENT_REQUESTS"), "{}", 60.0)
    assert not is_for_sale_limit(edit, codes, '{"messages": ["Concurrency limit"]}', 60.0)


# -- against the fake seats.io: its own two refusals -------------------------------------------


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(seatsio_empty=True)


@pytest.fixture
async def make(sandbox: Sandbox) -> AsyncIterator[Any]:
    made: list[SeatsioClient] = []

    def make(**kw: Any) -> SeatsioClient:
        transport = httpx.ASGITransport(app=sandbox.seatsio_app)
        kw.setdefault("timeout_s", 5.0)
        client = SeatsioClient(SECRET, base_url=SEATSIO_ASGI_BASE, transport=transport, **kw)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


async def test_the_fakes_lane_refusal_of_a_for_sale_edit_is_a_plain_rate_limit(
    make: Any, sandbox: Sandbox
) -> None:
    # More edits in flight than the regular lane allows, and no retries: the excess is refused.
    seatsio: SeatsioClient = make(
        lane_limits=LaneLimits(regular=30), retry=RetryPolicy.seatsio(attempts=1)
    )
    await seatsio.events.create(CHART, key="e1")
    async with sandbox.seatsio_client() as http:
        await SandboxControl(http).faults(latency_s=0.02)
    # Marking *for sale* spends no budget, so every 429 here is the lane's.
    edits = [seatsio.for_sale.edit("e1", ForSaleEdit.of([f"Orchestra-A-{n}"])) for n in range(30)]
    outcomes = await asyncio.gather(*edits, return_exceptions=True)
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert refused and all(isinstance(o, RateLimitedError) for o in refused)
    assert not any(isinstance(o, ForSaleLimitError) for o in refused)
    assert {o.codes for o in refused if isinstance(o, RateLimitedError)} == {
        ("TOO_MANY_CONCURRENT_REQUESTS",)
    }


async def test_the_fakes_spent_daily_budget_is_a_for_sale_limit_error(make: Any) -> None:
    seatsio: SeatsioClient = make()
    await seatsio.events.create(CHART, key="e1")
    for n in range(10):
        await seatsio.for_sale.edit("e1", ForSaleEdit.of(not_for_sale=[f"Orchestra-A-{n + 1}"]))
    with pytest.raises(ForSaleLimitError) as info:
        await seatsio.for_sale.edit("e1", ForSaleEdit.of(not_for_sale=["Orchestra-B-1"]))
    now = datetime.now(UTC)
    left = (next_reset(now) - now).total_seconds()  # until the day's budget starts afresh
    assert info.value.retry_after is not None and left <= info.value.retry_after <= left + 5
