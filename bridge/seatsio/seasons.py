"""Seasons: create, retrieve, update, create events in a season (all on the regular lane).

A season is an event in seats.io: channel, status and for-sale calls take its key like an event's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, TypeAdapter

from bridge.errors import TerminalError
from bridge.seatsio._group import ApiGroup
from bridge.seatsio.lanes import Lane
from bridge.seatsio.models import Event, EventCategory, ForSaleConfig, Season
from bridge.seatsio.requests import Category, ChannelSpec, new_event_json
from bridge.seatsio.translate import VENDOR

_Season = TypeAdapter(Event)


class _CreatedEvents(BaseModel):
    events: list[Event] = []


_Created = TypeAdapter(_CreatedEvents)


class _ChartCategories(BaseModel):
    categories: list[EventCategory] = []


_Chart = TypeAdapter(_ChartCategories)


def _event_keys_or_count(
    event_keys: Sequence[str] | None, number_of_events: int | None
) -> dict[str, Any]:
    if event_keys is not None and number_of_events is not None:
        raise ValueError("event_keys and number_of_events exclude each other")
    if isinstance(event_keys, str):
        raise TypeError("event_keys must be a sequence of keys, not one string")
    if event_keys is not None:
        return {"eventKeys": list(event_keys)}
    if number_of_events is not None:
        return {"numberOfEvents": number_of_events}
    return {}


class SeasonsApi(ApiGroup):
    """Top-level seasons and the events they contain."""

    async def create(
        self,
        chart_key: str,
        *,
        key: str | None = None,
        name: str | None = None,
        event_keys: Sequence[str] | None = None,
        number_of_events: int | None = None,
        channels: Sequence[ChannelSpec] | None = None,
        for_sale_config: ForSaleConfig | None = None,
        for_sale_propagated: bool | None = None,
        table_booking_config: Mapping[str, Any] | None = None,
        categories: Sequence[Category] | None = None,
        object_categories: Mapping[str, str | int] | None = None,
    ) -> Season:
        """A new season; ``event_keys`` are *new* events created with it (they must not exist)."""
        body: dict[str, Any] = {"chartKey": chart_key}
        if categories:
            body["categories"] = [c.to_json() for c in categories]
        if object_categories:
            body["objectCategories"] = dict(object_categories)
        if table_booking_config is not None:
            body["tableBookingConfig"] = dict(table_booking_config)
        body.update(_event_keys_or_count(event_keys, number_of_events))
        if key is not None:
            body["key"] = key
        body.update(new_event_json(name, channels, for_sale_config))
        if for_sale_propagated is not None:
            body["forSalePropagated"] = for_sale_propagated
        return await self._conn.call_parsed(
            _Season, "POST", "/seasons", lane=Lane.REGULAR, repeatable=False, body=body
        )

    async def chart_categories(self, chart_key: str) -> list[EventCategory]:
        """The chart's own categories (``GET /charts/{key}/categories``, the SDKs'
        list_categories), to tell a season's event-level categories from its chart's in what
        :meth:`retrieve` lists."""
        chart = await self._conn.call_parsed(
            _Chart,
            "GET",
            "/charts/{key}/categories",
            lane=Lane.REGULAR,
            repeatable=True,
            path={"key": chart_key},
        )
        return list(chart.categories)

    async def retrieve(self, key: str) -> Season:
        """The season with its events; TerminalError if ``key`` is a plain event."""
        season = await self._conn.call_parsed(
            _Season, "GET", "/events/{key}", lane=Lane.REGULAR, repeatable=True, path={"key": key}
        )
        if not season.is_season:
            raise TerminalError(f"{key!r} is an event, not a season", vendor=VENDOR)
        return season

    async def update(
        self,
        key: str,
        *,
        name: str | None = None,
        for_sale_propagated: bool | None = None,
        categories: Sequence[Category] | None = None,
        object_categories: Mapping[str, str | int] | None = None,
        table_booking_config: Mapping[str, Any] | None = None,
    ) -> None:
        """Set the given fields; the others stay. Setting values is idempotent, so it is repeated."""
        body: dict[str, Any] = {}
        if table_booking_config is not None:
            body["tableBookingConfig"] = dict(table_booking_config)
        if name is not None:
            body["name"] = name
        if for_sale_propagated is not None:
            body["forSalePropagated"] = for_sale_propagated
        if categories is not None:
            body["categories"] = [c.to_json() for c in categories]
        if object_categories is not None:
            # the update-season page: "to remove overriding categorization, pass in an empty array"
            body["objectCategories"] = dict(object_categories) if object_categories else []
        await self._conn.call(
            "POST",
            "/events/{key}",
            lane=Lane.REGULAR,
            repeatable=True,
            path={"key": key},
            body=body,
        )

    async def create_events(
        self,
        key: str,
        *,
        event_keys: Sequence[str] | None = None,
        number_of_events: int | None = None,
    ) -> list[Event]:
        """New events in the season (keys that do not exist yet), as seats.io created them."""
        body = _event_keys_or_count(event_keys, number_of_events)
        if not body:
            raise ValueError("give event_keys or number_of_events")
        created = await self._conn.call_parsed(
            _Created,
            "POST",
            "/seasons/{key}/actions/create-events",
            lane=Lane.REGULAR,
            repeatable=False,
            path={"key": key},
            body=body,
        )
        return created.events
