"""Request bodies the fake seats.io accepts, as pydantic models, and their conversion to world values.

Fields are seats.io's camelCase names. Unknown fields are refused (400), so a misspelt field in
a client fails loudly instead of being silently ignored.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError
from pydantic.alias_generators import to_camel

from bridge.sandbox.seatsio_errors import invalid
from bridge.sandbox.seatsio_forsale import ForSaleConfig, ForSaleItem
from bridge.sandbox.seatsio_model import ChannelSpec, ObjectSpec, StatusChangeRequest

StatusChangeType = Literal[
    "CHANGE_STATUS_TO", "RELEASE", "OVERRIDE_SEASON_STATUS", "USE_SEASON_STATUS"
]


class Body(BaseModel):
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=False, frozen=True
    )


Model = TypeVar("Model", bound=Body)


def parse(model: type[Model], data: Any) -> Model:
    """Validate a decoded JSON body, or 400 VALIDATION_ERROR naming what is wrong."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
        )
        raise invalid(f"Invalid request body: {problems}") from None


# ---------------------------------------------------------------- status changes


class ObjectEntry(Body):
    object_id: str
    ticket_type: str | None = None
    extra_data: dict[str, Any] | None = None
    quantity: int | None = None


ObjectRef = str | ObjectEntry


class _StatusFields(Body):
    objects: list[ObjectRef]
    hold_token: str | None = None
    order_id: str | None = None
    keep_extra_data: bool = False
    ignore_channels: bool = False
    channel_keys: list[str] | None = None
    allowed_previous_statuses: list[str] | None = None
    rejected_previous_statuses: list[str] | None = None
    resale_listing_id: str | None = None

    def to_request(
        self, event_keys: tuple[str, ...], type_: str, status: str | None
    ) -> StatusChangeRequest:
        return StatusChangeRequest(
            event_keys=event_keys,
            objects=object_specs(self.objects),
            type=type_,
            status=status,
            hold_token=self.hold_token,
            order_id=self.order_id,
            keep_extra_data=self.keep_extra_data,
            ignore_channels=self.ignore_channels,
            channel_keys=_tuple(self.channel_keys),
            allowed_previous_statuses=_tuple(self.allowed_previous_statuses),
            rejected_previous_statuses=_tuple(self.rejected_previous_statuses),
            resale_listing_id=self.resale_listing_id,
        )


class ShorthandBody(_StatusFields):
    """book / release / hold / put-up-for-resale on one event: the status is in the path."""


class EventStatusChangeBody(_StatusFields):
    """change-object-status on one event (the key is in the path)."""

    type: Literal["CHANGE_STATUS_TO", "RELEASE"] = "CHANGE_STATUS_TO"
    status: str | None = None

    def for_event(self, key: str) -> StatusChangeRequest:
        return self.to_request((key,), self.type, self.status)


class GroupStatusChangeBody(EventStatusChangeBody):
    """change-object-status on several events (or seasons), all or nothing."""

    events: list[str] = Field(min_length=1)

    def request(self) -> StatusChangeRequest:
        return self.to_request(tuple(self.events), self.type, self.status)


class BatchItem(_StatusFields):
    event: str
    type: StatusChangeType = "CHANGE_STATUS_TO"
    status: str | None = None
    season: str | None = None

    def request(self) -> StatusChangeRequest:
        return self.to_request((self.event,), self.type, self.status)


class BatchBody(Body):
    status_changes: list[BatchItem] = Field(min_length=1)


class SeasonStatusBody(Body):
    """override-season-status / use-season-status on one event."""

    objects: list[ObjectRef]
    season: str | None = None


def _object_spec(ref: ObjectRef) -> ObjectSpec:
    if isinstance(ref, str):
        return ObjectSpec(ref)
    return ObjectSpec(ref.object_id, ref.ticket_type, ref.extra_data)


def object_specs(refs: list[ObjectRef]) -> tuple[ObjectSpec, ...]:
    return tuple(_object_spec(r) for r in refs)


def _tuple(values: list[str] | None) -> tuple[str, ...] | None:
    return tuple(values) if values is not None else None


# ---------------------------------------------------------------- channels


class ChannelBody(Body):
    key: str = Field(min_length=1)
    name: str = Field(min_length=1)
    color: str = "#888888"
    index: int | None = None
    objects: list[str] = []
    area_places: dict[str, int] = {}

    def spec(self) -> ChannelSpec:
        return ChannelSpec(
            self.key, self.name, self.color, self.index, tuple(self.objects), self.area_places
        )


