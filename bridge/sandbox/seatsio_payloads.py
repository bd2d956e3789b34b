"""JSON shapes the fake seats.io answers with: events, seasons, channels, object infos, reports, pages.

Field names and nesting follow the SDKs' parsers (seatsio-python ``domain.py``, seatsio-js
``EventObjectInfo``) and the official SDK's tests against the real API (seatsio-python
``tests/reports/events/*``, ``tests/events/testRetrieveEvent.py``). Optional fields seats.io may
leave out are left out here too (an object's ``channel`` when it has none, neighbours at a row's
end; ``holdToken``, ``ticketType``, ``extraData``, ``entrance`` and ``orderId`` when they have no
value; an event's ``topLevelSeasonKey`` and ``objectCategories`` when unset; a channel's ``index``
when unset: seats.io sends no ``null`` for these, and the SDKs read each with a default), so
clients must not index them blindly.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from bridge.sandbox.seatsio_clock import iso
from bridge.sandbox.seatsio_errors import NOT_FOUND, SeatsioApiError, invalid
from bridge.sandbox.seatsio_forsale import ForSaleConfig, reset_date_text
from bridge.sandbox.seatsio_forsale_configs import RateLimitInfo
from bridge.sandbox.seatsio_model import (
    NO_CHANNEL,
    Category,
    Channel,
    ChartObject,
    Event,
    EventKind,
    HoldToken,
    ObjectView,
    StatusChange,
)
from bridge.sandbox.seatsio_world import SeatsioWorld

T = TypeVar("T")
JSON = dict[str, Any]
MAX_PAGE = 1000


def error_body(err: SeatsioApiError) -> JSON:
    """The documented error body: status, messages, errors[{code, message}], warnings, requestId.

    An item is exactly ``{code, message}`` unless the error has data to carry (the docs' optional
    ``data``): the SDK tests compare ``ILLEGAL_STATUS_CHANGE`` items to exactly that.
    """
    item: JSON = {"code": err.code, "message": err.message}
    if err.data:
        item["data"] = dict(err.data)
    return {
        "status": err.status,
        "messages": [err.message],
        "errors": [item],
        "warnings": [],
        "requestId": str(uuid.uuid4()),
    }


def channel_json(ch: Channel) -> JSON:
    body: JSON = {"id": ch.id, "key": ch.key, "name": ch.name, "color": ch.color}
    if ch.index is not None:
        body["index"] = ch.index
    body.update({"objects": list(ch.objects), "areaPlaces": dict(ch.area_places)})
    return body


def _present(body: JSON, **fields: Any) -> JSON:
    """``body`` with each of ``fields`` that has a value (not None); the rest left out."""
    body.update({name: value for name, value in fields.items() if value is not None})
    return body


def for_sale_json(cfg: ForSaleConfig | None) -> JSON | None:
    if cfg is None:
        return None
    return {
        "forSale": cfg.for_sale,
        "objects": list(cfg.objects),
        "areaPlaces": dict(cfg.area_places),
        "categories": list(cfg.categories),
    }


def category_json(category: Category) -> JSON:
    """A chart category; a numeric key is a JSON number, as the SDK tests read the sample chart's
    (``Category(9, 'Cat1', ...)`` next to ``Category('string11', ...)``)."""
    key: str | int = int(category.key) if category.key.isdecimal() else category.key
    return {
        "key": key,
        "label": category.label,
        "color": category.color,
        "accessible": category.accessible,
    }


def event_json(world: SeatsioWorld, ev: Event, *, with_members: bool = True) -> JSON:
    """An event or season as GET /events/{key} shows it.

    ``channels`` are the event's own: none for an event in a season, whose channels live on the
    season (its objects' infos name the season's channel). Whether seats.io repeats the season's
    channels here is not documented; an empty list makes a bridge that reads a member event's
    channels instead of its season's plan wrongly in a test, where the season's would hide it.

    ``categories`` are the chart's followed by the event's own (seatsio-python
    ``testRetrieveEvent``: the sample chart's three; ``testCreateEvent``: three plus one), numeric
    keys as numbers (docs "retrieve an event"). ``date`` comes back as sent, null when unset;
    ``objectCategories`` as sent, left out when unset, as is ``topLevelSeasonKey`` outside a
    season.
    """
    top = world.top_season(ev)
    chart = world.chart(ev.chart_key)
    body: JSON = {
        "id": ev.id,
        "key": ev.key,
        "name": ev.name,
        "date": ev.date,
        "chartKey": ev.chart_key,
        "tableBookingConfig": dict(ev.table_booking_config),
        "supportsBestAvailable": True,
        "forSaleConfig": for_sale_json(ev.for_sale_config),
        "channels": [channel_json(c) for c in ev.channels],
        "categories": [category_json(c) for c in chart.categories]
        + [dict(c) for c in ev.categories],
        "createdOn": iso(ev.created_on),
        "updatedOn": iso(ev.updated_on) if ev.updated_on else None,
        "isInThePast": ev.is_in_the_past,
        "isSeason": ev.is_season,
        "isTopLevelSeason": ev.kind is EventKind.SEASON,
        "isPartialSeason": ev.kind is EventKind.PARTIAL_SEASON,
        "isEventInSeason": ev.in_season,
    }
    if ev.object_categories:
        body["objectCategories"] = dict(ev.object_categories)
    if top is not None:
        body["topLevelSeasonKey"] = top.key
    if ev.in_season:  # docs "retrieve an event": "Not present if the event is not part of a season"
        body["partialSeasonKeysForEvent"] = [p.key for p in world.partial_seasons_of(ev)]
    if ev.in_season and top is not None:
        # the season's for-sale config as it applies here: null unless propagated (api-seatsio §4)
        propagated = top.for_sale_config if top.for_sale_propagated else None
        body["season"] = {"key": top.key, "forSaleConfig": for_sale_json(propagated)}
    if ev.is_season:
        body["forSalePropagated"] = ev.for_sale_propagated
        # [] when it has none: seatsio-python testCreateSeason / testRetrieveSeason (run against
        # the real API) assert it is empty, which the SDK's None for an absent field would fail
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


def distance_to_focal_point(o: ChartObject) -> float:
    """A stand-in for the designer's distance from a seat to the stage: the sandbox's charts have
    no coordinates, so rows are 1 m deep and seats 0.5 m wide, seen from the row's first seat."""
    row = int(o.row) if o.row.isdecimal() else sum(ord(ch) - 64 for ch in o.row.upper())
    number = int(o.number) if o.number.isdecimal() else 0
    return round(math.hypot(float(row), number * 0.5), 2)


def object_info_json(view: ObjectView) -> JSON:
    """EventObjectInfo: the chart object plus its status in the event.

    Every seat carries the documented accessibility flags (false on the sandbox's charts unless
    the venue marks it accessible) and ``distanceToFocalPoint``; ``seasonStatusOverriddenQuantity``
    is 0 outside seasons and for objects that follow their season (seatsio-python
    ``tests/reports/events/testEventReports.py``, ``test_reportItemProperties``).
    """
    state = view.state
    body = chart_object_json(view.object, view.category_key, view.category_label)
    body.update(
        {
            "hasLiftUpArmrests": False,
            "isHearingImpaired": False,
            "isSemiAmbulatorySeat": False,
            "hasSignLanguageInterpretation": False,
            "isPlusSize": False,
            "distanceToFocalPoint": distance_to_focal_point(view.object),
            "status": state.status,
            "forSale": view.for_sale,
            "isAvailable": view.is_available,
            "availabilityReason": view.availability_reason,
            "seasonStatusOverriddenQuantity": int(bool(view.season_status_overridden)),
        }
    )
    _present(
        body,
        orderId=state.order_id,
        ticketType=state.ticket_type,
        holdToken=state.hold_token,
        extraData=dict(state.extra_data) if state.extra_data is not None else None,
    )
    if state.resale_listing_id is not None:
        body["resaleListingId"] = state.resale_listing_id
    if view.channel is not None:
        body["channel"] = view.channel
    return body


def status_change_json(change: StatusChange) -> JSON:
    body: JSON = {
        "id": change.id,
        "eventId": change.event_id,
        "status": change.status,
        "quantity": 1,
        "objectLabel": change.object_label,
        "displayedLabel": change.displayed_label or change.object_label,
        "date": iso(change.date),
        "origin": {"type": "API_CALL", "ip": "127.0.0.1"},
        "isPresentOnChart": True,
    }
    return _present(
        body,
        orderId=change.order_id,
        extraData=dict(change.extra_data) if change.extra_data is not None else None,
        holdToken=change.hold_token,
    )


def hold_token_json(token: HoldToken, now: datetime, workspace_key: str) -> JSON:
    left = max(0, int((token.expires_at - now).total_seconds()))
    return {
        "holdToken": token.token,
        "expiresAt": iso(token.expires_at),
        "expiresInSeconds": left,
        "workspaceKey": workspace_key,
    }


def rate_limit_json(info: RateLimitInfo) -> JSON:
    """As the docs print it: ``{"rateLimitRemainingCalls": 9, "rateLimitResetDate":
    "2021-10-01T23:00:00Z"}`` (whole seconds)."""
    return {
        "rateLimitRemainingCalls": info.remaining_calls,
        "rateLimitResetDate": reset_date_text(info.reset_date),
    }


# ---------------------------------------------------------------- reports

NO_SECTION = "NO_SECTION"
NO_ZONE = "NO_ZONE"
NO_ORDER_ID = "NO_ORDER_ID"
#: The object types a chart can hold (docs, detailed event reports): byObjectType lists each, even
#: when empty (seatsio-python ``testByObjectType``: ``table`` and ``booth`` with 0 objects).
OBJECT_TYPES = ("seat", "table", "generalAdmission", "booth")

_EVENT_REPORTS: dict[str, Callable[[ObjectView], str]] = {
    "byStatus": lambda v: v.status,
    "byChannel": lambda v: v.channel or NO_CHANNEL,
    "byLabel": lambda v: v.object.label,
    "byObjectType": lambda v: v.object.object_type,
    "byCategoryKey": lambda v: v.category_key,
    "byCategoryLabel": lambda v: v.category_label,
    "bySection": lambda v: v.object.section or NO_SECTION,
    "byZone": lambda v: NO_ZONE,  # the sandbox's charts have no zones
    "byOrderId": lambda v: v.state.order_id or NO_ORDER_ID,
    "byAvailability": lambda v: "available" if v.is_available else "not_available",
    "byAvailabilityReason": lambda v: v.availability_reason,
}

_CHART_REPORTS: dict[str, Callable[[ChartObject], str]] = {
    "byLabel": lambda o: o.label,
    "byObjectType": lambda o: o.object_type,
    "byCategoryKey": lambda o: o.category_key,
    "byCategoryLabel": lambda o: o.category_label,
    "bySection": lambda o: o.section or NO_SECTION,
    "byZone": lambda o: NO_ZONE,
}

#: Report types with a summary, and the breakdowns inside each group. A group breaks down by every
#: dimension but its own: the docs' byAvailabilityReason example (bySection, byCategoryLabel,
#: byCategoryKey, byStatus, byChannel, byAvailability), the SDK tests (byObjectType has byStatus,
#: bySection has byZone) and the docs' deep-summary example (byObjectType).
_EVENT_SUMMARY_TYPES = (
    "byStatus",
    "byObjectType",
    "byCategoryKey",
    "byCategoryLabel",
    "bySection",
    "byZone",
    "byAvailability",
    "byAvailabilityReason",
    "byChannel",
)
_EVENT_BREAKDOWNS = (
    "bySection",
    "byCategoryKey",
    "byCategoryLabel",
    "byStatus",
    "byChannel",
    "byAvailability",
    "byObjectType",
    "byZone",
)
_CHART_SUMMARY_TYPES = ("byObjectType", "byCategoryKey", "byCategoryLabel", "bySection", "byZone")
_CHART_BREAKDOWNS = ("bySection", "byCategoryKey", "byCategoryLabel", "byObjectType", "byZone")


def event_report(views: Sequence[ObjectView], report: str, only: str | None) -> JSON:
    """A detailed report ``{group: [EventObjectInfo]}``; with ``only``, just that group."""
    group_of = _EVENT_REPORTS.get(report)
    if group_of is None:
        raise SeatsioApiError(404, NOT_FOUND, f"Unknown event report: {report}")
    return _grouped(views, group_of, object_info_json, only, _empty_groups(report))


def chart_report(objects: Sequence[ChartObject], report: str, only: str | None) -> JSON:
    group_of = _CHART_REPORTS.get(report)
    if group_of is None:
        raise SeatsioApiError(404, NOT_FOUND, f"Unknown chart report: {report}")
    return _grouped(
        objects,
        group_of,
        lambda o: chart_object_json(o, o.category_key, o.category_label),
        only,
        _empty_groups(report),
    )


def event_summary(views: Sequence[ObjectView], report: str, *, deep: bool = False) -> JSON:
    """``/reports/events/{key}/{report}/summary[/deep]``: per group a ``count`` and, for every
    other dimension, the counts per value (deep: per value a count and the other breakdowns)."""
    if report not in _EVENT_SUMMARY_TYPES:
        raise SeatsioApiError(404, NOT_FOUND, f"No summary for event report: {report}")
    return _summary(views, _EVENT_REPORTS, report, _EVENT_BREAKDOWNS, deep)


def chart_summary(objects: Sequence[ChartObject], report: str) -> JSON:
    """``/reports/charts/{key}/{report}/summary``: as the event summary, over the chart's objects."""
    if report not in _CHART_SUMMARY_TYPES:
        raise SeatsioApiError(404, NOT_FOUND, f"No summary for chart report: {report}")
    return _summary(objects, _CHART_REPORTS, report, _CHART_BREAKDOWNS, False)


def _empty_groups(report: str) -> tuple[str, ...]:
    return OBJECT_TYPES if report == "byObjectType" else ()


def _grouped(
    items: Sequence[T],
    group_of: Callable[[T], str],
    to_json: Callable[[T], JSON],
    only: str | None,
    always: Iterable[str] = (),
) -> JSON:
    groups: dict[str, list[JSON]] = {group: [] for group in always}
    for item in items:
        group = group_of(item)
        if only is None or group == only:
            groups.setdefault(group, []).append(to_json(item))
    if only is not None:
        return {only: groups.get(only, [])}
    return groups


def _summary(
    items: Sequence[T],
    dimensions: Mapping[str, Callable[[T], str]],
    report: str,
    breakdowns: Sequence[str],
    deep: bool,
) -> JSON:
    group_of = dimensions[report]
    members: dict[str, list[T]] = {group: [] for group in _empty_groups(report)}
    for item in items:
        members.setdefault(group_of(item), []).append(item)
    inner = [d for d in breakdowns if d != report]
    return {group: _breakdown(found, dimensions, inner, deep) for group, found in members.items()}


def _breakdown(
    items: Sequence[T],
    dimensions: Mapping[str, Callable[[T], str]],
    breakdowns: Sequence[str],
    deep: bool,
) -> JSON:
    body: JSON = {"count": len(items)}
    for dimension in breakdowns:
        of = dimensions[dimension]
        if not deep:
            body[dimension] = dict(Counter(of(item) for item in items))
            continue
        values: dict[str, list[T]] = {}
        for item in items:
            values.setdefault(of(item), []).append(item)
        rest = [d for d in breakdowns if d != dimension]
        body[dimension] = {
            value: _breakdown(found, dimensions, rest, False) for value, found in values.items()
        }
    return body


# ---------------------------------------------------------------- pages


def page(
    items: Sequence[T],
    id_of: Callable[[T], int],
    to_json: Callable[[T], JSON],
    query: Mapping[str, str],
    *,
    ordered: bool = False,
) -> JSON:
    """One page of a list, with seats.io's cursors.

    The list is ``items`` as given when ``ordered`` (a requested sort), else newest first (ids
    descending). ``start_after_id`` gives the items after the one with that id in list order,
    ``end_before_id`` the ones just before it (seatsio-python ``testListStatusChanges``: with
    ``sort=objectLabel`` the page after the first label holds the second and third); ``limit`` is
    1-1000 (default 1000). Cursors appear only when there is more that way.
    """
    limit = _int_param(query, "limit", MAX_PAGE)
    if not 1 <= limit <= MAX_PAGE:
        raise invalid(f"limit must be between 1 and {MAX_PAGE}")
    after = _int_param(query, "start_after_id", None)
    before = _int_param(query, "end_before_id", None)
    if after is not None and before is not None:
        raise invalid("start_after_id and end_before_id cannot be used together")
    listed = list(items) if ordered else sorted(items, key=id_of, reverse=True)
    ids = [id_of(i) for i in listed]
    if after is not None:
        start = _position(ids, after, ordered, "start_after_id", after=True)
        end = min(len(listed), start + limit)
    elif before is not None:
        end = _position(ids, before, ordered, "end_before_id", after=False)
        start = max(0, end - limit)
    else:
        start, end = 0, min(len(listed), limit)
    chosen = listed[start:end]
    body: JSON = {"items": [to_json(i) for i in chosen]}
    if chosen:
        if end < len(listed):
            body["next_page_starts_after"] = id_of(chosen[-1])
        if start > 0:
            body["previous_page_ends_before"] = id_of(chosen[0])
    return body


def _position(ids: Sequence[int], cursor: int, ordered: bool, name: str, *, after: bool) -> int:
    """Where a page after (or before) ``cursor`` starts (or ends) in the list."""
    if cursor in ids:
        return ids.index(cursor) + (1 if after else 0)
    if not ordered:  # newest first: an id that is gone still has its place among the others
        return sum(1 for i in ids if i > cursor)
    raise invalid(f"{name} {cursor} is not an item of this list")


def _int_param(query: Mapping[str, str], name: str, default: int | None) -> Any:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise invalid(f"{name} must be an integer, not {raw!r}") from None
