"""The one place where a vendor request is sent, timed, logged, retried and its failure translated.

Both vendor clients (:mod:`bridge.tessitura.client`, :mod:`bridge.seatsio.connection`) send every
attempt through :func:`send` and keep only their vendor's meaning: which calls may be repeated, how
bodies decode and how HTTP statuses translate. This module owns what they share:

- :func:`map_transport_error`: httpx's transport exceptions -> :mod:`bridge.errors` (in the spirit of
  httpx's own ``map_httpcore_exceptions``), naming the concrete request (``GET /events/perf-101``).
- :func:`parse_retry_after`: ``Retry-After`` as delta-seconds or HTTP date, parsed once.
- :func:`redact_url`: a URL without user info and with secret-looking query values masked.
- one log schema for every attempt and retry: ``vendor``, ``method``, ``url``, ``status``,
  ``attempt``, ``elapsed_ms`` (events ``vendor.call`` and ``vendor.retry``).
- :class:`RetryPolicy`: bounds on repeating a call, on tenacity, with an injectable sleep and clock.

No httpx exception is ever chained to a bridge error: it holds the request and its auth header.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
import structlog
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)

from bridge.errors import (
    BridgeError,
    ConfigError,
    OutcomeUnknownError,
    RateLimitedError,
    RetryableError,
)

log = structlog.get_logger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

#: The request cannot have reached the server: repeating it can never apply a change twice.
NOT_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
#: Query parameter names whose values are never logged or put in an error.
_SECRET_NAME = re.compile(r"key|secret|token|password|passwd|pwd|auth|signature|sig|session", re.I)
MASK = "REDACTED"


# -- URLs and request lines -------------------------------------------------------------------


def redact_url(url: str | httpx.URL) -> str:
    """``url`` without user info, each secret-looking query value replaced by ``REDACTED``."""
    parsed = httpx.URL(str(url))
    if parsed.userinfo:
        parsed = parsed.copy_with(username=None, password=None)
    if parsed.query:
        params = [
            (name, MASK if _SECRET_NAME.search(name) else value)
            for name, value in parsed.params.multi_items()
        ]
        parsed = parsed.copy_with(params=params)
    return str(parsed)


def request_line(method: str, url: str | httpx.URL) -> str:
    """The concrete request as an error names it: ``GET /events/perf-101`` (query redacted)."""
    parsed = httpx.URL(redact_url(url))
    query = parsed.query.decode("ascii", "replace")
    return f"{method} {parsed.raw_path.decode('ascii', 'replace').split('?')[0]}" + (
        f"?{query}" if query else ""
    )


# -- Retry-After ------------------------------------------------------------------------------


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None if absent or garbled."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds and seconds != float("inf") else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


# -- transport failures -----------------------------------------------------------------------


def is_timeout(exc: BaseException) -> bool:
    return isinstance(exc, TimeoutError | httpx.TimeoutException)


def map_transport_error(
    exc: BaseException,
    *,
    vendor: str,
    method: str,
    url: str | httpx.URL,
    timeout_s: float,
    may_have_applied: bool = False,
    unknown_hint: str = "re-read state before retrying",
) -> BridgeError:
    """What a failure to get any answer means, as a bridge error naming the concrete request.

    - the URL's scheme is not http(s): :class:`~bridge.errors.ConfigError`;
    - ``may_have_applied`` (a write that must not repeat) and the request may have reached the
      server: :class:`~bridge.errors.OutcomeUnknownError`;
    - otherwise :class:`~bridge.errors.RetryableError` (not sent, timed out or broken mid-way).
    """
    kind = type(exc).__name__
    req = request_line(method, url)
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return ConfigError(f"{req}: the {vendor} base URL is not http(s) ({kind})", vendor=vendor)
    if isinstance(exc, NOT_SENT):
        return RetryableError(f"{req}: {kind}: could not reach {vendor}", vendor=vendor)
    what = (
        f"timed out: no answer within {timeout_s}s ({kind})"
        if is_timeout(exc)
        else f"no complete answer ({kind})"
    )
    if may_have_applied:
        return OutcomeUnknownError(
            f"{req}: {what}: the change may have been applied; {unknown_hint}", vendor=vendor
        )
    return RetryableError(f"{req}: {what}", vendor=vendor)


# -- one attempt ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sent:
    """One attempt's result: a response (any status), or the bridge error for no answer."""

    response: httpx.Response | None
    failure: BridgeError | None = None
    #: False only when the request certainly never reached the server.
    reached: bool = True


