"""Time for tests: a clock that moves only when told to, and a sleep that records instead of
waiting (and, given that clock, moves it, so time passes for the fakes but not for the test)."""

from __future__ import annotations

from bridge.sandbox.seatsio_clock import ManualClock


class RecordingSleep:
    """Stands in for ``asyncio.sleep``: remembers the waits asked for (in ``waits``) and spends
    none. Given a :class:`ManualClock`, each wait moves that clock forward by its length.

    ``RetryPolicy(sleep=RecordingSleep())`` in either client makes its back-off instant and
    inspectable: ``assert sleeps.waits == [4.0]``.
    """

    def __init__(self, clock: ManualClock | None = None) -> None:
        self.waits: list[float] = []
        self.clock = clock

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.clock is not None:
            self.clock.advance(seconds)

    @property
    def total(self) -> float:
        """The seconds all the recorded waits add up to."""
        return sum(self.waits)


__all__ = [
    "RecordingSleep",
]
