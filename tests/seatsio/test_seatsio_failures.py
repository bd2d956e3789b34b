"""How the client fails: vendor errors translated, repeats only where a repeat is safe."""

from __future__ import annotations

import asyncio
import base64
import logging
import traceback
from collections.abc import Awaitable

import httpx
import pytest
import structlog.testing
from seatsio_mock import SECRET, MakeClient, RecordingSleep, error, ok, replies
from seatsio_payloads import EVENT, object_info

from bridge.errors import (
    BridgeError,
    ConflictError,
    CredentialsError,
    MalformedResponseError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    RetryableError,
    TerminalError,
)
from bridge.http import Exchange, observe_requests
from bridge.seatsio import ChannelSpec, ForSaleEdit, RetryPolicy, StatusChangeRequest

UNCONDITIONAL = StatusChangeRequest.change_to("held", ["e1"], ["A-1"])
CONDITIONAL = StatusChangeRequest.change_to(
    "held", ["e1"], ["A-1"], allowed_previous_statuses=["free"]
)
CHANGED = ok({"objects": {"A-1": object_info("A-1", "held")}})


def _raise(exc: Exception) -> httpx.Response:
    raise exc


async def test_wrong_credentials_raise_credentials_error_naming_both_keys(
    make_client: MakeClient,
) -> None:
    client, rec = make_client(replies(error(401)))
    with pytest.raises(CredentialsError, match="check the secret key and workspace key") as info:
        await client.events.retrieve("e1")
    assert info.value.status == 401
    assert len(rec.requests) == 1


async def test_forbidden_is_a_credentials_error_too(make_client: MakeClient) -> None:
    client, _ = make_client(replies(error(403)))
    with pytest.raises(CredentialsError):
        await client.channels.replace("e1", [])


async def test_missing_event_raises_not_found_with_the_vendor_code_and_body(
    make_client: MakeClient,
) -> None:
    client, _ = make_client(replies(error(404, "EVENT_NOT_FOUND", "Event not found: e1")))
    with pytest.raises(NotFoundError, match="Event not found: e1") as info:
        await client.events.retrieve("e1")
    assert info.value.codes == ("EVENT_NOT_FOUND",)
    assert info.value.body is not None and "req-1" in info.value.body


async def test_illegal_status_change_raises_conflict(make_client: MakeClient) -> None:
    client, rec = make_client(replies(error(400, "ILLEGAL_STATUS_CHANGE", "booked is not allowed")))
    with pytest.raises(ConflictError) as info:
        await client.statuses.change(CONDITIONAL)
    assert info.value.codes == ("ILLEGAL_STATUS_CHANGE",)
    assert len(rec.requests) == 1


async def test_other_bad_requests_are_terminal_and_not_repeated(make_client: MakeClient) -> None:
    client, rec = make_client(replies(error(400, "CHANNEL_ALREADY_EXISTS")))
    with pytest.raises(TerminalError) as info:
        await client.channels.add("e1", ChannelSpec("ck", "House"))
    assert not isinstance(info.value, NotFoundError)
    assert info.value.codes == ("CHANNEL_ALREADY_EXISTS",)
    assert len(rec.requests) == 1


async def test_429_with_retry_after_waits_the_given_seconds_then_succeeds(
    make_client: MakeClient, sleeps: RecordingSleep
) -> None:
    client, rec = make_client(
        replies(
            error(429, headers={"Retry-After": "3"}),
            error(429, headers={"Retry-After": "1"}),
            CHANGED,
        )
    )
    await client.statuses.change(UNCONDITIONAL)
    assert sleeps.waits == [3.0, 1.0]
    assert len(rec.requests) == 3
    assert client.stats.throttled["POST /events/groups/actions/change-object-status"] == 2


