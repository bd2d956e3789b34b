"""What the status page shows, as plain JSON-ready data: read from the state store (performance
statuses, leases, the daemons' notes, the journal) and from the running daemon's own state.

One gatherer for every reader: the daemon's ``/status.json`` and ``/`` use :func:`overview`,
``/performances/{id}`` uses :func:`performance_detail`, and :func:`status_rows` is the row shape
of ``seatbridge status --json`` (docs/daemon.md documents both shapes). Nothing here writes.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from bridge.daemon import notes
from bridge.reconcile.leases import LeaseState, lease_states
from bridge.store.base import (
    Journal,
    JournalOp,
    OpState,
    PerformanceStatus,
    Run,
    StatusBoard,
    WritebackLedger,
)


class OverviewStore(StatusBoard, Journal, notes.DaemonNotes, WritebackLedger, Protocol):
    """What the pages read: statuses, the journal, the daemons' notes, leases and instances, and
    the write-back ledger (what the bridge holds in Tessitura)."""


#: Finding kinds shown as conflicts on a performance's page.
CONFLICT_KINDS = frozenset({"conflict", "sold_while_held", "booked_during_run"})
#: Runs shown in a performance's recent history.
HISTORY_RUNS = 10
#: Labels shown per operation before "and N more".
LABELS_SHOWN = 12


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def status_row(
    pid: int,
    status: PerformanceStatus | None,
    state: LeaseState | None,
    run: notes.NextRun | None,
    writeback_holds: int | None = None,
) -> dict[str, object]:
    """One performance as ``seatbridge status --json`` shows it; unknowns are null.
    ``writeback_holds``: the seats the write-back ledger says the bridge holds in Tessitura for
    it (None: the write-back is off)."""
    s = status
    return {
        "performance_id": pid,
        "event_key": s.event_key if s else None,
        "last_sync": _iso(s.last_sync) if s else None,
        "outcome": s.outcome.value if s else None,
        "drift": s.drift if s else None,
        "conflicts": s.conflicts if s else None,
        "errors": s.errors if s else None,
        "last_error": s.last_error if s else None,
        "lease": {
            "holder": state.holder,
            "expires_at": _iso(state.expires_at),
            "stale": state.stale,
        }
        if state and state.holder
        else None,
        "interrupted": {
            "run_id": state.interrupted_run,
            "started_at": _iso(state.interrupted_at),
        }
        if state and state.interrupted_run is not None
        else None,
        "next_run": {
            "at": _iso(run.at),
            "reason": run.reason,
            "waits_for_config": run.waits_for_config,
        }
        if run
        else None,
        "instance": run.holder if run else None,
        "writeback_holds": writeback_holds,
    }


def writeback_counts(store: WritebackLedger) -> dict[int, int]:
    """Performance id -> the seats the write-back ledger holds for it (one store query)."""
    counts: dict[int, int] = {}
    for pid, _seat in store.writeback_holds():
        counts[pid] = counts.get(pid, 0) + 1
    return counts


def status_rows(
    store: OverviewStore, view: notes.DaemonView | None = None, *, writeback: bool = False
) -> list[dict[str, object]]:
    """Every performance the store knows (a status, a lease or an interrupted run), by id.
    ``writeback``: the write-back is on, so each row counts its write-back holds."""
    statuses = store.performance_statuses()
    states = lease_states(store, statuses)
    view = view if view is not None else notes.read(store)
    by_id = {s.performance_id: s for s in statuses}
    held = writeback_counts(store) if writeback else None
    return [
        status_row(
            pid,
            by_id.get(pid),
            states.get(pid),
            view.next_runs.get(pid),
            held.get(pid, 0) if held is not None else None,
        )
        for pid in sorted(set(by_id) | set(held or ()) | set(states))
    ]


def writeback_on(daemon: Mapping[str, object]) -> bool:
    """The daemon's status says the write-back is on (report or apply)."""
    return _mapping(daemon.get("writeback")).get("mode") in ("report", "apply")


def overview(store: OverviewStore | None, daemon: Mapping[str, object]) -> dict[str, object]:
    """``/status.json``: the daemon's own status (``daemon``: role, holder, config, last
    discovery, units) with, added, ``performances`` (status rows), ``daemons`` (every daemon
    on the store) and ``config.refused`` (the refused edit's time and errors, or null)."""
    out: dict[str, object] = dict(daemon)
    config = dict(_mapping(daemon.get("config")))
    config.setdefault("refused", None)
    if store is None:
        out.update(performances=[], daemons=[], config=config)
        return out
    view = notes.read(store)
    out["performances"] = status_rows(store, view, writeback=writeback_on(daemon))
    out["daemons"] = [
        {"holder": d.holder, "role": d.role, "listen": d.listen, "live": d.live}
        for d in view.daemons
    ]
    if view.refused_config is not None:
        at, errors = view.refused_config
        config["refused"] = {"at": _iso(at), "errors": list(errors)}
    out["config"] = config
    return out


