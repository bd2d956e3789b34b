"""What seats.io shows, as the observe step reads it: plain values the planner compares against.

The observe step (``bridge.reconcile.observe``) fills these from seats.io reads; the planner and
``simulate`` only read them. Only objects that matter are listed (owned per ledger, wanted per
desired state, sitting in a bridge channel or, where the observe step listed them, in a bridge
status); a label missing from ``objects`` is not on the chart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

FREE = "free"


@dataclass(frozen=True, slots=True)
class ObjectState:
    """One object of an event or season.

    For a season, ``status`` is the least free status across the season and its events (booked in
    any event means not free); ``channel`` is the channel key or None.
    """

    label: str
    status: str
    channel: str | None = None
    for_sale: bool = True


@dataclass(frozen=True, slots=True)
class ObservedChannel:
    """One channel of an event or season, bridge-managed or not, with its full object list."""

    key: str
    name: str
    color: str
    index: int
    objects: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class ObservedEvent:
    """One seats.io event or season as read now.

    ``not_for_sale`` are the labels listed in the for-sale config as not for sale;
    ``for_sale_calls_left`` is the restricting for-sale edits still allowed today (None: unknown,
    which the planner treats as enough). ``statuses_listed``: the bridge statuses whose every
    object on this event is in ``objects`` (a by-status report), not only the ones that matter:
    the read that finds the bridge's holds a lost ledger no longer names.
    """

    key: str
    is_season: bool = False
    season_key: str | None = None
    channels: tuple[ObservedChannel, ...] = ()
    not_for_sale: frozenset[str] = field(default_factory=frozenset)
    objects: Mapping[str, ObjectState] = field(default_factory=dict)
    for_sale_calls_left: int | None = None
    statuses_listed: frozenset[str] = field(default_factory=frozenset)

    def channel(self, key: str) -> ObservedChannel | None:
        return next((c for c in self.channels if c.key == key), None)
