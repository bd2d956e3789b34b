"""One authenticated line to a seats.io account: lanes, timeouts, retries, error translation.

Every request goes through :meth:`Connection.call`, which decides from two facts given by the caller,
the lane and whether the request is *repeatable*, what to do when it fails:

- 429: always repeated (seats.io rejects it before doing anything), honouring Retry-After. Only
  the daily for-sale limit (:class:`~bridge.errors.ForSaleLimitError`) is handed back at once when
  its Retry-After is beyond the policy's ceiling (``max_retry_after_s``); any other 429 with such a
  Retry-After is retried on the backoff schedule, and when the attempts run out it is a plain
  RateLimitedError.
- The request never reached the server (connect error, connect or pool timeout): repeated.
- 5xx, read timeout, broken connection: repeated only if repeatable; otherwise the write may have
  happened and :class:`~bridge.errors.OutcomeUnknownError` tells the caller to re-read state.
- A repeatable write that failed that way and is then refused (e.g. ILLEGAL_STATUS_CHANGE because the
  first attempt did apply) also raises OutcomeUnknownError: the refusal may be our own echo.

Every attempt of a write (any method but GET) passes the task's write fence first
(:func:`bridge.http.fenced`; a unit's lease, re-checked before each attempt, after each retry
wait). A fence's refusal (:class:`bridge.http.WriteFencedError`) is never repeated: it is raised
as it is (nothing was sent), or as OutcomeUnknownError when an earlier attempt of the same write
may have been applied.

The repeating itself is the shared :class:`bridge.http.RetryPolicy` (on tenacity, default
:meth:`~bridge.http.RetryPolicy.seatsio`: the SDK's 0.4 s doubling to 6.4 s, 6 attempts), which
logs each retry in the one ``vendor.retry`` schema; the lane slot is held for one attempt only,
never across its waits (an attempt that timed out keeps it one timeout longer: seats.io may still
be running it, and counts it against the account until it ends). Each attempt goes through :func:`bridge.http.send` (timing, the shared log
schema, request observers, transport errors mapped without their httpx cause, which holds the
request and its auth header); errors name the concrete request (``GET /events/perf-101``), stats,
observers and the for-sale rules the template.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import httpx
import structlog
from pydantic import TypeAdapter

from bridge.clock import SYSTEM, Clock
from bridge.errors import (
    BridgeError,
    ConfigError,
    ConflictError,
    ForSaleLimitError,
    MalformedResponseError,
    OutcomeUnknownError,
    RateLimitedError,
    RetryableError,
    TerminalError,
)
from bridge.http import (
    DEFAULT_MAX_ANSWER_BYTES,
    DuplicateKeyError,
    RetryPolicy,
    Sent,
    WriteFencedError,
    loads_answer,
    pool_limits,
    request_line,
    send,
)
from bridge.seatsio.lanes import (
    AccountLanes,
    Lane,
    LaneLimits,
    SharedBudget,
    account_id,
    shared_lanes,
)
from bridge.seatsio.models import parse
from bridge.seatsio.stats import CallStats
from bridge.seatsio.translate import VENDOR, error_from_response

log = structlog.get_logger(__name__)

QueryParams = Mapping[str, str | int | list[str]]
T = TypeVar("T")


def expand_path(template: str, params: Mapping[str, str]) -> str:
    """``template`` with each ``{name}`` replaced by the percent-encoded value (``/`` included)."""
    return template.format(**{name: quote(str(value), safe="") for name, value in params.items()})


#: What ``urllib.parse.quote_plus`` leaves as it is (RFC 3986's unreserved characters).
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


def encode_query(params: QueryParams) -> str:
    """``params`` as the query httpx would send (a list repeats its name: ``label=A-1&label=A-2``),
    encoded once here: an object read names hundreds of labels, which httpx would encode into
    its ``QueryParams`` and parse again with every URL it derives from them."""
    parts: list[str] = []
    for name, value in params.items():
        values = [_query_value(one) for one in (value if isinstance(value, list) else (value,))]
        if not values:
            continue
        if _UNRESERVED.fullmatch(name + "".join(values)):  # labels, mostly: nothing to quote
            parts.extend(f"{name}={one}" for one in values)
        else:
            parts.append(urlencode([(name, one) for one in values]))
    return "&".join(parts)


def _query_value(value: str | int) -> str:
    """As httpx writes a query value (a bool in lower case, as JSON)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@lru_cache(maxsize=4096)
def _parsed(url: str) -> httpx.URL:
    """A URL without a query, parsed once: a daemon asks for the same events' URLs pass after
    pass (httpx.URL is immutable, so one parse serves every request for it)."""
    return httpx.URL(url)


