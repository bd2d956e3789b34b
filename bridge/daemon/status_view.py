"""What the daemon's HTTP server shows: readiness, its status, the overview and performance pages'
data, and each seat's facts for the seat map (kept a short while: they cost vendor reads).

It reads the daemon's state, its membership and the store; it changes none of them."""

from __future__ import annotations

import asyncio
import dataclasses

from bridge.clock import SYSTEM, Clock
from bridge.config import BridgeConfig
from bridge.core.explain import PerformanceFacts
from bridge.daemon import overview
from bridge.daemon.membership import Membership, Role
from bridge.daemon.state import DaemonState
from bridge.daemon.web import Readiness
from bridge.reconcile.explain_gather import explain_performance
from bridge.runtime import Runtime

__all__ = ["SEAT_FACTS_TTL_S", "StatusView"]

#: how long the page's per-seat facts are reused before the vendors are read again
SEAT_FACTS_TTL_S = 15.0


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
        self._seat_facts: dict[int, tuple[float, PerformanceFacts]] = {}
        self._seat_facts_lock = asyncio.Lock()

    def readiness(self) -> Readiness:
        s, m = self.state, self.membership
        checks: dict[str, str] = {}
        checks["role"] = "ok" if m.role is Role.ACTIVE else m.role.value
        checks["config"] = "ok" if s.config_ok else f"refused edit: {s.config_error}"
        checks["store"] = "ok" if m.store_ok else "the state store does not answer"
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
            "units": {
                key: {
                    "performances": list(u.job.performance_ids),
                    "every_s": u.job.every_s,
                    "failures": u.failures,
                    "last_ending": u.last_ending,
                    "next_run": u.next_at.isoformat() if u.next_at else None,
                    "reason": u.next.reason if u.next else "first run",
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

    def forget_seat_facts(self, performance_ids: tuple[int, ...]) -> None:
        """A run of these performances ended: what the map shows may have changed."""
        for pid in performance_ids:
            self._seat_facts.pop(pid, None)

    async def seat_facts(self, pid: int) -> PerformanceFacts | None:
        """Every seat of ``pid`` as ``seatbridge explain`` sees it, for the page's map.

        It reads the vendors (the unit's holds, the seat map, one seats.io report), so an answer
        is kept :data:`SEAT_FACTS_TTL_S`, or until the unit's next run ends, and concurrent page
        loads share one read; a failed read raises its BridgeError for the page to show."""
        rt = self.rt
        if rt is None:
            return None
        cached = self._fresh_facts(pid)
        if cached is not None:
            return cached
        async with self._seat_facts_lock:
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
