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

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg_pool import ConnectionPool, PoolTimeout
from psycopg_pool.base import AttemptWithBackoff

from bridge.clock import SYSTEM, Clock
from bridge.errors import ConfigError, RetryableError
from bridge.redact import redact_url
from bridge.store import migrations
from bridge.store.base import LaneBudget, StateStore
from bridge.store.postgres_lanes import LaneSession, PostgresLaneBudget
from bridge.store.postgres_leases import (
    ACQUIRE_LEASE,
    ANNOUNCE_INSTANCE,
    HELD_LEASES,
    INSTANCES,
    LEASE_HOLDER,
    LEASES,
    LINGER_LEASE,
    RENEW_LEASE,
    Presence,
)
from bridge.store.rows import (
    LEDGER_COLUMNS,
    OP_COLUMNS,
    RUN_COLUMNS,
    STATUS_COLUMNS,
    WRITEBACK_COLUMNS,
)
from bridge.store.rules import Params, SqlStore, Statements, Tx, aware, utc

Conn = psycopg.Connection[tuple[Any, ...]]

#: pg_advisory_xact_lock key (the one-bigint form) that serializes migrations across instances.
MIGRATION_LOCK_KEY = 0x5EA7_B21D_6E00_0001

# Server side keepalives too, so the server drops the session of a vanished host (and with it
# its leases) within about 10 + 3 * 5 s; TimeZone so timestamptz comes back in UTC.
_SESSION_SETTINGS = (
    "SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; "
    "SET tcp_keepalives_count = 3; SET TimeZone = 'UTC'"
)

