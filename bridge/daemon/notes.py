"""What a daemon leaves in the state store for `seatbridge status`: its role, each performance's
next run, the last refused config edit. One module writes and reads the format, so the daemon and
the status command cannot drift apart."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bridge.reconcile.leases import Liveness, holder_liveness
from bridge.store.base import WRITER_LEASE, StateStore

#: Each daemon on a store keeps its own role note, ``daemon.role:<holder>``.
ROLE = "daemon.role:"
NEXT_RUNS = "daemon.next_runs"
CONFIG = "daemon.config"


@dataclass(frozen=True, slots=True)
class DaemonRole:
    """One daemon as the store knows it. ``live``: it holds the writer lease (active) or its
    process is not known to be dead (standby); a note left by a killed daemon is not live."""

    holder: str
    role: str
    listen: str
    live: bool


@dataclass(frozen=True, slots=True)
class NextRun:
    at: datetime | None
    reason: str
    waits_for_config: bool = False


@dataclass(frozen=True, slots=True)
class DaemonView:
    daemons: tuple[DaemonRole, ...] = ()
    next_runs: Mapping[int, NextRun] = field(default_factory=dict)
    #: (when, the errors) of the config edit the active daemon refused, if it still stands
    refused_config: tuple[datetime | None, tuple[str, ...]] | None = None


def put_role(store: StateStore, holder: str, role: str, listen: str) -> None:
    store.put_note(ROLE + holder, json.dumps({"role": role, "holder": holder, "listen": listen}))


def drop_role(store: StateStore, holder: str) -> None:
    store.delete_note(ROLE + holder)


def put_next_runs(store: StateStore, runs: Mapping[int, NextRun]) -> None:
    store.put_note(
        NEXT_RUNS,
        json.dumps(
            {
                str(pid): {
                    "at": r.at.isoformat() if r.at else None,
                    "reason": r.reason,
                    "waits_for_config": r.waits_for_config,
                }
                for pid, r in sorted(runs.items())
            }
        ),
    )


def put_refused_config(store: StateStore, at: datetime, errors: list[str]) -> None:
    store.put_note(CONFIG, json.dumps({"refused_at": at.isoformat(), "errors": errors}))


def clear_refused_config(store: StateStore) -> None:
    store.delete_note(CONFIG)


def read(store: StateStore) -> DaemonView:
    """What the daemons on ``store`` say; a note that cannot be read counts as absent."""
    writer = store.lease_holder(WRITER_LEASE)
    daemons: list[DaemonRole] = []
    for n in store.notes(ROLE):
        data = _json(n.value)
        holder = n.key[len(ROLE) :]
        role = str(data.get("role", "?"))
        live = (
            holder == writer if role == "active" else holder_liveness(holder) is not Liveness.DEAD
        )
        daemons.append(DaemonRole(holder, role, str(data.get("listen", "")), live))
    runs: dict[int, NextRun] = {}
    if writer is not None:  # next runs are the active daemon's; a stopped one's are stale
        for n in store.notes(NEXT_RUNS):
            for pid, r in _json(n.value).items():
                if str(pid).isdigit() and isinstance(r, dict):
                    at = _when(r.get("at"))
                    runs[int(pid)] = NextRun(
                        at, str(r.get("reason", "")), bool(r.get("waits_for_config"))
                    )
    refused = None
    for n in store.notes(CONFIG):
        data = _json(n.value)
        errors = data.get("errors")
        if isinstance(errors, list):
            refused = (_when(data.get("refused_at")), tuple(str(e) for e in errors))
    return DaemonView(tuple(daemons), runs, refused)


def _json(text: str) -> dict[str, object]:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _when(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
