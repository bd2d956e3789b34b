"""An async client for the TessituraService calls the bridge needs, in JSON or XML.

Every call has a timeout (per phase in httpx and on the whole attempt). Reads are repeated on
timeouts, connection errors, 5xx and 429 within a :class:`RetryPolicy`; 400/401/403/404 are not.
``update_seat_holds`` is not idempotent in general: once the request may have reached Tessitura, a
timeout, a broken connection or a 5xx raises :class:`~bridge.errors.OutcomeUnknownError` (re-read
the holds) instead of being repeated. Transport errors are raised without their httpx cause, which
holds the request and its Authorization header.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from functools import cache
from typing import Any, Literal, TypeVar

import httpx
import structlog
from pydantic import BaseModel, SecretStr, TypeAdapter, ValidationError

from bridge.clock import SYSTEM, Clock
from bridge.closing import AsyncClosing
from bridge.domain import HoldSnapshot, SeatHold
from bridge.errors import (
    ConfigError,
    MalformedResponseError,
    OutcomeUnknownError,
    validation_summary,
)
from bridge.http import (
    DEFAULT_MAX_ANSWER_BYTES,
    DuplicateKeyError,
    RetryPolicy,
    concrete_url,
    loads_answer,
    pool_limits,
    request_line,
    send,
)
from bridge.tessitura import models as m
from bridge.tessitura.credentials import TessituraAuth, TessituraCredentials
from bridge.tessitura.errors import body_text, error_for
from bridge.tessitura.xml import (
    VENDOR,
    collection_data,
    object_data,
    parse_document,
    search_request_xml,
    update_request_xml,
)

log = structlog.get_logger(__name__)

Format = Literal["json", "xml"]
ModelT = TypeVar("ModelT", bound=BaseModel)

_ACCEPT = {"json": "application/json", "xml": "application/xml"}
#: Requests one client keeps in flight at most, and so its pooled connections. A pass fans out
#: a whole season's hold reads at once (60-100 performances, several units together): unbounded,
#: that is dozens of connections to a server that is the box office's too, and httpcore rescans
#: each of them on every request. 8, as the units a pass reads at once
#: (bridge.reconcile.run.UNIT_CONCURRENCY).
IN_FLIGHT = 8
#: how many performances' last holds answers are kept to skip decoding one that is unchanged
HOLDS_KEPT = 4096
#: A numeric path segment (``TXN/Performances/123``): an id, named ``{id}`` in endpoint templates.
_ID_SEGMENT = re.compile(r"(?<=/)\d+(?=/|$)")


class TessituraClient(AsyncClosing):
    """One TessituraService, one login. Use as ``async with TessituraClient(...) as tessitura``.

    ``clock`` times each attempt and the retry budget (its monotonic time; also the default
    ``retry``'s) and stamps hold snapshots (its wall time)."""

    def __init__(
        self,
        base_url: str,
        username: str,
        user_group: str,
        location: str,
        password: str | SecretStr,
        *,
        format: Format = "json",
        timeout: float = 10.0,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock = SYSTEM,
        in_flight: int = IN_FLIGHT,
    ) -> None:
        if format not in _ACCEPT:
            raise ConfigError(f"Tessitura format must be 'json' or 'xml', not {format!r}")
        if timeout <= 0:
            raise ConfigError("Tessitura timeout must be a positive number of seconds")
        secret = password if isinstance(password, SecretStr) else SecretStr(password)
        self.credentials = TessituraCredentials(username, user_group, location, secret)
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.format: Format = format
        self.timeout = timeout
        #: a longer answer is malformed, and reading it stops there (:func:`bridge.http.send`)
        self.max_answer_bytes = max_answer_bytes
        self.clock = clock
        self.retry = retry or RetryPolicy(clock=clock)
        if in_flight < 1:
            raise ConfigError(f"Tessitura requests in flight must be at least 1, got {in_flight}")
        #: an attempt holds a slot while it is sent (never across a retry's wait); its timeout
        #: starts once the slot is its own, so queueing here never times a call out
        self._slots = asyncio.Semaphore(in_flight)
        #: (performance id, query) -> the last holds answer's digest and what it decoded to
        self._holds_read: dict[tuple[int, str], tuple[bytes, list[m.SeatHoldDetail]]] = {}
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=TessituraAuth(self.credentials),
            headers={"Accept": _ACCEPT[format], "User-Agent": "seatbridge"},
            timeout=httpx.Timeout(timeout),
            limits=pool_limits(in_flight),
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"TessituraClient({self.base_url!r}, format={self.format!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- seat holds ----------------------------------------------------------------------------

    async def seat_holds(
        self,
        performance_id: int,
        *,
        seat_ids: Iterable[int] | None = None,
        hold_code_ids: Iterable[int] | None = None,
        include_all_holds: bool = False,
    ) -> list[m.SeatHoldDetail]:
        """The holds of a performance: the top layer only, unless ``include_all_holds``."""
        params: dict[str, str] = {"includeAllHolds": "true" if include_all_holds else "false"}
        if seat_ids is not None:
            params["seatIds"] = _ids(seat_ids)
        if hold_code_ids is not None:
            params["holdCodeIds"] = _ids(hold_code_ids)
        response = await self._request(
            "GET",
            f"TXN/Performances/{performance_id}/Seats/Holds",
            f"performance {performance_id}",
            params=params,
        )
        # the same bytes decode to the same holds: a daemon reading an unchanged performance
        # every few seconds decodes it once (its answer checked as strictly the first time)
        key = (performance_id, repr(sorted(params.items())))
        digest = hashlib.blake2b(
            response.headers.get("content-type", "").encode() + b"\0" + response.content,
            digest_size=16,
        ).digest()
        last = self._holds_read.get(key)
        if last is not None and last[0] == digest:
            return list(last[1])
        holds = self._decode_list(response, m.SeatHoldDetail)
        if len(self._holds_read) >= HOLDS_KEPT:
            self._holds_read.pop(next(iter(self._holds_read)))
        self._holds_read[key] = (digest, holds)
        return list(holds)

    async def hold_snapshot(
        self,
        performance_id: int,
        *,
        hold_code_ids: Iterable[int] | None = None,
        include_all_holds: bool = True,
    ) -> HoldSnapshot:
        """Every hold layer of a performance, with the seat map its seat ids belong to."""
        seat_map_id = await self.seat_map_id(performance_id)
        holds = await self.seat_holds(
            performance_id, hold_code_ids=hold_code_ids, include_all_holds=include_all_holds
        )
        return snapshot_of(performance_id, seat_map_id, holds, clock=self.clock)

    async def seat_map_id(self, performance_id: int) -> int:
        """The seat map the performance's hold seat ids belong to (``Facility.SeatMap.Id``)."""
        return (await self.seat_map_and_facility(performance_id))[0]

    async def seat_map_and_facility(self, performance_id: int) -> tuple[int, int | None]:
        """The performance's seat map (``Facility.SeatMap.Id``) and facility (``Facility.Id``),
        from one read: discovery's search names the facility, never the seat map."""
        performance = await self.performance(performance_id)
        if performance.seat_map_id is None:
            raise MalformedResponseError(
                f"performance {performance_id} names no Facility.SeatMap.Id", vendor=VENDOR
            )
        facility = performance.facility.id if performance.facility is not None else None
        return performance.seat_map_id, facility

    async def update_seat_holds(
        self,
        performance_id: int,
        lines: Sequence[m.SeatHoldRequest],
        *,
        replace_mode: m.ReplaceMode = m.ReplaceMode.ABOVE_EXISTING,
        only_affect_available: bool = True,
        hold_until: datetime | None = None,
        once: bool = False,
    ) -> list[m.SeatHold]:
        """Put hold codes on seats (HoldCodeId -1 lifts all); never repeated once it may have landed.

        ``once``: one attempt, never repeated even where it cannot have landed (a 429, a refused
        connection): a lift decided on a read must not go out later than that read allows, so
        its caller reads again instead (a box-office layer placed during a retry's wait would
        go with a repeated -1)."""
        pairs = [(line.seat_id, line.hold_code_id) for line in lines]
        if self.format == "xml":
            content = update_request_xml(
                pairs,
                replace_mode=int(replace_mode),
                only_affect_available=only_affect_available,
                hold_until=hold_until,
            )
        else:
            content = _json_body(
                {
                    "HoldUntilDate": hold_until.isoformat() if hold_until else None,
                    "OnlyAffectAvailable": only_affect_available,
                    "ReplaceMode": int(replace_mode),
                    "SeatHolds": [{"SeatId": s, "HoldCodeId": c} for s, c in pairs],
                }
            )
        response = await self._request(
            "POST",
            f"TXN/Performances/{performance_id}/Seats/Holds",
            f"performance {performance_id}",
            content=content,
            idempotent=False,
            once=once,
        )
        return self._decode_list(response, m.SeatHold)

    async def hold_code(self, hold_code_id: int) -> m.HoldCode:
        response = await self._request(
            "GET", f"TXN/HoldCodes/{hold_code_id}", f"hold code {hold_code_id}"
        )
        return self._decode_one(response, m.HoldCode)

    # -- seats and reference data --------------------------------------------------------------

    async def seats(
        self,
        performance_id: int,
        *,
        mode_of_sale_id: int | None = None,
        constituent_id: int = 0,
        section_ids: Iterable[int] | None = None,
    ) -> list[m.Seat]:
        """Every cell of the performance's seat map; filter on ``is_seat`` for real seats."""
        params: dict[str, str] = {
            "constituentId": str(constituent_id),
            "performanceId": str(performance_id),
        }
        if mode_of_sale_id is not None:
            params["modeOfSaleId"] = str(mode_of_sale_id)
        if section_ids is not None:
            params["sectionIds"] = _ids(section_ids)
        response = await self._request(
            "GET",
            f"TXN/Performances/{performance_id}/Seats",
            f"performance {performance_id}",
            params=params,
        )
        return self._decode_list(response, m.Seat)

    async def sections(self, seat_map_id: int | None = None) -> list[m.Section]:
        params = {} if seat_map_id is None else {"seatMapId": str(seat_map_id)}
        response = await self._request(
            "GET", "ReferenceData/Sections", f"sections of seat map {seat_map_id}", params=params
        )
        return self._decode_list(response, m.Section)

    async def seat_statuses(self) -> list[m.SeatStatus]:
        response = await self._request("GET", "ReferenceData/SeatStatuses", "seat statuses")
        return self._decode_list(response, m.SeatStatus)

    # -- performances --------------------------------------------------------------------------

    async def performance(self, performance_id: int) -> m.Performance:
        response = await self._request(
            "GET", f"TXN/Performances/{performance_id}", f"performance {performance_id}"
        )
        return self._decode_one(response, m.Performance)

    async def search_performances(
        self,
        *,
        start: date | datetime | None = None,
        end: date | datetime | None = None,
        season_ids: Iterable[int] = (),
        facility_ids: Iterable[int] = (),
        production_season_ids: Iterable[int] = (),
    ) -> list[m.PerformanceSearchResult]:
        """Performances in a date range (both ends inclusive: a date means the whole day).

        Tessitura reads a bound without a UTC offset (a ``date``, a naive ``datetime``) as the
        venue's local time, so pass the venue's local dates (see
        :func:`bridge.reconcile.discovery.search_window`); an aware ``datetime`` is sent with its
        offset."""
        fields: dict[str, str] = {}
        if start is not None:
            fields["PerformanceStartDate"] = _bound(start, end_of_day=False)
        if end is not None:
            fields["PerformanceEndDate"] = _bound(end, end_of_day=True)
        for name, ids in (
            ("SeasonIds", season_ids),
            ("FacilityIds", facility_ids),
            ("ProductionSeasonIds", production_season_ids),
        ):
            joined = _ids(ids)
            if joined:
                fields[name] = joined
        content = search_request_xml(fields) if self.format == "xml" else _json_body(fields)
        response = await self._request(
            "POST", "TXN/Performances/Search", "performance search", content=content
        )
        return self._decode_list(response, m.PerformanceSearchResult)

    # -- transport -----------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        what: str,
        *,
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
        idempotent: bool = True,
        once: bool = False,
    ) -> httpx.Response:
        """A call within the retry policy (one attempt with ``once``); a write is repeated only
        when it cannot have landed."""
        endpoint = f"{method} {_ID_SEGMENT.sub('{id}', path)}"  # observers see the template

        async def attempt(number: int) -> httpx.Response:
            return await self._call(
                method,
                path,
                what,
                params=params,
                content=content,
                idempotent=idempotent,
                attempt=number,
                endpoint=endpoint,
            )

        if once:
            return await attempt(1)
        # the concrete URL only for a retry's log line: building a request to read it off was a
        # whole extra request build per call
        return await self.retry.call(
            attempt,
            vendor=VENDOR,
            method=method,
            url=lambda: concrete_url(self._http, method, path, params),
        )

    async def _call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
        idempotent: bool = True,
        attempt: int = 1,
        endpoint: str | None = None,
    ) -> httpx.Response:
        """One attempt through :func:`bridge.http.send`, translated into the bridge's errors."""
        headers = {}
        if content is not None:
            headers["Content-Type"] = f"{_ACCEPT[self.format]}; charset=utf-8"
        async with self._slots:
            sent = await send(
                self._http,
                method,
                path,
                vendor=VENDOR,
                timeout_s=self.timeout,
                attempt=attempt,
                may_have_applied=not idempotent,
                # a hold write passes the task's fence (a unit's lease) before each attempt
                changes_state=not idempotent,
                unknown_hint="read the holds again before retrying",
                endpoint=endpoint,
                clock=self.clock,
                max_answer_bytes=self.max_answer_bytes,
                params=params,
                content=content,
                headers=headers,
            )
        if sent.failure is not None:
            raise sent.failure
        assert sent.response is not None
        response = sent.response
        if response.status_code < 400:
            return response
        req = request_line(method, response.request.url)
        error = error_for(response, what, request=req, clock=self.clock)
        if not idempotent and response.status_code >= 500:
            raise OutcomeUnknownError(
                f"{req}: Tessitura failed while writing to {what}: it may have been applied; read "
                "the holds again before retrying",
                vendor=VENDOR,
                status=response.status_code,
                body=error.body,
                codes=error.codes,
            )
        raise error

    # -- decoding ------------------------------------------------------------------------------

    def _is_xml(self, response: httpx.Response) -> bool:
        """The answer must be in the format asked for: a JSON client handed XML (or the other
        way) is talking to something else, a gateway's error page, say."""
        content_type = response.headers.get("content-type", "").lower()
        wants_xml = self.format == "xml"
        says = "xml" if "xml" in content_type else "json" if "json" in content_type else None
        if says is not None and (says == "xml") != wants_xml:
            raise _shape(response, f"asked for {self.format}, the answer is {says}")
        return wants_xml

    def _decode_list(self, response: httpx.Response, model: type[ModelT]) -> list[ModelT]:
        adapter: TypeAdapter[list[ModelT]] = _list_of(model)
        try:
            if self._is_xml(response):
                data: Any = collection_data(parse_document(response.content), model)
            else:  # never validate_json: pydantic-core reads a member given twice last-wins
                data = _json(response)
                if not isinstance(data, list):
                    raise _shape(response, f"expected a list of {model.__name__}")
            return adapter.validate_python(data)
        except ValidationError as exc:
            raise _shape(response, _first_error(exc, model)) from None
        except MalformedResponseError as exc:
            raise _with_answer(exc, response) from None

    def _decode_one(self, response: httpx.Response, model: type[ModelT]) -> ModelT:
        try:
            if self._is_xml(response):
                data: Any = object_data(parse_document(response.content), model)
            else:
                data = _json(response)
            return model.model_validate(data)
        except ValidationError as exc:
            raise _shape(response, _first_error(exc, model)) from None
        except MalformedResponseError as exc:
            raise _with_answer(exc, response) from None


