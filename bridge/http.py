"""The one place where a vendor request is sent, timed, logged, retried and its failure translated.

Both vendor clients (:mod:`bridge.tessitura.client`, :mod:`bridge.seatsio.connection`) send every
attempt through :func:`send` and keep only their vendor's meaning: which calls may be repeated, how
bodies decode and how HTTP statuses translate. This module owns what they share:

- :func:`map_transport_error`: httpx's transport exceptions -> :mod:`bridge.errors` (in the spirit of
  httpx's own ``map_httpcore_exceptions``), naming the concrete request (``GET /events/perf-101``).
- :func:`parse_retry_after`: ``Retry-After`` as delta-seconds or HTTP date, parsed once.
- :func:`request_line`: the concrete request as errors name it, its URL redacted by
  :func:`bridge.redact.redact_url` (as every logged URL is).
- one log schema for every attempt and retry: ``vendor``, ``method``, ``url``, ``status``,
  ``attempt``, ``elapsed_ms`` (events ``vendor.call`` and ``vendor.retry``).
- :class:`RetryPolicy`: bounds on repeating a call, on tenacity, with an injectable sleep and clock,
  a Retry-After ceiling and a hook for the vendor's decision of which failures may repeat; its
  ``vendor.retry`` line is the one both vendors log.
- :func:`observe_requests`: a process-wide hook told of every attempt (:class:`Exchange`).
- the answer cap: :func:`send` streams each body and stops at ``max_answer_bytes`` (the config's
  ``max_answer_mib``); a longer answer is a :class:`~bridge.errors.MalformedResponseError`.
- :func:`loads_answer`: the one strict decoder of vendor JSON (a member given twice is refused,
  as the XML reader refuses an element given twice).
- :func:`fenced`: the write fence. A caller that may write only while it holds something (a unit
  its lease) sets a :data:`Fence` for its task; :func:`send` calls it with the attempt's timeout
  right before each attempt of a request that changes state (``changes_state``), after any
  retry wait, and a fence that raises (:class:`WriteFencedError`) stops that attempt before it
  leaves the process: certainly not sent. This floor knows nothing of leases: the fence is
  whatever the caller set (:meth:`bridge.reconcile.leases.UnitLeases.fence`).

  What a fence cannot close: the time between its check and the bytes on the socket (one
  event-loop step, plus the connection's own TLS and write), and a request already sent when the
  holder stalls (it may land at seats.io up to the request's timeout later). Fences therefore
  ask for the attempt's whole timeout to be left on the lease, and a successor waits out a
  stopped run's last timeout (a lingering lease). Conditional writes narrow what is left
  further: every status change carries ``allowedPreviousStatuses`` (see
  ``bridge.reconcile.apply._status_request``), so a late one lands only on the status it
  expected and never on a sale.

No httpx exception is ever chained to a bridge error: it holds the request and its auth header.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
import structlog
from tenacity import AsyncRetrying, RetryCallState, wait_exponential_jitter

from bridge.clock import SYSTEM, Clock
from bridge.errors import (
    BridgeError,
    ConfigError,
    MalformedResponseError,
    OutcomeUnknownError,
    RateLimitedError,
    RetryableError,
)
from bridge.redact import redact_url

log = structlog.get_logger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
#: The vendor's decision whether a failed attempt may be repeated (bounds apart).
MayRepeat = Callable[[BaseException], bool]
#: Told of each failure about to be repeated, with the wait before the next attempt.
OnRetry = Callable[[BaseException, float], None]

#: The request cannot have reached the server: repeating it can never apply a change twice.
NOT_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
#: The most one vendor answer's body may be, decoded, unless the config says otherwise
#: (``max_answer_mib``). The biggest legitimate answer is seats.io's whole-event report, about
#: 0.8 KiB a seat (2.3 MiB for a 3,000-seat hall in the sandbox): 16 MiB fits some 20,000 seats.
DEFAULT_MAX_ANSWER_BYTES = 16 * 2**20
#: Seconds an idle pooled connection is kept for reuse: under the 5 s after which seats.io,
#: Tessitura's usual front ends and the sandbox close an idle connection, so a request is never
#: written onto a connection the server has just closed (a ``ReadError`` that, for a write, is an
#: unknown outcome; one cold write was lost that way under load).
KEEPALIVE_EXPIRY_S = 4.0
#: structlog's level numbers, for asking whether a line would be logged before building it.
_LEVEL = {"debug": 10, "info": 20, "warning": 30, "error": 40}
#: A URL, or how to build it when it is needed (only a logged or failed request needs it).
LazyUrl = str | httpx.URL | Callable[[], str | httpx.URL]


# -- the connection pool ------------------------------------------------------------------------


def pool_limits(connections: int) -> httpx.Limits:
    """A client's pool sized to the requests its caller keeps in flight at most (``connections``).

    httpcore rescans every pooled connection on each request and answer (its idle check is even
    quadratic), so a pool no bigger than the concurrency actually used keeps that bookkeeping
    small; never smaller, or a request admitted by the caller's own limit would queue again in
    the pool, its attempt's timeout running. Every connection may stay idle for reuse: httpcore
    closes idle ones whenever the pool holds more than ``max_keepalive_connections``, and each
    one closed is a new TCP and TLS handshake later."""
    if connections < 1:
        raise ValueError(f"a connection pool needs at least one connection, got {connections}")
    return httpx.Limits(
        max_connections=connections,
        max_keepalive_connections=connections,
        keepalive_expiry=KEEPALIVE_EXPIRY_S,
    )


# -- URLs and request lines -------------------------------------------------------------------


def request_line(method: str, url: str | httpx.URL) -> str:
    """The concrete request as an error names it: ``GET /events/perf-101`` (query redacted)."""
    parsed = httpx.URL(redact_url(url))
    query = parsed.query.decode("ascii", "replace")
    return f"{method} {parsed.raw_path.decode('ascii', 'replace').split('?')[0]}" + (
        f"?{query}" if query else ""
    )


# -- Retry-After ------------------------------------------------------------------------------


def parse_retry_after(
    value: str | None, now: datetime | None = None, *, clock: Clock = SYSTEM
) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None if absent or garbled.
    An HTTP-date is counted from ``now``, else from ``clock``'s wall time."""
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
    return max(0.0, (when - (now or clock.now())).total_seconds())


