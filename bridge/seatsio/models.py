"""What the bridge reads from seats.io, as typed values; unknown fields are ignored.

seats.io speaks camelCase; fields here are snake_case with camelCase aliases (both accepted).
A season is an event with ``is_season`` set and the season-only fields filled, as in the API.

Validation is strict: a key, label, status, id or flag of the wrong JSON type (``1`` for a label,
``"1"`` or ``true`` for an id, ``"false"`` for a flag) makes the answer malformed; nothing is
coerced. Dates are ISO-8601 strings with ``Z`` or an offset; one without is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
)
from pydantic.alias_generators import to_camel

from bridge.errors import MalformedResponseError, validation_summary
from bridge.timestamps import aware

T = TypeVar("T")


def _timestamp(value: Any) -> Any:
    """An ISO-8601 string with ``Z`` or an offset as a datetime; anything else is left to strict
    validation, which refuses it."""
    return aware(value) if isinstance(value, str) else value


Timestamp = Annotated[datetime, BeforeValidator(_timestamp)]


class SeatsioModel(BaseModel):
    """Base of every payload model: camelCase on the wire, extra fields ignored, immutable, and
    no type coercion."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        frozen=True,
        strict=True,
    )


class Channel(SeatsioModel):
    """A sales channel of an event or season: its objects only sell with its key."""

    key: str
    name: str | None = None
    id: str | None = None
    color: str | None = None
    index: int | None = None
    objects: list[str] = []
    area_places: dict[str, int] = {}


class ForSaleConfig(SeatsioModel):
    """``for_sale`` False: the listed objects/places/categories are NOT for sale (and vice versa)."""

    for_sale: bool
    objects: list[str] = []
    area_places: dict[str, int] = {}
    categories: list[str] = []


class TableBookingConfig(SeatsioModel):
    """How an event's or season's tables book: ``mode`` INHERIT, CUSTOM (with ``tables``, label ->
    BY_TABLE | BY_SEAT), ALL_BY_SEAT or ALL_BY_TABLE."""

    mode: str
    tables: dict[str, str] | None = None


class EventCategory(SeatsioModel):
    """A category as an event or season lists it: the chart's, then the event's own. A chart's
    numeric keys come back as JSON numbers."""

    key: str | int
    label: str
    color: str
    accessible: bool | None = None


class SeasonData(SeatsioModel):
    """The ``season`` block of an event in a season: the season's config as it applies here."""

    key: str | None = None
    for_sale_config: ForSaleConfig | None = None


class Event(SeatsioModel):
    """An event or a season (``is_season``); channels and for-sale config are what the bridge diffs."""

    key: str = Field(validation_alias=AliasChoices("key", "eventKey"))
    id: int | None = None
    name: str | None = None
    chart_key: str | None = None
    table_booking_config: TableBookingConfig | None = None
    channels: list[Channel] = []
    for_sale_config: ForSaleConfig | None = None
    is_event_in_season: bool = False
    top_level_season_key: str | None = None
    partial_season_keys_for_event: list[str] = []
    is_season: bool = False
    is_top_level_season: bool = False
    is_partial_season: bool = False
    season: SeasonData | None = None
    categories: list[EventCategory] = []
    object_categories: dict[str, str | int] | None = None
    # Season only:
    events: list[Event] = []
    partial_season_keys: list[str] = []
    for_sale_propagated: bool | None = None
    created_on: Timestamp | None = None
    updated_on: Timestamp | None = None

    def channel(self, key: str) -> Channel | None:
        """The channel with ``key``, if the event has it."""
        return next((c for c in self.channels if c.key == key), None)


Season = Event
"""Seasons are events in seats.io; the alias names intent at call sites."""


class EventObjectInfo(SeatsioModel):
    """The state of one object (seat, table, booth, GA area) in one event."""

    label: str
    status: str | None = None
    channel: str | None = None
    for_sale: bool | None = None
    object_type: str | None = None
    order_id: str | None = None
    hold_token: str | None = None
    extra_data: dict[str, Any] | None = None
    ticket_type: str | None = None
    category_key: str | int | None = None
    category_label: str | None = None
    is_available: bool | None = None
    availability_reason: str | None = None
    section: str | None = None
    capacity: int | None = None
    num_booked: int | None = None
    num_free: int | None = None
    num_held: int | None = None
    num_not_for_sale: int | None = None


class RateLimitInfo(SeatsioModel):
    """The daily budget of restricting for-sale edits left on an event."""

    rate_limit_remaining_calls: int | None = None
    rate_limit_reset_date: Timestamp | None = None


class EditForSaleConfigResult(SeatsioModel):
    """The event's for-sale config after an edit, and the budget left for today."""

    for_sale_config: ForSaleConfig | None = None
    rate_limit_info: RateLimitInfo | None = None


class ChangeObjectStatusResult(SeatsioModel):
    """The objects a status change touched, as they are afterwards (``expand=objects``)."""

    objects: dict[str, EventObjectInfo] = {}


class StatusChangeOrigin(SeatsioModel):
    type: str | None = None
    ip: str | None = None


class StatusChangeEntry(SeatsioModel):
    """One entry of an event's status-change history (eventually consistent, seconds behind)."""

    id: int
    event_id: int | None = None
    status: str | None = None
    quantity: int | None = None
    object_label: str | None = None
    date: Timestamp | None = None
    order_id: str | None = None
    extra_data: dict[str, Any] | None = None
    hold_token: str | None = None
    origin: StatusChangeOrigin | None = None
    is_present_on_chart: bool | None = None
    not_present_on_chart_reason: str | None = None


class Page(BaseModel, Generic[T]):
    """One page of a list endpoint; cursors are the ids of the last and first item."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)

    items: list[T] = []
    next_page_starts_after: int | None = None
    previous_page_ends_before: int | None = None


def parse(
    adapter: TypeAdapter[T],
    data: Any,
    what: str | Callable[[], str],
    *,
    status: int | None = None,
    applied: bool = False,
) -> T:
    """``data`` validated as ``adapter``'s type; otherwise a MalformedResponseError naming
    ``what`` (the concrete request, ``GET /events/perf-101``) and, in one line, the first field
    that is wrong; ``applied``: the request was a write, and it was applied."""
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        what = what() if callable(what) else what  # built only for an error: a long URL is costly
        raise MalformedResponseError(
            f"{what}: unexpected response shape: {validation_summary(exc, 'answer')}"
            + ("; the change was applied" if applied else ""),
            vendor="seats.io",
            status=status,
            body=str(data)[:4000],
        ) from None
