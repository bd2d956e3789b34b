"""Daemon notes: what a running daemon leaves in the store for `seatbridge status` to show."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bridge.store import open_store

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
