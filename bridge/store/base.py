"""What the bridge remembers between runs, as an interface any backend can implement.

SQLite (``bridge.store.sqlite``) is the default: one file, one machine. Several instances that split
performances between them need a shared store with real row locking, which is what the PostgreSQL
backend of this same protocol (``bridge.store.postgres``) is for; leases in one SQLite file only exclude processes that open
that very file on one host (never put it on a network file system).
Both keep their rules once, in ``bridge.store.rules``, and differ only in their SQL and how they
hold a connection.

Every method is one transaction: it either happens completely or not at all, so a crash between
two calls leaves the store consistent. Datetimes are timezone-aware and returned in UTC; naive
datetimes are refused (``ValueError``) rather than guessed at. Methods that read or stamp the time
take ``now``; when it is left out the store's injected clock is asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import TracebackType
from typing import Protocol, Self

from bridge.domain import LedgerEntry, WritebackHold
from bridge.errors import BridgeError

#: seats.io accepts this many restricting for-sale edits per event within FOR_SALE_WINDOW.
FOR_SALE_DAILY_LIMIT = 10
FOR_SALE_WINDOW = timedelta(hours=24)


class RunMode(StrEnum):
    """Whether a reconcile run changed seats.io or only planned."""

    APPLY = "apply"
    DRY_RUN = "dry-run"


class OpState(StrEnum):
    """Where one operation of a run got to; STARTED after a crash means the outcome is unknown."""

    STARTED = "started"
    DONE = "done"
    FAILED = "failed"
    UNKNOWN = "unknown"


class SyncOutcome(StrEnum):
    """How the last sync of a performance ended, as ``seatbridge status`` shows it."""

    CONVERGED = "converged"
    CONFLICTS = "conflicts"
    ERROR = "error"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Run:
    """One reconcile run as journaled; ``finished_at`` is None while running or after a crash."""

    run_id: int
    mode: RunMode
    performance_ids: tuple[int, ...]
    started_at: datetime
    finished_at: datetime | None = None
    plan_json: str | None = None
    summary_json: str | None = None


@dataclass(frozen=True, slots=True)
class JournalOp:
    """One operation of a run: written before the seats.io call, finished after it."""

    run_id: int
    index: int
    op_json: str
    state: OpState
    started_at: datetime
    finished_at: datetime | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class PerformanceStatus:
    """The last word on one performance: when it synced, how it ended, what is still open.

    ``drift`` counts operations still pending (planned, not applied), ``conflicts`` objects seats.io
    sold that Tessitura holds, ``errors`` operations or seats that failed. ``event_key`` is None
    when the performance has no event.
    """

    performance_id: int
    last_sync: datetime
    outcome: SyncOutcome
    event_key: str | None = None
    drift: int = 0
    conflicts: int = 0
    errors: int = 0
    last_error: str | None = None
    run_id: int | None = None


@dataclass(frozen=True, slots=True)
class Lease:
    """Who holds a performance, and until when unless renewed.

    ``holder`` is opaque to the store; the bridge writes ``host:pid:token`` (see
    :func:`bridge.reconcile.run.instance_id`), older rows ``host:pid``.
    """

    performance_id: int
    holder: str
    expires_at: datetime
    #: its run is over but may still have a write in flight: nobody takes it before it runs out
    lingering: bool = False


#: The lease id of the daemon's writer role: one active daemon per store, the others stand by.
#: Tessitura performance ids are positive, so it never meets a performance's lease.
WRITER_LEASE = 0


@dataclass(frozen=True, slots=True)
class DaemonNote:
    """A JSON value a daemon keeps for `seatbridge status` (its role, the next runs, the last
    refused config edit), with when it was written."""

    key: str
    value: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Instance:
    """One daemon instance announced on the store.

    ``live``: seen within ``stale_after_s`` and, on PostgreSQL, its database session still exists
    (a killed process's session ends with it, so it is dead at once, not after the staleness).
    """

    holder: str
    listen: str
    units: tuple[str, ...]
    started_at: datetime
    seen_at: datetime
    live: bool


class LaneBudget(Protocol):
    """An account-wide budget of concurrent seats.io requests on one lane, shared by every
    instance using the store: a slot taken here is taken for every other host too."""

    limit: int

    def try_take(self) -> int | None:
        """A free slot number in [0, limit), or None while all are in use by live sessions."""
        ...

    def give(self, slot: int) -> None:
        """Free ``slot`` again (a slot this budget does not hold is ignored)."""
        ...


# -- the roles: each caller takes the narrowest one (or a few) it needs ---------------------------


class Ledger(Protocol):
    """What the bridge owns in seats.io, and so may change or release.

    Used by the planner and the applier: ``bridge.reconcile.run`` (reads it for a unit's plan),
    ``bridge.reconcile.apply`` (claims before a write, forgets after a refused one),
    the pass's release breaker (``Reconciler`` counts what it holds) and ``bridge.reconcile.explain_gather``.
    """

    def ledger(self, event_keys: Iterable[str] | None = None) -> dict[tuple[str, str], LedgerEntry]:
        """Every owned object, or those of ``event_keys``, keyed by (event_key, label)."""
        ...

    def claim(self, entries: Iterable[LedgerEntry]) -> None:
        """Record ownership (upsert, last entry per key wins); called BEFORE the seats.io write.

        Forget the entries again only when seats.io definitely refused the write; when the outcome
        is unknown keep them: the planner re-reads seats.io and never releases what it finds sold.
        """
        ...

    def forget(self, keys: Iterable[tuple[str, str]]) -> None:
        """Drop ownership of (event_key, label) keys; unknown keys are ignored."""
        ...


class WritebackLedger(Protocol):
    """What the bridge holds in Tessitura (two-way write-back, :mod:`bridge.reconcile.writeback`):
    one row per (performance id, seat id). Written ahead of the hold, forgotten after the lift."""

    def writeback_holds(
        self, performance_ids: Iterable[int] | None = None
    ) -> dict[tuple[int, int], WritebackHold]:
        """Every row, or those of ``performance_ids``, keyed by (performance id, seat id)."""
        ...

    def claim_writeback(self, holds: Iterable[WritebackHold]) -> None:
        """Record rows (upsert: the last row per key wins; ``since`` kept from an existing row
        with the same label and hold code)."""
        ...

    def forget_writeback(self, keys: Iterable[tuple[int, int]]) -> None:
        """Drop rows by (performance id, seat id); unknown keys are ignored."""
        ...


class Journal(Protocol):
    """What each run did: the run, then each operation written ahead of its seats.io call.

    Written by ``bridge.reconcile.apply`` (runs and operations) and ``bridge.reconcile.run``
    (settles operations a crash left); read by ``bridge.reconcile.leases`` (runs in flight),
    ``bridge.reconcile.explain_gather``, ``bridge.daemon.overview`` and
    ``bridge.commands.history``; pruned by the daemon (``bridge.daemon.service``).
    """

    def begin_run(
        self,
        performance_ids: Iterable[int],
        mode: RunMode,
        plan_json: str | None = None,
        now: datetime | None = None,
    ) -> int:
        """Open a run and return its id (ids only grow, never reused)."""
        ...

    def op_started(
        self, run_id: int, index: int, op_json: str, now: datetime | None = None
    ) -> None:
        """Write-ahead: operation ``index`` of the run is about to be sent (restarts it if repeated)."""
        ...

    def op_finished(
        self,
        run_id: int,
        index: int,
        state: OpState,
        error: str | None = None,
        now: datetime | None = None,
    ) -> None:
        """Record how a started operation ended (DONE, FAILED or UNKNOWN)."""
        ...

    def finish_run(self, run_id: int, summary_json: str, now: datetime | None = None) -> None:
        """Close a run with its outcome summary."""
        ...

    def runs(self, limit: int = 20, performance_id: int | None = None) -> list[Run]:
        """The latest runs, newest first, optionally only those covering one performance."""
        ...

    def unfinished_runs(self) -> list[Run]:
        """Runs never finished (in flight, or left by a crash or an interruption), oldest first."""
        ...

    def ops(self, run_id: int) -> list[JournalOp]:
        """The operations of one run in index order."""
        ...

    def unfinished_ops(self, performance_id: int | None = None) -> list[JournalOp]:
        """Operations still STARTED: left by a crash when no run for them is in flight.

        Ops of a run in flight in this process are STARTED too; ask before starting the next run
        of a performance (one run per performance at a time), filtered by ``performance_id``.
        """
        ...

    def prune_runs(self, finished_before: datetime) -> int:
        """Delete finished runs (and their ops) older than a cutoff; returns how many went.

        Unfinished runs are kept whatever their age: their STARTED ops are still unresolved.
        """
        ...


class StatusBoard(Protocol):
    """The last word on each performance, as ``seatbridge status`` and the status page show it.

    Written by ``bridge.reconcile.run`` after each unit; read by ``bridge.commands.sync``
    (``status``), ``bridge.daemon.overview`` (the status page) and ``bridge.testing.daemon``.
    """

    def set_performance_status(self, status: PerformanceStatus) -> None:
        """Replace the status of ``status.performance_id``."""
        ...

    def set_performance_statuses(self, statuses: Iterable[PerformanceStatus]) -> None:
        """Replace the status of each, in one transaction (a unit's performances: one commit,
        not one each); a bad one anywhere records none."""
        ...

    def performance_statuses(
        self, performance_ids: Iterable[int] | None = None
    ) -> list[PerformanceStatus]:
        """Statuses ordered by performance id, all or only those asked for."""
        ...


class ForSaleBudget(Protocol):
    """The seats.io allowance of FOR_SALE_DAILY_LIMIT restricting for-sale edits per event.

    Spent by ``bridge.reconcile.apply`` (each edit, with the API's own figure when it gives one);
    asked by ``bridge.reconcile.run`` (the planner), ``bridge.reconcile.explain_gather`` and the
    daemon (``bridge.daemon.service``, when it schedules a performance).
    """

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
        ...

    def for_sale_calls_left(self, event_key: str, now: datetime | None = None) -> int:
        """Restricting for-sale edits the event still allows now (never below 0).

        The API's last reported figure wins while its reset date is ahead (without one, for
        FOR_SALE_WINDOW after the call), less the calls recorded after it; otherwise
        FOR_SALE_DAILY_LIMIT less the calls of the last FOR_SALE_WINDOW.
        """
        ...


class SeatTables(Protocol):
    """How many rows each seat map's table had, so a table that shrank sharply is refused.

    Used by ``bridge.reconcile.run`` (checks, then records, each pass) and
    ``bridge.reconcile.explain_gather``.
    """

    def seat_table_rows(self) -> dict[int, int]:
        """Rows each seat map's table had at the last run that recorded it."""
        ...

    def record_seat_table_rows(self, rows: Mapping[int, int], now: datetime | None = None) -> None:
        """Remember how many rows each seat map's table has now."""
        ...


class Notes(Protocol):
    """Small JSON values kept by key: what daemons tell ``seatbridge status`` (their role, next
    runs, the last refused config edit), the kept seat maps and which events' ledgers are
    vouched for.

    Used by ``bridge.daemon.notes``, ``bridge.reconcile.seat_maps``, ``bridge.reconcile.vouched``
    and ``bridge.testing.daemon``.
    """

    def put_note(self, key: str, value: str, now: datetime | None = None) -> None:
        """Set the note ``key`` to the JSON text ``value``."""
        ...

    def notes(self, prefix: str = "") -> list[DaemonNote]:
        """Every note whose key starts with ``prefix``, by key (byte order)."""
        ...

    def delete_note(self, key: str) -> None:
        """Drop the note ``key`` if there is one."""
        ...

    def delete_notes_older_than(
        self, prefix: str, age_s: float, now: datetime | None = None
    ) -> None:
        """Drop every note whose key starts with ``prefix`` written more than ``age_s`` seconds
        before ``now`` (the clock that dates notes when left out)."""
        ...

    def store_now(self) -> datetime:
        """The store's clock, for times several instances compare (PostgreSQL's ``now()``; SQLite:
        one host's clock), never a caller's that may run 400 s ahead."""
        ...


class Leases(Protocol):
    """Who holds a performance (or, as WRITER_LEASE, the daemon's writer role), until when.

    Lease times are the store's clock, never the caller's: PostgreSQL's ``now()`` (instances on
    several hosts agree whatever their own clocks say), SQLite's injected clock (one host: every
    process reads the one wall clock). ``now``, where a method takes it, stands in for the
    store's clock in tests; the bridge never passes it.

    Used by ``bridge.reconcile.leases`` (a unit's leases, taken, renewed, released),
    ``bridge.daemon.service`` (the writer lease), ``bridge.daemon.notes`` (who writes) and
    ``bridge.testing.sandbox``.
    """

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

        ``reclaim_from``: also take it over while exactly that holder still has it (a holder the
        caller knows to be dead); never from anyone else.
        """
        ...

    def renew_lease(
        self, performance_id: int, holder: str, ttl_s: float, now: datetime | None = None
    ) -> bool:
        """Extend ``holder``'s lease to ``now + ttl_s``; False (and nothing changed) unless the
        lease is still ``holder``'s: nobody has taken it, nor has it been released, since."""
        ...

    def release_lease(self, performance_id: int, holder: str) -> None:
        """Give the performance up, if ``holder`` has it."""
        ...

    def release_leases(self, performance_ids: Iterable[int], holder: str) -> None:
        """Give each of the performances up that ``holder`` has, in one transaction (a season's
        unit holds a lease per performance: one commit, not one each)."""
        ...

    def linger_lease(
        self, performance_id: int, holder: str, after_s: float, now: datetime | None = None
    ) -> bool:
        """Hand ``holder``'s lease over ``after_s`` from now rather than at once: it runs out then
        and nobody takes it before, not even from a dead holder (a write its run sent may still
        land until then). False (nothing changed) unless the row is still ``holder``'s."""
        ...

    def lease_time_left(self, holder: str, now: datetime | None = None) -> dict[int, float]:
        """Performance id -> seconds left, by the store's clock, of every lease ``holder`` holds
        now (not lingering): what a write fence asks before each request."""
        ...

    def lease_holder(self, performance_id: int, now: datetime | None = None) -> str | None:
        """Who holds the performance now, or None if nobody does (or the lease ran out)."""
        ...

    def leases(self, now: datetime | None = None) -> list[Lease]:
        """Every lease not yet run out, ordered by performance id."""
        ...


class Instances(Protocol):
    """The daemons announced on the store, so instances sharing it split the units between them.

    ``shared``: whether instances on several hosts can use the store together (False for SQLite,
    True for PostgreSQL); only a shared store's instances split units. Used by
    ``bridge.daemon.service`` (announces, reads, retires) and ``bridge.daemon.notes``.
    """

    shared: bool

    def announce_instance(
        self, holder: str, listen: str, units: Iterable[str], now: datetime | None = None
    ) -> None:
        """Say ``holder`` runs, listening on ``listen`` with ``units`` (upsert: ``started_at`` is
        set only on the first announcement, ``seen_at`` to ``now`` each time)."""
        ...

    def instances(self, stale_after_s: float, now: datetime | None = None) -> list[Instance]:
        """This venue's instances by holder, dead ones included (``live=False``)."""
        ...

    def retire_instance(self, holder: str) -> None:
        """Forget an instance (it stopped cleanly); unknown holders are ignored."""
        ...


class LaneBudgets(Protocol):
    """Account-wide budgets of concurrent seats.io requests, shared by every host on the store.

    Used by ``bridge.runtime`` (the seats.io client's lanes).
    """

    def lane_budget(self, account: str, lane: str, limit: int) -> LaneBudget | None:
        """The shared budget of ``limit`` concurrent requests on ``lane`` of seats.io ``account``,
        or None when the store is not shared across hosts (SQLite: a local limit does)."""
        ...


class StoreGoneError(BridgeError):
    """The store a process opened is not there any more: its file was removed or replaced, or
    can no longer be written. Nothing it writes now reaches what the next process reads."""


class Health(Protocol):
    """Whether the store a process opened still answers and is still the one it opened."""

    def check_alive(self, timeout_s: float) -> None:
        """Return if the store answers within about ``timeout_s``; else raise
        :class:`StoreGoneError` (this store is gone for good: removed, replaced, unwritable)
        or a RetryableError (it does not answer now). Callers that must never wait longer run
        it in a worker thread (see :mod:`bridge.daemon.health`)."""
        ...


class StateStore(
    Health,
    Ledger,
    WritebackLedger,
    Journal,
    StatusBoard,
    ForSaleBudget,
    SeatTables,
    Notes,
    Leases,
    Instances,
    LaneBudgets,
    Protocol,
):
    """The bridge's memory: every role above, on one store, with its lifetime.

    For what opens and closes a store and hands it on (``bridge.runtime``, the CLI commands, the
    daemon, tests); a piece that only uses the store takes the roles it needs.

    ``venue``: the tenant every row of a shared store is written for and read from; SQLite keeps
    it only as the value it was opened with (one file, one venue).
    """

    venue: str

    def close(self) -> None:
        """Release the connection; later calls fail."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
