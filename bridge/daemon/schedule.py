"""When each unit runs: the pure part of the daemon's scheduling, tested with an injected clock.

A unit runs on the cadence its soonest performance asks for (``[schedule] cadences``), with a
little jitter so units configured alike do not all fire in the same second. After a run, the
unit's :class:`~bridge.core.outcome.Requeue` decides the next time (controller-runtime's
``RequeueAfter``): retryable errors back off exponentially up to a cap, an unknown outcome is
re-read soon, a terminal error waits for a config change (re-checked now and then, since the
fix may be made in seats.io or Tessitura rather than in the config).

The backoff serves the vendor, never at the cost of tonight's show: for a unit whose soonest
performance starts within a day (:attr:`Backoff.near_hours`) the wait is capped at
``cadence_factor`` times the unit's cadence (``min(cap_s, max(base_s, factor * cadence))``), so
a show on a 5 s cadence retries at least every 15 s through an outage and syncs within one such
wait of the vendor's return; a run with no error starts the count again (:func:`failures_after`).
Only a vendor's own Retry-After may ask for longer.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bridge.core.outcome import ErrorKind, Requeue

#: A unit playing within this many hours keeps its backoff within a few cadences.
NEAR_HOURS = 24.0

#: The schedule settings' ``every_s_for(hours_until_start)``.
EveryFor = Callable[[float], float]

__all__ = [
    "Backoff",
    "NextRun",
    "UnitJob",
    "failures_after",
    "jobs_for",
    "next_run",
    "owner_of",
    "regrouped",
    "unit_key",
]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Bounds on coming back after a failure. ``max_retry_after_s`` caps a vendor's Retry-After
    (seats.io's daily for-sale limit answers in hours; a day is the most it can mean). For a unit
    playing within ``near_hours``, the cap is ``cadence_factor`` times its cadence at most."""

    base_s: float = 5.0
    cap_s: float = 600.0
    cadence_factor: float = 3.0
    near_hours: float = NEAR_HOURS
    jitter_share: float = 0.1
    unknown_s: float = 5.0
    terminal_recheck_s: float = 3600.0
    max_retry_after_s: float = 86400.0


@dataclass(frozen=True, slots=True)
class NextRun:
    """The delay until a unit's next run, why, and whether it waits for a config change."""

    delay_s: float
    reason: str
    waits_for_config: bool = False


def _jitter(delay: float, share: float, rng: random.Random) -> float:
    return delay * (1 + rng.uniform(-share, share)) if share > 0 else delay


def failures_after(previous: int, requeue: Requeue) -> int:
    """The unit's count of consecutive failed runs after a run that ended with ``requeue``: the
    first run with no error ends the streak (the vendor answered again), whatever came before."""
    return 0 if requeue.kind is None else previous + 1


def retry_cap_s(cadence_s: float, backoff: Backoff, *, near: bool) -> float:
    """The longest a unit backs off by itself (before jitter): ``cap_s``, and for a unit playing
    within a day (``near``) no more than ``cadence_factor`` times its cadence (``base_s`` at
    least)."""
    if not near:
        return backoff.cap_s
    return min(backoff.cap_s, max(backoff.base_s, backoff.cadence_factor * cadence_s))


