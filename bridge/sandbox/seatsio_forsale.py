"""For-sale configs and seats.io's budget of 10 restricting for-sale calls per event per 24 h.

A config ``{forSale: false, objects}`` lists what is NOT for sale; ``{forSale: true, objects}``
lists the only things that ARE for sale. ``objects`` may name seats or sections (not validated,
as seats.io documents); ``categories`` name category keys or labels.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bridge.sandbox.seatsio_errors import RATE_LIMIT_EXCEEDED, SeatsioApiError

DAILY_LIMIT = 10
WINDOW = timedelta(hours=24)


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
    """Counted for-sale calls per event; a call past the limit within 24 h is refused with 429.

    A sliding window: each counted call frees its slot 24 h after it was made.
    """

    limit: int = DAILY_LIMIT
    calls: dict[int, list[datetime]] = field(default_factory=dict)

    def _recent(self, event_id: int, now: datetime) -> list[datetime]:
        recent = [t for t in self.calls.get(event_id, []) if t + WINDOW > now]
        self.calls[event_id] = recent
        return recent

    def remaining(self, event_id: int, now: datetime) -> int:
        return max(0, self.limit - len(self._recent(event_id, now)))

    def reset_date(self, event_id: int, now: datetime) -> datetime:
        """When the next slot frees up (now + 24 h when none is in use)."""
        recent = self._recent(event_id, now)
        return (min(recent) if recent else now) + WINDOW

    def check(self, event_id: int, event_key: str, now: datetime) -> None:
        """Refuse a counted call when the budget is spent: 429 with Retry-After in seconds."""
        if self.remaining(event_id, now) > 0:
            return
        wait = max(1, math.ceil((self.reset_date(event_id, now) - now).total_seconds()))
        raise SeatsioApiError(
            429,
            RATE_LIMIT_EXCEEDED,
            f"Too many for-sale configuration changes for event {event_key}: "
            f"{self.limit} per 24 hours; retry after {wait} seconds",
            headers={"Retry-After": str(wait)},
        )

    def spend(self, event_id: int, now: datetime) -> None:
        self._recent(event_id, now).append(now)
