"""The daemon's scheduling rules, on an injected clock: cadence, backoff, requeue, leaving."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bridge.core.outcome import ErrorKind, Requeue
from bridge.daemon.schedule import (
    Backoff,
    UnitJob,
    failures_after,
    jobs_for,
    next_run,
    regrouped,
    retry_cap_s,
    unit_key,
)

NOW = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
NO_JITTER = Backoff(jitter_share=0.0)


def every_s_for(hours: float) -> float:
    """The sample venue's cadences: 15 s within a day, 60 s within a week, 300 s after."""
    return 15.0 if hours <= 24 else 60.0 if hours <= 168 else 300.0


def test_a_clean_run_comes_back_on_the_cadence_within_its_jitter() -> None:
    rng = random.Random(7)
    delays = [next_run(Requeue(), 0, 60.0, Backoff(), rng).delay_s for _ in range(200)]
    assert all(54.0 <= d <= 66.0 for d in delays)
    assert len({round(d, 3) for d in delays}) > 100  # spread out, not one instant


def test_retryable_failures_back_off_exponentially_up_to_the_cap() -> None:
    failing = Requeue(ErrorKind.RETRYABLE, None, "timeout")
    delays = [next_run(failing, n, 15.0, NO_JITTER, random.Random()).delay_s for n in range(1, 10)]
    assert delays == [5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0, 600.0, 600.0]


def test_a_vendor_retry_after_is_never_cut_short_but_is_bounded() -> None:
    limited = Requeue(ErrorKind.RETRYABLE, 3600.0, "daily for-sale limit")
    assert next_run(limited, 1, 15.0, NO_JITTER, random.Random()).delay_s == 3600.0
    absurd = Requeue(ErrorKind.RETRYABLE, 10**9, "429")
    assert next_run(absurd, 1, 15.0, NO_JITTER, random.Random()).delay_s == 86400.0


def test_an_unknown_outcome_is_re_read_soon_and_a_terminal_error_waits_for_the_config() -> None:
    unknown = next_run(
        Requeue(ErrorKind.OUTCOME_UNKNOWN, None, "5xx"), 3, 300.0, NO_JITTER, random.Random()
    )
    assert unknown.delay_s == 5.0 and not unknown.waits_for_config
    terminal = next_run(
        Requeue(ErrorKind.TERMINAL, None, "no event"), 1, 15.0, NO_JITTER, random.Random()
    )
    assert terminal.waits_for_config and terminal.delay_s == 3600.0
    assert "no event" in terminal.reason


@given(
    kind=st.sampled_from([None, *ErrorKind]),
    after=st.none() | st.floats(min_value=0, max_value=1e12, allow_nan=False),
    failures=st.integers(min_value=0, max_value=10_000),
    cadence=st.floats(min_value=1, max_value=86400),
    seed=st.integers(),
)
def test_every_next_run_is_positive_finite_and_bounded(
    kind: ErrorKind | None, after: float | None, failures: int, cadence: float, seed: int
) -> None:
    backoff = Backoff()
    run = next_run(Requeue(kind, after, "x"), failures, cadence, backoff, random.Random(seed))
    assert (
        0 < run.delay_s <= max(cadence * 1.1, backoff.max_retry_after_s, backoff.terminal_recheck_s)
    )
    if after is not None and kind in (ErrorKind.RETRYABLE, ErrorKind.OUTCOME_UNKNOWN):
        assert run.delay_s >= min(after, backoff.max_retry_after_s)


def test_a_show_tonight_backs_off_within_three_cadences_one_next_season_up_to_the_cap() -> None:
    failing = Requeue(ErrorKind.RETRYABLE, None, "Tessitura timed out")
    tonight = [
        next_run(failing, n, 5.0, NO_JITTER, random.Random(), near=True).delay_s
        for n in range(1, 8)
    ]
    assert tonight == [5.0, 10.0, 15.0, 15.0, 15.0, 15.0, 15.0]
    later = [next_run(failing, n, 300.0, NO_JITTER, random.Random()).delay_s for n in range(1, 10)]
    assert later == [5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0, 600.0, 600.0]


def test_a_show_tonight_syncs_within_one_short_wait_after_a_70_s_outage() -> None:
    """The issue's case: a 5 s cadence, Tessitura down 70 s, each failed run taking 10 s (its
    timeout). The first run after the vendor is back starts within 15 s of its return (it was
    43 s with the 600 s cap), and that success ends the streak: the cadence again."""
    failing = Requeue(ErrorKind.RETRYABLE, None, "timeout")
    t, failures, back_at = 0.0, 0, 70.0
    while t < back_at:  # a run starting before the vendor is back fails after its 10 s timeout
        failures = failures_after(failures, failing)
        wait = next_run(failing, failures, 5.0, NO_JITTER, random.Random(), near=True).delay_s
        t += 10.0 + wait
    assert t - back_at <= 15.0  # the first run after the return; 600 s cap: 45 s
    assert failures_after(failures, Requeue()) == 0
    assert next_run(Requeue(), 0, 5.0, NO_JITTER, random.Random()).delay_s == 5.0


