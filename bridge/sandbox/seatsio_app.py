"""The fake seats.io over HTTP: thin routes over :class:`~bridge.sandbox.seatsio_world.SeatsioWorld`.

``create_seatsio_app(venue, empty=...)`` returns a Starlette app with ``app.state.world`` (the
in-memory workspace) and ``app.state.control`` (fault injection and the request log, under
``/_sandbox/``). Authentication is HTTP Basic with :data:`bridge.sandbox.SEATSIO_SECRET_KEY` as
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
  when there is nothing more that way. Status changes show up at once (seats.io: within seconds).
  A change made on a season is logged on the season only, not on each of its events.
- Hold tokens expire after 15 minutes; held objects whose token expired read as free.
- Status changes on several events answer object infos from the first event named.
- A report filtered to a group with no objects answers ``{group: []}``; byObjectType lists all
  four object types, empty or not. The sandbox's charts have no zones: byZone is ``NO_ZONE``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import Field
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Scope

from bridge.sandbox import SEATSIO_SECRET_KEY
from bridge.sandbox.control import Control
from bridge.sandbox.seatsio_clock import Clock, utc_now
from bridge.sandbox.seatsio_errors import (
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    SeatsioApiError,
    invalid,
)
from bridge.sandbox.seatsio_lanes import REFUSED, LaneGate, lane_of, lane_refusal
from bridge.sandbox.seatsio_model import (
    BOOKED,
    HELD,
    RESALE,
    ObjectSpec,
    StatusChange,
    StatusChangeRequest,
)
from bridge.sandbox.seatsio_payloads import (
    chart_report,
    chart_summary,
    error_body,
    event_json,
    event_report,
    event_summary,
    for_sale_json,
    hold_token_json,
    object_info_json,
    page,
    rate_limit_json,
    status_change_json,
)
from bridge.sandbox.seatsio_requests import (
    BatchBody,
    Body,
    ChannelObjectsBody,
    CreateEventBody,
    CreateEventsInSeasonBody,
    CreateSeasonBody,
    EditForSaleBody,
    EditForSaleEventsBody,
    EventKeysBody,
    EventStatusChangeBody,
    GroupStatusChangeBody,
    HoldTokenBody,
    MarkForSaleBody,
    PartialSeasonBody,
    ReplaceChannelsBody,
    SeasonStatusBody,
    ShorthandBody,
    UpdateChannelBody,
    UpdateEventBody,
    channel_specs,
    object_specs,
    parse,
)
from bridge.sandbox.seatsio_seed import world_from_venue
from bridge.sandbox.seatsio_status import (
    CHANGE_STATUS_TO,
    OVERRIDE_SEASON_STATUS,
    RELEASE,
    USE_SEASON_STATUS,
)
from bridge.sandbox.seatsio_world import UNSET, WORKSPACE_KEY, SeatsioWorld
from bridge.sandbox.venue import Venue

Handler = Callable[[Request, SeatsioWorld], Awaitable[Response]]


def secret_key_of(scope: Scope) -> str | None:
    """The secret key of an authenticated request, or None (wrong or missing credentials)."""
    headers = {k.lower(): v for k, v in scope.get("headers", [])}
    workspace = headers.get(b"x-workspace-key")
    if workspace is not None and workspace.decode("latin-1") != WORKSPACE_KEY:
        return None
    scheme, _, encoded = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")[0]
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user if user == SEATSIO_SECRET_KEY else None


def error_response(err: SeatsioApiError) -> Response:
    return JSONResponse(error_body(err), status_code=err.status, headers=err.headers)


def _api(world: SeatsioWorld, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Authenticate, enforce the lane limit, run the handler, answer refusals as seats.io does."""

    async def endpoint(request: Request) -> Response:
        if secret_key_of(request.scope) is None:
            return Response(status_code=401)
        lane = request.scope.get(REFUSED)
        if lane:
            return error_response(lane_refusal(lane))
        try:
            return await handler(request, world)
        except SeatsioApiError as err:
            return error_response(err)

    return endpoint


