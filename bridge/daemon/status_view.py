"""What the daemon's HTTP server shows: readiness, its status, the overview and performance pages'
data, and each seat's facts for the seat map (kept a short while: they cost vendor reads).

It reads the daemon's state, its membership and the store; it changes none of them.

The HTTP server runs on a thread of its own (see :mod:`bridge.daemon.web`): :meth:`readiness` and
:meth:`liveness` read memory only and answer from there at once; the ``*_page`` methods hop to
the daemon's loop for its state and read the store in a thread under a timeout, so a stalled
store or vendor makes a page answer 503, never hang, and never holds up the probes."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bridge.clock import SYSTEM, Clock
from bridge.config import BridgeConfig
from bridge.core.explain import PerformanceFacts
from bridge.daemon import overview
from bridge.daemon.health import STORE_TIMEOUT_S, LoopBeat, StoreProbe, in_thread, on_loop
from bridge.daemon.membership import Membership, Role
from bridge.daemon.state import DaemonState
from bridge.daemon.web import Readiness
from bridge.reconcile.explain_gather import explain_performance
from bridge.runtime import Runtime

__all__ = ["ACTIVITY_SHOWN", "RUN_STALE_CADENCES", "SEAT_FACTS_TTL_S", "StatusView"]

T = TypeVar("T")

#: how long the page's per-seat facts are reused before the vendors are read again
SEAT_FACTS_TTL_S = 15.0
#: happenings the overview carries, newest first (the page's activity feed)
ACTIVITY_SHOWN = 100
#: /readyz fails when no unit's run has succeeded for this many cadences (plus a run timeout)
RUN_STALE_CADENCES = 3


class StatusView:
    """The daemon as its pages and probes see it. ``cfg`` follows reloads, ``rt`` is set once
    the daemon has connected (until then the views show no store)."""

    def __init__(
        self,
        cfg: BridgeConfig,
        state: DaemonState,
        membership: Membership,
        *,
        clock: Clock = SYSTEM,
    ) -> None:
        self.cfg = cfg
        self.state = state
        self.membership = membership
        self.clock = clock
        self.rt: Runtime | None = None
        #: the store's health, probed off the loop; the loop's heartbeat
        self.store_probe = StoreProbe(clock=clock)
        self.beat = LoopBeat(clock=clock)
        #: the daemon's loop, once it runs: pages read its state there
        self.loop: asyncio.AbstractEventLoop | None = None
        self._seat_facts: dict[int, tuple[float, PerformanceFacts]] = {}
        #: one read per performance at a time; another performance's read never waits on it
        self._seat_facts_locks: dict[int, asyncio.Lock] = {}

    def liveness(self) -> str | None:
        """None while the daemon's loop runs; else why the process is stuck (/healthz 503)."""
        stalled = self.beat.stalled_s()
        if stalled:
            return f"the daemon's event loop has not run for {stalled:.0f} s"
        return None

    def readiness(self) -> Readiness:
        """Memory only, from any thread: the daemon's role, config, store, loop, discovery and
        whether its units' runs end."""
        s, m = self.state, self.membership
        checks: dict[str, str] = {}
        checks["role"] = "ok" if m.role is Role.ACTIVE else m.role.value
        checks["config"] = "ok" if s.config_ok else f"refused edit: {s.config_error}"
        checks["store"] = self._store_check()
        checks["loop"] = self.liveness() or "ok"
        checks["runs"] = self._runs_check()
        limit = 3 * self.cfg.schedule.discovery_every_s
        if s.last_discovery is None or s.last_discovery_mono is None:
            checks["discovery"] = "not yet run" + (
                f": {s.discovery_error}" if s.discovery_error else ""
            )
        elif self.clock.monotonic() - s.last_discovery_mono > limit:
            checks["discovery"] = (
                f"last succeeded at {s.last_discovery.isoformat()}: {s.discovery_error}"
            )
        else:
            checks["discovery"] = "ok"
        return Readiness(all(v == "ok" for v in checks.values()), checks)

    def _store_check(self) -> str:
        if self.state.store_gone:
            return f"gone: {self.state.store_gone}"
        verdict = self.store_probe.verdict()
        if verdict.problem is not None:
            return verdict.problem
        return "ok" if self.membership.store_ok else "the state store does not answer"

    def _runs_check(self) -> str:
        """Whether the units this daemon runs get their runs done: some unit's run ended
        without an error (not timed out, not failed) within :data:`RUN_STALE_CADENCES` of the quickest unit's cadence (or its
        planned wait, when longer: a backoff is not a stall), plus one run timeout."""
        s, m = self.state, self.membership
        since = s.last_run_done_mono or s.running_since_mono
        if since is None or m.role is not Role.ACTIVE:
            return "ok"  # nothing runs yet: the role and discovery checks say why
        units = [
            u
            for key, u in tuple(s.units.items())  # a copy: the daemon's loop may change it
            if m.runs_here(key) and not u.waits_for_config
        ]
        if not units:
            return "ok"
        cadence = min(max(u.job.every_s, u.next.delay_s if u.next else 0.0) for u in units)
        limit = RUN_STALE_CADENCES * cadence + self.cfg.daemon.run_timeout_s
        silent = self.clock.monotonic() - since
        if silent <= limit:
            return "ok"
        failing = sorted({u.last_error for u in units if u.last_error})
        return f"no unit's run has succeeded for {silent:.0f} s (limit {limit:g} s)" + (
            f": {failing[0]}" if failing else ""
        )

    def status(self) -> dict[str, object]:
        s, m = self.state, self.membership
        return {
            "role": m.role.value,
            "holder": m.holder,
            "instances": m.live if m.shared else [m.holder],
            "config": {
                "ok": s.config_ok,
                "error": s.config_error,
                "restart_pending": s.restart_pending,
            },
            "last_discovery": s.last_discovery.isoformat() if s.last_discovery else None,
            "time_zone": self.cfg.discovery.time_zone,
            "shows": {
                str(pid): {
                    "name": s.names.get(pid),
                    "starts_at": start.isoformat() if start else None,
                }
                for pid, start in tuple(s.starts.items())
            },
            "last_synced": {str(pid): at.isoformat() for pid, at in tuple(s.last_synced.items())},
            "activity": [h.to_json() for h in reversed(tuple(s.activity))][:ACTIVITY_SHOWN],
            "writeback": {
                "mode": self.cfg.writeback.mode,
                "hold_code": self.cfg.writeback.hold_code,
            },
            "units": {
                key: {
                    "performances": list(u.job.performance_ids),
                    "every_s": u.job.every_s,
                    "failures": u.failures,
                    "last_ending": u.last_ending,
                    "last_error": u.last_error or None,
                    "next_run": u.next_at.isoformat() if u.next_at else None,
                    "reason": u.next.reason if u.next else "first run",
                    "last_success": u.last_success.isoformat() if u.last_success else None,
                    "instance": m.owner(key),
                }
                for key, u in sorted(s.units.items())
            },
        }

    def overview(self) -> dict[str, object]:
        """The status page's data: :meth:`status` with the store's performances and daemons."""
        return overview.overview(self.rt.store if self.rt else None, self.status())

    def performance(self, pid: int) -> dict[str, object] | None:
        """One performance's page data (see :func:`bridge.daemon.overview.performance_detail`)."""
        target = self.cfg.tables.target_for(pid)
        keys = [k for k in (target.event_key, target.season_key) if k] if target else []
        return overview.performance_detail(
            self.rt.store if self.rt else None, pid, self.status(), keys
        )

    # -- what the HTTP server's thread calls ------------------------------------------------------

    async def _on_loop(self, call: Callable[[], Awaitable[T]]) -> T:
        return await on_loop(self.loop, call)

    async def status_page(self) -> dict[str, object]:
        """:meth:`status`, read on the daemon's loop."""
        return await self._on_loop(_async(self.status))

    async def overview_page(self) -> dict[str, object]:
        """:meth:`overview`: the state on the daemon's loop, the store in a thread."""
        status = await self.status_page()
        store = self.rt.store if self.rt else None
        return await in_thread(
            lambda: overview.overview(store, status), STORE_TIMEOUT_S, "the state store"
        )

    async def performance_page(self, pid: int) -> dict[str, object] | None:
        """:meth:`performance`: the state on the daemon's loop, the store in a thread."""
        status = await self.status_page()
        target = self.cfg.tables.target_for(pid)
        keys = [k for k in (target.event_key, target.season_key) if k] if target else []
        store = self.rt.store if self.rt else None
        return await in_thread(
            lambda: overview.performance_detail(store, pid, status, keys),
            STORE_TIMEOUT_S,
            "the state store",
        )

    async def seat_facts_page(self, pid: int) -> PerformanceFacts | None:
        """:meth:`seat_facts`, on the daemon's loop (its vendor clients live there)."""
        return await self._on_loop(lambda: self.seat_facts(pid))

    def forget_seat_facts(self, performance_ids: tuple[int, ...]) -> None:
        """A run of these performances ended: what the map shows may have changed."""
        for pid in performance_ids:
            self._seat_facts.pop(pid, None)

    async def seat_facts(self, pid: int) -> PerformanceFacts | None:
        """Every seat of ``pid`` as ``seatbridge explain`` sees it, for the page's map.

        It reads the vendors (the unit's holds, the seat map, one seats.io report), so an answer
        is kept :data:`SEAT_FACTS_TTL_S`, or until the unit's next run ends, and concurrent page
        loads of one performance share one read (another performance's read never waits on
        it); a failed read raises its BridgeError for the page to show."""
        rt = self.rt
        if rt is None:
            return None
        cached = self._fresh_facts(pid)
        if cached is not None:
            return cached
        lock = self._seat_facts_locks.setdefault(pid, asyncio.Lock())
        async with lock:
            cached = self._fresh_facts(pid)
            if cached is not None:
                return cached
            # the config in force now (a reload may have changed the tables since the start)
            facts = await explain_performance(
                dataclasses.replace(rt, cfg=self.cfg).reconciler(), pid
            )
            self._seat_facts[pid] = (self.clock.monotonic(), facts)
            return facts

    def _fresh_facts(self, pid: int) -> PerformanceFacts | None:
        cached = self._seat_facts.get(pid)
        if cached is not None and self.clock.monotonic() - cached[0] < SEAT_FACTS_TTL_S:
            return cached[1]
        return None


def _async(call: Callable[[], T]) -> Callable[[], Awaitable[T]]:
    async def run() -> T:
        return call()

    return run
