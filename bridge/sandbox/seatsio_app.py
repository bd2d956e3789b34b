"""The fake seats.io over HTTP: thin routes over :class:`~bridge.sandbox.seatsio_world.SeatsioWorld`.

The routes live one module per API group (``seatsio_routes_*``), sharing authentication and error
answers (:mod:`bridge.sandbox.seatsio_http`); this module assembles them and says how they behave.

``create_seatsio_app(venue, empty=...)`` returns a Starlette app with ``app.state.world`` (the
in-memory workspace) and ``app.state.control`` (fault injection and the request log, under
``/_sandbox/``, plus ``GET|POST /_sandbox/status-feed``: read or set ``{"max_delay_s": 2.0}``, the
longest a status change takes to show in the status-change listings). Authentication is HTTP Basic with :data:`bridge.sandbox.SEATSIO_SECRET_KEY` as
the user name (the password is ignored) and, optionally, ``X-Workspace-Key:``
:data:`WORKSPACE_KEY`. Anything else gets 401 with an empty body. Every other error answers the
documented body ``{status, messages, errors: [{code, message, data}], warnings, requestId}``.

Response codes: creating an event, season, partial season or hold token answers 201 with the
object; reads, updates (``POST /events/{key}``), season actions, ``edit-for-sale-config`` and
``mark-everything-as-not-for-sale`` answer 200 with JSON; channel calls, ``mark-as-(not-)for-sale``,
``mark-everything-as-for-sale`` and the season-status overrides answer 204; status changes answer
204, or 200 with ``{"objects": {...}}`` (batch: ``{"results": [...]}``) given ``?expand=objects``.

Known behaviour, from the seats.io docs and the official SDK's tests (which seats.io runs against
its real API), is done exactly; guesses follow the principle at the top of
``docs/api-assumptions.md``. Among the known: ``create-events`` answers the new events newest
first; ``GET /events/{key}/status-changes`` honours ``sort`` (``objectLabel``, ``date`` or
``status``, ``:asc`` by default or ``:desc``) and pages by position in that order; summary reports
(``/reports/events/{key}/{type}/summary[/deep]``) answer per group a count and its breakdowns;
the daily for-sale budget resets at a daily boundary, and only its 429 carries ``Retry-After``.

Guessed behaviour
-----------------
Where the seats.io docs are silent the sandbox guesses (see ``docs/api-assumptions.md`` for which
way each guess leans and why):

- Error codes other than EVENT_NOT_FOUND, CHART_NOT_FOUND and ILLEGAL_STATUS_CHANGE are the
  sandbox's own (listed in :mod:`bridge.sandbox.seatsio_errors`). Clients should branch on the
  HTTP status first.
- Request bodies with unknown fields are refused (400 VALIDATION_ERROR), so a misspelt field
  fails loudly. A JSON body is accepted with or without a Content-Type header, as the SDK sends it.
- An ``X-Workspace-Key`` other than :data:`WORKSPACE_KEY` is a 401, not a quiet fallback to the
  default workspace.
- Concurrency: the request past the lane limit (11th regular, 101st priority, counted per secret
  key from arrival to answer) gets 429 with the documented error body, code
  TOO_MANY_CONCURRENT_REQUESTS, **no Retry-After** and no rate-limit info: clients must back off
  on their own.
- Status transitions (:mod:`bridge.sandbox.seatsio_status` names the evidence): booking and
  holding need a free object, one in resale (even in a channel, without its key) or one held
  with the same hold token; a custom status replaces any status, booked included, unless
  ``allowedPreviousStatuses`` / ``rejectedPreviousStatuses``, a hold token, the channel rule or
  the for-sale config refuse it. RELEASE returns to the previous selectable status (resale or
  free) and keeps the order id. Refusals are 400 ILLEGAL_STATUS_CHANGE.
- Season tickets (``POST /seasons/actions/change-object-status``, ``/book``, ``/release``,
  ``/hold``): the documented body only, one all-or-nothing change on every event named, 204.
- RELEASE of an object that is already free is 400 ILLEGAL_STATUS_CHANGE (not a silent no-op).
- A status that an event inherits from its season can only be overridden
  (OVERRIDE_SEASON_STATUS), not changed or released on the event (400 ILLEGAL_STATUS_CHANGE);
  USE_SEASON_STATUS is refused while the event has a status of its own for the object.
- On a season, an object booked (or otherwise not free) in any of its events shows that status,
  and a status change on the season is refused for it.
- Not-for-sale objects cannot be booked, held or put up for resale (400 OBJECT_NOT_FOR_SALE);
  custom statuses and RELEASE are allowed on them.
- The channel rule (channelKeys / ignoreChannels) applies to every status change, RELEASE
  included; ``ignoreChannels`` together with ``channelKeys`` is a 400.
- Unknown object labels in status changes, channel calls and object-info reads are
  400 OBJECT_NOT_FOUND (for-sale configs are not validated, as seats.io documents).
- Channels: ``{"channels": []}`` clears all channels; ``{}`` is a 400. A channel key or name used
  twice is 400 CHANNEL_ALREADY_EXISTS; one object in two channels of the same replace/add call is a
  400. Removing an unknown channel is 404 CHANNEL_NOT_FOUND; removing objects a channel does not
  hold is ignored. Replace gives channels new ids. Channel calls on an event in a season or on a
  partial season are 400 CHANNELS_NOT_ALLOWED_ON_EVENT_IN_SEASON.
- For-sale budget: 10 counted calls per event per day, every counter starting afresh at 23:00 UTC
  (the time of day of the docs' example ``rateLimitResetDate``); past it, 429 with
  ``Retry-After`` (seconds to the reset) and ``{rateLimitRemainingCalls: 0, rateLimitResetDate}``
  as the error's data. Counted: any edit with ``notForSale``
  entries, every ``mark-as-not-for-sale`` and ``mark-everything-as-not-for-sale``, a
  ``mark-as-for-sale`` that takes anything off sale, and creating an event or season with a
  restricting ``forSaleConfig``. A multi-event edit is all or nothing. An incremental edit that
  empties the list leaves ``{forSale: false, objects: []}`` (only mark-everything-as-for-sale
  reads back as null).
- Season for-sale: with ``forSalePropagated`` (default) the season's not-for-sale objects are
  not for sale in its events; events may add restrictions of their own.
- ``isAvailable`` means "free (or resale) and for sale"; channels do not change it.
- Lists are newest first; ``next_page_starts_after`` / ``previous_page_ends_before`` are left out
  when there is nothing more that way. Status changes show in the listings after a delay of their
  own in ``[0, max_delay]`` (seats.io processes them asynchronously; the SDK tests poll up to
  10 s), so a later change may show before an earlier one; ``max_delay`` is 0 in process
  (``Sandbox()``) and 2 s when served. Object infos and reports show the live state at once.
  A change made on a season is logged on the season only, not on each of its events; one made on
  an event only on that event, not on its season.
- Hold tokens expire after 15 minutes; held objects whose token expired read as free.
- Status changes on several events answer object infos from the first event named.
- A report filtered to a group with no objects answers ``{group: []}``; byObjectType lists all
  four object types, empty or not. The sandbox's charts have no zones: byZone is ``NO_ZONE``.
"""

