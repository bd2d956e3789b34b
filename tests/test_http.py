"""The shared vendor HTTP layer: transport mapping, Retry-After, the log schema, secret-free URLs."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
import structlog

from bridge.clock import ManualClock
from bridge.errors import (
    ConfigError,
    OutcomeUnknownError,
    RateLimitedError,
    RetryableError,
    TerminalError,
)
from bridge.http import (
    Exchange,
    RetryPolicy,
    WriteFencedError,
    all_of,
    fenced,
    map_transport_error,
    observe_requests,
    parse_retry_after,
    request_line,
    send,
)
from bridge.redact import redact_url

URL = "https://api.example.test/events/perf-101?secretKey=hunter2&page=2"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _map(exc: Exception, *, may_have_applied: bool = False) -> Exception:
    return map_transport_error(
        exc,
        vendor="seats.io",
        method="POST",
        url=URL,
        timeout_s=2.0,
        may_have_applied=may_have_applied,
    )


# -- transport failures -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "exc", [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), httpx.PoolTimeout("full")]
)
@pytest.mark.parametrize("may_have_applied", [False, True])
def test_a_request_never_sent_is_retryable_even_for_a_write(
    exc: Exception, may_have_applied: bool
) -> None:
    error = _map(exc, may_have_applied=may_have_applied)
    assert type(error) is RetryableError
    assert "could not reach seats.io" in str(error) and type(exc).__name__ in str(error)


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ReadTimeout("slow"),
        httpx.WriteTimeout("slow"),
        TimeoutError(),
        httpx.ReadError("reset"),
        httpx.WriteError("reset"),
        httpx.RemoteProtocolError("bad"),
        httpx.LocalProtocolError("bad"),
        httpx.ProxyError("proxy"),
    ],
)
def test_a_request_that_may_have_landed_is_retryable_or_unknown(exc: Exception) -> None:
    read = _map(exc)
    assert type(read) is RetryableError
    write = _map(exc, may_have_applied=True)
    assert type(write) is OutcomeUnknownError and "may have been applied" in str(write)
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        assert "timed out" in str(read) and "2.0s" in str(read)


@pytest.mark.parametrize("exc", [httpx.UnsupportedProtocol("ftp"), httpx.InvalidURL("bad")])
def test_a_url_that_is_not_http_is_a_config_error(exc: Exception) -> None:
    assert type(_map(exc, may_have_applied=True)) is ConfigError


def test_errors_name_the_concrete_request_without_secrets() -> None:
    error = _map(httpx.ReadError("reset"))
    text = str(error)
    assert "POST /events/perf-101?secretKey=REDACTED&page=2" in text
    assert "hunter2" not in text
    assert error.__cause__ is None and error.__context__ is None


# -- Retry-After ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("7", 7.0), (" 12 ", 12.0), ("0", 0.0), ("-3", 0.0), ("1.5", 1.5)],
)
def test_retry_after_as_seconds(value: str, seconds: float) -> None:
    assert parse_retry_after(value) == seconds


def test_retry_after_as_an_http_date() -> None:
    later = format_datetime(NOW + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(later, now=NOW) == 90.0
    earlier = format_datetime(NOW - timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(earlier, now=NOW) == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "nan", "inf", "Mon, 99 Foo 2026", "1e999"])
def test_garbage_retry_after_is_none(value: str | None) -> None:
    assert parse_retry_after(value, now=NOW) is None


# -- URLs --------------------------------------------------------------------------------------


def test_redact_url_drops_user_info_and_masks_secret_params() -> None:
    url = "https://user:pw@h.test/p?token=abc&api_key=k&password=x&page=1"
    redacted = redact_url(url)
    for secret in ("user", "pw@", "abc", "=k", "=x&"):
        assert secret not in redacted
    assert redacted.endswith("/p?token=REDACTED&api_key=REDACTED&password=REDACTED&page=1")


def test_a_parsed_url_is_masked_too_even_with_an_encoded_secret_name() -> None:
    """The quick path for a parsed URL (a request's own) must hide what the slow one hides."""
    url = httpx.URL("https://h.test/p?label=A-1&label=B+2&tok%65n=abc")  # tok%65n is "token"
    assert "abc" not in redact_url(url)
    assert "abc" not in redact_url(httpx.URL("https://h.test/p?label=A-1&secret=abc"))
    plain = httpx.URL("https://h.test/events/e/objects", params={"label": ["A-1", "B 2"]})
    assert redact_url(plain) == str(plain)


def test_request_line_is_method_and_concrete_path() -> None:
    assert request_line("GET", "https://h.test/events/perf-101") == "GET /events/perf-101"


# -- one attempt: timing and the log schema ----------------------------------------------------

SCHEMA = {"vendor", "method", "url", "status", "attempt", "elapsed_ms"}


@pytest.fixture
def debug_logs() -> Iterator[None]:
    """Let debug lines through whatever level an earlier test configured; restored after."""
    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    yield
    structlog.configure(**saved)


def _client(handler: httpx.MockTransport) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url="https://h.test", transport=handler, auth=httpx.BasicAuth("hunter2", "")
    )


