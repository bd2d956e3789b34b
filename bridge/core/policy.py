"""The safety settings the planner obeys; :func:`bridge.runtime.policy_of` builds them from the
config file, the defaults are product.md's."""

from __future__ import annotations

from dataclasses import dataclass, field

from bridge.domain import SeasonPolicy

__all__ = [
    "Policy",
]


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
