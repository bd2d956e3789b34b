"""The fake TessituraService: the endpoints the bridge uses, over one venue, in JSON or XML.

Served under ``/TessituraService/`` with HTTP Basic on the four-part user
``UserName:UserGroup:Location:Password``; paths match case-insensitively as on IIS. Answers follow
the Accept header (``application/xml`` or ``text/xml``: XML, otherwise JSON); bodies are read as
XML when their Content-Type says so. Errors are a collection of ``{Code, Description}``
(``docs/tessitura-fake.md``): 401 for a wrong login, 403 for a user group without the right to the
resource and verb, 400 for a bad request, 404 for an unknown id, 409 for a hold change on a seat
locked by another user's transaction.
The control surface (faults, answer overrides, request log, and ``facilities``: a performance moved
to another facility and seat map) is mounted under ``/_sandbox/``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import State
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bridge.sandbox import (
    TESSITURA_LOCATION,
    TESSITURA_PASSWORD,
    TESSITURA_USER,
)
from bridge.sandbox import tessitura_payloads as payloads
from bridge.sandbox.control import CONTROL_PREFIX, Control, dumps_answer
from bridge.sandbox.seatsio_clock import Clock, utc_now
from bridge.sandbox.tessitura_requests import (
    BadRequest,
    parse_id_list,
    parse_search_request,
    parse_update_request,
    query_bool,
    query_int,
)
from bridge.sandbox.tessitura_world import (
    RESOURCES,
    HoldConflictError,
    HoldRequestError,
    Permission,
    TessituraWorld,
)
from bridge.sandbox.tessitura_xml import TXN_NAMESPACE, render
from bridge.sandbox.venue import Venue

BASE = "/TessituraService"
Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Shape:
    """How a payload is written as XML: its root, the item element of a collection, a namespace."""

    root: str
    item: str = ""
    namespace: str = ""


ERRORS = Shape("ErrorMessages", "ErrorMessage")
SEAT_HOLD_DETAILS = Shape("SeatHoldDetails", "SeatHoldDetail")
SEAT_HOLDS = Shape("SeatHolds", "SeatHold")
SEATS = Shape("Seats", "Seat", TXN_NAMESPACE)
PERFORMANCE = Shape("Performance", namespace=TXN_NAMESPACE)
SEARCH_RESULTS = Shape("PerformanceSearchResponses", "PerformanceSearchResponse", TXN_NAMESPACE)
SECTIONS = Shape("Sections", "Section")
SEAT_STATUSES = Shape("SeatStatuses", "SeatStatus")
HOLD_CODE = Shape("HoldCode")


class TessituraSandboxApp:
    """The ASGI app handed out: the wrapped emulator plus ``state.control`` and ``state.world``."""

    def __init__(self, app: ASGIApp, state: State) -> None:
        self._app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)


def create_tessitura_app(venue: Venue, *, clock: Clock = utc_now) -> TessituraSandboxApp:
    """Build the emulator for one venue; its world starts with the venue's holds and sales, and
    its hold layers lapse at their end date by ``clock``."""
    world = TessituraWorld.from_venue(venue, clock=clock)
    control = Control()
    api = _Api(world)
    routes = [
        *control.routes(),
        Route(f"{CONTROL_PREFIX}/facilities", api.facilities, methods=["GET", "POST"]),
        Route(f"{BASE}/TXN/Performances/Search", api.search, methods=["POST"]),
        Route(f"{BASE}/TXN/Performances/{{performance_id:int}}", api.performance),
        Route(f"{BASE}/TXN/Performances/{{performance_id:int}}/Seats", api.seats),
        Route(
            f"{BASE}/TXN/Performances/{{performance_id:int}}/Seats/Holds",
            api.holds,
            methods=["GET", "POST"],
        ),
        Route(f"{BASE}/TXN/HoldCodes/{{hold_code_id:int}}", api.hold_code),
        Route(f"{BASE}/ReferenceData/Sections", api.sections),
        Route(f"{BASE}/ReferenceData/SeatStatuses", api.seat_statuses),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
    app.state.control = control
    app.state.world = world
    wrapped = control.middleware(_canonical_paths(app))
    return TessituraSandboxApp(wrapped, app.state)


# -- transport: paths, auth, negotiation -------------------------------------------------------

_CANONICAL = {
    word.lower(): word
    for word in (
        "TessituraService",
        "TXN",
        "Performances",
        "Search",
        "Seats",
        "Holds",
        "HoldCodes",
        "ReferenceData",
        "Sections",
        "SeatStatuses",
    )
}


def _canonical_paths(app: ASGIApp) -> ASGIApp:
    """IIS matches paths case-insensitively: rewrite known segments to their canonical case."""

    async def rewrite(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].lower().startswith(BASE.lower()):
            parts = scope["path"].split("/")
            path = "/".join(_CANONICAL.get(p.lower(), p) for p in parts)
            # In place: the control middleware reads the matched route back from this scope.
            scope["path"], scope["raw_path"] = path, path.encode()
        await app(scope, receive, send)

    return rewrite


def wants_xml(request: Request) -> bool:
    """XML when the Accept header names an XML type before any JSON type; JSON otherwise."""
    for part in request.headers.get("accept", "").split(","):
        media = part.split(";")[0].strip().lower()
        if media in ("application/xml", "text/xml"):
            return True
        if media in ("application/json", "text/json"):
            return False
    return False


def respond(request: Request, data: Any, shape: Shape, status: int = 200) -> Response:
    control: Control | None = getattr(request.app.state, "control", None)
    patched = control is not None and bool(control.overrides)
    if control is not None and patched:
        data = control.patch(request.method, request.url.path, data)
    if wants_xml(request):
        body = render(shape.root, data, item=shape.item, namespace=shape.namespace)
        return Response(body, status, media_type="application/xml; charset=utf-8")
    return Response(
        dumps_answer(data) if patched else json.dumps(data, ensure_ascii=False).encode(),
        status,
        media_type="application/json; charset=utf-8",
    )


def error(request: Request, status: int, problems: Sequence[tuple[str, str]]) -> Response:
    data = [{"Code": code, "Description": description} for code, description in problems]
    return respond(request, data, ERRORS, status)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 404:
        problem = ("NotFound", f"No resource matches {request.url.path}")
    elif status == 405:
        problem = ("MethodNotAllowed", f"{request.method} is not supported on {request.url.path}")
    else:
        problem = ("Error", str(getattr(exc, "detail", "")) or "Request failed")
    return error(request, status, [problem])


UNAUTHORIZED = ("Unauthorized", "Authorization header is not present or the values are not valid.")


def _user_group(request: Request, world: TessituraWorld) -> str | None:
    """The user group of a valid four-part Basic login, None for any other header.

    The user, location and password are compared in constant time and never logged; the group
    must be one the sandbox user belongs to (:attr:`TessituraWorld.user_groups`)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    parts = decoded.split(":", 3)
    if len(parts) != 4:
        return None
    user, group, location, password = parts
    expected = ":".join((TESSITURA_USER, TESSITURA_LOCATION, TESSITURA_PASSWORD))
    login_ok = hmac.compare_digest(f"{user}:{location}:{password}".encode(), expected.encode())
    return group if login_ok and group in world.user_groups else None