async def _json(request: Request, *, default: Any = None) -> Any:
    raw = await request.body()
    if not raw.strip():
        return default
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise invalid("Request body is not valid JSON") from None


def _key(request: Request, name: str = "key") -> str:
    return str(request.path_params[name])


def _no_content() -> Response:
    return Response(status_code=204)


def _expanded(request: Request) -> bool:
    return "objects" in request.query_params.getlist("expand")


def _objects(world: SeatsioWorld, event_key: str, labels: list[str]) -> dict[str, Any]:
    return {label: object_info_json(world.object_view(event_key, label)) for label in labels}


def _changed(
    request: Request, world: SeatsioWorld, changes: list[StatusChangeRequest], *, batch: bool
) -> Response:
    """Apply status changes; 204, or the changed objects' infos when ``expand=objects``."""
    world.change_status(changes)
    if not _expanded(request):
        return _no_content()
    results = [
        {"objects": _objects(world, c.event_keys[0], list(dict.fromkeys(c.labels())))}
        for c in changes
    ]
    return JSONResponse({"results": results} if batch else results[0])


# ---------------------------------------------------------------- events and seasons


async def list_events(request: Request, world: SeatsioWorld) -> Response:
    query = dict(request.query_params)
    return JSONResponse(page(world.events(), lambda e: e.id, lambda e: event_json(world, e), query))


async def create_event(request: Request, world: SeatsioWorld) -> Response:
    body = parse(CreateEventBody, await _json(request))
    ev = world.create_event(
        body.chart_key,
        body.event_key,
        name=body.name,
        channels=[c.spec() for c in body.channels],
        for_sale_config=body.for_sale_config.config() if body.for_sale_config else None,
        table_booking_config=body.table_booking_config,
        categories=body.categories,
        object_categories=body.object_categories,
        date=body.date,
    )
    return JSONResponse(event_json(world, ev), status_code=201)


async def retrieve_event(request: Request, world: SeatsioWorld) -> Response:
    return JSONResponse(event_json(world, world.event(_key(request))))


async def update_event(request: Request, world: SeatsioWorld) -> Response:
    body = parse(UpdateEventBody, await _json(request, default={}))
    sent = body.model_fields_set
    object_categories = body.object_categories
    ev = world.update_event(
        _key(request),
        new_key=body.event_key if "event_key" in sent else UNSET,
        name=body.name if "name" in sent else UNSET,
        table_booking_config=body.table_booking_config if "table_booking_config" in sent else UNSET,
        categories=body.categories if "categories" in sent else UNSET,
        object_categories=(
            (object_categories if isinstance(object_categories, dict) else None)
            if "object_categories" in sent
            else UNSET
        ),
        for_sale_propagated=body.for_sale_propagated if "for_sale_propagated" in sent else UNSET,
        date=body.date if "date" in sent else UNSET,
        is_in_the_past=body.is_in_the_past if "is_in_the_past" in sent else UNSET,
    )
    return JSONResponse(event_json(world, ev))


async def create_season(request: Request, world: SeatsioWorld) -> Response:
    body = parse(CreateSeasonBody, await _json(request))
    season = world.create_season(
        body.chart_key,
        body.key,
        name=body.name,
        event_keys=body.event_keys,
        number_of_events=body.number_of_events,
        channels=[c.spec() for c in body.channels],
        for_sale_config=body.for_sale_config.config() if body.for_sale_config else None,
        for_sale_propagated=body.for_sale_propagated,
        table_booking_config=body.table_booking_config,
        categories=body.categories,
        object_categories=body.object_categories,
    )
    return JSONResponse(event_json(world, season), status_code=201)


async def create_events_in_season(request: Request, world: SeatsioWorld) -> Response:
    body = parse(CreateEventsInSeasonBody, await _json(request))
    events = world.create_events_in_season(_key(request), body.event_keys, body.number_of_events)
    # newest first (seatsio-python testCreateEventsInSeason: keys e1, e2 come back e2, e1)
    return JSONResponse({"events": [event_json(world, e) for e in reversed(events)]})


