"""How the client fails: retries within bounds, clear terminal errors, hostile or broken answers."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog

from bridge.errors import (
    CredentialsError,
    MalformedResponseError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    RetryableError,
    TerminalError,
)
from bridge.sandbox import TESSITURA_PASSWORD
from bridge.sandbox.control import Faults
from bridge.sandbox.tessitura_app import TessituraSandboxApp
from bridge.tessitura import RetryPolicy, SeatHoldRequest, TessituraClient

GALA = 201
ClientFactory = Callable[..., TessituraClient]


def gets(app: TessituraSandboxApp) -> int:
    return sum(1 for e in app.state.control.log.entries if e.method == "GET")


def mock_client(
    handler: Callable[[httpx.Request], httpx.Response], fmt: str = "json"
) -> TessituraClient:
    return TessituraClient(
        "http://tessitura.test/TessituraService/",
        "user",
        "group",
        "location",
        "hunter2-secret",
        format=fmt,  # type: ignore[arg-type]
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy.immediate(),
    )


# -- retries -----------------------------------------------------------------------------------


async def test_a_5xx_is_retried_until_it_succeeds(
    client: TessituraClient, app: TessituraSandboxApp
) -> None:
    app.state.control.set_faults(Faults(error_rate=1.0, error_status=503, count=2))
    assert await client.seat_statuses()
    assert gets(app) == 3


async def test_a_lasting_5xx_gives_up_after_the_attempt_bound(
    make_client: ClientFactory, app: TessituraSandboxApp
) -> None:
    client = make_client(retry=RetryPolicy.immediate(attempts=3))
    app.state.control.set_faults(Faults(error_rate=1.0, error_status=500))
    with pytest.raises(RetryableError) as caught:
        await client.seat_statuses()
    assert caught.value.status == 500
    assert gets(app) == 3


async def test_a_429_is_retried_and_its_retry_after_is_kept(
    make_client: ClientFactory, app: TessituraSandboxApp
) -> None:
    client = make_client(retry=RetryPolicy.immediate(attempts=2))
    app.state.control.set_faults(Faults(error_rate=1.0, error_status=429))
    with pytest.raises(RateLimitedError):
        await client.seat_statuses()
    assert gets(app) == 2

    def throttled(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "7"}, json=[])

    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    policy = RetryPolicy(
        attempts=3, first_wait_s=0, max_wait_s=0, jitter_s=0, total_s=1.0, sleep=record
    )
    async with mock_client(throttled) as slow:
        slow.retry = policy
        with pytest.raises(RateLimitedError) as caught:
            await slow.seat_statuses()
    assert caught.value.retry_after == 7.0
    assert waits == []  # a 7 s wait does not fit the 1 s budget: not started


async def test_waits_grow_between_attempts_within_the_cap() -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:  # the injected clock: no real sleeping
        waits.append(seconds)

    def failing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json=[])

    async with mock_client(failing) as client:
        client.retry = RetryPolicy(
            attempts=4, first_wait_s=0.05, max_wait_s=0.15, jitter_s=0.0, total_s=5.0,
            sleep=record,
        )  # fmt: skip
        with pytest.raises(RetryableError):
            await client.seat_statuses()
    assert waits == [0.05, 0.1, 0.15]  # doubling, then capped


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, TerminalError),
        (401, CredentialsError),
        (403, CredentialsError),
        (404, NotFoundError),
    ],
)
async def test_client_errors_are_not_retried(
    make_client: ClientFactory, app: TessituraSandboxApp, status: int, error: type[Exception]
) -> None:
    client = make_client()
    app.state.control.set_faults(Faults(error_rate=1.0, error_status=status, count=1))
    with pytest.raises(error):
        await client.seat_statuses()
    assert gets(app) == 1


@pytest.mark.loopback
async def test_a_hung_server_times_out_and_the_read_is_retried(
    make_client: ClientFactory,
    loopback: Callable[[Any], str],
    app: TessituraSandboxApp,
) -> None:
    client = make_client(base_url=loopback(app) + "/TessituraService/", timeout=0.2)
    app.state.control.set_faults(Faults(hang_s=3.0, count=1))
    assert await client.seat_statuses()
    # Two requests and an answer: the first was cut by the timeout (had it waited out the 3 s
    # hang, it would have answered alone), the retry answered. No wall-clock assertion.
    assert gets(app) == 2


@pytest.mark.loopback
async def test_a_server_that_never_answers_ends_in_a_retryable_timeout(
    make_client: ClientFactory,
    loopback: Callable[[Any], str],
    app: TessituraSandboxApp,
) -> None:
    client = make_client(
        base_url=loopback(app) + "/TessituraService/",
        timeout=0.2,
        retry=RetryPolicy.immediate(attempts=2),
    )
    app.state.control.set_faults(Faults(hang_s=0.8))
    with pytest.raises(RetryableError, match=r"no answer within 0\.2s"):
        await client.performance(GALA)
    assert gets(app) == 2


@pytest.mark.loopback
async def test_every_call_works_over_real_loopback_in_both_formats(
    make_client: ClientFactory, loopback: Callable[[Any], str], app: TessituraSandboxApp
) -> None:
    base = loopback(app) + "/TessituraService/"
    as_json, as_xml = make_client("json", base_url=base), make_client("xml", base_url=base)
    assert await as_json.performance(GALA) == await as_xml.performance(GALA)
    assert (await as_json.hold_snapshot(GALA)).holds == (await as_xml.hold_snapshot(GALA)).holds
    assert await as_json.seats(GALA) == await as_xml.seats(GALA)


# -- terminal errors ---------------------------------------------------------------------------


async def test_wrong_credentials_say_what_to_check(make_client: ClientFactory, fmt: str) -> None:
    client = make_client(fmt, password="not-the-password")
    with pytest.raises(CredentialsError) as caught:
        await client.performance(GALA)
    message = str(caught.value)
    assert "user name, user group, location and password" in message
    assert caught.value.status == 401
    assert caught.value.body


async def test_an_unknown_performance_is_not_found_naming_it(client: TessituraClient) -> None:
    with pytest.raises(NotFoundError, match="performance 999") as caught:
        await client.performance(999)
    assert caught.value.codes == ("PerformanceNotFound",)


async def test_an_unknown_hold_code_is_not_found(client: TessituraClient) -> None:
    with pytest.raises(NotFoundError, match="hold code 99"):
        await client.hold_code(99)


@pytest.mark.parametrize(
    "body",
    [
        b'[{"Code": "E1", "Description": "Bad seat"}]',
        b'{"Code": "E1", "Description": "Bad seat"}',
        b"<ErrorMessages><ErrorMessage><Code>E1</Code><Description>Bad seat</Description>"
        b"</ErrorMessage></ErrorMessages>",
        b"<ErrorMessage><Code>E1</Code><Description>Bad seat</Description></ErrorMessage>",
    ],
)
async def test_an_error_body_is_read_as_a_list_or_a_single_object(body: bytes) -> None:
    async with mock_client(lambda request: httpx.Response(400, content=body)) as client:
        with pytest.raises(TerminalError) as caught:
            await client.seat_statuses()
    assert caught.value.codes == ("E1",)
    assert "Bad seat" in str(caught.value)
    assert caught.value.body == body.decode()


async def test_an_unreadable_error_body_still_gives_the_status_and_raw_body() -> None:
    async with mock_client(lambda request: httpx.Response(400, content=b"<html>oops")) as client:
        with pytest.raises(TerminalError) as caught:
            await client.seat_statuses()
    assert caught.value.body == "<html>oops"


# -- credentials stay secret -------------------------------------------------------------------


async def test_the_password_appears_in_no_repr_error_or_log(
    make_client: ClientFactory, app: TessituraSandboxApp
) -> None:
    client = make_client(retry=RetryPolicy.immediate(attempts=2))
    app.state.control.set_faults(Faults(error_rate=1.0, error_status=503))
    encoded = base64.b64encode(b"seatbridge:api:sandbox:" + TESSITURA_PASSWORD.encode()).decode()
    with structlog.testing.capture_logs() as logs, pytest.raises(RetryableError) as caught:
        await client.seat_statuses()
    texts = [repr(client), repr(client.credentials), str(caught.value), repr(caught.value)]
    texts += [str(caught.value.body), json.dumps(logs, default=str)]
    for text in texts:
        assert TESSITURA_PASSWORD not in text
        assert encoded not in text
    assert caught.value.__cause__ is None


async def test_a_transport_error_carries_no_request_or_auth_header() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset", request=request)

    async with mock_client(broken) as client:
        with pytest.raises(RetryableError) as caught:
            await client.seat_statuses()
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert "hunter2-secret" not in str(caught.value)


async def test_httpx_logging_never_shows_the_password(
    client: TessituraClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        await client.seat_statuses()
    assert TESSITURA_PASSWORD not in caplog.text


# -- broken and hostile answers ----------------------------------------------------------------


async def test_a_truncated_json_answer_is_malformed(
    make_client: ClientFactory, app: TessituraSandboxApp
) -> None:
    client = make_client("json")
    app.state.control.set_faults(Faults(malformed_rate=1.0, count=1))
    with pytest.raises(MalformedResponseError, match="not valid JSON") as caught:
        await client.seat_holds(GALA)
    assert caught.value.body


async def test_a_truncated_xml_answer_is_malformed(
    make_client: ClientFactory, app: TessituraSandboxApp
) -> None:
    client = make_client("xml")
    app.state.control.set_faults(Faults(malformed_rate=1.0, count=1))
    with pytest.raises(MalformedResponseError, match="not well-formed XML"):
        await client.seat_holds(GALA)


async def test_an_answer_of_the_wrong_shape_is_malformed() -> None:
    answer = httpx.Response(200, json=[{"SeatId": "x", "HoldCodeDetail": {"Id": 1}}])
    async with mock_client(lambda request: answer) as client:
        with pytest.raises(MalformedResponseError, match="SeatHoldDetail"):
            await client.seat_holds(GALA)


async def test_an_object_where_a_list_belongs_is_malformed() -> None:
    async with mock_client(lambda request: httpx.Response(200, json={"Id": 1})) as client:
        with pytest.raises(MalformedResponseError, match="list"):
            await client.seat_statuses()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<SeatStatuses><SeatStatus><Id>0</Id><Description>&lol9;</Description></SeatStatus></SeatStatuses>"""


