"""The for-sale budget: seats.io allows 10 restricting for-sale edits per event per 24 hours."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bridge.clock import ManualClock
from bridge.store import FOR_SALE_DAILY_LIMIT, StateStore

OpenStore = Callable[..., StateStore]

T0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_an_event_never_edited_has_the_whole_daily_budget(store: StateStore) -> None:
    assert store.for_sale_calls_left("perf-101", now=T0) == FOR_SALE_DAILY_LIMIT == 10


def test_each_call_in_the_last_24_hours_uses_one(store: StateStore) -> None:
    for hours in range(3):
        store.record_for_sale_call("perf-101", now=T0 + hours * HOUR)
    assert store.for_sale_calls_left("perf-101", now=T0 + 3 * HOUR) == 7


def test_a_call_comes_back_24_hours_after_it_was_made(store: StateStore) -> None:
    store.record_for_sale_call("perf-101", now=T0)
    store.record_for_sale_call("perf-101", now=T0 + 2 * HOUR)
    assert store.for_sale_calls_left("perf-101", now=T0 + 24 * HOUR - timedelta(seconds=1)) == 8
    assert store.for_sale_calls_left("perf-101", now=T0 + 24 * HOUR) == 9
    assert store.for_sale_calls_left("perf-101", now=T0 + 26 * HOUR) == 10


def test_budgets_are_per_event(store: StateStore) -> None:
    store.record_for_sale_call("perf-101", now=T0)
    assert store.for_sale_calls_left("perf-102", now=T0) == 10
    assert store.for_sale_calls_left("perf-101", now=T0) == 9


def test_the_budget_never_goes_below_zero(store: StateStore) -> None:
    for minute in range(12):
        store.record_for_sale_call("perf-101", now=T0 + timedelta(minutes=minute))
    assert store.for_sale_calls_left("perf-101", now=T0 + HOUR) == 0


def test_the_api_reported_figure_wins_while_its_reset_is_ahead(store: StateStore) -> None:
    store.record_for_sale_call("perf-101", now=T0, remaining=3, resets_at=T0 + 5 * HOUR)
    assert store.for_sale_calls_left("perf-101", now=T0 + HOUR) == 3


def test_calls_after_the_reported_figure_are_taken_off_it(store: StateStore) -> None:
    store.record_for_sale_call("perf-101", now=T0, remaining=3, resets_at=T0 + 5 * HOUR)
    store.record_for_sale_call("perf-101", now=T0 + HOUR)
    assert store.for_sale_calls_left("perf-101", now=T0 + 2 * HOUR) == 2


def test_the_latest_reported_figure_replaces_older_ones(store: StateStore) -> None:
    store.record_for_sale_call("perf-101", now=T0, remaining=3, resets_at=T0 + 5 * HOUR)
    store.record_for_sale_call("perf-101", now=T0 + HOUR, remaining=6, resets_at=T0 + 5 * HOUR)
    assert store.for_sale_calls_left("perf-101", now=T0 + 2 * HOUR) == 6


def test_after_the_reported_reset_the_own_count_applies_again(store: StateStore) -> None:
    store.record_for_sale_call("perf-101", now=T0, remaining=0, resets_at=T0 + 5 * HOUR)
    store.record_for_sale_call("perf-101", now=T0 + HOUR)
    assert store.for_sale_calls_left("perf-101", now=T0 + 4 * HOUR) == 0
    assert store.for_sale_calls_left("perf-101", now=T0 + 5 * HOUR) == 8


def test_a_reported_figure_without_reset_date_holds_for_24_hours(store: StateStore) -> None:
    store.record_for_sale_call("perf-101", now=T0, remaining=1)
    assert store.for_sale_calls_left("perf-101", now=T0 + 23 * HOUR) == 1
    assert store.for_sale_calls_left("perf-101", now=T0 + 24 * HOUR) == 10


def test_a_negative_reported_figure_is_refused(store: StateStore) -> None:
    with pytest.raises(ValueError, match="negative"):
        store.record_for_sale_call("perf-101", now=T0, remaining=-1)


def test_budget_calls_use_the_injected_clock_when_now_is_omitted(open_fresh: OpenStore) -> None:
    store = open_fresh(clock=ManualClock(T0))
    store.record_for_sale_call("perf-101")
    assert store.for_sale_calls_left("perf-101") == 9
    assert store.for_sale_calls_left("perf-101", now=T0 + 24 * HOUR) == 10
