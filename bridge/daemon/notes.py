"""What a daemon leaves in the state store for `seatbridge status`: its role, each performance's
next run, the last refused config edit. One module writes and reads the format, so the daemon and
the status command cannot drift apart."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bridge.reconcile.leases import Liveness, holder_liveness
from bridge.store.base import WRITER_LEASE, Instances, Leases, Notes


class DaemonNotes(Notes, Leases, Instances, Protocol):
    """What :func:`read` looks at: the notes, the writer lease and the instances."""


#: Each daemon on a store keeps its own role note, ``daemon.role:<holder>``, and its own next
#: runs, ``daemon.next_runs:<holder>`` (only the units it runs, on a shared store).
ROLE = "daemon.role:"
NEXT_RUNS = "daemon.next_runs"
CONFIG = "daemon.config"
#: An instance not heard from for this long counts as gone even if its database session seems
#: to linger (a network partition); a killed one is gone as soon as its session is.
INSTANCE_STALE_S = 90.0


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
    #: the daemon that will run it (which instance holds the unit, on a shared store)
    holder: str | None = None


@dataclass(frozen=True, slots=True)
class DaemonView:
    daemons: tuple[DaemonRole, ...] = ()
    next_runs: Mapping[int, NextRun] = field(default_factory=dict)
    #: (when, the errors) of the config edit the active daemon refused, if it still stands
    refused_config: tuple[datetime | None, tuple[str, ...]] | None = None


def put_role(store: Notes, holder: str, role: str, listen: str) -> None:
    store.put_note(ROLE + holder, json.dumps({"role": role, "holder": holder, "listen": listen}))


def drop_role(store: Notes, holder: str) -> None:
    store.delete_note(ROLE + holder)


def put_next_runs(store: Notes, holder: str, runs: Mapping[int, NextRun]) -> None:
    store.put_note(
        f"{NEXT_RUNS}:{holder}",
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


def put_refused_config(store: Notes, at: datetime, errors: list[str]) -> None:
    store.put_note(CONFIG, json.dumps({"refused_at": at.isoformat(), "errors": errors}))


def clear_refused_config(store: Notes) -> None:
    store.delete_note(CONFIG)


def read(store: DaemonNotes) -> DaemonView:
    """What the daemons on ``store`` say; a note that cannot be read counts as absent.

    On an SQLite store the active daemon is the writer lease's holder; on a shared store every
    instance whose session is alive is active. Next runs come from live active daemons only: a
    stopped one's are stale."""
    writer = store.lease_holder(WRITER_LEASE)
    instances = (
        {i.holder for i in store.instances(INSTANCE_STALE_S) if i.live} if store.shared else set()
    )
    daemons: list[DaemonRole] = []
    for n in store.notes(ROLE):
        data = _json(n.value)
        holder = n.key[len(ROLE) :]
        role = str(data.get("role", "?"))
        if role == "active":
            live = holder == writer or holder in instances
        else:
            live = holder_liveness(holder) is not Liveness.DEAD
        daemons.append(DaemonRole(holder, role, str(data.get("listen", "")), live))
    active = {d.holder for d in daemons if d.live and d.role == "active"}
    runs: dict[int, NextRun] = {}
    for n in store.notes(NEXT_RUNS):
        # "daemon.next_runs:<holder>"; a bare "daemon.next_runs" is an older daemon's (the writer)
        holder = n.key[len(NEXT_RUNS) + 1 :] if n.key != NEXT_RUNS else (writer or "")
        if holder not in active:
            continue
        for pid, r in _json(n.value).items():
            if str(pid).isdigit() and isinstance(r, dict):
                at = _when(r.get("at"))
                runs[int(pid)] = NextRun(
                    at, str(r.get("reason", "")), bool(r.get("waits_for_config")), holder
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
