"""Creating and updating events of the fake seats.io (``POST /events``, ``POST /events/{key}``).

A new event may come with channels and a for-sale config, so creating one is checked whole
before anything is stored; an update changes only the fields the caller sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bridge.sandbox.seatsio_channels import Channels
from bridge.sandbox.seatsio_errors import EVENT_NOT_IN_SEASON, NOT_A_SEASON, bad_request
from bridge.sandbox.seatsio_forsale import ForSaleConfig
from bridge.sandbox.seatsio_forsale_configs import ForSaleConfigs
from bridge.sandbox.seatsio_model import ChannelSpec, Event, EventKind
from bridge.sandbox.seatsio_workspace import UNSET, Unset, Workspace, check_date, configure


class Events:
    """The create and update calls on events (seasons included, for updates)."""

    def __init__(self, workspace: Workspace, channels: Channels, for_sale: ForSaleConfigs) -> None:
        self._workspace = workspace
        self._channels = channels
        self._for_sale = for_sale

    def create_event(
        self,
        chart_key: str,
        key: str | None = None,
        *,
        name: str | None = None,
        channels: Sequence[ChannelSpec] = (),
        for_sale_config: ForSaleConfig | None = None,
        table_booking_config: Mapping[str, Any] | None = None,
        categories: Sequence[Mapping[str, Any]] | None = None,
        object_categories: Mapping[str, str | int] | None = None,
        date: str | None = None,
    ) -> Event:
        chart = self._workspace.chart(chart_key)
        self._workspace.check_new_keys([key] if key is not None else [])
        self._channels.check_specs(chart, channels, existing=())
        check_date(date)
        ev = self._workspace.new_event(chart_key, key, name, EventKind.EVENT)
        ev.date = date
        configure(ev, table_booking_config, categories, object_categories)
        for spec in channels:
            self._channels.add(ev, spec)
        self._for_sale.initial(ev, for_sale_config)
        return ev

    def update_event(
        self,
        key: str,
        *,
        new_key: str | Unset | None = UNSET,
        name: str | Unset | None = UNSET,
        table_booking_config: Mapping[str, Any] | Unset | None = UNSET,
        categories: Sequence[Mapping[str, Any]] | Unset | None = UNSET,
        object_categories: Mapping[str, str | int] | Unset | None = UNSET,
        for_sale_propagated: bool | Unset | None = UNSET,
        date: str | Unset | None = UNSET,
        is_in_the_past: bool | Unset | None = UNSET,
    ) -> Event:
        """Change only the fields passed; null or empty categories clear them."""
        ev = self._workspace.event(key)
        if isinstance(for_sale_propagated, bool) and not ev.is_season:
            raise bad_request(NOT_A_SEASON, f"{key} is not a season: forSalePropagated")
        if not isinstance(date, Unset):
            check_date(date)
        if isinstance(is_in_the_past, bool) and not ev.in_season:
            # docs "retrieve a season": "only applicable for events in a season, seasons
            # themselves cannot be marked as in the past"
            raise bad_request(
                EVENT_NOT_IN_SEASON, f"{key} is not an event in a season: isInThePast"
            )
        if isinstance(new_key, str) and new_key != ev.key:
            self._workspace.rekey(ev, new_key)
        if not isinstance(name, Unset):
            ev.name = name
        if not isinstance(table_booking_config, Unset) and table_booking_config is not None:
            ev.table_booking_config = dict(table_booking_config)
        if not isinstance(categories, Unset):
            ev.categories = [dict(c) for c in categories or ()]
        if not isinstance(object_categories, Unset):
            ev.object_categories = dict(object_categories or {})
        if isinstance(for_sale_propagated, bool):
            ev.for_sale_propagated = for_sale_propagated
        if not isinstance(date, Unset):
            ev.date = date
        if isinstance(is_in_the_past, bool):
            ev.is_in_the_past = is_in_the_past
        ev.updated_on = self._workspace.clock()
        return ev
