"""finding_changes over random findings, garbage included (duplicates, INFO ones, a "before"
that was never an "after"): a standing finding is told once, an incomplete run clears nothing."""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from bridge.core.findings import Finding, FindingKind, Severity
from bridge.core.happenings import FindingKey, finding_changes, finding_key

findings = st.builds(
    Finding,
    kind=st.sampled_from(list(FindingKind)),
    performance_id=st.none() | st.integers(1, 3),
    event_key=st.none() | st.sampled_from(["perf-1", "perf-2", "season-a"]),
    label=st.none() | st.sampled_from(["A-1", "A-2", "B-1"]),
    seat_id=st.none() | st.integers(1, 3),
    hold_code_id=st.none() | st.integers(1, 2),
    detail=st.sampled_from(["", "x", "y"]),
    labels=st.lists(st.sampled_from(["A-1", "A-2"]), max_size=2).map(tuple),
    count=st.none() | st.integers(0, 3),
)


@st.composite
def runs(draw: st.DrawFn) -> list[Finding]:
    """A run's findings, some found twice with other words or counts (one identity)."""
    base = draw(st.lists(findings, max_size=10))
    twins = [
        replace(f, detail=draw(st.sampled_from(["x", "z"])), count=draw(st.none() | st.just(9)))
        for f in base
        if draw(st.booleans())
    ]
    return base + twins


befores = st.lists(findings, max_size=8).map(lambda fs: {finding_key(f): f for f in fs})


def loud_keys(after: list[Finding]) -> set[FindingKey]:
    return {finding_key(f) for f in after if f.severity is not Severity.INFO}


@given(befores, runs(), st.booleans())
def test_nothing_open_before_is_opened_again(
    before: dict[FindingKey, Finding], after: list[Finding], complete: bool
) -> None:
    opened, _, _ = finding_changes(before, after, complete=complete)
    assert not {finding_key(f) for f in opened} & set(before)
    assert all(f.severity is not Severity.INFO for f in opened)


@given(befores, runs())
def test_a_complete_run_leaves_open_exactly_what_it_found(
    before: dict[FindingKey, Finding], after: list[Finding]
) -> None:
    opened, cleared, open_now = finding_changes(before, after, complete=True)
    assert set(open_now) == loud_keys(after)
    assert {finding_key(f) for f in cleared} == set(before) - loud_keys(after)
    assert {finding_key(f) for f in opened} == loud_keys(after) - set(before)


@given(befores, runs())
def test_an_incomplete_run_never_clears(
    before: dict[FindingKey, Finding], after: list[Finding]
) -> None:
    _, cleared, open_now = finding_changes(before, after, complete=False)
    assert cleared == []
    assert set(before) <= set(open_now)
    assert set(open_now) == set(before) | loud_keys(after)


@given(befores, runs(), st.booleans())
def test_the_same_run_twice_opens_and_clears_nothing_the_second_time(
    before: dict[FindingKey, Finding], after: list[Finding], complete: bool
) -> None:
    _, _, open_now = finding_changes(before, after, complete=complete)
    opened, cleared, again = finding_changes(open_now, after, complete=complete)
    assert (opened, cleared) == ([], [])
    assert set(again) == set(open_now)


@given(befores, runs(), st.booleans(), st.randoms())
def test_what_is_told_does_not_depend_on_the_order_found(
    before: dict[FindingKey, Finding], after: list[Finding], complete: bool, rnd: random.Random
) -> None:
    shuffled = list(after)
    rnd.shuffle(shuffled)
    first = finding_changes(before, after, complete=complete)
    second = finding_changes(before, shuffled, complete=complete)
    assert first == second