async def test_a_billion_laughs_answer_fails_cleanly_and_fast() -> None:
    answer = httpx.Response(
        200, content=BILLION_LAUGHS, headers={"Content-Type": "application/xml"}
    )
    async with mock_client(lambda request: answer, fmt="xml") as client:
        with pytest.raises(MalformedResponseError, match="DOCTYPE"):
            await client.seat_statuses()  # refused before any entity is expanded


async def test_an_xxe_answer_fails_without_reading_the_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        "<SeatStatuses><SeatStatus><Id>0</Id><Description>&xxe;</Description></SeatStatus>"
        "</SeatStatuses>"
    ).encode()
    answer = httpx.Response(200, content=body, headers={"Content-Type": "application/xml"})
    async with mock_client(lambda request: answer, fmt="xml") as client:
        with pytest.raises(MalformedResponseError) as caught:
            await client.seat_statuses()
    assert "TOP-SECRET-CONTENT" not in str(caught.value)
    assert "TOP-SECRET-CONTENT" not in str(caught.value.body)


async def test_a_doctype_after_a_long_prolog_is_still_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    padding = "<!-- " + "x" * 8000 + " -->"
    body = (
        f'<?xml version="1.0"?>{padding}<!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        "<SeatStatuses><SeatStatus><Id>0</Id><Description>&xxe;</Description></SeatStatus>"
        "</SeatStatuses>"
    ).encode()
    answer = httpx.Response(200, content=body, headers={"Content-Type": "application/xml"})
    async with mock_client(lambda request: answer, fmt="xml") as client:
        with pytest.raises(MalformedResponseError, match="DOCTYPE"):
            await client.seat_statuses()


