"""The base of the client's API groups: a connection and the request-size limits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from bridge.seatsio.chunking import SplitLimits
from bridge.seatsio.connection import Connection
from bridge.seatsio.models import Page

T = TypeVar("T")


class ApiGroup:
    """Calls of one area of the seats.io API, sharing the client's connection."""

    def __init__(self, connection: Connection, split: SplitLimits) -> None:
        self._conn = connection
        self._split = split


async def every_item(fetch: Callable[[int | None], Awaitable[Page[T]]]) -> AsyncIterator[T]:
    """The items of page after page, ``fetch(cursor)`` starting at None, until seats.io gives no
    next cursor (or an empty page)."""
    cursor: int | None = None
    while True:
        page = await fetch(cursor)
        for item in page.items:
            yield item
        if page.next_page_starts_after is None or not page.items:
            return
        cursor = page.next_page_starts_after
