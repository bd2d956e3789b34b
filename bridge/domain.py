"""Plain values that cross module boundaries: what Tessitura holds, what the bridge owns.

Frozen dataclasses, no I/O, no vendor payloads: the clients translate into these, the core reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class SeatHold:
    """One hold layer on one Tessitura seat (priority 1 is the top layer)."""

    seat_id: int
    hold_code_id: int
    priority: int = 1
    end_date: datetime | None = None


@dataclass(frozen=True, slots=True)
class HoldSnapshot:
    """Every hold layer of one performance, as read in one call, with the seat map it refers to."""

    performance_id: int
    seat_map_id: int
    holds: tuple[SeatHold, ...]
    taken_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class WritebackHold:
    """The bridge put its write-back hold code on ``seat_id`` of ``performance_id`` (Tessitura)
    because seats.io shows ``label`` of ``event_key`` sold online: the write-back ledger's row.

    Claimed before the hold is sent (write-ahead), forgotten only after the seat's layer is
    lifted or seen gone, so a crash leaves the ledger claiming at most what may have landed."""

    performance_id: int
    seat_id: int
    label: str
    event_key: str
    hold_code_id: int
    since: datetime | None = None


class Ownership(StrEnum):
    """How the bridge holds an object in seats.io."""

    CHANNEL = "channel"
    STATUS = "status"
    NOT_FOR_SALE = "not_for_sale"


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """The bridge put ``label`` of ``event_key`` (an event or a season) into ``target``.

    ``target`` is the channel key, the custom status, or "" for not-for-sale.
    """

    event_key: str
    label: str
    ownership: Ownership
    target: str
    since: datetime | None = None
    performance_id: int | None = None


class SeasonPolicy(StrEnum):
    """When a seat enters a season channel: held in every performance (ALL) or in any (ANY)."""

    ALL = "all"
    ANY = "any"