# -- reading an answer's JSON ------------------------------------------------------------------


class DuplicateKeyError(ValueError):
    """A JSON object names one member twice: which value the vendor meant would be a guess."""


def _one_value_per_key(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) != len(pairs):  # the rare case: find which, for the message
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKeyError(f"member {key!r} given twice in one object")
            seen.add(key)
    return members


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


#: The one decoder of vendor JSON. The stdlib decoder reads a repeated member last-wins (and
#: pydantic-core's does too), which would silently move a hold to another seat; this one refuses
#: it, like the XML reader, and refuses NaN/Infinity, which are not JSON either. The hook costs
#: a Python call per object: measured in benchmarks/README.md ("Strict JSON").
_STRICT = json.JSONDecoder(object_pairs_hook=_one_value_per_key, parse_constant=_no_constant)


def loads_answer(content: bytes | str) -> Any:
    """A vendor answer's JSON; ValueError (:class:`DuplicateKeyError` for a member given twice)
    when it is not strict JSON, UnicodeDecodeError when it is not UTF-8."""
    if isinstance(content, bytes):  # as json.loads reads bytes (UTF-8, or a BOM's encoding)
        content = content.decode(json.detect_encoding(content), "surrogatepass")
    return _STRICT.decode(content)


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


# -- observing requests -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Exchange:
    """One attempt as observers see it: no URL, no body, nothing secret.

    ``endpoint`` is the method and path template (``GET /events/{key}``) when the client gave one,
    else the method and concrete path; ``error`` the class name of the transport failure, if any;
    ``lane`` the vendor's concurrency lane the attempt went through (None where it has none).
    """

    vendor: str
    method: str
    endpoint: str
    status: int | None
    elapsed_s: float
    error: str | None = None
    lane: str | None = None


Observer = Callable[[Exchange], None]
_observers: list[Observer] = []


def observe_requests(fn: Observer) -> Callable[[], None]:
    """Call ``fn`` once per attempt of every vendor request in this process; returns an
    unsubscribe. An observer that raises is ignored: it never breaks a request."""
    _observers.append(fn)

    def unsubscribe() -> None:
        with contextlib.suppress(ValueError):
            _observers.remove(fn)

    return unsubscribe


