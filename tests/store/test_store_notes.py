"""Daemon notes: what a running daemon leaves in the store for `seatbridge status` to show."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bridge.clock import ManualClock
from bridge.store import open_store
from bridge.store.base import StateStore
from bridge.store.sqlite import SqliteStore

T0 = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)


def test_notes_are_set_replaced_listed_by_prefix_and_deleted(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    with open_store(path) as store:
        store.put_note("daemon.role", '{"role": "active"}', now=T0)
        store.put_note("daemon.next_runs", "{}", now=T0)
        store.put_note("other", "1", now=T0)
        store.put_note("daemon.role", '{"role": "standby"}', now=T0)
    with open_store(path) as store:  # they outlive the process that wrote them
        notes = store.notes("daemon.")
        assert [(n.key, n.value) for n in notes] == [
            ("daemon.next_runs", "{}"),
            ("daemon.role", '{"role": "standby"}'),
        ]
        assert notes[0].updated_at == T0
        store.delete_note("daemon.role")
        store.delete_note("never-there")
        assert [n.key for n in store.notes()] == ["daemon.next_runs", "other"]


def test_the_stores_clock_is_the_servers_not_a_callers_that_runs_ahead(
    open_fresh: Callable[..., StateStore],
) -> None:
    """What the daemon's release window dates and prunes by: SQLite, the one host's (injected)
    clock; PostgreSQL, the server's ``now()``, whatever the opening process's clock says."""
    ahead = ManualClock(T0 + timedelta(days=365))  # an instance's clock far off
    store = open_fresh(clock=ahead)
    first = store.store_now()
    if isinstance(store, SqliteStore):
        assert first == ahead.now()
    else:
        assert abs(first - store.store_now()) < timedelta(minutes=5)  # the server's, moving
        assert abs(first - ahead.now()) > timedelta(days=300)  # never the caller's


def test_notes_older_than_a_moment_go_by_prefix_and_the_rest_stay(
    open_fresh: Callable[..., StateStore],
) -> None:
    """How kept reads of events that left the schedule are swept (bridge.reconcile.kept_reads)."""
    store = open_fresh()
    store.put_note("kept-read/perf-1", "{}", now=T0 - timedelta(hours=2))
    store.put_note("kept-read/perf-2", "{}", now=T0)
    store.put_note("daemon.role", "{}", now=T0 - timedelta(hours=2))
    store.delete_notes_older_than("kept-read/", 3600, now=T0)
    assert [n.key for n in store.notes()] == ["daemon.role", "kept-read/perf-2"]
