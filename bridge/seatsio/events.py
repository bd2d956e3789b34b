"""Events: list, retrieve, create (all on the regular lane)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from pydantic import TypeAdapter

from bridge.seatsio._group import ApiGroup, every_item
from bridge.seatsio.lanes import Lane
from bridge.seatsio.models import Event, ForSaleConfig, Page
from bridge.seatsio.requests import ChannelSpec, new_event_json

_EventPage = TypeAdapter(Page[Event])
_Event = TypeAdapter(Event)


class EventsApi(ApiGroup):
    """The events of the workspace."""

    async def list_page(
        self, *, limit: int | None = None, start_after_id: int | None = None
    ) -> Page[Event]:
        """One page of events; pass the previous page's ``next_page_starts_after`` to go on."""
        params: dict[str, Any] = {}
        if limit is not None:
            params["limit"] = limit
        if start_after_id is not None:
            params["start_after_id"] = start_after_id
        return await self._conn.call_parsed(
            _EventPage, "GET", "/events", lane=Lane.REGULAR, repeatable=True, params=params
        )

    async def iter_all(self, *, page_size: int | None = None) -> AsyncIterator[Event]:
        """Every event, page after page, until seats.io gives no next cursor."""
        async for event in every_item(
            lambda cursor: self.list_page(limit=page_size, start_after_id=cursor)
        ):
            yield event

    async def retrieve(self, key: str) -> Event:
        """The event or season with its channels, for-sale config and season membership."""
        return await self._conn.call_parsed(
            _Event, "GET", "/events/{key}", lane=Lane.REGULAR, repeatable=True, path={"key": key}
        )

    async def create(
        self,
        chart_key: str,
        *,
        key: str | None = None,
        name: str | None = None,
        channels: Sequence[ChannelSpec] | None = None,
        for_sale_config: ForSaleConfig | None = None,
    ) -> Event:
        """A new event on ``chart_key``. Not repeated on an unknown outcome: re-read by key."""
        body: dict[str, Any] = {"chartKey": chart_key}
        if key is not None:
            body["eventKey"] = key
        body.update(new_event_json(name, channels, for_sale_config))
        return await self._conn.call_parsed(
            _Event, "POST", "/events", lane=Lane.REGULAR, repeatable=False, body=body
        )