def log_event(
    event: str,
    *,
    vendor: str,
    method: str,
    url: str | httpx.URL,
    status: int | None,
    attempt: int,
    elapsed_ms: float | None,
    level: str = "debug",
    **extra: Any,
) -> None:
    """Log one line in the shared schema (``url`` redacted)."""
    getattr(log, level)(
        event,
        vendor=vendor,
        method=method,
        url=redact_url(url),
        status=status,
        attempt=attempt,
        elapsed_ms=elapsed_ms,
        **extra,
    )


async def send(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    vendor: str,
    timeout_s: float,
    attempt: int = 1,
    may_have_applied: bool = False,
    unknown_hint: str = "re-read state before retrying",
    clock: Clock = time.monotonic,
    **kwargs: Any,
) -> Sent:
    """Send one attempt under a whole-attempt timeout, log it, and map a transport failure.

    Never raises for a transport failure: the caller decides, from ``Sent``, whether to repeat.
    """
    started = clock()
    try:
        async with asyncio.timeout(timeout_s):
            response = await http.request(method, url, **kwargs)
    except (httpx.TransportError, httpx.InvalidURL, TimeoutError) as exc:
        caught: BaseException | None = exc
    else:
        caught = None
    elapsed_ms = round((clock() - started) * 1000, 1)
    if caught is None:
        log_event(
            "vendor.call",
            vendor=vendor,
            method=method,
            url=response.request.url,
            status=response.status_code,
            attempt=attempt,
            elapsed_ms=elapsed_ms,
        )
        return Sent(response)
    # The concrete URL is built only for a failure (a response carries its own request), and the
    # error outside the handler, so that no httpx error is chained as cause or context.
    full_url = _concrete_url(http, method, url, kwargs.get("params"))
    failure = map_transport_error(
        caught,
        vendor=vendor,
        method=method,
        url=full_url,
        timeout_s=timeout_s,
        may_have_applied=may_have_applied,
        unknown_hint=unknown_hint,
    )
    log_event(
        "vendor.call",
        vendor=vendor,
        method=method,
        url=full_url,
        status=None,
        attempt=attempt,
        elapsed_ms=elapsed_ms,
        error=type(caught).__name__,
    )
    return Sent(None, failure, not isinstance(caught, NOT_SENT))


def _concrete_url(http: httpx.AsyncClient, method: str, url: str, params: Any) -> str | httpx.URL:
    """The URL a request went to, with base URL and query; the template if it cannot be built."""
    try:
        return http.build_request(method, url, params=params).url
    except (httpx.InvalidURL, ValueError):
        return url


# -- retry policy ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounds on repeating one call, on tenacity. ``attempts`` counts the first try.

    Exponential backoff with jitter, capped per wait, in attempts and in total time (a wait that
    would overrun the total is not started). A 429's Retry-After is waited out when it fits in that
    total. ``sleep`` is injectable so tests record waits instead of spending them.
    """

    attempts: int = 4
    first_wait_s: float = 0.5
    max_wait_s: float = 8.0
    jitter_s: float = 0.5
    total_s: float = 30.0
    #: How a wait is spent; tests pass a recorder instead of sleeping for real.
    sleep: Sleep = field(default=asyncio.sleep, compare=False)

    @classmethod
    def immediate(cls, attempts: int = 4) -> RetryPolicy:
        """No waiting at all: for tests."""
        return cls(attempts=attempts, first_wait_s=0.0, max_wait_s=0.0, jitter_s=0.0)

    async def call(
        self, attempt: Callable[[int], Awaitable[T]], *, vendor: str, method: str, url: str
    ) -> T:
        """Run ``attempt(n)`` until it succeeds, raises a non-retryable error, or a bound is hit."""
        backoff = wait_exponential_jitter(
            multiplier=self.first_wait_s, max=self.max_wait_s, jitter=self.jitter_s
        )

        def wait(state: RetryCallState) -> float:
            delay = backoff(state)
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
                delay = max(delay, exc.retry_after)
            return float(delay)

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log_event(
                "vendor.retry",
                vendor=vendor,
                method=method,
                url=url,
                status=getattr(exc, "status", None),
                attempt=state.attempt_number,
                elapsed_ms=round((state.seconds_since_start or 0.0) * 1000, 1),
                level="info",
                error=type(exc).__name__,
                wait_s=round(state.upcoming_sleep, 3),
            )

        retrying = AsyncRetrying(
            retry=retry_if_exception_type(RetryableError),
            stop=stop_after_attempt(self.attempts) | stop_before_delay(self.total_s),
            wait=wait,
            before_sleep=before_sleep,
            sleep=self.sleep,
            reraise=True,
        )

        async def numbered() -> T:
            return await attempt(retrying.statistics.get("attempt_number", 1))

        result: T = await retrying(numbered)
        return result
