"""Channels of an event or season (all on the regular lane).

Events in a season cannot have channels of their own; pass the season's key for them.
Object add/remove are set operations (a repeat changes nothing) and are repeated after a failure,
except when they carry ``area_places``: removing places decrements a count, so a repeat would not be
harmless. Replace and update set values and are repeated; add and remove of a whole channel are not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bridge.seatsio._group import ApiGroup
from bridge.seatsio.chunking import chunked
from bridge.seatsio.lanes import Lane
from bridge.seatsio.requests import ChannelSpec

_OBJECTS = "/events/{key}/channels/{channel}/objects"


def _labels(objects: Sequence[str]) -> Sequence[str]:
    if isinstance(objects, str):
        raise TypeError("objects must be a sequence of labels, not one string")
    return objects


class ChannelsApi(ApiGroup):
    """Add, change and remove channels and the objects assigned to them."""

    async def add(self, event_key: str, channel: ChannelSpec) -> None:
        """A new channel; seats.io refuses a key that exists. Not repeated on an unknown outcome."""
        await self._conn.call(
            "POST",
            "/events/{key}/channels",
            lane=Lane.REGULAR,
            repeatable=False,
            path={"key": event_key},
            body=channel.to_json(),
        )

    async def add_many(self, event_key: str, channels: Sequence[ChannelSpec]) -> None:
        """Several new channels in one call."""
        if not channels:
            return
        await self._conn.call(
            "POST",
            "/events/{key}/channels",
            lane=Lane.REGULAR,
            repeatable=False,
            path={"key": event_key},
            body=[c.to_json() for c in channels],
        )

    async def update(
        self,
        event_key: str,
        channel_key: str,
        *,
        name: str | None = None,
        color: str | None = None,
        objects: Sequence[str] | None = None,
        area_places: Mapping[str, int] | None = None,
    ) -> None:
        """Set the given fields; ``objects`` *replaces* the channel's objects (``[]`` empties it)."""
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if color is not None:
            body["color"] = color
        if objects is not None:
            body["objects"] = list(_labels(objects))
        if area_places is not None:
            body["areaPlaces"] = dict(area_places)
        await self._conn.call(
            "POST",
            "/events/{key}/channels/{channel}",
            lane=Lane.REGULAR,
            repeatable=True,
            path={"key": event_key, "channel": channel_key},
            body=body,
        )

    async def remove(self, event_key: str, channel_key: str) -> None:
        """Delete the channel; its objects go back to no channel."""
        await self._conn.call(
            "DELETE",
            "/events/{key}/channels/{channel}",
            lane=Lane.REGULAR,
            repeatable=False,
            path={"key": event_key, "channel": channel_key},
        )

    async def add_objects(
        self,
        event_key: str,
        channel_key: str,
        objects: Sequence[str],
        *,
        area_places: Mapping[str, int] | None = None,
    ) -> None:
        """Assign objects (moving them out of any other channel), in parts if there are many."""
        await self._objects("POST", event_key, channel_key, objects, area_places)

    async def remove_objects(
        self,
        event_key: str,
        channel_key: str,
        objects: Sequence[str],
        *,
        area_places: Mapping[str, int] | None = None,
    ) -> None:
        """Unassign objects; ``area_places`` counts are *subtracted* from the channel's."""
        await self._objects("DELETE", event_key, channel_key, objects, area_places)

    async def replace(self, event_key: str, channels: Sequence[ChannelSpec]) -> None:
        """Make these the event's only channels, object assignments included. One call, unsplit."""
        await self._conn.call(
            "POST",
            "/events/{key}/channels/replace",
            lane=Lane.REGULAR,
            repeatable=True,
            path={"key": event_key},
            body={"channels": [c.to_json() for c in channels]},
        )

    async def _objects(
        self,
        method: str,
        event_key: str,
        channel_key: str,
        objects: Sequence[str],
        area_places: Mapping[str, int] | None,
    ) -> None:
        labels = _labels(objects)
        if not labels and not area_places:
            return
        for i, part in enumerate(chunked(labels, self._split.objects_per_request)):
            body: dict[str, Any] = {"objects": list(part)}
            if area_places and i == 0:
                body["areaPlaces"] = dict(area_places)
            await self._conn.call(
                method,
                _OBJECTS,
                lane=Lane.REGULAR,
                repeatable=not (area_places and i == 0),
                path={"key": event_key, "channel": channel_key},
                body=body,
            )
