"""What a unit's result tells the daemon: the kind of each error and when to come back."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.core.applied import ApplyOutcome, OpResult
from bridge.core.findings import Finding, FindingKind, Severity
from bridge.core.outcome import (
    Ending,
    ErrorKind,
    Requeue,
    RunReport,
    UnitError,
    UnitResult,
    kind_of,
    worst,
)
from bridge.core.plan_model import Operation, OpKind, Plan
from bridge.errors import (
    ConfigError,
    ConflictError,
    CredentialsError,
    ForSaleLimitError,
    MalformedResponseError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    RetryableError,
    TerminalError,
)

EMPTY = Plan(operations=(), findings=())
HOLD = Operation(OpKind.CHANGE_STATUS, ("perf-101",), ("A-1",), "held-house")


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (RetryableError("timeout"), ErrorKind.RETRYABLE),
        (RateLimitedError("429", retry_after=3.0), ErrorKind.RETRYABLE),
        (ConflictError("the world moved"), ErrorKind.RETRYABLE),
        (MalformedResponseError("garbage"), ErrorKind.RETRYABLE),
        (RuntimeError("a bug"), ErrorKind.RETRYABLE),
        (OutcomeUnknownError("5xx after sending"), ErrorKind.OUTCOME_UNKNOWN),
        (TerminalError("400"), ErrorKind.TERMINAL),
        (NotFoundError("no such event"), ErrorKind.TERMINAL),
        (ConfigError("bad table"), ErrorKind.TERMINAL),
        (CredentialsError("401"), ErrorKind.TERMINAL),
    ],
)
def test_each_error_class_has_the_kind_the_scheduler_acts_on(
    exc: BaseException, kind: ErrorKind
) -> None:
    assert kind_of(exc) is kind


def test_a_clean_unit_comes_back_on_its_cadence() -> None:
    assert UnitResult((101,), EMPTY).requeue == Requeue()


def test_the_worst_kind_wins_and_the_longest_retry_after_is_kept() -> None:
    errors = [
        UnitError.of(RateLimitedError("429", retry_after=4.0), 101),
        UnitError.of(OutcomeUnknownError("timeout after sending"), 102),
        UnitError.of(RateLimitedError("429", retry_after=9.0), 102),
    ]
    requeue = UnitResult((101, 102), EMPTY, errors=errors).requeue
    assert requeue.kind is ErrorKind.OUTCOME_UNKNOWN
    assert requeue.after_s == 9.0
    terminal = [*errors, UnitError.of(NotFoundError("no event perf-102"), 102)]
    assert UnitResult((101, 102), EMPTY, errors=terminal).requeue.kind is ErrorKind.TERMINAL


def test_failed_and_unknown_operations_count_with_their_own_kind() -> None:
    limit = ForSaleLimitError("daily for-sale limit", retry_after=3600.0)
    outcome = ApplyOutcome(
        run_id=1, results=[OpResult(HOLD, "done"), OpResult(HOLD, "failed", str(limit), limit)]
    )
    requeue = UnitResult((101,), EMPTY, outcome=outcome).requeue
    # the daily limit's Retry-After (hours) is not waited out: the store keeps that budget, and
    # the unit's other changes, holds placed meanwhile, must not wait for the reset
    assert requeue == Requeue(ErrorKind.RETRYABLE, None, requeue.reason)
    assert "change_status on perf-101" in requeue.reason
    outcome.results.append(OpResult(HOLD, "unknown", "read timeout"))
    assert UnitResult((101,), EMPTY, outcome=outcome).requeue.kind is ErrorKind.OUTCOME_UNKNOWN


def test_a_unit_leased_elsewhere_is_not_backed_off() -> None:
    busy = UnitResult(
        (101,), EMPTY, errors=[UnitError("held by b:2:x", 101)], leased_elsewhere=True
    )
    assert busy.requeue == Requeue()


def test_unexpected_errors_say_what_they_were() -> None:
    error = UnitError.of(KeyError("seat"), 101, prefix="performance 101: ")
    assert error.message == "performance 101: unexpected KeyError: 'seat'"
    assert error.kind is ErrorKind.RETRYABLE


@settings(max_examples=200, deadline=None)
@given(
    kinds=st.lists(st.sampled_from(list(FindingKind)), max_size=6),
    errors=st.integers(0, 2),
    applied=st.booleans(),
    ops=st.integers(0, 2),
    leased=st.booleans(),
)
def test_one_ending_and_any_failure_is_never_converged(
    kinds: list[FindingKind], errors: int, applied: bool, ops: int, leased: bool
) -> None:
    plan = Plan(
        operations=(HOLD,) * ops,
        findings=tuple(Finding(k, performance_id=101, event_key="perf-101") for k in kinds),
    )
    unit = UnitResult(
        (101,),
        plan,
        outcome=ApplyOutcome() if applied else None,
        errors=[UnitError("read failed", 101)] * errors,
        leased_elsewhere=leased,
    )
    ending = unit.ending
    error_finding = any(
        k.severity is Severity.ERROR and k is not FindingKind.MASS_RELEASE_REFUSED for k in kinds
    )
    if leased:
        assert ending is Ending.LEASED_ELSEWHERE
    elif errors or error_finding:
        assert ending is Ending.ERROR
    elif FindingKind.MASS_RELEASE_REFUSED in kinds:
        assert ending is Ending.REFUSED
    elif ops and not applied:
        assert ending is Ending.PENDING
    if error_finding or errors or leased or FindingKind.MASS_RELEASE_REFUSED in kinds:
        assert ending is not Ending.CONVERGED and ending.failed
        assert RunReport((unit, UnitResult((102,), EMPTY))).failed
    assert RunReport((unit,)).ending is ending


def test_a_pass_ends_as_its_worst_unit() -> None:
    assert worst([Ending.CONVERGED, Ending.CONFLICTS, Ending.ERROR]) is Ending.ERROR
    assert worst([Ending.CONFLICTS, Ending.PENDING]) is Ending.PENDING
    assert worst([]) is Ending.CONVERGED
