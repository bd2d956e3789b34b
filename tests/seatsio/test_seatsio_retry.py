"""The seats.io retry schedule, on the shared :class:`bridge.http.RetryPolicy`: bounded exponential
backoff, Retry-After honoured up to a ceiling; waits are recorded, never spent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bridge.errors import ForSaleLimitError, RateLimitedError, RetryableError
from bridge.http import RetryPolicy, parse_retry_after
from bridge.seatsio import RetryPolicy as ExportedPolicy


class Waits:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


async def fail_every_time(policy: RetryPolicy, error: RetryableError) -> list[int]:
    calls: list[int] = []

    async def attempt(number: int) -> None:
        calls.append(number)
        raise error

    with pytest.raises(type(error)):
        await policy.call(attempt, vendor="seats.io", method="GET", url="https://h.test/e")
    return calls


def test_the_seatsio_schedule_is_the_sdks() -> None:
    policy = RetryPolicy.seatsio()
    assert ExportedPolicy is RetryPolicy  # one policy for both vendors
    assert (policy.attempts, policy.first_wait_s, policy.max_wait_s) == (6, 0.4, 6.4)
    assert policy.max_retry_after_s == 30.0
    assert RetryPolicy.seatsio(attempts=2).attempts == 2


async def test_backoff_doubles_within_jitter_and_stops_at_the_cap() -> None:
    sleep = Waits()
    calls = await fail_every_time(
        RetryPolicy.seatsio(attempts=9, total_s=1000, sleep=sleep), RetryableError("503")
    )
    assert calls == list(range(1, 10))
    for wait, base in zip(sleep.waits, [0.4, 0.8, 1.6, 3.2, 6.4, 6.4, 6.4, 6.4], strict=True):
        assert base <= wait <= min(base + 0.4, 6.4)


async def test_retry_after_within_the_ceiling_is_waited_out() -> None:
    sleep = Waits()
    await fail_every_time(
        RetryPolicy.seatsio(attempts=2, sleep=sleep), RateLimitedError("429", retry_after=12.0)
    )
    assert sleep.waits == [12.0]


async def test_retry_after_beyond_the_ceiling_falls_back_to_backoff() -> None:
    sleep = Waits()
    await fail_every_time(
        RetryPolicy.seatsio(attempts=3, sleep=sleep), RateLimitedError("429", retry_after=3600.0)
    )
    assert len(sleep.waits) == 2 and max(sleep.waits) <= 1.2


async def test_the_vendor_hook_decides_what_may_repeat() -> None:
    sleep = Waits()
    policy = RetryPolicy.seatsio(sleep=sleep)
    calls: list[int] = []

    async def attempt(number: int) -> None:
        calls.append(number)
        raise ForSaleLimitError("daily", retry_after=7200.0)

    with pytest.raises(ForSaleLimitError):
        await policy.call(
            attempt,
            vendor="seats.io",
            method="POST",
            url="https://h.test/e",
            may_repeat=lambda exc: not isinstance(exc, ForSaleLimitError),
        )
    assert calls == [1] and sleep.waits == []


async def test_a_wait_beyond_the_total_budget_is_not_started() -> None:
    sleep = Waits()
    calls = await fail_every_time(
        RetryPolicy.seatsio(total_s=20, sleep=sleep), RateLimitedError("429", retry_after=15.0)
    )
    assert calls == [1, 2] and sleep.waits == [15.0]  # 15 + 15 would overrun 20 s


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
