"""Lingering leases, on both backends: a run that stopped with a write in flight hands its unit over
only once that write can no longer land; until then nobody takes it, not even from a dead holder."""

from datetime import UTC, datetime, timedelta

from bridge.store import StateStore
from bridge.store.base import Lease

T0 = datetime(2026, 11, 21, 19, 30, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def test_a_lingering_lease_is_refused_to_everyone_until_it_runs_out(store: StateStore) -> None:
    assert store.acquire_lease(101, "host:1:x/run-a", 300, now=T0)
    assert store.linger_lease(101, "host:1:x/run-a", 10, now=T0 + SECOND)
    assert store.leases(now=T0 + 2 * SECOND) == [
        Lease(101, "host:1:x/run-a", T0 + 11 * SECOND, lingering=True)
    ]
    later = T0 + 10 * SECOND
    assert not store.acquire_lease(101, "b", 30, now=later)
    # a holder found dead is no reason either: what it sent may still land
    assert not store.acquire_lease(101, "b", 30, now=later, reclaim_from="host:1:x/run-a")
    assert store.lease_holder(101, now=later) == "host:1:x/run-a"
    assert store.acquire_lease(101, "b", 30, now=T0 + 11 * SECOND)
    assert store.leases(now=T0 + 12 * SECOND) == [Lease(101, "b", T0 + 41 * SECOND)]


def test_a_lingering_lease_is_neither_renewed_nor_released_nor_counted_as_held(
    store: StateStore,
) -> None:
    assert store.acquire_lease(101, "a", 300, now=T0)
    assert store.lease_time_left("a", now=T0) == {101: 300.0}
    assert store.linger_lease(101, "a", 10, now=T0)
    assert store.lease_time_left("a", now=T0) == {}  # its run is over: no write may use it
    assert not store.renew_lease(101, "a", 300, now=T0)
    store.release_lease(101, "a")
    assert store.lease_holder(101, now=T0) == "a"
    assert not store.acquire_lease(101, "a", 300, now=T0)  # nor taken back by the same run


def test_only_the_holder_can_make_its_lease_linger(store: StateStore) -> None:
    assert store.acquire_lease(101, "a", 30, now=T0)
    assert not store.linger_lease(101, "b", 300, now=T0)
    assert store.leases(now=T0) == [Lease(101, "a", T0 + 30 * SECOND)]


def test_time_left_is_per_holder(store: StateStore) -> None:
    assert store.acquire_lease(101, "a", 30, now=T0)
    assert store.acquire_lease(102, "a", 60, now=T0)
    assert store.acquire_lease(103, "b", 60, now=T0)
    assert store.lease_time_left("a", now=T0 + 10 * SECOND) == {101: 20.0, 102: 50.0}
    assert store.lease_time_left("a", now=T0 + 30 * SECOND) == {102: 30.0}
