"""Time, in one place: the wall clock for timestamps people read (journal rows, "last sync", a
lease row's expiry), the monotonic clock for waits and ages (a lease's deadline inside one
process, a cache's age, a quiet period).

Nothing else in ``bridge/`` outside the sandbox reads the clock (a test in ``tests/`` looks):
every piece that needs time takes a :class:`Clock`, :data:`SYSTEM` by default, so a test can step
the wall clock either way, or let minutes pass in an instant, with :class:`ManualClock`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["SYSTEM", "Clock", "ManualClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """What a piece of the bridge asks of time."""

    def now(self) -> datetime:
        """The wall clock, timezone-aware UTC: it may step either way (NTP, an operator)."""
        ...

    def monotonic(self) -> float:
        """Seconds that only ever go forward, for waits and ages; meaningless across processes."""
        ...


class SystemClock:
    """The machine's clocks."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def __repr__(self) -> str:
        return "SystemClock()"


#: The machine's clocks: the default wherever a clock is injectable.
SYSTEM: Clock = SystemClock()


class ManualClock:
    """A clock that moves only when told to: :meth:`advance` moves both clocks forward (time
    passes), :meth:`step` moves the wall clock alone, either way (NTP or an operator set it).

    Calling it returns the wall time, so it also serves where a ``Callable[[], datetime]`` is
    asked for (the fakes' own clocks)."""

    def __init__(self, start: datetime | None = None, *, monotonic_start: float = 1000.0) -> None:
        self._now = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
        self._mono = monotonic_start

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def __call__(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | float) -> None:
        """Let ``delta`` (a timedelta or seconds, never negative) pass on both clocks."""
        seconds = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
        if seconds < 0:
            raise ValueError("time does not run backwards; use step() for a wall-clock step")
        self._now += timedelta(seconds=seconds)
        self._mono += seconds

    def step(self, delta: timedelta | float) -> None:
        """Step the wall clock alone by ``delta`` (either sign); the monotonic clock stays."""
        self._now += delta if isinstance(delta, timedelta) else timedelta(seconds=delta)

    def set(self, moment: datetime) -> None:
        """Set the wall clock to ``moment`` (a step); the monotonic clock stays."""
        self._now = moment
