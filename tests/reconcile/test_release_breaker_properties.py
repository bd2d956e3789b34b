"""The mass-release breaker over a rolling window (the daemon's) against one pass (the CLI's), and
the vanished-holds rule: pure core, property-tested."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bridge.clock import ManualClock
from bridge.core.guards import (
    VANISHED_FROM,
    Release,
    ReleaseBreaker,
    freed_within,
    vanished_holds,
)
from bridge.core.policy import Policy
from bridge.reconcile.release_window import WindowBreaker
from bridge.store import open_store

T0 = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)
WINDOW_S = 300.0

shares = st.sampled_from([0.0, 0.05, 0.2, 0.5, 1.0])
floors = st.integers(min_value=0, max_value=120)
helds = st.integers(min_value=0, max_value=1000)
#: what each unit would free, in the order the units run
unit_releases = st.lists(st.integers(min_value=0, max_value=80), max_size=12)


def _window_admissions(
    policy: Policy, held: int, releases: list[int], gaps: list[float]
) -> tuple[list[bool], list[Release]]:
    """Each unit admitted (or not) by a fresh window breaker at its own time, as the daemon's
    units each run one pass; the admitted releases are the record the next unit reads."""
    record: list[Release] = []
    out: list[bool] = []
    at = T0
    for released, gap in zip(releases, gaps, strict=True):
        at += timedelta(seconds=gap)
        breaker = ReleaseBreaker.for_window(policy, held, record, at, WINDOW_S)
        ok = breaker.admit(released)
        out.append(ok)
        if ok and released:
            record.append(Release(at, released))
    return out, record


@given(shares, floors, helds, unit_releases, st.data())
def test_units_split_over_one_window_trip_exactly_where_one_pass_does(
    share: float, floor: int, held: int, releases: list[int], data: st.DataObject
) -> None:
    policy = Policy(mass_release_share=share, mass_release_floor=floor)
    # any times, all within one window: the gaps add up to less than it
    gaps = data.draw(
        st.lists(
            st.floats(min_value=0, max_value=WINDOW_S / (len(releases) + 1)),
            min_size=len(releases),
            max_size=len(releases),
        )
    )
    one_pass = ReleaseBreaker.for_pass(policy, held)
    expected = [one_pass.admit(r) for r in releases]
    got, _ = _window_admissions(policy, held, releases, gaps)
    assert got == expected


@given(shares, floors, helds, unit_releases, st.integers(min_value=0, max_value=200))
def test_releases_outside_the_window_do_not_count(
    share: float, floor: int, held: int, releases: list[int], late_s: int
) -> None:
    policy = Policy(mass_release_share=share, mass_release_floor=floor)
    old = [Release(T0, r) for r in releases]
    now = T0 + timedelta(seconds=WINDOW_S + late_s)
    assert freed_within(old, now, WINDOW_S) == 0
    windowed = ReleaseBreaker.for_window(policy, held, old, now, WINDOW_S)
    fresh = ReleaseBreaker.for_pass(policy, held)
    assert [windowed.admit(r) for r in releases] == [fresh.admit(r) for r in releases]


@given(
    shares,
    floors,
    helds,
    unit_releases,
    st.lists(st.floats(min_value=0, max_value=2 * WINDOW_S), min_size=12, max_size=12),
)
def test_no_window_ever_admits_above_the_share_and_the_floor(
    share: float, floor: int, held: int, releases: list[int], gaps: list[float]
) -> None:
    policy = Policy(mass_release_share=share, mass_release_floor=floor)
    _, record = _window_admissions(policy, held, releases, gaps[: len(releases)])
    for last in record:  # every window that ends at an admitted release
        total = freed_within([r for r in record if r.at <= last.at], last.at, WINDOW_S)
        assert not (total > share * held and total >= floor), (total, record)


@given(
    st.dictionaries(st.integers(1, 50), st.integers(0, 3), max_size=8),
    st.dictionaries(st.integers(1, 50), st.integers(0, 60), max_size=8),
)
def test_a_performance_vanished_exactly_when_it_answers_none_where_the_bridge_holds_enough(
    holds: dict[int, int], had: dict[int, int]
) -> None:
    got = vanished_holds(holds, had)
    assert set(got) == {p for p, n in holds.items() if n == 0 and had.get(p, 0) >= VANISHED_FROM}
    for pid, why in got.items():
        assert f"performance {pid}" in why and str(had[pid]) in why


def test_the_daemon_window_is_shared_by_instances_and_survives_a_restart() -> None:
    """Two daemons on one store (or one restarted) read the same window: four small releases
    trip it on the second, as one pass over the four would; a window later it admits again."""
    clock = ManualClock(T0)
    store = open_store(":memory:", clock=clock)
    policy = Policy()  # 20 % and at least 50
    a = WindowBreaker(store, policy, WINDOW_S, clock)
    b = WindowBreaker(store, policy, WINDOW_S, clock)
    assert a.admit(46)  # 46 of nothing held: under the floor
    clock.advance(10)
    assert not b.admit(30)  # 76 freed within the window: over the share and the floor
    assert "freed 46" in b.reason(30)
    restarted = WindowBreaker(store, policy, WINDOW_S, clock)
    assert not restarted.admit(30)
    clock.advance(WINDOW_S)
    assert restarted.admit(30)  # the 46 are out of the window now
    kept = [n.key for n in store.notes("release-window/")]
    assert len(kept) == 1 and "20:05:10" in kept[0]  # the 46 were pruned


def test_an_instance_whose_clock_runs_ahead_neither_prunes_nor_outdates_the_windows_releases() -> (
    None
):
    """The window is judged by the store's clock: an instance 400 s ahead (or one whose clock
    stepped) sees the same releases as the others, and its pruning drops none of theirs."""
    store_clock = ManualClock(T0)
    store = open_store(":memory:", clock=store_clock)
    policy = Policy()  # 20 % and at least 50
    a = WindowBreaker(store, policy, WINDOW_S, ManualClock(T0))
    ahead = WindowBreaker(store, policy, WINDOW_S, ManualClock(T0 + timedelta(seconds=400)))
    assert a.admit(46)
    store_clock.advance(5)
    assert ahead.admit(1)  # 47: under the floor; its prune keeps a's 46
    store_clock.advance(5)
    assert not a.admit(46)  # 93 within one window: refused
    assert len(store.notes("release-window/")) == 2