def next_run(
    requeue: Requeue,
    failures: int,
    cadence_s: float,
    backoff: Backoff,
    rng: random.Random,
    *,
    near: bool = False,
) -> NextRun:
    """When to run a unit again after a run that ended with ``requeue``; ``failures`` counts the
    consecutive failed runs, this one included (0 after a clean run, see :func:`failures_after`).
    ``near``: the unit's soonest performance starts within :attr:`Backoff.near_hours`, so its
    backoff stays within a few cadences (:func:`retry_cap_s`)."""
    if requeue.kind is None:
        return NextRun(_jitter(cadence_s, backoff.jitter_share, rng), "cadence")
    if requeue.kind is ErrorKind.TERMINAL:
        return NextRun(backoff.terminal_recheck_s, f"terminal: {requeue.reason}", True)
    if requeue.kind is ErrorKind.OUTCOME_UNKNOWN:
        delay = min(cadence_s, backoff.unknown_s)
        reason = f"outcome unknown, re-read: {requeue.reason}"
    else:
        exponent = min(max(0, failures - 1), 64)  # past 2**64 every delay is the cap anyway
        cap = retry_cap_s(cadence_s, backoff, near=near)
        # jittered, then capped: the cap is a promise (a show tonight waits at most so long)
        delay = min(cap, _jitter(backoff.base_s * 2.0**exponent, backoff.jitter_share, rng))
        reason = f"retry {failures}: {requeue.reason}"
    if requeue.after_s is not None:  # the vendor said how long; never sooner than that
        delay = max(delay, min(requeue.after_s, backoff.max_retry_after_s))
    return NextRun(delay, reason)


@dataclass(frozen=True, slots=True)
class UnitJob:
    """One scheduled unit: its performances, the cadence its soonest performance asks for, and
    whether one of them starts within :attr:`Backoff.near_hours` (or its start is unknown)."""

    key: str
    performance_ids: tuple[int, ...]
    every_s: float
    near: bool = False


def unit_key(unit: Sequence[int]) -> str:
    """A stable job id for a unit (its sorted performance ids)."""
    return "unit:" + ",".join(str(p) for p in sorted(unit))


def cadence_s(
    starts: Iterable[datetime | None],
    now: datetime,
    every_s_for: EveryFor,
) -> float:
    """The unit's interval: the tightest its performances ask for. A performance whose start is
    unknown (its read failed) asks for the tightest there is: unknown is never 'far away'."""
    hours: list[float] = []
    for start in starts:
        hours.append(0.0 if start is None else max(0.0, (start - now).total_seconds() / 3600))
    return min(every_s_for(h) for h in hours) if hours else every_s_for(0.0)


def jobs_for(
    units: Iterable[tuple[int, ...]],
    starts: Mapping[int, datetime | None],
    now: datetime,
    every_s_for: EveryFor,
    ended_margin: timedelta,
    near_hours: float = NEAR_HOURS,
) -> dict[str, UnitJob]:
    """The jobs the schedule should hold: every unit with a performance not yet over (start plus
    ``ended_margin`` still ahead, or start unknown), at its cadence; ``near`` when one of them
    starts within ``near_hours`` (unknown is never far away)."""
    horizon = now + timedelta(hours=near_hours)
    jobs: dict[str, UnitJob] = {}
    for unit in units:
        unit_starts = [starts.get(pid) for pid in unit]
        live = [s for s in unit_starts if s is None or s + ended_margin > now]
        if not live:
            continue  # every performance of the unit is over: it leaves the schedule
        key = unit_key(unit)
        near = any(s is None or s <= horizon for s in live)
        jobs[key] = UnitJob(key, tuple(sorted(unit)), cadence_s(live, now, every_s_for), near)
    return jobs


def regrouped(leaving: UnitJob, wanted: Mapping[str, UnitJob]) -> bool:
    """Whether a unit leaving the schedule only changed shape (a performance joined a season, a
    season lost one): every one of its performances is still in one of the ``wanted`` units, so
    its conditions go on there (an alert's key names no unit) and nothing of it is resolved."""
    scheduled = {pid for job in wanted.values() for pid in job.performance_ids}
    return set(leaving.performance_ids) <= scheduled


def owner_of(key: str, instances: Iterable[str]) -> str | None:
    """Which of the live ``instances`` runs the unit ``key`` (None when there are none).

    Rendezvous hashing: every instance computes the same answer from the same live set without
    talking to the others, each gets about 1/N of the units, and when one dies only its units
    move (each to whichever survivor scores highest for it). A moment where two instances
    disagree (one saw a death the other has not yet) is harmless: the unit's performance leases
    let only one of them apply.
    """

    def score(instance: str) -> bytes:
        return hashlib.blake2b(f"{instance}\0{key}".encode(), digest_size=8).digest()

    return max(instances, key=score, default=None)
