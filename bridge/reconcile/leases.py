"""Leases: one writer per performance at a time, across processes and hosts sharing a store.

A unit in flight leases its performances under its run's own holder id (:func:`run_holder`: the
process's id plus a token of the run, so two passes in one process never both own a unit, and a
lease is released only by the run that holds it), renews them in the background and releases
them however it ends. A holder id names its process precisely enough that a dead holder on this
host is recognised and its lease taken over at once.

**Fenced writes.** No seats.io write leaves the process unless, at that moment, the unit's lease
is held with at least the request's timeout left, judged by the store's clock:
:meth:`UnitLeases.fence` is the unit's :data:`bridge.http.Fence`, which the HTTP layer asks
right before every attempt of every write (retries after their wait, merged calls and the undo
of a booked-during-run step included; see :func:`bridge.http.fenced`). It combines two checks:

- a deadline on this process's monotonic clock: the lease's time left as the store last
  confirmed it, counted from the moment of that store read. A process paused (SIGSTOP: the
  monotonic clock runs on), stalled or starved past it refuses with no store round trip;
- a read of the holder's leases and their time left by the store's own clock
  (:meth:`bridge.store.base.Leases.lease_time_left`): taken, released or run out refuses; too
  little left is renewed once, then refuses.

A refusal (:class:`LeaseLostError`) means *not sent*: the step fails, nothing later in the plan
is sent, and the unit ends as an error (never converged). What the fence cannot close is the
time between its check and the bytes leaving the socket, and a request already sent when the
process stalls; a request it lets through has the lease for its whole timeout, status changes
carry ``allowedPreviousStatuses`` (a late one lands only on the status it expected, never on a
sale), and a run that stops with a write in doubt hands its leases over only once that write's
timeout has passed (:meth:`UnitLeases.release`: a lingering lease, which nobody takes early,
not even from a dead holder).
"""

from __future__ import annotations

import asyncio
import math
import os
import secrets
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

import structlog

from bridge.clock import SYSTEM, Clock
from bridge.http import WriteFencedError
from bridge.store.base import WRITER_LEASE, Journal, Leases, PerformanceStatus, RunMode

log = structlog.get_logger("seatbridge.reconcile")

LEASE_TTL_S = 300.0
#: How often a unit in flight renews its leases: three chances before they would run out.
LEASE_RENEW_S = LEASE_TTL_S / 3


class LeaseLostError(WriteFencedError):
    """A unit no longer holds the lease of one of its performances (or too little of it is left
    for a request's timeout): no more seats.io writes. The write it stopped was not sent."""


class Liveness(StrEnum):
    """What this process can tell about a lease holder."""

    ALIVE = "alive"
    DEAD = "dead"
    #: on another host or in another pid namespace, or not a holder id the bridge writes
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class HolderId:
    """A lease holder id, ``host:pid:token/run`` (``host:pid:token`` for a process's own leases,
    such as the daemon's writer role; ``host:pid`` in rows of older versions).

    On Linux the token is ``<pid namespace>.<start time in ticks>``, so a pid that a later process
    reuses, or one from another container's namespace, is never mistaken for the holder; elsewhere
    it is random, unique to the process. ``run`` names one reconcile run of that process.
    """

    host: str
    pid: int
    token: str | None = None
    run: str | None = None

    @classmethod
    def parse(cls, holder: str) -> HolderId | None:
        """The parts of ``holder``, or None when it is not in any of the forms."""
        process, slash, run = holder.partition("/")
        parts = process.split(":")
        if len(parts) >= 3 and parts[-2].isdigit():
            return cls(":".join(parts[:-2]), int(parts[-2]), parts[-1], run if slash else None)
        if len(parts) >= 2 and parts[-1].isdigit():
            return cls(":".join(parts[:-1]), int(parts[-1]), None, run if slash else None)
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


def run_holder(process: str | None = None) -> str:
    """A holder id unique to one run of ``process`` (this process by default):
    ``host:pid:token/run``. Its process part still tells whether the holder lives."""
    return f"{process or instance_id()}/{secrets.token_hex(6)}"


