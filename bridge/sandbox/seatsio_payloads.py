"""JSON shapes the fake seats.io answers with: events, seasons, channels, object infos, reports, pages.

Field names and nesting follow the SDKs' parsers (seatsio-python ``domain.py``, seatsio-js
``EventObjectInfo``). Optional fields seats.io may leave out are left out here too (an object's
``channel`` when it has none, neighbours at a row's end), so clients must not index them blindly.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from bridge.sandbox.seatsio_clock import iso
from bridge.sandbox.seatsio_errors import NOT_FOUND, SeatsioApiError, invalid
from bridge.sandbox.seatsio_forsale import ForSaleConfig
from bridge.sandbox.seatsio_model import (
    NO_CHANNEL,
    Channel,
    ChartObject,
    Event,
    EventKind,
    HoldToken,
    ObjectView,
    StatusChange,
)
from bridge.sandbox.seatsio_world import RateLimitInfo, SeatsioWorld

T = TypeVar("T")
JSON = dict[str, Any]
MAX_PAGE = 1000


def error_body(err: SeatsioApiError) -> JSON:
    """The documented error body: status, messages, errors[{code, message, data}], requestId."""
    return {
        "status": err.status,
        "messages": [err.message],
        "errors": [{"code": err.code, "message": err.message, "data": err.data}],
        "warnings": [],
        "requestId": str(uuid.uuid4()),
    }


def channel_json(ch: Channel) -> JSON:
    return {
        "id": ch.id,
        "key": ch.key,
        "name": ch.name,
        "color": ch.color,
        "index": ch.index,
        "objects": list(ch.objects),
        "areaPlaces": dict(ch.area_places),
    }


def for_sale_json(cfg: ForSaleConfig | None) -> JSON | None:
    if cfg is None:
        return None
    return {
        "forSale": cfg.for_sale,
        "objects": list(cfg.objects),
        "areaPlaces": dict(cfg.area_places),
        "categories": list(cfg.categories),
    }


def event_json(world: SeatsioWorld, ev: Event, *, with_members: bool = True) -> JSON:
    """An event or season as GET /events/{key} shows it; an event in a season shows the
    season's channels, since those are the ones that apply to it."""
    top = world.top_season(ev)
    body: JSON = {
        "id": ev.id,
        "key": ev.key,
        "name": ev.name,
        "chartKey": ev.chart_key,
        "tableBookingConfig": dict(ev.table_booking_config),
        "supportsBestAvailable": True,
        "forSaleConfig": for_sale_json(ev.for_sale_config),
        "channels": [channel_json(c) for c in world.channels(ev.key)],
        "categories": [dict(c) for c in ev.categories],
        "objectCategories": dict(ev.object_categories) or None,
        "createdOn": iso(ev.created_on),
        "updatedOn": iso(ev.updated_on) if ev.updated_on else None,
        "isInThePast": False,
        "isSeason": ev.is_season,
        "isTopLevelSeason": ev.kind is EventKind.SEASON,
        "isPartialSeason": ev.kind is EventKind.PARTIAL_SEASON,
        "isEventInSeason": ev.in_season,
        "topLevelSeasonKey": top.key if top else None,
        "partialSeasonKeysForEvent": [p.key for p in world.partial_seasons_of(ev)],
    }
    if ev.in_season and top is not None:
        # the season's for-sale config as it applies here: null unless propagated (api-seatsio §4)
        propagated = top.for_sale_config if top.for_sale_propagated else None
        body["season"] = {"key": top.key, "forSaleConfig": for_sale_json(propagated)}
    if ev.is_season:
        body["forSalePropagated"] = ev.for_sale_propagated
        body["partialSeasonKeys"] = [p.key for p in world.partial_seasons(ev)]
        if with_members:
            body["events"] = [event_json(world, m, with_members=False) for m in world.members(ev)]
    return body


def _labels(o: ChartObject) -> tuple[JSON, JSON]:
    labels = {
        "own": {"label": o.number, "type": "seat"},
        "parent": {"label": o.row, "type": "row"},
        "section": o.section,
    }
    ids = {"own": o.number, "parent": o.row, "section": o.section}
    return labels, ids


def chart_object_json(o: ChartObject, category_key: str, category_label: str) -> JSON:
    labels, ids = _labels(o)
    body: JSON = {
        "label": o.label,
        "labels": labels,
        "ids": ids,
        "categoryKey": category_key,
        "categoryLabel": category_label,
        "section": o.section,
        "entrance": None,
        "objectType": o.object_type,
        "isAccessible": o.accessible,
        "isCompanionSeat": False,
        "hasRestrictedView": False,
    }
    if o.left_neighbour:
        body["leftNeighbour"] = o.left_neighbour
    if o.right_neighbour:
        body["rightNeighbour"] = o.right_neighbour
    return body


def object_info_json(view: ObjectView) -> JSON:
    """EventObjectInfo: the chart object plus its status in the event."""
    state = view.state
    body = chart_object_json(view.object, view.category_key, view.category_label)
    body.update(
        {
            "status": state.status,
            "forSale": view.for_sale,
            "isAvailable": view.is_available,
            "availabilityReason": view.availability_reason,
            "orderId": state.order_id,
            "ticketType": state.ticket_type,
            "holdToken": state.hold_token,
            "extraData": dict(state.extra_data) if state.extra_data is not None else None,
        }
    )
    if state.resale_listing_id is not None:
        body["resaleListingId"] = state.resale_listing_id
    if view.channel is not None:
        body["channel"] = view.channel
    if view.season_status_overridden is not None:
        body["seasonStatusOverriddenQuantity"] = int(view.season_status_overridden)
    return body


