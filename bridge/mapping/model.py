"""The operator's tables, loaded and validated: one immutable value the reconcile core reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

SEATSIO_BUILTIN_STATUSES = frozenset({"free", "booked", "reservedByToken", "resale"})


class Action(StrEnum):
    """What a Tessitura hold code becomes in seats.io (product.md, "What a hold code can map to")."""

    CHANNEL = "channel"
    STATUS = "status"
    NOT_FOR_SALE = "not_for_sale"
    IGNORE = "ignore"


@dataclass(frozen=True, slots=True)
class HoldRule:
    """One row of the hold-code table.

    ``precedence``: for a seat with several layered holds, the rule with the lowest precedence
    number wins (1 is strongest), whatever Tessitura's layer order.
    ``target``: channel key (CHANNEL) or custom status (STATUS); None for NOT_FOR_SALE/IGNORE.
    ``fallback_status``: for a season performance whose holds differ from the season's, the status
    to show per event instead of the season channel (None: report the difference as a finding).
    """

    hold_code_id: int
    action: Action
    target: str | None
    precedence: int
    channel_name: str | None = None
    channel_color: str | None = None
    fallback_status: str | None = None


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """A channel the bridge manages: created, named and coloured from the hold-code table."""

    key: str
    name: str
    color: str
    index: int


@dataclass(frozen=True, slots=True)
class SeatTable:
    """Tessitura seat id -> seats.io object label, for one Tessitura seat map."""

    seat_map_id: int
    labels: Mapping[int, str]


@dataclass(frozen=True, slots=True)
class PerformanceTarget:
    """Where a Tessitura performance lives in seats.io: its event, and the season holding it."""

    performance_id: int
    event_key: str
    season_key: str | None = None
    #: the performances table's line that lists it (None: the rule, or built in code)
    line: int | None = field(default=None, compare=False)


class TableBookingMode(StrEnum):
    """seats.io ``tableBookingConfig.mode`` (create a season): how a season's tables book."""

    INHERIT = "INHERIT"
    CUSTOM = "CUSTOM"
    ALL_BY_SEAT = "ALL_BY_SEAT"
    ALL_BY_TABLE = "ALL_BY_TABLE"


#: How one table books under CUSTOM.
TABLE_BOOKING_VALUES = frozenset({"BY_TABLE", "BY_SEAT"})


@dataclass(frozen=True, slots=True)
class TableBooking:
    """A season's table booking; ``tables`` (label -> BY_TABLE | BY_SEAT) only with CUSTOM."""

    mode: TableBookingMode
    tables: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, object]:
        """The ``tableBookingConfig`` body."""
        if self.mode is TableBookingMode.CUSTOM:
            return {"mode": self.mode.value, "tables": dict(self.tables)}
        return {"mode": self.mode.value}


@dataclass(frozen=True, slots=True)
class SeasonCategory:
    """An event-level category of a season (seats.io ``categories``: not on the chart)."""

    key: str
    label: str
    color: str
    accessible: bool | None = None

    def to_json(self) -> dict[str, object]:
        body: dict[str, object] = {"key": self.key, "label": self.label, "color": self.color}
        if self.accessible is not None:
            body["accessible"] = self.accessible
        return body

    def same_as(self, other: SeasonCategory) -> bool:
        """Equal as seats.io keeps it: colours case-insensitively, no ``accessible`` as false."""
        return (
            self.key == other.key
            and self.label == other.label
            and self.color.casefold() == other.color.casefold()
            and bool(self.accessible) == bool(other.accessible)
        )


@dataclass(frozen=True, slots=True)
class SeasonCategories:
    """A season's side file (the seasons table's ``categories`` column): its event-level
    ``categories``, its ``objectCategories`` (object label -> one of those keys), and what is
    initially not for sale (objects and category keys or labels; sent on creation only)."""

    categories: tuple[SeasonCategory, ...] = ()
    object_categories: tuple[tuple[str, str], ...] = ()
    not_for_sale_objects: tuple[str, ...] = ()
    not_for_sale_categories: tuple[str, ...] = ()
    #: the file says ``no_categories = true``: the only way an empty list is ever sent
    no_categories: bool = False

    def clears_unasked(self) -> bool:
        """Whether sending these would clear a season's categories the file never said to."""
        return not self.categories and not self.no_categories

    def for_sale_json(self) -> dict[str, object] | None:
        """The initial ``forSaleConfig``, or None when everything starts for sale."""
        if not self.not_for_sale_objects and not self.not_for_sale_categories:
            return None
        return {
            "forSale": False,
            "objects": list(self.not_for_sale_objects),
            "categories": list(self.not_for_sale_categories),
        }


@dataclass(frozen=True, slots=True)
class SeasonRule:
    """One row of the seasons table: a Tessitura season (optionally narrowed to some performances
    or one production season) built as one seats.io season.

    Settings left None are not managed: the bridge neither sets nor compares them.
    """

    season_id: int
    season_key: str
    chart_key: str
    name: str | None = None
    performance_ids: frozenset[int] | None = None
    production_season_id: int | None = None
    for_sale_propagated: bool | None = None
    table_booking: TableBooking | None = None
    #: From the side file; None: categories and objectCategories are not managed.
    categories: SeasonCategories | None = None

    def covers(self, season_id: int | None, performance_id: int, production_id: int | None) -> bool:
        """Whether a Tessitura performance belongs to this seats.io season."""
        if season_id != self.season_id:
            return False
        if self.performance_ids is not None and performance_id not in self.performance_ids:
            return False
        return self.production_season_id is None or production_id == self.production_season_id


@dataclass(frozen=True, slots=True)
class MappingTables:
    """All operator tables. Lookups that miss return None: the core reports them, never guesses."""

    hold_rules: Mapping[int, HoldRule]
    seat_tables: Mapping[int, SeatTable]
    performances: Mapping[int, PerformanceTarget]
    event_key_template: str | None = None
    channels: tuple[ChannelSpec, ...] = field(default=())
    #: The seasons table (``[mappings] seasons``); empty when provisioning is off.
    seasons: tuple[SeasonRule, ...] = field(default=())

    def target_for(self, performance_id: int) -> PerformanceTarget | None:
        """The listed target, else the config's rule (``perf-{performance_id}``), else None."""
        hit = self.performances.get(performance_id)
        if hit is not None:
            return hit
        if self.event_key_template:
            return PerformanceTarget(
                performance_id, self.event_key_template.format(performance_id=performance_id)
            )
        return None

    def channel(self, key: str) -> ChannelSpec | None:
        return next((c for c in self.channels if c.key == key), None)

    def bridge_statuses(self) -> frozenset[str]:
        """Every custom status the bridge may set: status targets and season fallbacks."""
        out: set[str] = set()
        for rule in self.hold_rules.values():
            if rule.action is Action.STATUS and rule.target:
                out.add(rule.target)
            if rule.fallback_status:
                out.add(rule.fallback_status)
        return frozenset(out)
