"""Schema versions: old files are upgraded in place, newer or foreign files are refused untouched."""

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bridge.domain import LedgerEntry, Ownership
from bridge.errors import ConfigError
from bridge.store import OpState, migrations, open_store
from bridge.store.migrations import LATEST_VERSION, MIGRATIONS, Migration

T0 = datetime(2026, 11, 21, 19, 30, tzinfo=UTC)

# The version-1 schema exactly as the first release wrote it, kept here so a later edit of
# migration 1 cannot silently change what "an old file" means.
V1_SCHEMA = """
CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL,
    applied_at TEXT NOT NULL);
INSERT INTO schema_version VALUES (1, 'ledger and journal', '2026-01-01T00:00:00.000000+00:00');
CREATE TABLE ledger (event_key TEXT NOT NULL, label TEXT NOT NULL,
    ownership TEXT NOT NULL CHECK (ownership IN ('channel', 'status', 'not_for_sale')),
    target TEXT NOT NULL, since TEXT, PRIMARY KEY (event_key, label)) WITHOUT ROWID;
CREATE TABLE runs (run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    mode TEXT NOT NULL CHECK (mode IN ('apply', 'dry-run')),
    performance_ids TEXT NOT NULL CHECK (json_valid(performance_ids)),
    started_at TEXT NOT NULL, finished_at TEXT,
    plan TEXT CHECK (plan IS NULL OR json_valid(plan)),
    summary TEXT CHECK (summary IS NULL OR json_valid(summary)));
CREATE TABLE ops (run_id INTEGER NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    op_index INTEGER NOT NULL, op TEXT NOT NULL CHECK (json_valid(op)),
    state TEXT NOT NULL CHECK (state IN ('started', 'done', 'failed', 'unknown')),
    error TEXT, started_at TEXT NOT NULL, finished_at TEXT,
    PRIMARY KEY (run_id, op_index)) WITHOUT ROWID;
CREATE INDEX ops_unfinished ON ops (run_id) WHERE state = 'started';
CREATE TABLE run_performances (performance_id INTEGER NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    PRIMARY KEY (performance_id, run_id)) WITHOUT ROWID;
CREATE INDEX run_performances_by_run ON run_performances (run_id);
INSERT INTO ledger VALUES ('perf-101', 'A-1-1', 'channel', 'house-seats',
    '2026-11-20T10:00:00.000000+00:00');
INSERT INTO ledger VALUES ('perf-101', 'A-1-2', 'status', 'held-press', NULL);
INSERT INTO runs VALUES (1, 'apply', '[101]', '2026-11-20T10:00:00.000000+00:00', NULL, '{}', NULL);
INSERT INTO run_performances VALUES (101, 1);
INSERT INTO ops VALUES (1, 0, '{"kind": "release"}', 'started', NULL,
    '2026-11-20T10:00:01.000000+00:00', NULL);
"""


def build(path: Path, script: str) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(script)
    conn.close()


def versions(path: Path) -> list[int]:
    conn = sqlite3.connect(path)
    try:
        return [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY version")]
    finally:
        conn.close()


def test_migrations_are_numbered_one_up_without_gaps() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert len(MIGRATIONS) == LATEST_VERSION


def test_a_new_file_gets_every_migration(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with open_store(path) as store:
        assert store.schema_version == LATEST_VERSION
    assert versions(path) == list(range(1, LATEST_VERSION + 1))


def test_reopening_a_current_file_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with open_store(path) as store:
        store.claim([LedgerEntry("perf-101", "A-1-1", Ownership.CHANNEL, "house-seats")])
    with open_store(path) as store:
        assert len(store.ledger()) == 1
    assert versions(path) == list(range(1, LATEST_VERSION + 1))


def test_a_version_1_file_is_upgraded_in_place_keeping_its_data(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    build(path, V1_SCHEMA)
    with open_store(path) as store:
        assert store.schema_version == LATEST_VERSION
        assert store.ledger() == {
            ("perf-101", "A-1-1"): LedgerEntry(
                "perf-101",
                "A-1-1",
                Ownership.CHANNEL,
                "house-seats",
                datetime(2026, 11, 20, 10, tzinfo=UTC),
            ),
            ("perf-101", "A-1-2"): LedgerEntry("perf-101", "A-1-2", Ownership.STATUS, "held-press"),
        }
        (op,) = store.unfinished_ops(performance_id=101)
        assert (op.run_id, op.index, op.state) == (1, 0, OpState.STARTED)
        assert store.acquire_lease(101, "instance-a", 30, now=T0)
        assert store.for_sale_calls_left("perf-101", now=T0) == 10
    assert versions(path) == list(range(1, LATEST_VERSION + 1))


def test_a_file_from_a_newer_seatbridge_is_refused_naming_its_version(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    build(
        path,
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT, applied_at TEXT);"
        "INSERT INTO schema_version VALUES (99, 'from the future', '2030-01-01');",
    )
    with pytest.raises(ConfigError, match=f"version 99, newer .*up to {LATEST_VERSION}"):
        open_store(path)
    assert versions(path) == [99]


def test_a_file_that_is_not_a_database_is_refused_naming_its_path(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"these are not the bytes of an SQLite database\n" * 100)
    with pytest.raises(ConfigError, match=str(path)):
        open_store(path)


def test_another_programs_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    build(path, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);")
    with pytest.raises(ConfigError, match="not a seatbridge state store"):
        open_store(path)
    conn = sqlite3.connect(path)
    tables = [
        name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    ]
    conn.close()
    assert tables == ["customers"]


def test_a_failing_migration_leaves_the_file_at_its_old_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.db"
    build(path, V1_SCHEMA)
    broken = Migration(
        LATEST_VERSION + 1, "breaks halfway", ("CREATE TABLE halfway (x)", "NOT SQL AT ALL")
    )
    monkeypatch.setattr(migrations, "MIGRATIONS", (*MIGRATIONS, broken))
    monkeypatch.setattr(migrations, "LATEST_VERSION", broken.version)
    with pytest.raises(ConfigError, match=f"schema version {broken.version} .* unchanged"):
        open_store(path)
    assert versions(path) == [1]
    conn = sqlite3.connect(path)
    columns = [row[1] for row in conn.execute("PRAGMA table_info(ledger)")]
    halfway = conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'halfway'").fetchone()
    conn.close()
    assert "performance_id" not in columns
    assert halfway == (0,)


def test_every_migration_speaks_both_backends() -> None:
    for migration in MIGRATIONS:
        assert migration.sqlite, migration.version
        assert migration.postgres, migration.version


def test_a_version_4_file_gets_the_instances_table(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    build(path, V1_SCHEMA)
    conn = sqlite3.connect(path, isolation_level=None)
    for migration in MIGRATIONS[1:4]:
        for statement in migration.sqlite:
            conn.execute(statement)
        conn.execute(
            "INSERT INTO schema_version VALUES (?, ?, '2026-06-01T00:00:00.000000+00:00')",
            (migration.version, migration.description),
        )
    conn.close()
    assert versions(path) == [1, 2, 3, 4]
    with open_store(path) as store:
        store.announce_instance("a", "h:1", ["seatsio"], now=T0)
        assert [i.holder for i in store.instances(30, now=T0)] == ["a"]
        assert len(store.ledger()) == 2
    assert versions(path) == list(range(1, LATEST_VERSION + 1))