async def create_partial_season(request: Request, world: SeatsioWorld) -> Response:
    body = parse(PartialSeasonBody, await _json(request, default={}))
    partial_season = world.create_partial_season(
        _key(request), body.key, name=body.name, event_keys=body.event_keys
    )
    return JSONResponse(event_json(world, partial_season), status_code=201)


async def add_events_to_partial_season(request: Request, world: SeatsioWorld) -> Response:
    body = parse(EventKeysBody, await _json(request))
    partial_season = world.add_events_to_partial_season(
        _key(request), _key(request, "partial"), body.event_keys
    )
    return JSONResponse(event_json(world, partial_season))


async def remove_event_from_partial_season(request: Request, world: SeatsioWorld) -> Response:
    partial_season = world.remove_event_from_partial_season(
        _key(request), _key(request, "partial"), _key(request, "event")
    )
    return JSONResponse(event_json(world, partial_season))


# ---------------------------------------------------------------- channels


async def add_channels(request: Request, world: SeatsioWorld) -> Response:
    world.add_channels(_key(request), channel_specs(await _json(request)))
    return _no_content()


async def replace_channels(request: Request, world: SeatsioWorld) -> Response:
    body = parse(ReplaceChannelsBody, await _json(request))
    world.replace_channels(_key(request), [c.spec() for c in body.channels])
    return _no_content()


async def update_channel(request: Request, world: SeatsioWorld) -> Response:
    body = parse(UpdateChannelBody, await _json(request, default={}))
    world.update_channel(
        _key(request),
        _key(request, "channel"),
        name=body.name,
        color=body.color,
        objects=body.objects,
        area_places=body.area_places,
    )
    return _no_content()


async def remove_channel(request: Request, world: SeatsioWorld) -> Response:
    world.remove_channel(_key(request), _key(request, "channel"))
    return _no_content()


async def add_channel_objects(request: Request, world: SeatsioWorld) -> Response:
    body = parse(ChannelObjectsBody, await _json(request))
    world.add_channel_objects(
        _key(request), _key(request, "channel"), body.objects, body.area_places
    )
    return _no_content()


async def remove_channel_objects(request: Request, world: SeatsioWorld) -> Response:
    body = parse(ChannelObjectsBody, await _json(request))
    world.remove_channel_objects(
        _key(request), _key(request, "channel"), body.objects, body.area_places
    )
    return _no_content()


# ---------------------------------------------------------------- object status


async def change_status_groups(request: Request, world: SeatsioWorld) -> Response:
    body = parse(GroupStatusChangeBody, await _json(request))
    return _changed(request, world, [body.request()], batch=False)


async def change_status_batch(request: Request, world: SeatsioWorld) -> Response:
    body = parse(BatchBody, await _json(request))
    return _changed(request, world, [i.request() for i in body.status_changes], batch=True)


async def change_status_event(request: Request, world: SeatsioWorld) -> Response:
    body = parse(EventStatusChangeBody, await _json(request))
    return _changed(request, world, [body.for_event(_key(request))], batch=False)


def _shorthand(type_: str, status: str | None) -> Handler:
    async def handler(request: Request, world: SeatsioWorld) -> Response:
        body = parse(ShorthandBody, await _json(request))
        change = body.to_request((_key(request),), type_, status)
        return _changed(request, world, [change], batch=False)

    return handler


def _season_status(type_: str) -> Handler:
    async def handler(request: Request, world: SeatsioWorld) -> Response:
        body = parse(SeasonStatusBody, await _json(request))
        change = StatusChangeRequest(
            event_keys=(_key(request),),
            objects=object_specs(body.objects),
            type=type_,
        )
        world.change_status([change])
        return _no_content()

    return handler


