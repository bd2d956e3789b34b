"""The daemon: `seatbridge run` keeps every performance in sync, unattended.

One process, one event loop. APScheduler 3.11 (:class:`~bridge.daemon.scheduler.SteadyScheduler`,
on monotonic time) holds a job per unit (a season's performances together, or one performance),
plus discovery, the config watcher, the role keeper and the journal pruner. Each unit job
reconciles its unit under a hard timeout, then reschedules itself from what the unit said
(:mod:`bridge.daemon.schedule`). Two tasks beside the schedule, on the event loop's own monotonic
sleeps: the clock watch (a wall-clock step is logged and counted; the schedule does not feel it)
and systemd's watchdog (:mod:`bridge.daemon.systemd`).

This module keeps the daemon's lifetime (start, drain, stop), its schedule and config reloads.
Who runs which unit is :class:`bridge.daemon.membership.Membership`'s; what the HTTP server shows
is :class:`bridge.daemon.status_view.StatusView`'s; how a unit ended is
:func:`bridge.core.outcome.ending_of`'s. Everything here is shell: the decisions are in
:mod:`bridge.daemon.schedule`, :mod:`bridge.daemon.membership`, :mod:`bridge.reconcile` and
:mod:`bridge.daemon.reload`.
"""

from __future__ import annotations

import asyncio
import random
import signal
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.jobstores.base import JobLookupError

from bridge.clock import SYSTEM, Clock, StepWatch, Timeline
from bridge.config import BridgeConfig
from bridge.core.happenings import Alert
from bridge.core.outcome import Ending, ErrorKind, Requeue, RunReport
from bridge.daemon import notes
from bridge.daemon.activity import Activity
from bridge.daemon.health import STORE_TIMEOUT_S, in_thread, on_loop
from bridge.daemon.membership import Handover, Membership, Renewal, Role
from bridge.daemon.metrics import BridgeMetrics, unit_kind
from bridge.daemon.notify import FLUSH_S, Notifications
from bridge.daemon.reload import ConfigWatcher, restart_needed
from bridge.daemon.schedule import (
    Backoff,
    failures_after,
    jobs_for,
    next_run,
    owner_of,
    regrouped,
)
from bridge.daemon.scheduler import SteadyScheduler
from bridge.daemon.state import DaemonState, UnitState
from bridge.daemon.status_view import StatusView
from bridge.daemon.sync_now import (
    SyncAnswer,
    SyncRequests,
    accepted,
    not_here,
    not_scheduled,
)
from bridge.daemon.systemd import Notifier
from bridge.daemon.web import HttpServer, build_app, check_exposure
from bridge.errors import BridgeError, ConfigError
from bridge.http import Exchange, observe_requests
from bridge.logs import configure
from bridge.provision.sync import sync_seasons
from bridge.reconcile.discovery import discover_starts
from bridge.reconcile.leases import instance_id
from bridge.reconcile.run import Reconciler, synced_performances
from bridge.runtime import Runtime, connect, reconciler_for
from bridge.store.base import WRITER_LEASE, PerformanceStatus, StateStore, SyncOutcome

log = structlog.get_logger("seatbridge.daemon")

#: Exit code when ``--no-standby`` finds another daemon active on the store (EX_TEMPFAIL).
EXIT_OTHER_ACTIVE = 75
#: How long an instance on a shared store waits after announcing itself before it runs units.
STARTUP_SETTLE_S = 2.0
#: The pseudo-unit whose owner runs `seasons sync` during discovery on a shared store: creating
#: seats.io events is done by one instance, not raced by all of them.
SEASONS_SYNC_UNIT = "seasons-sync"
#: How often the clock watch compares the wall clock with the monotonic one.
CLOCK_WATCH_EVERY_S = 1.0
#: How often a standby tries the writer lease (a third of the lease period when that is
#: shorter): a clean stop releases it, and the standby takes over within this, not a heartbeat.
STANDBY_POLL_S = 1.0


def dead_grace_s(cfg: BridgeConfig) -> float:
    """How long a request of a daemon that died may still run at seats.io: ``[daemon]
    takeover_wait_s``, by default one timeout for the client to give up and one for the server
    to finish (the lane slots assume the same)."""
    wait = cfg.daemon.takeover_wait_s
    return 2 * cfg.seatsio.timeout_s if wait is None else wait


