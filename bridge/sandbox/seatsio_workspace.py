"""The fake seats.io workspace's charts and events, found by key or id and linked into seasons.

Only storage and lookup live here, so that channels, for-sale configs, seasons and status changes
(each in its own module) share one record of the events without depending on one another.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from enum import Enum
from typing import Any

from bridge.sandbox.seatsio_clock import Clock
from bridge.sandbox.seatsio_errors import (
    EVENT_KEY_ALREADY_EXISTS,
    OBJECT_NOT_FOUND,
    bad_request,
    chart_not_found,
    event_not_found,
    invalid,
)
from bridge.sandbox.seatsio_model import Chart, Event, EventKind

#: The public key of the sandbox's one workspace (the optional ``X-Workspace-Key`` header).
WORKSPACE_KEY = "sandbox-workspace"


class Unset(Enum):
    """Marks an update field the caller did not send (distinct from an explicit null)."""

    UNSET = 0


UNSET = Unset.UNSET


class Workspace:
    """The charts and the events, seasons and partial seasons of one workspace, oldest first."""

    def __init__(self, chart: Chart, *, clock: Clock, workspace_key: str = WORKSPACE_KEY) -> None:
        self.charts: dict[str, Chart] = {chart.key: chart}
        self.clock = clock
        self.workspace_key = workspace_key
        self._events: dict[int, Event] = {}
        self._ids: dict[str, int] = {}
        self._next_event_id = 1

    # ---------------------------------------------------------------- lookup

    def chart(self, key: str) -> Chart:
        try:
            return self.charts[key]
        except KeyError:
            raise chart_not_found(key, self.workspace_key) from None

    def event(self, key: str) -> Event:
        """The event or season with this key, or 404 EVENT_NOT_FOUND."""
        try:
            return self._events[self._ids[key]]
        except KeyError:
            raise event_not_found(key) from None

    def has_event(self, key: str) -> bool:
        return key in self._ids

    def events(self) -> list[Event]:
        """Every event, season and partial season, oldest first."""
        return list(self._events.values())

    def by_id(self, event_id: int) -> Event:
        return self._events[event_id]

    def top_season(self, ev: Event) -> Event | None:
        return self._events[ev.season_id] if ev.season_id is not None else None

    def members(self, season: Event) -> list[Event]:
        return [self._events[i] for i in season.member_ids]

    def partial_seasons(self, season: Event) -> list[Event]:
        return [self._events[i] for i in season.partial_season_ids]

    def partial_seasons_of(self, ev: Event) -> list[Event]:
        """The partial seasons an event belongs to."""
        top = self.top_season(ev)
        if top is None or ev.kind is not EventKind.EVENT:
            return []
        return [p for p in self.partial_seasons(top) if ev.id in p.member_ids]

    def category(self, ev: Event, label: str) -> tuple[str, str]:
        """An object's category in this event: the event's own, else the chart's."""
        chart = self.chart(ev.chart_key)
        obj = chart.objects[label]
        key = ev.object_categories.get(label)
        if key is None:
            return obj.category_key, obj.category_label
        for c in ev.categories:
            if str(c.get("key")) == str(key):
                return str(key), str(c.get("label", key))
        for cat in chart.categories:
            if cat.key == str(key):
                return cat.key, cat.label
        return str(key), str(key)

    # ---------------------------------------------------------------- keys and new events

    def new_event(
        self, chart_key: str, key: str | None, name: str | None, kind: EventKind
    ) -> Event:
        ev = Event(
            id=self._next_event_id,
            key=key if key is not None else str(uuid.uuid4()),
            name=name,
            chart_key=chart_key,
            kind=kind,
            created_on=self.clock(),
        )
        self._next_event_id += 1
        self._events[ev.id] = ev
        self._ids[ev.key] = ev.id
        return ev

    def rekey(self, ev: Event, new_key: str) -> None:
        """Give an event a new key (checked free first); its old key no longer finds it."""
        self.check_new_keys([new_key])
        del self._ids[ev.key]
        ev.key = new_key
        self._ids[new_key] = ev.id

    def check_new_keys(self, keys: Sequence[str]) -> None:
        if len(set(keys)) != len(keys):
            raise invalid(
                f"duplicate event keys: {sorted(k for k in set(keys) if keys.count(k) > 1)}"
            )
        taken = [k for k in keys if k in self._ids]
        if taken:
            raise bad_request(
                EVENT_KEY_ALREADY_EXISTS,
                f"Event key already in use: {', '.join(taken)}",
                keys=taken,
            )


def configure(
    ev: Event,
    table_booking_config: Mapping[str, Any] | None,
    categories: Sequence[Mapping[str, Any]] | None,
    object_categories: Mapping[str, str | int] | None,
) -> None:
    """The settings a new event or season is created with."""
    if table_booking_config is not None:
        ev.table_booking_config = dict(table_booking_config)
    ev.categories = [dict(c) for c in categories or ()]
    ev.object_categories = dict(object_categories or {})


def check_labels(chart: Chart, labels: Iterable[str]) -> None:
    unknown = [label for label in labels if label not in chart.objects]
    if unknown:
        raise bad_request(
            OBJECT_NOT_FOUND,
            f"Objects not found on chart {chart.key}: {', '.join(unknown[:20])}",
            objects=unknown,
        )


def check_date(value: str | None) -> None:
    """An event date is a calendar date, ``YYYY-MM-DD`` (what the SDKs send); anything else is a
    400 rather than a value stored and echoed unread."""
    if value is None:
        return
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.isoformat() != value:
        raise invalid(f"date must be a calendar date like 2022-01-10, not {value!r}")