class SeasonTicketsBody(Body):
    """``POST /seasons/actions/{change-object-status,book,release,hold}``, exactly as documented
    (../shared/reference/seatsio-season-tickets-change-object-status.md): object ids, event keys,
    ``status`` (change-object-status only), optional ``holdToken`` and ``orderId``. Anything else,
    channelKeys and allowedPreviousStatuses included, is a 400: the page lists no such field, so
    the real API could ignore it, and a client relying on one must fail here first."""

    objects: list[str] = Field(min_length=1)
    events: list[str] = Field(min_length=1)
    hold_token: str | None = None
    order_id: str | None = None


class SeasonTicketsStatusBody(SeasonTicketsBody):
    status: str


def _season_tickets(type_: str, status: str | None) -> Handler:
    """One status change on every event named, all or nothing; 204 No Content as documented.
    The events need not share a season; the rules are those of any status change."""

    async def handler(request: Request, world: SeatsioWorld) -> Response:
        data = await _json(request)
        body = (
            parse(SeasonTicketsStatusBody, data)
            if type_ == CHANGE_STATUS_TO and status is None
            else parse(SeasonTicketsBody, data)
        )
        change = StatusChangeRequest(
            event_keys=tuple(body.events),
            objects=tuple(ObjectSpec(label) for label in body.objects),
            type=type_,
            status=body.status if isinstance(body, SeasonTicketsStatusBody) else status,
            hold_token=body.hold_token,
            order_id=body.order_id,
        )
        world.change_status([change])
        return _no_content()

    return handler


async def object_infos(request: Request, world: SeatsioWorld) -> Response:
    labels = request.query_params.getlist("label")
    if not labels:
        raise invalid("Pass at least one label query parameter")
    return JSONResponse(_objects(world, _key(request), labels))


_CHANGE_SORTS: dict[str, Callable[[StatusChange], Any]] = {
    "objectLabel": lambda c: c.object_label,
    "date": lambda c: c.date,
    "status": lambda c: c.status,
}


def _sorted_changes(changes: list[StatusChange], sort: str | None) -> list[StatusChange]:
    """``sort=field[:asc|:desc]`` (ascending unless told; ties newest last when ascending, as the
    ids run); without it the log's own order, newest first. Anything else is a 400."""
    if sort is None:
        return changes
    field, _, direction = sort.partition(":")
    key_of = _CHANGE_SORTS.get(field)
    if key_of is None or direction not in ("", "asc", "desc"):
        raise invalid(
            f"sort must be one of {', '.join(_CHANGE_SORTS)}, optionally with :asc or :desc; "
            f"not {sort!r}"
        )
    return sorted(changes, key=lambda c: (key_of(c), c.id), reverse=direction == "desc")


async def status_changes(request: Request, world: SeatsioWorld) -> Response:
    changes = world.status_changes(_key(request))
    needle = request.query_params.get("filter")
    if needle:
        changes = [c for c in changes if needle in c.object_label]
    sort = request.query_params.get("sort")
    return JSONResponse(
        page(
            _sorted_changes(changes, sort),
            lambda c: c.id,
            status_change_json,
            dict(request.query_params),
            ordered=sort is not None,
        )
    )


async def object_status_changes(request: Request, world: SeatsioWorld) -> Response:
    key, label = _key(request), _key(request, "label")
    world.object_view(key, label)  # 404 for an unknown event, 400 for an unknown object
    changes = world.status_changes(key, label)
    return JSONResponse(
        page(changes, lambda c: c.id, status_change_json, dict(request.query_params))
    )


# ---------------------------------------------------------------- for sale


async def edit_for_sale(request: Request, world: SeatsioWorld) -> Response:
    key = _key(request)
    body = parse(EditForSaleBody, await _json(request))
    config = world.edit_for_sale_config(key, *body.items())
    return JSONResponse(
        {
            "forSaleConfig": for_sale_json(config),
            "rateLimitInfo": rate_limit_json(world.rate_limit_info(key)),
        }
    )


async def edit_for_sale_events(request: Request, world: SeatsioWorld) -> Response:
    body = parse(EditForSaleEventsBody, await _json(request))
    configs = world.edit_for_sale_configs({k: e.items() for k, e in body.events.items()})
    return JSONResponse(
        {
            key: {
                "forSaleConfig": for_sale_json(config),
                "rateLimitInfo": rate_limit_json(world.rate_limit_info(key)),
            }
            for key, config in configs.items()
        }
    )