def units_of(data: Mapping[str, object]) -> list[dict[str, object]]:
    """The overview's units, each with its performances' rows (``rows``), then a last
    pseudo-unit (key None) for performances the store knows that no scheduled unit covers."""
    rows = {int(str(r["performance_id"])): r for r in _list(data.get("performances"))}
    seen: set[int] = set()
    units: list[dict[str, object]] = []
    for key, unit in _mapping(data.get("units")).items():
        u = dict(_mapping(unit))
        pids = [int(str(p)) for p in _list(u.get("performances"))]
        seen.update(pids)
        u["key"] = key
        u["rows"] = [rows.get(p) or {"performance_id": p} for p in pids]
        units.append(u)
    rest = [r for p, r in sorted(rows.items()) if p not in seen]
    if rest:
        units.append({"key": None, "rows": rest})
    return units


#: A row's state on the page, in the summary bar's order, with what the bar says.
STATES: dict[str, str] = {
    "converged": "converged",
    "pending": "pending",
    "conflicts": "conflicts",
    "error": "error",
    "refused": "refused",
    "new": "not synced yet",
}
#: States that keep the role badge from green: something needs a person.
TROUBLE = frozenset({"conflicts", "error", "refused"})


def state_of(row: Mapping[str, object]) -> str:
    """What the page files a row under: its outcome, ``pending`` when a converged-looking row
    still has operations to apply, ``new`` before its first sync."""
    outcome = row.get("outcome")
    if not outcome:
        return "new"
    drift = row.get("drift")
    if outcome == "converged" and isinstance(drift, int) and drift > 0:
        return "pending"
    return str(outcome)


def rows_of(data: Mapping[str, object]) -> list[dict[str, object]]:
    """Every performance the overview knows (a status row, or a unit's performance not synced
    yet), each with its ``name``, ``starts_at`` (from the daemon's discovery, ``shows``),
    ``unit``, ``state`` and ``last_success`` (see :func:`last_success`), sorted by
    start (the next show first; unknown starts last, then by id)."""
    shows = _mapping(data.get("shows"))
    units = _mapping(data.get("units"))
    unit_of: dict[int, str] = {}
    for key, unit in units.items():
        for p in _list(_mapping(unit).get("performances")):
            unit_of.setdefault(int(str(p)), str(key))
    rows = {int(str(r["performance_id"])): dict(r) for r in _list(data.get("performances"))}
    for pid in unit_of:
        rows.setdefault(pid, {"performance_id": pid})
    out = []
    for pid, row in rows.items():
        show = _mapping(shows.get(str(pid)))
        row.setdefault("name", show.get("name"))
        row.setdefault("starts_at", show.get("starts_at"))
        row.setdefault("unit", unit_of.get(pid))
        row.setdefault("state", state_of(row))
        if "last_success" not in row:
            row["last_success"] = last_success(row, data)
        out.append(row)
    out.sort(key=lambda r: (r["starts_at"] is None, str(r["starts_at"] or ""), r["performance_id"]))
    return out


#: Outcomes that mean the performance was brought in step (its conflicts reported, not undone).
SYNCED = frozenset({"converged", "conflicts"})


def last_success(row: Mapping[str, object], data: Mapping[str, object]) -> str | None:
    """The performance's own last good sync (ISO time), None when none is known: this daemon's
    memory (``last_synced``), else the store's last sync when its outcome is converged or
    conflicts. Never its unit's time, nor a failed attempt's: a performance that joined a unit,
    or whose runs fail, shows no sync it did not have."""
    mine = _mapping(data.get("last_synced")).get(str(row["performance_id"]))
    times = [str(mine)] if mine else []
    if row.get("outcome") in SYNCED and row.get("last_sync"):
        times.append(str(row["last_sync"]))
    return max(times, key=datetime.fromisoformat) if times else None


def counts_of(rows: Sequence[Mapping[str, object]]) -> dict[str, int]:
    """Rows per state, every state of :data:`STATES` present (0 when none)."""
    counts = dict.fromkeys(STATES, 0)
    for r in rows:
        state = str(r.get("state"))
        counts[state] = counts.get(state, 0) + 1
    return counts


def health_of(role: str, ready: bool, counts: Mapping[str, int], *, config_ok: bool = True) -> str:
    """The role badge's colour: ``bad`` when the daemon is not ready (an active daemon whose
    checks fail), ``warn`` when a performance needs a person, the last config edit was refused
    (or the daemon stands by), ``ok`` only when nothing is in error or conflict."""
    if role != "active":
        return "warn" if role in ("standby", "starting") else "bad"
    if not ready:
        return "bad"
    if not config_ok or any(counts.get(s, 0) for s in TROUBLE):
        return "warn"
    return "ok"


