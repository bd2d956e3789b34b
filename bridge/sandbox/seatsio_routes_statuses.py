"""The fake seats.io's object-status routes: status changes on events, object infos, the change log.

These are the calls the bridge makes most, on seats.io's priority lane; the rules they apply are
the world's (:mod:`bridge.sandbox.seatsio_status_changes`), the answers' shapes are here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bridge.sandbox.seatsio_errors import invalid
from bridge.sandbox.seatsio_http import Handler, RouteTable, no_content, path_key, read_json
from bridge.sandbox.seatsio_model import BOOKED, HELD, RESALE, StatusChange, StatusChangeRequest
from bridge.sandbox.seatsio_payloads import object_info_json, page, status_change_json
from bridge.sandbox.seatsio_requests import (
    BatchBody,
    EventStatusChangeBody,
    GroupStatusChangeBody,
    SeasonStatusBody,
    ShorthandBody,
    object_specs,
    parse,
)
from bridge.sandbox.seatsio_status import (
    CHANGE_STATUS_TO,
    OVERRIDE_SEASON_STATUS,
    RELEASE,
    USE_SEASON_STATUS,
)
from bridge.sandbox.seatsio_world import SeatsioWorld


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
        return no_content()
    results = [
        {"objects": _objects(world, c.event_keys[0], list(dict.fromkeys(c.labels())))}
        for c in changes
    ]
    return JSONResponse({"results": results} if batch else results[0])


async def change_status_groups(request: Request, world: SeatsioWorld) -> Response:
    body = parse(GroupStatusChangeBody, await read_json(request))
    return _changed(request, world, [body.request()], batch=False)


async def change_status_batch(request: Request, world: SeatsioWorld) -> Response:
    body = parse(BatchBody, await read_json(request))
    return _changed(request, world, [i.request() for i in body.status_changes], batch=True)


async def change_status_event(request: Request, world: SeatsioWorld) -> Response:
    body = parse(EventStatusChangeBody, await read_json(request))
    return _changed(request, world, [body.for_event(path_key(request))], batch=False)


def _shorthand(type_: str, status: str | None) -> Handler:
    async def handler(request: Request, world: SeatsioWorld) -> Response:
        body = parse(ShorthandBody, await read_json(request))
        change = body.to_request((path_key(request),), type_, status)
        return _changed(request, world, [change], batch=False)

    return handler


def _season_status(type_: str) -> Handler:
    async def handler(request: Request, world: SeatsioWorld) -> Response:
        body = parse(SeasonStatusBody, await read_json(request))
        change = StatusChangeRequest(
            event_keys=(path_key(request),),
            objects=object_specs(body.objects),
            type=type_,
        )
        world.change_status([change])
        return no_content()

    return handler


async def object_infos(request: Request, world: SeatsioWorld) -> Response:
    labels = request.query_params.getlist("label")
    if not labels:
        raise invalid("Pass at least one label query parameter")
    return JSONResponse(_objects(world, path_key(request), labels))


_CHANGE_SORTS: dict[str, Callable[[StatusChange], Any]] = {
    "objectLabel": lambda c: c.object_label,
    "date": lambda c: c.date,
    "status": lambda c: c.status,
}


def _sorted_changes(changes: list[StatusChange], sort: str | None) -> list[StatusChange]:
    """``sort=field[:asc|:desc]`` (ascending unless told); without it the log's own order, newest
    first. Anything else is a 400.

    Ties: ``status`` and ``objectLabel`` keep the log's order, newest first, whichever the
    direction (seatsio-js listAllStatusChanges "sorted by status": two ``booked``, then two
    ``reservedByToken``, each pair newest first); ``date`` runs with the ids in the direction asked
    (its "sorted by date ascending": one batch comes back in the order it was made).
    """
    if sort is None:
        return changes
    field, _, direction = sort.partition(":")
    key_of = _CHANGE_SORTS.get(field)
    if key_of is None or direction not in ("", "asc", "desc"):
        raise invalid(
            f"sort must be one of {', '.join(_CHANGE_SORTS)}, optionally with :asc or :desc; "
            f"not {sort!r}"
        )
    descending = direction == "desc"
    if field == "date":
        return sorted(changes, key=lambda c: (c.date, c.id), reverse=descending)
    newest_first = sorted(changes, key=lambda c: c.id, reverse=True)
    return sorted(newest_first, key=key_of, reverse=descending)  # stable: ties stay newest first


async def status_changes(request: Request, world: SeatsioWorld) -> Response:
    """The event's status changes processed so far (see the delay in
    :mod:`bridge.sandbox.seatsio_status_changes`), filtered, sorted and paged."""
    changes = world.status_changes(path_key(request), visible_only=True)
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
    key, label = path_key(request), path_key(request, "label")
    world.object_view(key, label)  # 404 for an unknown event, 400 for an unknown object
    changes = world.status_changes(key, label, visible_only=True)
    return JSONResponse(
        page(changes, lambda c: c.id, status_change_json, dict(request.query_params))
    )


_EV = "/events/{key}"

ROUTES: RouteTable = [
    # before the per-event change, which would read "groups" as an event key
    ("/events/groups/actions/change-object-status", change_status_groups, "POST"),
    ("/events/actions/change-object-status", change_status_batch, "POST"),
    (_EV + "/actions/change-object-status", change_status_event, "POST"),
    (_EV + "/actions/book", _shorthand(CHANGE_STATUS_TO, BOOKED), "POST"),
    (_EV + "/actions/release", _shorthand(RELEASE, None), "POST"),
    (_EV + "/actions/hold", _shorthand(CHANGE_STATUS_TO, HELD), "POST"),
    (_EV + "/actions/put-up-for-resale", _shorthand(CHANGE_STATUS_TO, RESALE), "POST"),
    (_EV + "/actions/override-season-status", _season_status(OVERRIDE_SEASON_STATUS), "POST"),
    (_EV + "/actions/use-season-status", _season_status(USE_SEASON_STATUS), "POST"),
    (_EV + "/objects", object_infos, "GET"),
    (_EV + "/status-changes", status_changes, "GET"),
    (_EV + "/objects/{label}/status-changes", object_status_changes, "GET"),
]
