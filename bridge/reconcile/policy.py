"""The safety settings the planner obeys; built from the config file, defaults from product.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bridge.domain import SeasonPolicy

if TYPE_CHECKING:
    from bridge.config import BridgeConfig

__all__ = ["Policy", "SeasonPolicy", "policy_of"]


@dataclass(frozen=True, slots=True)
class Policy:
    """``mass_release_share`` and ``mass_release_floor``: a plan lifting more than that share of an
    event's bridge-held objects, and at least the floor, is refused unless ``force``.
    ``owns_all_channels``: event/season keys where the bridge may replace every channel at once.
    ``for_sale_reserve``: restricting for-sale edits per event per day the bridge leaves unused.
    ``bridge_statuses``: the custom statuses the hold-code table gives the bridge (targets and
    season fallbacks); only the bridge sets them, so one it finds on an object it holds another way
    is its own (see ``plan``).
    ``pass_refusal``: set when the pass as a whole has freed its share already (see
    ``bridge.reconcile.run.ReleaseBreaker``): every lift that would free an object is refused,
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


def policy_of(cfg: BridgeConfig, *, force: bool = False) -> Policy:
    """The planner's policy from the config's ``[safety]`` and tables; ``force`` lifts the
    mass-release guard. Lives here, above the config, so the config knows nothing of the planner."""
    s = cfg.safety
    return Policy(
        mass_release_share=s.mass_release_share,
        mass_release_floor=s.mass_release_floor,
        season_policy=s.season_policy,
        owns_all_channels=frozenset(s.owns_all_channels),
        for_sale_reserve=s.for_sale_reserve,
        force=force,
        bridge_statuses=cfg.tables.bridge_statuses(),
    )
