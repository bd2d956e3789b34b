"""Seats handed from an event's fallback status to the season's channel: never a gap, and a season
never releases a status that belongs to one of its events (regressions from the core review)."""

from __future__ import annotations

import pytest
from reconcile_world import (
    FOREIGN,
    SPECS,
    VIP,
    entry,
    event,
    ledger,
    obj,
    rule,
    snapshot,
    tables,
)

from bridge.core.desired import desired_state
from bridge.core.observed import ObservedEvent
from bridge.core.plan import plan
from bridge.core.plan_model import OpKind
from bridge.core.policy import Policy
from bridge.domain import Ownership, SeasonPolicy
from bridge.mapping.model import Action, PerformanceTarget

LABELS = {i: f"A-{i}" for i in range(1, 101)}
TARGETS = [PerformanceTarget(11, "ev-11", "season-1"), PerformanceTarget(12, "ev-12", "season-1")]


def handover_case(season: ObservedEvent | None) -> list[OpKind]:
    """All 100 seats now held in both performances (so the season wants them in `vip`), while
    ev-11 still shows the fallback status the bridge set when only performance 11 held them."""
    t = tables([rule(1, Action.CHANNEL, "vip", fallback="held-f")], LABELS, TARGETS)
    policy = Policy(bridge_statuses=t.bridge_statuses())
    held = {i: [1] for i in LABELS}
    desired = desired_state([snapshot(11, held), snapshot(12, held)], t, policy)
    observed = {
        "ev-11": event(
            "ev-11", [obj(lbl, "held-f") for lbl in LABELS.values()], season_key="season-1"
        ),
        "ev-12": event("ev-12", [obj(lbl) for lbl in LABELS.values()], season_key="season-1"),
    }
    if season is not None:
        observed["season-1"] = season
    owned = ledger(*(entry("ev-11", lbl, Ownership.STATUS, "held-f") for lbl in LABELS.values()))
    return [op.kind for op in plan(desired, observed, owned, policy, SPECS).operations]


@pytest.mark.parametrize(
    "season",
    [
        None,
        event(
            "season-1",
            [obj(lbl, "free", "foreign") for lbl in LABELS.values()],
            channels=[FOREIGN],
            is_season=True,
        ),
    ],
    ids=["season-missing", "season-seats-in-a-foreign-channel"],
)
def test_event_keeps_its_hold_when_the_season_cannot_take_the_seats(
    season: ObservedEvent | None,
) -> None:
    assert OpKind.RELEASE_STATUS not in handover_case(season)


def test_event_hands_seats_over_in_the_same_plan_when_the_season_adds_them() -> None:
    season = event("season-1", [obj(lbl) for lbl in LABELS.values()], is_season=True)
    kinds = handover_case(season)
    assert OpKind.RELEASE_STATUS in kinds
    adds = [i for i, k in enumerate(kinds) if k in (OpKind.CREATE_CHANNEL, OpKind.ADD_TO_CHANNEL)]
    assert adds and max(adds) < kinds.index(OpKind.RELEASE_STATUS)  # added before lifted


def test_a_season_never_releases_a_status_that_belongs_to_one_of_its_events() -> None:
    rules = [
        rule(1, Action.CHANNEL, "vip", precedence=1, fallback="held-f"),
        rule(2, Action.CHANNEL, "press", precedence=2, fallback="held-f"),
    ]
    t = tables(rules, {1: "A-1"}, TARGETS)
    policy = Policy(season_policy=SeasonPolicy.ANY, bridge_statuses=t.bridge_statuses())
    desired = desired_state([snapshot(11, {1: [1]}), snapshot(12, {1: [2]})], t, policy)
    observed = {  # converged; the season shows its events' least free status, as observe reads it
        "season-1": event(
            "season-1", [obj("A-1", "held-f", "vip")], channels=[VIP], is_season=True
        ),
        "ev-11": event("ev-11", [obj("A-1")], season_key="season-1"),
        "ev-12": event("ev-12", [obj("A-1", "held-f")], season_key="season-1"),
    }
    owned = ledger(
        entry("season-1", "A-1", Ownership.CHANNEL, "vip"),
        entry("ev-12", "A-1", Ownership.STATUS, "held-f"),
    )
    assert plan(desired, observed, owned, policy, SPECS).api_operations == ()
