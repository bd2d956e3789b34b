"""The sandbox's control surface: fault injection and a request log, shared by both emulators.

Mounted outside the API paths under ``/_sandbox/``:

- ``GET /_sandbox/requests``: the request log (``entries``), counts per endpoint (``counts``: "METHOD
  /route/{template}" -> n), and the peak number of requests in flight per lane (``peak_in_flight``).
- ``DELETE /_sandbox/requests``: clear the log.
- ``GET|POST|DELETE /_sandbox/faults``: read, set (JSON body, fields of :class:`Faults`), clear faults.
- ``GET|POST|DELETE /_sandbox/overrides``: list, add (JSON body, fields of :class:`Override`), clear
  answer overrides.
- seats.io only: ``GET|POST /_sandbox/status-feed``, the status-change listings' delay
  (``{"max_delay_s": 2.0}``; see :mod:`bridge.sandbox.seatsio_app`).

Faults apply to API requests only (never to ``/_sandbox/``), optionally only to paths matching
``path_pattern`` and only ``count`` times. ``hang_after_apply_s`` lets the handler change state, then
stalls the answer: the "timeout after the change was applied" a client must survive;
``error_after_apply_rate`` lets it change state, then answers ``error_status`` (a 500 after apply).

Overrides change fields of an answer's payload before it is written, so a wrong *type* reaches the
client in either format (``{"SeatId": true}`` in JSON, ``<SeatId>true</SeatId>`` in XML): the
malformed answer a client must refuse rather than coerce. Only emulators that call
:meth:`Control.patch` on their payloads apply them (the Tessitura emulator does).
"""

from __future__ import annotations

import asyncio
import copy
import json
import random
import re
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTROL_PREFIX = "/_sandbox"


@dataclass
class Faults:
    """What to do to API requests. Rates are shares in [0, 1]; times in seconds."""

    latency_s: float = 0.0
    error_rate: float = 0.0
    error_status: int = 500
    #: The JSON body of an injected error (default ``{"injected": true, "status": ...}``) and
    #: headers to send with it, e.g. to answer exactly as a vendor's own refusal would.
    error_body: Any = None
    error_headers: dict[str, str] = field(default_factory=dict)
    hang_s: float = 0.0
    hang_after_apply_s: float = 0.0
    malformed_rate: float = 0.0
    #: the connection drops mid-answer, after the request was applied (the client cannot tell
    #: whether it was), or before it reached the API at all (``drop_before_rate``)
    drop_rate: float = 0.0
    drop_before_rate: float = 0.0
    #: a 200 with an empty body, after the request was applied
    empty_rate: float = 0.0
    #: the request is applied, then answered ``error_status`` (with ``error_body``): a server
    #: that failed after its change was made, which the client cannot tell from one that did not
    error_after_apply_rate: float = 0.0
    #: well-formed JSON whose values have the wrong types (see :func:`wrong_types`)
    wrong_type_rate: float = 0.0
    path_pattern: str | None = None
    method: str | None = None
    count: int | None = None
    seed: int = 0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Faults:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        return cls(**data)


@dataclass
class Override:
    """Set fields of the payload answered to matching requests, whatever their type.

    ``set`` maps a field name (dotted for nested objects: ``"HoldCodeDetail.Id"``) to the value to
    write. In a list answer every item is patched, or only items whose fields equal ``where``
    (dotted names too); an object answer is patched when it matches ``where``. ``count`` limits how
    many answers are patched. ``repeat``: the member keeps its value and is given a second time,
    after the others, with the new one (``{"SeatId": 10001, ..., "SeatId": 10002}``): a JSON
    answer only (see :func:`dumps_answer`); XML answers are left as they are. ``answer`` (a list
    or an object; ``set`` may then be empty) replaces the whole payload before ``set`` applies:
    ``[]`` for a holds answer is a 200 naming no hold at all, the answer a glitch upstream gives
    while the holds are still there (``where`` is not consulted for it).
    """

    path_pattern: str
    set: dict[str, Any]
    where: dict[str, Any] = field(default_factory=dict)
    method: str | None = None
    count: int | None = None
    repeat: bool = False
    answer: list[Any] | dict[str, Any] | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Override:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown override fields: {sorted(unknown)}")
        answer = data.get("answer")
        if answer is not None and not isinstance(answer, list | dict):
            raise ValueError("an override's 'answer' is a list or an object")
        if answer is not None:
            data = {"set": {}, **data}
        if not isinstance(data.get("set"), dict) or not (data["set"] or answer is not None):
            raise ValueError("an override needs a non-empty 'set' object, or an 'answer'")
        return cls(**data)

    def applies(self, method: str, path: str) -> bool:
        if self.count is not None and self.count <= 0:
            return False
        if self.method and self.method.upper() != method:
            return False
        return re.search(self.path_pattern, path) is not None

    def patch(self, data: Any) -> Any:
        """A patched deep copy of ``data`` (a list of objects or one object)."""
        patched = copy.deepcopy(data if self.answer is None else self.answer)
        items = patched if isinstance(patched, list) else [patched]
        for index, item in enumerate(items):
            if isinstance(item, dict) and all(_get(item, k) == v for k, v in self.where.items()):
                for name, value in self.set.items():
                    if self.repeat:
                        item = _repeat(item, name, value)
                    else:
                        _put(item, name, value)
                items[index] = item
        return items if isinstance(patched, list) else items[0]


