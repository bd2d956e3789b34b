"""The safety settings the planner obeys; :func:`bridge.runtime.policy_of` builds them from the
config file, the defaults are product.md's."""

from __future__ import annotations

from dataclasses import dataclass, field

from bridge.domain import SeasonPolicy

__all__ = [
    "Policy",
    "WritebackPolicy",
]

#: Tessitura seat statuses that mean the seat is in an order (S32, ROH's ReferenceData/SeatStatuses:
#: 7 Reserved Unpaid, 8 Reserved Paid, 13 Ticketed): a write-back hold is never added there.
SOLD_SEAT_STATUSES = frozenset({7, 8, 13})


@dataclass(frozen=True, slots=True)
class WritebackPolicy:
    """The two-way write-back (``[writeback]``): what seats.io shows sold online becomes a
    Tessitura hold of ``hold_code_id``, so the box office cannot sell it again.

    ``mode``: "off" (nothing read or written), "report" (planned and shown, never sent), "apply".
    ``statuses``: the seats.io statuses written back (booked and resale by default, plus any
    named foreign status). ``hold_hours``: the layer's ``HoldUntilDate`` horizon (None: no end
    date); a layer within half of it of its end is held again. ``sold_statuses``: Tessitura seat
    statuses that mean sold at the box office (no hold added; the bridge's own layer lifted)."""

    mode: str = "off"
    hold_code_id: int = 0
    statuses: frozenset[str] = frozenset({"booked", "resale"})
    hold_hours: float | None = None
    sold_statuses: frozenset[int] = SOLD_SEAT_STATUSES

    @property
    def on(self) -> bool:
        """True when the Tessitura side is read and planned (report or apply)."""
        return self.mode in ("report", "apply")

    @property
    def applies(self) -> bool:
        return self.mode == "apply"


@dataclass(frozen=True, slots=True)
class Policy:
    """``mass_release_share`` and ``mass_release_floor``: a plan lifting more than that share of an
    event's bridge-held objects, and at least the floor, is refused unless ``force``.
    ``owns_all_channels``: event/season keys where the bridge may replace every channel at once.
    ``for_sale_reserve``: restricting for-sale edits per event per day the bridge leaves unused.
    ``bridge_statuses``: the custom statuses the hold-code table gives the bridge (targets and
    season fallbacks); only the bridge sets them, so one it finds on an object it holds another way
    is its own (see ``plan``).
    ``table_shrink_share``: a seat table that lost more than this share of its rows since the last
    run is not trusted (its performances are not planned) unless ``force``.
    ``fallback_status``: the bridge status that holds a seat whose planned form cannot be written
    (the for-sale budget spent, a channel the bridge does not own) when its code names no
    ``fallback_status`` of its own; "" for none (such a seat then stays as it is, an error).
    ``refused_channels``: (event key, channel key) pairs seats.io refused to write in this run
    (set by the run for its second round): their seats are held by the fallback status instead.
    ``made_channels``: (event key, channel key) of the channels the bridge made (the run reads
    them from the store): its own even once the ledger names none of their seats.
    ``pass_refusal``: set when the pass as a whole has freed its share already (see
    ``bridge.core.guards.ReleaseBreaker``): every lift that would free an object is refused,
    and this says why.
    ``writeback``: the Tessitura side (:class:`WritebackPolicy`; off by default).
    """

    mass_release_share: float = 0.20
    mass_release_floor: int = 50
    season_policy: SeasonPolicy = SeasonPolicy.ALL
    owns_all_channels: frozenset[str] = field(default_factory=frozenset)
    for_sale_reserve: int = 2
    force: bool = False
    bridge_statuses: frozenset[str] = field(default_factory=frozenset)
    pass_refusal: str = ""
    table_shrink_share: float = 0.1
    fallback_status: str = ""
    refused_channels: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    made_channels: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    writeback: WritebackPolicy = field(default_factory=WritebackPolicy)
