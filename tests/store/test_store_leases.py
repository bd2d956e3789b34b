"""Leases: several instances split performances, never applying one performance twice at once."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.store import StateStore, open_store

T0 = datetime(2026, 11, 21, 19, 30, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def test_a_free_performance_is_leased_to_the_first_holder(store: StateStore) -> None:
    assert store.acquire_lease(101, "instance-a", 30, now=T0)
    assert store.lease_holder(101, now=T0) == "instance-a"


def test_a_held_performance_is_refused_to_another_holder(store: StateStore) -> None:
    store.acquire_lease(101, "instance-a", 30, now=T0)
    assert not store.acquire_lease(101, "instance-b", 30, now=T0 + 29 * SECOND)
    assert store.lease_holder(101, now=T0 + 29 * SECOND) == "instance-a"


def test_leases_on_different_performances_do_not_interfere(store: StateStore) -> None:
    assert store.acquire_lease(101, "instance-a", 30, now=T0)
    assert store.acquire_lease(102, "instance-b", 30, now=T0)


def test_the_holder_renews_its_lease_past_the_first_expiry(store: StateStore) -> None:
    store.acquire_lease(101, "instance-a", 30, now=T0)
    assert store.acquire_lease(101, "instance-a", 30, now=T0 + 20 * SECOND)
    assert not store.acquire_lease(101, "instance-b", 30, now=T0 + 45 * SECOND)
    assert store.lease_holder(101, now=T0 + 45 * SECOND) == "instance-a"


def test_an_expired_lease_goes_to_the_next_holder(store: StateStore) -> None:
    store.acquire_lease(101, "instance-a", 30, now=T0)
    assert store.lease_holder(101, now=T0 + 30 * SECOND) is None
    assert store.acquire_lease(101, "instance-b", 30, now=T0 + 30 * SECOND)
    assert store.lease_holder(101, now=T0 + 31 * SECOND) == "instance-b"


def test_a_released_lease_is_free_for_another_holder(store: StateStore) -> None:
    store.acquire_lease(101, "instance-a", 30, now=T0)
    store.release_lease(101, "instance-a")
    assert store.lease_holder(101, now=T0) is None
    assert store.acquire_lease(101, "instance-b", 30, now=T0)


def test_releasing_someone_elses_lease_does_nothing(store: StateStore) -> None:
    store.acquire_lease(101, "instance-a", 30, now=T0)
    store.release_lease(101, "instance-b")
    assert store.lease_holder(101, now=T0) == "instance-a"


def test_a_units_leases_are_released_together_and_only_its_own(store: StateStore) -> None:
    for pid in (101, 102, 103):
        store.acquire_lease(pid, "instance-a", 30, now=T0)
    store.acquire_lease(104, "instance-b", 30, now=T0)
    store.acquire_lease(105, "instance-a", 30, now=T0)
    assert store.linger_lease(105, "instance-a", 10, now=T0)
    store.release_leases([101, 102, 104, 105], "instance-a")
    held = {lease.performance_id: lease.holder for lease in store.leases(now=T0)}
    assert held == {103: "instance-a", 104: "instance-b", 105: "instance-a"}
    store.release_leases([], "instance-a")  # nothing to give up: nothing happens


def test_a_lease_without_positive_ttl_is_refused(store: StateStore) -> None:
    with pytest.raises(ValueError, match="positive"):
        store.acquire_lease(101, "instance-a", 0, now=T0)


def test_two_stores_on_one_file_cannot_both_hold_a_performance(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with open_store(path) as a, open_store(path) as b:
        assert a.acquire_lease(101, "instance-a", 30, now=T0)
        assert not b.acquire_lease(101, "instance-b", 30, now=T0 + SECOND)
        assert b.lease_holder(101, now=T0 + SECOND) == "instance-a"