def _notify(exchange: Exchange) -> None:
    for fn in tuple(_observers):
        try:
            fn(exchange)
        except Exception:  # an observer must never break a request
            log.debug("vendor.observer_failed", observer=repr(fn), exc_info=True)


# -- the write fence --------------------------------------------------------------------------


class WriteFencedError(BridgeError):
    """A write fence stopped a request before it left the process: it was certainly not sent.

    Never an unknown outcome of the attempt it stopped (an earlier attempt of the same request
    may have been, which the client says)."""


#: Called with an attempt's timeout right before the attempt of a request that changes state;
#: raises (a :class:`WriteFencedError`) to stop it. It may return a callback, called once the
#: attempt got an answer (any status): then nothing of it can land later. An attempt that timed
#: out, broke or was cancelled never calls it: it may still land.
Fence = Callable[[float], "Callable[[], None] | None"]
_fence: ContextVar[Fence | None] = ContextVar("seatbridge_write_fence", default=None)


def current_fence() -> Fence | None:
    """The fence of the running task (None: writes are not fenced here)."""
    return _fence.get()


@contextlib.contextmanager
def fenced(fence: Fence | None) -> Iterator[None]:
    """Every write :func:`send` makes in this block (in this task and the tasks it starts) must
    pass ``fence`` first; it replaces any fence set around it. None lifts the fence."""
    token = _fence.set(fence)
    try:
        yield
    finally:
        _fence.reset(token)


def all_of(fences: Iterable[Fence]) -> Fence:
    """One fence that every one of ``fences`` must pass (a call that carries several callers'
    writes); the first refusal is raised."""
    every = tuple(fences)

    def fence(timeout_s: float) -> Callable[[], None]:
        answered: list[Callable[[], None]] = []
        try:
            for one in every:
                if (done := one(timeout_s)) is not None:
                    answered.append(done)
        except BaseException:
            for done in answered:  # not sent after all: the fences that passed are settled
                done()
            raise

        def settled() -> None:
            for done in answered:
                done()

        return settled

    return fence


# -- one attempt ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sent:
    """One attempt's result: a response (any status), or the bridge error for no answer."""

    response: httpx.Response | None
    failure: BridgeError | None = None
    #: False only when the request certainly never reached the server.
    reached: bool = True
    #: no answer within the timeout: the server may still be working on it
    timed_out: bool = False


def log_event(
    event: str,
    *,
    vendor: str,
    method: str,
    url: LazyUrl,
    status: int | None,
    attempt: int,
    elapsed_ms: float | None,
    level: str = "debug",
    **extra: Any,
) -> None:
    """Log one line in the shared schema (``url`` redacted); a line below the configured level
    costs nothing, not even the URL (a debug line per call was a tenth of a pass's CPU)."""
    if not log.is_enabled_for(_LEVEL[level]):
        return
    getattr(log, level)(
        event,
        vendor=vendor,
        method=method,
        url=redact_url(url() if callable(url) else url),
        status=status,
        attempt=attempt,
        elapsed_ms=elapsed_ms,
        **extra,
    )


