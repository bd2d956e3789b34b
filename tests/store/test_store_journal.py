"""The journal: every run and every operation, so a crash mid-apply is found and repaired."""

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.clock import ManualClock
from bridge.store import JournalOp, OpState, RunMode, StateStore, open_store

OpenStore = Callable[..., StateStore]

T0 = datetime(2026, 11, 21, 19, 30, tzinfo=UTC)
OP = json.dumps({"kind": "assign-channel", "event": "perf-101", "objects": ["A-1-1"]})


def test_run_ids_grow_and_runs_come_back_newest_first(store: StateStore) -> None:
    first = store.begin_run([101], RunMode.APPLY, '{"ops": []}', now=T0)
    second = store.begin_run([101, 102], RunMode.DRY_RUN, now=T0 + timedelta(seconds=30))
    assert second > first
    newest, oldest = store.runs()
    assert (newest.run_id, newest.mode, newest.performance_ids) == (
        second,
        RunMode.DRY_RUN,
        (101, 102),
    )
    assert (oldest.run_id, oldest.plan_json, oldest.started_at) == (first, '{"ops": []}', T0)
    assert oldest.finished_at is None


def test_runs_respects_the_limit(store: StateStore) -> None:
    ids = [store.begin_run([101], RunMode.APPLY, now=T0) for _ in range(5)]
    assert [r.run_id for r in store.runs(limit=2)] == ids[:-3:-1]


def test_runs_filtered_by_performance_returns_only_runs_covering_it(store: StateStore) -> None:
    both = store.begin_run([101, 102], RunMode.APPLY, now=T0)
    store.begin_run([103], RunMode.APPLY, now=T0)
    only_102 = store.begin_run([102], RunMode.APPLY, now=T0)
    assert [r.run_id for r in store.runs(performance_id=102)] == [only_102, both]


def test_an_operation_is_recorded_started_then_finished(store: StateStore) -> None:
    run_id = store.begin_run([101], RunMode.APPLY, now=T0)
    store.op_started(run_id, 0, OP, now=T0)
    store.op_started(run_id, 1, OP, now=T0)
    store.op_finished(run_id, 0, OpState.DONE, now=T0 + timedelta(seconds=1))
    store.op_finished(
        run_id, 1, OpState.FAILED, "HTTP 400: bad label", now=T0 + timedelta(seconds=2)
    )
    store.finish_run(run_id, '{"converged": false}', now=T0 + timedelta(seconds=3))
    assert store.ops(run_id) == [
        JournalOp(run_id, 0, OP, OpState.DONE, T0, T0 + timedelta(seconds=1)),
        JournalOp(
            run_id, 1, OP, OpState.FAILED, T0, T0 + timedelta(seconds=2), "HTTP 400: bad label"
        ),
    ]
    (run,) = store.runs()
    assert (run.summary_json, run.finished_at) == (
        '{"converged": false}',
        T0 + timedelta(seconds=3),
    )
    assert store.unfinished_ops() == []


def test_starting_an_operation_again_resets_it_to_started(store: StateStore) -> None:
    run_id = store.begin_run([101], RunMode.APPLY, now=T0)
    store.op_started(run_id, 0, OP, now=T0)
    store.op_finished(run_id, 0, OpState.FAILED, "timeout", now=T0)
    store.op_started(run_id, 0, OP, now=T0 + timedelta(seconds=5))
    assert store.ops(run_id) == [
        JournalOp(run_id, 0, OP, OpState.STARTED, T0 + timedelta(seconds=5))
    ]


def test_finishing_an_operation_that_never_started_is_refused(store: StateStore) -> None:
    run_id = store.begin_run([101], RunMode.APPLY, now=T0)
    with pytest.raises(ValueError, match="no started operation 7"):
        store.op_finished(run_id, 7, OpState.DONE)


def test_finishing_an_operation_as_started_is_refused(store: StateStore) -> None:
    run_id = store.begin_run([101], RunMode.APPLY, now=T0)
    store.op_started(run_id, 0, OP, now=T0)
    with pytest.raises(ValueError, match="end state"):
        store.op_finished(run_id, 0, OpState.STARTED)


