"""The for-sale calls on events of the fake seats.io, and what each costs of the daily budget.

The config rules and the budget itself are in :mod:`bridge.sandbox.seatsio_forsale`; this applies
them to the workspace's events, where a season may pass its config on to its events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bridge.sandbox.seatsio_forsale import (
    ForSaleBudget,
    ForSaleConfig,
    ForSaleItem,
    Names,
    edit,
    restricts_more,
)
from bridge.sandbox.seatsio_model import Event
from bridge.sandbox.seatsio_workspace import Workspace


@dataclass(frozen=True, slots=True)
class RateLimitInfo:
    remaining_calls: int
    reset_date: datetime


class ForSaleConfigs:
    """Each event's for-sale config, changed only through calls that spend the daily budget."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace
        self.budget = ForSaleBudget()

    def is_for_sale(self, key: str, label: str) -> bool:
        return self.for_sale(self._workspace.event(key), label)

    def rate_limit_info(self, key: str) -> RateLimitInfo:
        ev, now = self._workspace.event(key), self._workspace.clock()
        return RateLimitInfo(self.budget.remaining(ev.id, now), self.budget.reset_date(ev.id, now))

    def edit_for_sale_config(
        self,
        key: str,
        for_sale: Sequence[ForSaleItem] = (),
        not_for_sale: Sequence[ForSaleItem] = (),
    ) -> ForSaleConfig:
        """Incremental: only the named objects change. Counts against the daily limit unless it
        only marks objects as for sale."""
        return self.edit_for_sale_configs({key: (for_sale, not_for_sale)})[key]

    def edit_for_sale_configs(
        self,
        edits: Mapping[str, tuple[Sequence[ForSaleItem], Sequence[ForSaleItem]]],
    ) -> dict[str, ForSaleConfig]:
        """Several events in one call: all applied, or none (unknown event, limit reached)."""
        events = {key: self._workspace.event(key) for key in edits}
        now = self._workspace.clock()
        for key, (_, not_for_sale) in edits.items():
            if not_for_sale:
                self.budget.check(events[key].id, key, now)
        out: dict[str, ForSaleConfig] = {}
        for key, (for_sale, not_for_sale) in edits.items():
            ev = events[key]
            new = edit(ev.for_sale_config, for_sale, not_for_sale)
            self._set(ev, new, counts=bool(not_for_sale))
            out[key] = new
        return out

    def mark_as_not_for_sale(
        self,
        key: str,
        objects: Sequence[str] = (),
        area_places: Mapping[str, int] | None = None,
        categories: Sequence[str] = (),
    ) -> None:
        """Replace: exactly these are not for sale, everything else is. Always counts."""
        ev = self._workspace.event(key)
        config = ForSaleConfig(False, tuple(objects), dict(area_places or {}), tuple(categories))
        self._set(ev, config, counts=True)

    def mark_as_for_sale(
        self,
        key: str,
        objects: Sequence[str] = (),
        area_places: Mapping[str, int] | None = None,
        categories: Sequence[str] = (),
    ) -> None:
        """Replace: exactly these are for sale, everything else is not."""
        ev = self._workspace.event(key)
        config = ForSaleConfig(True, tuple(objects), dict(area_places or {}), tuple(categories))
        counts = restricts_more(ev.for_sale_config, config, self._universe(ev))
        self._set(ev, config, counts=counts)

    def mark_everything_as_for_sale(self, key: str) -> None:
        """Drop the config (it reads back as null); never counts."""
        self._set(self._workspace.event(key), None, counts=False)

    def mark_everything_as_not_for_sale(self, key: str) -> None:
        self._set(self._workspace.event(key), ForSaleConfig(True), counts=True)

    def initial(self, ev: Event, config: ForSaleConfig | None) -> None:
        """A restricting config given at creation spends one of the event's daily calls."""
        if config is not None:
            self._set(ev, config, counts=restricts_more(None, config, self._universe(ev)))

    def for_sale(self, ev: Event, label: str) -> bool:
        """The event's own config, and its season's when the season propagates it."""
        names = self._names(ev, label)
        if ev.for_sale_config is not None and not ev.for_sale_config.allows(names):
            return False
        top = self._workspace.top_season(ev)
        if ev.in_season and top is not None and top.for_sale_propagated:
            cfg = top.for_sale_config
            return cfg is None or cfg.allows(names)
        return True

    def _set(self, ev: Event, config: ForSaleConfig | None, *, counts: bool) -> None:
        if counts:
            now = self._workspace.clock()
            self.budget.check(ev.id, ev.key, now)
            self.budget.spend(ev.id, now)
        ev.for_sale_config = config

    def _universe(self, ev: Event) -> dict[str, Names]:
        chart = self._workspace.chart(ev.chart_key)
        return {label: self._names(ev, label) for label in chart.objects}

    def _names(self, ev: Event, label: str) -> Names:
        obj = self._workspace.chart(ev.chart_key).objects.get(label)
        if obj is None:
            return Names((label,))
        return Names((label, obj.section), self._workspace.category(ev, label))