#: The statements, in PostgreSQL's dialect: every row carries ``venue`` and every query filters
#: by it; times are ``timestamptz``, lists arrays. Leases and instances are rows naming the
#: store's presence session (see :mod:`bridge.store.postgres_leases`).
SQL = Statements(
    ledger=f"SELECT {LEDGER_COLUMNS} FROM ledger WHERE venue = %(venue)s",
    ledger_of_events=f"""SELECT {LEDGER_COLUMNS} FROM ledger
        WHERE venue = %(venue)s AND event_key = ANY(%(event_keys)s::text[])""",
    claim="""INSERT INTO ledger (venue, event_key, label, ownership, target, since,
            performance_id)
        VALUES (%(venue)s, %(event_key)s, %(label)s, %(ownership)s, %(target)s, %(since)s,
            %(performance_id)s)
        ON CONFLICT (venue, event_key, label) DO UPDATE SET
            ownership = excluded.ownership, target = excluded.target,
            since = excluded.since, performance_id = excluded.performance_id""",
    forget="""DELETE FROM ledger
        WHERE venue = %(venue)s AND event_key = %(event_key)s AND label = %(label)s""",
    writeback_holds=f"SELECT {WRITEBACK_COLUMNS} FROM writeback_holds WHERE venue = %(venue)s",
    writeback_holds_of=f"""SELECT {WRITEBACK_COLUMNS} FROM writeback_holds
        WHERE venue = %(venue)s AND performance_id = ANY(%(ids)s::bigint[])""",
    claim_writeback="""INSERT INTO writeback_holds (venue, performance_id, seat_id, label,
            event_key, hold_code_id, since)
        VALUES (%(venue)s, %(performance_id)s, %(seat_id)s, %(label)s, %(event_key)s,
            %(hold_code_id)s, %(since)s)
        ON CONFLICT (venue, performance_id, seat_id) DO UPDATE SET
            label = excluded.label, event_key = excluded.event_key,
            hold_code_id = excluded.hold_code_id,
            since = CASE WHEN writeback_holds.label = excluded.label
                AND writeback_holds.hold_code_id = excluded.hold_code_id
                THEN coalesce(writeback_holds.since, excluded.since) ELSE excluded.since END""",
    forget_writeback="""DELETE FROM writeback_holds WHERE venue = %(venue)s
        AND performance_id = %(performance_id)s AND seat_id = %(seat_id)s""",
    begin_run="""INSERT INTO runs (venue, mode, performance_ids, started_at, plan)
        VALUES (%(venue)s, %(mode)s, %(performance_ids)s, %(started_at)s, %(plan)s)
        RETURNING run_id""",
    add_run_performances="""INSERT INTO run_performances (venue, performance_id, run_id)
        SELECT %(venue)s, p, %(run_id)s FROM unnest(%(ids)s::bigint[]) AS p""",
    op_started="""INSERT INTO ops (run_id, venue, op_index, op, state, started_at)
        SELECT run_id, venue, %(op_index)s, %(op)s, 'started', %(started_at)s FROM runs
        WHERE run_id = %(run_id)s AND venue = %(venue)s
        ON CONFLICT (run_id, op_index) DO UPDATE SET
            op = excluded.op, state = 'started', error = NULL,
            started_at = excluded.started_at, finished_at = NULL""",
    op_finished="""UPDATE ops SET state = %(state)s, error = %(error)s, finished_at = %(finished_at)s
        WHERE venue = %(venue)s AND run_id = %(run_id)s AND op_index = %(op_index)s""",
    finish_run="""UPDATE runs SET summary = %(summary)s, finished_at = %(finished_at)s
        WHERE venue = %(venue)s AND run_id = %(run_id)s""",
    runs=f"""SELECT {RUN_COLUMNS} FROM runs WHERE venue = %(venue)s
        ORDER BY run_id DESC LIMIT %(limit)s""",
    runs_of_performance=f"""SELECT {RUN_COLUMNS} FROM runs WHERE venue = %(venue)s AND run_id IN
            (SELECT run_id FROM run_performances
            WHERE venue = %(venue)s AND performance_id = %(performance_id)s)
        ORDER BY run_id DESC LIMIT %(limit)s""",
    unfinished_runs=f"""SELECT {RUN_COLUMNS} FROM runs
        WHERE venue = %(venue)s AND finished_at IS NULL ORDER BY run_id""",
    ops=f"""SELECT {OP_COLUMNS} FROM ops WHERE venue = %(venue)s AND run_id = %(run_id)s
        ORDER BY op_index""",
    unfinished_ops=f"""SELECT {OP_COLUMNS} FROM ops WHERE venue = %(venue)s AND state = 'started'
        ORDER BY run_id, op_index""",
    unfinished_ops_of_performance=f"""SELECT {OP_COLUMNS} FROM ops
        WHERE venue = %(venue)s AND state = 'started' AND run_id IN
            (SELECT run_id FROM run_performances
            WHERE venue = %(venue)s AND performance_id = %(performance_id)s)
        ORDER BY run_id, op_index""",
    prune_runs="""DELETE FROM runs WHERE venue = %(venue)s AND finished_at IS NOT NULL
        AND finished_at < %(cutoff)s""",
    set_performance_status="""INSERT INTO performance_status (venue, performance_id, event_key,
            last_sync, outcome, drift, conflicts, errors, last_error, run_id)
        VALUES (%(venue)s, %(performance_id)s, %(event_key)s, %(last_sync)s, %(outcome)s,
            %(drift)s, %(conflicts)s, %(errors)s, %(last_error)s, %(run_id)s)
        ON CONFLICT (venue, performance_id) DO UPDATE SET
            event_key = excluded.event_key, last_sync = excluded.last_sync,
            outcome = excluded.outcome, drift = excluded.drift,
            conflicts = excluded.conflicts, errors = excluded.errors,
            last_error = excluded.last_error, run_id = excluded.run_id""",
    performance_statuses=f"""SELECT {STATUS_COLUMNS} FROM performance_status
        WHERE venue = %(venue)s ORDER BY performance_id""",
    performance_statuses_of=f"""SELECT {STATUS_COLUMNS} FROM performance_status
        WHERE venue = %(venue)s AND performance_id = ANY(%(ids)s::bigint[])
        ORDER BY performance_id""",
    record_for_sale_call="""INSERT INTO for_sale_calls (venue, event_key, called_at, remaining,
            resets_at)
        VALUES (%(venue)s, %(event_key)s, %(called_at)s, %(remaining)s, %(resets_at)s)""",
    prune_for_sale_calls="""DELETE FROM for_sale_calls WHERE venue = %(venue)s
        AND event_key = %(event_key)s AND called_at < %(cutoff)s""",
    last_reported_for_sale_call="""SELECT call_id, called_at, remaining, resets_at
        FROM for_sale_calls
        WHERE venue = %(venue)s AND event_key = %(event_key)s AND remaining IS NOT NULL
        ORDER BY called_at DESC, call_id DESC LIMIT 1""",
    for_sale_calls_after="""SELECT count(*) FROM for_sale_calls
        WHERE venue = %(venue)s AND event_key = %(event_key)s AND (called_at > %(called_at)s
            OR (called_at = %(called_at)s AND call_id > %(call_id)s))""",
    for_sale_calls_since="""SELECT count(*) FROM for_sale_calls
        WHERE venue = %(venue)s AND event_key = %(event_key)s AND called_at > %(since)s""",
    seat_table_rows="SELECT seat_map_id, row_count FROM seat_tables WHERE venue = %(venue)s",
    record_seat_table_rows="""INSERT INTO seat_tables (venue, seat_map_id, row_count, recorded_at)
        VALUES (%(venue)s, %(seat_map_id)s, %(row_count)s, %(recorded_at)s)
        ON CONFLICT (venue, seat_map_id) DO UPDATE
        SET row_count = excluded.row_count, recorded_at = excluded.recorded_at""",
    put_note="""INSERT INTO daemon_notes (venue, key, value, updated_at)
        VALUES (%(venue)s, %(key)s, %(value)s, %(updated_at)s)
        ON CONFLICT (venue, key) DO UPDATE
        SET value = excluded.value, updated_at = excluded.updated_at""",
    notes="""SELECT key, value, updated_at FROM daemon_notes
        WHERE venue = %(venue)s AND starts_with(key, %(prefix)s) ORDER BY key COLLATE "C\"""",
    delete_note="DELETE FROM daemon_notes WHERE venue = %(venue)s AND key = %(key)s",
    delete_notes_before="""DELETE FROM daemon_notes
        WHERE venue = %(venue)s AND starts_with(key, %(prefix)s) AND updated_at < %(before)s""",
    acquire_lease=ACQUIRE_LEASE,
    renew_lease=RENEW_LEASE,
    release_lease="""DELETE FROM leases WHERE venue = %(venue)s
        AND performance_id = %(performance_id)s AND holder = %(holder)s AND NOT lingering""",
    linger_lease=LINGER_LEASE,
    lease_holder=LEASE_HOLDER,
    leases=LEASES,
    held_leases=HELD_LEASES,
    announce_instance=ANNOUNCE_INSTANCE,
    instances=INSTANCES,
    retire_instance="DELETE FROM instances WHERE venue = %(venue)s AND holder = %(holder)s",
)


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


