"""Seasons of the fake seats.io: a season is an event whose members are events.

seats.io creates a season's events itself (with the season, or later through create-events), and
partial seasons group some of them; this module keeps those memberships consistent.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from bridge.sandbox.seatsio_channels import Channels
from bridge.sandbox.seatsio_errors import (
    EVENT_NOT_IN_SEASON,
    NOT_A_SEASON,
    SEASON_NOT_FOUND,
    SeatsioApiError,
    bad_request,
    invalid,
)
from bridge.sandbox.seatsio_forsale import ForSaleConfig
from bridge.sandbox.seatsio_forsale_configs import ForSaleConfigs
from bridge.sandbox.seatsio_model import ChannelSpec, Event, EventKind
from bridge.sandbox.seatsio_workspace import Workspace, configure


class Seasons:
    """Creating seasons, their events and partial seasons, and moving events in and out."""

    def __init__(self, workspace: Workspace, channels: Channels, for_sale: ForSaleConfigs) -> None:
        self._workspace = workspace
        self._channels = channels
        self._for_sale = for_sale

    def season(self, key: str) -> Event:
        """A top-level season, or 404 SEASON_NOT_FOUND / 400 NOT_A_SEASON."""
        if not self._workspace.has_event(key):
            raise SeatsioApiError(404, SEASON_NOT_FOUND, f"Season not found: {key}")
        ev = self._workspace.event(key)
        if ev.kind is not EventKind.SEASON:
            raise bad_request(NOT_A_SEASON, f"{key} is not a top-level season")
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
        chart = self._workspace.chart(chart_key)
        keys = _new_member_keys(event_keys, number_of_events)
        self._workspace.check_new_keys([*([key] if key is not None else []), *keys])
        self._channels.check_specs(chart, channels, existing=())
        season = self._workspace.new_event(chart_key, key, name, EventKind.SEASON)
        season.for_sale_propagated = for_sale_propagated
        configure(season, table_booking_config, categories, object_categories)
        for spec in channels:
            self._channels.add(season, spec)
        self._for_sale.initial(season, for_sale_config)
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
        keys = _new_member_keys(event_keys, number_of_events)
        self._workspace.check_new_keys(keys)
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
        self._workspace.check_new_keys([key] if key is not None else [])
        members = self._members_of(top, event_keys)
        partial_season = self._workspace.new_event(
            top.chart_key, key, name, EventKind.PARTIAL_SEASON
        )
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
        ev = self._workspace.event(event_key)
        if ev.id not in partial_season.member_ids:
            raise bad_request(
                EVENT_NOT_IN_SEASON, f"Event {event_key} is not in partial season {partial_key}"
            )
        partial_season.member_ids.remove(ev.id)
        return partial_season

    def _add_member(self, season: Event, key: str) -> Event:
        ev = self._workspace.new_event(season.chart_key, key, None, EventKind.EVENT)
        ev.season_id = season.id
        season.member_ids.append(ev.id)
        return ev

    def _members_of(self, top: Event, event_keys: Sequence[str]) -> list[Event]:
        events = [self._workspace.event(k) for k in event_keys]
        outside = [e.key for e in events if e.season_id != top.id or e.is_season]
        if outside:
            raise bad_request(
                EVENT_NOT_IN_SEASON,
                f"Events not in season {top.key}: {', '.join(outside)}",
                events=outside,
            )
        return events

    def _partial(self, top: Event, partial_key: str) -> Event:
        for p in self._workspace.partial_seasons(top):
            if p.key == partial_key:
                return p
        raise SeatsioApiError(
            404, SEASON_NOT_FOUND, f"Partial season not found: {partial_key} in {top.key}"
        )


def _new_member_keys(event_keys: Sequence[str] | None, number_of_events: int | None) -> list[str]:
    if event_keys is not None and number_of_events is not None:
        raise invalid("eventKeys and numberOfEvents cannot be used together")
    if number_of_events is not None:
        if number_of_events < 0:
            raise invalid("numberOfEvents must not be negative")
        return [str(uuid.uuid4()) for _ in range(number_of_events)]
    return list(event_keys or ())
