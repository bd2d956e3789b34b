"""Time, in one place: the wall clock for timestamps people read (journal rows, "last sync", a
lease row's expiry), the monotonic clock for waits and ages (a lease's deadline inside one
process, a cache's age, a quiet period).

Nothing else in ``bridge/`` outside the sandbox reads the clock (a test in ``tests/`` looks):
every piece that needs time takes a :class:`Clock`, :data:`SYSTEM` by default, so a test can step
the wall clock either way, or let minutes pass in an instant, with :class:`ManualClock`.

Two views on a clock for the daemon: :class:`Timeline`, instants that never step (the schedule's
time, so a wall-clock step neither stops nor skips a job), and :class:`StepWatch`, which notices
a step of the wall clock. :class:`OffsetClock` shifts a process's wall clock, for tests only.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol, runtime_checkable

__all__ = [
    "SYSTEM",
    "Clock",
    "ManualClock",
    "OffsetClock",
    "StepWatch",
    "SystemClock",
    "Timeline",
]


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


class Timeline:
    """Instants that never step: the wall time at creation plus the monotonic seconds since.

    The daemon's schedule keeps this time (APScheduler is handed its instants), so a wall clock
    stepped an hour back does not hold every job for an hour, and one stepped forward does not
    make them all late at once. Its instants look like UTC datetimes and start out equal to the
    wall clock's; they are for ordering and waiting, never for showing (what people read is
    ``clock.now()`` plus the wait)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._wall0 = clock.now()
        self._mono0 = clock.monotonic()

    def now(self) -> datetime:
        """Now on the timeline."""
        return self._wall0 + timedelta(seconds=self.clock.monotonic() - self._mono0)

    def at(self, delay_s: float) -> datetime:
        """The instant ``delay_s`` seconds from now."""
        return self.now() + timedelta(seconds=delay_s)


class StepWatch:
    """Notices the wall clock stepping: between two looks, wall and monotonic time should move
    alike (NTP slews by well under a millisecond a second); a difference over ``tolerance_s`` is
    a step, forward (positive) or back (negative)."""

    def __init__(self, clock: Clock, tolerance_s: float = 1.0) -> None:
        self.clock = clock
        self.tolerance_s = tolerance_s
        self._skew = self._read()

    def _read(self) -> float:
        return self.clock.now().timestamp() - self.clock.monotonic()

    def check(self) -> float | None:
        """The step since the last look, in seconds, or None when the wall clock kept pace."""
        skew = self._read()
        step = skew - self._skew
        self._skew = skew
        return step if abs(step) > self.tolerance_s else None


class OffsetClock:
    """For tests only (``[testing] clock_offset_s``, ``clock_offset_file``): the ``base`` clock
    with its wall time shifted, like faketime, and its monotonic time as it is.

    The shift is ``offset_s`` plus the number of seconds in ``offset_file`` (``-3600``: an hour
    behind), read again at most every ``poll_s`` seconds (monotonic), so a test can step a live
    process's wall clock by writing the file. A missing file counts 0; one that does not hold a
    finite number keeps the last good value."""

    def __init__(
        self,
        base: Clock = SYSTEM,
        *,
        offset_s: float = 0.0,
        offset_file: Path | None = None,
        poll_s: float = 0.2,
    ) -> None:
        self.base = base
        self.offset_s = offset_s
        self.offset_file = offset_file
        self.poll_s = poll_s
        self._file_s = 0.0
        self._looked = -math.inf
        self._look()

    def _look(self) -> None:
        if self.offset_file is None:
            return
        mono = self.base.monotonic()
        if mono - self._looked < self.poll_s:
            return
        self._looked = mono
        try:
            text = self.offset_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            self._file_s = 0.0
            return
        except OSError:
            return  # unreadable for now: keep the last value, look again next time
        if not text:
            return  # being rewritten (emptied first): keep the last value
        try:
            value = float(text)
        except ValueError:
            return  # half-written or garbage: keep the last value
        if math.isfinite(value):
            self._file_s = value

    @property
    def offset(self) -> float:
        """The current shift of the wall clock, in seconds."""
        self._look()
        return self.offset_s + self._file_s

    def now(self) -> datetime:
        return self.base.now() + timedelta(seconds=self.offset)

    def monotonic(self) -> float:
        return self.base.monotonic()

    def __repr__(self) -> str:
        return f"OffsetClock({self.base!r}, offset_s={self.offset_s:g}, file={self.offset_file})"