class Connection:
    """Sends requests for the API groups of a :class:`~bridge.seatsio.client.SeatsioClient`."""

    def __init__(
        self,
        *,
        base_url: str,
        secret_key: str,
        workspace_key: str | None = None,
        timeout_s: float = 10.0,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
        transport: httpx.AsyncBaseTransport | None = None,
        lane_limits: LaneLimits | None = None,
        retry: RetryPolicy | None = None,
        account: str | None = None,
        stats: CallStats | None = None,
        budget: SharedBudget | None = None,
        user_agent: str = "seatbridge",
        clock: Clock = SYSTEM,
    ) -> None:
        headers = {"X-Client-Lib": "seatbridge", "User-Agent": user_agent}
        if workspace_key:
            headers["X-Workspace-Key"] = workspace_key
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        #: a longer answer is malformed, and reading it stops there (:func:`bridge.http.send`)
        self.max_answer_bytes = max_answer_bytes
        self.lane_limits = lane_limits or LaneLimits()
        self.clock = clock
        self.retry = retry or RetryPolicy.seatsio(clock=clock)
        self.stats = stats or CallStats()
        self._account = account_id(self.base_url, secret_key, account)
        self._lanes: AccountLanes | None = None
        self._budget = budget
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=httpx.BasicAuth(secret_key, ""),
            headers=headers,
            timeout=timeout_s,
            # one connection per lane slot: the lanes are the only queue (see bridge.http)
            limits=pool_limits(self.lane_limits.priority + self.lane_limits.regular),
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"Connection(base_url={self.base_url!r})"

    @property
    def lanes(self) -> AccountLanes:
        """The account's shared lanes, bound to the running loop on first use."""
        if self._lanes is None:
            self._lanes = shared_lanes(self._account, self.lane_limits, self._budget)
        return self._lanes

    async def aclose(self) -> None:
        await self._http.aclose()

    async def call(
        self,
        method: str,
        template: str,
        *,
        lane: Lane,
        repeatable: bool,
        path: Mapping[str, str] | None = None,
        params: QueryParams | None = None,
        body: Any = None,
    ) -> httpx.Response:
        """Send one request, repeating it where that is safe; a 2xx response or a bridge error.

        The repeating is :class:`bridge.http.RetryPolicy`'s; this method decides what each failed
        attempt means and which may repeat."""
        endpoint = f"{method} {template}"  # stats and the for-sale rules name the template
        url = self.url(template, path, params)
        kwargs: dict[str, Any] = {}
        if body is not None:
            kwargs["json"] = body
        is_write = method != "GET"
        uncertain = False  # an earlier attempt of this write may have been applied

        async def attempt(number: int) -> httpx.Response:
            nonlocal uncertain
            sent = await self._send(method, url, lane, endpoint, number, repeatable, kwargs)
            if sent.response is None:
                assert sent.failure is not None
                if not isinstance(sent.failure, OutcomeUnknownError | ConfigError):
                    uncertain = uncertain or (is_write and sent.reached)
                raise sent.failure
            response = sent.response
            if response.is_success:
                return response
            failure = error_from_response(
                response,
                endpoint,
                request=request_line(method, response.request.url),
                clock=self.clock,
            )
            if isinstance(failure, RateLimitedError):
                self.stats.rate_limited(endpoint)
            elif isinstance(failure, RetryableError):  # 5xx
                if is_write and not repeatable:
                    raise _unknown(failure, "the change may have been applied")
                uncertain = uncertain or is_write
            elif uncertain and isinstance(failure, ConflictError | TerminalError):
                raise _unknown(failure, "refused after an attempt whose outcome is unknown")
            raise failure

        def may_repeat(exc: BaseException) -> bool:
            # The daily for-sale limit answers in hours: handed back for the caller to record.
            # Any other 429 with such a Retry-After is repeated on the backoff schedule.
            if isinstance(exc, ForSaleLimitError) and not self.retry.honours(exc.retry_after):
                return False
            return isinstance(exc, RetryableError)

        try:
            return await self.retry.call(
                attempt,
                vendor=VENDOR,
                method=method,
                url=url,
                may_repeat=may_repeat,
                on_retry=lambda _exc, _wait: self.stats.retried(endpoint),
            )
        except WriteFencedError as exc:
            if uncertain:  # this attempt was stopped, an earlier one may have landed
                raise _unknown(
                    exc, "stopped before a retry of an attempt whose outcome is unknown"
                ) from None
            raise
        except RetryableError as exc:
            if uncertain:
                raise _unknown(exc, "gave up after an attempt whose outcome is unknown") from None
            raise

    async def call_json(
        self,
        method: str,
        template: str,
        *,
        lane: Lane,
        repeatable: bool,
        path: Mapping[str, str] | None = None,
        params: QueryParams | None = None,
        body: Any = None,
    ) -> Any:
        """:meth:`call`, then the decoded JSON body; MalformedResponseError if it is not JSON.

        A 2xx with a broken body means a write *was* applied; the error says so.
        """
        response = await self.call(
            method, template, lane=lane, repeatable=repeatable, path=path, params=params, body=body
        )
        return _decode(method, response)

    async def call_parsed(
        self,
        adapter: TypeAdapter[T],
        method: str,
        template: str,
        *,
        lane: Lane,
        repeatable: bool,
        path: Mapping[str, str] | None = None,
        params: QueryParams | None = None,
        body: Any = None,
    ) -> T:
        """:meth:`call_json`, validated as ``adapter``'s type; a MalformedResponseError names the
        concrete request (``GET /events/perf-101``), never the template."""
        response = await self.call(
            method, template, lane=lane, repeatable=repeatable, path=path, params=params, body=body
        )
        # Not pydantic-core's one pass over the bytes (validate_json): it reads a member given
        # twice last-wins. The strict decoder plus validate_python costs ~2.5x its CPU
        # (benchmarks/README.md, "Strict JSON"), the price of refusing a guess.
        return parse(
            adapter,
            _decode(method, response),
            lambda: request_line(method, response.request.url),
            status=response.status_code,
            applied=method != "GET",
        )

    def url(
        self,
        template: str,
        path: Mapping[str, str] | None = None,
        params: QueryParams | None = None,
    ) -> httpx.URL:
        """The absolute URL of a call, query included, built on the base URL the client was
        given: httpx takes it as it is, without parsing a relative one and merging it again."""
        # path and query values are percent-encoded, and the base URL was parsed when the client
        # was made: these parses cannot fail
        text = self.base_url + expand_path(template, path or {})
        query = encode_query(params) if params else ""
        if query:  # kept out of the cache: a query of labels is rarely asked for twice
            return httpx.URL(text + "?" + query)
        return _parsed(text)

    def describe(
        self,
        method: str,
        template: str,
        *,
        path: Mapping[str, str] | None = None,
        params: QueryParams | None = None,
    ) -> str:
        """The concrete request as errors name it (``POST /events/e1/channels``), query redacted."""
        return request_line(method, self.url(template, path, params))

    async def _send(
        self,
        method: str,
        url: httpx.URL,
        lane: Lane,
        endpoint: str,
        attempt: int,
        repeatable: bool,
        kwargs: dict[str, Any],
    ) -> Sent:
        # The lane slot is held for one attempt only, never across a backoff sleep; the timeout
        # starts once the slot is ours, so queueing behind our own limit never times a call out.
        async with self.lanes.gate(lane).slot() as slot:
            self.stats.sent(endpoint, lane.value)
            sent = await send(
                self._http,
                method,
                url,
                vendor=VENDOR,
                timeout_s=self.timeout_s,
                attempt=attempt,
                may_have_applied=method != "GET" and not repeatable,
                endpoint=endpoint,
                lane=lane.value,
                clock=self.clock,
                changes_state=method != "GET",
                max_answer_bytes=self.max_answer_bytes,
                **kwargs,
            )
            if sent.timed_out:
                # seats.io counts a request against the account until it ends there, which may be
                # long after we gave up on it: its slot stays taken for one more timeout, or the
                # retry would push the account past the lane limit we promised to keep
                slot.linger(self.timeout_s)
            return sent


def _unknown(failure: BridgeError, why: str) -> OutcomeUnknownError:
    """``failure`` restated as an unknown outcome: the caller must re-read before deciding."""
    return OutcomeUnknownError(
        f"{failure.message}; {why}, re-read state",
        vendor=VENDOR,
        status=failure.status,
        body=failure.body,
        codes=failure.codes,
    )


def _decode(method: str, response: httpx.Response) -> Any:
    """The JSON body of a 2xx response (strict: a member given twice is refused);
    MalformedResponseError naming the concrete request."""
    try:
        return loads_answer(response.content)
    except ValueError as exc:
        why = "a body that is not JSON"
        if isinstance(exc, DuplicateKeyError):
            why = f"a body that is not strict JSON: {exc}"
        raise MalformedResponseError(
            f"{request_line(method, response.request.url)}: HTTP {response.status_code} with "
            + why
            + ("; the change was applied" if method != "GET" else ""),
            vendor=VENDOR,
            status=response.status_code,
            body=response.text[:4000],
        ) from None
