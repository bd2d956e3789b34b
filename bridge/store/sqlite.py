"""The default state store: one SQLite file, WAL mode, one transaction per method (a read of one
statement is its own).

WAL lets the CLI read (``seatbridge status``) while the daemon writes; ``synchronous=FULL`` makes a
committed claim survive a power cut, because the ledger is written before the seats.io call it
guards and losing it would leave an object the bridge changed but no longer knows it owns. Writes
take the lock up front (BEGIN IMMEDIATE), so the busy timeout covers contention instead of a
deadlock on lock upgrade. One connection is shared by the threads of a process behind a mutex.

Leases are judged by the store's injected clock: in production the host's wall clock, which every
process sharing the file (one host, never a network file system) reads alike, so they agree on
who holds what. A wall-clock step moves every process's judgement together: forward, leases run
out early and their holders' fences refuse to write (fail closed); backward, they last longer
for everyone. The host's CLOCK_BOOTTIME plus its boot id would be immune to steps, but it is
offset per time namespace (containers sharing a file would disagree), cannot be injected into a
test as one clock, and its stored values mean nothing to `seatbridge status`; the fences already
count each holder's time on its own monotonic clock (bridge.reconcile.leases), which is what
protects against a paused or stalled holder.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bridge.clock import SYSTEM, Clock
from bridge.errors import ConfigError, RetryableError
from bridge.store.base import LaneBudget, StateStore, StoreGoneError
from bridge.store.migrations import migrate
from bridge.store.rows import (
    LEDGER_COLUMNS,
    OP_COLUMNS,
    RUN_COLUMNS,
    STATUS_COLUMNS,
    WRITEBACK_COLUMNS,
)
from bridge.store.rules import Params, SqlStore, Statements, Tx, aware

MEMORY = ":memory:"

_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6


def to_text(moment: datetime) -> str:
    """ISO-8601 UTC with fixed microseconds, so text order is time order inside SQL."""
    return aware(moment).astimezone(UTC).isoformat(timespec="microseconds")


def from_text(text: str) -> datetime:
    """Read back what ``to_text`` wrote."""
    return datetime.fromisoformat(text)


#: The statements, in SQLite's dialect: times are ISO text (text order is time order), lists are
#: JSON arrays, one file is one venue (``:venue`` is never read). Leases are exclusive only among
#: processes sharing this file on one host: instances on several machines need PostgreSQL.
SQL = Statements(
    ledger=f"SELECT {LEDGER_COLUMNS} FROM ledger",
    ledger_of_events=f"""SELECT {LEDGER_COLUMNS} FROM ledger
        WHERE event_key IN (SELECT value FROM json_each(:event_keys))""",
    claim="""INSERT INTO ledger (event_key, label, ownership, target, since, performance_id)
        VALUES (:event_key, :label, :ownership, :target, :since, :performance_id)
        ON CONFLICT (event_key, label) DO UPDATE SET
            ownership = excluded.ownership, target = excluded.target,
            since = excluded.since, performance_id = excluded.performance_id""",
    forget="DELETE FROM ledger WHERE event_key = :event_key AND label = :label",
    writeback_holds=f"SELECT {WRITEBACK_COLUMNS} FROM writeback_holds",
    writeback_holds_of=f"""SELECT {WRITEBACK_COLUMNS} FROM writeback_holds
        WHERE performance_id IN (SELECT value FROM json_each(:ids))""",
    claim_writeback="""INSERT INTO writeback_holds (performance_id, seat_id, label, event_key,
            hold_code_id, since)
        VALUES (:performance_id, :seat_id, :label, :event_key, :hold_code_id, :since)
        ON CONFLICT (performance_id, seat_id) DO UPDATE SET
            label = excluded.label, event_key = excluded.event_key,
            hold_code_id = excluded.hold_code_id,
            since = CASE WHEN writeback_holds.label = excluded.label
                AND writeback_holds.hold_code_id = excluded.hold_code_id
                THEN coalesce(writeback_holds.since, excluded.since) ELSE excluded.since END""",
    forget_writeback="""DELETE FROM writeback_holds
        WHERE performance_id = :performance_id AND seat_id = :seat_id""",
    begin_run="""INSERT INTO runs (mode, performance_ids, started_at, plan)
        VALUES (:mode, :performance_ids, :started_at, :plan) RETURNING run_id""",
    add_run_performances="""INSERT INTO run_performances (performance_id, run_id)
        SELECT value, :run_id FROM json_each(:ids)""",
    op_started="""INSERT INTO ops (run_id, op_index, op, state, started_at)
        VALUES (:run_id, :op_index, :op, 'started', :started_at)
        ON CONFLICT (run_id, op_index) DO UPDATE SET
            op = excluded.op, state = 'started', error = NULL,
            started_at = excluded.started_at, finished_at = NULL""",
    op_finished="""UPDATE ops SET state = :state, error = :error, finished_at = :finished_at
        WHERE run_id = :run_id AND op_index = :op_index""",
    finish_run="UPDATE runs SET summary = :summary, finished_at = :finished_at WHERE run_id = :run_id",
    runs=f"SELECT {RUN_COLUMNS} FROM runs ORDER BY run_id DESC LIMIT :limit",
    runs_of_performance=f"""SELECT {RUN_COLUMNS} FROM runs WHERE run_id IN
            (SELECT run_id FROM run_performances WHERE performance_id = :performance_id)
        ORDER BY run_id DESC LIMIT :limit""",
    unfinished_runs=f"SELECT {RUN_COLUMNS} FROM runs WHERE finished_at IS NULL ORDER BY run_id",
    ops=f"SELECT {OP_COLUMNS} FROM ops WHERE run_id = :run_id ORDER BY op_index",
    unfinished_ops=f"""SELECT {OP_COLUMNS} FROM ops WHERE state = 'started'
        ORDER BY run_id, op_index""",
    unfinished_ops_of_performance=f"""SELECT {OP_COLUMNS} FROM ops WHERE state = 'started'
        AND run_id IN (SELECT run_id FROM run_performances WHERE performance_id = :performance_id)
        ORDER BY run_id, op_index""",
    prune_runs="DELETE FROM runs WHERE finished_at IS NOT NULL AND finished_at < :cutoff",
    set_performance_status="""INSERT INTO performance_status (performance_id, event_key,
            last_sync, outcome, drift, conflicts, errors, last_error, run_id)
        VALUES (:performance_id, :event_key, :last_sync, :outcome, :drift, :conflicts, :errors,
            :last_error, :run_id)
        ON CONFLICT (performance_id) DO UPDATE SET
            event_key = excluded.event_key, last_sync = excluded.last_sync,
            outcome = excluded.outcome, drift = excluded.drift,
            conflicts = excluded.conflicts, errors = excluded.errors,
            last_error = excluded.last_error, run_id = excluded.run_id""",
    performance_statuses=f"SELECT {STATUS_COLUMNS} FROM performance_status ORDER BY performance_id",
    performance_statuses_of=f"""SELECT {STATUS_COLUMNS} FROM performance_status
        WHERE performance_id IN (SELECT value FROM json_each(:ids)) ORDER BY performance_id""",
    record_for_sale_call="""INSERT INTO for_sale_calls (event_key, called_at, remaining, resets_at)
        VALUES (:event_key, :called_at, :remaining, :resets_at)""",
    prune_for_sale_calls="""DELETE FROM for_sale_calls WHERE event_key = :event_key
        AND called_at < :cutoff""",
    last_reported_for_sale_call="""SELECT call_id, called_at, remaining, resets_at
        FROM for_sale_calls WHERE event_key = :event_key AND remaining IS NOT NULL
        ORDER BY called_at DESC, call_id DESC LIMIT 1""",
    for_sale_calls_after="""SELECT count(*) FROM for_sale_calls WHERE event_key = :event_key
        AND (called_at > :called_at OR (called_at = :called_at AND call_id > :call_id))""",
    for_sale_calls_since="""SELECT count(*) FROM for_sale_calls WHERE event_key = :event_key
        AND called_at > :since""",
    seat_table_rows="SELECT seat_map_id, row_count FROM seat_tables",
    record_seat_table_rows="""INSERT INTO seat_tables (seat_map_id, row_count, recorded_at)
        VALUES (:seat_map_id, :row_count, :recorded_at)
        ON CONFLICT (seat_map_id) DO UPDATE
        SET row_count = excluded.row_count, recorded_at = excluded.recorded_at""",
    put_note="""INSERT INTO daemon_notes (key, value, updated_at) VALUES (:key, :value, :updated_at)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at""",
    notes="""SELECT key, value, updated_at FROM daemon_notes
        WHERE substr(key, 1, :prefix_length) = :prefix ORDER BY key""",
    delete_note="DELETE FROM daemon_notes WHERE key = :key",
    delete_notes_before="""DELETE FROM daemon_notes
        WHERE substr(key, 1, :prefix_length) = :prefix AND updated_at < :before""",
    acquire_lease="""INSERT INTO leases (performance_id, holder, expires_at)
        VALUES (:performance_id, :holder, :expires_at)
        ON CONFLICT (performance_id) DO UPDATE SET
            holder = excluded.holder, expires_at = excluded.expires_at, lingering = 0
        WHERE leases.expires_at <= :now OR (NOT leases.lingering
            AND (leases.holder = excluded.holder OR leases.holder = :reclaim_from))
        RETURNING true""",
    renew_lease="""UPDATE leases SET expires_at = :expires_at
        WHERE performance_id = :performance_id AND holder = :holder AND NOT lingering""",
    release_lease="""DELETE FROM leases WHERE performance_id = :performance_id
        AND holder = :holder AND NOT lingering""",
    linger_lease="""UPDATE leases SET expires_at = :expires_at, lingering = 1
        WHERE performance_id = :performance_id AND holder = :holder AND NOT lingering""",
    lease_holder="""SELECT holder FROM leases WHERE performance_id = :performance_id
        AND expires_at > :now""",
    leases="""SELECT performance_id, holder, expires_at, lingering FROM leases
        WHERE expires_at > :now ORDER BY performance_id""",
    held_leases="""SELECT performance_id, expires_at, :now FROM leases
        WHERE holder = :holder AND expires_at > :now AND NOT lingering""",
    announce_instance="""INSERT INTO instances (holder, listen, units, started_at, seen_at)
        VALUES (:holder, :listen, :units, :now, :now)
        ON CONFLICT (holder) DO UPDATE SET
            listen = excluded.listen, units = excluded.units, seen_at = excluded.seen_at""",
    instances="""SELECT holder, listen, units, started_at, seen_at, seen_at > :cutoff
        FROM instances ORDER BY holder""",
    retire_instance="DELETE FROM instances WHERE holder = :holder",
)


def open_store(
    path: str | Path,
    *,
    clock: Clock = SYSTEM,
    busy_timeout_s: float = 5.0,
    durable: bool = True,
    venue: str = "default",
) -> SqliteStore:
    """Open (creating folders and file, upgrading an older schema) the store at ``path``.

    ``":memory:"`` gives a private in-memory store for tests. ``durable=False`` trades power-cut
    durability for speed (``synchronous=NORMAL``: still safe when the process dies), for tests,
    benchmarks and the demo. ``venue`` is only remembered: one file serves one venue.
    """
    return SqliteStore(
        path, clock=clock, busy_timeout_s=busy_timeout_s, durable=durable, venue=venue
    )


class SqliteStore(SqlStore):
    """The StateStore protocol on one SQLite file: the rules of ``bridge.store.rules`` over the
    statements of :data:`SQL`; see ``bridge.store.base`` for the contract."""

    _sql = SQL

    #: one host only: leases exclude processes opening this very file, lanes are budgeted locally
    shared = False

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Clock = SYSTEM,
        busy_timeout_s: float = 5.0,
        durable: bool = True,
        venue: str = "default",
    ) -> None:
        super().__init__(name=str(path), venue=venue, clock=clock)
        self.path = str(path)
        self._lock = threading.Lock()
        if self.path != MEMORY:
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(
                    f"cannot create the folder for state store {self.path}: {exc}"
                ) from exc
        try:
            conn = sqlite3.connect(
                self.path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise ConfigError(f"cannot open state store {self.path}: {exc}") from exc
        try:
            conn.execute("PRAGMA journal_mode = WAL")  # the first read: fails on a non-database
            conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
            conn.execute("PRAGMA foreign_keys = ON")
            self.schema_version = migrate(conn, self.path, to_text(clock.now()))
        except ConfigError:
            conn.close()
            raise
        except sqlite3.Error as exc:
            conn.close()
            raise ConfigError(f"{self.path} is not a usable seatbridge state store: {exc}") from exc
        self._conn = conn
        #: the file opened, as (device, inode): the connection keeps that inode alive, so a path
        #: naming another one later means the file was removed or replaced under this process
        self._identity = _identity(self.path)

    # -- the dialect ------------------------------------------------------------------------------

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Tx]:
        """One method, one transaction; busy becomes RetryableError, a refused value ValueError."""
        with self._lock, self._translated():
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def _rows(self, sql: str, params: Params) -> list[Any]:
        """A read of one statement, without BEGIN and COMMIT around it: SQLite runs a lone
        statement as a transaction of its own, on one snapshot, so they were two statements more
        per read and nothing else (a pass reads a few hundred times)."""
        with self._lock, self._translated():
            return self._conn.execute(sql, params).fetchall()

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """SQLite's errors as the store's: busy is RetryableError, a refused value ValueError."""
        try:
            yield
        except sqlite3.IntegrityError as exc:
            raise ValueError(f"state store {self.path} refused the value: {exc}") from exc
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED):
                raise RetryableError(f"state store {self.path} is busy: {exc}") from exc
            raise

    def _time(self, moment: datetime) -> str:
        return to_text(moment)

    def _read_time(self, stored: Any) -> datetime:
        return from_text(stored)

    def _list(self, values: list[Any]) -> str:
        """A JSON array, read in SQL with ``json_each``."""
        return json.dumps(values)

    def check_alive(self, timeout_s: float) -> None:
        """The file at :attr:`path` is still the one opened, writable, and answers a read.

        A removed or replaced file (an operator's ``rm``, a restore copied over it) or one that
        cannot be written raises :class:`StoreGoneError`: this process would write to a file
        nobody else reads any more, while a new process on the path starts afresh."""
        if self.path == MEMORY:
            return
        try:
            now = _identity(self.path)
        except FileNotFoundError:
            raise StoreGoneError(f"state store {self.path} was removed") from None
        except OSError as exc:
            raise StoreGoneError(f"state store {self.path} cannot be read: {exc}") from None
        if now != self._identity:
            raise StoreGoneError(f"state store {self.path} was replaced by another file")
        if not os.access(self.path, os.W_OK):
            raise StoreGoneError(f"state store {self.path} cannot be written")
        if not self._lock.acquire(timeout=timeout_s):
            raise RetryableError(f"state store {self.path} is busy: no answer in {timeout_s:g} s")
        try:
            self._conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as exc:
            raise StoreGoneError(f"state store {self.path} does not answer: {exc}") from exc
        finally:
            self._lock.release()

    def lane_budget(self, account: str, lane: str, limit: int) -> LaneBudget | None:
        """None: one host only, so the caller's in-process limit is the whole budget."""
        return None

    def close(self) -> None:
        """Release the connection (checkpointing the WAL); later calls fail, closing twice is fine."""
        with self._lock:
            self._conn.close()


def _identity(path: str) -> tuple[int, int] | None:
    """(device, inode) of the file at ``path``; None for the in-memory store."""
    if path == MEMORY:
        return None
    st = os.stat(path)
    return st.st_dev, st.st_ino


if TYPE_CHECKING:  # mypy proves SqliteStore keeps the StateStore contract
    _conforms: StateStore = SqliteStore(MEMORY)