async def test_429_without_retry_after_backs_off_exponentially_within_bounds(
    make_client: MakeClient, sleeps: RecordingSleep
) -> None:
    retry = RetryPolicy.seatsio(
        attempts=6, first_wait_s=0.4, max_wait_s=1.6, jitter_s=0.4, sleep=sleeps
    )
    client, rec = make_client(replies(error(429)), retry=retry)
    with pytest.raises(RateLimitedError):
        await client.events.retrieve("e1")
    assert len(rec.requests) == 6
    doubling = [0.4, 0.8, 1.6, 1.6, 1.6]  # plus up to 0.4 s of jitter, never beyond the cap
    assert len(sleeps.waits) == 5
    assert all(b <= w <= min(b + 0.4, 1.6) for w, b in zip(sleeps.waits, doubling, strict=True))


async def test_429_with_a_retry_after_beyond_the_ceiling_is_handed_back_at_once(
    make_client: MakeClient, sleeps: RecordingSleep
) -> None:
    client, rec = make_client(
        replies(error(429, "RATE_LIMIT_EXCEEDED", headers={"Retry-After": "7200"}))
    )
    with pytest.raises(RateLimitedError) as info:
        await client.for_sale.edit("e1", ForSaleEdit.of(not_for_sale=["A-1"]))
    assert info.value.retry_after == 7200.0
    assert len(rec.requests) == 1 and sleeps.waits == []


async def test_5xx_on_a_read_is_repeated(make_client: MakeClient) -> None:
    client, rec = make_client(replies(error(503), error(500), ok(EVENT)))
    event = await client.events.retrieve("evt1")
    assert event.key == "evt1"
    assert len(rec.requests) == 3


async def test_5xx_on_a_read_that_persists_raises_retryable(make_client: MakeClient) -> None:
    client, rec = make_client(replies(error(502)))
    with pytest.raises(RetryableError) as info:
        await client.reports.by_status("e1")
    assert info.value.status == 502
    assert len(rec.requests) == RetryPolicy.seatsio().attempts


async def test_5xx_on_an_unconditional_status_change_is_an_unknown_outcome_sent_once(
    make_client: MakeClient,
) -> None:
    client, rec = make_client(replies(error(500), CHANGED))
    with pytest.raises(OutcomeUnknownError, match="re-read"):
        await client.statuses.change(UNCONDITIONAL)
    assert len(rec.requests) == 1


async def test_5xx_on_a_conditional_status_change_is_repeated(make_client: MakeClient) -> None:
    client, rec = make_client(replies(error(500), CHANGED))
    result = await client.statuses.change(CONDITIONAL)
    assert result.objects["A-1"].status == "held"
    assert len(rec.requests) == 2


async def test_a_conditional_repeat_refused_after_an_unknown_first_attempt_is_an_unknown_outcome(
    make_client: MakeClient,
) -> None:
    # The first attempt applied the change but the answer was lost; the repeat finds "held".
    client, _ = make_client(replies(error(504), error(400, "ILLEGAL_STATUS_CHANGE")))
    with pytest.raises(OutcomeUnknownError) as info:
        await client.statuses.change(CONDITIONAL)
    assert info.value.codes == ("ILLEGAL_STATUS_CHANGE",)


async def test_batch_with_an_unconditional_item_is_not_repeated(make_client: MakeClient) -> None:
    client, rec = make_client(replies(error(500)))
    with pytest.raises(OutcomeUnknownError):
        await client.statuses.change_in_batch([CONDITIONAL, UNCONDITIONAL])
    assert len(rec.requests) == 1


async def test_5xx_on_a_for_sale_edit_is_an_unknown_outcome_not_a_spent_budget(
    make_client: MakeClient,
) -> None:
    client, rec = make_client(replies(error(500)))
    with pytest.raises(OutcomeUnknownError):
        await client.for_sale.edit_for_events({"e1": ForSaleEdit.of(not_for_sale=["A-1"])})
    assert len(rec.requests) == 1


async def test_5xx_on_channel_replace_and_object_sets_is_repeated(make_client: MakeClient) -> None:
    client, rec = make_client(replies(error(500), ok(None), error(502), ok(None)))
    await client.channels.replace("e1", [ChannelSpec("ck", "House")])
    await client.channels.remove_objects("e1", "ck", ["A-1"])
    assert len(rec.requests) == 4


