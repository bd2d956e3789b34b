"""The fake seats.io's ``/seasons`` routes: seasons, their events and partial seasons, and the
season-ticket status changes (``/seasons/actions/...``).

The season-ticket calls accept exactly their documented bodies, which differ from the event
status changes', so their bodies are declared here beside the one handler that reads them.
"""

from __future__ import annotations

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bridge.sandbox.seatsio_http import Handler, RouteTable, no_content, path_key, read_json
from bridge.sandbox.seatsio_model import BOOKED, HELD, ObjectSpec, StatusChangeRequest
from bridge.sandbox.seatsio_payloads import event_json
from bridge.sandbox.seatsio_requests import (
    Body,
    CreateEventsInSeasonBody,
    CreateSeasonBody,
    EventKeysBody,
    PartialSeasonBody,
    parse,
)
from bridge.sandbox.seatsio_status import CHANGE_STATUS_TO, RELEASE
from bridge.sandbox.seatsio_world import SeatsioWorld


async def create_season(request: Request, world: SeatsioWorld) -> Response:
    body = parse(CreateSeasonBody, await read_json(request))
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
    body = parse(CreateEventsInSeasonBody, await read_json(request))
    events = world.create_events_in_season(
        path_key(request), body.event_keys, body.number_of_events
    )
    # newest first (seatsio-python testCreateEventsInSeason: keys e1, e2 come back e2, e1)
    return JSONResponse({"events": [event_json(world, e) for e in reversed(events)]})


async def create_partial_season(request: Request, world: SeatsioWorld) -> Response:
    body = parse(PartialSeasonBody, await read_json(request, default={}))
    partial_season = world.create_partial_season(
        path_key(request), body.key, name=body.name, event_keys=body.event_keys
    )
    return JSONResponse(event_json(world, partial_season), status_code=201)


async def add_events_to_partial_season(request: Request, world: SeatsioWorld) -> Response:
    body = parse(EventKeysBody, await read_json(request))
    partial_season = world.add_events_to_partial_season(
        path_key(request), path_key(request, "partial"), body.event_keys
    )
    return JSONResponse(event_json(world, partial_season))


async def remove_event_from_partial_season(request: Request, world: SeatsioWorld) -> Response:
    partial_season = world.remove_event_from_partial_season(
        path_key(request), path_key(request, "partial"), path_key(request, "event")
    )
    return JSONResponse(event_json(world, partial_season))


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
        data = await read_json(request)
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
        return no_content()

    return handler


_PS = "/seasons/{key}/partial-seasons/{partial}"

ROUTES: RouteTable = [
    ("/seasons", create_season, "POST"),
    ("/seasons/{key}/actions/create-events", create_events_in_season, "POST"),
    ("/seasons/actions/change-object-status", _season_tickets(CHANGE_STATUS_TO, None), "POST"),
    ("/seasons/actions/book", _season_tickets(CHANGE_STATUS_TO, BOOKED), "POST"),
    ("/seasons/actions/release", _season_tickets(RELEASE, None), "POST"),
    ("/seasons/actions/hold", _season_tickets(CHANGE_STATUS_TO, HELD), "POST"),
    ("/seasons/{key}/partial-seasons", create_partial_season, "POST"),
    (_PS + "/actions/add-events", add_events_to_partial_season, "POST"),
    (_PS + "/events/{event}", remove_event_from_partial_season, "DELETE"),
]
