"""Leases: one writer per performance at a time, across processes and hosts sharing a store.

A unit in flight leases its performances, renews them in the background, checks them before every
seats.io write and releases them however it ends. A holder id names its process precisely enough
that a dead holder on this host is recognised and its lease taken over at once.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

import structlog

from bridge.errors import BridgeError
from bridge.store.base import WRITER_LEASE, Journal, Leases, PerformanceStatus, RunMode

log = structlog.get_logger("seatbridge.reconcile")

LEASE_TTL_S = 300.0
#: How often a unit in flight renews its leases: three chances before they would run out.
LEASE_RENEW_S = LEASE_TTL_S / 3


class LeaseLostError(BridgeError):
    """A unit no longer holds the lease of one of its performances: no more seats.io writes."""


class Liveness(StrEnum):
    """What this process can tell about a lease holder."""

    ALIVE = "alive"
    DEAD = "dead"
    #: on another host or in another pid namespace, or not a holder id the bridge writes
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class HolderId:
    """A lease holder id, ``host:pid:token`` (``host:pid`` in rows of older versions).

    On Linux the token is ``<pid namespace>.<start time in ticks>``, so a pid that a later process
    reuses, or one from another container's namespace, is never mistaken for the holder; elsewhere
    it is random, unique to the process.
    """

    host: str
    pid: int
    token: str | None = None

    @classmethod
    def parse(cls, holder: str) -> HolderId | None:
        """The parts of ``holder``, or None when it is not in either form."""
        parts = holder.split(":")
        if len(parts) >= 3 and parts[-2].isdigit():
            return cls(":".join(parts[:-2]), int(parts[-2]), parts[-1])
        if len(parts) >= 2 and parts[-1].isdigit():
            return cls(":".join(parts[:-1]), int(parts[-1]))
        return None

    @property
    def namespace_and_start(self) -> tuple[str, str] | None:
        ns, dot, start = (self.token or "").partition(".")
        return (ns, start) if dot and ns.isdigit() and start.isdigit() else None


def _proc_stat(pid: int) -> list[str] | None:
    """Fields 3.. of /proc/PID/stat (state first, start time at index 19), or None."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
    except OSError:
        return None
    return stat[stat.rfind(")") + 2 :].split()


def _pid_namespace() -> str | None:
    try:
        link = os.readlink("/proc/self/ns/pid")  # "pid:[4026531836]"
    except OSError:
        return None
    digits = "".join(c for c in link if c.isdigit())
    return digits or None


_instance_ids: dict[int, str] = {}


def instance_id() -> str:
    """Who holds a lease: ``host:pid:token``, stable for the life of the process (see
    :class:`HolderId`); a forked child gets its own."""
    pid = os.getpid()
    known = _instance_ids.get(pid)
    if known is None:
        stat, ns = _proc_stat(pid), _pid_namespace()
        if stat is not None and len(stat) > 19 and ns is not None:
            token = f"{ns}.{stat[19]}"
        else:
            token = secrets.token_hex(6)
        known = _instance_ids[pid] = f"{socket.gethostname()}:{pid}:{token}"
    return known


def holder_liveness(holder: str) -> Liveness:
    """Whether the process holding a lease still runs: DEAD only when it is sure (a process of
    this host, in this pid namespace, that is gone, a zombie, or whose pid another process has)."""
    if holder == instance_id():
        return Liveness.ALIVE
    parsed = HolderId.parse(holder)
    if parsed is None or parsed.pid <= 0 or parsed.host != socket.gethostname():
        return Liveness.UNKNOWN
    if os.name != "posix":
        return Liveness.UNKNOWN  # no signal 0 to probe with (on Windows 0 is CTRL_C_EVENT)
    identity = parsed.namespace_and_start
    if identity is not None and identity[0] != _pid_namespace():
        return Liveness.UNKNOWN  # another container on a shared file: its pids are not ours
    if parsed.pid == os.getpid():
        return Liveness.DEAD  # our pid, yet not us: a process that had this pid before
    try:
        os.kill(parsed.pid, 0)
    except ProcessLookupError:
        return Liveness.DEAD
    except PermissionError:
        pass  # it exists, as another user
    except OSError:
        return Liveness.UNKNOWN
    stat = _proc_stat(parsed.pid)
    if stat is not None and stat and stat[0] == "Z":
        return Liveness.DEAD  # killed, not yet reaped
    if identity is not None and stat is not None and len(stat) > 19 and stat[19] != identity[1]:
        return Liveness.DEAD  # the pid now belongs to a later process
    return Liveness.ALIVE


