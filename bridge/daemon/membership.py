"""Who this daemon is among those on one store, and which units it runs.

On an SQLite store (one host) one daemon is active: it holds the writer lease and runs every
unit; another one on the same file stands by until that lease lapses. On a shared store
(PostgreSQL) every instance is active and they split the units: each announces itself every third
of a lease period, reads who else is live (a killed instance's database session is gone at once),
and runs only the units that rendezvous hashing gives it (:func:`bridge.daemon.schedule.owner_of`).

A unit taken from an instance that died waits a quiet period first: the dead instance's last
requests may still be running at seats.io, and one landing after ours would undo it (the chaos
soak saw a dead instance's channel change land after its successor's write).

The store is read and written through the calls below only; the decisions (who owns a unit, how
long to stay quiet) depend on this object's own state and its injected monotonic clock, so tests
drive them through this public API (as Kopf's ``engines/peering.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

import structlog

from bridge.clock import SYSTEM, Clock
from bridge.daemon import notes
from bridge.daemon.schedule import owner_of
from bridge.reconcile.leases import Liveness, holder_liveness
from bridge.store.base import WRITER_LEASE, Instances, Leases, Notes

__all__ = ["Handover", "Membership", "Renewal", "Role"]

log = structlog.get_logger("seatbridge.daemon")


class MemberStore(Leases, Instances, Notes, Protocol):
    """What membership reads and writes: the writer lease, the instance rows, the role note."""


class Role(StrEnum):
    """What /readyz and ``status`` say this daemon is."""

    STARTING = "starting"
    STANDBY = "standby"
    ACTIVE = "active"


class Renewal(StrEnum):
    """How renewing the writer lease went."""

    KEPT = "kept"
    #: the store did not answer: the next renewal decides
    STORE_DOWN = "store_down"
    #: another daemon holds it now: this one must stop
    LOST = "lost"


@dataclass(frozen=True, slots=True)
class Handover:
    """What a heartbeat changed: units taken (each with the seconds to wait before it runs) and
    units handed over (each with its new owner)."""

    gained: dict[str, float] = field(default_factory=dict)
    lost: dict[str, str | None] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.gained or self.lost)


class Membership:
    """This daemon's place among the daemons on its store (see the module docstring).

    ``shared``: a store every instance is active on (PostgreSQL); else the writer lease decides.
    ``grace_s``: how long a dead daemon's requests may still run at seats.io (``[daemon]
    takeover_wait_s``)."""

    def __init__(self, holder: str, *, shared: bool, grace_s: float, clock: Clock = SYSTEM) -> None:
        self.holder = holder
        self.shared = shared
        self.grace_s = grace_s
        self.clock = clock
        self.role = Role.STARTING
        #: whether the last lease renewal or heartbeat reached the store
        self.store_ok = True
        #: set when another daemon took the writer lease: exit 1, to come back as standby
        self.lost_role = False
        self._units: frozenset[str] = frozenset()
        self._owned: set[str] = set()
        self._live: list[str] = [holder]
        #: unit key (None: every unit) -> monotonic time before which it must not run
        self._quiet_until: dict[str | None, float] = {}

    # -- what the daemon asks --------------------------------------------------------------------

    @property
    def live(self) -> list[str]:
        """The instances this one knows to be live, itself among them, sorted."""
        return list(self._live)

    @property
    def owned(self) -> frozenset[str]:
        """The units this instance runs (every unit it knows of, on an SQLite store)."""
        return frozenset(self._owned) if self.shared else self._units

    def runs_here(self, key: str) -> bool:
        """Whether this instance runs the unit ``key`` (always, on an SQLite store)."""
        return not self.shared or key in self._owned

    def owner(self, key: str) -> str | None:
        """The instance that runs ``key`` (None: no instance is live, not even this one)."""
        return self.holder if self.runs_here(key) else owner_of(key, self._live)

    def quiet_left(self, key: str) -> float:
        """Seconds before ``key`` may run: 0 unless it was taken from a daemon that died."""
        now = self.clock.monotonic()
        return max(0.0, *(self._quiet_until.get(k, 0.0) - now for k in (key, None)))

    def stay_quiet(self, key: str | None) -> float:
        """No write to ``key`` (None: any unit) for :attr:`grace_s` from now. Returns the wait."""
        self._quiet_until[key] = self.clock.monotonic() + self.grace_s
        log.info("waiting out a dead daemon's requests", unit=key or "all", wait_s=self.grace_s)
        return self.grace_s

    # -- the writer role (an SQLite store) --------------------------------------------------------

    def take_writer_role(self, store: MemberStore, ttl: float) -> bool:
        """Take the writer lease if it is free or its holder is dead (then stay quiet a while).

        A standby asks every second: it reads first, and writes only when the lease looks free
        or its holder dead, so waiting costs the store a read, not a write transaction that a
        busy active daemon's writes would queue behind."""
        current = store.lease_holder(WRITER_LEASE)
        alive = current is not None and holder_liveness(current) is not Liveness.DEAD
        if current != self.holder and alive:
            return False
        if store.acquire_lease(WRITER_LEASE, self.holder, ttl):
            return True
        current = store.lease_holder(WRITER_LEASE)
        if current is not None and holder_liveness(current) is Liveness.DEAD:
            log.info("taking over from a dead daemon", dead=current)
            taken = store.acquire_lease(WRITER_LEASE, self.holder, ttl, reclaim_from=current)
            if taken:
                self.stay_quiet(None)
            return taken
        return False

    def renew_writer_role(self, store: MemberStore, ttl: float) -> Renewal:
        """Renew the writer lease; a store that does not answer is not a lost role."""
        try:
            ok = store.renew_lease(WRITER_LEASE, self.holder, ttl)
        except Exception as exc:
            log.warning("writer lease renewal failed", error=str(exc))
            self.store_ok = False
            return Renewal.STORE_DOWN
        self.store_ok = True
        if not ok:
            self.lost_role = True
            return Renewal.LOST
        return Renewal.KEPT

    def set_role(self, store: MemberStore, role: Role, listen: str) -> None:
        """Take ``role`` and note it in the store, for ``seatbridge status`` to show."""
        self.role = role
        notes.put_role(store, self.holder, role.value, listen)

    def release(self, store: MemberStore) -> None:
        """At stop: give the writer lease back, or retire from the shared store so the others
        take our units at their next heartbeat, not a lease period later. A store that does not
        answer is logged: the lease lapses and the row goes stale on their own."""
        try:
            if self.shared:
                store.retire_instance(self.holder)
            else:
                store.release_lease(WRITER_LEASE, self.holder)
            notes.drop_role(store, self.holder)
        except Exception as exc:
            log.warning("could not release the role at stop; it lapses", error=str(exc))

    # -- splitting the units between instances (a shared store) ----------------------------------

    def note_recent_deaths(self, store: MemberStore) -> None:
        """At start on a shared store: an instance that died moments ago (its row not live, seen
        recently) may have left requests running at seats.io; no unit runs before they are over."""
        try:
            rows = store.instances(notes.INSTANCE_STALE_S)
        except Exception as exc:
            log.warning("could not read the instances at start", error=str(exc))
            return
        if any(not i.live and i.holder != self.holder for i in rows):
            self.stay_quiet(None)

    def heartbeat(self, store: MemberStore, listen: str) -> Handover:
        """Announce this instance, read which instances are live, and take or hand over units.
        A store that does not answer changes nothing: runs fail at their leases anyway."""
        try:
            store.announce_instance(self.holder, listen, sorted(self._owned))
            rows = store.instances(notes.INSTANCE_STALE_S)
        except Exception as exc:
            log.warning("instance heartbeat failed", error=str(exc))
            self.store_ok = False
            return Handover()
        self.store_ok = True
        live = {i.holder for i in rows if i.live} | {self.holder}  # a lagging store: not us dead
        # gone without retiring (a clean stop retires its row): its requests may still run
        died = {i.holder for i in rows if not i.live} & set(self._live)
        if sorted(live) != self._live:
            log.info("instances on this venue", live=sorted(live), died=sorted(died))
        before = self._live
        self._live = sorted(live)
        return self._share(before, died)

    def units(self, keys: set[str] | frozenset[str]) -> Handover:
        """The units there are now (discovery); which of them are ours follows."""
        self._units = frozenset(keys)
        return self._share()

    def _share(self, before: list[str] | None = None, died: set[str] | None = None) -> Handover:
        if not self.shared:
            return Handover()
        owned = {k for k in self._units if owner_of(k, self._live) == self.holder}
        gained, lost = owned - self._owned, self._owned - owned
        self._owned = owned
        out = Handover()
        for key in sorted(gained):
            log.info("unit taken", unit=key, instances=len(self._live))
            delay = 0.0
            if died and before and owner_of(key, before) in died:
                delay = self.stay_quiet(key)
            out.gained[key] = delay
        for key in sorted(lost):
            to = owner_of(key, self._live)
            log.info("unit handed over", unit=key, to=to)
            out.lost[key] = to
        return out
