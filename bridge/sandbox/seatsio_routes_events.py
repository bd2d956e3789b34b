"""The fake seats.io's ``/events`` routes: events themselves, their channels and for-sale configs.

Status changes on events have their own module (:mod:`bridge.sandbox.seatsio_routes_statuses`),
being the priority lane and the bridge's main traffic.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bridge.sandbox.seatsio_http import RouteTable, no_content, path_key, read_json
from bridge.sandbox.seatsio_payloads import event_json, for_sale_json, page, rate_limit_json
from bridge.sandbox.seatsio_requests import (
    ChannelObjectsBody,
    CreateEventBody,
    EditForSaleBody,
    EditForSaleEventsBody,
    MarkForSaleBody,
    ReplaceChannelsBody,
    UpdateChannelBody,
    UpdateEventBody,
    channel_specs,
    parse,
)
from bridge.sandbox.seatsio_workspace import UNSET
from bridge.sandbox.seatsio_world import SeatsioWorld

# ---------------------------------------------------------------- events


async def list_events(request: Request, world: SeatsioWorld) -> Response:
    query = dict(request.query_params)
    return JSONResponse(page(world.events(), lambda e: e.id, lambda e: event_json(world, e), query))


async def create_event(request: Request, world: SeatsioWorld) -> Response:
    body = parse(CreateEventBody, await read_json(request))
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
    return JSONResponse(event_json(world, world.event(path_key(request))))


async def update_event(request: Request, world: SeatsioWorld) -> Response:
    body = parse(UpdateEventBody, await read_json(request, default={}))
    sent = body.model_fields_set
    object_categories = body.object_categories
    ev = world.update_event(
        path_key(request),
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


# ---------------------------------------------------------------- channels


async def add_channels(request: Request, world: SeatsioWorld) -> Response:
    world.add_channels(path_key(request), channel_specs(await read_json(request)))
    return no_content()


async def replace_channels(request: Request, world: SeatsioWorld) -> Response:
    body = parse(ReplaceChannelsBody, await read_json(request))
    world.replace_channels(path_key(request), [c.spec() for c in body.channels])
    return no_content()


async def update_channel(request: Request, world: SeatsioWorld) -> Response:
    body = parse(UpdateChannelBody, await read_json(request, default={}))
    world.update_channel(
        path_key(request),
        path_key(request, "channel"),
        name=body.name,
        color=body.color,
        objects=body.objects,
        area_places=body.area_places,
    )
    return no_content()


async def remove_channel(request: Request, world: SeatsioWorld) -> Response:
    world.remove_channel(path_key(request), path_key(request, "channel"))
    return no_content()


async def add_channel_objects(request: Request, world: SeatsioWorld) -> Response:
    body = parse(ChannelObjectsBody, await read_json(request))
    world.add_channel_objects(
        path_key(request), path_key(request, "channel"), body.objects, body.area_places
    )
    return no_content()


async def remove_channel_objects(request: Request, world: SeatsioWorld) -> Response:
    body = parse(ChannelObjectsBody, await read_json(request))
    world.remove_channel_objects(
        path_key(request), path_key(request, "channel"), body.objects, body.area_places
    )
    return no_content()


# ---------------------------------------------------------------- for sale


async def edit_for_sale(request: Request, world: SeatsioWorld) -> Response:
    key = path_key(request)
    body = parse(EditForSaleBody, await read_json(request))
    config = world.edit_for_sale_config(key, *body.items())
    return JSONResponse(
        {
            "forSaleConfig": for_sale_json(config),
            "rateLimitInfo": rate_limit_json(world.rate_limit_info(key)),
        }
    )


async def edit_for_sale_events(request: Request, world: SeatsioWorld) -> Response:
    body = parse(EditForSaleEventsBody, await read_json(request))
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
    body = parse(MarkForSaleBody, await read_json(request, default={}))
    world.mark_as_not_for_sale(path_key(request), body.objects, body.area_places, body.categories)
    return no_content()


async def mark_for_sale(request: Request, world: SeatsioWorld) -> Response:
    body = parse(MarkForSaleBody, await read_json(request, default={}))
    world.mark_as_for_sale(path_key(request), body.objects, body.area_places, body.categories)
    return no_content()


async def mark_everything_for_sale(request: Request, world: SeatsioWorld) -> Response:
    world.mark_everything_as_for_sale(path_key(request))
    return no_content()


async def mark_everything_not_for_sale(request: Request, world: SeatsioWorld) -> Response:
    key = path_key(request)
    world.mark_everything_as_not_for_sale(key)
    return JSONResponse(rate_limit_json(world.rate_limit_info(key)))


_EV = "/events/{key}"
_CH = _EV + "/channels/{channel}"

ROUTES: RouteTable = [
    ("/events", list_events, "GET"),
    ("/events", create_event, "POST"),
    ("/events/actions/edit-for-sale-config", edit_for_sale_events, "POST"),
    (_EV, retrieve_event, "GET"),
    (_EV, update_event, "POST"),
    (_EV + "/actions/edit-for-sale-config", edit_for_sale, "POST"),
    (_EV + "/actions/mark-as-not-for-sale", mark_not_for_sale, "POST"),
    (_EV + "/actions/mark-as-for-sale", mark_for_sale, "POST"),
    (_EV + "/actions/mark-everything-as-for-sale", mark_everything_for_sale, "POST"),
    (_EV + "/actions/mark-everything-as-not-for-sale", mark_everything_not_for_sale, "POST"),
    (_EV + "/channels", add_channels, "POST"),
    (_EV + "/channels/replace", replace_channels, "POST"),
    (_CH, update_channel, "POST"),
    (_CH, remove_channel, "DELETE"),
    (_CH + "/objects", add_channel_objects, "POST"),
    (_CH + "/objects", remove_channel_objects, "DELETE"),
]
