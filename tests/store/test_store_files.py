"""Opening, sharing and closing the store file: WAL, busy timeout, folders, several connections."""

import sqlite3
import threading
from pathlib import Path

import pytest

from bridge.domain import LedgerEntry, Ownership
from bridge.errors import RetryableError
from bridge.store import RunMode, open_store


def entry(label: str) -> LedgerEntry:
    return LedgerEntry("perf-101", label, Ownership.CHANNEL, "house-seats")


def test_opening_creates_missing_parent_folders(tmp_path: Path) -> None:
    path = tmp_path / "var" / "lib" / "seatbridge" / "state.db"
    with open_store(str(path)):
        pass
    assert path.is_file()


def test_a_file_store_runs_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with open_store(path):
        conn = sqlite3.connect(path)
        (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
        conn.close()
    assert mode == "wal"


def test_two_connections_on_one_file_see_each_others_committed_writes(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with open_store(path) as a, open_store(path) as b:
        a.claim([entry("A-1-1")])
        assert set(b.ledger()) == {("perf-101", "A-1-1")}
        run_id = b.begin_run([101], RunMode.APPLY)
        assert [r.run_id for r in a.runs()] == [run_id]
        b.forget([("perf-101", "A-1-1")])
        assert a.ledger() == {}


def test_data_survives_closing_and_reopening(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with open_store(path) as store:
        store.claim([entry("A-1-1")])
    with open_store(path) as store:
        assert set(store.ledger()) == {("perf-101", "A-1-1")}


def test_in_memory_stores_are_private_to_each_opening() -> None:
    with open_store(":memory:") as a, open_store(":memory:") as b:
        a.claim([entry("A-1-1")])
        assert b.ledger() == {}


def test_a_write_blocked_past_the_busy_timeout_is_retryable(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with open_store(path, busy_timeout_s=0.05) as store:
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(RetryableError, match="busy"):
                store.claim([entry("A-1-1")])
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        store.claim([entry("A-1-1")])
        assert len(store.ledger()) == 1


def test_readers_are_not_blocked_by_a_writer_in_progress(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with open_store(path, busy_timeout_s=0.05) as store:
        store.claim([entry("A-1-1")])
        writer = sqlite3.connect(path, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("DELETE FROM ledger")
        try:
            assert set(store.ledger()) == {("perf-101", "A-1-1")}
        finally:
            writer.execute("ROLLBACK")
            writer.close()


def test_threads_sharing_one_store_lose_no_writes() -> None:
    with open_store(":memory:") as store:

        def claim_some(worker: int) -> None:
            for i in range(50):
                store.claim([entry(f"{worker}-{i}")])

        threads = [threading.Thread(target=claim_some, args=(w,)) for w in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(store.ledger()) == 200


def test_a_closed_store_refuses_further_calls(tmp_path: Path) -> None:
    with open_store(tmp_path / "state.db") as store:
        pass
    with pytest.raises(sqlite3.ProgrammingError):
        store.ledger()
    store.close()