def status_change_json(change: StatusChange) -> JSON:
    return {
        "id": change.id,
        "eventId": change.event_id,
        "status": change.status,
        "quantity": 1,
        "objectLabel": change.object_label,
        "date": iso(change.date),
        "orderId": change.order_id,
        "extraData": dict(change.extra_data) if change.extra_data is not None else None,
        "holdToken": change.hold_token,
        "origin": {"type": "API_CALL", "ip": "127.0.0.1"},
        "isPresentOnChart": True,
    }


def hold_token_json(token: HoldToken, now: datetime, workspace_key: str) -> JSON:
    left = max(0, int((token.expires_at - now).total_seconds()))
    return {
        "holdToken": token.token,
        "expiresAt": iso(token.expires_at),
        "expiresInSeconds": left,
        "workspaceKey": workspace_key,
    }


def rate_limit_json(info: RateLimitInfo) -> JSON:
    return {
        "rateLimitRemainingCalls": info.remaining_calls,
        "rateLimitResetDate": iso(info.reset_date),
    }


# ---------------------------------------------------------------- reports

_EVENT_REPORTS: dict[str, Callable[[ObjectView], str]] = {
    "byStatus": lambda v: v.status,
    "byChannel": lambda v: v.channel or NO_CHANNEL,
    "byLabel": lambda v: v.object.label,
    "byObjectType": lambda v: v.object.object_type,
    "byCategoryKey": lambda v: v.category_key,
    "byCategoryLabel": lambda v: v.category_label,
    "bySection": lambda v: v.object.section,
    "byOrderId": lambda v: v.state.order_id or "NO_ORDER_ID",
    "byAvailability": lambda v: "available" if v.is_available else "not_available",
    "byAvailabilityReason": lambda v: v.availability_reason,
}

_CHART_REPORTS: dict[str, Callable[[ChartObject], str]] = {
    "byLabel": lambda o: o.label,
    "byObjectType": lambda o: o.object_type,
    "byCategoryKey": lambda o: o.category_key,
    "byCategoryLabel": lambda o: o.category_label,
    "bySection": lambda o: o.section,
}


def event_report(views: Sequence[ObjectView], report: str, only: str | None) -> JSON:
    """A detailed report ``{group: [EventObjectInfo]}``; with ``only``, just that group."""
    group_of = _EVENT_REPORTS.get(report)
    if group_of is None:
        raise SeatsioApiError(404, NOT_FOUND, f"Unknown event report: {report}")
    return _grouped(views, group_of, object_info_json, only)


def chart_report(objects: Sequence[ChartObject], report: str, only: str | None) -> JSON:
    group_of = _CHART_REPORTS.get(report)
    if group_of is None:
        raise SeatsioApiError(404, NOT_FOUND, f"Unknown chart report: {report}")
    return _grouped(
        objects, group_of, lambda o: chart_object_json(o, o.category_key, o.category_label), only
    )


def _grouped(
    items: Sequence[T], group_of: Callable[[T], str], to_json: Callable[[T], JSON], only: str | None
) -> JSON:
    groups: dict[str, list[JSON]] = defaultdict(list)
    for item in items:
        group = group_of(item)
        if only is None or group == only:
            groups[group].append(to_json(item))
    if only is not None:
        return {only: groups.get(only, [])}
    return dict(groups)


# ---------------------------------------------------------------- pages


def page(
    items: Sequence[T],
    id_of: Callable[[T], int],
    to_json: Callable[[T], JSON],
    query: dict[str, str],
) -> JSON:
    """One page of a list shown newest first (ids descending), with seats.io's cursors.

    ``start_after_id`` gives the items after that id in list order, ``end_before_id`` the ones
    just before it; ``limit`` is 1-1000 (default 1000). Cursors appear only when there is more.
    """
    limit = _int_param(query, "limit", MAX_PAGE)
    if not 1 <= limit <= MAX_PAGE:
        raise invalid(f"limit must be between 1 and {MAX_PAGE}")
    after = _int_param(query, "start_after_id", None)
    before = _int_param(query, "end_before_id", None)
    if after is not None and before is not None:
        raise invalid("start_after_id and end_before_id cannot be used together")
    ordered = sorted(items, key=id_of, reverse=True)
    if after is not None:
        window = [i for i in ordered if id_of(i) < after]
        chosen = window[:limit]
    elif before is not None:
        window = [i for i in ordered if id_of(i) > before]
        chosen = window[-limit:]
    else:
        chosen = ordered[:limit]
    body: JSON = {"items": [to_json(i) for i in chosen]}
    if chosen:
        first, last = id_of(chosen[0]), id_of(chosen[-1])
        if any(id_of(i) < last for i in ordered):
            body["next_page_starts_after"] = last
        if any(id_of(i) > first for i in ordered):
            body["previous_page_ends_before"] = first
    return body


def _int_param(query: dict[str, str], name: str, default: int | None) -> Any:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise invalid(f"{name} must be an integer, not {raw!r}") from None
