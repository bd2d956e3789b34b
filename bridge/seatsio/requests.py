"""What the bridge asks seats.io to do, as immutable values that render their own JSON bodies.

Unlike the official SDK, empty lists and zero values are sent as given (``objects: []`` empties a
channel, ``index: 0`` is kept); only fields left as None are omitted. Sequences keep the caller's
order, so the same value always renders the same requests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, TypedDict, Unpack

from bridge.seatsio.models import ForSaleConfig


def _strings(values: Sequence[str], what: str) -> tuple[str, ...]:
    if isinstance(values, str):
        raise TypeError(f"{what} must be a sequence of strings, not one string")
    return tuple(values)


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """One object by label; ``quantity`` counts places in a GA area."""

    label: str
    quantity: int | None = None

    def status_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"objectId": self.label}
        if self.quantity is not None:
            body["quantity"] = self.quantity
        return body

    def for_sale_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"object": self.label}
        if self.quantity is not None:
            body["quantity"] = self.quantity
        return body


def object_refs(objects: Sequence[str | ObjectRef]) -> tuple[ObjectRef, ...]:
    """Labels or refs as refs, in order."""
    if isinstance(objects, str):
        raise TypeError("objects must be a sequence of labels, not one string")
    return tuple(o if isinstance(o, ObjectRef) else ObjectRef(o) for o in objects)


class StatusChangeType(StrEnum):
    CHANGE_STATUS_TO = "CHANGE_STATUS_TO"
    RELEASE = "RELEASE"


class StatusChangeOptions(TypedDict, total=False):
    """The optional keywords of :meth:`StatusChangeRequest.change_to` and ``release``."""

    allowed_previous_statuses: Sequence[str] | None
    rejected_previous_statuses: Sequence[str] | None
    channel_keys: Sequence[str] | None
    ignore_channels: bool | None
    keep_extra_data: bool | None
    order_id: str | None


@dataclass(frozen=True, slots=True)
class StatusChangeRequest:
    """One status change of some objects in one or more events (or seasons).

    Conditional when ``allowed_previous_statuses`` is set: seats.io then refuses the whole change
    with ILLEGAL_STATUS_CHANGE if any object is in another status, so a repeat cannot overwrite a
    sale made in between. Build with :meth:`change_to` or :meth:`release`.
    """

    events: tuple[str, ...]
    objects: tuple[ObjectRef, ...]
    type: StatusChangeType = StatusChangeType.CHANGE_STATUS_TO
    status: str | None = None
    allowed_previous_statuses: tuple[str, ...] | None = None
    rejected_previous_statuses: tuple[str, ...] | None = None
    channel_keys: tuple[str, ...] | None = None
    ignore_channels: bool | None = None
    keep_extra_data: bool | None = None
    order_id: str | None = None

    def __post_init__(self) -> None:
        if not self.events:
            raise ValueError("a status change needs at least one event")
        if self.type is StatusChangeType.CHANGE_STATUS_TO and not self.status:
            raise ValueError("CHANGE_STATUS_TO needs a status")
        if self.type is StatusChangeType.RELEASE and self.status is not None:
            raise ValueError("RELEASE takes no status")
        if self.ignore_channels and self.channel_keys:
            raise ValueError("ignore_channels and channel_keys exclude each other")

    @classmethod
    def change_to(
        cls,
        status: str,
        events: Sequence[str],
        objects: Sequence[str | ObjectRef],
        **options: Unpack[StatusChangeOptions],
    ) -> StatusChangeRequest:
        return cls._of(StatusChangeType.CHANGE_STATUS_TO, status, events, objects, **options)

    @classmethod
    def release(
        cls,
        events: Sequence[str],
        objects: Sequence[str | ObjectRef],
        **options: Unpack[StatusChangeOptions],
    ) -> StatusChangeRequest:
        return cls._of(StatusChangeType.RELEASE, None, events, objects, **options)

    @classmethod
    def _of(
        cls,
        type: StatusChangeType,
        status: str | None,
        events: Sequence[str],
        objects: Sequence[str | ObjectRef],
        *,
        allowed_previous_statuses: Sequence[str] | None = None,
        rejected_previous_statuses: Sequence[str] | None = None,
        channel_keys: Sequence[str] | None = None,
        ignore_channels: bool | None = None,
        keep_extra_data: bool | None = None,
        order_id: str | None = None,
    ) -> StatusChangeRequest:
        return cls(
            events=_strings(events, "events"),
            objects=object_refs(objects),
            type=type,
            status=status,
            allowed_previous_statuses=_opt(allowed_previous_statuses, "allowed_previous_statuses"),
            rejected_previous_statuses=_opt(
                rejected_previous_statuses, "rejected_previous_statuses"
            ),
            channel_keys=_opt(channel_keys, "channel_keys"),
            ignore_channels=ignore_channels,
            keep_extra_data=keep_extra_data,
            order_id=order_id,
        )

    @property
    def is_conditional(self) -> bool:
        """A repeat of this change cannot overwrite a status it did not expect."""
        return bool(self.allowed_previous_statuses)

    def with_objects(self, objects: Sequence[ObjectRef]) -> StatusChangeRequest:
        return replace(self, objects=tuple(objects))

    def to_json(self, *, batch: bool = False) -> dict[str, Any]:
        """The group form (``events: [...]``) or, for ``batch``, one ``statusChanges`` item."""
        body: dict[str, Any] = {"type": self.type.value}
        if batch:
            if len(self.events) != 1:
                raise ValueError("a batch status change names exactly one event")
            body["event"] = self.events[0]
        else:
            body["events"] = list(self.events)
        body["objects"] = [o.status_json() for o in self.objects]
        optional: dict[str, Any] = {
            "status": self.status,
            "allowedPreviousStatuses": _list(self.allowed_previous_statuses),
            "rejectedPreviousStatuses": _list(self.rejected_previous_statuses),
            "channelKeys": _list(self.channel_keys),
            "ignoreChannels": self.ignore_channels,
            "keepExtraData": self.keep_extra_data,
            "orderId": self.order_id,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        return body


@dataclass(frozen=True, slots=True)
class ForSaleEdit:
    """An incremental for-sale edit of one event: places to mark for sale and not for sale."""

    for_sale: tuple[ObjectRef, ...] = ()
    not_for_sale: tuple[ObjectRef, ...] = ()

    @classmethod
    def of(
        cls,
        for_sale: Sequence[str | ObjectRef] = (),
        not_for_sale: Sequence[str | ObjectRef] = (),
    ) -> ForSaleEdit:
        return cls(object_refs(for_sale), object_refs(not_for_sale))

    @property
    def size(self) -> int:
        return len(self.for_sale) + len(self.not_for_sale)

    def to_json(self) -> dict[str, Any]:
        """Empty lists are left out, as the official SDK does."""
        body: dict[str, Any] = {}
        if self.for_sale:
            body["forSale"] = [o.for_sale_json() for o in self.for_sale]
        if self.not_for_sale:
            body["notForSale"] = [o.for_sale_json() for o in self.not_for_sale]
        return body


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """A channel as the bridge wants it: key and name required, the rest as configured."""

    key: str
    name: str
    color: str | None = None
    index: int | None = None
    objects: tuple[str, ...] = ()
    area_places: Mapping[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"key": self.key, "name": self.name}
        if self.color is not None:
            body["color"] = self.color
        if self.index is not None:
            body["index"] = self.index
        body["objects"] = list(self.objects)
        if self.area_places:
            body["areaPlaces"] = dict(self.area_places)
        return body


@dataclass(frozen=True, slots=True)
class Category:
    """An event-level category (update season)."""

    key: str | int
    label: str
    color: str
    accessible: bool | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"key": self.key, "label": self.label, "color": self.color}
        if self.accessible is not None:
            body["accessible"] = self.accessible
        return body


def for_sale_config_json(config: ForSaleConfig) -> dict[str, Any]:
    return config.model_dump(by_alias=True, mode="json")


def new_event_json(
    name: str | None,
    channels: Sequence[ChannelSpec] | None,
    for_sale_config: ForSaleConfig | None,
) -> dict[str, Any]:
    """The fields an event and a season are both created with, those given."""
    body: dict[str, Any] = {}
    if name is not None:
        body["name"] = name
    if channels is not None:
        body["channels"] = [c.to_json() for c in channels]
    if for_sale_config is not None:
        body["forSaleConfig"] = for_sale_config_json(for_sale_config)
    return body


def _opt(values: Sequence[str] | None, what: str) -> tuple[str, ...] | None:
    return None if values is None else _strings(values, what)


def _list(values: tuple[str, ...] | None) -> list[str] | None:
    return None if values is None else list(values)