def holder_liveness(holder: str) -> Liveness:
    """Whether the process holding a lease (any run of it) still runs: DEAD only when it is sure
    (a process of this host, in this pid namespace, that is gone, a zombie, or whose pid another
    process has)."""
    if holder.partition("/")[0] == instance_id():
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
    renewed in the background every ``renew_every_s``, checked before every step (:meth:`check`)
    and fenced before every seats.io write attempt (:meth:`fence`), and released whatever ends
    the unit (an error, a cancellation), lingering while a write may still land.

    Times left come from the store's clock; ``clock``'s monotonic time counts them down inside
    the process, so tests drive both with one injected ManualClock.
    """

    def __init__(
        self,
        store: Leases,
        holder: str,
        *,
        ttl_s: float = LEASE_TTL_S,
        renew_every_s: float | None = None,
        clock: Clock = SYSTEM,
        quiet_s: float = 0.0,
    ) -> None:
        self.store = store
        self.holder = holder
        self.ttl_s = ttl_s
        self.quiet_s = quiet_s
        #: monotonic time before which the unit must not write: a lease taken over from a dead
        #: holder, whose last request may still be running at seats.io
        self.quiet_until = -math.inf
        #: released: the fence refuses every write from now on
        self.closed = False
        self.renew_every_s = ttl_s / 3 if renew_every_s is None else renew_every_s
        self.clock = clock
        self.held: list[int] = []
        #: why the unit lost a lease (then it must not write again), or None
        self.lost: str | None = None
        self._renewer: asyncio.Task[None] | None = None
        #: performance id -> monotonic time its lease runs out, as the store last confirmed it
        self._deadline: dict[int, float] = {}
        #: writes the fence let through and no answer settled yet: (monotonic start, timeout)
        self._unsettled: dict[int, tuple[float, float]] = {}
        self._attempts = 0

    def take(self, performance_id: int) -> str | None:
        """Lease the performance: None when it is ours now, else who holds it."""
        for _ in range(2):
            asked = self.clock.monotonic()
            if self.store.acquire_lease(performance_id, self.holder, self.ttl_s):
                self._taken(performance_id, asked)
                return None
            current = self.store.lease_holder(performance_id)
            if current is None:
                continue  # it ran out or was released between the two calls
            if holder_liveness(current) is not Liveness.DEAD:
                return current
            asked = self.clock.monotonic()
            if self.store.acquire_lease(
                performance_id, self.holder, self.ttl_s, reclaim_from=current
            ):
                log.info(
                    "lease taken over from a dead holder", performance=performance_id, dead=current
                )
                self._taken(performance_id, asked)
                self.quiet_until = max(self.quiet_until, asked + self.quiet_s)
                return None
        return self.store.lease_holder(performance_id) or "another run"

    def _taken(self, performance_id: int, asked: float) -> None:
        self.held.append(performance_id)
        # the store's clock says ttl from its moment of writing, which is after ``asked``
        self._deadline[performance_id] = asked + self.ttl_s

    def quiet_left(self) -> float:
        """Seconds the unit must still wait before its first write (see ``quiet_until``)."""
        return max(0.0, self.quiet_until - self.clock.monotonic())

    def start_renewing(self) -> None:
        """Renew the held leases in the background until :meth:`release`."""
        if self.held and self._renewer is None:
            self._renewer = asyncio.create_task(self._keep_renewed(), name="lease-renewal")

    async def _keep_renewed(self) -> None:
        while self.lost is None:
            await asyncio.sleep(self.renew_every_s)
            self.renew()

    def renew(self) -> None:
        """Extend every held lease by the ttl; one found taken marks the unit as having lost it.
        A lease that ran out by this process's count is not renewed: the process was paused or
        stalled past it, and someone may have written since."""
        for pid in self.held:
            asked = self.clock.monotonic()
            if asked >= self._deadline.get(pid, math.inf):
                self._lose(pid, "it ran out while this process was paused or stalled")
                return
            try:
                ok = self.store.renew_lease(pid, self.holder, self.ttl_s)
            except Exception as exc:  # a busy store: the next renewal or check() decides
                log.warning("lease renewal failed", performance=pid, error=str(exc))
                continue
            if not ok:
                self._lose(pid)
                return
            self._deadline[pid] = asked + self.ttl_s

    def check(self) -> None:
        """Raise :class:`LeaseLostError` unless every lease of the unit is still ours and live
        by the store's clock (consulted before each step of the plan)."""
        self._confirm(0.0)

    def fence(self, need_s: float) -> Callable[[], None]:
        """The unit's write fence (:data:`bridge.http.Fence`): raise :class:`LeaseLostError`
        unless every lease of the unit is ours with at least ``need_s`` (the attempt's timeout)
        left, by this process's count and by the store's clock; asked right before each attempt
        of each seats.io write. The write let through counts as in flight until the callback
        returned says it was answered (:meth:`release` waits out one that never was)."""
        # the lease must outlast the attempt at seats.io too, not only here: the client gives up
        # after need_s, seats.io may still run the request about as long again
        self._confirm(2 * need_s)
        self._attempts += 1
        attempt = self._attempts
        self._unsettled[attempt] = (self.clock.monotonic(), need_s)

        def answered() -> None:
            self._unsettled.pop(attempt, None)

        return answered

    def _confirm(self, need_s: float) -> None:
        if self.closed:
            raise LeaseLostError("the run gave its leases up; nothing more of it goes to seats.io")
        if self.lost is None and self.held:
            started = self.clock.monotonic()
            late = [pid for pid in self.held if self._deadline.get(pid, math.inf) <= started]
            if late:  # no store round trip: the process itself knows it slept past the lease
                self._lose(late[0], "it ran out while this process was paused or stalled")
            else:
                self._read_store(need_s)
        if self.lost is not None:
            raise LeaseLostError(self.lost)

    def _read_store(self, need_s: float) -> None:
        """One read of the holder's leases (a season unit holds dozens, and this runs before
        each write). A lease the store counts as run out, or with less than ``need_s`` left, is
        renewed once (a row that ran out is renewed only if nobody took it since, so nobody can
        have written meanwhile: a wall-clock step forward on SQLite stops no unit), then read
        again. Sets ``lost`` when a lease is not ours, or has less than ``need_s`` left, by the
        store's clock and by this process's count."""
        missing: list[int] = []
        for attempt in range(2):
            asked = self.clock.monotonic()
            try:
                left = self.store.lease_time_left(self.holder)
            except Exception as exc:  # cannot tell: a write must not go out on a guess
                self._lose(self.held[0], f"the store could not confirm it ({exc})")
                return
            missing = [pid for pid in self.held if pid not in left]
            for pid in self.held:
                if pid in left:
                    self._deadline[pid] = asked + left[pid]
            if not missing and min(self._deadline.values()) - self.clock.monotonic() >= need_s:
                return
            if attempt == 0:
                self.renew()
                if self.lost is not None:
                    return
        if missing:
            self._lose(missing[0])
            return
        pid = min(self.held, key=lambda p: self._deadline[p])
        self._lose(
            pid,
            f"{max(0.0, self._deadline[pid] - self.clock.monotonic()):.1f} s left, "
            f"less than the {need_s:.1f} s a request may still run (its timeout here, and as "
            "long again at seats.io)",
        )

    def _lose(self, pid: int, why: str | None = None) -> None:
        if why is None:
            try:
                other = self.store.lease_holder(pid)
            except Exception:
                other = None
            why = f"the lease was lost to {other or 'nobody (it ran out)'}"
            log.error("lease lost", performance=pid, holder=other)
        else:
            log.error("lease lost", performance=pid, reason=why)
        self.lost = f"performance {pid}: {why}; stopped before the next seats.io write"

    def in_doubt_s(self) -> float:
        """How long a write of this unit may still land at seats.io: the longest timeout of the
        writes let through that got no answer (cancelled mid-call, timed out, broken) and were
        sent within twice their timeout (seats.io may still be running one that timed out
        here), counted from now; 0 when there is none."""
        now = self.clock.monotonic()
        return max(
            (need for sent, need in self._unsettled.values() if now - sent < 2 * need),
            default=0.0,
        )

    def release(self) -> None:
        """Stop renewing and give every held lease up (only those still this run's go).

        A unit that stops with a write still in doubt (:meth:`in_doubt_s`: a daemon's drain or
        a SIGTERM cancelled it mid-call, or a write timed out) does not hand its leases over at
        once: they linger for that long, by the store's clock, and nobody takes them before, so
        a successor never writes while the stopped run's last write may still land.
        """
        if self._renewer is not None:
            self._renewer.cancel()
            self._renewer = None
        linger = self.in_doubt_s()
        if linger <= 0 and self.held:
            try:  # all in one commit; should that fail, one by one below
                self.store.release_leases(self.held, self.holder)
                self.held.clear()
            except Exception as exc:
                log.warning("lease release failed", performances=self.held, error=str(exc))
        for pid in self.held:
            try:
                if linger > 0:
                    self.store.linger_lease(pid, self.holder, linger)
                    log.info("lease handed over late", performance=pid, after_s=round(linger, 3))
                else:
                    self.store.release_lease(pid, self.holder)
            except Exception as exc:  # keep releasing the others; this one runs out by itself
                log.warning("lease release failed", performance=pid, error=str(exc))
        self.held.clear()
        self._deadline.clear()
        # a merged call of the wave may still be going out for this unit from another task:
        # from now on the fence refuses it (the leases are gone, nothing else would stop it)
        self.closed = True


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
    #: a stopped run's lease, kept until a write it may have in flight can no longer land
    lingering: bool = False


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
        pid
        for pid, lease in leases.items()
        if lease.lingering or holder_liveness(lease.holder) is not Liveness.DEAD
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
            lingering=lease is not None and lease.lingering,
            interrupted_run=run_id,
            interrupted_at=started,
        )
    return out
