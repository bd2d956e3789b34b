"""When to repeat a Tessitura call: timeouts, connection errors, 5xx and 429, with bounds.

Exponential backoff with jitter, capped per wait, in attempts and in total time (a wait that would
overrun the total is not started). A 429's Retry-After is waited out when it fits in that total.
Tests pass a zero policy so that retries cost no time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import structlog
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)

from bridge.errors import RateLimitedError, RetryableError

log = structlog.get_logger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounds on repeating one call. ``attempts`` counts the first try."""

    attempts: int = 4
    first_wait_s: float = 0.5
    max_wait_s: float = 8.0
    jitter_s: float = 0.5
    total_s: float = 30.0
    #: How a wait is spent; tests pass a recorder instead of sleeping for real.
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, compare=False)

    @classmethod
    def immediate(cls, attempts: int = 4) -> RetryPolicy:
        """No waiting at all: for tests."""
        return cls(attempts=attempts, first_wait_s=0.0, max_wait_s=0.0, jitter_s=0.0)

    async def call(self, attempt: Callable[[], Awaitable[T]], *, what: str) -> T:
        """Run ``attempt`` until it succeeds, raises a non-retryable error, or a bound is hit."""
        backoff = wait_exponential_jitter(
            multiplier=self.first_wait_s, max=self.max_wait_s, jitter=self.jitter_s
        )

        def wait(state: RetryCallState) -> float:
            delay = backoff(state)
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
                delay = max(delay, exc.retry_after)
            return float(delay)

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.warning(
                "tessitura.retry",
                call=what,
                attempt=state.attempt_number,
                error=type(exc).__name__,
                status=getattr(exc, "status", None),
                wait_s=round(state.upcoming_sleep, 3),
            )

        retrying = AsyncRetrying(
            retry=retry_if_exception_type(RetryableError),
            stop=stop_after_attempt(self.attempts) | stop_before_delay(self.total_s),
            wait=wait,
            before_sleep=before_sleep,
            sleep=self.sleep,
            reraise=True,
        )
        result: T = await retrying(attempt)
        return result
