"""Which performances a run brought in step: the one judge of "last sync" for the metrics and the
status page. A performance synced when its own outcome is converged or conflicts in a unit this
process held; an error finding, a refused release, a failed operation or another process's lease
is no sync, and one performance's trouble does not take the sync from its unit's others."""

from __future__ import annotations

import pytest

from bridge.config import load_config
from bridge.core.applied import ApplyOutcome
from bridge.core.findings import Finding, FindingKind
from bridge.core.outcome import RunReport, UnitError, UnitResult
from bridge.core.plan_model import Plan
from bridge.reconcile.run import synced_performances
from bridge.testing.sandbox import SANDBOX_CONFIG

TABLES = load_config(SANDBOX_CONFIG).tables


def unit(*kinds: FindingKind, on: int = 201, leased_elsewhere: bool = False) -> UnitResult:
    findings = tuple(Finding(k, performance_id=on, event_key=f"perf-{on}") for k in kinds)
    return UnitResult(
        (201, 202),
        Plan(operations=(), findings=findings),
        outcome=ApplyOutcome(),
        leased_elsewhere=leased_elsewhere,
    )


@pytest.mark.parametrize(
    "kind",
    [
        FindingKind.UNMAPPED_SEAT,
        FindingKind.FOR_SALE_BUDGET_EXHAUSTED,
        FindingKind.SEASON_RELEASE_WAITS,
        FindingKind.MASS_RELEASE_REFUSED,
    ],
)
def test_an_error_finding_or_a_refusal_is_no_sync_of_its_performance(kind: FindingKind) -> None:
    assert synced_performances(TABLES, RunReport((unit(kind),))) == [202]


def test_converged_and_conflicts_are_syncs() -> None:
    assert synced_performances(TABLES, RunReport((unit(),))) == [201, 202]
    assert synced_performances(TABLES, RunReport((unit(FindingKind.CONFLICT),))) == [201, 202]


def test_a_unit_another_process_holds_or_a_unit_error_syncs_nothing() -> None:
    assert synced_performances(TABLES, RunReport((unit(leased_elsewhere=True),))) == []
    broken = unit()
    broken.errors.append(UnitError("seats.io did not answer"))
    assert synced_performances(TABLES, RunReport((broken,))) == []