def performance_detail(
    store: OverviewStore | None,
    pid: int,
    daemon: Mapping[str, object],
    keys: Collection[str] = (),
) -> dict[str, object] | None:
    """``/performances/{id}.json``: the performance's status row, its unit, the conflicts and
    other findings of its latest journaled plan, the operations not done, its recent runs. None
    when neither the store nor the daemon knows it. ``seats`` is null: the seat map's data.

    ``keys``: the performance's seats.io event and season keys; a unit's runs also change its
    other performances' events, and only operations on these keys are shown (with none given,
    the status's event key, when it has one)."""
    unit_key = None
    for key, unit in _mapping(daemon.get("units")).items():
        if pid in [int(str(p)) for p in _list(_mapping(unit).get("performances"))]:
            unit_key = key
    if store is None:
        return None
    row = next((r for r in status_rows(store) if r["performance_id"] == pid), None)
    writeback: dict[str, object] | None = None
    if writeback_on(daemon):
        holds = sorted(store.writeback_holds([pid]).values(), key=lambda h: (h.label, h.seat_id))
        if row is not None:
            row["writeback_holds"] = len(holds)
        writeback = dict(_mapping(daemon.get("writeback"))) | {
            "holds": [
                {"label": h.label, "seat_id": h.seat_id, "since": _iso(h.since)} for h in holds
            ]
        }
    runs = store.runs(limit=HISTORY_RUNS, performance_id=pid)
    if row is None and not runs and unit_key is None:
        return None
    event_key = row.get("event_key") if row else None
    mine = set(keys) or ({str(event_key)} if event_key else set())
    findings: list[dict[str, Any]] = []
    if runs and runs[0].plan_json:
        findings = [
            f
            for f in _plan_findings(runs[0].plan_json)
            if f.get("performance_id") == pid
            or (f.get("performance_id") is None and f.get("event_key") in mine)
        ]
    history = []
    for r in runs:
        run = _run_json(store, r)
        ops = run["operations"]
        if mine:
            run["operations"] = [
                o for o in ops if not o["event_keys"] or mine & set(o["event_keys"])
            ]
        if run["operations"] or not ops:
            history.append(run)
    pending = [
        op
        for op in (history[0]["operations"] if history else [])
        if isinstance(op, dict) and op.get("state") != OpState.DONE.value
    ]
    seen = {(r["run_id"], o["index"]) for r in history for o in r["operations"]}
    for op in store.unfinished_ops(pid):
        if (op.run_id, op.index) not in seen:
            row_op = _op_json(op)
            if not mine or not row_op["event_keys"] or mine & set(row_op["event_keys"]):
                pending.append(row_op)
    if row is not None:
        row["state"] = state_of(row)
        row["last_success"] = last_success(row, daemon)
    show = _mapping(_mapping(daemon.get("shows")).get(str(pid)))
    return {
        "performance_id": pid,
        "name": show.get("name"),
        "starts_at": show.get("starts_at"),
        "time_zone": daemon.get("time_zone"),
        "unit": unit_key,
        "status": row,
        "conflicts": [f for f in findings if f.get("kind") in CONFLICT_KINDS],
        "findings": [f for f in findings if f.get("kind") not in CONFLICT_KINDS],
        "pending_operations": pending,
        "history": history,
        "seats": None,
        "writeback": writeback,
    }


def _plan_findings(plan_json: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(plan_json)
    except ValueError:
        return []
    found = data.get("findings") if isinstance(data, dict) else None
    return [f for f in found if isinstance(f, dict)] if isinstance(found, list) else []


def _run_json(store: OverviewStore, run: Run) -> dict[str, Any]:
    summary: object = None
    if run.summary_json:
        try:
            summary = json.loads(run.summary_json)
        except ValueError:
            summary = run.summary_json
    return {
        "run_id": run.run_id,
        "mode": run.mode.value,
        "performance_ids": list(run.performance_ids),
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "summary": summary,
        "operations": [_op_json(op) for op in store.ops(run.run_id)],
    }


def _op_json(op: JournalOp) -> dict[str, Any]:
    try:
        data = json.loads(op.op_json)
    except ValueError:
        data = {}
    data = data if isinstance(data, dict) else {}
    labels = [str(x) for x in data.get("labels") or ()]
    for c in data.get("channels") or ():
        if isinstance(c, dict):
            labels += [str(x) for x in c.get("labels") or ()]
    return {
        "run_id": op.run_id,
        "index": op.index,
        "kind": data.get("kind"),
        "event_keys": list(data.get("event_keys") or ()),
        "target": data.get("target") or None,
        "labels": labels[:LABELS_SHOWN],
        "label_count": len(labels),
        "state": op.state.value,
        "started_at": _iso(op.started_at),
        "finished_at": _iso(op.finished_at),
        "error": op.error,
        # a Tessitura write-back op (hold_in_tessitura, lift_in_tessitura): its performance
        "performance_id": data.get("performance_id"),
    }


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> Sequence[Any]:
    return value if isinstance(value, list | tuple) else ()