def snapshot_of(
    performance_id: int,
    seat_map_id: int,
    holds: Iterable[m.SeatHoldDetail],
    *,
    clock: Clock = SYSTEM,
) -> HoldSnapshot:
    """The holds Tessitura answered, as the bridge's snapshot of one performance, taken at
    ``clock``'s wall time."""
    return HoldSnapshot(
        performance_id=performance_id,
        seat_map_id=seat_map_id,
        holds=tuple(SeatHold(h.seat_id, h.hold_code_id, h.priority, h.end_date) for h in holds),
        taken_at=clock.now(),
    )


@cache
def _list_of(model: type[ModelT]) -> TypeAdapter[list[ModelT]]:
    """One adapter per model: building one costs more than validating a list of holds."""
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def _json(response: httpx.Response) -> Any:
    """The answer's JSON, strictly: a member given twice (``"SeatId"`` twice in a hold) is a
    malformed answer, as in XML, never read last-wins."""
    try:
        return loads_answer(response.content)
    except ValueError as exc:  # UnicodeDecodeError included
        raise MalformedResponseError(
            f"the answer is not strict JSON: {exc}"
            if isinstance(exc, DuplicateKeyError)
            else "the answer is not valid JSON",
            vendor=VENDOR,
            status=response.status_code,
            body=body_text(response),
        ) from None


def _shape(response: httpx.Response, problem: str) -> MalformedResponseError:
    return MalformedResponseError(
        f"the answer does not have the documented shape: {problem}",
        vendor=VENDOR,
        status=response.status_code,
        body=body_text(response),
    )


def _with_answer(exc: MalformedResponseError, response: httpx.Response) -> MalformedResponseError:
    """A parse error raised below the client, given the status and body it was about."""
    if exc.body is not None:
        return exc
    return _shape(response, exc.message)


def _first_error(exc: ValidationError, model: type[BaseModel]) -> str:
    return validation_summary(exc, model.__name__)


def _ids(ids: Iterable[int]) -> str:
    return ",".join(str(int(i)) for i in ids)


def _bound(value: date | datetime, *, end_of_day: bool) -> str:
    """A search bound; a bare date covers the whole day whatever way the server compares."""
    if isinstance(value, datetime):
        return value.isoformat()
    return f"{value.isoformat()}T{'23:59:59' if end_of_day else '00:00:00'}"


def _json_body(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data).encode("utf-8")