async def mark_not_for_sale(request: Request, world: SeatsioWorld) -> Response:
    body = parse(MarkForSaleBody, await _json(request, default={}))
    world.mark_as_not_for_sale(_key(request), body.objects, body.area_places, body.categories)
    return _no_content()


async def mark_for_sale(request: Request, world: SeatsioWorld) -> Response:
    body = parse(MarkForSaleBody, await _json(request, default={}))
    world.mark_as_for_sale(_key(request), body.objects, body.area_places, body.categories)
    return _no_content()


async def mark_everything_for_sale(request: Request, world: SeatsioWorld) -> Response:
    world.mark_everything_as_for_sale(_key(request))
    return _no_content()


async def mark_everything_not_for_sale(request: Request, world: SeatsioWorld) -> Response:
    key = _key(request)
    world.mark_everything_as_not_for_sale(key)
    return JSONResponse(rate_limit_json(world.rate_limit_info(key)))


# ---------------------------------------------------------------- reports, charts, hold tokens


async def event_report_route(request: Request, world: SeatsioWorld) -> Response:
    only = request.path_params.get("filter")
    views = world.object_views(_key(request))
    return JSONResponse(event_report(views, _key(request, "report"), only))


async def event_summary_route(request: Request, world: SeatsioWorld) -> Response:
    views = world.object_views(_key(request))
    return JSONResponse(event_summary(views, _key(request, "report")))


async def event_deep_summary_route(request: Request, world: SeatsioWorld) -> Response:
    views = world.object_views(_key(request))
    return JSONResponse(event_summary(views, _key(request, "report"), deep=True))


async def chart_summary_route(request: Request, world: SeatsioWorld) -> Response:
    chart = world.chart(_key(request))
    return JSONResponse(chart_summary(list(chart.objects.values()), _key(request, "report")))


async def chart_report_route(request: Request, world: SeatsioWorld) -> Response:
    chart = world.chart(_key(request))
    only = request.path_params.get("filter")
    return JSONResponse(chart_report(list(chart.objects.values()), _key(request, "report"), only))


async def retrieve_chart(request: Request, world: SeatsioWorld) -> Response:
    chart = world.chart(_key(request))
    return JSONResponse(
        {
            "key": chart.key,
            "name": chart.name,
            "status": "PUBLISHED",
            "tags": [],
            "archived": False,
            "categories": [
                {"key": c.key, "label": c.label, "color": c.color, "accessible": c.accessible}
                for c in chart.categories
            ],
        }
    )


async def create_hold_token(request: Request, world: SeatsioWorld) -> Response:
    body = parse(HoldTokenBody, await _json(request, default={}))
    token = world.create_hold_token(body.expires_in_minutes)
    return JSONResponse(hold_token_json(token, world.clock(), WORKSPACE_KEY), status_code=201)


async def retrieve_hold_token(request: Request, world: SeatsioWorld) -> Response:
    token = world.hold_token(_key(request, "token"))
    return JSONResponse(hold_token_json(token, world.clock(), WORKSPACE_KEY))


# ---------------------------------------------------------------- the app


