"""Times, on both backends alike: every method that reads or stamps a time refuses a naive one
(the store never guesses a time zone), and the injected clock stands in wherever ``now`` is left
out; leases are judged by the store's own clock: SQLite's injected one, PostgreSQL's server
clock (tests/store/test_store_postgres_leases.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bridge.clock import ManualClock
from bridge.store import OpState, PerformanceStatus, RunMode, StateStore, SyncOutcome, open_store

OpenStore = Callable[..., StateStore]

T0 = datetime(2026, 11, 21, 19, 30, tzinfo=UTC)
NAIVE = datetime(2026, 11, 21, 19, 30)


def _finish_op(store: StateStore) -> None:
    run_id = store.begin_run([101], RunMode.APPLY, now=T0)
    store.op_started(run_id, 0, "{}", now=T0)
    store.op_finished(run_id, 0, OpState.DONE, now=NAIVE)


def _budget_after_a_reported_figure(store: StateStore) -> None:
    store.record_for_sale_call("perf-101", now=T0, remaining=5)
    store.for_sale_calls_left("perf-101", now=NAIVE)


NAIVE_CALLS: dict[str, Callable[[StateStore], object]] = {
    "begin_run": lambda s: s.begin_run([101], RunMode.APPLY, now=NAIVE),
    "op_started": lambda s: s.op_started(s.begin_run([101], RunMode.APPLY, now=T0), 0, "{}", NAIVE),
    "op_finished": _finish_op,
    "finish_run": lambda s: s.finish_run(s.begin_run([101], RunMode.APPLY, now=T0), "{}", NAIVE),
    "prune_runs": lambda s: s.prune_runs(NAIVE),
    "set_performance_status": lambda s: s.set_performance_status(
        PerformanceStatus(101, NAIVE, SyncOutcome.CONVERGED)
    ),
    "record_for_sale_call": lambda s: s.record_for_sale_call("perf-101", now=NAIVE),
    "record_for_sale_call resets_at": lambda s: s.record_for_sale_call(
        "perf-101", now=T0, remaining=3, resets_at=NAIVE
    ),
    "for_sale_calls_left": _budget_after_a_reported_figure,
    "record_seat_table_rows": lambda s: s.record_seat_table_rows({7: 100}, now=NAIVE),
    "put_note": lambda s: s.put_note("k", "1", now=NAIVE),
    "acquire_lease": lambda s: s.acquire_lease(101, "a", 30, now=NAIVE),
    "renew_lease": lambda s: s.renew_lease(101, "a", 30, now=NAIVE),
    "lease_holder": lambda s: s.lease_holder(101, now=NAIVE),
    "leases": lambda s: s.leases(now=NAIVE),
    "instances": lambda s: s.instances(30, now=NAIVE),
}


@pytest.mark.parametrize("call", NAIVE_CALLS.values(), ids=NAIVE_CALLS.keys())
def test_a_naive_time_is_refused_by_every_method(
    store: StateStore, call: Callable[[StateStore], object]
) -> None:
    with pytest.raises(ValueError, match="naive"):
        call(store)


def test_sqlite_leases_run_out_by_the_injected_clock() -> None:
    clock = ManualClock(T0)
    with open_store(":memory:", clock=clock) as store:
        assert store.acquire_lease(101, "instance-a", 30)
        assert [lease.expires_at for lease in store.leases()] == [T0 + timedelta(seconds=30)]
        assert store.lease_time_left("instance-a") == {101: 30.0}
        clock.advance(29)
        assert not store.acquire_lease(101, "instance-b", 30)
        assert store.lease_time_left("instance-a") == {101: 1.0}
        clock.advance(1)
        assert store.lease_holder(101) is None
        assert store.lease_time_left("instance-a") == {}
        assert store.acquire_lease(101, "instance-b", 30)
