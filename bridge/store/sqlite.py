"""The default state store: one SQLite file, WAL mode, one transaction per method.

WAL lets the CLI read (``seatbridge status``) while the daemon writes; ``synchronous=FULL`` makes a
committed claim survive a power cut, because the ledger is written before the seats.io call it
guards and losing it would leave an object the bridge changed but no longer knows it owns. Writes
take the lock up front (BEGIN IMMEDIATE), so the busy timeout covers contention instead of a
deadlock on lock upgrade. One connection is shared by the threads of a process behind a mutex.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from bridge.clock import SYSTEM, Clock
from bridge.domain import LedgerEntry, Ownership
from bridge.errors import ConfigError, RetryableError
from bridge.store.base import (
    FOR_SALE_DAILY_LIMIT,
    FOR_SALE_WINDOW,
    DaemonNote,
    Instance,
    JournalOp,
    LaneBudget,
    Lease,
    OpState,
    PerformanceStatus,
    Run,
    RunMode,
    StateStore,
    SyncOutcome,
)
from bridge.store.migrations import migrate
from bridge.store.rows import (
    OP_COLUMNS,
    RUN_COLUMNS,
    STATUS_COLUMNS,
    journal_op_of,
    no_bare_string,
    run_of,
    status_of,
)

MEMORY = ":memory:"

# for-sale rows are kept this long: far beyond any reset date seats.io reports, so a call made
# after a reported figure is still counted against it, yet the table stays a few rows per event.
_FOR_SALE_RETENTION = timedelta(days=7)

_OWNERSHIP = {member.value: member for member in Ownership}
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6


def to_text(moment: datetime) -> str:
    """ISO-8601 UTC with fixed microseconds, so text order is time order inside SQL."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: the state store needs timezone-aware times")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_text(text: str) -> datetime:
    """Read back what ``to_text`` wrote."""
    return datetime.fromisoformat(text)


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


