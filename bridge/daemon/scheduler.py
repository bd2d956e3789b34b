"""APScheduler 3.11 on a time that never steps.

APScheduler 3.x reads the wall clock itself (``datetime.now(self.timezone)`` when it looks for due
jobs, ``datetime.now(timezone.utc)`` in the executor's misfire check) and only waits by the
event loop's monotonic timer. A wall clock stepped an hour back then holds every job for an hour;
one stepped forward makes every job an hour late at once, so each is dropped as a misfire.
A ``tzinfo`` whose ``fromutc`` answers a monotonic-derived time cannot fix it: the memory job
store keeps POSIX timestamps and the executor compares with real UTC.

:class:`SteadyScheduler` keeps APScheduler's jobs, triggers, executors, ``coalesce`` and
``max_instances``, and only the loop that finds due jobs reads the time, from a
:class:`~bridge.clock.Timeline` (the injected clock's monotonic time). Every instant handed to it
(``next_run_time``, a trigger's ``start_date``) is a timeline instant: :meth:`SteadyScheduler.at`
and :meth:`SteadyScheduler.every` make them (so ``add_job`` always gets a ``next_run_time``, and
a new interval is set with ``modify_job``, never ``reschedule_job``, which would read the wall
clock). The misfire grace is judged here, on the timeline;
the jobs themselves carry none, so the executor never looks at the wall clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from threading import TIMEOUT_MAX
from typing import Any

import structlog
from apscheduler.events import (
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobExecutionEvent,
    JobSubmissionEvent,
)
from apscheduler.executors.base import MaxInstancesReachedError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_PAUSED
from apscheduler.triggers.interval import IntervalTrigger

from bridge.clock import Timeline

__all__ = ["SteadyScheduler"]

log = structlog.get_logger("seatbridge.daemon")


class SteadyScheduler(AsyncIOScheduler):  # type: ignore[misc]
    """An ``AsyncIOScheduler`` whose jobs fire by ``timeline``, never by the wall clock; a job
    more than ``misfire_grace_s`` late (the loop was blocked, the process paused) is skipped to
    its next interval, once."""

    def __init__(self, timeline: Timeline, *, misfire_grace_s: float, **options: Any) -> None:
        defaults = dict(options.pop("job_defaults", {}))
        defaults["misfire_grace_time"] = None  # judged by _process_jobs, on the timeline
        super().__init__(job_defaults=defaults, timezone=UTC, **options)
        self.timeline = timeline
        self.misfire_grace_s = misfire_grace_s

    def at(self, delay_s: float) -> datetime:
        """The timeline instant ``delay_s`` from now: a ``next_run_time``."""
        return self.timeline.at(delay_s)

    def every(self, seconds: float) -> IntervalTrigger:
        """An interval trigger on the timeline (its first fire ``seconds`` from now)."""
        return IntervalTrigger(seconds=seconds, start_date=self.at(seconds), timezone=UTC)

    def _process_jobs(self) -> float | None:
        """APScheduler's own loop (``BaseScheduler._process_jobs``), with the time taken from
        the timeline and misfires judged on it; the seconds until it should run again."""
        if self.state == STATE_PAUSED:
            return None
        now = self.timeline.now()
        grace = timedelta(seconds=self.misfire_grace_s)
        next_wakeup = None
        events: list[Any] = []
        with self._jobstores_lock:
            for alias, jobstore in self._jobstores.items():
                for job in jobstore.get_due_jobs(now):
                    run_times = job._get_run_times(now)
                    run_times = run_times[-1:] if run_times and job.coalesce else run_times
                    if not run_times:
                        continue
                    late = now - run_times[-1]
                    if late > grace:
                        log.warning(
                            "job missed its time; it runs at its next interval",
                            job=job.id,
                            late_s=round(late.total_seconds(), 1),
                        )
                        events.append(
                            JobExecutionEvent(EVENT_JOB_MISSED, job.id, alias, run_times[-1])
                        )
                    else:
                        executor = self._lookup_executor(job.executor)
                        try:
                            executor.submit_job(job, run_times)
                        except MaxInstancesReachedError:
                            log.debug("job still running: this run coalesces", job=job.id)
                            events.append(
                                JobSubmissionEvent(
                                    EVENT_JOB_MAX_INSTANCES, job.id, alias, run_times
                                )
                            )
                        else:
                            events.append(
                                JobSubmissionEvent(EVENT_JOB_SUBMITTED, job.id, alias, run_times)
                            )
                    following = job.trigger.get_next_fire_time(run_times[-1], now)
                    if following:
                        job._modify(next_run_time=following)
                        jobstore.update_job(job)
                    else:
                        self.remove_job(job.id, alias)
                soonest = jobstore.get_next_run_time()
                if soonest and (next_wakeup is None or soonest < next_wakeup):
                    next_wakeup = soonest
        for event in events:
            self._dispatch_event(event)
        if self.state == STATE_PAUSED or next_wakeup is None:
            return None
        wait = (next_wakeup - self.timeline.now()).total_seconds()
        return float(min(max(wait, 0.0), TIMEOUT_MAX))