@pytest.mark.usefixtures("debug_logs")
async def test_send_logs_one_line_in_the_shared_schema() -> None:
    clock = ManualClock(monotonic_start=10.0)

    def answer(request: httpx.Request) -> httpx.Response:
        clock.advance(0.25)  # the answer takes a quarter of a second
        return httpx.Response(503)

    transport = httpx.MockTransport(answer)
    async with _client(transport) as http:
        with structlog.testing.capture_logs() as logs:
            sent = await send(
                http,
                "GET",
                "/events/perf-101",
                vendor="seats.io",
                timeout_s=1.0,
                attempt=2,
                clock=clock,
                params={"secretKey": "hunter2"},
            )
    assert sent.response is not None and sent.response.status_code == 503
    (line,) = logs
    assert set(line) >= SCHEMA and line["event"] == "vendor.call"
    assert line["vendor"] == "seats.io" and line["method"] == "GET" and line["status"] == 503
    assert line["attempt"] == 2 and line["elapsed_ms"] == 250.0
    assert line["url"] == "https://h.test/events/perf-101?secretKey=REDACTED"
    assert "hunter2" not in repr(logs)


@pytest.mark.usefixtures("debug_logs")
async def test_send_maps_a_transport_failure_and_logs_it() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("reset", request=request)

    async with _client(httpx.MockTransport(broken)) as http:
        with structlog.testing.capture_logs() as logs:
            sent = await send(
                http, "POST", "/events/e1", vendor="seats.io", timeout_s=1.0, may_have_applied=True
            )
    assert sent.response is None and sent.reached
    assert isinstance(sent.failure, OutcomeUnknownError)
    assert "POST /events/e1" in str(sent.failure) and sent.failure.__context__ is None
    assert logs[0]["status"] is None and logs[0]["error"] == "ReadError"
    assert set(logs[0]) >= SCHEMA


async def test_send_marks_a_request_never_sent() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with _client(httpx.MockTransport(refused)) as http:
        sent = await send(http, "POST", "/x", vendor="v", timeout_s=1.0, may_have_applied=True)
    assert not sent.reached and type(sent.failure) is RetryableError


# -- the retry policy --------------------------------------------------------------------------


@pytest.mark.usefixtures("debug_logs")
async def test_the_policy_retries_with_injected_sleep_and_logs_the_schema() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    calls: list[int] = []

    async def attempt(number: int) -> str:
        calls.append(number)
        if number < 3:
            raise RateLimitedError("busy", vendor="v", status=429, retry_after=0.5)
        return "ok"

    policy = RetryPolicy(attempts=4, first_wait_s=0.1, max_wait_s=0.2, jitter_s=0.0, sleep=sleep)
    with structlog.testing.capture_logs() as logs:
        result = await policy.call(
            attempt, vendor="v", method="GET", url="https://h.test/a?password=pw"
        )
    assert result == "ok" and calls == [1, 2, 3] and waits == [0.5, 0.5]
    retries = [line for line in logs if line["event"] == "vendor.retry"]
    assert [line["attempt"] for line in retries] == [1, 2]
    assert all(set(line) >= SCHEMA and line["status"] == 429 for line in retries)
    assert "pw" not in repr(logs).replace("password", "")


