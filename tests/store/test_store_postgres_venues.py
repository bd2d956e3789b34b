"""Several venues share one PostgreSQL database: each sees only its own rows, whatever the table."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from bridge.domain import LedgerEntry, Ownership, WritebackHold
from bridge.store import OpState, PerformanceStatus, RunMode, SyncOutcome

if TYPE_CHECKING:
    from bridge.store.postgres import PostgresStore

OpenPostgres = Callable[..., "PostgresStore"]
T0 = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)


def fill(store: PostgresStore) -> int:
    """One row of everything; returns the run id."""
    store.claim([LedgerEntry("perf-101", "A-1-1", Ownership.CHANNEL, "house", T0, 101)])
    store.claim_writeback([WritebackHold(101, 5001, "A-1-1", "perf-101", 7, T0)])
    store.set_performance_status(PerformanceStatus(101, T0, SyncOutcome.CONVERGED, "perf-101"))
    store.put_note("daemon.role", '{"role": "active"}', now=T0)
    assert store.acquire_lease(101, "holder", 3600, now=T0)
    run_id = store.begin_run([101], RunMode.APPLY, "{}", now=T0)
    store.op_started(run_id, 0, "{}", now=T0)
    store.announce_instance("holder", "h:1", ["u"], now=T0)
    store.record_for_sale_call("perf-101", now=T0, remaining=2)
    store.record_seat_table_rows({7: 120}, now=T0)
    return run_id


def test_two_venues_in_one_database_see_nothing_of_each_other(open_pg: OpenPostgres) -> None:
    a = open_pg(venue="venue-a")
    b = open_pg(venue="venue-b")
    run_a = fill(a)
    assert b.ledger() == {}
    assert b.ledger(["perf-101"]) == {}
    assert b.writeback_holds() == {} and b.writeback_holds([101]) == {}
    assert b.performance_statuses() == []
    assert b.notes() == []
    assert b.lease_holder(101, now=T0) is None
    assert b.leases(now=T0) == []
    assert b.runs() == [] and b.runs(performance_id=101) == []
    assert b.unfinished_runs() == []
    assert b.ops(run_a) == [] and b.unfinished_ops() == []
    assert b.instances(3600, now=T0) == []
    assert b.for_sale_calls_left("perf-101", now=T0) == 10
    assert b.seat_table_rows() == {}
    # nor can it touch them
    assert b.acquire_lease(101, "other", 60, now=T0)
    b.forget([("perf-101", "A-1-1")])
    b.forget_writeback([(101, 5001)])
    b.release_lease(101, "holder")
    b.delete_note("daemon.role")
    b.retire_instance("holder")
    with pytest.raises(ValueError, match="refused"):
        b.op_started(run_a, 1, "{}", now=T0)
    with pytest.raises(ValueError, match="no started operation"):
        b.op_finished(run_a, 0, OpState.DONE, now=T0)
    with pytest.raises(ValueError, match=f"no run {run_a}"):
        b.finish_run(run_a, "{}", now=T0)
    assert b.prune_runs(T0 + timedelta(days=365)) == 0
    # and venue a is as it was
    assert set(a.ledger()) == {("perf-101", "A-1-1")}
    assert set(a.writeback_holds()) == {(101, 5001)}
    assert a.lease_holder(101, now=T0) == "holder"
    assert [n.key for n in a.notes()] == ["daemon.role"]
    assert [i.holder for i in a.instances(3600, now=T0)] == ["holder"]
    assert [op.index for op in a.unfinished_ops()] == [0]
    assert a.for_sale_calls_left("perf-101", now=T0) == 2
    assert a.seat_table_rows() == {7: 120}
    # b's own run ids come from the same sequence: they only grow
    b.release_lease(101, "other")
    run_b = fill(b)
    assert run_b > run_a
    assert [r.run_id for r in b.runs()] == [run_b]