def forbidden(user_group: str, resource: str, permission: Permission) -> tuple[str, str]:
    """The ``(Code, Description)`` of a 403: the group lacks ``permission`` on ``resource``."""
    return (
        "Forbidden",
        f"User group {user_group} does not have {permission.value} rights to {resource}.",
    )


def resource_of(path: str) -> str:
    """The Security resource a path belongs to: ``TXN/Performances`` for every
    ``TXN/Performances/...`` route (Search and Seats/Holds included)."""
    rest = path[len(BASE) :].strip("/").split("/")
    name = "/".join(rest[:2])
    return next((r for r in RESOURCES if r.lower() == name.lower()), name)


def _guarded(world: TessituraWorld, endpoint: Endpoint) -> Endpoint:
    """Refuse a bad login with 401, a user group without the right to the resource and verb with
    403, and turn request parse errors into 400."""

    async def guarded(request: Request) -> Response:
        group = _user_group(request, world)
        if group is None:
            return error(request, 401, [UNAUTHORIZED])
        resource = resource_of(request.url.path)
        permission = Permission.for_method(request.method)
        if not world.may(group, resource, permission):
            return error(request, 403, [forbidden(group, resource, permission)])
        try:
            return await endpoint(request)
        except BadRequest as exc:
            return error(request, 400, exc.problems)

    return guarded


# -- the API -----------------------------------------------------------------------------------


