"""The base of the client's API groups: a connection and the request-size limits."""

from __future__ import annotations

from bridge.seatsio.chunking import SplitLimits
from bridge.seatsio.connection import Connection


class ApiGroup:
    """Calls of one area of the seats.io API, sharing the client's connection."""

    def __init__(self, connection: Connection, split: SplitLimits) -> None:
        self._conn = connection
        self._split = split