from __future__ import annotations

from datetime import timedelta

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from bridge.sandbox.control import CONTROL_PREFIX, Control
from bridge.sandbox.seatsio_clock import Clock, utc_now
from bridge.sandbox.seatsio_errors import METHOD_NOT_ALLOWED, NOT_FOUND, SeatsioApiError
from bridge.sandbox.seatsio_http import RouteTable, api, error_response, secret_key_of
from bridge.sandbox.seatsio_lanes import LaneGate, lane_of
from bridge.sandbox.seatsio_routes_events import ROUTES as EVENT_ROUTES
from bridge.sandbox.seatsio_routes_hold_tokens import ROUTES as HOLD_TOKEN_ROUTES
from bridge.sandbox.seatsio_routes_reports import ROUTES as REPORT_ROUTES
from bridge.sandbox.seatsio_routes_seasons import ROUTES as SEASON_ROUTES
from bridge.sandbox.seatsio_routes_statuses import ROUTES as STATUS_ROUTES
from bridge.sandbox.seatsio_seed import world_from_venue
from bridge.sandbox.seatsio_world import SeatsioWorld
from bridge.sandbox.venue import Venue

__all__ = [
    "create_seatsio_app",
]

#: Every API group's routes; within a group the order is the matching order.
ROUTE_TABLES: tuple[RouteTable, ...] = (
    STATUS_ROUTES,
    EVENT_ROUTES,
    SEASON_ROUTES,
    REPORT_ROUTES,
    HOLD_TOKEN_ROUTES,
)


def _routes(world: SeatsioWorld) -> list[Route]:
    return [
        Route(path, api(world, handler), methods=[method])
        for table in ROUTE_TABLES
        for path, handler, method in table
    ]


async def _no_route(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods answer like the API (401 first, then the error body)."""
    if secret_key_of(request.scope) is None:
        return Response(status_code=401)
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    code = METHOD_NOT_ALLOWED if status == 405 else NOT_FOUND
    return error_response(
        SeatsioApiError(status, code, f"No such endpoint: {request.method} {request.url.path}")
    )


def _with_control(app: ASGIApp, control: Control) -> ASGIApp:
    return control.middleware(app)


def _status_feed_route(world: SeatsioWorld) -> Route:
    """``GET|POST /_sandbox/status-feed``: the status-change listings' delay, ``{"max_delay_s"}``."""

    async def status_feed(request: Request) -> Response:
        if request.method == "POST":
            try:
                body = await request.json()
                value = body["max_delay_s"] if isinstance(body, dict) and len(body) == 1 else None
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise ValueError('the body is {"max_delay_s": seconds, 0 or more}')
            except ValueError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            world.max_delay = timedelta(seconds=value)
        return JSONResponse({"max_delay_s": world.max_delay.total_seconds()})

    return Route(f"{CONTROL_PREFIX}/status-feed", status_feed, methods=["GET", "POST"])


def create_seatsio_app(
    venue: Venue,
    *,
    empty: bool = False,
    clock: Clock | None = None,
    max_delay: timedelta = timedelta(0),
) -> Starlette:
    """The seats.io emulator for ``venue``; with ``empty`` only the chart exists; ``max_delay``:
    the longest a status change takes to show in the status-change listings."""
    world = world_from_venue(venue, empty=empty, clock=clock or utc_now)
    world.max_delay = max_delay
    control = Control(lane_of=lane_of)
    app = Starlette(
        routes=[*_routes(world), *control.routes(), _status_feed_route(world)],
        middleware=[
            Middleware(LaneGate, key_of=secret_key_of),
            Middleware(_with_control, control=control),
        ],
        exception_handlers={404: _no_route, 405: _no_route},
    )
    app.state.world = world
    app.state.control = control
    return app
