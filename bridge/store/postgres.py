"""The shared state store: one PostgreSQL database for several instances on several hosts, and
for several venues (every row carries ``venue``, every query filters by it).

Store methods borrow a connection from a small pool, one transaction each; errors are translated
here (a lost server is RetryableError, a refused value ValueError, a failure to connect or a
foreign or newer schema ConfigError), and no message ever shows a password. Leases and instances
are rows tied to the store's own database session: see :mod:`bridge.store.postgres_leases` for
that session and why leases are not advisory locks; lane budgets are advisory locks on one more
connection: see :mod:`bridge.store.postgres_lanes`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg_pool import ConnectionPool

from bridge.clock import SYSTEM, Clock
from bridge.config.secrets import redact_url
from bridge.domain import LedgerEntry, Ownership
from bridge.errors import ConfigError, RetryableError
from bridge.store import migrations
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
from bridge.store.postgres_lanes import LaneSession, PostgresLaneBudget
from bridge.store.postgres_leases import (
    ACQUIRE_LEASE,
    ANNOUNCE_INSTANCE,
    INSTANCES,
    LEASE_HOLDER,
    LEASES,
    RENEW_LEASE,
    Presence,
)
from bridge.store.rows import (
    OP_COLUMNS,
    RUN_COLUMNS,
    STATUS_COLUMNS,
    journal_op_of,
    no_bare_string,
    run_of,
    status_of,
)

Conn = psycopg.Connection[tuple[Any, ...]]
Cursor = psycopg.Cursor[tuple[Any, ...]]

#: pg_advisory_xact_lock key (the one-bigint form) that serializes migrations across instances.
MIGRATION_LOCK_KEY = 0x5EA7_B21D_6E00_0001

# for-sale rows are kept this long, as on SQLite
_FOR_SALE_RETENTION = timedelta(days=7)

# Server side keepalives too, so the server drops the session of a vanished host (and with it
# its leases) within about 10 + 3 * 5 s; TimeZone so timestamptz comes back in UTC.
_SESSION_SETTINGS = (
    "SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; "
    "SET tcp_keepalives_count = 3; SET TimeZone = 'UTC'"
)

_OWNERSHIP = {member.value: member for member in Ownership}


_PASSWORD_PARAM = re.compile(r"(password=)[^&\s]*", re.IGNORECASE)


def shown_url(url: str) -> str:
    """``url`` fit for messages and logs: no ``user:password@``, no ``password=`` parameter."""
    return _PASSWORD_PARAM.sub(r"\1***", redact_url(url))


def open_postgres(
    url: str,
    *,
    venue: str = "default",
    password: str | None = None,
    clock: Clock = SYSTEM,
    pool_size: int = 4,
) -> PostgresStore:
    """Connect to (creating or upgrading the schema of) the PostgreSQL store at ``url``.

    ``password`` is kept out of the URL (and so out of every message); ``venue`` picks this
    venue's rows in a database several venues share.
    """
    return PostgresStore(url, venue=venue, password=password, clock=clock, pool_size=pool_size)


def _configure(conn: Conn) -> None:
    conn.execute(_SESSION_SETTINGS)
    if not conn.autocommit:
        conn.commit()


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: the state store needs timezone-aware times")
    return moment


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _maybe_utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


class PostgresStore:
    """The StateStore protocol on a shared PostgreSQL database; see ``bridge.store.base``."""

    shared = True

    def __init__(
        self,
        url: str,
        *,
        venue: str = "default",
        password: str | None = None,
        clock: Clock = SYSTEM,
        pool_size: int = 4,
    ) -> None:
        if not venue:
            raise ValueError("a venue name is needed to share a PostgreSQL store")
        if pool_size < 1:
            raise ValueError(f"pool_size must be at least 1: {pool_size}")
        self.url = shown_url(url)
        self.venue = venue
        self._clock = clock
        self._password = password
        self._closed = False
        try:
            conninfo = make_conninfo(
                url,
                **({} if password is None else {"password": password}),
                application_name="seatbridge",
                connect_timeout=5,
                keepalives=1,
                keepalives_idle=10,
                keepalives_interval=5,
                keepalives_count=3,
            )
        except psycopg.ProgrammingError:
            raise ConfigError(f"state store {self.url} is not a valid PostgreSQL URL") from None
        self._conninfo = conninfo  # holds the password: never shown
        try:
            presence = self._connect()
        except psycopg.OperationalError as exc:
            raise ConfigError(
                f"cannot connect to state store {self.url}: {self._scrub(exc)}"
            ) from None
        try:
            self.schema_version = _migrate(presence, self.url)
            self._presence = Presence(self._connect, presence, self._unreachable)
        except psycopg.Error as exc:
            presence.close()
            raise ConfigError(
                f"{self.url} is not a usable seatbridge state store: {self._scrub(exc)}"
            ) from None
        except BaseException:
            presence.close()
            raise
        self._lanes = LaneSession(self._connect, self.url)
        self._pool: ConnectionPool[Conn] = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=pool_size,
            open=True,
            configure=_configure,
            check=ConnectionPool.check_connection,
            timeout=10,
            name="seatbridge-store",
        )

    # -- plumbing ---------------------------------------------------------------------------------

    def _connect(self) -> Conn:
        """A new autocommit connection with the session settings (presence, lanes)."""
        conn = psycopg.connect(self._conninfo, autocommit=True)
        try:
            _configure(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _scrub(self, exc: BaseException) -> str:
        text = _one_line(exc)
        return text.replace(self._password, "***") if self._password else text

    def _now(self, now: datetime | None) -> datetime:
        return _aware(self._clock.now() if now is None else now)

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"state store {self.url} is closed")

    @contextmanager
    def _transaction(self) -> Iterator[Cursor]:
        """One method, one transaction; a lost server becomes RetryableError, a refused value
        ValueError."""
        self._check_open()
        try:
            with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
                yield cur
        except (psycopg.IntegrityError, psycopg.DataError) as exc:
            raise ValueError(
                f"state store {self.url} refused the value: {self._scrub(exc)}"
            ) from exc
        except psycopg.OperationalError as exc:
            raise self._unreachable(exc) from exc

    def _unreachable(self, exc: BaseException) -> RetryableError:
        return RetryableError(f"state store {self.url} is unreachable: {self._scrub(exc)}")

    @property
    def session(self) -> tuple[int, datetime]:
        """(pid, backend start) of the presence session: what this store's lease and instance
        rows name (as last known; a dropped session is noticed on the next lease call)."""
        return self._presence.identity

    # -- ledger -----------------------------------------------------------------------------------

    def ledger(self, event_keys: Iterable[str] | None = None) -> dict[tuple[str, str], LedgerEntry]:
        """Every owned object, or those of ``event_keys``, keyed by (event_key, label)."""
        sql = """SELECT event_key, label, ownership, target, since, performance_id FROM ledger
            WHERE venue = %s"""
        params: tuple[Any, ...] = (self.venue,)
        if event_keys is not None:
            no_bare_string(event_keys, "event_keys")
            keys = sorted(set(event_keys))
            if not keys:
                return {}
            sql += " AND event_key = ANY(%s::text[])"
            params = (self.venue, keys)
        with self._transaction() as cur:
            rows = cur.execute(sql, params).fetchall()
        return {
            (event_key, label): LedgerEntry(
                event_key, label, _OWNERSHIP[ownership], target, _maybe_utc(since), performance_id
            )
            for event_key, label, ownership, target, since, performance_id in rows
        }

    def claim(self, entries: Iterable[LedgerEntry]) -> None:
        """Record ownership (upsert, last entry per key wins); a bad entry rolls it all back."""
        rows = (
            (
                self.venue,
                e.event_key,
                e.label,
                str(e.ownership),
                e.target,
                None if e.since is None else _aware(e.since),
                e.performance_id,
            )
            for e in entries
        )
        with self._transaction() as cur:
            cur.executemany(
                """INSERT INTO ledger (venue, event_key, label, ownership, target, since,
                    performance_id)
                VALUES (%s, %s, %s, %s, %s, %s, %s)
                ON CONFLICT (venue, event_key, label) DO UPDATE SET
                    ownership = excluded.ownership, target = excluded.target,
                    since = excluded.since, performance_id = excluded.performance_id""",
                rows,
            )

    def forget(self, keys: Iterable[tuple[str, str]]) -> None:
        """Drop ownership of (event_key, label) keys; unknown keys are ignored."""
        rows = [(self.venue, event_key, label) for event_key, label in keys]
        if not rows:
            return
        with self._transaction() as cur:
            cur.executemany(
                "DELETE FROM ledger WHERE venue = %s AND event_key = %s AND label = %s", rows
            )

    # -- journal ----------------------------------------------------------------------------------

    def begin_run(
        self,
        performance_ids: Iterable[int],
        mode: RunMode,
        plan_json: str | None = None,
        now: datetime | None = None,
    ) -> int:
        """Open a run and return its id (ids only grow, never reused; shared by all venues)."""
        no_bare_string(performance_ids, "performance_ids")
        ids = list(dict.fromkeys(int(p) for p in performance_ids))
        started = self._now(now)
        with self._transaction() as cur:
            row = cur.execute(
                """INSERT INTO runs (venue, mode, performance_ids, started_at, plan)
                VALUES (%s, %s, %s, %s, %s) RETURNING run_id""",
                (self.venue, RunMode(mode).value, json.dumps(ids), started, plan_json),
            ).fetchone()
            assert row is not None
            run_id = int(row[0])
            cur.execute(
                """INSERT INTO run_performances (venue, performance_id, run_id)
                SELECT %s, p, %s FROM unnest(%s::bigint[]) AS p""",
                (self.venue, run_id, ids),
            )
        return run_id

    def op_started(
        self, run_id: int, index: int, op_json: str, now: datetime | None = None
    ) -> None:
        """Write-ahead: operation ``index`` of the run is about to be sent (restarts it if repeated)."""
        started = self._now(now)
        with self._transaction() as cur:
            cur.execute(
                """INSERT INTO ops (run_id, venue, op_index, op, state, started_at)
                SELECT run_id, venue, %s, %s, 'started', %s FROM runs
                WHERE run_id = %s AND venue = %s
                ON CONFLICT (run_id, op_index) DO UPDATE SET
                    op = excluded.op, state = 'started', error = NULL,
                    started_at = excluded.started_at, finished_at = NULL""",
                (index, op_json, started, run_id, self.venue),
            )
            if cur.rowcount == 0:
                raise ValueError(
                    f"state store {self.url} refused the value: no run {run_id} "
                    f"in venue {self.venue!r}"
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
        finished = self._now(now)
        with self._transaction() as cur:
            cur.execute(
                """UPDATE ops SET state = %s, error = %s, finished_at = %s
                WHERE venue = %s AND run_id = %s AND op_index = %s""",
                (state.value, error, finished, self.venue, run_id, index),
            )
            if cur.rowcount == 0:
                raise ValueError(f"run {run_id} has no started operation {index}")

    def finish_run(self, run_id: int, summary_json: str, now: datetime | None = None) -> None:
        """Close a run with its outcome summary."""
        finished = self._now(now)
        with self._transaction() as cur:
            cur.execute(
                "UPDATE runs SET summary = %s, finished_at = %s WHERE venue = %s AND run_id = %s",
                (summary_json, finished, self.venue, run_id),
            )
            if cur.rowcount == 0:
                raise ValueError(f"no run {run_id}")

    def runs(self, limit: int = 20, performance_id: int | None = None) -> list[Run]:
        """The latest runs, newest first, optionally only those covering one performance."""
        with self._transaction() as cur:
            if performance_id is None:
                rows = cur.execute(
                    f"""SELECT {RUN_COLUMNS} FROM runs WHERE venue = %s
                    ORDER BY run_id DESC LIMIT %s""",
                    (self.venue, limit),
                ).fetchall()
            else:
                rows = cur.execute(
                    f"""SELECT {RUN_COLUMNS} FROM runs WHERE venue = %s AND run_id IN
                        (SELECT run_id FROM run_performances
                        WHERE venue = %s AND performance_id = %s)
                    ORDER BY run_id DESC LIMIT %s""",
                    (self.venue, self.venue, performance_id, limit),
                ).fetchall()
        return [run_of(row, _utc) for row in rows]

    def unfinished_runs(self) -> list[Run]:
        """Runs never finished (in flight, or left by a crash or an interruption), oldest first."""
        with self._transaction() as cur:
            rows = cur.execute(
                f"""SELECT {RUN_COLUMNS} FROM runs WHERE venue = %s AND finished_at IS NULL
                ORDER BY run_id""",
                (self.venue,),
            ).fetchall()
        return [run_of(row, _utc) for row in rows]

    def ops(self, run_id: int) -> list[JournalOp]:
        """The operations of one run in index order."""
        with self._transaction() as cur:
            rows = cur.execute(
                f"SELECT {OP_COLUMNS} FROM ops WHERE venue = %s AND run_id = %s ORDER BY op_index",
                (self.venue, run_id),
            ).fetchall()
        return [journal_op_of(row, _utc) for row in rows]

    def unfinished_ops(self, performance_id: int | None = None) -> list[JournalOp]:
        """Operations still STARTED: left by a crash when no run for them is in flight."""
        with self._transaction() as cur:
            if performance_id is None:
                rows = cur.execute(
                    f"""SELECT {OP_COLUMNS} FROM ops WHERE venue = %s AND state = 'started'
                    ORDER BY run_id, op_index""",
                    (self.venue,),
                ).fetchall()
            else:
                rows = cur.execute(
                    f"""SELECT {OP_COLUMNS} FROM ops WHERE venue = %s AND state = 'started' AND run_id IN
                        (SELECT run_id FROM run_performances
                        WHERE venue = %s AND performance_id = %s)
                    ORDER BY run_id, op_index""",
                    (self.venue, self.venue, performance_id),
                ).fetchall()
        return [journal_op_of(row, _utc) for row in rows]

    def prune_runs(self, finished_before: datetime) -> int:
        """Delete finished runs (and their ops) older than a cutoff; returns how many went."""
        cutoff = _aware(finished_before)
        with self._transaction() as cur:
            cur.execute(
                """DELETE FROM runs WHERE venue = %s AND finished_at IS NOT NULL
                AND finished_at < %s""",
                (self.venue, cutoff),
            )
            return cur.rowcount

    # -- per-performance status -------------------------------------------------------------------

    def set_performance_status(self, status: PerformanceStatus) -> None:
        """Replace the status of ``status.performance_id``."""
        row = (
            self.venue,
            status.performance_id,
            status.event_key,
            _aware(status.last_sync),
            SyncOutcome(status.outcome).value,
            status.drift,
            status.conflicts,
            status.errors,
            status.last_error,
            status.run_id,
        )
        with self._transaction() as cur:
            cur.execute(
                """INSERT INTO performance_status (venue, performance_id, event_key, last_sync,
                    outcome, drift, conflicts, errors, last_error, run_id)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                ON CONFLICT (venue, performance_id) DO UPDATE SET
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
        sql = f"SELECT {STATUS_COLUMNS} FROM performance_status WHERE venue = %s"
        params: tuple[Any, ...] = (self.venue,)
        if performance_ids is not None:
            no_bare_string(performance_ids, "performance_ids")
            sql += " AND performance_id = ANY(%s::bigint[])"
            params = (self.venue, [int(p) for p in performance_ids])
        with self._transaction() as cur:
            rows = cur.execute(sql + " ORDER BY performance_id", params).fetchall()
        return [status_of(row, _utc) for row in rows]

    # -- for-sale budget --------------------------------------------------------------------------

    def record_for_sale_call(
        self,
        event_key: str,
        now: datetime | None = None,
        remaining: int | None = None,
        resets_at: datetime | None = None,
    ) -> None:
        """Count one restricting for-sale edit, with the API's remaining figure if it gave one."""
        if remaining is not None and remaining < 0:
            raise ValueError(f"remaining for-sale calls cannot be negative: {remaining}")
        moment = self._now(now)
        resets = None if resets_at is None else _aware(resets_at)
        with self._transaction() as cur:
            cur.execute(
                """INSERT INTO for_sale_calls (venue, event_key, called_at, remaining, resets_at)
                VALUES (%s, %s, %s, %s, %s)""",
                (self.venue, event_key, moment, remaining, resets),
            )
            cur.execute(
                """DELETE FROM for_sale_calls WHERE venue = %s AND event_key = %s
                AND called_at < %s""",
                (self.venue, event_key, moment - _FOR_SALE_RETENTION),
            )

    def for_sale_calls_left(self, event_key: str, now: datetime | None = None) -> int:
        """Restricting for-sale edits the event still allows now (never below 0); see SQLite."""
        moment = self._now(now)
        with self._transaction() as cur:
            reported = cur.execute(
                """SELECT call_id, called_at, remaining, resets_at FROM for_sale_calls
                WHERE venue = %s AND event_key = %s AND remaining IS NOT NULL
                ORDER BY called_at DESC, call_id DESC LIMIT 1""",
                (self.venue, event_key),
            ).fetchone()
            if reported is not None:
                call_id, called_at, remaining, resets_at = reported
                resets = resets_at if resets_at is not None else called_at + FOR_SALE_WINDOW
                if resets > moment:
                    later = cur.execute(
                        """SELECT count(*) FROM for_sale_calls WHERE venue = %s
                        AND event_key = %s
                        AND (called_at > %s OR (called_at = %s AND call_id > %s))""",
                        (self.venue, event_key, called_at, called_at, call_id),
                    ).fetchone()
                    assert later is not None
                    return max(0, int(remaining) - int(later[0]))
            recent = cur.execute(
                """SELECT count(*) FROM for_sale_calls WHERE venue = %s AND event_key = %s
                AND called_at > %s""",
                (self.venue, event_key, moment - FOR_SALE_WINDOW),
            ).fetchone()
            assert recent is not None
        return max(0, FOR_SALE_DAILY_LIMIT - int(recent[0]))

    # -- seat tables ------------------------------------------------------------------------------

    def seat_table_rows(self) -> dict[int, int]:
        """Rows each seat map's table had at the last run that recorded it."""
        with self._transaction() as cur:
            rows = cur.execute(
                "SELECT seat_map_id, row_count FROM seat_tables WHERE venue = %s", (self.venue,)
            ).fetchall()
        return {int(m): int(n) for m, n in rows}

    def record_seat_table_rows(self, rows: Mapping[int, int], now: datetime | None = None) -> None:
        """Remember how many rows each seat map's table has now."""
        moment = self._now(now)
        if not rows:
            return
        with self._transaction() as cur:
            cur.executemany(
                """INSERT INTO seat_tables (venue, seat_map_id, row_count, recorded_at)
                VALUES (%s, %s, %s, %s)
                ON CONFLICT (venue, seat_map_id) DO UPDATE
                SET row_count = excluded.row_count, recorded_at = excluded.recorded_at""",
                [(self.venue, m, n, moment) for m, n in sorted(rows.items())],
            )

    # -- daemon notes -----------------------------------------------------------------------------

    def put_note(self, key: str, value: str, now: datetime | None = None) -> None:
        """Set the note ``key`` to the JSON text ``value``."""
        moment = self._now(now)
        with self._transaction() as cur:
            cur.execute(
                """INSERT INTO daemon_notes (venue, key, value, updated_at) VALUES (%s, %s, %s, %s)
                ON CONFLICT (venue, key) DO UPDATE
                SET value = excluded.value, updated_at = excluded.updated_at""",
                (self.venue, key, value, moment),
            )

    def notes(self, prefix: str = "") -> list[DaemonNote]:
        """Every note whose key starts with ``prefix``, by key (byte order, as on SQLite)."""
        with self._transaction() as cur:
            rows = cur.execute(
                """SELECT key, value, updated_at FROM daemon_notes
                WHERE venue = %s AND starts_with(key, %s) ORDER BY key COLLATE "C\"""",
                (self.venue, prefix),
            ).fetchall()
        return [DaemonNote(str(k), str(v), _utc(at)) for k, v, at in rows]

    def delete_note(self, key: str) -> None:
        """Drop the note ``key`` if there is one."""
        with self._transaction() as cur:
            cur.execute("DELETE FROM daemon_notes WHERE venue = %s AND key = %s", (self.venue, key))

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
        """Take or renew the performance for ``holder``; False if someone else holds it.

        One conditional upsert: free, run out, already ``holder``'s, still ``reclaim_from``'s,
        or its session is gone. Under READ COMMITTED a racing upsert waits for the other's commit
        and re-checks the condition against the row it wrote, so two cannot both win. When our own
        session turns out dead (the server dropped it unnoticed) it is made anew and tried once
        more, since a row naming a dead session holds nothing.
        """
        if ttl_s <= 0:
            raise ValueError(f"lease ttl must be positive: {ttl_s}")
        moment = self._now(now)
        expires = moment + timedelta(seconds=ttl_s)
        for _ in range(2):
            self._check_open()
            identity = self._presence.current()
            with self._transaction() as cur:
                row = cur.execute(
                    ACQUIRE_LEASE,
                    {
                        "venue": self.venue,
                        "pid": performance_id,
                        "holder": holder,
                        "expires": expires,
                        "spid": identity[0],
                        "sstart": identity[1],
                        "now": moment,
                        "reclaim": reclaim_from,
                    },
                ).fetchone()
            if row is None:
                return False
            if row[0]:
                return True
            self._presence.lost(identity)
        return False

    def renew_lease(
        self, performance_id: int, holder: str, ttl_s: float, now: datetime | None = None
    ) -> bool:
        """Extend ``holder``'s lease to ``now + ttl_s``; False (nothing changed) unless the row
        is still ``holder``'s AND still names this store's live session: after the session was
        lost (and made anew) the lease may have been taken meanwhile, so it counts as lost."""
        if ttl_s <= 0:
            raise ValueError(f"lease ttl must be positive: {ttl_s}")
        moment = self._now(now)
        self._check_open()
        spid, sstart = self._presence.current()
        expires = moment + timedelta(seconds=ttl_s)
        with self._transaction() as cur:
            cur.execute(RENEW_LEASE, (expires, self.venue, performance_id, holder, spid, sstart))
            return cur.rowcount == 1

    def release_lease(self, performance_id: int, holder: str) -> None:
        """Give the performance up, if ``holder`` has it."""
        with self._transaction() as cur:
            cur.execute(
                "DELETE FROM leases WHERE venue = %s AND performance_id = %s AND holder = %s",
                (self.venue, performance_id, holder),
            )

    def lease_holder(self, performance_id: int, now: datetime | None = None) -> str | None:
        """Who holds the performance now: a row not run out whose session is alive."""
        moment = self._now(now)
        with self._transaction() as cur:
            row = cur.execute(LEASE_HOLDER, (self.venue, performance_id, moment)).fetchone()
        return None if row is None else str(row[0])

    def leases(self, now: datetime | None = None) -> list[Lease]:
        """Every lease held now (not run out, session alive), ordered by performance id."""
        moment = self._now(now)
        with self._transaction() as cur:
            rows = cur.execute(LEASES, (self.venue, moment)).fetchall()
        return [Lease(pid, str(holder), _utc(expires)) for pid, holder, expires in rows]

    # -- instances --------------------------------------------------------------------------------

    def announce_instance(
        self, holder: str, listen: str, units: Iterable[str], now: datetime | None = None
    ) -> None:
        """Say ``holder`` runs on this store's session (upsert: ``started_at`` only on insert)."""
        no_bare_string(units, "units")
        unit_list = json.dumps([str(u) for u in units])
        moment = self._now(now)
        self._check_open()
        spid, sstart = self._presence.current()
        with self._transaction() as cur:
            cur.execute(
                ANNOUNCE_INSTANCE,
                (self.venue, holder, listen, unit_list, moment, moment, spid, sstart),
            )

    def instances(self, stale_after_s: float, now: datetime | None = None) -> list[Instance]:
        """This venue's instances by holder; live: seen lately and its session still there."""
        if stale_after_s <= 0:
            raise ValueError(f"stale_after_s must be positive: {stale_after_s}")
        cutoff = self._now(now) - timedelta(seconds=stale_after_s)
        with self._transaction() as cur:
            rows = cur.execute(INSTANCES, (cutoff, self.venue)).fetchall()
        return [
            Instance(
                str(holder),
                str(listen),
                tuple(json.loads(units)),
                _utc(started),
                _utc(seen),
                bool(live),
            )
            for holder, listen, units, started, seen, live in rows
        ]

    def retire_instance(self, holder: str) -> None:
        """Forget an instance; unknown holders are ignored."""
        with self._transaction() as cur:
            cur.execute(
                "DELETE FROM instances WHERE venue = %s AND holder = %s", (self.venue, holder)
            )

    # -- lanes ------------------------------------------------------------------------------------

    def lane_budget(self, account: str, lane: str, limit: int) -> LaneBudget | None:
        """``limit`` concurrent requests on ``lane`` of ``account`` across every instance; the
        budgets of one store share its one lane connection."""
        self._check_open()
        return PostgresLaneBudget(self._lanes, account, lane, limit)

    # -- lifetime ---------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the pool and the store's own connections (freeing its leases and lane slots at
        once); later calls fail, closing twice is fine."""
        if self._closed:
            return
        self._closed = True
        self._pool.close()
        self._lanes.close()
        self._presence.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _migrate(conn: Conn, source: str) -> int:
    """Bring the database up to the latest version in one transaction and return the version.

    The transaction-level advisory lock makes instances starting together queue up: the first
    migrates, the others then find the current version and do nothing.
    """
    latest = migrations.LATEST_VERSION
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
        tables = {
            str(name)
            for (name,) in conn.execute(
                """SELECT table_name FROM information_schema.tables
                WHERE table_schema = current_schema()"""
            )
        }
        if "schema_version" not in tables:
            if tables:
                raise ConfigError(
                    f"{source} is a PostgreSQL database but not a seatbridge state store "
                    "(no schema_version table); refusing to write into it"
                )
            version = 0
        else:
            row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
            assert row is not None
            version = int(row[0])
        if version > latest:
            raise ConfigError(
                f"{source} has state store schema version {version}, newer than this seatbridge "
                f"knows (up to {latest}); upgrade seatbridge or point it at another database"
            )
        if version < latest:
            conn.execute(migrations.POSTGRES_VERSION_TABLE)
            for migration in migrations.MIGRATIONS:
                if migration.version <= version:
                    continue
                try:
                    for statement in migration.postgres:
                        conn.execute(statement)
                except psycopg.Error as exc:
                    raise ConfigError(
                        f"{source}: upgrading to schema version {migration.version} "
                        f"({migration.description}) failed, the database is unchanged: "
                        f"{_one_line(exc)}"
                    ) from exc
                conn.execute(
                    """INSERT INTO schema_version (version, description, applied_at)
                    VALUES (%s, %s, now())""",
                    (migration.version, migration.description),
                )
    return latest


if TYPE_CHECKING:  # mypy proves PostgresStore keeps the StateStore contract
    _conforms: StateStore = PostgresStore("")