class UnitLeases:
    """The leases of one unit in flight: taken (over from a dead holder on this host too),
    renewed in the background every ``renew_every_s``, checked before every seats.io write, and
    released whatever ends the unit (an error, a cancellation).

    Renewals and checks use the store's clock, so tests drive them with an injected one.
    """

    def __init__(
        self,
        store: Leases,
        holder: str,
        *,
        ttl_s: float = LEASE_TTL_S,
        renew_every_s: float | None = None,
    ) -> None:
        self.store = store
        self.holder = holder
        self.ttl_s = ttl_s
        self.renew_every_s = ttl_s / 3 if renew_every_s is None else renew_every_s
        self.held: list[int] = []
        #: why the unit lost a lease (then it must not write again), or None
        self.lost: str | None = None
        self._renewer: asyncio.Task[None] | None = None

    def take(self, performance_id: int) -> str | None:
        """Lease the performance: None when it is ours now, else who holds it."""
        for _ in range(2):
            if self.store.acquire_lease(performance_id, self.holder, self.ttl_s):
                self.held.append(performance_id)
                return None
            current = self.store.lease_holder(performance_id)
            if current is None:
                continue  # it ran out or was released between the two calls
            if holder_liveness(current) is not Liveness.DEAD:
                return current
            if self.store.acquire_lease(
                performance_id, self.holder, self.ttl_s, reclaim_from=current
            ):
                log.info(
                    "lease taken over from a dead holder", performance=performance_id, dead=current
                )
                self.held.append(performance_id)
                return None
        return self.store.lease_holder(performance_id) or "another run"

    def start_renewing(self) -> None:
        """Renew the held leases in the background until :meth:`release`."""
        if self.held and self._renewer is None:
            self._renewer = asyncio.create_task(self._keep_renewed(), name="lease-renewal")

    async def _keep_renewed(self) -> None:
        while self.lost is None:
            await asyncio.sleep(self.renew_every_s)
            self.renew()

    def renew(self) -> None:
        """Extend every held lease by the ttl; one found taken marks the unit as having lost it."""
        for pid in self.held:
            try:
                ok = self.store.renew_lease(pid, self.holder, self.ttl_s)
            except Exception as exc:  # a busy store: the next renewal or check() decides
                log.warning("lease renewal failed", performance=pid, error=str(exc))
                continue
            if not ok:
                self._lose(pid)
                return

    def check(self) -> None:
        """Raise :class:`LeaseLostError` unless every lease of the unit is still ours and live
        (consulted before each seats.io write)."""
        if self.lost is None and self.held:
            # one read of every live lease, not one per performance: a season unit holds dozens,
            # and this runs before each of its writes
            holders = {lease.performance_id: lease.holder for lease in self.store.leases()}
            for pid in self.held:
                if holders.get(pid) != self.holder:
                    self._lose(pid)
                    break
        if self.lost is not None:
            raise LeaseLostError(self.lost)

    def _lose(self, pid: int) -> None:
        try:
            other = self.store.lease_holder(pid)
        except Exception:
            other = None
        self.lost = (
            f"performance {pid}: the lease was lost to {other or 'nobody (it ran out)'}; "
            "stopped before the next seats.io write"
        )
        log.error("lease lost", performance=pid, holder=other)

    def release(self) -> None:
        """Stop renewing and give every held lease up (only those still ours go)."""
        if self._renewer is not None:
            self._renewer.cancel()
            self._renewer = None
        for pid in self.held:
            try:
                self.store.release_lease(pid, self.holder)
            except Exception as exc:  # keep releasing the others; this one runs out by itself
                log.warning("lease release failed", performance=pid, error=str(exc))
        self.held.clear()


@dataclass(frozen=True, slots=True)
class LeaseState:
    """What `seatbridge status` shows beside a performance's last sync: who holds its lease and
    until when (``stale``: a dead process of this host, the next run takes it over at once), and
    the run the journal shows unfinished for it (``interrupted_run``: killed or stopped, not in
    flight; the next run settles its operations)."""

    performance_id: int
    holder: str | None = None
    expires_at: datetime | None = None
    stale: bool = False
    interrupted_run: int | None = None
    interrupted_at: datetime | None = None


class LeasesAndJournal(Leases, Journal, Protocol):
    """What :func:`lease_states` reads: the leases and the journal's unfinished runs."""


def lease_states(
    store: LeasesAndJournal, statuses: Iterable[PerformanceStatus] = ()
) -> dict[int, LeaseState]:
    """Every performance with a live lease or an interrupted run, by id.

    A run is interrupted when the journal has it unfinished, it started after the performance's
    last recorded sync, and no live holder has the performance (then it is simply running).
    """
    last_sync = {s.performance_id: s.last_sync for s in statuses}
    leases = {
        lease.performance_id: lease
        for lease in store.leases()
        if lease.performance_id != WRITER_LEASE  # the daemon's role, shown on its own
    }
    alive = {
        pid for pid, lease in leases.items() if holder_liveness(lease.holder) is not Liveness.DEAD
    }
    interrupted: dict[int, tuple[int, datetime]] = {}
    for run in store.unfinished_runs():
        if run.mode is not RunMode.APPLY:
            continue
        for pid in run.performance_ids:
            synced = last_sync.get(pid)
            if pid in alive or (synced is not None and synced >= run.started_at):
                continue
            interrupted[pid] = (run.run_id, run.started_at)  # oldest first: the newest wins
    out: dict[int, LeaseState] = {}
    for pid in sorted(set(leases) | set(interrupted)):
        lease = leases.get(pid)
        run_id, started = interrupted.get(pid, (None, None))
        out[pid] = LeaseState(
            pid,
            holder=lease.holder if lease else None,
            expires_at=lease.expires_at if lease else None,
            stale=lease is not None and pid not in alive,
            interrupted_run=run_id,
            interrupted_at=started,
        )
    return out