class ReplaceChannelsBody(Body):
    channels: list[ChannelBody]


class UpdateChannelBody(Body):
    name: str | None = None
    color: str | None = None
    objects: list[str] | None = None
    area_places: dict[str, int] | None = None


class ChannelObjectsBody(Body):
    objects: list[str] = []
    area_places: dict[str, int] = {}


def channel_specs(data: Any) -> list[ChannelSpec]:
    """POST /events/{key}/channels takes one channel object or an array of them."""
    if isinstance(data, list):
        return [parse(ChannelBody, item).spec() for item in data]
    return [parse(ChannelBody, data).spec()]


# ---------------------------------------------------------------- for sale


class ForSaleConfigBody(Body):
    for_sale: bool
    objects: list[str] = []
    area_places: dict[str, int] = {}
    categories: list[str] = []

    def config(self) -> ForSaleConfig:
        return ForSaleConfig(
            self.for_sale, tuple(self.objects), dict(self.area_places), tuple(self.categories)
        )


class ForSaleItemBody(Body):
    object: str
    quantity: int | None = Field(default=None, ge=1)


class EditForSaleBody(Body):
    for_sale: list[ForSaleItemBody] = []
    not_for_sale: list[ForSaleItemBody] = []

    def items(self) -> tuple[list[ForSaleItem], list[ForSaleItem]]:
        return (
            [ForSaleItem(i.object, i.quantity) for i in self.for_sale],
            [ForSaleItem(i.object, i.quantity) for i in self.not_for_sale],
        )


class EditForSaleEventsBody(Body):
    events: dict[str, EditForSaleBody] = Field(min_length=1)


class MarkForSaleBody(Body):
    objects: list[str] = []
    area_places: dict[str, int] = {}
    categories: list[str] = []


# ---------------------------------------------------------------- events and seasons

#: A category key in ``objectCategories``: a chart's keys are numbers (``{"A-1": 10}`` in the SDK
#: tests) or strings; either is echoed as sent.
CategoryKey = StrictStr | StrictInt


class _EventFields(Body):
    name: str | None = None
    table_booking_config: dict[str, Any] | None = None
    categories: list[dict[str, Any]] | None = None
    object_categories: dict[str, CategoryKey] | None = None


class CreateEventBody(_EventFields):
    chart_key: str
    event_key: str | None = None
    date: str | None = None
    channels: list[ChannelBody] = []
    for_sale_config: ForSaleConfigBody | None = None


class CreateSeasonBody(_EventFields):
    chart_key: str
    key: str | None = None
    event_keys: list[str] | None = None
    number_of_events: int | None = None
    channels: list[ChannelBody] = []
    for_sale_config: ForSaleConfigBody | None = None
    for_sale_propagated: bool = True


class UpdateEventBody(Body):
    """Only the fields sent change; null (or an empty array) clears categories."""

    event_key: str | None = None
    name: str | None = None
    date: str | None = None
    table_booking_config: dict[str, Any] | None = None
    categories: list[dict[str, Any]] | None = None
    object_categories: dict[str, CategoryKey] | list[Any] | None = None
    for_sale_propagated: bool | None = None
    is_in_the_past: StrictBool | None = None


class CreateEventsInSeasonBody(Body):
    event_keys: list[str] | None = None
    number_of_events: int | None = None


class PartialSeasonBody(Body):
    key: str | None = None
    name: str | None = None
    event_keys: list[str] = []


class EventKeysBody(Body):
    event_keys: list[str] = Field(min_length=1)


class HoldTokenBody(Body):
    expires_in_minutes: int | None = Field(default=None, ge=1, le=120)


__all__ = [
    "BatchBody",
    "ChannelObjectsBody",
    "CreateEventBody",
    "CreateEventsInSeasonBody",
    "CreateSeasonBody",
    "EditForSaleBody",
    "EditForSaleEventsBody",
    "EventKeysBody",
    "EventStatusChangeBody",
    "GroupStatusChangeBody",
    "HoldTokenBody",
    "MarkForSaleBody",
    "PartialSeasonBody",
    "ReplaceChannelsBody",
    "SeasonStatusBody",
    "ShorthandBody",
    "UpdateChannelBody",
    "UpdateEventBody",
    "channel_specs",
    "object_specs",
    "parse",
]
