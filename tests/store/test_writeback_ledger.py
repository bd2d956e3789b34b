"""The write-back ledger: which Tessitura seats the bridge holds, written before the hold is sent,
so a crash leaves it claiming at most what may have landed and nothing it placed is forgotten."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest

from bridge.domain import LedgerEntry, Ownership, WritebackHold
from bridge.store import StateStore, open_store
from bridge.store.migrations import LATEST_VERSION, MIGRATIONS, POSTGRES_VERSION_TABLE
from bridge.testing.postgres import fresh_database, unavailable

if TYPE_CHECKING:
    from bridge.store.postgres import PostgresStore

OpenPostgres = Callable[..., "PostgresStore"]
T0 = datetime(2026, 12, 8, 19, 30, tzinfo=UTC)
#: the schema version before the write-back ledger's table
BEFORE = 6


def hold(
    seat_id: int,
    performance_id: int = 101,
    *,
    label: str = "A-1-1",
    hold_code_id: int = 7,
    since: datetime | None = T0,
) -> WritebackHold:
    return WritebackHold(
        performance_id, seat_id, label, f"perf-{performance_id}", hold_code_id, since
    )


def test_claimed_holds_read_back_as_written(store: StateStore) -> None:
    one = hold(5001)
    undated = hold(5002, label="A-1-2", since=None)
    other = hold(6001, 102, label="B-7-12", hold_code_id=9)
    store.claim_writeback([one, undated, other])
    assert store.writeback_holds() == {
        (101, 5001): one,
        (101, 5002): undated,
        (102, 6001): other,
    }


def test_since_comes_back_in_utc_whatever_zone_it_was_written_in(store: StateStore) -> None:
    east = T0.astimezone(timezone(timedelta(hours=2)))
    store.claim_writeback([hold(5001, since=east)])
    since = store.writeback_holds()[(101, 5001)].since
    assert since == T0 and since is not None and since.utcoffset() == timedelta(0)


def test_a_naive_since_is_refused_and_nothing_is_claimed(store: StateStore) -> None:
    with pytest.raises(ValueError, match="naive"):
        store.claim_writeback([hold(5001), hold(5002, since=datetime(2026, 12, 8, 19, 30))])
    assert store.writeback_holds() == {}


def test_reclaiming_the_same_hold_keeps_when_it_began(store: StateStore) -> None:
    store.claim_writeback([hold(5001, since=T0)])
    store.claim_writeback([hold(5001, since=T0 + timedelta(hours=1))])
    assert store.writeback_holds()[(101, 5001)].since == T0


def test_a_hold_claimed_without_a_time_takes_the_first_one_given(store: StateStore) -> None:
    store.claim_writeback([hold(5001, since=None)])
    store.claim_writeback([hold(5001, since=T0)])
    store.claim_writeback([hold(5001, since=T0 + timedelta(hours=1))])
    assert store.writeback_holds()[(101, 5001)].since == T0


LATER = T0 + timedelta(hours=1)


@pytest.mark.parametrize(
    "reclaimed",
    [hold(5001, label="A-1-9", since=LATER), hold(5001, hold_code_id=8, since=LATER)],
    ids=["another label", "another hold code"],
)
def test_a_seat_reclaimed_for_something_else_starts_afresh(
    store: StateStore, reclaimed: WritebackHold
) -> None:
    store.claim_writeback([hold(5001, since=T0)])
    store.claim_writeback([reclaimed])
    assert store.writeback_holds() == {(101, 5001): reclaimed}


def test_the_last_row_per_seat_wins_within_one_claim(store: StateStore) -> None:
    later = T0 + timedelta(hours=1)
    store.claim_writeback([hold(5001, hold_code_id=7), hold(5001, hold_code_id=8, since=later)])
    assert store.writeback_holds() == {(101, 5001): hold(5001, hold_code_id=8, since=later)}


def test_forget_drops_only_the_keys_given_and_ignores_unknown_ones(store: StateStore) -> None:
    store.claim_writeback([hold(5001), hold(5002), hold(6001, 102)])
    store.forget_writeback([(101, 5001), (101, 9999), (999, 5002)])
    assert set(store.writeback_holds()) == {(101, 5002), (102, 6001)}
    store.forget_writeback([])
    store.forget_writeback([(101, 5001)])  # already gone
    assert set(store.writeback_holds()) == {(101, 5002), (102, 6001)}


def test_holds_are_read_for_the_performances_asked(store: StateStore) -> None:
    store.claim_writeback([hold(5001), hold(5002), hold(6001, 102), hold(7001, 103)])
    assert set(store.writeback_holds([101])) == {(101, 5001), (101, 5002)}
    assert set(store.writeback_holds(iter([103, 102, 103]))) == {(102, 6001), (103, 7001)}
    assert store.writeback_holds([104]) == {}
    assert store.writeback_holds([]) == {}
    assert len(store.writeback_holds(None)) == 4


def test_one_string_instead_of_a_list_of_ids_is_refused(store: StateStore) -> None:
    with pytest.raises(TypeError, match="collection"):
        store.writeback_holds("101")  # type: ignore[arg-type]


def test_the_write_back_ledger_and_the_ledger_are_apart(store: StateStore) -> None:
    store.claim([LedgerEntry("perf-101", "A-1-1", Ownership.CHANNEL, "house", T0, 101)])
    store.claim_writeback([hold(5001)])
    store.forget([("perf-101", "A-1-1")])
    assert set(store.writeback_holds()) == {(101, 5001)}
    store.forget_writeback([(101, 5001)])
    store.claim([LedgerEntry("perf-101", "A-1-1", Ownership.CHANNEL, "house", T0, 101)])
    assert store.writeback_holds() == {}
    assert set(store.ledger()) == {("perf-101", "A-1-1")}


def test_two_venues_in_one_database_keep_their_own_holds(open_pg: OpenPostgres) -> None:
    a = open_pg()
    b = open_pg()
    a.claim_writeback([hold(5001, since=T0)])
    b.claim_writeback([hold(5001, label="Z-9-9", hold_code_id=3, since=T0 + timedelta(hours=2))])
    assert a.writeback_holds() == {(101, 5001): hold(5001, since=T0)}
    assert a.writeback_holds([101]) == {(101, 5001): hold(5001, since=T0)}
    b.forget_writeback([(101, 5001)])
    assert b.writeback_holds() == {}
    assert a.writeback_holds() == {(101, 5001): hold(5001, since=T0)}


# -- a store of the previous schema version is upgraded in place -------------------------------


def test_an_sqlite_file_of_the_previous_version_gains_the_table_keeping_its_data(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
        "applied_at TEXT NOT NULL)"
    )
    for migration in MIGRATIONS[:BEFORE]:
        for statement in migration.sqlite:
            conn.execute(statement)
        conn.execute(
            "INSERT INTO schema_version VALUES (?, ?, '2026-06-01T00:00:00.000000+00:00')",
            (migration.version, migration.description),
        )
    conn.execute("INSERT INTO ledger VALUES ('perf-101', 'A-1-1', 'channel', 'house', NULL, 101)")
    conn.close()
    with open_store(path) as store:
        assert store.schema_version == LATEST_VERSION
        assert set(store.ledger()) == {("perf-101", "A-1-1")}
        assert store.writeback_holds() == {}
        store.claim_writeback([hold(5001)])
    with open_store(path) as store:
        assert store.writeback_holds() == {(101, 5001): hold(5001)}
    conn = sqlite3.connect(path)
    stored = [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY version")]
    conn.close()
    assert stored == list(range(1, LATEST_VERSION + 1))


def test_a_postgres_database_of_the_previous_version_gains_the_table_keeping_its_data() -> None:
    reason = unavailable()
    if reason is not None:
        pytest.skip(reason)
    from bridge.store.postgres import open_postgres

    with fresh_database("seatbridge_writeback") as url:
        with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
            conn.execute(POSTGRES_VERSION_TABLE)
            for migration in MIGRATIONS[:BEFORE]:
                for statement in migration.postgres:
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_version VALUES (%s, %s, now())",
                    (migration.version, migration.description),
                )
            conn.execute(
                "INSERT INTO ledger VALUES ('main-hall', 'perf-101', 'A-1-1', 'channel', "
                "'house', NULL, 101)"
            )
        with open_postgres(url, venue="main-hall") as store:
            assert store.schema_version == LATEST_VERSION
            assert set(store.ledger()) == {("perf-101", "A-1-1")}
            assert store.writeback_holds() == {}
            store.claim_writeback([hold(5001)])
            assert store.writeback_holds() == {(101, 5001): hold(5001)}
        with psycopg.connect(url, autocommit=True) as conn:
            stored = [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY 1")]
        assert stored == list(range(1, LATEST_VERSION + 1))


def test_the_previous_version_is_the_one_before_the_write_back_table() -> None:
    """Keeps BEFORE honest: the upgrade tests above start right below this migration."""
    (migration,) = [m for m in MIGRATIONS if m.version == BEFORE + 1]
    assert all("writeback_holds" in s for s in migration.sqlite + migration.postgres)
