"""The store's rules, written once above the SQL; each backend brings only its dialect.

:class:`SqlStore` holds the whole :class:`~bridge.store.base.StateStore` contract as rules: what a
method refuses (a naive time, one string where a collection belongs, a lease of no length, an
end state that ends nothing), what it works out in Python (the for-sale budget, a lease's expiry,
a run's performance ids, an instance's staleness cutoff, how long for-sale calls are kept), which
statement it runs with which values, and how rows come back as records. A backend subclasses it
with what is truly its own:

- its statements: one :class:`Statements`, in its dialect;
- its connection: :meth:`SqlStore._transaction` (one method, one transaction, its errors
  translated), ``close`` and ``lane_budget``;
- how it stores a time and passes a list (``_time``, ``_read_time``, ``_list``);
- the database session its lease and instance rows are tied to, if any (``_session``,
  ``_session_lost``: PostgreSQL's presence session; SQLite rows are tied to none).

Statements take named parameters (``:name`` on SQLite, ``%(name)s`` on PostgreSQL), the names
:class:`Statements` gives; every call passes ``venue`` too, which SQLite (one file, one venue)
has no column for and ignores.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, ClassVar, Protocol, Self

from bridge.clock import Clock
from bridge.domain import LedgerEntry, WritebackHold
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
from bridge.store.rows import (
    instance_of,
    journal_op_of,
    lease_of,
    ledger_entry_of,
    no_bare_string,
    note_of,
    run_of,
    status_of,
    writeback_hold_of,
)

#: for-sale rows are kept this long: far beyond any reset date seats.io reports, so a call made
#: after a reported figure is still counted against it, yet the table stays a few rows per event.
FOR_SALE_RETENTION = timedelta(days=7)

Params = dict[str, Any]


def aware(moment: datetime) -> datetime:
    """``moment`` itself, if it knows its time zone; the store refuses to guess (ValueError)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: the state store needs timezone-aware times")
    return moment


def utc(moment: datetime) -> datetime:
    """An aware time as UTC."""
    return moment.astimezone(UTC)