class Repeated(dict[str, Any]):
    """An object some of whose members are given a second time (``repeats``, written after the
    others by :func:`dumps_answer`): what a broken or hostile server may send."""

    def __init__(self, members: dict[str, Any]) -> None:
        super().__init__(members)
        self.repeats: list[tuple[str, Any]] = []


def dumps_answer(data: Any) -> bytes:
    """``data`` as a JSON answer (UTF-8, not ASCII-escaped), with each :class:`Repeated`'s
    repeated members written out as the duplicate keys they are."""

    def encode(value: Any) -> str:
        if isinstance(value, dict):
            members = [*value.items(), *getattr(value, "repeats", ())]
            return "{" + ",".join(f"{encode(str(k))}:{encode(v)}" for k, v in members) + "}"
        if isinstance(value, list | tuple):
            return "[" + ",".join(encode(v) for v in value) + "]"
        return json.dumps(value, ensure_ascii=False)

    return encode(data).encode()


_MISSING = object()


def _get(data: Mapping[str, Any], dotted: str) -> Any:
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _repeat(data: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """``data`` with the member at ``dotted`` given a second time with ``value``."""
    head, _, rest = dotted.partition(".")
    if rest:
        child = data.get(head)
        data[head] = _repeat(child if isinstance(child, dict) else {}, rest, value)
        return data
    repeated = data if isinstance(data, Repeated) else Repeated(data)
    repeated.repeats.append((head, value))
    return repeated


def _put(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    target = data
    for part in parents:
        child = target.get(part)
        if not isinstance(child, dict):
            child = target[part] = {}
        target = child
    target[last] = value


@dataclass
class LogEntry:
    method: str
    path: str
    endpoint: str
    lane: str | None
    status: int = 0
    started: float = 0.0
    ended: float = 0.0
    fault: str | None = None
    #: the client's User-Agent: which bridge instance sent it, when several share a sandbox
    agent: str = ""
    #: bytes of the response body sent (benchmarks count what a pass reads)
    response_bytes: int = 0


@dataclass
class RequestLog:
    entries: list[LogEntry] = field(default_factory=list)
    in_flight: Counter[str] = field(default_factory=Counter)
    peak_in_flight: Counter[str] = field(default_factory=Counter)

    def counts(self) -> dict[str, int]:
        return dict(Counter(e.endpoint for e in self.entries))

    def clear(self) -> None:
        self.entries.clear()
        self.peak_in_flight.clear()

    def as_json(self) -> dict[str, Any]:
        return {
            "entries": [asdict(e) for e in self.entries],
            "counts": self.counts(),
            "peak_in_flight": dict(self.peak_in_flight),
            "in_flight": {lane: n for lane, n in self.in_flight.items() if n},
        }


class Control:
    """Holds the faults and the log of one emulator, and the middleware that applies them.

    ``lane_of(scope)`` names the lane of a request (seats.io: "priority"/"regular"); the log keeps
    the peak number in flight per lane so tests can check a client's concurrency limits.
    """

    def __init__(self, lane_of: Any = None) -> None:
        self.faults = Faults()
        self.overrides: list[Override] = []
        self.log = RequestLog()
        self._lane_of = lane_of
        self._rng = random.Random(0)

    def add_override(self, override: Override) -> None:
        self.overrides.append(override)

    def remove_override(self, override: Override) -> None:
        """Take one override away (the others stay); gone already: nothing to do."""
        if override in self.overrides:
            self.overrides.remove(override)

    def clear_overrides(self) -> None:
        self.overrides.clear()

    def patch(self, method: str, path: str, data: Any) -> Any:
        """``data`` as answered to ``method path``, with every override that applies."""
        for override in self.overrides:
            if override.applies(method, path):
                if override.count is not None:
                    override.count -= 1
                data = override.patch(data)
        return data

    def set_faults(self, faults: Faults) -> None:
        self.faults = faults
        self._rng = random.Random(faults.seed)

    def clear_faults(self) -> None:
        self.set_faults(Faults())

    def _applies(self, method: str, path: str) -> bool:
        f = self.faults
        if f.count is not None and f.count <= 0:
            return False
        if f.method and f.method.upper() != method:
            return False
        return not (f.path_pattern and not re.search(f.path_pattern, path))

    def _consume(self) -> None:
        if self.faults.count is not None:
            self.faults.count -= 1

    def routes(self) -> list[Route]:
        async def requests(request: Request) -> Response:
            if request.method == "DELETE":
                self.log.clear()
                return Response(status_code=204)
            return JSONResponse(self.log.as_json())

        async def faults(request: Request) -> Response:
            if request.method == "POST":
                try:
                    self.set_faults(Faults.from_json(await request.json()))
                except (ValueError, TypeError) as exc:
                    return JSONResponse({"error": str(exc)}, status_code=400)
            elif request.method == "DELETE":
                self.clear_faults()
            return JSONResponse(asdict(self.faults))

        async def overrides(request: Request) -> Response:
            if request.method == "POST":
                try:
                    self.add_override(Override.from_json(await request.json()))
                except (ValueError, TypeError) as exc:
                    return JSONResponse({"error": str(exc)}, status_code=400)
            elif request.method == "DELETE":
                self.clear_overrides()
            return JSONResponse({"overrides": [asdict(o) for o in self.overrides]})

        return [
            Route(f"{CONTROL_PREFIX}/requests", requests, methods=["GET", "DELETE"]),
            Route(f"{CONTROL_PREFIX}/faults", faults, methods=["GET", "POST", "DELETE"]),
            Route(f"{CONTROL_PREFIX}/overrides", overrides, methods=["GET", "POST", "DELETE"]),
        ]

    def middleware(self, app: ASGIApp) -> ASGIApp:
        """Wrap an emulator: log every API request, apply the faults."""

        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
                await app(scope, receive, send)
                return
            method, path = scope["method"], scope["path"]
            lane = self._lane_of(scope) if self._lane_of else None
            agent = dict(scope.get("headers") or []).get(b"user-agent", b"")
            entry = LogEntry(
                method,
                path,
                f"{method} {path}",
                lane,
                started=time.monotonic(),
                agent=agent.decode("latin-1"),
            )
            self.log.entries.append(entry)
            if lane:
                self.log.in_flight[lane] += 1
                self.log.peak_in_flight[lane] = max(
                    self.log.peak_in_flight[lane], self.log.in_flight[lane]
                )
            done = False

            def finish() -> None:
                # once: a request stops counting as its last byte goes out, not when the app's
                # task next runs (the client may already have sent its next request by then)
                nonlocal done
                if not done:
                    done = True
                    entry.ended = time.monotonic()
                    if lane:
                        self.log.in_flight[lane] -= 1

            async def sending(message: Message) -> None:
                if message["type"] == "http.response.body":
                    entry.response_bytes += len(message.get("body", b""))
                    if not message.get("more_body"):
                        finish()
                await send(message)

            try:
                await self._handle(app, scope, receive, sending, entry)
            finally:
                finish()

        return wrapped

    async def _handle(
        self, app: ASGIApp, scope: Scope, receive: Receive, send: Send, entry: LogEntry
    ) -> None:
        f = self.faults
        hit = self._applies(entry.method, entry.path)
        if hit:
            self._consume()
            if f.latency_s:
                await asyncio.sleep(f.latency_s)
            if f.hang_s:
                entry.fault = "hang"
                await asyncio.sleep(f.hang_s)
            if f.error_rate and self._rng.random() < f.error_rate:
                await _send_error(send, f, entry, "error")
                return
        if hit and f.drop_before_rate and self._rng.random() < f.drop_before_rate:
            entry.fault = "drop_before_apply"
            await _drop(send)
            return
        malformed = hit and f.malformed_rate and self._rng.random() < f.malformed_rate
        drop = hit and not malformed and f.drop_rate and self._rng.random() < f.drop_rate
        empty = hit and not malformed and not drop and f.empty_rate
        empty = empty and self._rng.random() < f.empty_rate
        retyped = hit and not (malformed or drop or empty) and f.wrong_type_rate
        retyped = retyped and self._rng.random() < f.wrong_type_rate
        failed = hit and not (malformed or drop or empty or retyped) and f.error_after_apply_rate
        failed = failed and self._rng.random() < f.error_after_apply_rate
        hang_after = f.hang_after_apply_s if hit else 0.0
        held: list[Message] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.status = int(message["status"])
                route = scope.get("route")
                if route is not None and hasattr(route, "path"):
                    entry.endpoint = f"{entry.method} {route.path}"
            if malformed or hang_after or drop or empty or retyped or failed:
                held.append(message)
            else:
                await send(message)

        await app(scope, receive, capture)
        if hang_after:
            entry.fault = "hang_after_apply"
            await asyncio.sleep(hang_after)
        if drop:
            entry.fault = "drop_after_apply"
            await _drop(send)
            return
        if failed:
            await _send_error(send, f, entry, "error_after_apply")
            return
        if empty:
            entry.fault = "empty"
            entry.status = 200
            await _send_plain(send, 200, b"", b"application/json")
            return
        if retyped:
            start = next(m for m in held if m["type"] == "http.response.start")
            body = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
            try:
                swapped = json.dumps(wrong_types(json.loads(body))).encode()
            except ValueError:  # not JSON (an XML answer): send it as it was
                swapped = body
            else:
                entry.fault = "wrong_type"
            headers = [
                (k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"
            ]
            headers.append((b"content-length", str(len(swapped)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": swapped})
            return
        if malformed:
            entry.fault = "malformed"
            start = next(m for m in held if m["type"] == "http.response.start")
            body = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
            broken = body[: max(1, len(body) // 2)] or b"{"
            headers = [
                (k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"
            ]
            headers.append((b"content-length", str(len(broken)).encode()))
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": broken})
            return
        for message in held:
            await send(message)


def wrong_types(data: Any) -> Any:
    """``data`` with every field of an object (or of each object in a list, or one level down
    in a wrapper such as ``{"items": [...]}``) given a value of the wrong type: text becomes a
    number, a number text, a list an object, an object a list, null and booleans text."""

    def swap(value: Any) -> Any:
        if isinstance(value, bool) or value is None:
            return "yes"
        if isinstance(value, int | float):
            return f"{value}!"
        if isinstance(value, str):
            return 17
        if isinstance(value, list):
            return {"unexpected": value[:1]}
        return [value]

    def fields_of(obj: Any) -> Any:
        if isinstance(obj, dict):
            if len(obj) <= 3 and any(isinstance(v, list) for v in obj.values()):
                return {k: fields_of(v) if isinstance(v, list) else v for k, v in obj.items()}
            return {k: swap(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [fields_of(x) if isinstance(x, dict) else swap(x) for x in obj]
        return swap(obj)

    return fields_of(data)


async def _drop(send: Send) -> None:
    """Promise a body and close the connection halfway: the client sees it drop mid-answer."""
    headers = [(b"content-type", b"application/json"), (b"content-length", b"64")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b'{"dropped', "more_body": False})


async def _send_error(send: Send, f: Faults, entry: LogEntry, fault: str) -> None:
    """The injected error answer: ``f.error_status`` with ``f.error_body`` (or a marker body)
    and ``f.error_headers``, logged as ``fault``."""
    entry.fault = fault
    entry.status = f.error_status
    payload = f.error_body
    if payload is None:
        payload = {"injected": True, "status": f.error_status}
    body = json.dumps(payload).encode()
    await _send_plain(send, f.error_status, body, b"application/json", f.error_headers)


async def _send_plain(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes,
    extra_headers: Mapping[str, str] | None = None,
) -> None:
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
    ]
    headers += [(k.lower().encode(), v.encode()) for k, v in (extra_headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
