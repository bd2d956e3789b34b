"""The daemon's scheduler keeps monotonic time: a wall clock stepped an hour either way neither
stops, skips nor doubles a unit's runs, and a job late past the misfire grace (the loop was
blocked) is skipped to its next interval once, not run twice. Driven by a ManualClock: the test
lets time pass, steps the wall clock, and wakes the scheduler (its own timer waits real seconds)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bridge.clock import ManualClock, Timeline
from bridge.daemon.scheduler import SteadyScheduler

T0 = datetime(2026, 11, 21, 19, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)


async def _let_it_run(scheduler: SteadyScheduler) -> None:
    scheduler.wakeup()
    for _ in range(6):  # the wakeup, the job's task, its end
        await asyncio.sleep(0)


async def _run_for(
    seconds: int, every_s: float, steps: dict[int, timedelta], late_at: int | None = None
) -> list[float]:
    """A unit every ``every_s`` for ``seconds`` seconds, the wall clock stepped at the given
    seconds; the monotonic times it ran at. ``late_at``: the loop stalls 120 s at that second."""
    clock = ManualClock(T0, monotonic_start=0.0)
    scheduler = SteadyScheduler(
        Timeline(clock),
        misfire_grace_s=60,
        job_defaults={"coalesce": True, "max_instances": 1},
    )
    runs: list[float] = []

    async def unit() -> None:
        runs.append(clock.monotonic())

    scheduler.add_job(
        unit, scheduler.every(every_s), id="unit", next_run_time=scheduler.at(every_s)
    )
    scheduler.start()
    try:
        for second in range(1, seconds + 1):
            clock.advance(120 if second == late_at else 1)
            if second in steps:
                clock.step(steps[second])
            await _let_it_run(scheduler)
    finally:
        scheduler.shutdown(wait=False)
    return runs


async def test_a_unit_runs_on_its_cadence_through_an_hour_back_and_an_hour_forward() -> None:
    steady = await _run_for(180, 5, {})
    stepped = await _run_for(180, 5, {60: -HOUR, 120: 2 * HOUR})  # back 1 h, then 1 h ahead
    assert steady == [5.0 * k for k in range(1, 37)]
    assert stepped == steady


async def test_a_forward_step_makes_no_job_late_and_a_backward_one_holds_none() -> None:
    forward = await _run_for(30, 5, {2: HOUR})
    backward = await _run_for(30, 5, {2: -HOUR})
    assert forward == backward == [5.0, 10.0, 15.0, 20.0, 25.0, 30.0]


async def test_a_stalled_loop_runs_a_unit_once_then_on_cadence_not_a_burst() -> None:
    """The loop stalled 120 s: the 24 missed runs are made up by one, then the cadence goes on."""
    runs = await _run_for(20, 5, {}, late_at=7)
    assert runs == [5.0, 126.0, 130.0, 135.0]


async def test_a_job_later_than_the_grace_is_skipped_to_its_next_interval() -> None:
    """A job on a 300 s interval found 120 s late (past the 60 s grace) waits for its next
    interval, judged on the monotonic time, whatever the wall clock did meanwhile."""
    runs = await _run_for(500, 300, {3: -HOUR}, late_at=250)  # 369 s: due at 300, 69 s late
    assert runs == [600.0]
