"""Leases tied to a live holder, at the store: renewal only by the holder that still has it,
take-over only from the very holder found dead, and what `seatbridge status` reads (live leases,
unfinished runs)."""

from datetime import UTC, datetime, timedelta

import pytest

from bridge.store import RunMode, StateStore
from bridge.store.base import Lease

T0 = datetime(2026, 11, 21, 19, 30, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def test_the_holder_renews_its_lease_to_now_plus_ttl(store: StateStore) -> None:
    store.acquire_lease(101, "a", 30, now=T0)
    assert store.renew_lease(101, "a", 30, now=T0 + 20 * SECOND)
    assert store.leases(now=T0 + 45 * SECOND) == [Lease(101, "a", T0 + 50 * SECOND)]


def test_renewal_fails_once_another_holder_took_the_lease(store: StateStore) -> None:
    store.acquire_lease(101, "a", 30, now=T0)
    assert store.acquire_lease(101, "b", 30, now=T0 + 31 * SECOND)  # a's ran out
    assert not store.renew_lease(101, "a", 30, now=T0 + 32 * SECOND)
    assert store.lease_holder(101, now=T0 + 32 * SECOND) == "b"


def test_renewal_never_recreates_a_released_lease(store: StateStore) -> None:
    store.acquire_lease(101, "a", 30, now=T0)
    store.release_lease(101, "a")
    assert not store.renew_lease(101, "a", 30, now=T0 + SECOND)
    assert store.lease_holder(101, now=T0 + SECOND) is None


def test_a_run_out_lease_nobody_took_is_still_renewable(store: StateStore) -> None:
    store.acquire_lease(101, "a", 30, now=T0)
    assert store.renew_lease(101, "a", 30, now=T0 + 40 * SECOND)
    assert store.lease_holder(101, now=T0 + 41 * SECOND) == "a"


def test_renewal_needs_a_positive_ttl(store: StateStore) -> None:
    store.acquire_lease(101, "a", 30, now=T0)
    with pytest.raises(ValueError, match="positive"):
        store.renew_lease(101, "a", 0, now=T0)


def test_a_dead_holders_lease_is_reclaimed_from_exactly_that_holder(store: StateStore) -> None:
    store.acquire_lease(101, "host:1:dead", 300, now=T0)
    assert not store.acquire_lease(101, "b", 300, now=T0 + SECOND, reclaim_from="someone-else")
    assert store.acquire_lease(101, "b", 300, now=T0 + SECOND, reclaim_from="host:1:dead")
    assert store.lease_holder(101, now=T0 + SECOND) == "b"
    # a second process that found the same holder dead comes too late: b is not that holder
    assert not store.acquire_lease(101, "c", 300, now=T0 + SECOND, reclaim_from="host:1:dead")


def test_leases_lists_only_leases_not_run_out(store: StateStore) -> None:
    store.acquire_lease(102, "b", 60, now=T0)
    store.acquire_lease(101, "a", 30, now=T0)
    assert store.leases(now=T0 + 10 * SECOND) == [
        Lease(101, "a", T0 + 30 * SECOND),
        Lease(102, "b", T0 + 60 * SECOND),
    ]
    assert [lease.performance_id for lease in store.leases(now=T0 + 30 * SECOND)] == [102]


def test_unfinished_runs_are_those_never_finished_oldest_first(store: StateStore) -> None:
    done = store.begin_run([101], RunMode.APPLY, now=T0)
    store.finish_run(done, "{}", now=T0 + SECOND)
    first = store.begin_run([102, 103], RunMode.APPLY, now=T0 + 2 * SECOND)
    second = store.begin_run([101], RunMode.APPLY, now=T0 + 3 * SECOND)
    runs = store.unfinished_runs()
    assert [(r.run_id, r.performance_ids, r.finished_at) for r in runs] == [
        (first, (102, 103), None),
        (second, (101,), None),
    ]
    assert runs[0].started_at == T0 + 2 * SECOND
