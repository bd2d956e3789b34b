"""The real Tessitura and seats.io clients behind the reader protocols of
:mod:`bridge.mapping.online` (which the tests satisfy with the in-process sandbox). Each reader
takes a client and closes it; :func:`bridge.runtime.open_sources` builds both from the config."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Generic, TypeVar

from bridge.closing import AsyncClosing
from bridge.errors import MalformedResponseError, NotFoundError, TerminalError
from bridge.mapping.online import EventFacts
from bridge.mapping.seat_table import TessituraSeat, TessituraSection
from bridge.seatsio.client import SeatsioClient
from bridge.tessitura.client import TessituraClient

#: Section id given to a seat Tessitura sends without one: reported as an unknown section.
NO_SECTION = -1

ClientT = TypeVar("ClientT", bound=AsyncClosing)


class _ClientReader(AsyncClosing, Generic[ClientT]):
    """A reader over one client, which it closes."""

    def __init__(self, client: ClientT) -> None:
        self.client = client

    async def aclose(self) -> None:
        await self.client.aclose()


class TessituraReader(_ClientReader[TessituraClient]):
    """Tessitura reads for the online checks, over a :class:`TessituraClient`."""

    async def seat_map_of(self, performance_id: int) -> int:
        performance = await self.client.performance(performance_id)
        if performance.seat_map_id is None:
            raise MalformedResponseError(
                f"performance {performance_id} names no Facility.SeatMap.Id", vendor="Tessitura"
            )
        return performance.seat_map_id

    async def sections(self, seat_map_id: int) -> Sequence[TessituraSection]:
        return [
            TessituraSection(
                id=s.id,
                description=s.description or "",
                short=s.short_desc or "",
                legend=s.section_legend or "",
                print_desc=s.print_desc or "",
            )
            for s in await self.client.sections(seat_map_id)
        ]

    async def seats(self, performance_id: int) -> Sequence[TessituraSeat]:
        return [
            TessituraSeat(
                seat_id=s.id,
                section_id=s.section_id if s.section_id is not None else NO_SECTION,
                row=s.seat_row,
                number=s.seat_number,
                is_seat=s.is_seat,
            )
            for s in await self.client.seats(performance_id)
        ]

    async def hold_code_exists(self, hold_code_id: int) -> bool:
        try:
            await self.client.hold_code(hold_code_id)
        except NotFoundError:
            return False
        return True


class SeatsioReader(_ClientReader[SeatsioClient]):
    """seats.io reads for the online checks, over a :class:`SeatsioClient`."""

    async def event(self, key: str) -> EventFacts | None:
        try:
            event = await self.client.events.retrieve(key)
        except NotFoundError:
            return None
        return EventFacts(key=event.key, season_key=event.top_level_season_key)

    async def season_exists(self, key: str) -> bool:
        try:
            await self.client.seasons.retrieve(key)
        except (NotFoundError, TerminalError):  # TerminalError: the key is a plain event
            return False
        return True

    async def object_labels(self, event_key: str) -> Collection[str]:
        return frozenset(await self.client.reports.by_label(event_key))