async def test_the_policy_does_not_repeat_a_terminal_error() -> None:
    calls: list[int] = []

    async def attempt(number: int) -> str:
        calls.append(number)
        raise TerminalError("no", vendor="v", status=400)

    with pytest.raises(TerminalError):
        await RetryPolicy.immediate().call(attempt, vendor="v", method="GET", url="https://h/")
    assert calls == [1]


async def test_the_policy_hands_back_what_the_vendor_says_may_not_repeat() -> None:
    calls: list[int] = []
    retried: list[tuple[str, float]] = []

    async def attempt(number: int) -> str:
        calls.append(number)
        if number == 1:
            raise RetryableError("flaky", vendor="v", status=503)
        raise RateLimitedError("daily", vendor="v", status=429, retry_after=7200.0)

    async def sleep(seconds: float) -> None:
        pass

    policy = RetryPolicy(attempts=5, jitter_s=0.0, first_wait_s=0.1, sleep=sleep)
    with pytest.raises(RateLimitedError):
        await policy.call(
            attempt,
            vendor="v",
            method="POST",
            url="https://h/",
            may_repeat=lambda exc: not isinstance(exc, RateLimitedError),
            on_retry=lambda exc, wait: retried.append((type(exc).__name__, wait)),
        )
    assert calls == [1, 2] and retried == [("RetryableError", 0.1)]


async def test_a_retry_after_beyond_the_ceiling_is_not_waited_out() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async def attempt(number: int) -> str:
        if number < 3:
            raise RateLimitedError("busy", vendor="v", status=429, retry_after=3600.0)
        return "ok"

    policy = RetryPolicy(
        attempts=3, first_wait_s=0.2, jitter_s=0.0, max_retry_after_s=30.0, sleep=sleep
    )
    assert await policy.call(attempt, vendor="v", method="GET", url="https://h/") == "ok"
    assert waits == [0.2, 0.4]  # the backoff, not the hour


async def test_the_total_budget_counts_the_monotonic_clock_across_wall_clock_steps() -> None:
    start = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    clock = ManualClock(start, monotonic_start=100.0)

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)  # the injected clock moves with each recorded wait

    calls: list[int] = []

    async def attempt(number: int) -> str:
        calls.append(number)
        clock.step(-3600)  # were the wall clock measured, each attempt would buy an hour more
        clock.advance(4.0)  # each attempt "takes" 4 s
        raise RetryableError("slow", vendor="v")

    policy = RetryPolicy(
        attempts=10, first_wait_s=1.0, max_wait_s=1.0, jitter_s=0.0, total_s=12.0,
        sleep=sleep, clock=clock,
    )  # fmt: skip
    with pytest.raises(RetryableError):
        await policy.call(attempt, vendor="v", method="GET", url="https://h/")
    # attempt 1 fails at 4 s, 2 at 9 s (each then waits 1 s); attempt 3 fails at 14 s: a wait
    # then would overrun the 12 s budget, so none is started though attempts remain
    assert calls == [1, 2, 3] and clock.monotonic() == 114.0
    assert clock.now() == start + timedelta(seconds=14 - 3 * 3600)


# -- observing requests ------------------------------------------------------------------------


async def test_observers_see_each_attempt_and_may_not_break_it() -> None:
    seen: list[Exchange] = []

    def broken_observer(exchange: Exchange) -> None:
        raise RuntimeError("observer bug")

    answers = iter([httpx.Response(503), httpx.Response(200, json={})])

    def answer(request: httpx.Request) -> httpx.Response:
        return next(answers)

    unsubscribe = observe_requests(seen.append)
    unsubscribe_broken = observe_requests(broken_observer)
    try:
        async with _client(httpx.MockTransport(answer)) as http:
            for _ in range(2):
                sent = await send(
                    http,
                    "GET",
                    "/events/perf-101",
                    vendor="seats.io",
                    timeout_s=1.0,
                    endpoint="GET /events/{key}",
                    params={"secretKey": "hunter2"},
                )
                assert sent.response is not None  # the raising observer broke nothing
    finally:
        unsubscribe()
        unsubscribe_broken()
    assert [(e.vendor, e.endpoint, e.status, e.error) for e in seen] == [
        ("seats.io", "GET /events/{key}", 503, None),
        ("seats.io", "GET /events/{key}", 200, None),
    ]
    assert all(e.elapsed_s >= 0 for e in seen) and "hunter2" not in repr(seen)


