"""Seasons: channels live on the season, ALL vs ANY, fallback statuses, incomplete seasons."""

from __future__ import annotations

from reconcile_world import rule, snapshot, tables

from bridge.core.desired import DesiredState, desired_state
from bridge.core.findings import FindingKind
from bridge.core.policy import Policy
from bridge.domain import SeasonPolicy
from bridge.mapping.model import Action, PerformanceTarget

LABELS = {1: "A-1", 2: "A-2", 3: "A-3", 4: "A-4"}
SEASON = [PerformanceTarget(p, f"ev-{p}", "season-1") for p in (11, 12, 13)]
RULES = (
    rule(1, Action.CHANNEL, "vip", precedence=5, fallback="held-vip"),
    rule(2, Action.CHANNEL, "press", precedence=3),  # no fallback
    rule(3, Action.STATUS, "held-kill", precedence=1),
    rule(4, Action.NOT_FOR_SALE, precedence=2),
    rule(5, Action.CHANNEL, "vip", precedence=6),
)
ALL = Policy()
ANY = Policy(season_policy=SeasonPolicy.ANY)


def _season(holds: dict[int, dict[int, list[int]]], policy: Policy = ALL) -> DesiredState:
    return desired_state(
        [snapshot(p, h) for p, h in holds.items()], tables(RULES, LABELS, SEASON), policy
    )


def test_a_seat_held_in_every_performance_enters_the_season_channel_not_the_events() -> None:
    state = _season({11: {1: [1]}, 12: {1: [1]}, 13: {1: [1]}})
    season = state.events["season-1"]
    assert season.is_season
    assert season.channels == {"vip": frozenset({"A-1"})}
    assert season.performance_ids == (11, 12, 13)
    for key in ("ev-11", "ev-12", "ev-13"):
        assert state.events[key].channels == {}
        assert state.events[key].season_key == "season-1"
        assert state.events[key].labels == frozenset()


def test_different_codes_for_the_same_channel_count_as_the_same_hold() -> None:
    state = _season({11: {1: [1]}, 12: {1: [5]}, 13: {1: [1]}})
    assert state.events["season-1"].channels == {"vip": frozenset({"A-1"})}


def test_policy_all_keeps_a_differing_seat_out_and_shows_its_fallback_status_per_event() -> None:
    state = _season({11: {1: [1]}, 12: {1: [1]}, 13: {}})
    assert state.events["season-1"].channels == {}
    assert state.events["ev-11"].statuses == {"held-vip": frozenset({"A-1"})}
    assert state.events["ev-12"].statuses == {"held-vip": frozenset({"A-1"})}
    assert state.events["ev-13"].statuses == {}


def test_a_differing_hold_without_fallback_is_reported_once_per_rule_and_season() -> None:
    state = _season({11: {2: [2], 3: [2]}, 12: {2: [2]}, 13: {2: [2]}})
    assert state.events["season-1"].channels == {"press": frozenset({"A-2"})}
    differs = [f for f in state.findings if f.kind is FindingKind.SEASON_HOLD_DIFFERS]
    assert len(differs) == 1
    assert differs[0].hold_code_id == 2 and differs[0].labels == ("A-3",)
    assert differs[0].count == 1 and differs[0].event_key == "season-1"
    assert state.events["ev-11"].statuses == {}


def test_policy_any_puts_a_seat_held_in_one_performance_into_the_season_channel() -> None:
    state = _season({11: {1: [1]}, 12: {}, 13: {}}, ANY)
    assert state.events["season-1"].channels == {"vip": frozenset({"A-1"})}
    assert all(state.events[k].statuses == {} for k in ("ev-11", "ev-12", "ev-13"))


def test_policy_any_with_competing_channels_takes_the_lowest_precedence_rule() -> None:
    # perf 11: vip (precedence 5), perf 12: press (precedence 3) -> press
    state = _season({11: {1: [1]}, 12: {1: [2]}, 13: {}}, ANY)
    assert state.events["season-1"].channels == {"press": frozenset({"A-1"})}
    # perf 11's vip hold differs from the season's press: its fallback shows on ev-11
    assert state.events["ev-11"].statuses == {"held-vip": frozenset({"A-1"})}


def test_status_and_not_for_sale_holds_of_a_season_performance_stay_on_its_event() -> None:
    state = _season({11: {3: [3], 4: [4]}, 12: {}, 13: {}})
    assert state.events["ev-11"].statuses == {"held-kill": frozenset({"A-3"})}
    assert state.events["ev-11"].not_for_sale == frozenset({"A-4"})
    assert state.events["season-1"].channels == {}


def test_a_missing_performance_leaves_the_season_out_and_says_which() -> None:
    state = _season({11: {1: [1], 3: [3]}, 12: {1: [1]}})
    assert "season-1" not in state.events
    incomplete = [f for f in state.findings if f.kind is FindingKind.SEASON_INCOMPLETE]
    assert len(incomplete) == 1
    assert incomplete[0].event_key == "season-1" and "13" in incomplete[0].detail
    # the event still gets its status holds; channel holds (and their fallbacks) are undecided
    assert state.events["ev-11"].statuses == {"held-kill": frozenset({"A-3"})}
    assert state.events["ev-11"].undecided == frozenset({"A-1"})


def test_a_season_performance_without_a_seat_table_makes_the_season_incomplete() -> None:
    snaps = [snapshot(11, {1: [1]}), snapshot(12, {1: [1]}), snapshot(13, {1: [1]}, seat_map_id=9)]
    state = desired_state(snaps, tables(RULES, LABELS, SEASON), ALL)
    kinds = {f.kind for f in state.findings}
    assert kinds == {FindingKind.NO_SEAT_TABLE, FindingKind.SEASON_INCOMPLETE}
    assert "season-1" not in state.events


def test_a_seat_undecided_in_one_performance_is_undecided_for_the_season_and_held_per_event(
) -> None:  # fmt: skip
    state = _season({11: {1: [1]}, 12: {1: [1]}, 13: {1: [99]}})
    assert state.events["season-1"].undecided == frozenset({"A-1"})
    assert state.events["season-1"].channels == {}
    # where Tessitura holds it with a channel code, the event holds it itself: never buyable
    assert state.events["ev-11"].statuses == {"held-vip": frozenset({"A-1"})}
    assert state.events["ev-12"].statuses == {"held-vip": frozenset({"A-1"})}
    assert "A-1" in state.events["ev-13"].undecided  # the unknown code: left as it is
