"""The seasons planner: the calls it plans, what it only reports, and that it is idempotent."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.mapping.model import (
    MappingTables,
    PerformanceTarget,
    SeasonCategories,
    SeasonCategory,
    SeasonRule,
    TableBooking,
    TableBookingMode,
)
from bridge.provision.plan import (
    Call,
    CreateEvent,
    CreateEventsInSeason,
    CreateSeason,
    SeenEvent,
    UpdateSeason,
    WantedPerformance,
    plan_seasons,
)

RULE = SeasonRule(
    2027,
    "season-1",
    "chart-1",
    name="Series",
    for_sale_propagated=True,
    table_booking=TableBooking(TableBookingMode.INHERIT),
)
TABLES = MappingTables({}, {}, {}, "perf-{performance_id}", seasons=(RULE,))
CHARTS = {47: "chart-1"}


def perf(pid: int, season: int | None = 2027, *, cancelled: bool = False) -> WantedPerformance:
    return WantedPerformance(pid, season, 900, 47, f"P{pid}", cancelled)


def simulate(seen: dict[str, SeenEvent], calls: tuple[Call, ...]) -> dict[str, SeenEvent]:
    """What seats.io has after the calls (as the real API documents them)."""
    out = dict(seen)
    for c in calls:
        if isinstance(c, CreateSeason):
            out[c.season_key] = SeenEvent(
                c.season_key,
                c.chart_key,
                is_season=True,
                name=c.name,
                for_sale_propagated=True
                if c.for_sale_propagated is None
                else c.for_sale_propagated,
                table_booking=c.table_booking or TableBooking(TableBookingMode.INHERIT),
                members=c.event_keys,
                categories=c.categories.categories if c.categories else (),
                object_categories=c.categories.object_categories if c.categories else (),
            )
            for k in c.event_keys:
                out[k] = SeenEvent(k, c.chart_key, season_key=c.season_key)
        elif isinstance(c, CreateEventsInSeason):
            s = out[c.season_key]
            out[c.season_key] = replace(s, members=(*s.members, *c.event_keys))
            for k in c.event_keys:
                out[k] = SeenEvent(k, s.chart_key, season_key=c.season_key)
        elif isinstance(c, UpdateSeason):
            s = out[c.season_key]
            out[c.season_key] = replace(
                s,
                name=s.name if c.name is None else c.name,
                for_sale_propagated=s.for_sale_propagated
                if c.for_sale_propagated is None
                else c.for_sale_propagated,
                table_booking=s.table_booking if c.table_booking is None else c.table_booking,
                categories=s.categories if c.categories is None else c.categories,
                object_categories=(
                    s.object_categories if c.object_categories is None else c.object_categories
                ),
            )
        else:
            assert c.event_key not in out
            out[c.event_key] = SeenEvent(c.event_key, c.chart_key, name=c.name)
    return out


def test_from_nothing_a_season_with_its_events_and_the_standalone_events() -> None:
    plan = plan_seasons(TABLES, CHARTS, [perf(1), perf(2), perf(9, 2028)], {})
    assert plan.calls == (
        CreateSeason(
            "season-1", "chart-1", ("perf-1", "perf-2"), "Series", True, RULE.table_booking
        ),
        CreateEvent("perf-9", "chart-1", "P9"),
    )
    assert not plan.findings
    assert (
        plan_seasons(
            TABLES, CHARTS, [perf(1), perf(2), perf(9, 2028)], simulate({}, plan.calls)
        ).calls
        == ()
    )


def test_a_performance_added_later_is_created_in_the_existing_season() -> None:
    seen = simulate({}, plan_seasons(TABLES, CHARTS, [perf(1)], {}).calls)
    plan = plan_seasons(TABLES, CHARTS, [perf(1), perf(2)], seen)
    assert plan.calls == (CreateEventsInSeason("season-1", ("perf-2",)),)


def test_only_the_changed_fields_are_updated() -> None:
    seen = simulate({}, plan_seasons(TABLES, CHARTS, [perf(1)], {}).calls)
    rule = replace(RULE, name="New name", for_sale_propagated=False)
    plan = plan_seasons(replace(TABLES, seasons=(rule,)), CHARTS, [perf(1)], seen)
    assert plan.calls == (UpdateSeason("season-1", "New name", False, None),)
    assert plan.calls[0].body() == {"name": "New name", "forSalePropagated": False}


def test_an_event_outside_its_season_is_reported_never_moved() -> None:
    seen = {"perf-2": SeenEvent("perf-2", "chart-1")}
    plan = plan_seasons(TABLES, CHARTS, [perf(1), perf(2)], seen)
    assert plan.calls == (
        CreateSeason("season-1", "chart-1", ("perf-1",), "Series", True, RULE.table_booking),
    )
    assert [f.kind for f in plan.findings] == ["event-outside-season"]
    assert plan.failed


def test_removed_and_cancelled_performances_are_reported_not_deleted() -> None:
    seen = simulate({}, plan_seasons(TABLES, CHARTS, [perf(1), perf(2), perf(3)], {}).calls)
    plan = plan_seasons(TABLES, CHARTS, [perf(1), perf(3, cancelled=True)], seen)
    assert plan.calls == ()
    assert sorted(f.kind for f in plan.findings) == [
        "cancelled",
        "not-in-tessitura-season",
        "not-in-tessitura-season",
    ]
    assert not plan.failed


def test_a_cancelled_performance_gets_no_event() -> None:
    plan = plan_seasons(TABLES, CHARTS, [perf(9, 2028, cancelled=True)], {})
    assert plan.calls == ()


def test_a_season_narrowed_to_performances_and_a_table_season_mismatch() -> None:
    rule = replace(RULE, performance_ids=frozenset({1}))
    tables = replace(
        TABLES,
        seasons=(rule,),
        performances={3: PerformanceTarget(3, "perf-3", "other-season")},
    )
    plan = plan_seasons(tables, CHARTS, [perf(1), perf(2), perf(3)], {})
    # 2 is outside the narrowed season: a standalone event; 3 is in a hand-made season: skipped
    assert {type(c).__name__ for c in plan.calls} == {"CreateSeason", "CreateEvent"}
    assert [c.event_key for c in plan.calls if isinstance(c, CreateEvent)] == ["perf-2"]


def test_a_missing_chart_or_event_key_is_an_error() -> None:
    tables = replace(TABLES, event_key_template=None)
    assert [f.kind for f in plan_seasons(tables, CHARTS, [perf(1)], {}).findings][:1] == [
        "no-event-key"
    ]
    assert [f.kind for f in plan_seasons(TABLES, {}, [perf(9, 2028)], {}).findings][:1] == [
        "no-chart"
    ]


# --------------------------------------------------------------------------- properties

modes = st.sampled_from(list(TableBookingMode))
bookings = st.one_of(
    st.none(),
    modes.map(
        lambda m: (
            TableBooking(m)
            if m is not TableBookingMode.CUSTOM
            else TableBooking(m, (("T1", "BY_SEAT"),))
        )
    ),
)
category_sets = st.lists(
    st.builds(
        SeasonCategory,
        key=st.sampled_from(["k1", "k2", "k3"]),
        label=st.sampled_from(["A", "B"]),
        color=st.sampled_from(["#aaa", "#AAA", "#123456"]),
        accessible=st.one_of(st.none(), st.booleans()),
    ),
    max_size=3,
    unique_by=lambda c: c.key,
).map(tuple)
side_files = st.one_of(
    st.none(),
    category_sets.flatmap(
        lambda cats: st.builds(
            SeasonCategories,
            categories=st.just(cats),
            object_categories=st.dictionaries(
                st.sampled_from(["A-1", "A-2"]), st.sampled_from([c.key for c in cats] or ["-"])
            ).map(lambda d: tuple(sorted(d.items())) if cats else ()),
            not_for_sale_objects=st.lists(st.sampled_from(["A-1", "B-1"]), max_size=2).map(tuple),
            no_categories=st.just(not cats),  # as the reader allows: empty only when said so
        )
    ),
)
rules = st.builds(
    SeasonRule,
    season_id=st.integers(1, 4),
    season_key=st.sampled_from(["s1", "s2", "s3", "perf-1"]),
    chart_key=st.sampled_from(["chart-1", "chart-2"]),
    name=st.one_of(st.none(), st.text(max_size=5)),
    performance_ids=st.one_of(st.none(), st.frozensets(st.integers(1, 8), max_size=4)),
    production_season_id=st.one_of(st.none(), st.integers(1, 2)),
    for_sale_propagated=st.one_of(st.none(), st.booleans()),
    table_booking=bookings,
    categories=side_files,
)
performances = st.lists(
    st.builds(
        WantedPerformance,
        performance_id=st.integers(1, 8),
        season_id=st.one_of(st.none(), st.integers(1, 4)),
        production_season_id=st.one_of(st.none(), st.integers(1, 2)),
        facility_id=st.one_of(st.none(), st.integers(46, 47)),
        description=st.one_of(st.none(), st.text(max_size=5)),
        cancelled=st.booleans(),
    ),
    max_size=8,
)
seen_events = st.lists(
    st.builds(
        SeenEvent,
        key=st.sampled_from(["s1", "s2", "perf-1", "perf-2", "perf-3", "x"]),
        chart_key=st.one_of(st.none(), st.sampled_from(["chart-1", "chart-2"])),
        is_season=st.booleans(),
        season_key=st.one_of(st.none(), st.sampled_from(["s1", "s2"])),
        name=st.one_of(st.none(), st.text(max_size=3)),
        for_sale_propagated=st.one_of(st.none(), st.booleans()),
        table_booking=bookings,
        members=st.lists(st.sampled_from(["perf-1", "perf-4", "y"]), max_size=3).map(tuple),
        categories=category_sets,
    ),
    max_size=6,
).map(lambda evs: {e.key: e for e in evs})


@settings(max_examples=300, deadline=None)
@given(st.lists(rules, max_size=3), performances)
def test_planning_from_nothing_converges_in_one_step(
    season_rules: list[SeasonRule], perfs: list[WantedPerformance]
) -> None:
    keys = [r.season_key for r in season_rules]
    if len(set(keys)) != len(keys):
        return
    tables = replace(TABLES, seasons=tuple(season_rules))
    plan = plan_seasons(tables, CHARTS, perfs, {})
    after = simulate({}, plan.calls)
    assert plan_seasons(tables, CHARTS, perfs, after).calls == ()


@settings(max_examples=300, deadline=None)
@given(st.lists(rules, max_size=3), performances, seen_events)
def test_garbage_never_crashes_and_never_recreates_what_exists(
    season_rules: list[SeasonRule], perfs: list[WantedPerformance], seen: dict[str, SeenEvent]
) -> None:
    keys = [r.season_key for r in season_rules]
    if len(set(keys)) != len(keys):
        return
    tables = replace(TABLES, seasons=tuple(season_rules))
    plan = plan_seasons(tables, CHARTS, perfs, seen)
    for c in plan.calls:
        if isinstance(c, CreateSeason):
            assert c.season_key not in seen
            assert not set(c.event_keys) & set(seen)
        elif isinstance(c, CreateEventsInSeason):
            assert seen[c.season_key].is_season
            assert not set(c.event_keys) & set(seen)
        elif isinstance(c, CreateEvent):
            assert c.event_key not in seen
        else:
            assert c.body()  # an update sends at least one field
    assert plan.to_json()["summary"]["api_calls"] == len(plan.calls)


@settings(max_examples=300, deadline=None)
@given(side_files, side_files)
def test_a_side_file_change_sends_only_the_fields_that_changed_then_nothing(
    before: SeasonCategories | None, after: SeasonCategories | None
) -> None:
    first = replace(TABLES, seasons=(replace(RULE, categories=before),))
    seen = simulate({}, plan_seasons(first, CHARTS, [perf(1)], {}).calls)
    changed = replace(TABLES, seasons=(replace(RULE, categories=after),))
    plan = plan_seasons(changed, CHARTS, [perf(1)], seen)
    body = plan.calls[0].body() if plan.calls else {}
    assert set(body) <= {"categories", "objectCategories"}
    assert "forSaleConfig" not in body  # the initial for-sale config is never re-applied
    if after is None:
        assert plan.calls == ()
    else:
        old = before or SeasonCategories()
        same = {c.key: (c.label, c.color.casefold(), bool(c.accessible)) for c in old.categories}
        new = {c.key: (c.label, c.color.casefold(), bool(c.accessible)) for c in after.categories}
        assert ("categories" in body) == (same != new)
        assert ("objectCategories" in body) == (old.object_categories != after.object_categories)
    assert plan_seasons(changed, CHARTS, [perf(1)], simulate(seen, plan.calls)).calls == ()


def test_a_new_season_is_created_with_its_categories_and_initial_for_sale() -> None:
    cats = SeasonCategories(
        (SeasonCategory("c1", "Companion", "#123456", True),),
        (("A-1", "c1"),),
        not_for_sale_objects=("B-1",),
    )
    tables = replace(TABLES, seasons=(replace(RULE, categories=cats),))
    (create,) = [c for c in plan_seasons(tables, CHARTS, [perf(1)], {}).calls]
    body = create.body()
    assert body["categories"] == [
        {"key": "c1", "label": "Companion", "color": "#123456", "accessible": True}
    ]
    assert body["objectCategories"] == {"A-1": "c1"}
    assert body["forSaleConfig"] == {"forSale": False, "objects": ["B-1"], "categories": []}


def test_a_side_file_that_says_no_categories_clears_with_empty_arrays() -> None:
    cats = SeasonCategories((SeasonCategory("c1", "Companion", "#123456"),), (("A-1", "c1"),))
    seen = simulate(
        {},
        plan_seasons(
            replace(TABLES, seasons=(replace(RULE, categories=cats),)), CHARTS, [perf(1)], {}
        ).calls,
    )
    none = SeasonCategories(no_categories=True)
    empty = replace(TABLES, seasons=(replace(RULE, categories=none),))
    (update,) = plan_seasons(empty, CHARTS, [perf(1)], seen).calls
    assert update.body() == {"categories": [], "objectCategories": []}


def test_an_empty_category_list_not_said_so_is_never_sent() -> None:
    """Case 9 of issue 25: an empty side file (the reader refuses it; here built in code) must not
    wipe a live season's categories; the plan fails and says so."""
    cats = SeasonCategories((SeasonCategory("c1", "Companion", "#123456"),), (("A-1", "c1"),))
    seen = simulate(
        {},
        plan_seasons(
            replace(TABLES, seasons=(replace(RULE, categories=cats),)), CHARTS, [perf(1)], {}
        ).calls,
    )
    empty = replace(TABLES, seasons=(replace(RULE, categories=SeasonCategories()),))
    plan = plan_seasons(empty, CHARTS, [perf(1)], seen)
    assert plan.calls == ()
    assert plan.failed
    assert [f.kind for f in plan.findings] == ["categories-not-cleared"]
