"""Explain one performance through the reconciler's own read path: the call behind `seatbridge
explain` and the status page's seat map. Reads only; nothing is written to seats.io, Tessitura or
the store.

:meth:`~bridge.reconcile.run.Reconciler.read_unit` reads and plans the performance's unit exactly
as a reconcile does (holds through the kept seat maps, the seat-table guard, the ledger, the
observe step, the plan and its reasons), reading every seat of the performance's own event so a
free or sold seat shows too. Added here: Tessitura's seat map (positions and sections), hold code
names and the journal. With ``[writeback]`` on, the Tessitura side as the pass read it (its
layers, the write-back ledger, what the write-back plans). A failed hold read is a fact (its seats are unknown, kept as is); a failed
seat-map or code-name read only loses decoration.
"""

from __future__ import annotations

import asyncio
import json

from bridge.core.explain import (
    ExplainInputs,
    JournalEntry,
    PerformanceFacts,
    SeatPlace,
    explain,
)
from bridge.errors import BridgeError, ConfigError, NotFoundError
from bridge.reconcile.run import Reconciler
from bridge.store.base import JournalOp
from bridge.tessitura.client import TessituraClient

__all__ = ["UnknownPerformanceError", "explain_performance", "journal_entries"]

#: How many of the performance's latest runs the journal part reads.
JOURNAL_RUNS = 20


class UnknownPerformanceError(BridgeError):
    """Tessitura has no such performance (404): there is nothing to explain."""


async def explain_performance(
    reconciler: Reconciler, performance_id: int, *, journal_runs: int = JOURNAL_RUNS
) -> PerformanceFacts:
    """Every seat of ``performance_id`` explained (see :func:`bridge.core.explain.explain`),
    from ``reconciler``'s read of the performance's unit; its clients read the decoration and
    its store the journal.

    Raises :class:`UnknownPerformanceError` when Tessitura does not know the performance, and
    a ConfigError (bad credentials) as a pass would; every other failed read
    is reported in the facts."""
    rec, tables = reconciler, reconciler.tables
    unit = rec.units([performance_id])[0]
    target = tables.target_for(performance_id)
    every: set[str] = set()
    for table in tables.seat_tables.values():
        every.update(table.labels.values())
    reading = await rec.read_unit(
        unit,
        refused_tables=rec.refused_tables(),
        also_read={target.event_key: every} if target is not None else None,
    )
    own_error = reading.hold_errors.get(performance_id)
    if isinstance(own_error, NotFoundError):
        raise UnknownPerformanceError(
            f"performance {performance_id}: Tessitura has no such performance"
        )
    read_errors = {pid: str(exc) for pid, exc in reading.hold_errors.items()}
    if isinstance(reading.seatsio_error, ConfigError):
        raise reading.seatsio_error
    if reading.seatsio_error is not None:
        for pid in unit:
            read_errors.setdefault(pid, f"seats.io could not be read: {reading.seatsio_error}")
    own = next((s for s in reading.snapshots if s.performance_id == performance_id), None)

    places: dict[int, SeatPlace] = {}
    places_error: str | None = None
    code_names: dict[int, str] = {}
    if own is not None:
        try:
            places = await seat_places(rec.tessitura, performance_id, own.seat_map_id)
        except ConfigError:
            raise
        except BridgeError as exc:
            places_error = str(exc)
        code_names = await hold_code_names(
            rec.tessitura, sorted({h.hold_code_id for h in own.holds})
        )

    store = rec.store
    journal: list[JournalEntry] = []
    for run in store.runs(limit=journal_runs, performance_id=performance_id):
        journal += journal_entries(store.ops(run.run_id))
    unfinished = journal_entries(store.unfinished_ops(performance_id))
    return explain(
        ExplainInputs(
            performance_id=performance_id,
            tables=tables,
            policy=rec.policy,
            snapshots=reading.snapshots,
            read_errors=read_errors,
            observed=reading.observed,
            ledger=reading.ledger,
            refused_tables=reading.refused_tables,
            places=places,
            places_error=places_error,
            code_names=code_names,
            journal=tuple(journal),
            unfinished=tuple(unfinished),
            desired=reading.desired,
            plan=reading.plan,
            writeback_sides=reading.writeback_sides,
            writeback_errors={pid: str(exc) for pid, exc in reading.writeback_errors.items()},
        )
    )


async def seat_places(
    tessitura: TessituraClient, performance_id: int, seat_map_id: int
) -> dict[int, SeatPlace]:
    """Tessitura's seats of the performance (real seats only), with their section names."""
    seats, sections = await asyncio.gather(
        tessitura.seats(performance_id), tessitura.sections(seat_map_id)
    )
    names = {s.id: s.description or s.short_desc or str(s.id) for s in sections}
    return {
        s.id: SeatPlace(
            seat_id=s.id,
            section=names.get(s.section_id) if s.section_id is not None else None,
            row=s.seat_row,
            number=s.seat_number,
            x=s.x_position,
            y=s.y_position,
        )
        for s in seats
        if s.is_seat
    }


async def hold_code_names(tessitura: TessituraClient, codes: list[int]) -> dict[int, str]:
    """Hold code id -> its Tessitura description; a code that cannot be read is left out."""
    got = await asyncio.gather(*(tessitura.hold_code(c) for c in codes), return_exceptions=True)
    out: dict[int, str] = {}
    for code, hc in zip(codes, got, strict=True):
        if isinstance(hc, ConfigError):
            raise hc
        if isinstance(hc, BaseException):
            continue
        if hc.description:
            out[code] = hc.description
    return out


def journal_entries(ops: list[JournalOp]) -> list[JournalEntry]:
    """Journaled operations decoded (an op whose JSON cannot be read keeps its raw kind "?")."""
    out: list[JournalEntry] = []
    for op in ops:
        try:
            data = json.loads(op.op_json)
            kind = str(data.get("kind", "?"))
            keys = tuple(str(k) for k in data.get("event_keys", ()))
            labels = tuple(str(lbl) for lbl in data.get("labels", ()))
            target = str(data.get("target", "") or "")
            pid = data.get("performance_id")
            performance_id = int(pid) if pid is not None else None
            seat_ids = tuple(int(s) for s in data.get("seat_ids") or ())
        except (ValueError, AttributeError, TypeError):
            kind, keys, labels, target = "?", (), (), ""
            performance_id, seat_ids = None, ()
        out.append(
            JournalEntry(
                run_id=op.run_id,
                index=op.index,
                kind=kind,
                event_keys=keys,
                labels=labels,
                target=target,
                state=op.state.value,
                started_at=op.started_at,
                finished_at=op.finished_at,
                error=op.error,
                performance_id=performance_id,
                seat_ids=seat_ids,
            )
        )
    return out
