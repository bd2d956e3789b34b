"""How long to wait before repeating a seats.io request, and when to give up.

The default schedule is the official SDK's (0.4 s doubling to 6.4 s), with jitter so that many
callers throttled at once do not come back at once. A server's Retry-After wins when present; one
longer than ``max_retry_after_s`` (the daily for-sale budget answers in hours) is not waited out but
handed to the caller. The connection passes such a Retry-After on only for a 429 identified as the
daily for-sale limit; for any other it uses the backoff schedule. ``sleep`` is injectable so tests
can record waits instead of spending them.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bridge.http import parse_retry_after

Sleep = Callable[[float], Awaitable[None]]
__all__ = ["RetryPolicy", "Sleep", "parse_retry_after"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounds on repeating a request: attempts in all, backoff schedule, Retry-After ceiling."""

    max_attempts: int = 6
    base_delay_s: float = 0.4
    max_delay_s: float = 6.4
    max_retry_after_s: float = 30.0
    sleep: Sleep = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def backoff(self, attempt: int) -> float:
        """The wait after failed attempt number ``attempt`` (1-based): half fixed, half random."""
        ceiling = min(self.max_delay_s, self.base_delay_s * 2.0 ** (attempt - 1))
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    def delay(self, attempt: int, retry_after: float | None) -> float | None:
        """The wait before the next attempt, or None when the caller should get the error now."""
        if attempt >= self.max_attempts:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_retry_after_s else None
        return self.backoff(attempt)