async def test_an_observer_sees_a_transport_failure_and_the_path_without_a_template() -> None:
    seen: list[Exchange] = []

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    unsubscribe = observe_requests(seen.append)
    async with _client(httpx.MockTransport(refused)) as http:
        await send(http, "POST", "/holds/7", vendor="v", timeout_s=1.0)
        unsubscribe()
        unsubscribe()  # twice is harmless
        await send(http, "POST", "/holds/7", vendor="v", timeout_s=1.0)
    assert [(e.method, e.endpoint, e.status, e.error) for e in seen] == [
        ("POST", "POST /holds/7", None, "ConnectError")
    ]


# -- the write fence ---------------------------------------------------------------------------


class Gate:
    """A fence that records what it was asked and refuses once told to; ``answered`` counts the
    attempts it let through that got an answer."""

    def __init__(self) -> None:
        self.asked: list[float] = []
        self.closed = False
        self.answered = 0

    def __call__(self, timeout_s: float) -> Callable[[], None]:
        self.asked.append(timeout_s)
        if self.closed:
            raise WriteFencedError("lease lost")

        def answered() -> None:
            self.answered += 1

        return answered


async def test_a_write_passes_the_fence_with_its_timeout_before_it_is_sent() -> None:
    requests: list[str] = []
    gate = Gate()
    transport = httpx.MockTransport(lambda r: requests.append(r.method) or httpx.Response(204))
    async with _client(transport) as http:
        with fenced(gate):
            await send(http, "POST", "/x", vendor="v", timeout_s=7.0, changes_state=True)
            await send(http, "GET", "/x", vendor="v", timeout_s=7.0)  # a read is not fenced
    assert gate.asked == [7.0] and gate.answered == 1
    assert requests == ["POST", "GET"]


async def test_a_write_the_fence_refuses_is_never_sent() -> None:
    requests: list[httpx.Request] = []
    gate = Gate()
    gate.closed = True
    transport = httpx.MockTransport(lambda r: requests.append(r) or httpx.Response(204))
    async with _client(transport) as http:
        with fenced(gate), pytest.raises(WriteFencedError):
            await send(http, "POST", "/x", vendor="v", timeout_s=1.0, changes_state=True)
        # outside the block the fence is gone
        await send(http, "POST", "/x", vendor="v", timeout_s=1.0, changes_state=True)
    assert len(requests) == 1 and gate.asked == [1.0]


async def test_a_write_without_an_answer_is_not_reported_answered() -> None:
    gate = Gate()

    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    async with _client(httpx.MockTransport(broken)) as http:
        with fenced(gate):
            sent = await send(http, "POST", "/x", vendor="v", timeout_s=1.0, changes_state=True)
    assert sent.timed_out and gate.asked == [1.0] and gate.answered == 0  # it may still land


async def test_the_fence_is_asked_again_after_each_retry_wait() -> None:
    """A 429's wait is where a process stalls; the retry must not go out on the old check."""
    gate = Gate()
    seen: list[int] = []

    async def sleep(seconds: float) -> None:
        gate.closed = True  # the lease was lost during the wait

    async def attempt(number: int) -> None:
        seen.append(number)
        async with _client(httpx.MockTransport(lambda r: httpx.Response(429))) as http:
            await send(http, "POST", "/x", vendor="v", timeout_s=2.0, changes_state=True)
        raise RateLimitedError("429", retry_after=1.0)

    with fenced(gate), pytest.raises(WriteFencedError):
        await RetryPolicy.seatsio(sleep=sleep).call(attempt, vendor="v", method="POST", url="/x")
    assert seen == [1, 2] and gate.asked == [2.0, 2.0] and gate.answered == 1


async def test_all_of_needs_every_fence_and_reports_answers_to_each() -> None:
    a, b = Gate(), Gate()
    settled = all_of([a, b])(3.0)
    settled()
    assert a.asked == b.asked == [3.0] and a.answered == b.answered == 1
    b.closed = True
    with pytest.raises(WriteFencedError):
        all_of([a, b])(3.0)
