"""Per-performance status: what ``seatbridge status`` shows."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bridge.store import PerformanceStatus, StateStore, SyncOutcome

T0 = datetime(2026, 11, 21, 19, 30, tzinfo=UTC)


def test_a_status_comes_back_as_it_was_set(store: StateStore) -> None:
    status = PerformanceStatus(
        101, T0, SyncOutcome.CONFLICTS, "perf-101", drift=2, conflicts=1, errors=0, run_id=7
    )
    store.set_performance_status(status)
    assert store.performance_statuses() == [status]


def test_setting_a_status_again_replaces_the_old_one(store: StateStore) -> None:
    failed = PerformanceStatus(
        101, T0, SyncOutcome.ERROR, "perf-101", errors=1, last_error="HTTP 500"
    )
    store.set_performance_status(failed)
    converged = PerformanceStatus(101, T0 + timedelta(minutes=1), SyncOutcome.CONVERGED, "perf-101")
    store.set_performance_status(converged)
    assert store.performance_statuses() == [converged]


def test_statuses_come_ordered_by_performance_and_can_be_filtered(store: StateStore) -> None:
    for pid in (103, 101, 102):
        store.set_performance_status(
            PerformanceStatus(pid, T0, SyncOutcome.CONVERGED, f"perf-{pid}")
        )
    assert [s.performance_id for s in store.performance_statuses()] == [101, 102, 103]
    assert [s.performance_id for s in store.performance_statuses([103, 101, 999])] == [101, 103]


def test_a_performance_without_event_keeps_its_refusal(store: StateStore) -> None:
    status = PerformanceStatus(104, T0, SyncOutcome.REFUSED, None, last_error="no event for 104")
    store.set_performance_status(status)
    assert store.performance_statuses() == [status]


def test_a_negative_count_is_refused(store: StateStore) -> None:
    status = PerformanceStatus(101, T0, SyncOutcome.CONVERGED, "perf-101")
    with pytest.raises(ValueError, match="refused"):
        store.set_performance_status(replace(status, drift=-1))


def test_a_units_statuses_are_set_together_and_none_if_one_is_refused(store: StateStore) -> None:
    old = PerformanceStatus(101, T0, SyncOutcome.ERROR, "perf-101", errors=1, last_error="boom")
    store.set_performance_status(old)
    later = T0 + timedelta(minutes=1)
    unit = [
        PerformanceStatus(pid, later, SyncOutcome.CONVERGED, f"perf-{pid}") for pid in (101, 102)
    ]
    with pytest.raises(ValueError, match="refused"):
        store.set_performance_statuses([*unit, replace(unit[0], performance_id=103, drift=-1)])
    assert store.performance_statuses() == [old]
    store.set_performance_statuses(unit)
    assert store.performance_statuses() == unit
