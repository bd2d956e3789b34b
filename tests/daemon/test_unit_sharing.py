"""How instances on a shared store split the units: every unit has exactly one owner, the split
is even, and a death or an arrival moves only the units it must."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from bridge.daemon.schedule import owner_of

holders = st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=6, unique=True)
keys = st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=40, unique=True)


@given(holders, keys)
def test_every_unit_has_one_owner_among_the_live_instances_whatever_their_order(
    live: list[str], units: list[str]
) -> None:
    for key in units:
        owner = owner_of(key, live)
        assert owner in live
        assert owner_of(key, list(reversed(live))) == owner  # each instance computes the same


@given(holders, keys, st.data())
def test_a_death_moves_only_the_dead_instances_units(
    live: list[str], units: list[str], data: st.DataObject
) -> None:
    if len(live) < 2:
        return
    dead = data.draw(st.sampled_from(live))
    survivors = [h for h in live if h != dead]
    for key in units:
        before, after = owner_of(key, live), owner_of(key, survivors)
        assert after in survivors
        if before != dead:
            assert after == before  # a survivor's unit never changes hands


@given(holders, keys, st.text(min_size=1, max_size=30))
def test_an_arrival_takes_units_only_for_itself(
    live: list[str], units: list[str], newcomer: str
) -> None:
    if newcomer in live:
        return
    for key in units:
        after = owner_of(key, [*live, newcomer])
        assert after in (owner_of(key, live), newcomer)


def test_nobody_owns_a_unit_when_no_instance_is_live() -> None:
    assert owner_of("season:1", []) is None


def test_three_instances_get_about_a_third_of_the_units_each() -> None:
    live = ["db1:101:4026531836.900", "db2:102:4026531836.901", "db3:103:4026531836.902"]
    counts = Counter(owner_of(f"perf:{n}", live) for n in range(600))
    assert set(counts) == set(live)
    assert all(150 <= c <= 250 for c in counts.values()), counts