async def test_removing_area_places_is_not_repeated_because_it_decrements(
    make_client: MakeClient,
) -> None:
    client, rec = make_client(replies(error(500)))
    with pytest.raises(OutcomeUnknownError):
        await client.channels.remove_objects("e1", "ck", [], area_places={"GA1": 2})
    assert len(rec.requests) == 1


async def test_read_timeout_on_a_create_is_an_unknown_outcome(make_client: MakeClient) -> None:
    client, rec = make_client(lambda r: _raise(httpx.ReadTimeout("timed out", request=r)))
    with pytest.raises(OutcomeUnknownError, match="timed out"):
        await client.events.create("chart1", key="perf-1")
    assert len(rec.requests) == 1


async def test_a_connection_refused_write_is_repeated_because_it_never_arrived(
    make_client: MakeClient,
) -> None:
    calls = iter([httpx.ConnectError("refused"), None])

    def answer(request: httpx.Request) -> httpx.Response:
        exc = next(calls)
        return _raise(exc) if exc else ok(EVENT)

    client, rec = make_client(answer)
    await client.events.create("chart1", key="evt1")
    assert len(rec.requests) == 2


#: What a request written onto a connection the server had just closed (idle too long) gets.
CLOSED_UNDER_IT = [
    httpx.ReadError("connection reset by peer"),
    httpx.RemoteProtocolError("Server disconnected without sending a response."),
]


@pytest.mark.parametrize("closed", CLOSED_UNDER_IT, ids=lambda e: type(e).__name__)
async def test_a_read_on_a_connection_the_server_closed_is_repeated(
    make_client: MakeClient, closed: httpx.TransportError
) -> None:
    calls = iter([closed, None])

    def answer(request: httpx.Request) -> httpx.Response:
        exc = next(calls)
        return _raise(exc) if exc else ok(EVENT)

    client, rec = make_client(answer)
    assert (await client.events.retrieve("evt1")).key == "evt1"
    assert len(rec.requests) == 2


@pytest.mark.parametrize("closed", CLOSED_UNDER_IT, ids=lambda e: type(e).__name__)
async def test_a_write_on_a_connection_the_server_closed_is_an_unknown_outcome_sent_once(
    make_client: MakeClient, closed: httpx.TransportError
) -> None:
    """The server may have read the request before closing: a write that must not repeat is
    never sent again on a guess, the caller re-reads."""
    client, rec = make_client(lambda r: _raise(closed))
    with pytest.raises(OutcomeUnknownError, match="may have been applied"):
        await client.channels.remove("e1", "ck")
    assert len(rec.requests) == 1


async def test_a_hanging_read_times_out_per_attempt_and_is_repeated(
    make_client: MakeClient,
) -> None:
    attempts = 0

    async def answer(_: httpx.Request) -> httpx.Response:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            await asyncio.sleep(5)
        return ok(EVENT)

    client, _ = make_client(answer, timeout_s=0.05)
    assert (await client.events.retrieve("evt1")).key == "evt1"
    assert attempts == 2