class _Api:
    """Endpoint handlers over one world."""

    def __init__(self, world: TessituraWorld) -> None:
        self.world = world
        self.performance = _guarded(world, self._performance)
        self.search = _guarded(world, self._search)
        self.seats = _guarded(world, self._seats)
        self.holds = _guarded(world, self._holds)
        self.hold_code = _guarded(world, self._hold_code)
        self.sections = _guarded(world, self._sections)
        self.seat_statuses = _guarded(world, self._seat_statuses)

    def _performance_or_404(self, request: Request) -> int:
        performance_id = int(request.path_params["performance_id"])
        if self.world.performance(performance_id) is None:
            raise _NotFound("PerformanceNotFound", f"Performance {performance_id} not found")
        return performance_id

    async def _performance(self, request: Request) -> Response:
        try:
            pid = self._performance_or_404(request)
        except _NotFound as exc:
            return error(request, 404, [exc.problem])
        p = self.world.performance(pid)
        assert p is not None
        return respond(request, payloads.performance(self.world, p), PERFORMANCE)

    async def _search(self, request: Request) -> Response:
        criteria = parse_search_request(
            await request.body(), request.headers.get("content-type", ""), self.world.venue
        )
        found = [
            payloads.search_result(self.world, p)
            for p in self.world.venue.performances
            if criteria.matches(p, self.world.facility(p.id)[0])
        ]
        return respond(request, found, SEARCH_RESULTS)

    async def _seats(self, request: Request) -> Response:
        try:
            pid = self._performance_or_404(request)
        except _NotFound as exc:
            return error(request, 404, [exc.problem])
        q = request.query_params
        for name in ("constituentId", "modeOfSaleId", "performanceId"):
            query_int(q, name)  # accepted and validated, but they change nothing here
        section_ids = parse_id_list(q, "sectionIds")
        return respond(request, payloads.seats(self.world, pid, section_ids), SEATS)

    async def _holds(self, request: Request) -> Response:
        try:
            pid = self._performance_or_404(request)
        except _NotFound as exc:
            return error(request, 404, [exc.problem])
        if request.method == "POST":
            return await self._update_holds(request, pid)
        q = request.query_params
        details = payloads.seat_hold_details(
            self.world,
            pid,
            seat_ids=parse_id_list(q, "seatIds"),
            hold_code_ids=parse_id_list(q, "holdCodeIds"),
            include_all=query_bool(q, "includeAllHolds"),
        )
        return respond(request, details, SEAT_HOLD_DETAILS)

    async def _update_holds(self, request: Request, performance_id: int) -> Response:
        update = parse_update_request(
            await request.body(), request.headers.get("content-type", ""), self.world.venue
        )
        try:
            applied = self.world.update(
                performance_id,
                update.lines,
                mode=update.replace_mode,
                until=update.hold_until,
                only_available=update.only_affect_available,
                until_ticks=update.hold_until_ticks,
            )
        except HoldConflictError as exc:
            return error(request, 409, exc.problems)
        except HoldRequestError as exc:
            return error(request, 400, exc.problems)
        return respond(
            request, payloads.seat_holds(applied, self.world.venue.utc_offset), SEAT_HOLDS
        )

    async def _hold_code(self, request: Request) -> Response:
        hold_code_id = int(request.path_params["hold_code_id"])
        code = self.world.hold_code(hold_code_id)
        if code is None:
            return error(
                request, 404, [("HoldCodeNotFound", f"Hold code {hold_code_id} not found")]
            )
        return respond(request, payloads.hold_code(self.world, code), HOLD_CODE)

    async def _sections(self, request: Request) -> Response:
        seat_map_id = query_int(request.query_params, "seatMapId")
        query_bool(request.query_params, "maintenanceMode")
        venue = self.world.venue
        on_map = seat_map_id is None or seat_map_id in self.world.seat_maps()
        found = payloads.sections(venue) if on_map else []
        return respond(request, found, SECTIONS)

    async def facilities(self, request: Request) -> Response:
        """The control surface's facility changes: GET lists the moved performances; POST
        ``{"performance_id", "facility_id", "seat_map_id"}`` moves one (see ``world.move``)."""
        if request.method == "POST":
            try:
                body = await request.json()
                ids = [body[k] for k in ("performance_id", "facility_id", "seat_map_id")]
                if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
                    raise TypeError("performance_id, facility_id and seat_map_id are integers")
                self.world.move(*ids)
            except (ValueError, TypeError, KeyError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        moved = [
            {"performance_id": pid, "facility_id": f, "seat_map_id": m}
            for pid, (f, m) in sorted(self.world.moved.items())
        ]
        return JSONResponse({"moved": moved})

    async def _seat_statuses(self, request: Request) -> Response:
        query_bool(request.query_params, "maintenanceMode")
        return respond(request, payloads.seat_statuses(self.world.venue), SEAT_STATUSES)


class _NotFound(Exception):
    def __init__(self, code: str, description: str) -> None:
        super().__init__(description)
        self.problem = (code, description)
