"""The fake seats.io workspace: events, seasons, channels, for-sale configs and object statuses.

Pure and in memory, with no HTTP in sight, so the rules can be tested directly and the HTTP layer
(:mod:`bridge.sandbox.seatsio_app`) stays thin. Every refusal is a
:class:`~bridge.sandbox.seatsio_errors.SeatsioApiError` carrying the status and code seats.io
would answer. The guesses behind the rules are listed in :mod:`bridge.sandbox.seatsio_app`.

Seasons: a season is an event whose members are events. A status set on the season shows in
every member event (unless that event overrides the season status for the object); a status set
on an event shows on the season. Channels live on the top-level season and apply to its events.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from functools import partial
from typing import Any

from bridge.sandbox.seatsio_clock import Clock, utc_now
from bridge.sandbox.seatsio_errors import (
    CHANNEL_ALREADY_EXISTS,
    CHANNEL_NOT_FOUND,
    CHANNELS_NOT_ALLOWED_ON_EVENT_IN_SEASON,
    EVENT_KEY_ALREADY_EXISTS,
    EVENT_NOT_IN_SEASON,
    HOLD_TOKEN_EXPIRED,
    HOLD_TOKEN_NOT_FOUND,
    ILLEGAL_STATUS_CHANGE,
    NOT_A_SEASON,
    OBJECT_NOT_FOUND,
    SEASON_NOT_FOUND,
    SeatsioApiError,
    bad_request,
    chart_not_found,
    event_not_found,
    invalid,
)
from bridge.sandbox.seatsio_forsale import (
    ForSaleBudget,
    ForSaleConfig,
    ForSaleItem,
    Names,
    edit,
    restricts_more,
)
from bridge.sandbox.seatsio_model import (
    BOOKED,
    FREE,
    FREE_STATE,
    HELD,
    Channel,
    ChannelSpec,
    Chart,
    Event,
    EventKind,
    HoldToken,
    ObjectSpec,
    ObjectState,
    ObjectView,
    StatusChange,
    StatusChangeRequest,
)
from bridge.sandbox.seatsio_status import (
    CHANGE_STATUS_TO,
    OVERRIDE_SEASON_STATUS,
    RELEASE,
    USE_SEASON_STATUS,
    next_state,
)

STATUS_CHANGE_TYPES = (CHANGE_STATUS_TO, RELEASE, OVERRIDE_SEASON_STATUS, USE_SEASON_STATUS)
#: The public key of the sandbox's one workspace (the optional ``X-Workspace-Key`` header).
WORKSPACE_KEY = "sandbox-workspace"


class Unset(Enum):
    """Marks an update field the caller did not send (distinct from an explicit null)."""

    UNSET = 0


UNSET = Unset.UNSET


@dataclass(frozen=True, slots=True)
class RateLimitInfo:
    remaining_calls: int
    reset_date: datetime


class SeatsioWorld:
    """One seats.io workspace in memory. ``clock`` is injectable so tests can move time."""

    def __init__(
        self, chart: Chart, *, clock: Clock = utc_now, workspace_key: str = WORKSPACE_KEY
    ) -> None:
        self.charts: dict[str, Chart] = {chart.key: chart}
        self.clock = clock
        self.workspace_key = workspace_key
        self.hold_token_ttl = timedelta(minutes=15)
        self.budget = ForSaleBudget()
        self._events: dict[int, Event] = {}
        self._ids: dict[str, int] = {}
        self._next_event_id = 1
        self._next_channel_id = 1
        self._changes: list[StatusChange] = []
        self._next_change_id = 1
        self._tokens: dict[str, HoldToken] = {}
        self._journal: list[Callable[[], None]] | None = None

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

    def events(self) -> list[Event]:
        """Every event, season and partial season, oldest first."""
        return list(self._events.values())

    def season(self, key: str) -> Event:
        """A top-level season, or 404 SEASON_NOT_FOUND / 400 NOT_A_SEASON."""
        if key not in self._ids:
            raise SeatsioApiError(404, SEASON_NOT_FOUND, f"Season not found: {key}")
        ev = self.event(key)
        if ev.kind is not EventKind.SEASON:
            raise bad_request(NOT_A_SEASON, f"{key} is not a top-level season")
        return ev

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

    # ---------------------------------------------------------------- events and seasons

    def create_event(
        self,
        chart_key: str,
        key: str | None = None,
        *,
        name: str | None = None,
        channels: Sequence[ChannelSpec] = (),
        for_sale_config: ForSaleConfig | None = None,
        table_booking_config: Mapping[str, Any] | None = None,
        categories: Sequence[Mapping[str, Any]] | None = None,
        object_categories: Mapping[str, str | int] | None = None,
        date: str | None = None,
    ) -> Event:
        chart = self.chart(chart_key)
        self._check_new_keys([key] if key is not None else [])
        self._check_channel_specs(chart, channels, existing=())
        _check_date(date)
        ev = self._new_event(chart_key, key, name, EventKind.EVENT)
        ev.date = date
        self._configure(ev, table_booking_config, categories, object_categories)
        for spec in channels:
            self._add_channel(ev, spec)
        self._initial_for_sale(ev, for_sale_config)
        return ev

    def create_season(
        self,
        chart_key: str,
        key: str | None = None,
        *,
        name: str | None = None,
        event_keys: Sequence[str] | None = None,
        number_of_events: int | None = None,
        channels: Sequence[ChannelSpec] = (),
        for_sale_config: ForSaleConfig | None = None,
        for_sale_propagated: bool = True,
        table_booking_config: Mapping[str, Any] | None = None,
        categories: Sequence[Mapping[str, Any]] | None = None,
        object_categories: Mapping[str, str | int] | None = None,
    ) -> Event:
        """A season and its events, which must not exist yet (seats.io creates them)."""
        chart = self.chart(chart_key)
        keys = self._new_member_keys(event_keys, number_of_events)
        self._check_new_keys([*([key] if key is not None else []), *keys])
        self._check_channel_specs(chart, channels, existing=())
        season = self._new_event(chart_key, key, name, EventKind.SEASON)
        season.for_sale_propagated = for_sale_propagated
        self._configure(season, table_booking_config, categories, object_categories)
        for spec in channels:
            self._add_channel(season, spec)
        self._initial_for_sale(season, for_sale_config)
        for k in keys:
            self._add_member(season, k)
        return season

    def create_events_in_season(
        self,
        season_key: str,
        event_keys: Sequence[str] | None = None,
        number_of_events: int | None = None,
    ) -> list[Event]:
        """New events in the season, in the order created (seats.io answers them newest first)."""
        season = self.season(season_key)
        keys = self._new_member_keys(event_keys, number_of_events)
        self._check_new_keys(keys)
        return [self._add_member(season, k) for k in keys]

    def create_partial_season(
        self,
        season_key: str,
        key: str | None = None,
        *,
        name: str | None = None,
        event_keys: Sequence[str] = (),
    ) -> Event:
        top = self.season(season_key)
        self._check_new_keys([key] if key is not None else [])
        members = self._members_of(top, event_keys)
        partial_season = self._new_event(top.chart_key, key, name, EventKind.PARTIAL_SEASON)
        partial_season.season_id = top.id
        partial_season.member_ids = [m.id for m in members]
        top.partial_season_ids.append(partial_season.id)
        return partial_season

    def add_events_to_partial_season(
        self, season_key: str, partial_key: str, event_keys: Sequence[str]
    ) -> Event:
        top = self.season(season_key)
        partial_season = self._partial(top, partial_key)
        for m in self._members_of(top, event_keys):
            if m.id not in partial_season.member_ids:
                partial_season.member_ids.append(m.id)
        return partial_season

    def remove_event_from_partial_season(
        self, season_key: str, partial_key: str, event_key: str
    ) -> Event:
        top = self.season(season_key)
        partial_season = self._partial(top, partial_key)
        ev = self.event(event_key)
        if ev.id not in partial_season.member_ids:
            raise bad_request(
                EVENT_NOT_IN_SEASON, f"Event {event_key} is not in partial season {partial_key}"
            )
        partial_season.member_ids.remove(ev.id)
        return partial_season

    def update_event(
        self,
        key: str,
        *,
        new_key: str | Unset | None = UNSET,
        name: str | Unset | None = UNSET,
        table_booking_config: Mapping[str, Any] | Unset | None = UNSET,
        categories: Sequence[Mapping[str, Any]] | Unset | None = UNSET,
        object_categories: Mapping[str, str | int] | Unset | None = UNSET,
        for_sale_propagated: bool | Unset | None = UNSET,
        date: str | Unset | None = UNSET,
        is_in_the_past: bool | Unset | None = UNSET,
    ) -> Event:
        """Change only the fields passed; null or empty categories clear them."""
        ev = self.event(key)
        if isinstance(for_sale_propagated, bool) and not ev.is_season:
            raise bad_request(NOT_A_SEASON, f"{key} is not a season: forSalePropagated")
        if not isinstance(date, Unset):
            _check_date(date)
        if isinstance(is_in_the_past, bool) and not ev.in_season:
            # docs "retrieve a season": "only applicable for events in a season, seasons
            # themselves cannot be marked as in the past"
            raise bad_request(
                EVENT_NOT_IN_SEASON, f"{key} is not an event in a season: isInThePast"
            )
        if isinstance(new_key, str) and new_key != ev.key:
            self._check_new_keys([new_key])
            del self._ids[ev.key]
            ev.key = new_key
            self._ids[new_key] = ev.id
        if not isinstance(name, Unset):
            ev.name = name
        if not isinstance(table_booking_config, Unset) and table_booking_config is not None:
            ev.table_booking_config = dict(table_booking_config)
        if not isinstance(categories, Unset):
            ev.categories = [dict(c) for c in categories or ()]
        if not isinstance(object_categories, Unset):
            ev.object_categories = dict(object_categories or {})
        if isinstance(for_sale_propagated, bool):
            ev.for_sale_propagated = for_sale_propagated
        if not isinstance(date, Unset):
            ev.date = date
        if isinstance(is_in_the_past, bool):
            ev.is_in_the_past = is_in_the_past
        ev.updated_on = self.clock()
        return ev

    def _new_event(
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

    def _add_member(self, season: Event, key: str) -> Event:
        ev = self._new_event(season.chart_key, key, None, EventKind.EVENT)
        ev.season_id = season.id
        season.member_ids.append(ev.id)
        return ev

    def _configure(
        self,
        ev: Event,
        table_booking_config: Mapping[str, Any] | None,
        categories: Sequence[Mapping[str, Any]] | None,
        object_categories: Mapping[str, str | int] | None,
    ) -> None:
        if table_booking_config is not None:
            ev.table_booking_config = dict(table_booking_config)
        ev.categories = [dict(c) for c in categories or ()]
        ev.object_categories = dict(object_categories or {})

    def _initial_for_sale(self, ev: Event, config: ForSaleConfig | None) -> None:
        """A restricting config given at creation spends one of the event's daily calls."""
        if config is not None:
            self._set_for_sale(ev, config, counts=restricts_more(None, config, self._universe(ev)))

    def _check_new_keys(self, keys: Sequence[str]) -> None:
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

    def _new_member_keys(
        self, event_keys: Sequence[str] | None, number_of_events: int | None
    ) -> list[str]:
        if event_keys is not None and number_of_events is not None:
            raise invalid("eventKeys and numberOfEvents cannot be used together")
        if number_of_events is not None:
            if number_of_events < 0:
                raise invalid("numberOfEvents must not be negative")
            return [str(uuid.uuid4()) for _ in range(number_of_events)]
        return list(event_keys or ())

    def _members_of(self, top: Event, event_keys: Sequence[str]) -> list[Event]:
        events = [self.event(k) for k in event_keys]
        outside = [e.key for e in events if e.season_id != top.id or e.is_season]
        if outside:
            raise bad_request(
                EVENT_NOT_IN_SEASON,
                f"Events not in season {top.key}: {', '.join(outside)}",
                events=outside,
            )
        return events

    def _partial(self, top: Event, partial_key: str) -> Event:
        for p in self.partial_seasons(top):
            if p.key == partial_key:
                return p
        raise SeatsioApiError(
            404, SEASON_NOT_FOUND, f"Partial season not found: {partial_key} in {top.key}"
        )

    # ---------------------------------------------------------------- channels

    def channels(self, key: str) -> list[Channel]:
        """The channels that apply to an event: its season's, when it is part of one."""
        return self._channel_owner(self.event(key)).channels

    def channel_of(self, key: str, label: str) -> str | None:
        """The key of the channel an object is in for this event (its season's), if any."""
        return self._channel_key(self.event(key), label)

    def _channel_key(self, ev: Event, label: str) -> str | None:
        ch = self._channel_owner(ev).channel_of(label)
        return ch.key if ch else None

    def add_channels(self, key: str, specs: Sequence[ChannelSpec]) -> None:
        ev = self._channel_target(key)
        self._check_channel_specs(self.chart(ev.chart_key), specs, existing=ev.channels)
        for spec in specs:
            self._add_channel(ev, spec)

    def replace_channels(self, key: str, specs: Sequence[ChannelSpec]) -> None:
        """All channels and their object assignments become exactly ``specs``."""
        ev = self._channel_target(key)
        self._check_channel_specs(self.chart(ev.chart_key), specs, existing=())
        ev.channels = []
        for spec in specs:
            self._add_channel(ev, spec)

    def update_channel(
        self,
        key: str,
        channel_key: str,
        *,
        name: str | None = None,
        color: str | None = None,
        objects: Sequence[str] | None = None,
        area_places: Mapping[str, int] | None = None,
    ) -> None:
        """Rename or recolour a channel; ``objects`` and ``areaPlaces`` replace what it had."""
        ev, ch = self._channel(key, channel_key)
        if name is not None and any(c.name == name for c in ev.channels if c is not ch):
            raise bad_request(CHANNEL_ALREADY_EXISTS, f"Channel name already in use: {name}")
        if objects is not None:
            self._check_labels(self.chart(ev.chart_key), objects)
        if name is not None:
            ch.name = name
        if color is not None:
            ch.color = color
        if objects is not None:
            ch.objects = []
            self._assign(ev, ch, objects)
        if area_places is not None:
            ch.area_places = dict(area_places)

    def remove_channel(self, key: str, channel_key: str) -> None:
        ev, ch = self._channel(key, channel_key)
        ev.channels.remove(ch)

    def add_channel_objects(
        self,
        key: str,
        channel_key: str,
        objects: Sequence[str] = (),
        area_places: Mapping[str, int] | None = None,
    ) -> None:
        """Add objects to a channel, taking them out of any other channel of the event."""
        ev, ch = self._channel(key, channel_key)
        self._check_labels(self.chart(ev.chart_key), objects)
        self._assign(ev, ch, objects)
        for area, n in (area_places or {}).items():
            ch.area_places[area] = ch.area_places.get(area, 0) + n

    def remove_channel_objects(
        self,
        key: str,
        channel_key: str,
        objects: Sequence[str] = (),
        area_places: Mapping[str, int] | None = None,
    ) -> None:
        """Take objects out of a channel (objects not in it are ignored); area places decrement."""
        _, ch = self._channel(key, channel_key)
        gone = set(objects)
        ch.objects = [o for o in ch.objects if o not in gone]
        for area, n in (area_places or {}).items():
            left = ch.area_places.get(area, 0) - n
            if left > 0:
                ch.area_places[area] = left
            else:
                ch.area_places.pop(area, None)

    def _channel_owner(self, ev: Event) -> Event:
        top = self.top_season(ev)
        return top if top is not None else ev

    def _channel_target(self, key: str) -> Event:
        """The event whose channels a channel call may change: never an event in a season."""
        ev = self.event(key)
        top = self.top_season(ev)
        if top is not None:
            raise bad_request(
                CHANNELS_NOT_ALLOWED_ON_EVENT_IN_SEASON,
                f"Event {key} is part of season {top.key}: manage channels on the season",
                season=top.key,
            )
        return ev

    def _channel(self, key: str, channel_key: str) -> tuple[Event, Channel]:
        ev = self._channel_target(key)
        ch = ev.channel(channel_key)
        if ch is None:
            raise SeatsioApiError(
                404, CHANNEL_NOT_FOUND, f"Channel not found: {channel_key} on event {key}"
            )
        return ev, ch

    def _check_channel_specs(
        self, chart: Chart, specs: Sequence[ChannelSpec], *, existing: Sequence[Channel]
    ) -> None:
        """Keys and names unique, objects on the chart, no object in two of the new channels."""
        keys = [c.key for c in existing] + [s.key for s in specs]
        names = [c.name for c in existing] + [s.name for s in specs]
        for what, values in (("key", keys), ("name", names)):
            dupes = sorted({v for v in values if values.count(v) > 1})
            if dupes:
                raise bad_request(
                    CHANNEL_ALREADY_EXISTS, f"Channel {what} must be unique: {', '.join(dupes)}"
                )
        seen: set[str] = set()
        for spec in specs:
            self._check_labels(chart, spec.objects)
            twice = seen & set(spec.objects)
            if twice:
                raise invalid(f"Objects assigned to more than one channel: {sorted(twice)}")
            seen |= set(spec.objects)

    def _add_channel(self, ev: Event, spec: ChannelSpec) -> Channel:
        ch = Channel(
            id=f"ch-{self._next_channel_id}",
            key=spec.key,
            name=spec.name,
            color=spec.color,
            index=spec.index,
            area_places=dict(spec.area_places),
        )
        self._next_channel_id += 1
        ev.channels.append(ch)
        self._assign(ev, ch, spec.objects)
        return ch

    @staticmethod
    def _assign(ev: Event, channel: Channel, labels: Iterable[str]) -> None:
        """An object belongs to at most one channel: assigning it here takes it from the others."""
        for label in labels:
            for other in ev.channels:
                if other is not channel and label in other.objects:
                    other.objects.remove(label)
            if label not in channel.objects:
                channel.objects.append(label)

    @staticmethod
    def _check_labels(chart: Chart, labels: Iterable[str]) -> None:
        unknown = [label for label in labels if label not in chart.objects]
        if unknown:
            raise bad_request(
                OBJECT_NOT_FOUND,
                f"Objects not found on chart {chart.key}: {', '.join(unknown[:20])}",
                objects=unknown,
            )

    # ---------------------------------------------------------------- for sale

    def is_for_sale(self, key: str, label: str) -> bool:
        return self._for_sale(self.event(key), label)

    def rate_limit_info(self, key: str) -> RateLimitInfo:
        ev, now = self.event(key), self.clock()
        return RateLimitInfo(self.budget.remaining(ev.id, now), self.budget.reset_date(ev.id, now))

    def edit_for_sale_config(
        self,
        key: str,
        for_sale: Sequence[ForSaleItem] = (),
        not_for_sale: Sequence[ForSaleItem] = (),
    ) -> ForSaleConfig:
        """Incremental: only the named objects change. Counts against the daily limit unless it
        only marks objects as for sale."""
        return self.edit_for_sale_configs({key: (for_sale, not_for_sale)})[key]

    def edit_for_sale_configs(
        self,
        edits: Mapping[str, tuple[Sequence[ForSaleItem], Sequence[ForSaleItem]]],
    ) -> dict[str, ForSaleConfig]:
        """Several events in one call: all applied, or none (unknown event, limit reached)."""
        events = {key: self.event(key) for key in edits}
        now = self.clock()
        for key, (_, not_for_sale) in edits.items():
            if not_for_sale:
                self.budget.check(events[key].id, key, now)
        out: dict[str, ForSaleConfig] = {}
        for key, (for_sale, not_for_sale) in edits.items():
            ev = events[key]
            new = edit(ev.for_sale_config, for_sale, not_for_sale)
            self._set_for_sale(ev, new, counts=bool(not_for_sale))
            out[key] = new
        return out

    def mark_as_not_for_sale(
        self,
        key: str,
        objects: Sequence[str] = (),
        area_places: Mapping[str, int] | None = None,
        categories: Sequence[str] = (),
    ) -> None:
        """Replace: exactly these are not for sale, everything else is. Always counts."""
        ev = self.event(key)
        config = ForSaleConfig(False, tuple(objects), dict(area_places or {}), tuple(categories))
        self._set_for_sale(ev, config, counts=True)

    def mark_as_for_sale(
        self,
        key: str,
        objects: Sequence[str] = (),
        area_places: Mapping[str, int] | None = None,
        categories: Sequence[str] = (),
    ) -> None:
        """Replace: exactly these are for sale, everything else is not."""
        ev = self.event(key)
        config = ForSaleConfig(True, tuple(objects), dict(area_places or {}), tuple(categories))
        counts = restricts_more(ev.for_sale_config, config, self._universe(ev))
        self._set_for_sale(ev, config, counts=counts)

    def mark_everything_as_for_sale(self, key: str) -> None:
        """Drop the config (it reads back as null); never counts."""
        self._set_for_sale(self.event(key), None, counts=False)

    def mark_everything_as_not_for_sale(self, key: str) -> None:
        self._set_for_sale(self.event(key), ForSaleConfig(True), counts=True)

    def _set_for_sale(self, ev: Event, config: ForSaleConfig | None, *, counts: bool) -> None:
        if counts:
            now = self.clock()
            self.budget.check(ev.id, ev.key, now)
            self.budget.spend(ev.id, now)
        ev.for_sale_config = config

    def _for_sale(self, ev: Event, label: str) -> bool:
        """The event's own config, and its season's when the season propagates it."""
        names = self._names(ev, label)
        if ev.for_sale_config is not None and not ev.for_sale_config.allows(names):
            return False
        top = self.top_season(ev)
        if ev.in_season and top is not None and top.for_sale_propagated:
            cfg = top.for_sale_config
            return cfg is None or cfg.allows(names)
        return True

    def _universe(self, ev: Event) -> dict[str, Names]:
        return {label: self._names(ev, label) for label in self.chart(ev.chart_key).objects}

    def _names(self, ev: Event, label: str) -> Names:
        obj = self.chart(ev.chart_key).objects.get(label)
        if obj is None:
            return Names((label,))
        return Names((label, obj.section), self._category(ev, label))

    def _category(self, ev: Event, label: str) -> tuple[str, str]:
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

    # ---------------------------------------------------------------- hold tokens

    def create_hold_token(self, expires_in_minutes: int | None = None) -> HoldToken:
        ttl = timedelta(minutes=expires_in_minutes) if expires_in_minutes else self.hold_token_ttl
        token = HoldToken(uuid.uuid4().hex[:10], self.clock() + ttl)
        self._tokens[token.token] = token
        return token

    def hold_token(self, token: str) -> HoldToken:
        try:
            return self._tokens[token]
        except KeyError:
            raise SeatsioApiError(
                404, HOLD_TOKEN_NOT_FOUND, f"Hold token not found: {token}"
            ) from None

    def _token_alive(self, token: str | None) -> bool:
        found = self._tokens.get(token) if token is not None else None
        return found is not None and found.expires_at > self.clock()

    def _check_token(self, token: str) -> None:
        if token not in self._tokens:
            raise bad_request(HOLD_TOKEN_NOT_FOUND, f"Hold token not found: {token}")
        if not self._token_alive(token):
            raise bad_request(HOLD_TOKEN_EXPIRED, f"Hold token has expired: {token}")

    # ---------------------------------------------------------------- object statuses

    def change_status(self, requests: Sequence[StatusChangeRequest]) -> None:
        """Apply status changes in order, in one transaction: one refusal undoes them all."""
        with self._transaction():
            for request in requests:
                self._apply(request)

    def book(self, event_key: str, labels: Iterable[str], **options: Any) -> None:
        """Book objects as the API would (options as in :class:`StatusChangeRequest`)."""
        self._simple(event_key, labels, CHANGE_STATUS_TO, BOOKED, options)

    def release(self, event_key: str, labels: Iterable[str], **options: Any) -> None:
        self._simple(event_key, labels, RELEASE, None, options)

    def hold(self, event_key: str, labels: Iterable[str], hold_token: str, **options: Any) -> None:
        self._simple(
            event_key, labels, CHANGE_STATUS_TO, HELD, {**options, "hold_token": hold_token}
        )

    def set_status(
        self, event_key: str, labels: Iterable[str], status: str, **options: Any
    ) -> None:
        """Give objects a (custom) status."""
        self._simple(event_key, labels, CHANGE_STATUS_TO, status, options)

    def object_status(self, event_key: str, label: str) -> str:
        return self.object_view(event_key, label).status

    def object_view(self, event_key: str, label: str) -> ObjectView:
        ev = self.event(event_key)
        self._check_labels(self.chart(ev.chart_key), [label])
        return self._view(ev, label)

    def object_views(self, event_key: str) -> list[ObjectView]:
        """Every object of the event's chart, in chart order."""
        ev = self.event(event_key)
        return [self._view(ev, label) for label in self.chart(ev.chart_key).objects]

    def status_changes(self, event_key: str, label: str | None = None) -> list[StatusChange]:
        """The event's status-change log, newest first."""
        ev = self.event(event_key)
        return [
            c
            for c in reversed(self._changes)
            if c.event_id == ev.id and (label is None or c.object_label == label)
        ]

    def _simple(
        self,
        event_key: str,
        labels: Iterable[str],
        type_: str,
        status: str | None,
        options: Mapping[str, Any],
    ) -> None:
        for name in ("channel_keys", "allowed_previous_statuses", "rejected_previous_statuses"):
            if options.get(name) is not None:
                options = {**options, name: tuple(options[name])}
        request = StatusChangeRequest(
            event_keys=(event_key,),
            objects=tuple(ObjectSpec(label) for label in labels),
            type=type_,
            status=status,
            **options,
        )
        self.change_status([request])

    def _apply(self, request: StatusChangeRequest) -> None:
        self._check_request(request)
        events = [self.event(k) for k in request.event_keys]
        for ev in events:
            self._check_labels(self.chart(ev.chart_key), request.labels())
        if request.hold_token is not None:
            self._check_token(request.hold_token)
        specs = list({s.label: s for s in request.objects}.values())
        for ev in events:
            if request.type in (OVERRIDE_SEASON_STATUS, USE_SEASON_STATUS):
                self._season_status(ev, [s.label for s in specs], request.type)
                continue
            planned: list[tuple[str, ObjectState]] = []
            for spec in specs:
                previous, source = self._effective(ev, spec.label)
                planned.append(
                    (
                        spec.label,
                        next_state(
                            request,
                            spec,
                            previous,
                            inherited_from=None if source is ev else source.key,
                            channel_key=self._channel_key(ev, spec.label),
                            for_sale=self._for_sale(ev, spec.label),
                        ),
                    )
                )
            for label, state in planned:
                self._put_state(ev, label, state)
                self._record(ev, label, state)

    @staticmethod
    def _check_request(request: StatusChangeRequest) -> None:
        if request.type not in STATUS_CHANGE_TYPES:
            raise invalid(f"type must be one of {', '.join(STATUS_CHANGE_TYPES)}")
        if not request.event_keys:
            raise invalid("events must name at least one event")
        if not request.objects:
            raise invalid("objects must name at least one object")
        if request.type == CHANGE_STATUS_TO and not request.status:
            raise invalid("status is required with type CHANGE_STATUS_TO")
        if request.type != CHANGE_STATUS_TO and request.status is not None:
            raise invalid(f"status must not be passed with type {request.type}")
        if request.status == HELD and request.hold_token is None:
            raise invalid("holdToken is required to hold objects")
        if request.ignore_channels and request.channel_keys is not None:
            raise invalid("ignoreChannels and channelKeys cannot be used together")

    def _season_status(self, ev: Event, labels: Sequence[str], type_: str) -> None:
        """Override the season status of objects in one event, or go back to it."""
        if not ev.in_season:
            raise bad_request(EVENT_NOT_IN_SEASON, f"Event {ev.key} is not part of a season")
        if type_ == USE_SEASON_STATUS:
            busy = [
                label
                for label in labels
                if label in ev.overridden and self._own(ev, label).status != FREE
            ]
            if busy:
                raise bad_request(
                    ILLEGAL_STATUS_CHANGE,
                    f"Objects {', '.join(busy)} have a status of their own in {ev.key}: "
                    "release them before using the season status",
                )
        for label in labels:
            self._set_overridden(ev, label, type_ == OVERRIDE_SEASON_STATUS)
            state, _ = self._effective(ev, label)
            self._record(ev, label, state)

    def _own(self, ev: Event, label: str) -> ObjectState:
        """The event's own state for an object; a hold whose token expired is free again."""
        state = ev.states.get(label, FREE_STATE)
        if state.status == HELD and not self._token_alive(state.hold_token):
            return FREE_STATE
        return state

    def _effective(self, ev: Event, label: str) -> tuple[ObjectState, Event]:
        """The state a reader sees, and the event or season it comes from.

        An event shows its season's (or a partial season's) status unless it overrides it; a
        season shows its own status, or else one that any of its events gives the object.
        """
        own = self._own(ev, label)
        if ev.kind is EventKind.EVENT:
            if label not in ev.overridden:
                top = self.top_season(ev)
                for season in ([top] if top else []) + self.partial_seasons_of(ev):
                    state = self._own(season, label)
                    if state.status != FREE:
                        return state, season
            return own, ev
        if own.status != FREE:
            return own, ev
        for member in self.members(ev):
            state, source = self._effective(member, label)
            if state.status != FREE:
                return state, source
        return own, ev

    def _view(self, ev: Event, label: str) -> ObjectView:
        state, _ = self._effective(ev, label)
        key, cat_label = self._category(ev, label)
        return ObjectView(
            object=self.chart(ev.chart_key).objects[label],
            state=state,
            category_key=key,
            category_label=cat_label,
            channel=self._channel_key(ev, label),
            for_sale=self._for_sale(ev, label),
            season_status_overridden=(label in ev.overridden) if ev.in_season else None,
        )

    def _record(self, ev: Event, label: str, state: ObjectState) -> None:
        self._changes.append(
            StatusChange(
                id=self._next_change_id,
                event_id=ev.id,
                status=state.status,
                object_label=label,
                date=self.clock(),
                order_id=state.order_id,
                extra_data=state.extra_data,
                hold_token=state.hold_token,
            )
        )
        self._next_change_id += 1

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """Undo every state change made inside when anything inside raises."""
        if self._journal is not None:  # already inside one: the outer one undoes
            yield
            return
        undo: list[Callable[[], None]] = []
        self._journal = undo
        logged, next_id = len(self._changes), self._next_change_id
        try:
            yield
        except BaseException:
            for step in reversed(undo):
                step()
            del self._changes[logged:]
            self._next_change_id = next_id
            raise
        finally:
            self._journal = None

    def _put_state(self, ev: Event, label: str, state: ObjectState) -> None:
        if self._journal is not None:
            self._journal.append(partial(_restore, ev.states, label, ev.states.get(label)))
        if state == FREE_STATE:
            ev.states.pop(label, None)
        else:
            ev.states[label] = state

    def _set_overridden(self, ev: Event, label: str, on: bool) -> None:
        if self._journal is not None:
            self._journal.append(partial(_toggle, ev.overridden, label, label in ev.overridden))
        if on:
            ev.overridden.add(label)
        else:
            ev.overridden.discard(label)
            self._put_state(ev, label, FREE_STATE)


def _check_date(value: str | None) -> None:
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


def _restore(states: dict[str, ObjectState], label: str, old: ObjectState | None) -> None:
    if old is None:
        states.pop(label, None)
    else:
        states[label] = old


def _toggle(labels: set[str], label: str, on: bool) -> None:
    if on:
        labels.add(label)
    else:
        labels.discard(label)