class SqliteStore:
    """The StateStore protocol on one SQLite file; see ``bridge.store.base`` for the contract."""

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
        self.path = str(path)
        self.venue = venue
        self._clock = clock
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

    # -- plumbing ---------------------------------------------------------------------------------

    def _now(self, now: datetime | None) -> datetime:
        return self._clock.now() if now is None else now

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        """One method, one transaction; busy becomes RetryableError, a refused value ValueError."""
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield conn
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            except sqlite3.IntegrityError as exc:
                raise ValueError(f"state store {self.path} refused the value: {exc}") from exc
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED):
                    raise RetryableError(f"state store {self.path} is busy: {exc}") from exc
                raise

    # -- ledger -----------------------------------------------------------------------------------

    def ledger(self, event_keys: Iterable[str] | None = None) -> dict[tuple[str, str], LedgerEntry]:
        """Every owned object, or those of ``event_keys``, keyed by (event_key, label)."""
        sql = "SELECT event_key, label, ownership, target, since, performance_id FROM ledger"
        with self._transaction(write=False) as conn:
            if event_keys is None:
                rows = conn.execute(sql).fetchall()
            else:
                no_bare_string(event_keys, "event_keys")
                keys = json.dumps(list(set(event_keys)))
                rows = conn.execute(
                    sql + " WHERE event_key IN (SELECT value FROM json_each(?))", (keys,)
                ).fetchall()
        fromiso = datetime.fromisoformat
        return {
            (event_key, label): LedgerEntry(
                event_key,
                label,
                _OWNERSHIP[ownership],
                target,
                None if since is None else fromiso(since),
                performance_id,
            )
            for event_key, label, ownership, target, since, performance_id in rows
        }

    def claim(self, entries: Iterable[LedgerEntry]) -> None:
        """Record ownership (upsert, last entry per key wins); called BEFORE the seats.io write.

        Rows stream into executemany; a bad entry anywhere rolls the whole claim back.
        """
        rows = (
            (
                e.event_key,
                e.label,
                str(e.ownership),
                e.target,
                None if e.since is None else to_text(e.since),
                e.performance_id,
            )
            for e in entries
        )
        with self._transaction(write=True) as conn:
            conn.executemany(
                """INSERT INTO ledger (event_key, label, ownership, target, since, performance_id)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (event_key, label) DO UPDATE SET
                    ownership = excluded.ownership, target = excluded.target,
                    since = excluded.since, performance_id = excluded.performance_id""",
                rows,
            )

    def forget(self, keys: Iterable[tuple[str, str]]) -> None:
        """Drop ownership of (event_key, label) keys; unknown keys are ignored."""
        rows = [(event_key, label) for event_key, label in keys]
        with self._transaction(write=True) as conn:
            conn.executemany("DELETE FROM ledger WHERE event_key = ? AND label = ?", rows)

    # -- journal ----------------------------------------------------------------------------------

    def begin_run(
        self,
        performance_ids: Iterable[int],
        mode: RunMode,
        plan_json: str | None = None,
        now: datetime | None = None,
    ) -> int:
        """Open a run and return its id (ids only grow, never reused)."""
        no_bare_string(performance_ids, "performance_ids")
        ids = list(dict.fromkeys(int(p) for p in performance_ids))
        started = to_text(self._now(now))
        with self._transaction(write=True) as conn:
            cursor = conn.execute(
                "INSERT INTO runs (mode, performance_ids, started_at, plan) VALUES (?, ?, ?, ?)",
                (RunMode(mode).value, json.dumps(ids), started, plan_json),
            )
            run_id = cursor.lastrowid
            assert run_id is not None
            conn.executemany(
                "INSERT INTO run_performances (performance_id, run_id) VALUES (?, ?)",
                [(p, run_id) for p in ids],
            )
        return run_id

    def op_started(
        self, run_id: int, index: int, op_json: str, now: datetime | None = None
    ) -> None:
        """Write-ahead: operation ``index`` of the run is about to be sent (restarts it if repeated)."""
        started = to_text(self._now(now))
        with self._transaction(write=True) as conn:
            conn.execute(
                """INSERT INTO ops (run_id, op_index, op, state, started_at)
                VALUES (?, ?, ?, 'started', ?)
                ON CONFLICT (run_id, op_index) DO UPDATE SET
                    op = excluded.op, state = 'started', error = NULL,
                    started_at = excluded.started_at, finished_at = NULL""",
                (run_id, index, op_json, started),
            )

    def op_finished(
        self,
        run_id: int,
        index: int,
        state: OpState,
        error: str | None = None,
        now: datetime | None = None,
    ) -> None:
        """Record how a started operation ended (DONE, FAILED or UNKNOWN)."""
        state = OpState(state)
        if state is OpState.STARTED:
            raise ValueError("op_finished needs an end state: done, failed or unknown")
        finished = to_text(self._now(now))
        with self._transaction(write=True) as conn:
            cursor = conn.execute(
                """UPDATE ops SET state = ?, error = ?, finished_at = ?
                WHERE run_id = ? AND op_index = ?""",
                (state.value, error, finished, run_id, index),
            )
            if cursor.rowcount == 0:
                raise ValueError(f"run {run_id} has no started operation {index}")

    def finish_run(self, run_id: int, summary_json: str, now: datetime | None = None) -> None:
        """Close a run with its outcome summary."""
        finished = to_text(self._now(now))
        with self._transaction(write=True) as conn:
            cursor = conn.execute(
                "UPDATE runs SET summary = ?, finished_at = ? WHERE run_id = ?",
                (summary_json, finished, run_id),
            )
            if cursor.rowcount == 0:
                raise ValueError(f"no run {run_id}")

    def runs(self, limit: int = 20, performance_id: int | None = None) -> list[Run]:
        """The latest runs, newest first, optionally only those covering one performance."""
        columns = RUN_COLUMNS
        with self._transaction(write=False) as conn:
            if performance_id is None:
                rows = conn.execute(
                    f"SELECT {columns} FROM runs ORDER BY run_id DESC LIMIT ?", (limit,)
                ).fetchall()
            else:
                rows = conn.execute(
                    f"""SELECT {columns} FROM runs WHERE run_id IN
                        (SELECT run_id FROM run_performances WHERE performance_id = ?)
                    ORDER BY run_id DESC LIMIT ?""",
                    (performance_id, limit),
                ).fetchall()
        return [run_of(row, from_text) for row in rows]

    def unfinished_runs(self) -> list[Run]:
        """Runs never finished (in flight, or left by a crash or an interruption), oldest first."""
        with self._transaction(write=False) as conn:
            rows = conn.execute(
                f"SELECT {RUN_COLUMNS} FROM runs WHERE finished_at IS NULL ORDER BY run_id"
            ).fetchall()
        return [run_of(row, from_text) for row in rows]

    def ops(self, run_id: int) -> list[JournalOp]:
        """The operations of one run in index order."""
        with self._transaction(write=False) as conn:
            rows = conn.execute(
                f"SELECT {OP_COLUMNS} FROM ops WHERE run_id = ? ORDER BY op_index", (run_id,)
            ).fetchall()
        return [journal_op_of(row, from_text) for row in rows]

    def unfinished_ops(self, performance_id: int | None = None) -> list[JournalOp]:
        """Operations still STARTED: left by a crash when no run for them is in flight.

        Ops of a run in flight in this process are STARTED too; ask before starting the next run
        of a performance (one run per performance at a time), filtered by ``performance_id``.
        """
        with self._transaction(write=False) as conn:
            if performance_id is None:
                rows = conn.execute(
                    f"SELECT {OP_COLUMNS} FROM ops WHERE state = 'started' ORDER BY run_id, op_index"
                ).fetchall()
            else:
                rows = conn.execute(
                    f"""SELECT {OP_COLUMNS} FROM ops WHERE state = 'started' AND run_id IN
                        (SELECT run_id FROM run_performances WHERE performance_id = ?)
                    ORDER BY run_id, op_index""",
                    (performance_id,),
                ).fetchall()
        return [journal_op_of(row, from_text) for row in rows]

    def prune_runs(self, finished_before: datetime) -> int:
        """Delete finished runs (and their ops) older than a cutoff; returns how many went.

        Unfinished runs are kept whatever their age: their STARTED ops are still unresolved.
        """
        cutoff = to_text(finished_before)
        with self._transaction(write=True) as conn:
            cursor = conn.execute(
                "DELETE FROM runs WHERE finished_at IS NOT NULL AND finished_at < ?", (cutoff,)
            )
            return cursor.rowcount

    # -- per-performance status -------------------------------------------------------------------

    def set_performance_status(self, status: PerformanceStatus) -> None:
        """Replace the status of ``status.performance_id``."""
        row = (
            status.performance_id,
            status.event_key,
            to_text(status.last_sync),
            SyncOutcome(status.outcome).value,
            status.drift,
            status.conflicts,
            status.errors,
            status.last_error,
            status.run_id,
        )
        with self._transaction(write=True) as conn:
            conn.execute(
                """INSERT INTO performance_status (performance_id, event_key, last_sync, outcome,
                    drift, conflicts, errors, last_error, run_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (performance_id) DO UPDATE SET
                    event_key = excluded.event_key, last_sync = excluded.last_sync,
                    outcome = excluded.outcome, drift = excluded.drift,
                    conflicts = excluded.conflicts, errors = excluded.errors,
                    last_error = excluded.last_error, run_id = excluded.run_id""",
                row,
            )

    def performance_statuses(
        self, performance_ids: Iterable[int] | None = None
    ) -> list[PerformanceStatus]:
        """Statuses ordered by performance id, all or only those asked for."""
        sql = f"SELECT {STATUS_COLUMNS} FROM performance_status"
        params: tuple[Any, ...] = ()
        if performance_ids is not None:
            no_bare_string(performance_ids, "performance_ids")
            sql += " WHERE performance_id IN (SELECT value FROM json_each(?))"
            params = (json.dumps([int(p) for p in performance_ids]),)
        with self._transaction(write=False) as conn:
            rows = conn.execute(sql + " ORDER BY performance_id", params).fetchall()
        return [status_of(row, from_text) for row in rows]

    # -- for-sale budget --------------------------------------------------------------------------

    def record_for_sale_call(
        self,
        event_key: str,
        now: datetime | None = None,
        remaining: int | None = None,
        resets_at: datetime | None = None,
    ) -> None:
        """Count one restricting for-sale edit, with the API's remaining figure if it gave one.

        ``remaining`` is what seats.io said is left after this call; ``resets_at`` when its
        counter resets (without one the figure is trusted for FOR_SALE_WINDOW).
        """
        if remaining is not None and remaining < 0:
            raise ValueError(f"remaining for-sale calls cannot be negative: {remaining}")
        moment = self._now(now)
        with self._transaction(write=True) as conn:
            conn.execute(
                """INSERT INTO for_sale_calls (event_key, called_at, remaining, resets_at)
                VALUES (?, ?, ?, ?)""",
                (event_key, to_text(moment), remaining, _maybe_text(resets_at)),
            )
            conn.execute(
                "DELETE FROM for_sale_calls WHERE event_key = ? AND called_at < ?",
                (event_key, to_text(moment - _FOR_SALE_RETENTION)),
            )

    def for_sale_calls_left(self, event_key: str, now: datetime | None = None) -> int:
        """Restricting for-sale edits the event still allows now (never below 0).

        The API's last reported figure wins while its reset date is ahead, less the calls recorded
        after it; otherwise FOR_SALE_DAILY_LIMIT less the calls of the last FOR_SALE_WINDOW.
        """
        moment = self._now(now)
        with self._transaction(write=False) as conn:
            reported = conn.execute(
                """SELECT call_id, called_at, remaining, resets_at FROM for_sale_calls
                WHERE event_key = ? AND remaining IS NOT NULL
                ORDER BY called_at DESC, call_id DESC LIMIT 1""",
                (event_key,),
            ).fetchone()
            if reported is not None:
                call_id, called_at, remaining, resets_at = reported
                resets = (
                    from_text(resets_at)
                    if resets_at is not None
                    else from_text(called_at) + FOR_SALE_WINDOW
                )
                if resets > moment:
                    (later,) = conn.execute(
                        """SELECT count(*) FROM for_sale_calls WHERE event_key = ?
                        AND (called_at > ? OR (called_at = ? AND call_id > ?))""",
                        (event_key, called_at, called_at, call_id),
                    ).fetchone()
                    return max(0, int(remaining) - int(later))
            (recent,) = conn.execute(
                "SELECT count(*) FROM for_sale_calls WHERE event_key = ? AND called_at > ?",
                (event_key, to_text(moment - FOR_SALE_WINDOW)),
            ).fetchone()
        return max(0, FOR_SALE_DAILY_LIMIT - int(recent))

    # -- seat tables ------------------------------------------------------------------------------

    def seat_table_rows(self) -> dict[int, int]:
        """Rows each seat map's table had at the last run that recorded it."""
        with self._transaction(write=False) as conn:
            rows = conn.execute("SELECT seat_map_id, row_count FROM seat_tables").fetchall()
        return {int(m): int(n) for m, n in rows}

    def record_seat_table_rows(self, rows: Mapping[int, int], now: datetime | None = None) -> None:
        """Remember how many rows each seat map's table has now."""
        moment = to_text(self._now(now))
        with self._transaction(write=True) as conn:
            conn.executemany(
                """INSERT INTO seat_tables (seat_map_id, row_count, recorded_at) VALUES (?, ?, ?)
                ON CONFLICT (seat_map_id) DO UPDATE
                SET row_count = excluded.row_count, recorded_at = excluded.recorded_at""",
                [(m, n, moment) for m, n in sorted(rows.items())],
            )

    # -- daemon notes -----------------------------------------------------------------------------

    def put_note(self, key: str, value: str, now: datetime | None = None) -> None:
        """Set the note ``key`` to the JSON text ``value``."""
        with self._transaction(write=True) as conn:
            conn.execute(
                """INSERT INTO daemon_notes (key, value, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (key) DO UPDATE
                SET value = excluded.value, updated_at = excluded.updated_at""",
                (key, value, to_text(self._now(now))),
            )

    def notes(self, prefix: str = "") -> list[DaemonNote]:
        """Every note whose key starts with ``prefix``, by key."""
        with self._transaction(write=False) as conn:
            rows = conn.execute(
                "SELECT key, value, updated_at FROM daemon_notes WHERE substr(key, 1, ?) = ? "
                "ORDER BY key",
                (len(prefix), prefix),
            ).fetchall()
        return [DaemonNote(str(k), str(v), from_text(at)) for k, v, at in rows]

    def delete_note(self, key: str) -> None:
        """Drop the note ``key`` if there is one."""
        with self._transaction(write=True) as conn:
            conn.execute("DELETE FROM daemon_notes WHERE key = ?", (key,))

    # -- leases -----------------------------------------------------------------------------------

    def acquire_lease(
        self,
        performance_id: int,
        holder: str,
        ttl_s: float,
        now: datetime | None = None,
        *,
        reclaim_from: str | None = None,
    ) -> bool:
        """Take or renew the performance for ``holder`` for ``ttl_s``; False if someone else has it.

        One conditional upsert: free, expired, already ours, or (``reclaim_from``) still held by
        exactly the holder the caller found dead, so two processes reclaiming one dead holder's
        lease cannot both win. Exclusive only among processes sharing this file on one host;
        instances on several machines need the PostgreSQL backend.
        """
        if ttl_s <= 0:
            raise ValueError(f"lease ttl must be positive: {ttl_s}")
        moment = self._now(now)
        with self._transaction(write=True) as conn:
            row = conn.execute(
                """INSERT INTO leases (performance_id, holder, expires_at) VALUES (?, ?, ?)
                ON CONFLICT (performance_id) DO UPDATE SET
                    holder = excluded.holder, expires_at = excluded.expires_at
                WHERE leases.holder = excluded.holder OR leases.expires_at <= ?
                    OR leases.holder = ?
                RETURNING holder""",
                (
                    performance_id,
                    holder,
                    to_text(moment + timedelta(seconds=ttl_s)),
                    to_text(moment),
                    reclaim_from,
                ),
            ).fetchone()
        return row is not None

    def renew_lease(
        self, performance_id: int, holder: str, ttl_s: float, now: datetime | None = None
    ) -> bool:
        """Extend ``holder``'s lease to ``now + ttl_s``; False (and nothing changed) unless the
        lease is still ``holder``'s: nobody has taken it, nor has it been released, since.

        A lease that ran out but that nobody took is still the holder's row, so it is renewed:
        nobody else can have acted on the performance meanwhile, since taking it rewrites the row.
        """
        if ttl_s <= 0:
            raise ValueError(f"lease ttl must be positive: {ttl_s}")
        moment = self._now(now)
        with self._transaction(write=True) as conn:
            cursor = conn.execute(
                "UPDATE leases SET expires_at = ? WHERE performance_id = ? AND holder = ?",
                (to_text(moment + timedelta(seconds=ttl_s)), performance_id, holder),
            )
            return cursor.rowcount == 1

    def release_lease(self, performance_id: int, holder: str) -> None:
        """Give the performance up, if ``holder`` has it."""
        with self._transaction(write=True) as conn:
            conn.execute(
                "DELETE FROM leases WHERE performance_id = ? AND holder = ?",
                (performance_id, holder),
            )

    def lease_holder(self, performance_id: int, now: datetime | None = None) -> str | None:
        """Who holds the performance now, or None if nobody does (or the lease ran out)."""
        with self._transaction(write=False) as conn:
            row = conn.execute(
                "SELECT holder FROM leases WHERE performance_id = ? AND expires_at > ?",
                (performance_id, to_text(self._now(now))),
            ).fetchone()
        return None if row is None else str(row[0])

    def leases(self, now: datetime | None = None) -> list[Lease]:
        """Every lease not yet run out, ordered by performance id."""
        with self._transaction(write=False) as conn:
            rows = conn.execute(
                """SELECT performance_id, holder, expires_at FROM leases WHERE expires_at > ?
                ORDER BY performance_id""",
                (to_text(self._now(now)),),
            ).fetchall()
        return [Lease(pid, str(holder), from_text(expires)) for pid, holder, expires in rows]

    # -- instances --------------------------------------------------------------------------------

    def announce_instance(
        self, holder: str, listen: str, units: Iterable[str], now: datetime | None = None
    ) -> None:
        """Say ``holder`` runs (upsert: ``started_at`` only on the first announcement)."""
        no_bare_string(units, "units")
        unit_list = json.dumps([str(u) for u in units])
        moment = to_text(self._now(now))
        with self._transaction(write=True) as conn:
            conn.execute(
                """INSERT INTO instances (holder, listen, units, started_at, seen_at)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (holder) DO UPDATE SET
                    listen = excluded.listen, units = excluded.units, seen_at = excluded.seen_at""",
                (holder, listen, unit_list, moment, moment),
            )

    def instances(self, stale_after_s: float, now: datetime | None = None) -> list[Instance]:
        """Every announced instance by holder; live means seen within ``stale_after_s``."""
        if stale_after_s <= 0:
            raise ValueError(f"stale_after_s must be positive: {stale_after_s}")
        moment = self._now(now)
        cutoff = to_text(moment - timedelta(seconds=stale_after_s))
        with self._transaction(write=False) as conn:
            rows = conn.execute(
                """SELECT holder, listen, units, started_at, seen_at, seen_at > ? FROM instances
                ORDER BY holder""",
                (cutoff,),
            ).fetchall()
        return [
            Instance(
                str(holder),
                str(listen),
                tuple(json.loads(units)),
                from_text(started),
                from_text(seen),
                bool(live),
            )
            for holder, listen, units, started, seen, live in rows
        ]

    def retire_instance(self, holder: str) -> None:
        """Forget an instance; unknown holders are ignored."""
        with self._transaction(write=True) as conn:
            conn.execute("DELETE FROM instances WHERE holder = ?", (holder,))

    # -- lanes ------------------------------------------------------------------------------------

    def lane_budget(self, account: str, lane: str, limit: int) -> LaneBudget | None:
        """None: one host only, so the caller's in-process limit is the whole budget."""
        return None

    # -- lifetime ---------------------------------------------------------------------------------

    def close(self) -> None:
        """Release the connection (checkpointing the WAL); later calls fail, closing twice is fine."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _maybe_text(moment: datetime | None) -> str | None:
    return None if moment is None else to_text(moment)


if TYPE_CHECKING:  # mypy proves SqliteStore keeps the StateStore contract
    _conforms: StateStore = SqliteStore(MEMORY)
