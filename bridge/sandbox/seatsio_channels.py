"""Channels of the fake seats.io: which objects are set aside for whom, on an event or a season.

Channels live on the top-level season and apply to its events, so every channel call first finds
the event that owns them and refuses one aimed at an event inside a season.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from bridge.sandbox.seatsio_errors import (
    CHANNEL_ALREADY_EXISTS,
    CHANNEL_NOT_FOUND,
    CHANNELS_NOT_ALLOWED_ON_EVENT_IN_SEASON,
    SeatsioApiError,
    bad_request,
    invalid,
)
from bridge.sandbox.seatsio_model import Channel, ChannelSpec, Chart, Event
from bridge.sandbox.seatsio_workspace import Workspace, check_labels


class Channels:
    """The channel calls, and which channel an object is in for an event."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace
        self._next_channel_id = 1

    def channels(self, key: str) -> list[Channel]:
        """The channels that apply to an event: its season's, when it is part of one."""
        return self._owner(self._workspace.event(key)).channels

    def channel_of(self, key: str, label: str) -> str | None:
        """The key of the channel an object is in for this event (its season's), if any."""
        return self.channel_key(self._workspace.event(key), label)

    def channel_key(self, ev: Event, label: str) -> str | None:
        ch = self._owner(ev).channel_of(label)
        return ch.key if ch else None

    def add_channels(self, key: str, specs: Sequence[ChannelSpec]) -> None:
        ev = self._target(key)
        self.check_specs(self._workspace.chart(ev.chart_key), specs, existing=ev.channels)
        for spec in specs:
            self.add(ev, spec)

    def replace_channels(self, key: str, specs: Sequence[ChannelSpec]) -> None:
        """All channels and their object assignments become exactly ``specs``."""
        ev = self._target(key)
        self.check_specs(self._workspace.chart(ev.chart_key), specs, existing=())
        ev.channels = []
        for spec in specs:
            self.add(ev, spec)

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
            raise bad_request(CHANNEL_ALREADY_EXISTS, f"Channel name must be unique: {name}")
        if objects is not None:
            check_labels(self._workspace.chart(ev.chart_key), objects)
        if name is not None:
            ch.name = name
        if color is not None:
            ch.color = color
        if objects is not None:
            ch.objects = []
            _assign(ev, ch, objects)
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
        check_labels(self._workspace.chart(ev.chart_key), objects)
        _assign(ev, ch, objects)
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

    def check_specs(
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
            check_labels(chart, spec.objects)
            twice = seen & set(spec.objects)
            if twice:
                raise invalid(f"Objects assigned to more than one channel: {sorted(twice)}")
            seen |= set(spec.objects)

    def add(self, ev: Event, spec: ChannelSpec) -> Channel:
        """A new channel on ``ev`` (its spec already checked), with the next id."""
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
        _assign(ev, ch, spec.objects)
        return ch

    def _owner(self, ev: Event) -> Event:
        top = self._workspace.top_season(ev)
        return top if top is not None else ev

    def _target(self, key: str) -> Event:
        """The event whose channels a channel call may change: never an event in a season."""
        ev = self._workspace.event(key)
        top = self._workspace.top_season(ev)
        if top is not None:
            raise bad_request(
                CHANNELS_NOT_ALLOWED_ON_EVENT_IN_SEASON,
                f"Event {key} is part of season {top.key}: manage channels on the season",
                season=top.key,
            )
        return ev

    def _channel(self, key: str, channel_key: str) -> tuple[Event, Channel]:
        ev = self._target(key)
        ch = ev.channel(channel_key)
        if ch is None:
            raise SeatsioApiError(
                404, CHANNEL_NOT_FOUND, f"Channel not found: {channel_key} on event {key}"
            )
        return ev, ch


def _assign(ev: Event, channel: Channel, labels: Iterable[str]) -> None:
    """An object belongs to at most one channel: assigning it here takes it from the others."""
    for label in labels:
        for other in ev.channels:
            if other is not channel and label in other.objects:
                other.objects.remove(label)
        if label not in channel.objects:
            channel.objects.append(label)