@given(
    failures=st.integers(min_value=1, max_value=10_000),
    cadence=st.floats(min_value=0.5, max_value=86400),
    base=st.floats(min_value=0.1, max_value=60),
    cap=st.floats(min_value=60, max_value=3600),
    factor=st.floats(min_value=1, max_value=10),
    jitter=st.floats(min_value=0, max_value=0.5),
    near=st.booleans(),
    seed=st.integers(),
)
def test_a_retry_never_waits_past_its_bound_and_near_shows_stay_within_a_few_cadences(
    failures: int,
    cadence: float,
    base: float,
    cap: float,
    factor: float,
    jitter: float,
    near: bool,
    seed: int,
) -> None:
    backoff = Backoff(base_s=base, cap_s=cap, cadence_factor=factor, jitter_share=jitter)
    failing = Requeue(ErrorKind.RETRYABLE, None, "5xx")
    delay = next_run(failing, failures, cadence, backoff, random.Random(seed), near=near).delay_s
    bound = retry_cap_s(cadence, backoff, near=near)
    assert 0 < delay <= bound  # jitter never takes a retry past its cap
    assert bound <= cap
    if near:
        assert bound <= max(base, factor * cadence)


@given(
    streak=st.lists(
        st.sampled_from([ErrorKind.RETRYABLE, ErrorKind.OUTCOME_UNKNOWN, ErrorKind.TERMINAL]),
        max_size=50,
    ),
    cadence=st.floats(min_value=1, max_value=3600),
    near=st.booleans(),
    seed=st.integers(),
)
def test_the_first_clean_run_ends_any_failure_streak_and_comes_back_on_the_cadence(
    streak: list[ErrorKind], cadence: float, near: bool, seed: int
) -> None:
    failures = 0
    for kind in streak:
        failures = failures_after(failures, Requeue(kind, None, "x"))
    assert failures == len(streak)
    failures = failures_after(failures, Requeue())
    assert failures == 0
    backoff = Backoff()
    clean = next_run(Requeue(), failures, cadence, backoff, random.Random(seed), near=near)
    assert clean.reason == "cadence"
    assert (
        cadence * (1 - backoff.jitter_share)
        <= clean.delay_s
        <= cadence * (1 + backoff.jitter_share)
    )
    retry = next_run(
        Requeue(ErrorKind.RETRYABLE, None, "x"), 1, cadence, backoff, random.Random(seed)
    )
    assert retry.delay_s <= backoff.base_s * (1 + backoff.jitter_share)  # the streak starts anew


def test_units_run_on_their_soonest_performance_and_leave_when_over() -> None:
    starts = {
        101: NOW + 2 * HOUR,  # tonight: 15 s
        102: NOW + 100 * HOUR,  # this week
        103: NOW + 400 * HOUR,  # later
        104: NOW - 8 * HOUR,  # over, beyond the 6 h margin
        105: NOW - 2 * HOUR,  # started two hours ago: still within the margin
        106: None,  # its read failed: unknown is never "far away"
    }
    units = [(101, 103), (102,), (103,), (104,), (105,), (106,), (104, 102)]
    jobs = jobs_for(units, starts, NOW, every_s_for, timedelta(hours=6))
    assert jobs == {  # near: one of its performances plays within a day, or may (unknown)
        "unit:101,103": UnitJob("unit:101,103", (101, 103), 15.0, near=True),
        "unit:102": UnitJob("unit:102", (102,), 60.0),
        "unit:103": UnitJob("unit:103", (103,), 300.0),
        "unit:105": UnitJob("unit:105", (105,), 15.0, near=True),
        "unit:106": UnitJob("unit:106", (106,), 15.0, near=True),
        "unit:102,104": UnitJob("unit:102,104", (102, 104), 60.0),
    }


def test_a_unit_key_does_not_depend_on_order() -> None:
    assert unit_key((203, 201, 202)) == unit_key([201, 202, 203]) == "unit:201,202,203"


def test_a_unit_whose_performances_moved_to_other_units_was_regrouped_not_ended() -> None:
    alone = UnitJob(unit_key([201]), (201,), 60.0)
    season = UnitJob(unit_key([101, 102, 201]), (101, 102, 201), 60.0)
    other = UnitJob(unit_key([202]), (202,), 60.0)
    assert regrouped(alone, {season.key: season, other.key: other})  # 201 joined a season
    assert not regrouped(alone, {other.key: other})  # 201 is over: its conditions end
    # a season that lost a performance that is over: not every one of them goes on
    assert not regrouped(season, {alone.key: alone, other.key: other})
