"""The daemon: `seatbridge run` keeps every performance in sync, unattended.

One process, one event loop. APScheduler 3.11's ``AsyncIOScheduler`` holds a job per unit (a
season's performances together, or one performance), plus discovery, the config watcher and the
journal pruner. Each unit job reconciles its unit under a hard timeout, then reschedules itself
from what the unit said (:mod:`bridge.daemon.schedule`).

On an SQLite store (one host) one daemon is active (the writer lease); another one on the same
file stands by until that lease lapses. On a shared store (PostgreSQL) every instance is active
and they split the units: each announces itself every third of a lease period, reads who else is
live (a killed instance's database session is gone at once), and runs only the units that
rendezvous hashing gives it (:func:`bridge.daemon.schedule.owner_of`); the performance leases
still make sure no unit is applied by two instances at once.

Everything here is shell: the decisions are in :mod:`bridge.daemon.schedule`,
:mod:`bridge.reconcile` and :mod:`bridge.daemon.reload`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bridge.config import BridgeConfig
from bridge.core.explain import PerformanceFacts
from bridge.core.outcome import ErrorKind, Requeue, RunReport, UnitResult
from bridge.daemon import notes, overview
from bridge.daemon.metrics import BridgeMetrics
from bridge.daemon.reload import ConfigWatcher, restart_needed
from bridge.daemon.schedule import Backoff, NextRun, UnitJob, jobs_for, next_run, owner_of
from bridge.daemon.web import HttpServer, Readiness, build_app, check_exposure
from bridge.errors import BridgeError, ConfigError
from bridge.http import Exchange, observe_requests
from bridge.logs import configure
from bridge.provision.sync import apply as seasons_apply
from bridge.provision.sync import plan_for as seasons_plan_for
from bridge.reconcile.discovery import discover_starts
from bridge.reconcile.explain_gather import explain_performance
from bridge.reconcile.leases import Liveness, holder_liveness, instance_id
from bridge.reconcile.run import Reconciler
from bridge.runtime import Runtime, connect, reconciler_for
from bridge.store.base import WRITER_LEASE, SyncOutcome

#: how long the page's per-seat facts are reused before the vendors are read again
SEAT_FACTS_TTL_S = 15.0

log = structlog.get_logger("seatbridge.daemon")

#: Exit code when ``--no-standby`` finds another daemon active on the store (EX_TEMPFAIL).
EXIT_OTHER_ACTIVE = 75
#: How long an instance on a shared store waits after announcing itself before it runs units.
STARTUP_SETTLE_S = 2.0
#: The pseudo-unit whose owner runs `seasons sync` during discovery on a shared store: creating
#: seats.io events is done by one instance, not raced by all of them.
SEASONS_SYNC_UNIT = "seasons-sync"


@dataclass
class UnitState:
    """What the daemon remembers of a unit between runs."""

    job: UnitJob
    failures: int = 0
    next: NextRun | None = None
    next_at: datetime | None = None
    waits_for_config: bool = False


@dataclass
class DaemonState:
    """What /readyz, /status and `seatbridge status` report."""

    role: str = "starting"
    config_ok: bool = True
    config_error: str = ""
    last_discovery: datetime | None = None
    discovery_error: str = ""
    store_ok: bool = True
    #: settings edited since the start that take effect only at the next restart
    restart_pending: list[str] = field(default_factory=list)
    units: dict[str, UnitState] = field(default_factory=dict)


class Daemon:
    """``seatbridge run``: see the module docstring. ``now`` is injectable for the decisions it
    makes itself; APScheduler keeps wall-clock time for when jobs fire."""

    def __init__(
        self,
        config_path: Path,
        cfg: BridgeConfig,
        *,
        standby: bool = True,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: random.Random | None = None,
    ) -> None:
        self.config_path = config_path
        self.cfg = cfg
        self._started_cfg = cfg  # what connections, the server and the scheduler were built from
        self._seat_facts: dict[int, tuple[float, PerformanceFacts]] = {}
        self._seat_facts_lock = asyncio.Lock()
        self.standby_allowed = standby
        self.now = now
        self.rng = rng or random.Random()
        self.holder = instance_id()
        self.state = DaemonState()
        self.metrics = BridgeMetrics(now=now)
        self.watcher = ConfigWatcher(config_path, cfg)
        self.stop = asyncio.Event()
        self.hard_stop = asyncio.Event()
        self._signals = 0
        self._reload_now = asyncio.Event()
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._starts: dict[int, datetime | None] = {}
        self._scheduler: AsyncIOScheduler | None = None
        self._rt: Runtime | None = None
        self._reconciler: Reconciler | None = None
        self._gate: asyncio.Semaphore | None = None
        #: set when another daemon took the writer lease: exit 1, to come back as standby
        self._lost_role = False
        #: on a shared store, the units this instance runs and the live instances it knows of;
        #: None on SQLite, where the active daemon runs every unit
        self._owned: set[str] | None = None
        self._live: list[str] = [self.holder]
        #: unit key (None: every unit) -> monotonic time before which it must not run: it was
        #: taken from a daemon that died, whose last requests may still be running at seats.io
        self._quiet_until: dict[str | None, float] = {}
        #: where the HTTP server listens, with the port it bound (``[http] listen`` may say 0)
        self.listen = cfg.http.listen

    # -- settings that follow the config ---------------------------------------------------------

    @property
    def backoff(self) -> Backoff:
        d = self.cfg.daemon
        return Backoff(
            base_s=d.backoff_base_s,
            cap_s=d.backoff_cap_s,
            jitter_share=d.jitter_share,
            terminal_recheck_s=d.terminal_recheck_s,
        )

    # -- lifetime ---------------------------------------------------------------------------------

    async def run(self) -> int:
        """Run until SIGTERM/SIGINT; the exit code."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_stop_signal, sig)
        loop.add_signal_handler(signal.SIGHUP, self._reload_now.set)
        token = self.cfg.http_token.get_secret_value() if self.cfg.http_token else None
        check_exposure(self.cfg.http.listen, token)  # before anything starts: a ConfigError
        unobserve = observe_requests(self._observe)
        app = build_app(
            self.readiness,
            self.metrics,
            self.status,
            overview=self.overview,
            performance=self.performance,
            seat_facts=self.seat_facts,
            token=token,
        )
        http = HttpServer(app, self.cfg.http.listen)
        try:
            await http.start()
            host = self.cfg.http.listen.rsplit(":", 1)[0]
            self.listen = f"{host}:{http.port}"
            log.info("listening", listen=self.listen)
            async with connect(self.cfg) as rt:
                self._rt = rt
                return await self._serve(rt)
        finally:
            unobserve()
            await http.stop()
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(sig)

    def _on_stop_signal(self, sig: signal.Signals) -> None:
        self._signals += 1
        if self._signals == 1:
            log.info("stopping: no new runs; runs in flight get the grace period", signal=sig.name)
            self.stop.set()
        else:
            log.warning("second signal: stopping at once", signal=sig.name)
            self.hard_stop.set()
            self.stop.set()

    async def _serve(self, rt: Runtime) -> int:
        if rt.store.shared:
            self._owned = set()
            self._set_role(rt, "active")
            self._note_recent_deaths(rt)
            await self._keep_membership()
            # instances started together see each other before any runs a unit: otherwise each
            # would run every unit until its next heartbeat, and the others' leases would turn
            # most of that into work done twice or refused
            settle = min(STARTUP_SETTLE_S, self.cfg.daemon.writer_lease_ttl_s / 3)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), timeout=settle)
            await self._keep_membership()
        elif not await self._become_active(rt):
            return EXIT_OTHER_ACTIVE if not self.standby_allowed else 0
        self._reconciler = reconciler_for(self.cfg, rt.tessitura, rt.seatsio, rt.store)
        self._gate = asyncio.Semaphore(self.cfg.daemon.max_units_in_flight)
        scheduler = self._scheduler = AsyncIOScheduler(
            executors={"default": AsyncIOExecutor()},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(self.cfg.daemon.misfire_grace_s),
            },
            timezone=UTC,
        )
        d = self.cfg.daemon
        scheduler.add_job(
            self._discover,
            IntervalTrigger(seconds=self.cfg.schedule.discovery_every_s),
            id="discovery",
            next_run_time=datetime.now(UTC),
        )
        scheduler.add_job(
            self._check_config, IntervalTrigger(seconds=d.reload_poll_s), id="config-watch"
        )
        scheduler.add_job(
            self._keep_writer_role if self._owned is None else self._keep_membership,
            IntervalTrigger(seconds=d.writer_lease_ttl_s / 3),
            id="writer-lease" if self._owned is None else "membership",
        )
        scheduler.add_job(
            self._prune, IntervalTrigger(hours=6), id="prune", next_run_time=datetime.now(UTC)
        )
        scheduler.start()
        try:
            await self._wait_for_stop()
        finally:
            # pause first: shutdown() cancels the jobs in flight at once (AsyncIOExecutor), which
            # would cut the grace period short; they get it in _drain, then shutdown finds none
            scheduler.pause()
            await self._drain()
            scheduler.shutdown(wait=False)
            self._release_role(rt)
        return 0 if not self._lost_role else 1

    async def _wait_for_stop(self) -> None:
        while not self.stop.is_set():
            reload = asyncio.ensure_future(self._reload_now.wait())
            stop = asyncio.ensure_future(self.stop.wait())
            await asyncio.wait({reload, stop}, return_when=asyncio.FIRST_COMPLETED)
            for t in (reload, stop):
                t.cancel()
            if self._reload_now.is_set() and not self.stop.is_set():
                self._reload_now.clear()
                log.info("SIGHUP: reloading the config")
                await self._check_config(force=True)

    async def _drain(self) -> None:
        """Let runs in flight finish within the grace period (or until a second signal), then
        cancel them: they stop at their next await, their leases are released, and the journal
        lets the next start settle what they left."""
        pending = {t for t in self._in_flight if not t.done()}
        if not pending:
            return
        loop = asyncio.get_running_loop()
        grace = self.cfg.daemon.stop_grace_s
        deadline = loop.time() + grace
        log.info("waiting for runs in flight", runs=len(pending), grace_s=grace)
        hard = asyncio.ensure_future(self.hard_stop.wait())
        try:
            while pending and not hard.done() and loop.time() < deadline:
                _, pending = await asyncio.wait(
                    pending | {hard},
                    timeout=deadline - loop.time(),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                pending.discard(hard)
        finally:
            hard.cancel()
        if pending:
            log.warning("cancelling runs still in flight", runs=len(pending))
            for t in pending:
                t.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    # -- the writer role --------------------------------------------------------------------------

    async def _become_active(self, rt: Runtime) -> bool:
        """Take the writer lease, waiting as a standby while another live daemon has it."""
        ttl = self.cfg.daemon.writer_lease_ttl_s
        announced = False
        while not self.stop.is_set():
            if self._take_role(rt, ttl):
                self._set_role(rt, "active")
                return True
            other = rt.store.lease_holder(WRITER_LEASE) or "another daemon"
            if not self.standby_allowed:
                log.error("another daemon is active on this store", holder=other)
                return False
            if not announced:
                log.info("standing by: another daemon is active on this store", holder=other)
                self._set_role(rt, "standby")
                announced = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), timeout=ttl / 3)
        return False

    def _take_role(self, rt: Runtime, ttl: float) -> bool:
        store = rt.store
        if store.acquire_lease(WRITER_LEASE, self.holder, ttl):
            return True
        current = store.lease_holder(WRITER_LEASE)
        if current is not None and holder_liveness(current) is Liveness.DEAD:
            log.info("taking over from a dead daemon", dead=current)
            taken = store.acquire_lease(WRITER_LEASE, self.holder, ttl, reclaim_from=current)
            if taken:
                self._stay_quiet(None)
            return taken
        return False

    @property
    def dead_grace_s(self) -> float:
        """How long a request of a daemon that died may still run at seats.io: ``[daemon]
        takeover_wait_s``, by default one timeout for the client to give up and one for the
        server to finish (the lane slots assume the same)."""
        wait = self.cfg.daemon.takeover_wait_s
        return 2 * self.cfg.seatsio.timeout_s if wait is None else wait

    def _stay_quiet(self, key: str | None) -> float:
        """No write to ``key`` (None: any unit) before :attr:`dead_grace_s` from now: a daemon
        that died may have left requests running at seats.io, and one landing after ours would
        undo it (the chaos soak saw a dead instance's channel change land after its successor's).
        Returns the delay."""
        self._quiet_until[key] = time.monotonic() + self.dead_grace_s
        log.info(
            "waiting out a dead daemon's requests", unit=key or "all", wait_s=self.dead_grace_s
        )
        return self.dead_grace_s

    def _quiet_left(self, key: str) -> float:
        now = time.monotonic()
        return max(0.0, *(self._quiet_until.get(k, 0.0) - now for k in (key, None)))

    async def _keep_writer_role(self) -> None:
        rt = self._rt
        assert rt is not None
        try:
            ok = rt.store.renew_lease(WRITER_LEASE, self.holder, self.cfg.daemon.writer_lease_ttl_s)
        except Exception as exc:  # a busy store: the next renewal decides
            log.warning("writer lease renewal failed", error=str(exc))
            self.state.store_ok = False
            return
        self.state.store_ok = True
        if not ok:
            log.error("lost the writer role to another daemon: stopping, to come back as standby")
            self._lost_role = True
            self.stop.set()

    def _release_role(self, rt: Runtime) -> None:
        with contextlib.suppress(Exception):
            if self._owned is None:
                rt.store.release_lease(WRITER_LEASE, self.holder)
            else:  # the others take our units at their next heartbeat, not a lease period later
                rt.store.retire_instance(self.holder)
            notes.drop_role(rt.store, self.holder)
        self.metrics.role(False)

    # -- splitting the units between instances (a shared store) ----------------------------------

    async def _keep_membership(self) -> None:
        """Announce this instance, read which instances are live, and take or hand over units."""
        rt = self._rt
        assert rt is not None and self._owned is not None
        try:
            rt.store.announce_instance(self.holder, self.listen, sorted(self._owned))
            rows = rt.store.instances(notes.INSTANCE_STALE_S)
        except Exception as exc:  # the store is down: runs fail at their leases anyway
            log.warning("instance heartbeat failed", error=str(exc))
            self.state.store_ok = False
            return
        self.state.store_ok = True
        live = {i.holder for i in rows if i.live} | {self.holder}  # a lagging store: not us dead
        # gone without retiring (a clean stop retires its row): its requests may still run
        died = {i.holder for i in rows if not i.live} & set(self._live)
        if sorted(live) != self._live:
            log.info("instances on this venue", live=sorted(live), died=sorted(died))
        before = self._live
        self._live = sorted(live)
        self._share_units(before, died)

    def _note_recent_deaths(self, rt: Runtime) -> None:
        """At start on a shared store: an instance that died moments ago (its row not live, seen
        recently) may have left requests running at seats.io; no unit runs before they are over."""
        try:
            rows = rt.store.instances(notes.INSTANCE_STALE_S)
        except Exception:
            return
        if any(not i.live and i.holder != self.holder for i in rows):
            self._stay_quiet(None)

    def _share_units(self, before: list[str] | None = None, died: set[str] | None = None) -> None:
        """Recompute which units are ours; a unit just taken over runs at once, or, taken from
        an instance that died, once that instance's requests are surely over."""
        if self._owned is None:
            return
        owned = {k for k in self.state.units if owner_of(k, self._live) == self.holder}
        gained, lost = owned - self._owned, self._owned - owned
        self._owned = owned
        scheduler = self._scheduler
        for key in sorted(gained):
            log.info("unit taken", unit=key, instances=len(self._live))
            delay = 0.0
            if died and before and owner_of(key, before) in died:
                delay = self._stay_quiet(key)
            if scheduler is not None and not self.stop.is_set():
                with contextlib.suppress(Exception):
                    scheduler.modify_job(
                        key, next_run_time=datetime.now(UTC) + timedelta(seconds=delay)
                    )
        for key in sorted(lost):
            log.info("unit handed over", unit=key, to=owner_of(key, self._live))
        self.metrics.ownership(len(owned), len(self._live))
        if gained or lost:
            self._note_next_runs()

    def runs_here(self, key: str) -> bool:
        """Whether this instance runs the unit ``key`` (always, on an SQLite store)."""
        return self._owned is None or key in self._owned

    def _set_role(self, rt: Runtime, role: str) -> None:
        self.state.role = role
        self.metrics.role(role == "active")
        notes.put_role(rt.store, self.holder, role, self.listen)

    # -- discovery and the unit jobs --------------------------------------------------------------

    async def _discover(self) -> None:
        rt, scheduler, reconciler = self._rt, self._scheduler, self._reconciler
        assert rt is not None and scheduler is not None and reconciler is not None
        now = self.now()
        if (
            self.cfg.discovery.seasons_sync
            and self.cfg.tables.seasons
            and (self._owned is None or owner_of(SEASONS_SYNC_UNIT, self._live) == self.holder)
        ):
            await self._sync_seasons(rt, now)
        try:
            known = {p: s for p, s in self._starts.items() if s is not None}
            starts = await discover_starts(
                self.cfg.tables, self.cfg.discovery, rt.tessitura, now=now, known=known
            )
        except BridgeError as exc:
            self.state.discovery_error = str(exc)
            log.warning("discovery failed; the schedule stays as it was", error=str(exc))
            return
        self._starts = starts
        self.state.last_discovery, self.state.discovery_error = now, ""
        margin = timedelta(hours=self.cfg.daemon.ended_margin_hours)
        wanted = jobs_for(
            reconciler.units(starts), starts, now, self.cfg.schedule.every_s_for, margin
        )
        for key in set(self.state.units) - set(wanted):
            log.info("unit leaves the schedule", unit=key)
            with contextlib.suppress(Exception):
                scheduler.remove_job(key)
            for pid in self.state.units.pop(key).job.performance_ids:
                self.metrics.forget(pid)
        for key, job in wanted.items():
            unit = self.state.units.get(key)
            if unit is None:
                self.state.units[key] = UnitState(job)
                first = datetime.now(UTC) + timedelta(
                    seconds=self.rng.uniform(0, min(job.every_s, 5.0))
                )
                scheduler.add_job(
                    self._run_unit,
                    IntervalTrigger(seconds=job.every_s),
                    args=(key,),
                    id=key,
                    next_run_time=first,
                )
                log.info("unit scheduled", unit=key, every_s=job.every_s)
            elif unit.job != job:
                unit.job = job
                scheduler.reschedule_job(key, trigger=IntervalTrigger(seconds=job.every_s))
        self.metrics.scheduled_units(len(self.state.units))
        self._share_units()

    async def _sync_seasons(self, rt: Runtime, now: datetime) -> None:
        """`seatbridge seasons sync` as part of discovery: create what a Tessitura season needs
        in seats.io, so a new performance is synced within one discovery cycle. A failure is
        logged and counted; discovery and every unit go on."""
        try:
            plan = await seasons_plan_for(self.cfg, rt.tessitura, rt.seatsio, now=now)
            results = await seasons_apply(rt.seatsio, plan.calls)
        except BridgeError as exc:
            self.metrics.seasons_sync("error")
            log.warning("seasons sync failed; discovery goes on", error=str(exc))
            return
        for f in plan.findings:
            log.warning("seasons sync: " + f.message, kind=f.kind, level=f.level.value)
        failed = [r for r in results if r.error]
        for r in results:
            if r.error:
                log.error("seasons sync call failed", call=r.call.describe(), error=r.error)
            else:
                log.info("seasons sync call made", call=r.call.describe())
        self.metrics.seasons_sync(
            "error" if failed or plan.failed else ("applied" if results else "unchanged")
        )

    async def _run_unit(self, key: str) -> None:
        unit = self.state.units.get(key)
        gate, reconciler = self._gate, self._reconciler
        if unit is None or gate is None or reconciler is None or self.stop.is_set():
            return
        if not self.runs_here(key):
            return  # another instance runs it (see _share_units)
        wait = self._quiet_left(key)
        if wait > 0:  # taken from a daemon that died: see _stay_quiet
            if self._scheduler is not None:
                with contextlib.suppress(Exception):
                    self._scheduler.modify_job(
                        key, next_run_time=datetime.now(UTC) + timedelta(seconds=wait)
                    )
            return
        task = asyncio.current_task()
        assert task is not None
        self._in_flight.add(task)
        try:
            async with gate:
                if self.stop.is_set():
                    return
                self.metrics.units_in_flight(+1)
                try:
                    requeue, result = await self._reconcile(reconciler, unit)
                finally:
                    self.metrics.units_in_flight(-1)
            self._after_run(key, unit, requeue, result)
        except asyncio.CancelledError:
            if not self.stop.is_set():
                raise
            # cancelled by _drain after the grace period: expected, not a job failure to log
            log.info("run cancelled at stop; the next start settles it", unit=key)
        finally:
            self._in_flight.discard(task)

    async def _reconcile(self, reconciler: Reconciler, unit: UnitState) -> tuple[Requeue, str]:
        ids = list(unit.job.performance_ids)
        timeout = self.cfg.daemon.run_timeout_s
        with structlog.contextvars.bound_contextvars(unit_key=unit.job.key):
            try:
                async with asyncio.timeout(timeout):
                    report = await reconciler.reconcile(ids, apply=True)
            except TimeoutError:
                log.error("run timed out and was cancelled", timeout_s=timeout)
                self.metrics.unit_reconciled("timeout")
                return Requeue(
                    ErrorKind.RETRYABLE, None, f"timed out after {timeout:g} s"
                ), "timeout"
            except ConfigError as exc:  # credentials: nothing else can succeed either
                log.error("run refused by configuration", error=str(exc))
                self.metrics.unit_reconciled("error")
                return Requeue(ErrorKind.TERMINAL, None, str(exc)), "error"
        self._count(report)
        # the worst of the units' errors (a unit leased elsewhere is not an error: see requeue)
        errors = [e for u in report.units if not u.leased_elsewhere for e in u.all_errors]
        return Requeue.of(errors), _result_of(report)

    def _count(self, report: RunReport) -> None:
        now = self.now()
        for u in report.units:
            self.metrics.unit_reconciled(_unit_result(u))
            self.metrics.conflicts(
                sum(1 for f in u.plan.findings if f.severity.value == "conflict")
            )
            for r in u.outcome.results if u.outcome else []:
                self.metrics.operation(r.op.kind.value, r.state)
                if r.state == "done" and r.op.labels:
                    self.metrics.objects(r.op.kind.value, len(r.op.labels))
            if not u.all_errors and not u.leased_elsewhere:
                for pid in u.performance_ids:
                    self.metrics.synced(pid, now)
        rt = self._rt
        if rt is not None:
            for u in report.units:
                for pid in u.performance_ids:
                    target = self.cfg.tables.target_for(pid)
                    if target is not None:
                        with contextlib.suppress(Exception):
                            left = rt.store.for_sale_calls_left(target.event_key)
                            self.metrics.for_sale_edits_left(target.event_key, left)

    def _after_run(self, key: str, unit: UnitState, requeue: Requeue, result: str) -> None:
        for pid in unit.job.performance_ids:  # the run may have changed what the map shows
            self._seat_facts.pop(pid, None)
        unit.failures = 0 if requeue.kind is None else unit.failures + 1
        nxt = next_run(requeue, unit.failures, unit.job.every_s, self.backoff, self.rng)
        unit.next, unit.waits_for_config = nxt, nxt.waits_for_config
        unit.next_at = self.now() + timedelta(seconds=nxt.delay_s)
        scheduler = self._scheduler
        if scheduler is not None and not self.stop.is_set():
            with contextlib.suppress(Exception):
                scheduler.modify_job(
                    key, next_run_time=datetime.now(UTC) + timedelta(seconds=nxt.delay_s)
                )
        if requeue.kind is not None:
            log.warning(
                "unit will retry",
                unit=key,
                result=result,
                next_in_s=round(nxt.delay_s, 1),
                reason=nxt.reason,
            )
        self._note_next_runs()

    def _note_next_runs(self) -> None:
        rt = self._rt
        if rt is None:
            return
        runs = {
            pid: notes.NextRun(
                u.next_at, u.next.reason if u.next else "first run", u.waits_for_config
            )
            for key, u in self.state.units.items()
            if self.runs_here(key)
            for pid in u.job.performance_ids
        }
        with contextlib.suppress(Exception):
            notes.put_next_runs(rt.store, self.holder, runs)

    # -- config reload and housekeeping -----------------------------------------------------------

    async def _check_config(self, force: bool = False) -> None:
        reload = self.watcher.check(force=force)
        if reload is None:
            return
        self.metrics.config_reload(reload.result)
        rt = self._rt
        if reload.result == "refused":
            self.state.config_ok = False
            self.state.config_error = "; ".join(reload.errors)
            log.error(
                "config edit refused; the last good config keeps running", errors=reload.errors
            )
            if rt is not None:
                with contextlib.suppress(Exception):
                    notes.put_refused_config(rt.store, self.now(), reload.errors)
            return
        self.state.config_ok, self.state.config_error = True, ""
        if rt is not None:
            with contextlib.suppress(Exception):
                notes.clear_refused_config(rt.store)
        if reload.result != "applied" or reload.config is None:
            return
        log.info("config reloaded", changes=reload.changes)
        self.cfg = reload.config
        configure(self.cfg.log.level, self.cfg.log.format)
        pending = restart_needed(self._started_cfg, self.cfg)
        if pending:
            log.warning("these settings take effect at the next restart", settings=pending)
        self.state.restart_pending = pending
        if rt is not None:
            self._reconciler = reconciler_for(self.cfg, rt.tessitura, rt.seatsio, rt.store)
        scheduler = self._scheduler
        for key, unit in self.state.units.items():  # terminal waits end with a config change
            if unit.waits_for_config and scheduler is not None:
                unit.waits_for_config = False
                with contextlib.suppress(Exception):
                    scheduler.modify_job(key, next_run_time=datetime.now(UTC))
        await self._discover()

    async def _prune(self) -> None:
        rt = self._rt
        if rt is None:
            return
        cutoff = self.now() - timedelta(days=self.cfg.daemon.keep_runs_days)
        try:
            gone = rt.store.prune_runs(cutoff)
        except Exception as exc:
            log.warning("pruning the journal failed", error=str(exc))
            return
        if gone:
            log.info("journal pruned", runs=gone, before=cutoff.isoformat())

    # -- what the HTTP server shows ---------------------------------------------------------------

    def _observe(self, exchange: Exchange) -> None:
        self.metrics.api_request(
            exchange.vendor, exchange.endpoint, exchange.status, exchange.elapsed_s, exchange.error
        )
        if exchange.status == 429:
            self.metrics.rate_limited(exchange.vendor, exchange.lane or "default")

    def readiness(self) -> Readiness:
        s = self.state
        checks: dict[str, str] = {}
        checks["role"] = "ok" if s.role == "active" else s.role
        checks["config"] = "ok" if s.config_ok else f"refused edit: {s.config_error}"
        checks["store"] = "ok" if s.store_ok else "the state store does not answer"
        limit = timedelta(seconds=3 * self.cfg.schedule.discovery_every_s)
        if s.last_discovery is None:
            checks["discovery"] = "not yet run" + (
                f": {s.discovery_error}" if s.discovery_error else ""
            )
        elif self.now() - s.last_discovery > limit:
            checks["discovery"] = (
                f"last succeeded at {s.last_discovery.isoformat()}: {s.discovery_error}"
            )
        else:
            checks["discovery"] = "ok"
        return Readiness(all(v == "ok" for v in checks.values()), checks)

    def overview(self) -> dict[str, object]:
        """The status page's data: :meth:`status` with the store's performances and daemons."""
        rt = self._rt
        return overview.overview(rt.store if rt is not None else None, self.status())

    def performance(self, pid: int) -> dict[str, object] | None:
        """One performance's page data (see :func:`bridge.daemon.overview.performance_detail`)."""
        rt = self._rt
        target = self.cfg.tables.target_for(pid)
        keys = [k for k in (target.event_key, target.season_key) if k] if target else []
        return overview.performance_detail(
            rt.store if rt is not None else None, pid, self.status(), keys
        )

    async def seat_facts(self, pid: int) -> PerformanceFacts | None:
        """Every seat of ``pid`` as ``seatbridge explain`` sees it, for the page's map.

        It reads the vendors (the unit's holds, the seat map, one seats.io report), so an answer
        is kept :data:`SEAT_FACTS_TTL_S`, or until the unit's next run ends, and concurrent page
        loads share one read; a failed read raises its BridgeError for the page to show."""
        rt = self._rt
        if rt is None:
            return None
        cached = self._seat_facts.get(pid)
        if cached is not None and time.monotonic() - cached[0] < SEAT_FACTS_TTL_S:
            return cached[1]
        async with self._seat_facts_lock:
            cached = self._seat_facts.get(pid)
            if cached is not None and time.monotonic() - cached[0] < SEAT_FACTS_TTL_S:
                return cached[1]
            # the config in force now (a reload may have changed the tables since the start)
            facts = await explain_performance(
                dataclasses.replace(rt, cfg=self.cfg).reconciler(), pid
            )
            self._seat_facts[pid] = (time.monotonic(), facts)
            return facts

    def status(self) -> dict[str, object]:
        s = self.state
        return {
            "role": s.role,
            "holder": self.holder,
            "instances": list(self._live) if self._owned is not None else [self.holder],
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
                    "next_run": u.next_at.isoformat() if u.next_at else None,
                    "reason": u.next.reason if u.next else "first run",
                    "instance": self.holder if self.runs_here(key) else owner_of(key, self._live),
                }
                for key, u in sorted(s.units.items())
            },
        }


def _unit_result(u: UnitResult) -> str:
    if u.leased_elsewhere:
        return "leased_elsewhere"
    if u.all_errors:
        return "error"
    if any(f.kind.value == "mass_release_refused" for f in u.plan.findings):
        return "refused"
    if any(f.severity.value == "conflict" for f in u.plan.findings):
        return "conflicts"
    return SyncOutcome.CONVERGED.value


def _result_of(report: RunReport) -> str:
    results = {_unit_result(u) for u in report.units}
    for r in ("error", "refused", "conflicts", "leased_elsewhere"):
        if r in results:
            return r
    return "converged"