class Daemon:
    """``seatbridge run``: see the module docstring. ``clock`` serves every decision the daemon
    makes itself; its monotonic time (:attr:`timeline`) is when jobs fire, its wall time what
    people read. ``notifier``: systemd's (from the environment by default)."""

    def __init__(
        self,
        config_path: Path,
        cfg: BridgeConfig,
        *,
        standby: bool = True,
        clock: Clock = SYSTEM,
        rng: random.Random | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self.config_path = config_path
        self.cfg = cfg
        self._started_cfg = cfg  # what connections, the server and the scheduler were built from
        self.standby_allowed = standby
        self.clock = clock
        #: the schedule's time: never steps, whatever the wall clock does
        self.timeline = Timeline(clock)
        self.notifier = notifier if notifier is not None else Notifier.from_env()
        self.rng = rng or random.Random()
        self.state = DaemonState()
        self.membership = Membership(
            instance_id(), shared=False, grace_s=dead_grace_s(cfg), clock=clock
        )
        self.view = StatusView(cfg, self.state, self.membership, clock=clock)
        self.metrics = BridgeMetrics(clock=clock)
        #: the webhooks' notifier; ``[notify]`` webhooks take effect at restart
        #: (bridge.daemon.reload.RESTART_ONLY)
        self.notifications = Notifications.from_config(
            cfg, instance=self.membership.holder, clock=clock, count=self.metrics.notification
        )
        #: where alerts go: the webhooks' notifier (it queues and returns at once)
        self.alert_sink: Callable[[Alert], None] = self.notifications.alert
        self.activity = Activity(
            self.state,
            self.metrics,
            error_after=lambda: self.cfg.notify.error_after_cadences,
            alert=self._alert,
            settled=self.notifications.settle,
            clock=clock,
        )
        self.watcher = ConfigWatcher(config_path, cfg)
        self.stop = asyncio.Event()
        self.hard_stop = asyncio.Event()
        self._signals = 0
        self._reload_now = asyncio.Event()
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._starts: dict[int, datetime | None] = {}
        self._scheduler: SteadyScheduler | None = None
        self._rt: Runtime | None = None
        self._reconciler: Reconciler | None = None
        self._gate: asyncio.Semaphore | None = None
        self._syncs = SyncRequests()  # "sync now" requests (bridge.daemon.sync_now)
        #: where the HTTP server listens, with the port it bound (``[http] listen`` may say 0)
        self.listen = cfg.http.listen

    @property
    def holder(self) -> str:
        """This daemon's instance id (host, pid and a random tag)."""
        return self.membership.holder

    @property
    def backoff(self) -> Backoff:
        d = self.cfg.daemon
        return Backoff(
            base_s=d.backoff_base_s,
            cap_s=d.backoff_cap_s,
            cadence_factor=d.backoff_cadence_factor,
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
        view = self.view
        # the server answers from a thread of its own: the probes read memory and the pages hop
        # here for the daemon's state, so a loop blocked in a store call still gets /healthz
        # saying so (see bridge.daemon.health)
        view.loop = loop
        beat = asyncio.create_task(view.beat.run(), name="loop heartbeat")
        app = build_app(
            view.readiness,
            self.metrics,
            view.status_page,
            overview=view.overview_page,
            performance=view.performance_page,
            seat_facts=view.seat_facts_page,
            liveness=view.liveness,
            sync=lambda pid: on_loop(loop, lambda: self.sync_now(pid)),
            token=token,
            clock=self.clock,
        )
        http = HttpServer(app, self.cfg.http.listen, clock=self.clock, own_thread=True)
        # beside the schedule, on the loop's monotonic sleeps: systemd's watchdog, the clock watch
        beside = [
            asyncio.ensure_future(self._keep_watchdog()),
            asyncio.ensure_future(self._watch_clock()),
        ]
        self.notifications.start()
        try:
            await http.start()
            host = self.cfg.http.listen.rsplit(":", 1)[0]
            self.listen = f"{host}:{http.port}"
            log.info("listening", listen=self.listen)
            async with connect(self.cfg, clock=self.clock) as rt:
                self._rt = view.rt = rt
                await self.notifications.remember_in(rt.store)  # what was sent before a restart
                try:
                    return await self._serve(rt)
                finally:  # while the store is open, so what goes out now is noted there
                    await self.notifications.aclose(flush_s=self._flush_s())
        finally:
            self.notifier.stopping()
            for task in beside:
                task.cancel()
            await asyncio.gather(*beside, return_exceptions=True)
            # queued notifications get a few seconds to go out, none after a second signal
            await self.notifications.aclose(flush_s=self._flush_s())
            unobserve()
            beat.cancel()
            await http.stop()
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(sig)

    def _flush_s(self) -> float:
        """How long queued notifications get at stop: none after a second signal."""
        return 0 if self.hard_stop.is_set() else FLUSH_S

    def _on_stop_signal(self, sig: signal.Signals) -> None:
        self._signals += 1
        if self._signals == 1:
            log.info("stopping: no new runs; runs in flight get the grace period", signal=sig.name)
            self.notifier.stopping(f"stopping on {sig.name}: runs in flight get the grace period")
            self.stop.set()
        else:
            log.warning("second signal: stopping at once", signal=sig.name)
            self.hard_stop.set()
            self.stop.set()

    async def _serve(self, rt: Runtime) -> int:
        m = self.membership
        m.shared = rt.store.shared
        if m.shared:
            self._set_role(rt.store, Role.ACTIVE)
            m.note_recent_deaths(rt.store)
            await self._keep_membership()
            # instances started together see each other before any runs a unit: otherwise each
            # would run every unit until its next heartbeat, and the others' leases would turn
            # most of that into work done twice or refused
            settle = min(STARTUP_SETTLE_S, self.cfg.daemon.writer_lease_ttl_s / 3)
            await self._sleep_unless_stopped(settle)
            await self._keep_membership()
        elif not await self._become_active(rt.store):
            return EXIT_OTHER_ACTIVE if not self.standby_allowed else 0
        self._reconciler = self._reconciler_for(rt)
        self._gate = asyncio.Semaphore(self.cfg.daemon.max_units_in_flight)
        d = self.cfg.daemon
        # every job fires by the timeline (monotonic), and every add_job names its first run:
        # APScheduler left to itself would read the wall clock (see bridge.daemon.scheduler)
        scheduler = self._scheduler = SteadyScheduler(
            self.timeline,
            misfire_grace_s=d.misfire_grace_s,
            executors={"default": AsyncIOExecutor()},
            job_defaults={"coalesce": True, "max_instances": 1},
        )
        every = scheduler.every
        scheduler.add_job(
            self._housekeeping(self._discover),
            every(self.cfg.schedule.discovery_every_s),
            id="discovery",
            next_run_time=self._fire_in(0),
        )
        scheduler.add_job(
            self._housekeeping(self._check_config),
            every(d.reload_poll_s),
            id="config-watch",
            next_run_time=self._fire_in(d.reload_poll_s),
        )
        renew_s = d.writer_lease_ttl_s / 3
        scheduler.add_job(
            self._housekeeping(self._keep_membership if m.shared else self._keep_writer_role),
            every(renew_s),
            id="membership" if m.shared else "writer-lease",
            next_run_time=self._fire_in(renew_s),
        )
        scheduler.add_job(
            self._housekeeping(self._prune),
            every(6 * 3600),
            id="prune",
            next_run_time=self._fire_in(0),
        )
        scheduler.start()
        self.state.running_since_mono = self.clock.monotonic()
        self.notifier.ready("active" + (" on a shared store" if m.shared else ""))
        try:
            await self._wait_for_stop()
        finally:
            # pause first: shutdown() cancels the jobs in flight at once (AsyncIOExecutor), which
            # would cut the grace period short; they get it in _drain, then shutdown finds none
            scheduler.pause()
            await self._drain_holding_the_role()
            scheduler.shutdown(wait=False)
            if not self.state.store_gone:  # a gone store: nothing there is ours to release
                m.release(rt.store)
            self.metrics.role(False)
            self.activity.role("stopped")
        return 0 if not (m.lost_role or self.state.store_gone) else 1

    def _housekeeping(self, job: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        """``job`` as a scheduled job that stops gives the grace period to (it is in flight like
        a unit's run) and that a cancellation at stop ends quietly: APScheduler would log a
        cancelled job as "raised an exception", with a traceback."""

        async def scheduled() -> None:
            task = asyncio.current_task()
            assert task is not None
            self._in_flight.add(task)
            try:
                await job()
            except asyncio.CancelledError:
                if not self.stop.is_set():
                    raise
                log.info("job cancelled at stop", job=getattr(job, "__name__", repr(job)))
            finally:
                self._in_flight.discard(task)

        return scheduled

    async def _sleep_unless_stopped(self, seconds: float) -> None:
        """Wait ``seconds``, or less when the daemon is told to stop."""
        try:
            await asyncio.wait_for(self.stop.wait(), timeout=seconds)
        except TimeoutError:
            return

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
        grace = self.cfg.daemon.stop_grace_s
        deadline = self.clock.monotonic() + grace
        log.info("waiting for runs in flight", runs=len(pending), grace_s=grace)
        hard = asyncio.ensure_future(self.hard_stop.wait())
        try:
            while pending and not hard.done() and self.clock.monotonic() < deadline:
                _, pending = await asyncio.wait(
                    pending | {hard},
                    timeout=deadline - self.clock.monotonic(),
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

    async def _drain_holding_the_role(self) -> None:
        """:meth:`_drain`, renewing the writer lease meanwhile (its scheduled renewal is paused):
        a drain longer than the lease must not let a standby write while our runs still may."""
        if self.membership.shared:
            return await self._drain()
        every = self.cfg.daemon.writer_lease_ttl_s / 3

        async def renew() -> None:
            while True:
                await asyncio.sleep(every)
                try:
                    await self._keep_writer_role()
                except Exception as exc:  # keep renewing: a standby must not take over early
                    log.warning("writer lease renewal during the drain failed", error=str(exc))
                if self.membership.lost_role:  # another daemon writes now: ours must not
                    log.error("lost the writer role while draining: cancelling runs in flight")
                    self.hard_stop.set()
                    return

        renewing = asyncio.ensure_future(renew())
        try:
            await self._drain()
        finally:
            renewing.cancel()
            await asyncio.gather(renewing, return_exceptions=True)

    async def _keep_watchdog(self) -> None:
        """``WATCHDOG=1`` at half systemd's interval, from the event loop itself: a loop that is
        stuck stops sending, and systemd restarts the daemon."""
        every = self.notifier.watchdog_every_s
        if every is None:
            return
        while True:
            self.notifier.watchdog()
            await asyncio.sleep(every)

    async def _watch_clock(self) -> None:
        """Notice a step of the wall clock (an asyncio task: its sleeps are monotonic, so it
        keeps watching whatever the wall clock and the schedule do). The schedule keeps its
        time regardless; the step is logged and counted, and the next-run times people read are
        moved with the wall clock."""
        watch = StepWatch(self.clock)
        while not self.stop.is_set():
            await self._sleep_unless_stopped(CLOCK_WATCH_EVERY_S)
            step = watch.check()
            if step is None:
                continue
            log.warning(
                "wall clock stepped; the schedule keeps monotonic time",
                step_s=round(step, 3),
                direction="forward" if step > 0 else "backward",
            )
            self.metrics.clock_stepped(step)
            for unit in self.state.units.values():
                if unit.next_at is not None:
                    unit.next_at += timedelta(seconds=step)
            self._note_next_runs()

    # -- the role (see bridge.daemon.membership) --------------------------------------------------

    def _set_role(self, store: StateStore, role: Role, detail: str = "") -> None:
        self.membership.set_role(store, role, self.listen)
        self.metrics.role(role is Role.ACTIVE)
        self.metrics.membership(self.membership)
        self.activity.role(role.value, detail)

    async def _become_active(self, store: StateStore) -> bool:
        """Take the writer lease, waiting as a standby while another live daemon has it."""
        ttl = self.cfg.daemon.writer_lease_ttl_s
        announced = False
        while not self.stop.is_set():
            if self.membership.take_writer_role(store, ttl):
                self._set_role(store, Role.ACTIVE)
                return True
            other = store.lease_holder(WRITER_LEASE) or "another daemon"
            if not self.standby_allowed:
                log.error("another daemon is active on this store", holder=other)
                return False
            if not announced:
                self._set_role(store, Role.STANDBY, f"holder {other}")
                self.notifier.ready("standing by: another daemon is active on this store")
                announced = True
            await self._sleep_unless_stopped(min(ttl / 3, STANDBY_POLL_S))
        return False

    async def _store_answers(self, store: StateStore) -> bool:
        """Probe the store off the loop (see :class:`bridge.daemon.health.StoreProbe`) before a
        heartbeat's synchronous calls: one that does not answer skips them (the loop must not
        block on it); one that is gone (its SQLite file removed, replaced or unwritable) stops
        the daemon at once, exit 1: anything it wrote now would land in a file no one reads,
        while a new daemon on the path would take the writer role on a fresh one."""
        verdict = await self.view.store_probe.probe(store)
        if verdict.gone and not self.state.store_gone:
            assert verdict.problem is not None
            self.state.store_gone = verdict.problem
            log.error(
                "the state store is gone: stopping at once, runs in flight cancelled; "
                "restart to open the store again",
                error=verdict.problem,
            )
            self.hard_stop.set()  # no grace: a run in flight writes to the gone store
            self.stop.set()
        if verdict.problem is not None and not verdict.gone:
            log.warning("the state store does not answer; heartbeat skipped", error=verdict.problem)
        return verdict.problem is None

    async def _keep_writer_role(self) -> None:
        rt = self._rt
        assert rt is not None
        if not await self._store_answers(rt.store):
            return
        renewal = self.membership.renew_writer_role(rt.store, self.cfg.daemon.writer_lease_ttl_s)
        self.metrics.membership(self.membership)  # a lost role runs no unit
        if renewal is Renewal.LOST:
            self.activity.role("lost")
            self.stop.set()

    async def _keep_membership(self) -> None:
        """Announce this instance, read which instances are live, and take or hand over units."""
        rt = self._rt
        assert rt is not None
        if not await self._store_answers(rt.store):
            return
        self._handover(self.membership.heartbeat(rt.store, self.listen))

    def _handover(self, change: Handover) -> None:
        """Run units just taken at once (or once a dead instance's requests are surely over)."""
        m = self.membership
        self.metrics.membership(m)  # on an SQLite store too: the active daemon runs every unit
        if not change:
            return
        for key in change.lost:  # its new owner tells of what it finds there from now on
            self.activity.forget_unit(key, resolve=False)
        for key, delay in change.gained.items():
            self._reschedule(key, delay)
        self._note_next_runs()

    def _fire_in(self, seconds: float) -> datetime:
        """When a job should next fire, in APScheduler's terms: an instant on the timeline
        (monotonic), so no wall-clock step moves it."""
        return self.timeline.at(seconds)

    def _reschedule(self, key: str, delay_s: float) -> None:
        """Fire unit ``key`` in ``delay_s``; a job already gone (a unit that left) is fine."""
        scheduler = self._scheduler
        if scheduler is None or self.stop.is_set():
            return
        try:
            scheduler.modify_job(key, next_run_time=self._fire_in(delay_s))
        except JobLookupError:
            log.debug("no job to reschedule: the unit left the schedule", unit=key)

    # -- sync now (see bridge.daemon.sync_now) ----------------------------------------------------

    async def sync_now(self, performance_id: int) -> SyncAnswer:
        """Run the unit of ``performance_id`` now, or right after its run in flight; on the
        daemon's loop. A standby, or an instance that does not run the unit, says who does."""
        pid, m = performance_id, self.membership
        if m.role is not Role.ACTIVE or self._scheduler is None or self.stop.is_set():
            why = f"this daemon is {m.role if m.role is not Role.ACTIVE else 'starting'}"
            why = "this daemon is stopping" if self.stop.is_set() else why
            return not_here(pid, why, await self._daemons(), self.holder)
        key = next((k for k, u in self.state.units.items() if pid in u.job.performance_ids), None)
        if key is None:
            return not_scheduled(pid)
        if not m.runs_here(key):
            owner = m.owner(key)
            why = f"another instance runs unit {key}"
            return not_here(pid, why, await self._daemons(), self.holder, owner)
        in_flight, already = self._syncs.request(key)
        if not in_flight:
            self._reschedule(key, 0)
        log.info("sync requested", unit=key, performance=pid, in_flight=in_flight)
        unit = self.state.units[key]
        return accepted(
            pid,
            key,
            in_flight=in_flight,
            already=already,
            waits_for_config=unit.waits_for_config,
            quiet_s=m.quiet_left(key),
        )

    async def _daemons(self) -> notes.DaemonView | None:
        """The daemons the store's role notes know (None: no store, or it did not answer)."""
        rt = self._rt
        if rt is None:
            return None
        try:
            return await in_thread(lambda: notes.read(rt.store), STORE_TIMEOUT_S, "the store")
        except Exception as exc:
            log.warning("could not read the daemons' roles", error=str(exc))
            return None

    # -- discovery and the unit jobs --------------------------------------------------------------

    def _reconciler_for(self, rt: Runtime) -> Reconciler:
        """The reconciler of this config and runtime: the breaker counts what every unit freed
        over one discovery cycle, store-wide."""
        reconciler = reconciler_for(
            self.cfg,
            rt.tessitura,
            rt.seatsio,
            rt.store,
            clock=self.clock,
            release_window_s=self.cfg.schedule.discovery_every_s,
        )
        reconciler.holds_fresh_s = self._own_cadence_s
        return reconciler

    def _own_cadence_s(self, performance_id: int) -> float:
        """A performance's own cadence: how long its holds read stays fresh in a unit run at a
        nearer performance's (a season). Unknown start: the tightest there is."""
        start = self._starts.get(performance_id)
        hours = 0.0 if start is None else (start - self.clock.now()).total_seconds() / 3600
        return self.cfg.schedule.every_s_for(max(0.0, hours))

    async def _discover(self) -> None:
        rt, scheduler, reconciler = self._rt, self._scheduler, self._reconciler
        assert rt is not None and scheduler is not None and reconciler is not None
        now = self.clock.now()
        m = self.membership
        if (
            self.cfg.discovery.seasons_sync
            and self.cfg.tables.seasons
            and (not m.shared or owner_of(SEASONS_SYNC_UNIT, m.live) == m.holder)
        ):
            await self._sync_seasons(rt, now)
        try:
            known = {p: s for p, s in self._starts.items() if s is not None}
            starts = await discover_starts(
                self.cfg.tables,
                self.cfg.discovery,
                rt.tessitura,
                now=now,
                known=known,
                clock=self.clock,
                on_found=reconciler.notice_search,  # a facility change: seat map read again
                names=self.state.names,  # the page shows production names
            )
        except BridgeError as exc:
            self.state.discovery_error = str(exc)
            log.warning("discovery failed; the schedule stays as it was", error=str(exc))
            return
        self._starts = self.state.starts = starts
        self.state.last_discovery, self.state.discovery_error = now, ""
        self.state.last_discovery_mono = self.clock.monotonic()
        margin = timedelta(hours=self.cfg.daemon.ended_margin_hours)
        wanted = jobs_for(
            reconciler.units(starts), starts, now, self.cfg.schedule.every_s_for, margin
        )
        reconciler.keep_holds_of({p for job in wanted.values() for p in job.performance_ids})
        for key in set(self.state.units) - set(wanted):
            log.info("unit leaves the schedule", unit=key)
            try:
                scheduler.remove_job(key)
            except JobLookupError:
                log.debug("the unit's job was already gone", unit=key)
            left = self.state.units.pop(key).job
            for pid in left.performance_ids:
                self.metrics.forget(pid)
            # regrouped (a performance joined a season): its conditions go on in its new unit
            self.activity.forget_unit(key, regrouped=regrouped(left, wanted))
        for key, job in wanted.items():
            unit = self.state.units.get(key)
            if unit is None:
                self.state.units[key] = UnitState(job)
                scheduler.add_job(
                    self._run_unit,
                    scheduler.every(job.every_s),
                    args=(key,),
                    id=key,
                    next_run_time=self._fire_in(self.rng.uniform(0, min(job.every_s, 5.0))),
                )
                log.info("unit scheduled", unit=key, every_s=job.every_s)
            elif unit.job != job:
                cadence_changed = unit.job.every_s != job.every_s
                unit.job = job
                if cadence_changed:  # its next run one new interval from now, on the timeline
                    scheduler.modify_job(
                        key,
                        trigger=scheduler.every(job.every_s),
                        next_run_time=self._fire_in(job.every_s),
                    )
        self.metrics.scheduled_units(len(self.state.units))
        for pid in (p for job in wanted.values() for p in job.performance_ids):
            self.metrics.scheduled(pid)
        self.metrics.keep_events(
            {
                target.event_key
                for job in wanted.values()
                for pid in job.performance_ids
                if (target := self.cfg.tables.target_for(pid)) is not None
            }
        )
        self.notifier.status(f"active: {len(self.state.units)} units scheduled")
        self._handover(m.units(set(self.state.units)))

    async def _sync_seasons(self, rt: Runtime, now: datetime) -> None:
        """`seatbridge seasons sync` as part of discovery, so a new performance is synced within
        one discovery cycle; a failure is logged and counted, and discovery goes on."""
        result = await sync_seasons(self.cfg, rt.tessitura, rt.seatsio, now=now, clock=self.clock)
        self.metrics.seasons_sync(result)

    async def _run_unit(self, key: str) -> None:
        self._syncs.fired(key)
        unit = self.state.units.get(key)
        gate, reconciler = self._gate, self._reconciler
        if unit is None or gate is None or reconciler is None or self.stop.is_set():
            return
        if not self.membership.runs_here(key):
            return  # another instance runs it (see Membership)
        wait = self.membership.quiet_left(key)
        if wait > 0:  # taken from a daemon that died: see Membership.stay_quiet
            self._reschedule(key, wait)
            return
        task = asyncio.current_task()
        assert task is not None
        self._in_flight.add(task)
        try:
            async with gate:
                if self.stop.is_set():
                    return
                self._syncs.started(key)
                self.metrics.units_in_flight(+1)
                try:
                    requeue, ending, report = await self._reconcile(reconciler, unit)
                finally:
                    self.metrics.units_in_flight(-1)
            self._after_run(key, unit, requeue, ending, report)
        except asyncio.CancelledError:
            if not self.stop.is_set():
                raise
            # cancelled by _drain after the grace period: expected, not a job failure to log
            log.info("run cancelled at stop; the next start settles it", unit=key)
        finally:
            self._in_flight.discard(task)
            if self._syncs.ended(key):  # asked for during the run: once this job has ended
                task.add_done_callback(lambda _: self._reschedule(key, 0))

    async def _reconcile(
        self, reconciler: Reconciler, unit: UnitState
    ) -> tuple[Requeue, Ending, RunReport | None]:
        ids = list(unit.job.performance_ids)
        timeout = self.cfg.daemon.run_timeout_s
        kind = unit_kind(ids, self.cfg.tables)
        with structlog.contextvars.bound_contextvars(unit_key=unit.job.key):
            try:
                with self.metrics.timing(kind):  # a timeout counts, with its duration
                    async with asyncio.timeout(timeout):
                        report = await reconciler.reconcile(ids, apply=True)
            except TimeoutError:
                log.error("run timed out and was cancelled", timeout_s=timeout)
                self.metrics.unit_reconciled(Ending.TIMEOUT.value)
                reason = f"run timed out after {timeout:g} s"
                unit.last_error = reason
                await self._record_timeout(ids, reason)
                return Requeue(ErrorKind.RETRYABLE, None, reason), Ending.TIMEOUT, None
            except ConfigError as exc:  # credentials: nothing else can succeed either
                log.error("run refused by configuration", error=str(exc))
                self.metrics.unit_reconciled(Ending.ERROR.value)
                unit.last_error = str(exc)
                return Requeue(ErrorKind.TERMINAL, None, str(exc)), Ending.ERROR, None
        self._count(report)
        if not report.failed:  # no error, refusal, nor a part another process held: synced
            unit.last_success = self.clock.now()
        self.metrics.unit_ended(kind, report.ending)
        # the worst of the units' errors (a unit leased elsewhere is not an error: see requeue)
        errors = [e for u in report.units if not u.leased_elsewhere for e in u.all_errors]
        requeue = Requeue.of(errors)
        unit.last_error = requeue.reason
        if requeue.kind is None:  # a run that failed did not do its job: readiness says so
            self.state.last_run_done_mono = self.clock.monotonic()
        return requeue, report.ending, report

    async def _record_timeout(self, performance_ids: list[int], reason: str) -> None:
        """A run cancelled by its timeout recorded nothing: say ``error`` with the reason for
        each of its performances, or the status would keep the last run's word ("converged").
        A performance whose lease another process's run holds now is left to that run (its
        word is newer); a lease still named after this process (the cancelled run's own, or a
        run of ours that records its word when it ends) does not stop it. The store is read in a
        thread under a timeout, like the probes."""
        rt = self._rt
        if rt is None:
            return
        store, now = rt.store, self.clock.now()

        def record() -> None:
            before = {s.performance_id: s for s in store.performance_statuses(performance_ids)}
            for pid in performance_ids:
                holder = store.lease_holder(pid)
                if holder is not None and holder.partition("/")[0] != self.holder:
                    continue
                last = before.get(pid)
                target = self.cfg.tables.target_for(pid)
                store.set_performance_status(
                    PerformanceStatus(
                        performance_id=pid,
                        last_sync=now,
                        outcome=SyncOutcome.ERROR,
                        event_key=target.event_key if target else None,
                        drift=last.drift if last else 0,
                        conflicts=last.conflicts if last else 0,
                        errors=1,
                        last_error=reason,
                    )
                )

        try:
            await in_thread(record, STORE_TIMEOUT_S, "the state store")
        except Exception as exc:  # the daemon's own state (/status.json) still says it
            log.warning("could not record the timed-out run's status", error=str(exc))

    def _count(self, report: RunReport) -> None:
        now = self.clock.now()
        self.metrics.count_report(report)
        # one judge of "synced" for the metrics and the page: the performance's own outcome
        for pid in synced_performances(self.cfg.tables, report):
            self.metrics.synced(pid, now)
            self.state.last_synced[pid] = now
        rt = self._rt
        if rt is None:
            return
        keys = {
            target.event_key
            for u in report.units
            for pid in u.performance_ids
            if (target := self.cfg.tables.target_for(pid)) is not None
        }
        for key in sorted(keys):
            try:
                self.metrics.for_sale_edits_left(key, rt.store.for_sale_calls_left(key))
            except Exception as exc:  # a gauge: the next run sets it
                log.warning("could not read the for-sale budget", event=key, error=str(exc))
        try:  # one query; rows left from a write-back since turned off still count
            self.metrics.writeback_holds(len(rt.store.writeback_holds()))
        except Exception as exc:  # a gauge: the next run sets it
            log.warning("could not read the write-back ledger", error=str(exc))

    def _after_run(
        self,
        key: str,
        unit: UnitState,
        requeue: Requeue,
        ending: Ending,
        report: RunReport | None = None,
    ) -> None:
        self.view.forget_seat_facts(unit.job.performance_ids)
        unit.last_ending = ending.value
        unit.failures = failures_after(unit.failures, requeue)
        nxt = next_run(
            requeue, unit.failures, unit.job.every_s, self.backoff, self.rng, near=unit.job.near
        )
        unit.next, unit.waits_for_config = nxt, nxt.waits_for_config
        unit.next_at = self.clock.now() + timedelta(seconds=nxt.delay_s)
        self._reschedule(key, nxt.delay_s)
        if requeue.kind is not None:
            log.warning(
                "unit will retry",
                unit=key,
                result=ending.value,
                next_in_s=round(nxt.delay_s, 1),
                reason=nxt.reason,
            )
        self._note_next_runs()
        # last: the unit is rescheduled whatever telling it does
        self.activity.after_run(
            key,
            report,
            failures=unit.failures,
            ending=ending,
            every_s=unit.job.every_s,
            kind=requeue.kind,
            reason=requeue.reason,
        )

    def _note_next_runs(self) -> None:
        rt = self._rt
        if rt is None:
            return
        runs = {
            pid: notes.NextRun(
                u.next_at, u.next.reason if u.next else "first run", u.waits_for_config
            )
            for key, u in self.state.units.items()
            if self.membership.runs_here(key)
            for pid in u.job.performance_ids
        }
        try:
            notes.put_next_runs(rt.store, self.holder, runs)
        except Exception as exc:  # `status` shows older next runs until the next one
            log.warning("could not note the next runs in the store", error=str(exc))

    # -- config reload and housekeeping -----------------------------------------------------------

    async def _check_config(self, force: bool = False) -> None:
        reload = self.watcher.check(force=force)
        if reload is None:
            return
        self.metrics.config_reload(reload.result)
        self.activity.config(reload)  # the log line: applied, refused, fixed
        rt = self._rt
        if reload.result == "refused":
            self.state.config_ok = False
            self.state.config_error = "; ".join(reload.errors)
            if rt is not None:
                self._note(
                    lambda: notes.put_refused_config(rt.store, self.clock.now(), reload.errors)
                )
            return
        self.state.config_ok, self.state.config_error = True, ""
        if rt is not None:
            self._note(lambda: notes.clear_refused_config(rt.store))
        if reload.result != "applied" or reload.config is None:
            return
        self.cfg = self.view.cfg = reload.config
        self.membership.grace_s = dead_grace_s(self.cfg)
        configure(self.cfg.log.level, self.cfg.log.format)
        pending = restart_needed(self._started_cfg, self.cfg)
        if pending:
            log.warning("these settings take effect at the next restart", settings=pending)
        self.state.restart_pending = pending
        if rt is not None:
            self._reconciler = self._reconciler_for(rt)
        for key, unit in self.state.units.items():  # terminal waits end with a config change
            if unit.waits_for_config:
                unit.waits_for_config = False
                self._reschedule(key, 0)
        await self._discover()

    @staticmethod
    def _note(write: Callable[[], None]) -> None:
        """A note for `seatbridge status` in the store; a store that does not answer loses it,
        logged (the daemon's own state, on /status.json, still says it)."""
        try:
            write()
        except Exception as exc:
            log.warning("could not write a note to the store", error=str(exc))

    async def _prune(self) -> None:
        rt = self._rt
        if rt is None:
            return
        cutoff = self.clock.now() - timedelta(days=self.cfg.daemon.keep_runs_days)
        try:
            gone = rt.store.prune_runs(cutoff)
        except Exception as exc:
            log.warning("pruning the journal failed", error=str(exc))
            return
        if gone:
            log.info("journal pruned", runs=gone, before=cutoff.isoformat())

    def _alert(self, alert: Alert) -> None:
        """The one point alerts leave the daemon: whatever :attr:`alert_sink` is now."""
        self.alert_sink(alert)

    def _observe(self, exchange: Exchange) -> None:
        self.activity.vendor(exchange)
        self.metrics.api_request(
            exchange.vendor, exchange.endpoint, exchange.status, exchange.elapsed_s, exchange.error
        )
        if exchange.status == 429:
            self.metrics.rate_limited(exchange.vendor, exchange.lane or "default")