def _routes(world: SeatsioWorld) -> list[Route]:
    def r(path: str, handler: Handler, method: str) -> Route:
        return Route(path, _api(world, handler), methods=[method])

    ev = "/events/{key}"
    ch = ev + "/channels/{channel}"
    ps = "/seasons/{key}/partial-seasons/{partial}"
    return [
        r("/events", list_events, "GET"),
        r("/events", create_event, "POST"),
        r("/events/groups/actions/change-object-status", change_status_groups, "POST"),
        r("/events/actions/change-object-status", change_status_batch, "POST"),
        r("/events/actions/edit-for-sale-config", edit_for_sale_events, "POST"),
        r(ev, retrieve_event, "GET"),
        r(ev, update_event, "POST"),
        r(ev + "/actions/change-object-status", change_status_event, "POST"),
        r(ev + "/actions/book", _shorthand(CHANGE_STATUS_TO, BOOKED), "POST"),
        r(ev + "/actions/release", _shorthand(RELEASE, None), "POST"),
        r(ev + "/actions/hold", _shorthand(CHANGE_STATUS_TO, HELD), "POST"),
        r(ev + "/actions/put-up-for-resale", _shorthand(CHANGE_STATUS_TO, RESALE), "POST"),
        r(ev + "/actions/override-season-status", _season_status(OVERRIDE_SEASON_STATUS), "POST"),
        r(ev + "/actions/use-season-status", _season_status(USE_SEASON_STATUS), "POST"),
        r(ev + "/actions/edit-for-sale-config", edit_for_sale, "POST"),
        r(ev + "/actions/mark-as-not-for-sale", mark_not_for_sale, "POST"),
        r(ev + "/actions/mark-as-for-sale", mark_for_sale, "POST"),
        r(ev + "/actions/mark-everything-as-for-sale", mark_everything_for_sale, "POST"),
        r(ev + "/actions/mark-everything-as-not-for-sale", mark_everything_not_for_sale, "POST"),
        r(ev + "/objects", object_infos, "GET"),
        r(ev + "/status-changes", status_changes, "GET"),
        r(ev + "/objects/{label}/status-changes", object_status_changes, "GET"),
        r(ev + "/channels", add_channels, "POST"),
        r(ev + "/channels/replace", replace_channels, "POST"),
        r(ch, update_channel, "POST"),
        r(ch, remove_channel, "DELETE"),
        r(ch + "/objects", add_channel_objects, "POST"),
        r(ch + "/objects", remove_channel_objects, "DELETE"),
        r("/seasons", create_season, "POST"),
        r("/seasons/{key}/actions/create-events", create_events_in_season, "POST"),
        r("/seasons/actions/change-object-status", _season_tickets(CHANGE_STATUS_TO, None), "POST"),
        r("/seasons/actions/book", _season_tickets(CHANGE_STATUS_TO, BOOKED), "POST"),
        r("/seasons/actions/release", _season_tickets(RELEASE, None), "POST"),
        r("/seasons/actions/hold", _season_tickets(CHANGE_STATUS_TO, HELD), "POST"),
        r("/seasons/{key}/partial-seasons", create_partial_season, "POST"),
        r(ps + "/actions/add-events", add_events_to_partial_season, "POST"),
        r(ps + "/events/{event}", remove_event_from_partial_season, "DELETE"),
        r("/reports/events/{key}/{report}", event_report_route, "GET"),
        # the summaries before the filtered report, which would read "summary" as a group
        r("/reports/events/{key}/{report}/summary", event_summary_route, "GET"),
        r("/reports/events/{key}/{report}/summary/deep", event_deep_summary_route, "GET"),
        r("/reports/events/{key}/{report}/{filter}", event_report_route, "GET"),
        r("/reports/charts/{key}/{report}", chart_report_route, "GET"),
        r("/reports/charts/{key}/{report}/summary", chart_summary_route, "GET"),
        r("/reports/charts/{key}/{report}/{filter}", chart_report_route, "GET"),
        r("/charts/{key}", retrieve_chart, "GET"),
        r("/hold-tokens", create_hold_token, "POST"),
        r("/hold-tokens/{token}", retrieve_hold_token, "GET"),
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


def create_seatsio_app(
    venue: Venue, *, empty: bool = False, clock: Clock | None = None
) -> Starlette:
    """The seats.io emulator for ``venue``; with ``empty`` only the chart exists."""
    world = world_from_venue(venue, empty=empty, clock=clock or utc_now)
    control = Control(lane_of=lane_of)
    app = Starlette(
        routes=[*_routes(world), *control.routes()],
        middleware=[
            Middleware(LaneGate, key_of=secret_key_of),
            Middleware(_with_control, control=control),
        ],
        exception_handlers={404: _no_route, 405: _no_route},
    )
    app.state.world = world
    app.state.control = control
    return app