# -- what goes on the wire ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "media", "body_start"),
    [("json", "application/json", b"{"), ("xml", "application/xml", b"<UpdateHoldCodeRequest")],
)
async def test_the_format_drives_accept_and_the_request_body(
    fmt: str, media: str, body_start: bytes
) -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if fmt == "xml":
            return httpx.Response(200, content=b"<SeatHolds/>", headers={"Content-Type": media})
        return httpx.Response(200, json=[])

    async with mock_client(record, fmt=fmt) as client:
        await client.update_seat_holds(GALA, [SeatHoldRequest(seat_id=1, hold_code_id=2)])
    (request,) = seen
    assert request.headers["Accept"] == media
    assert request.headers["Content-Type"].startswith(media)
    assert request.content.startswith(body_start)
    assert request.url.path == f"/TessituraService/TXN/Performances/{GALA}/Seats/Holds"
    token = request.headers["Authorization"].removeprefix("Basic ")
    assert base64.b64decode(token) == b"user:group:location:hunter2-secret"


@pytest.mark.parametrize(
    "body",
    [
        b'<string xmlns="http://schemas.microsoft.com/2003/10/Serialization/">'
        b"Service temporarily unavailable</string>",
        b"<html>Down for maintenance</html>",
        b"<html/>",
        b"<SeatHolds>maintenance</SeatHolds>",
        b"<SeatHolds><SeatHold><SeatId>1</SeatId><HoldCodeId>2</HoldCodeId></SeatHold>"
        b"<Error>x</Error></SeatHolds>",
    ],
)
async def test_an_xml_answer_that_is_no_collection_is_malformed_never_no_holds(body: bytes) -> None:
    answer = httpx.Response(200, content=body, headers={"Content-Type": "application/xml"})
    async with mock_client(lambda request: answer, fmt="xml") as client:
        with pytest.raises(MalformedResponseError):
            await client.seat_holds(GALA)


async def test_an_answer_in_the_other_format_is_malformed() -> None:
    answer = httpx.Response(200, content=b"<SeatHolds/>", headers={"Content-Type": "text/xml"})
    async with mock_client(lambda request: answer, fmt="json") as client:
        with pytest.raises(MalformedResponseError, match="asked for json"):
            await client.seat_holds(GALA)


@pytest.mark.parametrize(
    "closed",
    [httpx.ReadError("reset"), httpx.RemoteProtocolError("Server disconnected")],
    ids=lambda e: type(e).__name__,
)
async def test_a_connection_the_server_closed_repeats_a_read_never_a_hold_write(
    closed: httpx.TransportError,
) -> None:
    """A request written onto a connection the server had just closed: a read is repeated; a
    hold write may have been read before the close, so it is an unknown outcome, sent once."""
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.method)
        if len(sent) == 1 or request.method == "POST":
            raise closed
        return httpx.Response(200, json=[])

    async with mock_client(answer) as client:
        assert await client.seat_statuses() == []
        assert sent == ["GET", "GET"]
        with pytest.raises(OutcomeUnknownError, match="read the holds again"):
            await client.update_seat_holds(GALA, [SeatHoldRequest(seat_id=1, hold_code_id=2)])
    assert sent == ["GET", "GET", "POST"]