class Result(Protocol):
    """What a statement gives back: sqlite3's cursor and psycopg's both are one."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Tx(Protocol):
    """One transaction, as the rules use it: sqlite3's connection and psycopg's cursor both are
    one."""

    def execute(self, sql: str, params: Mapping[str, Any], /) -> Result: ...

    def executemany(self, sql: str, params: Iterable[Mapping[str, Any]], /) -> object: ...


@dataclass(frozen=True, slots=True)
class Statements:
    """Every statement of the store, in one dialect; each takes ``venue`` and the named
    parameters listed, rows come back in the order listed (``rows``: see ``bridge.store.rows``)."""

    # -- ledger: rows (event_key, label, ownership, target, since, performance_id)
    #: every row
    ledger: str
    #: event_keys (a list)
    ledger_of_events: str
    #: upsert event_key, label, ownership, target, since, performance_id
    claim: str
    #: event_key, label
    forget: str

    # -- write-back ledger: rows (performance_id, seat_id, label, event_key, hold_code_id, since)
    #: every row
    writeback_holds: str
    #: ids (a list)
    writeback_holds_of: str
    #: upsert performance_id, seat_id, label, event_key, hold_code_id, since; the stored
    #: ``since`` stays when the row keeps its label and hold code
    claim_writeback: str
    #: performance_id, seat_id
    forget_writeback: str

    # -- journal
    #: mode, performance_ids (JSON text), started_at, plan -> run_id
    begin_run: str
    #: run_id, ids (a list): one run_performances row each
    add_run_performances: str
    #: upsert (restart) run_id, op_index, op, started_at; no row changed: no such run here
    op_started: str
    #: run_id, op_index, state, error, finished_at
    op_finished: str
    #: run_id, summary, finished_at
    finish_run: str
    #: limit -> RUN_COLUMNS rows, newest first
    runs: str
    #: limit, performance_id -> RUN_COLUMNS rows, newest first
    runs_of_performance: str
    #: -> RUN_COLUMNS rows never finished, oldest first
    unfinished_runs: str
    #: run_id -> OP_COLUMNS rows by op_index
    ops: str
    #: -> OP_COLUMNS rows still started, by run_id, op_index
    unfinished_ops: str
    #: performance_id -> the same, of runs covering the performance
    unfinished_ops_of_performance: str
    #: cutoff: delete runs finished before it (their ops go with them)
    prune_runs: str

    # -- per-performance status
    #: upsert performance_id, event_key, last_sync, outcome, drift, conflicts, errors,
    #: last_error, run_id
    set_performance_status: str
    #: -> STATUS_COLUMNS rows by performance_id
    performance_statuses: str
    #: ids (a list) -> the same, of those performances
    performance_statuses_of: str

    # -- for-sale budget
    #: event_key, called_at, remaining, resets_at
    record_for_sale_call: str
    #: event_key, cutoff: delete the event's calls before it
    prune_for_sale_calls: str
    #: event_key -> (call_id, called_at, remaining, resets_at) of the latest call with a figure
    last_reported_for_sale_call: str
    #: event_key, called_at, call_id -> (count,) of the event's calls after that one
    for_sale_calls_after: str
    #: event_key, since -> (count,) of the event's calls after ``since``
    for_sale_calls_since: str

    # -- seat tables
    #: -> (seat_map_id, row_count) rows
    seat_table_rows: str
    #: upsert seat_map_id, row_count, recorded_at
    record_seat_table_rows: str

    # -- notes
    #: upsert key, value, updated_at
    put_note: str
    #: prefix, prefix_length -> (key, value, updated_at) rows by key, byte order
    notes: str
    #: key
    delete_note: str
    delete_notes_before: str

    # -- leases (and the session parameters of ``SqlStore._session``); ``now``: the store's
    # time to judge by, NULL for the database's own clock (see ``SqlStore._lease_now``);
    # ``expires_at`` now + ``ttl_s`` (NULL with ``now``: the database adds them itself)
    #: performance_id, holder, expires_at, ttl_s, now, reclaim_from: take it if free, run out,
    #: the holder's, still reclaim_from's (or its session is gone), never a lingering one before
    #: it runs out -> (names a live session,), or no row when someone else holds it
    acquire_lease: str
    #: performance_id, holder, expires_at, ttl_s, now: only the holder's row (of this session),
    #: not lingering
    renew_lease: str
    #: performance_id, holder: only the holder's row, not lingering
    release_lease: str
    #: performance_id, holder, expires_at, ttl_s, now: the holder's row, to run out then and be
    #: taken by nobody before (lingering)
    linger_lease: str
    #: performance_id, now -> (holder,) of a lease held now
    lease_holder: str
    #: now -> (performance_id, holder, expires_at, lingering) of the leases held now, by
    #: performance_id
    leases: str
    #: holder, now -> (performance_id, expires_at, the time judged at) of the holder's leases
    #: held now, not lingering
    held_leases: str

    # -- instances
    #: upsert holder, listen, units (JSON text), now: started_at only on insert
    announce_instance: str
    #: cutoff -> (holder, listen, units, started_at, seen_at, live) rows by holder, byte order
    instances: str
    #: holder
    retire_instance: str


class SqlStore(StateStore, ABC):
    """The StateStore protocol's rules over one dialect's SQL; see the module docstring. The
    contract, and each method's documentation, is the protocol's (``bridge.store.base``).

    ``name`` is how messages name the store (a path, a URL without its password).
    """

    #: the dialect's statements
    _sql: ClassVar[Statements]

    def __init__(self, *, name: str, venue: str, clock: Clock) -> None:
        self._name = name
        self.venue = venue
        self._clock = clock

    # -- the dialect: what a backend brings -------------------------------------------------------

    @abstractmethod
    def _transaction(self, *, write: bool) -> AbstractContextManager[Tx]:
        """One method, one transaction (committed when the block ends, rolled back when it
        raises); the dialect's errors become RetryableError or ValueError."""

    @abstractmethod
    def _time(self, moment: datetime) -> Any:
        """``moment`` as stored (refusing a naive one)."""

    @abstractmethod
    def _read_time(self, stored: Any) -> datetime:
        """A stored time, read back as an aware UTC datetime."""

    @abstractmethod
    def _list(self, values: list[Any]) -> Any:
        """A list of values as one statement parameter."""

    def _lease_now(self, now: datetime | None) -> datetime | None:
        """The time leases are judged by: ``now`` when given, else the store's clock. Here the
        injected clock (SQLite: one host, whose processes all read one wall clock, so they agree
        on every lease; a backend with a clock of its own returns None to use it)."""
        return self._now(now)

    def _session(self) -> Params:
        """The parameters naming the database session that lease and instance rows are tied to:
        none here (a row lasts until released or run out)."""
        return {}

    def _session_lost(self, session: Params) -> None:
        """The database says ``session`` (from :meth:`_session`) is gone: make a new one. A store
        whose rows name no session never hears it."""
        raise AssertionError(f"state store {self._name} has no session to lose")

    @abstractmethod
    def lane_budget(self, account: str, lane: str, limit: int) -> LaneBudget | None: ...

    @abstractmethod
    def close(self) -> None: ...

    # -- plumbing ---------------------------------------------------------------------------------

    def _now(self, now: datetime | None) -> datetime:
        """``now``, or the injected clock's when it is left out; never naive."""
        return aware(self._clock.now() if now is None else now)

    def _params(self, **values: Any) -> Params:
        return {"venue": self.venue, **values}

    def _write(self, sql: str, params: Params) -> int:
        """Run one statement in a write transaction; how many rows it changed."""
        with self._transaction(write=True) as tx:
            return tx.execute(sql, params).rowcount

    def _rows(self, sql: str, params: Params) -> list[Any]:
        with self._transaction(write=False) as tx:
            return tx.execute(sql, params).fetchall()

    # -- ledger -----------------------------------------------------------------------------------

    def ledger(self, event_keys: Iterable[str] | None = None) -> dict[tuple[str, str], LedgerEntry]:
        sql, params = self._sql.ledger, self._params()
        if event_keys is not None:
            no_bare_string(event_keys, "event_keys")
            keys = sorted(set(event_keys))
            if not keys:
                return {}
            sql, params["event_keys"] = self._sql.ledger_of_events, self._list(keys)
        when = self._read_time
        return {(row[0], row[1]): ledger_entry_of(row, when) for row in self._rows(sql, params)}

    def claim(self, entries: Iterable[LedgerEntry]) -> None:
        """Rows stream into executemany; a bad entry anywhere rolls the whole claim back."""
        time, venue = self._time, self.venue
        rows = (
            {
                "venue": venue,
                "event_key": e.event_key,
                "label": e.label,
                "ownership": str(e.ownership),
                "target": e.target,
                "since": None if e.since is None else time(e.since),
                "performance_id": e.performance_id,
            }
            for e in entries
        )
        with self._transaction(write=True) as tx:
            tx.executemany(self._sql.claim, rows)

    def forget(self, keys: Iterable[tuple[str, str]]) -> None:
        rows = [self._params(event_key=event_key, label=label) for event_key, label in keys]
        if rows:
            with self._transaction(write=True) as tx:
                tx.executemany(self._sql.forget, rows)

    # -- write-back ledger ------------------------------------------------------------------------

    def writeback_holds(
        self, performance_ids: Iterable[int] | None = None
    ) -> dict[tuple[int, int], WritebackHold]:
        sql, params = self._sql.writeback_holds, self._params()
        if performance_ids is not None:
            no_bare_string(performance_ids, "performance_ids")
            ids = sorted({int(p) for p in performance_ids})
            if not ids:
                return {}
            sql, params["ids"] = self._sql.writeback_holds_of, self._list(ids)
        holds = (writeback_hold_of(row, self._read_time) for row in self._rows(sql, params))
        return {(h.performance_id, h.seat_id): h for h in holds}

    def claim_writeback(self, holds: Iterable[WritebackHold]) -> None:
        """As :meth:`claim`: rows stream into executemany, a bad one rolls the whole claim back.
        The same seat re-claimed with its label and hold code keeps its first ``since`` (a stored
        one: a row claimed without one takes the new), so a hold re-sent after a crash still
        shows how long the seat has been held."""
        time, venue = self._time, self.venue
        rows = (
            {
                "venue": venue,
                "performance_id": h.performance_id,
                "seat_id": h.seat_id,
                "label": h.label,
                "event_key": h.event_key,
                "hold_code_id": h.hold_code_id,
                "since": None if h.since is None else time(h.since),
            }
            for h in holds
        )
        with self._transaction(write=True) as tx:
            tx.executemany(self._sql.claim_writeback, rows)

    def forget_writeback(self, keys: Iterable[tuple[int, int]]) -> None:
        rows = [
            self._params(performance_id=performance_id, seat_id=seat_id)
            for performance_id, seat_id in keys
        ]
        if rows:
            with self._transaction(write=True) as tx:
                tx.executemany(self._sql.forget_writeback, rows)

    # -- journal ----------------------------------------------------------------------------------

    def begin_run(
        self,
        performance_ids: Iterable[int],
        mode: RunMode,
        plan_json: str | None = None,
        now: datetime | None = None,
    ) -> int:
        no_bare_string(performance_ids, "performance_ids")
        ids = list(dict.fromkeys(int(p) for p in performance_ids))
        run = self._params(
            mode=RunMode(mode).value,
            performance_ids=json.dumps(ids),
            started_at=self._time(self._now(now)),
            plan=plan_json,
            ids=self._list(ids),
        )
        with self._transaction(write=True) as tx:
            (run_id,) = tx.execute(self._sql.begin_run, run).fetchone()
            run["run_id"] = run_id = int(run_id)
            tx.execute(self._sql.add_run_performances, run)
        return run_id

    def op_started(
        self, run_id: int, index: int, op_json: str, now: datetime | None = None
    ) -> None:
        op = self._params(
            run_id=run_id, op_index=index, op=op_json, started_at=self._time(self._now(now))
        )
        if self._write(self._sql.op_started, op) == 0:
            raise ValueError(
                f"state store {self._name} refused the value: no run {run_id} "
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
        state = OpState(state)
        if state is OpState.STARTED:
            raise ValueError("op_finished needs an end state: done, failed or unknown")
        end = self._params(
            run_id=run_id,
            op_index=index,
            state=state.value,
            error=error,
            finished_at=self._time(self._now(now)),
        )
        with self._transaction(write=True) as tx:
            if tx.execute(self._sql.op_finished, end).rowcount == 0:
                raise ValueError(f"run {run_id} has no started operation {index}")

    def finish_run(self, run_id: int, summary_json: str, now: datetime | None = None) -> None:
        end = self._params(
            run_id=run_id, summary=summary_json, finished_at=self._time(self._now(now))
        )
        with self._transaction(write=True) as tx:
            if tx.execute(self._sql.finish_run, end).rowcount == 0:
                raise ValueError(f"no run {run_id}")

    def runs(self, limit: int = 20, performance_id: int | None = None) -> list[Run]:
        sql = self._sql.runs if performance_id is None else self._sql.runs_of_performance
        rows = self._rows(sql, self._params(limit=limit, performance_id=performance_id))
        return [run_of(row, self._read_time) for row in rows]

    def unfinished_runs(self) -> list[Run]:
        rows = self._rows(self._sql.unfinished_runs, self._params())
        return [run_of(row, self._read_time) for row in rows]

    def ops(self, run_id: int) -> list[JournalOp]:
        rows = self._rows(self._sql.ops, self._params(run_id=run_id))
        return [journal_op_of(row, self._read_time) for row in rows]

    def unfinished_ops(self, performance_id: int | None = None) -> list[JournalOp]:
        sql = (
            self._sql.unfinished_ops
            if performance_id is None
            else self._sql.unfinished_ops_of_performance
        )
        rows = self._rows(sql, self._params(performance_id=performance_id))
        return [journal_op_of(row, self._read_time) for row in rows]

    def prune_runs(self, finished_before: datetime) -> int:
        return self._write(self._sql.prune_runs, self._params(cutoff=self._time(finished_before)))

    # -- per-performance status -------------------------------------------------------------------

    def set_performance_status(self, status: PerformanceStatus) -> None:
        self._write(self._sql.set_performance_status, self._status_row(status))

    def set_performance_statuses(self, statuses: Iterable[PerformanceStatus]) -> None:
        rows = [self._status_row(status) for status in statuses]
        if rows:
            with self._transaction(write=True) as tx:
                tx.executemany(self._sql.set_performance_status, rows)

    def _status_row(self, status: PerformanceStatus) -> Params:
        return self._params(
            performance_id=status.performance_id,
            event_key=status.event_key,
            last_sync=self._time(status.last_sync),
            outcome=SyncOutcome(status.outcome).value,
            drift=status.drift,
            conflicts=status.conflicts,
            errors=status.errors,
            last_error=status.last_error,
            run_id=status.run_id,
        )

    def performance_statuses(
        self, performance_ids: Iterable[int] | None = None
    ) -> list[PerformanceStatus]:
        sql, params = self._sql.performance_statuses, self._params()
        if performance_ids is not None:
            no_bare_string(performance_ids, "performance_ids")
            ids = self._list([int(p) for p in performance_ids])
            sql, params["ids"] = self._sql.performance_statuses_of, ids
        return [status_of(row, self._read_time) for row in self._rows(sql, params)]

    # -- for-sale budget --------------------------------------------------------------------------

    def record_for_sale_call(
        self,
        event_key: str,
        now: datetime | None = None,
        remaining: int | None = None,
        resets_at: datetime | None = None,
    ) -> None:
        """The event's calls older than FOR_SALE_RETENTION go."""
        if remaining is not None and remaining < 0:
            raise ValueError(f"remaining for-sale calls cannot be negative: {remaining}")
        moment = self._now(now)
        call = self._params(
            event_key=event_key,
            called_at=self._time(moment),
            remaining=remaining,
            resets_at=None if resets_at is None else self._time(resets_at),
            cutoff=self._time(moment - FOR_SALE_RETENTION),
        )
        with self._transaction(write=True) as tx:
            tx.execute(self._sql.record_for_sale_call, call)
            tx.execute(self._sql.prune_for_sale_calls, call)

    def for_sale_calls_left(self, event_key: str, now: datetime | None = None) -> int:
        moment = self._now(now)
        params = self._params(event_key=event_key, since=self._time(moment - FOR_SALE_WINDOW))
        with self._transaction(write=False) as tx:
            reported = tx.execute(self._sql.last_reported_for_sale_call, params).fetchone()
            if reported is not None:
                call_id, called_at, remaining, resets_at = reported
                resets = (
                    self._read_time(called_at) + FOR_SALE_WINDOW
                    if resets_at is None
                    else self._read_time(resets_at)
                )
                if resets > moment:
                    after = {**params, "called_at": called_at, "call_id": call_id}
                    (later,) = tx.execute(self._sql.for_sale_calls_after, after).fetchone()
                    return max(0, int(remaining) - int(later))
            (recent,) = tx.execute(self._sql.for_sale_calls_since, params).fetchone()
        return max(0, FOR_SALE_DAILY_LIMIT - int(recent))

    # -- seat tables ------------------------------------------------------------------------------

    def seat_table_rows(self) -> dict[int, int]:
        rows = self._rows(self._sql.seat_table_rows, self._params())
        return {int(m): int(n) for m, n in rows}

    def record_seat_table_rows(self, rows: Mapping[int, int], now: datetime | None = None) -> None:
        moment = self._time(self._now(now))
        tables = [
            self._params(seat_map_id=m, row_count=n, recorded_at=moment)
            for m, n in sorted(rows.items())
        ]
        if tables:
            with self._transaction(write=True) as tx:
                tx.executemany(self._sql.record_seat_table_rows, tables)

    # -- notes ------------------------------------------------------------------------------------

    def put_note(self, key: str, value: str, now: datetime | None = None) -> None:
        note = self._params(key=key, value=value, updated_at=self._time(self._now(now)))
        self._write(self._sql.put_note, note)

    def notes(self, prefix: str = "") -> list[DaemonNote]:
        rows = self._rows(self._sql.notes, self._params(prefix=prefix, prefix_length=len(prefix)))
        return [note_of(row, self._read_time) for row in rows]

    def delete_note(self, key: str) -> None:
        self._write(self._sql.delete_note, self._params(key=key))

    def delete_notes_older_than(
        self, prefix: str, age_s: float, now: datetime | None = None
    ) -> None:
        before = self._time(self._now(now) - timedelta(seconds=age_s))
        params = self._params(prefix=prefix, prefix_length=len(prefix), before=before)
        self._write(self._sql.delete_notes_before, params)

    def store_now(self) -> datetime:
        moment = self._lease_now(None)  # the injected clock, or None: the database's own
        if moment is not None:
            return moment
        ((now,),) = self._rows("SELECT now()", {})
        return self._read_time(now)

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
        """One conditional upsert: free, run out, already ours, or (``reclaim_from``) still held by
        exactly the holder the caller found dead, so two processes reclaiming one dead holder's
        lease cannot both win. When the row names a session the database finds gone (ours, lost
        unnoticed), the session is made anew and the lease tried once more: such a row holds
        nothing.
        """
        lease = self._lease(performance_id, holder, ttl_s, now)
        lease["reclaim_from"] = reclaim_from
        for _ in range(2):
            session = self._session()
            with self._transaction(write=True) as tx:
                row = tx.execute(self._sql.acquire_lease, {**lease, **session}).fetchone()
            if row is None:
                return False
            if row[0]:
                return True
            self._session_lost(session)
        return False

    def renew_lease(
        self, performance_id: int, holder: str, ttl_s: float, now: datetime | None = None
    ) -> bool:
        """A lease that ran out but that nobody took is still the holder's row, so it is renewed:
        nobody else can have acted on the performance meanwhile, since taking it rewrites the row.
        A row naming another session than the store's (lost and made anew) is not renewed: the
        lease may have been taken meanwhile, so it counts as lost.
        """
        lease = self._lease(performance_id, holder, ttl_s, now)
        return self._write(self._sql.renew_lease, {**lease, **self._session()}) == 1

    def _lease(
        self, performance_id: int, holder: str, ttl_s: float, now: datetime | None
    ) -> Params:
        if ttl_s <= 0:
            raise ValueError(f"lease ttl must be positive: {ttl_s}")
        moment = self._lease_now(now)
        return self._params(
            performance_id=performance_id,
            holder=holder,
            ttl_s=float(ttl_s),
            expires_at=None if moment is None else self._time(moment + timedelta(seconds=ttl_s)),
            now=self._judged_at(moment),
        )

    def _judged_at(self, moment: datetime | None) -> Any:
        return None if moment is None else self._time(moment)

    def release_lease(self, performance_id: int, holder: str) -> None:
        self._write(
            self._sql.release_lease, self._params(performance_id=performance_id, holder=holder)
        )

    def release_leases(self, performance_ids: Iterable[int], holder: str) -> None:
        no_bare_string(performance_ids, "performance_ids")
        rows = [self._params(performance_id=int(p), holder=holder) for p in performance_ids]
        if rows:
            with self._transaction(write=True) as tx:
                tx.executemany(self._sql.release_lease, rows)

    def linger_lease(
        self, performance_id: int, holder: str, after_s: float, now: datetime | None = None
    ) -> bool:
        lease = self._lease(performance_id, holder, after_s, now)
        return self._write(self._sql.linger_lease, lease) == 1

    def lease_holder(self, performance_id: int, now: datetime | None = None) -> str | None:
        held = self._params(
            performance_id=performance_id, now=self._judged_at(self._lease_now(now))
        )
        rows = self._rows(self._sql.lease_holder, held)
        return str(rows[0][0]) if rows else None

    def leases(self, now: datetime | None = None) -> list[Lease]:
        judged = self._params(now=self._judged_at(self._lease_now(now)))
        rows = self._rows(self._sql.leases, judged)
        return [lease_of(row, self._read_time) for row in rows]

    def lease_time_left(self, holder: str, now: datetime | None = None) -> dict[int, float]:
        """Seconds left by the store's clock, counted between two times the store itself gave."""
        judged = self._params(holder=holder, now=self._judged_at(self._lease_now(now)))
        return {
            int(pid): (self._read_time(expires) - self._read_time(at)).total_seconds()
            for pid, expires, at in self._rows(self._sql.held_leases, judged)
        }

    # -- instances --------------------------------------------------------------------------------

    def announce_instance(
        self, holder: str, listen: str, units: Iterable[str], now: datetime | None = None
    ) -> None:
        no_bare_string(units, "units")
        instance = self._params(
            holder=holder,
            listen=listen,
            units=json.dumps([str(u) for u in units]),
            now=self._time(self._now(now)),
        )
        self._write(self._sql.announce_instance, {**instance, **self._session()})

    def instances(self, stale_after_s: float, now: datetime | None = None) -> list[Instance]:
        """Live: seen within ``stale_after_s`` and (on a store with sessions) its session still
        there."""
        if stale_after_s <= 0:
            raise ValueError(f"stale_after_s must be positive: {stale_after_s}")
        cutoff = self._time(self._now(now) - timedelta(seconds=stale_after_s))
        rows = self._rows(self._sql.instances, self._params(cutoff=cutoff))
        return [instance_of(row, self._read_time) for row in rows]

    def retire_instance(self, holder: str) -> None:
        self._write(self._sql.retire_instance, self._params(holder=holder))

    # -- lifetime ---------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