#: The longest wait between the pool's attempts to reconnect to a server that went away. The
#: pool's own backoff doubles from 1 s without a ceiling below its reconnect timeout: a 30 s
#: outage left it waiting until about 55 s before it tried again. Capped, the store is back within
#: a couple of seconds of the server.
RECONNECT_MAX_DELAY_S = 2.0


class _PromptReconnect(AttemptWithBackoff):
    """The pool's reconnect backoff, from half a second and never above
    :data:`RECONNECT_MAX_DELAY_S`."""

    INITIAL_DELAY = 0.5

    def update_delay(self, now: float) -> None:
        super().update_delay(now)
        self.delay = min(self.delay, RECONNECT_MAX_DELAY_S)


class _Pool(ConnectionPool[Conn]):
    """psycopg's pool with :class:`_PromptReconnect` for its reconnect attempts and between the
    checks of pooled connections a lost session broke (psycopg_pool 3.x's private hooks; the
    pool sleeps a second after the first broken one, two after the next, otherwise)."""

    def _add_connection(self, attempt: AttemptWithBackoff | None, growing: bool = False) -> None:
        if attempt is None:
            attempt = _PromptReconnect(timeout=self.reconnect_timeout)
        super()._add_connection(attempt, growing)

    #: the store's clock: how long a borrower may wait for a connection
    clock: Clock = SYSTEM

    def getconn(self, timeout: float | None = None) -> Conn:
        # psycopg_pool's getconn (pool.py) without its sleep between checks: a connection that
        # fails its check is put back (the pool replaces it) and the next one is taken at once;
        # when none is left, taking one waits for the pool's reconnect, paced as above
        deadline = self.clock.monotonic() + (self.timeout if timeout is None else timeout)
        self._check_open_getconn()
        while True:
            try:
                conn = self._getconn_unchecked(deadline - self.clock.monotonic())
            except PoolTimeout:
                raise PoolTimeout(f"couldn't get a connection in time from {self.name!r}") from None
            try:
                self._check_connection(conn)
            except Exception:
                self._putconn(conn, from_getconn=True)
                continue
            except BaseException:
                self._putconn(conn, from_getconn=True)
                raise
            return conn


def _configure(conn: Conn) -> None:
    conn.execute(_SESSION_SETTINGS)
    if not conn.autocommit:
        conn.commit()


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


