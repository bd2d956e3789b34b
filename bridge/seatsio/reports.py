"""Reads of object state: object infos (priority lane), detailed reports and status-change
history (regular lane). All reads are repeated on passing failures.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, TypeAdapter

from bridge.seatsio._group import ApiGroup, every_item
from bridge.seatsio.chunking import label_reads
from bridge.seatsio.lanes import Lane
from bridge.seatsio.models import EventObjectInfo, Page, StatusChangeEntry

_Infos = TypeAdapter(dict[str, EventObjectInfo])
_Report = TypeAdapter(dict[str, list[EventObjectInfo]])
_History = TypeAdapter(Page[StatusChangeEntry])
T = TypeVar("T")


class _Group(BaseModel):
    """One group of a report summary: how many objects it has (the breakdowns are not read)."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)

    count: int


_Summary = TypeAdapter(dict[str, _Group])


class ReportsApi(ApiGroup):
    """What seats.io says about the objects of an event right now, and how they got there."""

    async def object_infos(
        self, event_key: str, labels: Sequence[str]
    ) -> dict[str, EventObjectInfo]:
        """The named objects by label, read in parts bounded by the split limits' label count and
        query bytes, concurrently (the priority lane bounds how many at once)."""
        if isinstance(labels, str):
            raise TypeError("labels must be a sequence of labels, not one string")
        if not labels:
            return {}
        parts = label_reads(labels, self._split)
        tasks = [asyncio.ensure_future(self._object_infos(event_key, part)) for part in parts]
        try:
            found = await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:  # one part failed: the whole read has, stop the others
                task.cancel()
            raise
        merged: dict[str, EventObjectInfo] = {}
        for infos in found:
            merged.update(infos)
        return merged

    async def by_status(
        self, event_key: str, status: str | None = None
    ) -> dict[str, list[EventObjectInfo]]:
        """Every object grouped by status, or only the group of ``status``."""
        return await self._detailed(event_key, "byStatus", status)

    async def status_counts(self, event_key: str) -> dict[str, int]:
        """How many objects the event has in each status (the by-status summary: one small
        answer). A status with no object is left out, as seats.io does, so read it as 0."""
        summary = await self._read(_Summary, "/reports/events/{key}/byStatus/summary", event_key)
        return {status: group.count for status, group in summary.items()}

    async def by_channel(
        self, event_key: str, channel_key: str | None = None
    ) -> dict[str, list[EventObjectInfo]]:
        """Every object grouped by channel key (``NO_CHANNEL`` for the rest), or one group."""
        return await self._detailed(event_key, "byChannel", channel_key)

    async def by_label(
        self, event_key: str, label: str | None = None
    ) -> dict[str, list[EventObjectInfo]]:
        """Every object keyed by label, or only ``label``."""
        return await self._detailed(event_key, "byLabel", label)

    async def status_changes_page(
        self,
        event_key: str,
        *,
        limit: int | None = None,
        start_after_id: int | None = None,
        filter: str | None = None,
    ) -> Page[StatusChangeEntry]:
        """One page of the event's status changes, newest first (seconds behind reality)."""
        params: dict[str, Any] = {}
        if limit is not None:
            params["limit"] = limit
        if start_after_id is not None:
            params["start_after_id"] = start_after_id
        if filter is not None:
            params["filter"] = filter
        return await self._read(_History, "/events/{key}/status-changes", event_key, params)

    async def iter_status_changes(
        self, event_key: str, *, page_size: int | None = None, filter: str | None = None
    ) -> AsyncIterator[StatusChangeEntry]:
        """Every status change of the event, newest first, page after page."""
        async for item in every_item(
            lambda cursor: self.status_changes_page(
                event_key, limit=page_size, start_after_id=cursor, filter=filter
            )
        ):
            yield item

    async def _object_infos(
        self, event_key: str, labels: Sequence[str]
    ) -> dict[str, EventObjectInfo]:
        params = {"label": list(labels)}
        return await self._read(_Infos, "/events/{key}/objects", event_key, params, Lane.PRIORITY)

    async def _read(
        self,
        adapter: TypeAdapter[T],
        template: str,
        event_key: str,
        params: Mapping[str, Any] | None = None,
        lane: Lane = Lane.REGULAR,
    ) -> T:
        """One repeatable GET of an event's report or list, parsed."""
        return await self._conn.call_parsed(
            adapter,
            "GET",
            template,
            lane=lane,
            repeatable=True,
            path={"key": event_key},
            params=dict(params) if params is not None else None,
        )

    async def _detailed(
        self, event_key: str, kind: str, group: str | None
    ) -> dict[str, list[EventObjectInfo]]:
        template = "/reports/events/{key}/" + kind + ("" if group is None else "/{group}")
        path = {"key": event_key} if group is None else {"key": event_key, "group": group}
        return await self._conn.call_parsed(
            _Report, "GET", template, lane=Lane.REGULAR, repeatable=True, path=path
        )
