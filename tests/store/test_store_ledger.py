"""The ledger: what the bridge owns, written before the seats.io call it guards."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.domain import LedgerEntry, Ownership
from bridge.store import StateStore

T0 = datetime(2026, 11, 21, 19, 30, tzinfo=UTC)
NO_NUL = st.characters(codec="utf-8", exclude_characters="\x00")
# one store per test, emptied at the start of each example: opening one per example is slow
#: each example is a round trip to a real store (PostgreSQL too): its time is the database's,
#: not the property's, so no per-example deadline
REUSES_STORE = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)


def emptied(store: StateStore) -> StateStore:
    store.forget(list(store.ledger()))
    return store


entries = st.builds(
    LedgerEntry,
    event_key=st.sampled_from(["perf-101", "perf-102", "season-2026"]),
    # no NUL: PostgreSQL text cannot hold one, and no seats.io label or key has one
    label=st.sampled_from(["A-1-1", "A-1-2", "B-7-12"]) | st.text(NO_NUL, max_size=12),
    ownership=st.sampled_from(Ownership),
    target=st.sampled_from(["", "house-seats", "held-press"]) | st.text(NO_NUL, max_size=8),
    since=st.none()
    | st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=2)), timezone(-timedelta(hours=5))]
        ),
    ),
    performance_id=st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1),
)


@REUSES_STORE
@given(batches=st.lists(st.lists(entries, max_size=25), max_size=4))
def test_ledger_returns_exactly_what_was_claimed_with_the_last_claim_per_key_winning(
    store: StateStore, batches: list[list[LedgerEntry]]
) -> None:
    emptied(store)
    for batch in batches:
        store.claim(batch)
    assert store.ledger() == {(e.event_key, e.label): e for batch in batches for e in batch}


@REUSES_STORE
@given(claimed=st.lists(entries, max_size=25), data=st.data())
def test_forget_removes_only_the_given_keys(
    store: StateStore, claimed: list[LedgerEntry], data: st.DataObject
) -> None:
    emptied(store).claim(claimed)
    before = store.ledger()
    gone = data.draw(
        st.lists(st.sampled_from(sorted(before)), unique=True) if before else st.just([])
    )
    store.forget([*gone, ("perf-999", "never-claimed")])
    assert store.ledger() == {k: v for k, v in before.items() if k not in set(gone)}


def test_since_comes_back_as_the_same_instant_in_utc(store: StateStore) -> None:
    local = datetime(2026, 11, 21, 20, 30, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
    store.claim([LedgerEntry("perf-101", "A-1-1", Ownership.STATUS, "held-press", local, 101)])
    since = store.ledger()[("perf-101", "A-1-1")].since
    assert since == local
    assert since is not None and since.utcoffset() == timedelta(0)


def test_ledger_filtered_by_event_keys_returns_only_those_events(store: StateStore) -> None:
    store.claim(
        [
            LedgerEntry("perf-101", "A-1-1", Ownership.CHANNEL, "house-seats"),
            LedgerEntry("perf-102", "A-1-1", Ownership.CHANNEL, "house-seats"),
            LedgerEntry("season-2026", "A-1-1", Ownership.NOT_FOR_SALE, ""),
        ]
    )
    assert set(store.ledger(["perf-101", "season-2026"])) == {
        ("perf-101", "A-1-1"),
        ("season-2026", "A-1-1"),
    }
    assert store.ledger([]) == {}


def test_ledger_refuses_a_single_event_key_string_for_the_collection(store: StateStore) -> None:
    with pytest.raises(TypeError, match="single string"):
        store.ledger("perf-101")


def test_a_claim_with_one_bad_entry_stores_none_of_its_entries(store: StateStore) -> None:
    good = LedgerEntry("perf-101", "A-1-1", Ownership.CHANNEL, "house-seats")
    bad = LedgerEntry("perf-101", "A-1-2", "bogus", "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="refused"):
        store.claim([good, bad])
    assert store.ledger() == {}


def test_a_naive_since_is_refused_rather_than_guessed(store: StateStore) -> None:
    naive = LedgerEntry("perf-101", "A-1-1", Ownership.CHANNEL, "c", datetime(2026, 11, 21))
    with pytest.raises(ValueError, match="naive"):
        store.claim([naive])


def test_three_thousand_entries_round_trip_in_one_claim(store: StateStore) -> None:
    batch = [
        LedgerEntry("perf-101", f"S-{i}", Ownership.STATUS, "held-press", T0, 101)
        for i in range(3000)
    ]
    store.claim(batch)
    assert store.ledger(["perf-101"]) == {("perf-101", e.label): e for e in batch}