class PostgresStore(SqlStore):
    """The StateStore protocol on a shared PostgreSQL database: the rules of
    ``bridge.store.rules`` over the statements of :data:`SQL`; see ``bridge.store.base``."""

    _sql = SQL

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
        self.url = redact_url(url)
        super().__init__(name=self.url, venue=venue, clock=clock)
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
        self._lanes = LaneSession(self._connect, self._unreachable, self.url)
        self._pool: _Pool = _Pool(
            conninfo,
            min_size=1,
            max_size=pool_size,
            open=True,
            configure=_configure,
            check=ConnectionPool.check_connection,
            timeout=10,
            name="seatbridge-store",
        )
        self._pool.clock = clock

    # -- the dialect ------------------------------------------------------------------------------

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

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"state store {self.url} is closed")

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Tx]:
        """One method, one transaction; a lost server becomes RetryableError, a refused value
        ValueError. ``write`` needs no lock up front here: rows lock as they are written."""
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

    def _time(self, moment: datetime) -> datetime:
        return aware(moment)

    def _read_time(self, stored: Any) -> datetime:
        return utc(stored)

    def _lease_now(self, now: datetime | None) -> datetime | None:
        """None: the statements judge leases by the server's ``now()``, so instances whose own
        clocks disagree (one 400 s ahead) still agree on who holds what; never the injected
        clock. A ``now`` given stands in for the server's clock (the shared store tests)."""
        return None if now is None else aware(now)

    def _list(self, values: list[Any]) -> list[Any]:
        """A list, passed as a PostgreSQL array."""
        return values

    def _session(self) -> Params:
        """The presence session (made anew first if known broken): lease and instance rows name
        it, and count only while it is connected."""
        self._check_open()
        pid, start = self._presence.current()
        return {"session_pid": pid, "session_start": start}

    def _session_lost(self, session: Params) -> None:
        self._presence.lost((session["session_pid"], session["session_start"]))

    def check_alive(self, timeout_s: float) -> None:
        """``SELECT 1`` on a pooled connection: a RetryableError if the server does not answer
        within about ``timeout_s`` (waiting for a connection and the statement each get it; a
        frozen server is cut by the caller's own timeout, see
        :class:`~bridge.store.base.Health`)."""
        self._check_open()
        ms = max(1, int(timeout_s * 1000))
        try:
            with self._pool.connection(timeout=timeout_s) as conn, conn.transaction():
                conn.execute(f"SET LOCAL statement_timeout = {ms}")
                conn.execute("SELECT 1").fetchone()
        except psycopg.Error as exc:  # a PoolTimeout among them
            raise self._unreachable(exc) from exc

    # -- lanes and lifetime -----------------------------------------------------------------------

    def lane_budget(self, account: str, lane: str, limit: int) -> LaneBudget | None:
        """``limit`` concurrent requests on ``lane`` of ``account`` across every instance; the
        budgets of one store share its one lane connection."""
        self._check_open()
        return PostgresLaneBudget(self._lanes, account, lane, limit)

    def close(self) -> None:
        """Close the pool and the store's own connections (freeing its leases and lane slots at
        once); later calls fail, closing twice is fine."""
        if self._closed:
            return
        self._closed = True
        self._pool.close()
        self._lanes.close()
        self._presence.close()


def _migrate(conn: Conn, source: str) -> int:
    """Bring the database up to the latest version in one transaction and return the version.

    The transaction-level advisory lock makes instances starting together queue up: the first
    migrates, the others then find the current version and do nothing.
    """

    def stored() -> int:
        row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
        assert row is not None
        return int(row[0])

    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
        tables = {
            str(name)
            for (name,) in conn.execute(
                """SELECT table_name FROM information_schema.tables
                WHERE table_schema = current_schema()"""
            )
        }
        found = migrations.found_version(tables, stored)
        todo = migrations.pending(found, source, database="a PostgreSQL database", unit="database")
        if todo:
            conn.execute(migrations.POSTGRES_VERSION_TABLE)
        for migration in todo:
            try:
                for statement in migration.postgres:
                    conn.execute(statement)
            except psycopg.Error as exc:
                raise migrations.failed(source, migration, "database", _one_line(exc)) from exc
            conn.execute(
                """INSERT INTO schema_version (version, description, applied_at)
                VALUES (%s, %s, now())""",
                (migration.version, migration.description),
            )
    return migrations.LATEST_VERSION


if TYPE_CHECKING:  # mypy proves PostgresStore keeps the StateStore contract
    _conforms: StateStore = PostgresStore("")
