"""Read what :func:`bridge.core.explain.explain` needs for one performance, through the
runtime's clients and store, and explain it: the call behind `seatbridge explain` and the
status page's seat map. Reads only; nothing is written to seats.io, Tessitura or the store.

The reads are a reconcile pass's (the unit's hold snapshots, the observe step, the ledger), read
wider (every label of the seat table, so a free or sold seat shows too), plus Tessitura's seat
map (positions and sections), hold code names and the journal. A failed hold read is a fact
(its seats are unknown, kept as is); a failed seat-map or code-name read only loses decoration.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from dataclasses import replace

from bridge.core.desired import DesiredState, desired_state
from bridge.core.explain import (
    ExplainInputs,
    JournalEntry,
    PerformanceFacts,
    SeatPlace,
    explain,
)
from bridge.core.guards import shrunk_tables
from bridge.core.observed import ObservedEvent
from bridge.errors import BridgeError, ConfigError, NotFoundError
from bridge.reconcile.observe import observe
from bridge.reconcile.run import units_of
from bridge.runtime import Runtime, policy_of
from bridge.store.base import JournalOp
from bridge.tessitura.client import TessituraClient

__all__ = ["UnknownPerformanceError", "explain_performance", "journal_entries"]

#: How many of the performance's latest runs the journal part reads.
JOURNAL_RUNS = 20


class UnknownPerformanceError(BridgeError):
    """Tessitura has no such performance (404): there is nothing to explain."""


async def explain_performance(
    rt: Runtime, performance_id: int, *, journal_runs: int = JOURNAL_RUNS
) -> PerformanceFacts:
    """Every seat of ``performance_id`` explained (see :func:`bridge.core.explain.explain`).

    Raises :class:`UnknownPerformanceError` when Tessitura does not know the performance, and
    a ConfigError (bad credentials) as a pass would; every other failed read
    is reported in the facts."""
    cfg, tables = rt.cfg, rt.cfg.tables
    policy = policy_of(cfg)
    unit = units_of([performance_id], tables)[0]
    got = await asyncio.gather(
        *(rt.tessitura.hold_snapshot(pid, include_all_holds=True) for pid in unit),
        return_exceptions=True,
    )
    snapshots = []
    read_errors: dict[int, str] = {}
    for pid, snap in zip(unit, got, strict=True):
        if isinstance(snap, ConfigError):
            raise snap
        if isinstance(snap, BaseException):
            if not isinstance(snap, BridgeError):
                raise snap
            if pid == performance_id and isinstance(snap, NotFoundError):
                raise UnknownPerformanceError(
                    f"performance {pid}: Tessitura has no such performance"
                )
            read_errors[pid] = str(snap)
            continue
        snapshots.append(snap)
    own = next((s for s in snapshots if s.performance_id == performance_id), None)

    sizes = {m: len(t.labels) for m, t in tables.seat_tables.items()}
    refused = shrunk_tables(sizes, rt.store.seat_table_rows(), policy.table_shrink_share)
    desired = desired_state(snapshots, tables, policy, refused)
    keys = sorted(desired.events)
    ledger = rt.store.ledger(keys)
    target = tables.target_for(performance_id)
    own_event = target.event_key if target is not None else ""
    wide = _wide(desired, [t.labels.values() for t in tables.seat_tables.values()], own_event)
    observed: dict[str, ObservedEvent] = {}
    try:
        observed = dict(
            await observe(
                rt.seatsio,
                wide,
                ledger,
                [c.key for c in tables.channels],
                bridge_statuses=policy.bridge_statuses,
                for_sale_calls_left=lambda key: rt.store.for_sale_calls_left(key),
            )
        )
    except ConfigError:
        raise
    except BridgeError as exc:
        for pid in unit:
            read_errors.setdefault(pid, f"seats.io could not be read: {exc}")

    places: dict[int, SeatPlace] = {}
    places_error: str | None = None
    code_names: dict[int, str] = {}
    if own is not None:
        try:
            places = await seat_places(rt.tessitura, performance_id, own.seat_map_id)
        except ConfigError:
            raise
        except BridgeError as exc:
            places_error = str(exc)
        code_names = await hold_code_names(
            rt.tessitura, sorted({h.hold_code_id for h in own.holds})
        )

    runs = rt.store.runs(limit=journal_runs, performance_id=performance_id)
    journal: list[JournalEntry] = []
    for run in runs:
        journal += journal_entries(rt.store.ops(run.run_id))
    unfinished = journal_entries(rt.store.unfinished_ops(performance_id))
    return explain(
        ExplainInputs(
            performance_id=performance_id,
            tables=tables,
            policy=policy,
            snapshots=tuple(snapshots),
            read_errors=read_errors,
            observed=observed,
            ledger=ledger,
            refused_tables=refused,
            places=places,
            places_error=places_error,
            code_names=code_names,
            journal=tuple(journal),
            unfinished=tuple(unfinished),
        )
    )


def _wide(desired: DesiredState, label_sets: Iterable[Iterable[str]], key: str) -> DesiredState:
    """The desired state with every table label undecided too on the explained performance's own
    event ``key``: observe then reads all its seats (one by-label report), so free and sold seats
    show; the unit's other events (a season's) are read as a pass reads them. The plan, made from
    the real desired state, is the same."""
    every: set[str] = set()
    for labels in label_sets:
        every |= set(labels)
    events = {
        k: replace(e, undecided=e.undecided | every) if k == key else e
        for k, e in desired.events.items()
    }
    return replace(desired, events=events)


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
        except (ValueError, AttributeError, TypeError):
            kind, keys, labels, target = "?", (), (), ""
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
            )
        )
    return out