def test_an_operation_of_an_unknown_run_is_refused(store: StateStore) -> None:
    with pytest.raises(ValueError, match="refused"):
        store.op_started(404, 0, OP, now=T0)


def test_finishing_an_unknown_run_is_refused(store: StateStore) -> None:
    with pytest.raises(ValueError, match="no run 404"):
        store.finish_run(404, "{}")


def test_a_plan_that_is_not_json_is_refused(store: StateStore) -> None:
    with pytest.raises(ValueError, match="refused"):
        store.begin_run([101], RunMode.APPLY, "{not json", now=T0)


def test_journal_times_come_from_the_injected_clock_when_now_is_omitted(
    open_fresh: OpenStore,
) -> None:
    store = open_fresh(clock=ManualClock(T0))
    run_id = store.begin_run([101], RunMode.APPLY)
    store.op_started(run_id, 0, OP)
    assert store.ops(run_id)[0].started_at == T0
    assert store.runs()[0].started_at == T0


def test_ops_left_started_by_a_closed_store_are_unfinished_after_reopening(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with open_store(path) as store:
        run_id = store.begin_run([101], RunMode.APPLY, now=T0)
        store.op_started(run_id, 0, OP, now=T0)
        store.op_finished(run_id, 0, OpState.DONE, now=T0)
        store.op_started(run_id, 1, OP, now=T0)
    with open_store(path) as reopened:
        assert reopened.unfinished_ops() == [JournalOp(run_id, 1, OP, OpState.STARTED, T0)]
        assert reopened.runs()[0].finished_at is None


def test_ops_started_by_a_process_that_dies_are_unfinished_afterwards(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    crash = textwrap.dedent(
        f"""
        import os
        from bridge.store import RunMode, open_store
        store = open_store({str(path)!r})
        run_id = store.begin_run([101], RunMode.APPLY)
        store.op_started(run_id, 0, '{{"kind": "release"}}')
        os._exit(9)  # no close, no finish: the WAL is left as a crash leaves it
        """
    )
    died = subprocess.run([sys.executable, "-c", crash], check=False)
    assert died.returncode == 9
    with open_store(path) as store:
        (op,) = store.unfinished_ops()
        assert (op.index, op.op_json, op.state) == (0, '{"kind": "release"}', OpState.STARTED)


def test_marking_an_unfinished_operation_unknown_resolves_it(store: StateStore) -> None:
    run_id = store.begin_run([101], RunMode.APPLY, now=T0)
    store.op_started(run_id, 0, OP, now=T0)
    store.op_finished(run_id, 0, OpState.UNKNOWN, "crashed mid-call", now=T0)
    assert store.unfinished_ops() == []
    assert store.ops(run_id)[0].state is OpState.UNKNOWN


def test_unfinished_ops_filtered_by_performance_skip_other_performances(store: StateStore) -> None:
    run_101 = store.begin_run([101], RunMode.APPLY, now=T0)
    run_102 = store.begin_run([102, 103], RunMode.APPLY, now=T0)
    store.op_started(run_101, 0, OP, now=T0)
    store.op_started(run_102, 0, OP, now=T0)
    assert [op.run_id for op in store.unfinished_ops(performance_id=103)] == [run_102]
    assert [op.run_id for op in store.unfinished_ops()] == [run_101, run_102]


def test_prune_deletes_old_finished_runs_and_keeps_unfinished_ones(store: StateStore) -> None:
    old = store.begin_run([101], RunMode.APPLY, now=T0)
    store.op_started(old, 0, OP, now=T0)
    store.op_finished(old, 0, OpState.DONE, now=T0)
    store.finish_run(old, "{}", now=T0)
    crashed = store.begin_run([101], RunMode.APPLY, now=T0)
    store.op_started(crashed, 0, OP, now=T0)
    recent = store.begin_run([101], RunMode.APPLY, now=T0 + timedelta(days=2))
    store.finish_run(recent, "{}", now=T0 + timedelta(days=2))
    assert store.prune_runs(finished_before=T0 + timedelta(days=1)) == 1
    assert [r.run_id for r in store.runs()] == [recent, crashed]
    assert store.ops(old) == []
    assert [op.run_id for op in store.unfinished_ops()] == [crashed]
