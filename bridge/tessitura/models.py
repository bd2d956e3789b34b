"""TessituraService payloads as frozen pydantic models, read from JSON or XML alike.

Field names are snake_case; their aliases are the API's PascalCase names. Strings lose the space
padding of CHAR columns, dates keep their offsets (.NET writes 0 to 7 fractional digits, trailing
zeros trimmed; they are cut to microseconds), and every field the notes show as optional or
nullable may be absent or null. Members a model does not declare are ignored, so the many fields a
server adds (Search items carry PerformanceShortName, Text1-4, RankType, ValidCountries ...) never
make an answer malformed.

Validation is strict: a value of the wrong JSON type is a malformed answer, never coerced. ``true``,
``1.0`` or ``"1"`` for an id is refused rather than read as seat 1 (the XML reader converts text to
the declared types itself, see :mod:`bridge.tessitura.xml`). A date must be an ISO-8601 string
with a UTC offset or ``Z``: a date without one is refused too, since guessing the venue's zone could
move a hold's end by hours.
"""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_pascal

from bridge.timestamps import aware


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _timestamp(value: Any) -> Any:
    """ISO-8601 with an offset or ``Z`` and 0 to 7 fractional digits (see :func:`aware`).

    Anything but a string is left to strict validation, which refuses it (a number is not a date).
    """
    if isinstance(value, str):
        return aware(value) if value.strip() else None
    return value


def _code(value: Any) -> Any:
    """An error code, sent as a number or a string; read as text (a bool is neither)."""
    if isinstance(value, bool):
        return value
    return str(value).strip() if isinstance(value, int | str) else value


Text = Annotated[str, BeforeValidator(_strip)]
Timestamp = Annotated[datetime, BeforeValidator(_timestamp)]
#: A date that may be null, absent or empty.
MaybeTimestamp = Annotated[datetime | None, BeforeValidator(_timestamp)]


class TessituraModel(BaseModel):
    """Base: PascalCase aliases, unknown fields ignored, immutable, no type coercion."""

    model_config = ConfigDict(
        alias_generator=to_pascal,
        validate_by_name=True,
        validate_by_alias=True,
        frozen=True,
        extra="ignore",
        strict=True,
    )


class IdDescription(TessituraModel):
    """The ``{Id, Description}`` summary Tessitura nests everywhere (status, time slot, zone map)."""

    id: int
    description: Text | None = None


# -- holds -------------------------------------------------------------------------------------


class HoldCodeDetail(TessituraModel):
    id: int
    description: Text | None = None
    legend: Text | None = None
    is_blackout: bool = False


class SeatHoldDetail(TessituraModel):
    """One hold layer on one seat (GET Seats/Holds); priority 1 is the top layer."""

    seat_id: int
    end_date: MaybeTimestamp = None
    priority: int = 1
    hold_code_detail: HoldCodeDetail

    @property
    def hold_code_id(self) -> int:
        return self.hold_code_detail.id


class SeatHold(TessituraModel):
    """One line of the answer to POST Seats/Holds."""

    seat_id: int
    hold_code_id: int
    end_date: MaybeTimestamp = None


class ReplaceMode(IntEnum):
    """How a new hold meets the holds a seat already has (UpdateSeatHoldRequest.ReplaceMode)."""

    ABOVE_EXISTING = 1
    BELOW_EXISTING = 2
    IGNORE_IF_HELD = 3
    REPLACE_EXISTING = 4


#: A HoldCodeId in an update that lifts every hold from the seat.
REMOVE_ALL_HOLDS = -1


class SeatHoldRequest(TessituraModel):
    """One line of an update: put ``hold_code_id`` on ``seat_id`` (-1: lift all its holds)."""

    seat_id: int
    hold_code_id: int


class HoldCode(TessituraModel):
    id: int
    description: Text | None = None
    legend: Text | None = None
    blackout_indicator: bool = False
    edit_indicator: bool | None = None
    type: IdDescription | None = None


# -- seats -------------------------------------------------------------------------------------


class Seat(TessituraModel):
    """A cell of a performance's seat map; ``is_seat`` is false for aisles and other non-seats."""

    id: int
    section_id: int | None = None
    seat_row: Text = ""
    seat_number: Text = ""
    zone_id: int | None = None
    allocation_id: int | None = None
    seat_type_id: int | None = None
    logical_seat_row: int | None = None
    logical_seat_number: int | None = None
    x_position: int | None = None
    y_position: int | None = None
    is_seat: bool
    seat_status_id: int
    aisle_indicator: Text | None = None
    has_stairs: bool | None = None
    screen_id: int | None = None
    display_letter: Text | None = None
    hold_code_id: int = 0


class Section(TessituraModel):
    id: int
    description: Text | None = None
    short_desc: Text | None = None
    section_legend: Text | None = None
    print_desc: Text | None = None
    print_sequence: int | None = None
    additional_text: Text | None = None
    additional_text2: Text | None = None


class SeatStatus(TessituraModel):
    id: int
    description: Text | None = None
    status_code: Text | None = None
    status_legend: Text | None = None
    status_priority: int | None = None
    back_color: int | None = None
    fore_color: int | None = None
    inactive: bool | None = None


# -- performances ------------------------------------------------------------------------------


class SeasonSummary(TessituraModel):
    id: int
    description: Text | None = None
    fyear: int | None = Field(default=None, alias="FYear")
    inactive: bool | None = None


class SeatMapSummary(IdDescription):
    pass


class FacilitySummary(TessituraModel):
    id: int
    description: Text | None = None
    seat_map: SeatMapSummary | None = None


class ProductionSeasonSummary(TessituraModel):
    id: int
    description: Text | None = None
    season: SeasonSummary | None = None


class Performance(TessituraModel):
    """GET TXN/Performances/{id}: the seat map the holds refer to is ``facility.seat_map``."""

    id: int
    code: Text | None = None
    description: Text | None = None
    date: Timestamp
    short_name: Text | None = None
    duration: int | None = None
    doors_open: MaybeTimestamp = None
    facility: FacilitySummary | None = None
    production_season: ProductionSeasonSummary | None = None
    season: SeasonSummary | None = None
    status: IdDescription | None = None
    time_slot: IdDescription | None = None
    zone_map: IdDescription | None = None

    @property
    def seat_map_id(self) -> int | None:
        return self.facility.seat_map.id if self.facility and self.facility.seat_map else None


class PerformanceSearchResult(TessituraModel):
    """One item of POST TXN/Performances/Search (field names differ from :class:`Performance`)."""

    performance_id: int
    performance_code: Text | None = None
    performance_date: Timestamp
    performance_description: Text | None = None
    facility: FacilitySummary | None = None
    facility_description: Text | None = None
    production_season: IdDescription | None = None
    season: SeasonSummary | None = None
    zone_map: IdDescription | None = None
    performance_status: IdDescription | None = None
    time_slot: IdDescription | None = None
    duration: int | None = None


# -- errors ------------------------------------------------------------------------------------


class ErrorMessage(TessituraModel):
    code: Annotated[str, BeforeValidator(_code)] | None = None
    description: Text | None = None
