"""For-sale configs and seats.io's budget of 10 restricting for-sale calls per event per day.

A config ``{forSale: false, objects}`` lists what is NOT for sale; ``{forSale: true, objects}``
lists the only things that ARE for sale. ``objects`` may name seats or sections (not validated,
as seats.io documents); ``categories`` name category keys or labels.

The budget is a calendar day, not a sliding 24 h: "10 calls per day per event", and the docs'
example answer ``{"rateLimitRemainingCalls": 9, "rateLimitResetDate": "2021-10-01T23:00:00Z"}``
resets on the hour (docs "mark all objects as not for sale"). Every event's counter resets at
:data:`RESET_TIME` (UTC), the time of day of that example; which time zone seats.io counts days
in is not documented, and a day that does not end at midnight UTC catches a client that computes
the reset itself instead of reading ``rateLimitResetDate`` / ``Retry-After``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from bridge.sandbox.seatsio_errors import RATE_LIMIT_EXCEEDED, SeatsioApiError

DAILY_LIMIT = 10
#: When every event's daily budget starts afresh (UTC), as in the docs' example reset date.
RESET_TIME = time(23, 0)
DAY = timedelta(days=1)


def next_reset(now: datetime, reset_time: time = RESET_TIME) -> datetime:
    """The first daily boundary strictly after ``now``."""
    now = now.astimezone(UTC)
    boundary = datetime.combine(now.date(), reset_time, tzinfo=UTC)
    return boundary if boundary > now else boundary + DAY


def reset_date_text(moment: datetime) -> str:
    """``rateLimitResetDate`` as the docs print it: whole seconds, UTC, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Names:
    """What a for-sale config can call an object: its label or section, or its category."""

    objects: tuple[str, ...]
    categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ForSaleConfig:
    for_sale: bool
    objects: tuple[str, ...] = ()
    area_places: Mapping[str, int] = field(default_factory=dict)
    categories: tuple[str, ...] = ()

    def listed(self, names: Names) -> bool:
        """Whether the config names the object (by label or section, or by category)."""
        return any(n in self.objects for n in names.objects) or any(
            c in self.categories for c in names.categories
        )

    def allows(self, names: Names) -> bool:
        """Whether an object known by ``names`` is for sale under this config."""
        return self.listed(names) if self.for_sale else not self.listed(names)


@dataclass(frozen=True, slots=True)
class ForSaleItem:
    """One entry of edit-for-sale-config: an object, or ``quantity`` places of a GA area."""

    object: str
    quantity: int | None = None


def edit(
    config: ForSaleConfig | None,
    for_sale: Sequence[ForSaleItem],
    not_for_sale: Sequence[ForSaleItem],
) -> ForSaleConfig:
    """Apply an incremental edit; everything not named keeps its state."""
    current = config or ForSaleConfig(for_sale=False)
    objects = list(current.objects)
    places = dict(current.area_places)
    # In a "forSale: false" config the list holds the unsellable; in a "forSale: true" one, the sellable.
    add, remove = (for_sale, not_for_sale) if current.for_sale else (not_for_sale, for_sale)
    for item in remove:
        if item.quantity is None:
            objects = [o for o in objects if o != item.object]
        else:
            left = places.get(item.object, 0) - item.quantity
            if left > 0:
                places[item.object] = left
            else:
                places.pop(item.object, None)
    for item in add:
        if item.quantity is None:
            if item.object not in objects:
                objects.append(item.object)
        else:
            places[item.object] = places.get(item.object, 0) + item.quantity
    return ForSaleConfig(current.for_sale, tuple(objects), places, current.categories)


def restricted(config: ForSaleConfig | None, universe: Mapping[str, Names]) -> set[str]:
    """The labels of ``universe`` (label -> its names) that ``config`` makes unsellable."""
    if config is None:
        return set()
    return {label for label, names in universe.items() if not config.allows(names)}


def restricts_more(
    before: ForSaleConfig | None,
    after: ForSaleConfig | None,
    universe: Mapping[str, Names],
) -> bool:
    """Whether ``after`` takes anything off sale that ``before`` left on sale (the call counts)."""
    names = dict(universe)
    for cfg in (before, after):
        for entry in cfg.objects if cfg else ():
            names.setdefault(entry, Names((entry,)))
    if not restricted(after, names) <= restricted(before, names):
        return True
    if after is None or after.for_sale:
        return False
    old = before.area_places if before is not None and not before.for_sale else {}
    return any(n > old.get(area, 0) for area, n in after.area_places.items())


@dataclass(slots=True)
class ForSaleBudget:
    """Counted for-sale calls per event per calendar day; a call past the limit is refused with 429.

    The day runs from one :data:`RESET_TIME` to the next; at the boundary every slot frees at once.
    """

    limit: int = DAILY_LIMIT
    reset_time: time = RESET_TIME
    calls: dict[int, list[datetime]] = field(default_factory=dict)

    def _today(self, event_id: int, now: datetime) -> list[datetime]:
        start = next_reset(now, self.reset_time) - DAY
        today = [t for t in self.calls.get(event_id, []) if t >= start]
        self.calls[event_id] = today
        return today

    def remaining(self, event_id: int, now: datetime) -> int:
        return max(0, self.limit - len(self._today(event_id, now)))

    def reset_date(self, event_id: int, now: datetime) -> datetime:
        """When the event's counter starts afresh: the next daily boundary."""
        return next_reset(now, self.reset_time)

    def check(self, event_id: int, event_key: str, now: datetime) -> None:
        """Refuse a counted call when the day's budget is spent: 429 with ``Retry-After`` (seconds,
        as the docs say) and the rate-limit info the for-sale answers carry, as the error's data."""
        if self.remaining(event_id, now) > 0:
            return
        reset = self.reset_date(event_id, now)
        wait = max(1, math.ceil((reset - now).total_seconds()))
        raise SeatsioApiError(
            429,
            RATE_LIMIT_EXCEEDED,
            f"Too many for-sale configuration changes for event {event_key}: "
            f"{self.limit} per day; retry after {wait} seconds",
            data={"rateLimitRemainingCalls": 0, "rateLimitResetDate": reset_date_text(reset)},
            headers={"Retry-After": str(wait)},
        )

    def spend(self, event_id: int, now: datetime) -> None:
        self._today(event_id, now).append(now)
