"""Rows to records, shared by both backends: each passes how it reads back a stored time
(SQLite keeps ISO text, PostgreSQL ``timestamptz``), the rest is the same; and the column lists
both backends select, in the order these read them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bridge.domain import LedgerEntry, Ownership, WritebackHold
from bridge.store.base import (
    DaemonNote,
    Instance,
    JournalOp,
    Lease,
    OpState,
    PerformanceStatus,
    Run,
    RunMode,
    SyncOutcome,
)

#: How a backend reads a stored time back as an aware UTC datetime.
ReadTime = Callable[[Any], datetime]

LEDGER_COLUMNS = "event_key, label, ownership, target, since, performance_id"
WRITEBACK_COLUMNS = "performance_id, seat_id, label, event_key, hold_code_id, since"
RUN_COLUMNS = "run_id, mode, performance_ids, started_at, finished_at, plan, summary"
OP_COLUMNS = "run_id, op_index, op, state, started_at, finished_at, error"
STATUS_COLUMNS = (
    "performance_id, event_key, last_sync, outcome, drift, conflicts, errors, last_error, run_id"
)

_OP_STATE = {member.value: member for member in OpState}
_OWNERSHIP = {member.value: member for member in Ownership}


def no_bare_string(values: object, what: str) -> None:
    """A str is an Iterable[str] too; passing one key instead of a list is always a mistake."""
    if isinstance(values, str | bytes):
        raise TypeError(f"{what} must be a collection, not a single string: {values!r}")


def ledger_entry_of(row: tuple[Any, ...], when: ReadTime) -> LedgerEntry:
    """One ``ledger`` row, selected as LEDGER_COLUMNS."""
    event_key, label, ownership, target, since, performance_id = row
    return LedgerEntry(
        event_key,
        label,
        _OWNERSHIP[ownership],
        target,
        None if since is None else when(since),
        performance_id,
    )


def writeback_hold_of(row: tuple[Any, ...], when: ReadTime) -> WritebackHold:
    """One ``writeback_holds`` row, selected as WRITEBACK_COLUMNS."""
    performance_id, seat_id, label, event_key, hold_code_id, since = row
    return WritebackHold(
        int(performance_id),
        int(seat_id),
        str(label),
        str(event_key),
        int(hold_code_id),
        None if since is None else when(since),
    )


def run_of(row: tuple[Any, ...], when: ReadTime) -> Run:
    """One ``runs`` row, selected as RUN_COLUMNS."""
    run_id, mode, ids, started, finished, plan, summary = row
    return Run(
        run_id=int(run_id),
        mode=RunMode(mode),
        performance_ids=tuple(json.loads(ids)),
        started_at=when(started),
        finished_at=None if finished is None else when(finished),
        plan_json=plan,
        summary_json=summary,
    )


def journal_op_of(row: tuple[Any, ...], when: ReadTime) -> JournalOp:
    """One ``ops`` row, selected as OP_COLUMNS."""
    run_id, index, op, state, started, finished, error = row
    return JournalOp(
        run_id=int(run_id),
        index=index,
        op_json=op,
        state=_OP_STATE[state],
        started_at=when(started),
        finished_at=None if finished is None else when(finished),
        error=error,
    )


def status_of(row: tuple[Any, ...], when: ReadTime) -> PerformanceStatus:
    """One ``performance_status`` row, selected as STATUS_COLUMNS."""
    pid, event_key, last_sync, outcome, drift, conflicts, errors, last_error, run_id = row
    return PerformanceStatus(
        performance_id=pid,
        event_key=event_key,
        last_sync=when(last_sync),
        outcome=SyncOutcome(outcome),
        drift=drift,
        conflicts=conflicts,
        errors=errors,
        last_error=last_error,
        run_id=run_id,
    )


def note_of(row: tuple[Any, ...], when: ReadTime) -> DaemonNote:
    """One ``daemon_notes`` row: key, value, updated_at."""
    key, value, updated_at = row
    return DaemonNote(str(key), str(value), when(updated_at))


def lease_of(row: tuple[Any, ...], when: ReadTime) -> Lease:
    """One ``leases`` row: performance_id, holder, expires_at, lingering."""
    performance_id, holder, expires_at, lingering = row
    return Lease(performance_id, str(holder), when(expires_at), bool(lingering))


def instance_of(row: tuple[Any, ...], when: ReadTime) -> Instance:
    """One ``instances`` row: holder, listen, units (JSON), started_at, seen_at, live."""
    holder, listen, units, started_at, seen_at, live = row
    return Instance(
        str(holder),
        str(listen),
        tuple(json.loads(units)),
        when(started_at),
        when(seen_at),
        bool(live),
    )
