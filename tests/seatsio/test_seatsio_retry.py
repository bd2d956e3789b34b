"""The retry schedule: bounded exponential backoff, Retry-After honoured up to a ceiling."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from bridge.seatsio import RetryPolicy
from bridge.seatsio.retry import parse_retry_after


def test_backoff_doubles_within_jitter_and_stops_at_the_cap() -> None:
    policy = RetryPolicy(base_delay_s=0.4, max_delay_s=6.4, rng=random.Random(1))
    for attempt, ceiling in [(1, 0.4), (2, 0.8), (3, 1.6), (5, 6.4), (9, 6.4)]:
        wait = policy.backoff(attempt)
        assert ceiling / 2 <= wait <= ceiling


def test_retry_after_within_the_ceiling_is_waited_exactly() -> None:
    assert RetryPolicy(max_retry_after_s=30).delay(1, 12.0) == 12.0


def test_retry_after_beyond_the_ceiling_gives_up_at_once() -> None:
    assert RetryPolicy(max_retry_after_s=30).delay(1, 3600.0) is None


def test_no_delay_after_the_last_attempt() -> None:
    assert RetryPolicy(max_attempts=3).delay(3, None) is None


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
