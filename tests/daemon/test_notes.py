"""What `seatbridge status` learns from the store about the daemons on it."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bridge.daemon import notes
from bridge.reconcile.leases import instance_id
from bridge.store import open_store
from bridge.store.base import WRITER_LEASE

T0 = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)


def dead_holder() -> str:
    """A holder id of this host whose process has exited."""
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return f"{socket.gethostname()}:{int(child.stdout)}"


def test_the_active_daemon_is_live_while_it_holds_the_writer_lease(tmp_path: Path) -> None:
    me, gone = instance_id(), dead_holder()
    with open_store(tmp_path / "s.sqlite3") as store:
        assert store.acquire_lease(WRITER_LEASE, me, 30)
        notes.put_role(store, me, "active", "127.0.0.1:9464")
        notes.put_role(store, gone, "standby", "127.0.0.1:9465")
        notes.put_next_runs(
            store, me, {201: notes.NextRun(T0, "cadence"), 203: notes.NextRun(None, "x", True)}
        )
        notes.put_refused_config(store, T0, ["mappings/seats.csv:4:1: not a number"])
        view = notes.read(store)
        assert {(d.holder, d.role, d.live) for d in view.daemons} == {
            (me, "active", True),
            (gone, "standby", False),
        }
        assert view.next_runs == {
            201: notes.NextRun(T0, "cadence", holder=me),
            203: notes.NextRun(None, "x", True, holder=me),
        }
        assert view.refused_config == (T0, ("mappings/seats.csv:4:1: not a number",))
        store.release_lease(WRITER_LEASE, me)  # stopped (or its lease lapsed): nothing is next
        view = notes.read(store)
        assert [d.live for d in view.daemons if d.role == "active"] == [False]
        assert view.next_runs == {}
        notes.clear_refused_config(store)
        notes.drop_role(store, me)
        assert notes.read(store).refused_config is None
        assert [d.holder for d in notes.read(store).daemons] == [gone]


def test_garbage_in_a_note_reads_as_absent(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.sqlite3") as store:
        assert store.acquire_lease(WRITER_LEASE, instance_id(), 30)
        store.put_note(notes.NEXT_RUNS, "{not json")
        store.put_note(notes.CONFIG, '["a list"]')
        store.put_note(notes.ROLE + "h:1:x", "null")
        view = notes.read(store)
        assert view.next_runs == {} and view.refused_config is None
        assert [(d.role, d.listen) for d in view.daemons] == [("?", "")]