async def send(
    http: httpx.AsyncClient,
    method: str,
    url: str | httpx.URL,
    *,
    vendor: str,
    timeout_s: float,
    attempt: int = 1,
    may_have_applied: bool = False,
    unknown_hint: str = "re-read state before retrying",
    endpoint: str | None = None,
    lane: str | None = None,
    clock: Clock = SYSTEM,
    changes_state: bool = False,
    max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
    **kwargs: Any,
) -> Sent:
    """Send one attempt under a whole-attempt timeout, log it, tell the observers (``endpoint``:
    the method and path template, when the caller has one) and map a transport failure. The
    attempt is timed by ``clock``'s monotonic time.

    ``changes_state``: the request is a write, so the task's fence (:func:`fenced`) is asked
    first, with ``timeout_s``; what it raises is raised, and nothing is sent.

    ``max_answer_bytes``: an answer whose body is longer is a
    :class:`~bridge.errors.MalformedResponseError` (in ``Sent.failure``); the body is streamed and
    reading stops at the cap, so a hostile or broken 100 MiB answer costs at most the cap.

    Never raises for a transport failure: the caller decides, from ``Sent``, whether to repeat.
    """
    fence = _fence.get() if changes_state else None
    # the last moment before the request leaves: nothing is awaited in between
    answered = fence(timeout_s) if fence is not None else None
    started = clock.monotonic()
    oversize = False
    try:
        async with asyncio.timeout(timeout_s), http.stream(method, url, **kwargs) as response:
            oversize = await _read_capped(response, max_answer_bytes)
    except (httpx.TransportError, httpx.InvalidURL, TimeoutError) as exc:
        caught: BaseException | None = exc
    else:
        caught = None
        if answered is not None:
            answered()
    elapsed_s = clock.monotonic() - started
    elapsed_ms = round(elapsed_s * 1000, 1)
    if caught is None:
        _notify(
            Exchange(
                vendor,
                method,
                endpoint or f"{method} {response.request.url.path}",
                response.status_code,
                elapsed_s,
                lane=lane,
            )
        )
        log_event(
            "vendor.call",
            vendor=vendor,
            method=method,
            url=response.request.url,
            status=response.status_code,
            attempt=attempt,
            elapsed_ms=elapsed_ms,
        )
        if oversize:
            return Sent(None, _oversize(vendor, method, response, max_answer_bytes, changes_state))
        return Sent(response)
    # The concrete URL is built only for a failure (a response carries its own request), and the
    # error outside the handler, so that no httpx error is chained as cause or context.
    full_url = concrete_url(http, method, url, kwargs.get("params"))
    failure = map_transport_error(
        caught,
        vendor=vendor,
        method=method,
        url=full_url,
        timeout_s=timeout_s,
        may_have_applied=may_have_applied,
        unknown_hint=unknown_hint,
    )
    _notify(
        Exchange(
            vendor,
            method,
            endpoint or f"{method} {httpx.URL(str(full_url)).path}",
            None,
            elapsed_s,
            type(caught).__name__,
            lane,
        )
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
    return Sent(None, failure, not isinstance(caught, NOT_SENT), is_timeout(caught))


async def _read_capped(response: httpx.Response, cap: int) -> bool:
    """Read the body of a streamed ``response`` into it (``response.content``), unless it is
    over ``cap`` bytes (decoded): then stop reading and say so. A Content-Length over the cap is
    refused before a byte of the body is read; without one (chunked), or with one that lies, the
    count of what arrives decides: never more than ``cap`` bytes (plus one chunk) are held."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        return True
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > cap:
            return True
        chunks.append(chunk)
    # what Response.aread() itself does with the bytes it read: .content, .text and .json() work
    response._content = b"".join(chunks)
    return False


def _oversize(
    vendor: str, method: str, response: httpx.Response, cap: int, changes_state: bool
) -> MalformedResponseError:
    """An answer over the cap, as the malformed answer it is (never repeated: it would be as big
    again); a write's says whether it was applied."""
    applied = ""
    if changes_state:
        applied = (
            "; the change was applied"
            if response.is_success
            else "; the change may have been applied"
        )
    section = vendor.replace(".", "")  # the config section: [tessitura], [seatsio]
    return MalformedResponseError(
        f"{request_line(method, response.request.url)}: an answer over {cap / 2**20:g} MiB, "
        f"the most one may be ([{section}] max_answer_mib){applied}",
        vendor=vendor,
        status=response.status_code,
    )


def concrete_url(
    http: httpx.AsyncClient, method: str, url: str | httpx.URL, params: Any
) -> str | httpx.URL:
    """The URL a request went to, with base URL and query; the template if it cannot be built."""
    try:
        return http.build_request(method, url, params=params).url
    except (httpx.InvalidURL, ValueError):
        return url


# -- retry policy ------------------------------------------------------------------------------


def may_repeat(exc: BaseException) -> bool:
    """The default decision: a :class:`~bridge.errors.RetryableError` may be repeated."""
    return isinstance(exc, RetryableError)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounds on repeating one call, on tenacity. ``attempts`` counts the first try.

    The wait after failed attempt ``n`` is ``first_wait_s * 2 ** (n - 1)`` plus up to ``jitter_s``
    at random, capped at ``max_wait_s``. A 429's Retry-After (:class:`~bridge.errors.RateLimitedError`
    ``retry_after``) is the wait instead, unless it is beyond ``max_retry_after_s``: such a wait is
    not spent, the backoff is (and the vendor's ``may_repeat`` hook may hand the error back at once
    instead, as seats.io does for its daily for-sale limit). A wait that would
    overrun ``total_s`` since the first attempt (by ``clock``'s monotonic time, or by the waits
    already spent if that is more) is not started: the last error is raised.

    ``sleep`` and ``clock`` are injectable so tests record waits instead of spending them.
    The defaults are Tessitura's; :meth:`seatsio` is the seats.io SDK's schedule.
    """

    attempts: int = 4
    first_wait_s: float = 0.5
    max_wait_s: float = 8.0
    jitter_s: float = 0.5
    total_s: float = 30.0
    #: A Retry-After longer than this is not waited out; None: any that fits in ``total_s`` is.
    max_retry_after_s: float | None = None
    #: How a wait is spent; tests pass a recorder instead of sleeping for real.
    sleep: Sleep = field(default=asyncio.sleep, compare=False)
    #: Its monotonic time measures ``total_s``.
    clock: Clock = field(default=SYSTEM, compare=False)

    @classmethod
    def immediate(cls, attempts: int = 4) -> RetryPolicy:
        """No waiting at all: for tests."""
        return cls(attempts=attempts, first_wait_s=0.0, max_wait_s=0.0, jitter_s=0.0)

    @classmethod
    def seatsio(cls, **overrides: Any) -> RetryPolicy:
        """The seats.io SDK's schedule: 6 attempts, 0.4 s doubling to 6.4 s (plus up to 0.4 s of
        jitter, so that callers throttled together do not come back together), a Retry-After
        waited out up to 30 s, and at most 2 minutes in all; ``overrides`` replace any field."""
        policy = cls(
            attempts=6,
            first_wait_s=0.4,
            max_wait_s=6.4,
            jitter_s=0.4,
            total_s=120.0,
            max_retry_after_s=30.0,
        )
        return replace(policy, **overrides)

    def honours(self, retry_after: float | None) -> bool:
        """Whether a Retry-After of ``retry_after`` seconds is within the ceiling."""
        return retry_after is not None and (
            self.max_retry_after_s is None or retry_after <= self.max_retry_after_s
        )

    async def call(
        self,
        attempt: Callable[[int], Awaitable[T]],
        *,
        vendor: str,
        method: str,
        url: LazyUrl,
        may_repeat: MayRepeat = may_repeat,
        on_retry: OnRetry | None = None,
    ) -> T:
        """Run ``attempt(n)`` until it succeeds, raises what ``may_repeat`` refuses, or a bound is
        hit; then the last error is raised as it is. Each repeat is logged (``vendor.retry``, the
        concrete ``url`` redacted; a callable is called only then) and told to ``on_retry``
        before its wait."""
        started = self.clock.monotonic()
        backoff = wait_exponential_jitter(
            multiplier=self.first_wait_s, max=self.max_wait_s, jitter=self.jitter_s
        )

        def elapsed(spent: float) -> float:
            return max(self.clock.monotonic() - started, spent)

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            retry_after = exc.retry_after if isinstance(exc, RateLimitedError) else None
            if retry_after is not None and self.honours(retry_after):
                return retry_after  # the server's word wins over the schedule
            return float(backoff(state))

        def stop(state: RetryCallState) -> bool:
            return (
                state.attempt_number >= self.attempts
                or elapsed(state.idle_for) + state.upcoming_sleep >= self.total_s
            )

        def retry(state: RetryCallState) -> bool:
            exc = state.outcome.exception() if state.outcome else None
            return exc is not None and may_repeat(exc)

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            assert exc is not None
            log_event(
                "vendor.retry",
                vendor=vendor,
                method=method,
                url=url,
                status=getattr(exc, "status", None),
                attempt=state.attempt_number,
                # tenacity has already added the upcoming wait to ``idle_for``
                elapsed_ms=round(elapsed(state.idle_for - state.upcoming_sleep) * 1000, 1),
                level="info",
                error=type(exc).__name__,
                wait_s=round(state.upcoming_sleep, 3),
            )
            if on_retry is not None:
                on_retry(exc, state.upcoming_sleep)

        retrying = AsyncRetrying(
            retry=retry,
            stop=stop,
            wait=wait,
            before_sleep=before_sleep,
            sleep=self.sleep,
            reraise=True,
        )

        async def numbered() -> T:
            return await attempt(retrying.statistics.get("attempt_number", 1))

        result: T = await retrying(numbered)
        return result
