"""The plain values the fake seats.io keeps: chart objects, object states, channels, events, logs.

Records are mutable where seats.io mutates them (an event's channels, its object states); object
states are frozen so a transaction can undo a change by putting the old value back.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from bridge.sandbox.seatsio_forsale import ForSaleConfig

FREE = "free"
BOOKED = "booked"
HELD = "reservedByToken"
RESALE = "resale"
NO_CHANNEL = "NO_CHANNEL"


@dataclass(frozen=True, slots=True)
class ChartObject:
    """A bookable seat on the chart; its category is its section."""

    label: str
    section: str
    row: str
    number: str
    category_key: str
    category_label: str
    accessible: bool = False
    left_neighbour: str | None = None
    right_neighbour: str | None = None
    object_type: str = "seat"
    #: what the chart shows buyers when it differs from the label (the designer's "displayed
    #: label"); None: the label itself. The sandbox's venues give none.
    displayed_label: str | None = None


@dataclass(frozen=True, slots=True)
class Category:
    key: str
    label: str
    color: str
    accessible: bool = False


@dataclass(frozen=True, slots=True)
class Chart:
    key: str
    name: str
    objects: Mapping[str, ChartObject]
    categories: tuple[Category, ...]


@dataclass(frozen=True, slots=True)
class ObjectState:
    """What one event says about one object; the default value means "free, nothing attached".

    ``selectable``: the buyable status (free or resale) a RELEASE returns the object to. A free
    object may still carry an ``order_id``: a RELEASE keeps it (seatsio-python release tests).
    """

    status: str = FREE
    order_id: str | None = None
    extra_data: Mapping[str, Any] | None = None
    hold_token: str | None = None
    ticket_type: str | None = None
    resale_listing_id: str | None = None
    selectable: str = FREE


FREE_STATE = ObjectState()


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """A channel as a request describes it (the server adds its ``id``)."""

    key: str
    name: str
    color: str = "#888888"
    index: int | None = None
    objects: tuple[str, ...] = ()
    area_places: Mapping[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Channel:
    id: str
    key: str
    name: str
    color: str
    index: int | None
    objects: list[str] = field(default_factory=list)
    area_places: dict[str, int] = field(default_factory=dict)


class EventKind(Enum):
    EVENT = "event"
    SEASON = "season"
    PARTIAL_SEASON = "partial_season"


@dataclass(slots=True)
class Event:
    """An event, a top-level season or a partial season (seats.io: "a season is an event").

    ``season_id`` links an event or a partial season to its top-level season; a season's
    ``member_ids`` are its events (for a partial season: the subset it groups).
    """

    id: int
    key: str
    name: str | None
    chart_key: str
    kind: EventKind
    created_on: datetime
    updated_on: datetime | None = None
    season_id: int | None = None
    member_ids: list[int] = field(default_factory=list)
    partial_season_ids: list[int] = field(default_factory=list)
    channels: list[Channel] = field(default_factory=list)
    for_sale_config: ForSaleConfig | None = None
    for_sale_propagated: bool = True
    table_booking_config: dict[str, Any] = field(default_factory=lambda: {"mode": "INHERIT"})
    categories: list[dict[str, Any]] = field(default_factory=list)
    #: label -> category key, as sent: a number or a string (seats.io echoes either)
    object_categories: dict[str, str | int] = field(default_factory=dict)
    states: dict[str, ObjectState] = field(default_factory=dict)
    overridden: set[str] = field(default_factory=set)
    #: ``YYYY-MM-DD`` or None; stored and returned as sent
    date: str | None = None
    is_in_the_past: bool = False

    @property
    def is_season(self) -> bool:
        return self.kind is not EventKind.EVENT

    @property
    def in_season(self) -> bool:
        """An event of a season: it cannot carry channels of its own."""
        return self.kind is EventKind.EVENT and self.season_id is not None

    def channel_of(self, label: str) -> Channel | None:
        return next((c for c in self.channels if label in c.objects), None)

    def channel(self, key: str) -> Channel | None:
        return next((c for c in self.channels if c.key == key), None)


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One entry of an event's status-change log (newest first when listed).

    ``delay``: how long after ``date`` the entry shows in the HTTP listings (seats.io processes
    status changes asynchronously); the id is given when the change is made.
    """

    id: int
    event_id: int
    status: str
    object_label: str
    date: datetime
    order_id: str | None
    extra_data: Mapping[str, Any] | None
    hold_token: str | None
    #: the object's displayed label when the change was made (seatsio-js listAllStatusChanges
    #: "properties of status changes": ``displayedLabel`` is ``A-1`` for ``A-1``)
    displayed_label: str = ""
    delay: timedelta = timedelta(0)

    @property
    def visible_at(self) -> datetime:
        """When the entry starts showing in ``GET .../status-changes``."""
        return self.date + self.delay


@dataclass(slots=True)
class HoldToken:
    token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class ObjectView:
    """One object of one event as a reader sees it: what object infos and reports are built from."""

    object: ChartObject
    state: ObjectState
    category_key: str
    category_label: str
    channel: str | None
    for_sale: bool
    season_status_overridden: bool | None

    @property
    def status(self) -> str:
        return self.state.status

    @property
    def is_available(self) -> bool:
        """Selectable by a buyer with no channel key aside: free (or in resale) and for sale."""
        return self.for_sale and self.state.status in (FREE, RESALE)

    @property
    def availability_reason(self) -> str:
        """``available``, else the status; ``not_for_sale`` only for a free object. Docs (event
        reports, by availability reason): "Objects that have a non-free status AND are marked
        as not for sale get that custom status as availability reason (instead of not_for_sale)"."""
        if self.is_available:
            return "available"
        return self.state.status if self.state.status != FREE else "not_for_sale"


@dataclass(frozen=True, slots=True)
class ObjectSpec:
    """One object named in a status change: a label, maybe with a ticket type or extra data."""

    label: str
    ticket_type: str | None = None
    extra_data: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class StatusChangeRequest:
    """One status change on one or more events, as the world applies it."""

    event_keys: tuple[str, ...]
    objects: tuple[ObjectSpec, ...]
    type: str = "CHANGE_STATUS_TO"
    status: str | None = None
    hold_token: str | None = None
    order_id: str | None = None
    keep_extra_data: bool = False
    ignore_channels: bool = False
    channel_keys: tuple[str, ...] | None = None
    allowed_previous_statuses: tuple[str, ...] | None = None
    rejected_previous_statuses: tuple[str, ...] | None = None
    resale_listing_id: str | None = None

    def labels(self) -> Iterator[str]:
        return (o.label for o in self.objects)