async def test_a_hanging_unguarded_write_is_an_unknown_outcome(make_client: MakeClient) -> None:
    async def answer(_: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return ok(None)

    client, _ = make_client(answer, timeout_s=0.05)
    with pytest.raises(OutcomeUnknownError, match="timed out"):
        await client.channels.remove("e1", "ck")


async def test_a_body_that_is_not_json_is_malformed(make_client: MakeClient) -> None:
    client, _ = make_client(replies(httpx.Response(200, content=b'{"key": "ev')))
    with pytest.raises(MalformedResponseError) as caught:
        await client.events.retrieve("perf-101")
    assert "GET /events/perf-101:" in caught.value.message and "{key}" not in str(caught.value)


async def test_a_malformed_event_names_the_concrete_request_not_the_template(
    make_client: MakeClient,
) -> None:
    client, _ = make_client(replies(ok({"id": "not a number", "key": "perf-101"})))
    with pytest.raises(MalformedResponseError, match="unexpected response shape") as caught:
        await client.events.retrieve("perf-101")
    assert caught.value.message.startswith("GET /events/perf-101: ")
    assert "{key}" not in str(caught.value) and caught.value.status == 200


async def test_a_malformed_answer_to_a_write_names_its_event(make_client: MakeClient) -> None:
    client, _ = make_client(replies(ok({"forSaleConfig": "not an object"})))
    with pytest.raises(MalformedResponseError, match="applied") as caught:
        await client.for_sale.edit("perf-101", ForSaleEdit.of(not_for_sale=["A-1"]))
    assert "POST /events/perf-101/actions/edit-for-sale-config" in caught.value.message


async def test_a_json_body_of_the_wrong_shape_is_malformed(make_client: MakeClient) -> None:
    client, _ = make_client(replies(ok({"objects": "not a map"})))
    with pytest.raises(MalformedResponseError, match="unexpected response shape"):
        await client.statuses.change(UNCONDITIONAL)


async def test_a_malformed_answer_to_a_write_says_the_change_was_applied(
    make_client: MakeClient,
) -> None:
    client, _ = make_client(replies(httpx.Response(200, content=b"{")))
    with pytest.raises(MalformedResponseError, match="applied"):
        await client.for_sale.edit("e1", ForSaleEdit.of(not_for_sale=["A-1"]))


async def _failure(client_call: Awaitable[object]) -> BridgeError:
    try:
        await client_call
    except BridgeError as exc:
        return exc
    raise AssertionError("no error")


@pytest.mark.parametrize(
    "answer",
    [
        replies(error(401)),
        replies(error(500)),
        lambda r: _raise(httpx.ReadTimeout("timed out", request=r)),
        lambda r: _raise(httpx.ConnectError("refused", request=r)),
    ],
    ids=["401", "500", "timeout", "connect"],
)
async def test_the_secret_key_appears_in_no_error_repr_or_traceback(
    make_client: MakeClient, answer: object
) -> None:
    client, _ = make_client(answer)
    exc = await _failure(client.channels.remove("e1", "ck"))
    rendered = "".join(traceback.format_exception(exc)) + repr(exc) + repr(client)
    rendered += repr(vars(exc)) + repr(exc.__cause__) + repr(exc.__context__)
    assert SECRET not in rendered
    assert base64.b64encode(f"{SECRET}:".encode()).decode() not in rendered


async def test_a_repeatable_write_that_keeps_failing_ends_as_an_unknown_outcome(
    make_client: MakeClient,
) -> None:
    client, rec = make_client(replies(error(503)))
    with pytest.raises(OutcomeUnknownError, match="gave up"):
        await client.channels.replace("e1", [ChannelSpec("ck", "House")])
    assert len(rec.requests) == RetryPolicy.seatsio().attempts


async def test_retries_are_logged_without_the_secret_key(make_client: MakeClient) -> None:
    client, _ = make_client(replies(error(503), ok(EVENT)))
    saved = structlog.get_config()  # let every level through, whatever an earlier test set
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    try:
        with structlog.testing.capture_logs() as logs:
            await client.events.retrieve("evt1")
    finally:
        structlog.configure(**saved)
    retries = [entry for entry in logs if entry["event"] == "vendor.retry"]
    assert len(retries) == 1
    assert retries[0]["vendor"] == "seats.io" and retries[0]["method"] == "GET"
    assert retries[0]["url"].endswith("/events/evt1") and retries[0]["status"] == 503
    assert SECRET not in repr(logs)


async def test_each_attempt_is_observed_under_its_template(
    make_client: MakeClient, sleeps: RecordingSleep
) -> None:
    client, _ = make_client(replies(error(503), ok(EVENT)))
    seen: list[Exchange] = []
    unsubscribe = observe_requests(seen.append)
    try:
        await client.events.retrieve("evt1")
    finally:
        unsubscribe()
    assert [(e.vendor, e.endpoint, e.status, e.lane) for e in seen] == [
        ("seats.io", "GET /events/{key}", 503, "regular"),
        ("seats.io", "GET /events/{key}", 200, "regular"),
    ]
    assert len(sleeps.waits) == 1 and client.stats.retries["GET /events/{key}"] == 1
