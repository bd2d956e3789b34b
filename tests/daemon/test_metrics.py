"""BridgeMetrics: names, labels and the scrape-time seconds-since-last-sync."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from bridge.clock import ManualClock
from bridge.core.applied import ApplyOutcome
from bridge.core.findings import Finding, FindingKind
from bridge.core.outcome import RunReport, UnitResult
from bridge.core.plan_model import Plan
from bridge.daemon.metrics import MAX_ENDPOINTS, BridgeMetrics

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def samples(m: BridgeMetrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    body, _ = m.exposition()
    out: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(m: BridgeMetrics, name: str, **labels: str) -> float | None:
    return samples(m).get((name, frozenset(labels.items())))


def test_counters_and_gauges_appear_with_their_labels() -> None:
    m = BridgeMetrics(clock=ManualClock(T0))
    m.unit_reconciled("converged")
    m.unit_reconciled("converged")
    m.operation("hold", "done")
    m.conflicts(3)
    m.conflicts(0)
    m.objects("hold", 5)
    m.rate_limited("seatsio", "regular")
    m.for_sale_edits_left("evt-1", 7)
    m.config_reload("applied")
    m.role(True)
    m.units_in_flight(+1)
    m.units_in_flight(+1)
    m.units_in_flight(-1)
    m.scheduled_units(4)

    assert value(m, "seatbridge_reconciles_total", result="converged") == 2
    assert value(m, "seatbridge_reconciles_total", result="timeout") == 0  # counted from zero
    assert value(m, "seatbridge_operations_total", kind="hold", result="done") == 1
    assert value(m, "seatbridge_conflicts_total") == 3
    assert value(m, "seatbridge_objects_total", action="hold") == 5
    assert value(m, "seatbridge_rate_limited_total", vendor="seatsio", lane="regular") == 1
    assert value(m, "seatbridge_for_sale_edits_left", event="evt-1") == 7
    assert value(m, "seatbridge_config_reloads_total", result="applied") == 1
    assert value(m, "seatbridge_config_reloads_total", result="unchanged") == 0
    assert value(m, "seatbridge_active") == 1
    assert value(m, "seatbridge_units_in_flight") == 1
    assert value(m, "seatbridge_scheduled_units") == 4

    m.role(False)
    assert value(m, "seatbridge_active") == 0


def test_api_requests_count_by_status_and_time_in_seconds() -> None:
    m = BridgeMetrics(clock=ManualClock(T0))
    m.api_request("seatsio", "GET /events/{key}", 200, 0.2, None)
    m.api_request("seatsio", "GET /events/{key}", None, 3.0, "ConnectTimeout")
    ep = {"vendor": "seatsio", "endpoint": "GET /events/{key}"}

    assert value(m, "seatbridge_api_requests_total", **ep, status="200") == 1
    assert value(m, "seatbridge_api_requests_total", **ep, status="error") == 1
    assert value(m, "seatbridge_api_request_duration_seconds_count", **ep) == 2
    assert value(m, "seatbridge_api_request_duration_seconds_sum", **ep) == pytest.approx(3.2)
    assert value(m, "seatbridge_api_request_duration_seconds_bucket", **ep, le="0.25") == 1
    assert value(m, "seatbridge_api_request_duration_seconds_bucket", **ep, le="5.0") == 2


def test_endpoint_label_is_bounded() -> None:
    m = BridgeMetrics(clock=ManualClock(T0))
    for i in range(MAX_ENDPOINTS + 5):
        m.api_request("tessitura", f"GET /perf/{i}?secret=x", 200, 0.1, None)

    endpoints = {
        dict(labels)["endpoint"]
        for (name, labels) in samples(m)
        if name == "seatbridge_api_requests_total"
    }
    assert len(endpoints) == MAX_ENDPOINTS + 1
    assert "other" in endpoints
    assert not any("?" in e for e in endpoints)


def test_seconds_since_last_sync_follows_the_injected_clock() -> None:
    clock = ManualClock(T0)
    m = BridgeMetrics(clock=clock)
    name = "seatbridge_seconds_since_last_sync"
    assert not any(n == name for n, _ in samples(m))

    m.synced(101, T0 - timedelta(seconds=30))
    m.synced(102, T0)
    assert value(m, name, performance="101") == 30
    assert value(m, name, performance="102") == 0

    clock.set(T0 + timedelta(minutes=5))  # nothing synced since: the gauge keeps growing
    assert value(m, name, performance="101") == 330
    assert value(m, name, performance="102") == 300

    m.synced(101, T0 - timedelta(hours=1))  # an older sync does not move it back
    assert value(m, name, performance="101") == 330


def test_forget_removes_the_performance() -> None:
    m = BridgeMetrics(clock=ManualClock(T0))
    m.synced(101, T0)
    m.synced(102, T0)
    m.forget(101)
    m.forget(999)  # unknown: fine

    assert value(m, "seatbridge_seconds_since_last_sync", performance="101") is None
    assert value(m, "seatbridge_seconds_since_last_sync", performance="102") == 0


def test_instances_use_their_own_registry() -> None:
    a, b = BridgeMetrics(clock=ManualClock(T0)), BridgeMetrics(clock=ManualClock(T0))
    a.unit_reconciled("error")

    assert value(a, "seatbridge_reconciles_total", result="error") == 1
    assert value(b, "seatbridge_reconciles_total", result="error") == 0
    assert REGISTRY.get_sample_value("seatbridge_reconciles_total", {"result": "error"}) is None


def test_exposition_has_the_text_content_type() -> None:
    body, content_type = BridgeMetrics(clock=ManualClock(T0)).exposition()
    assert content_type.startswith("text/plain")
    assert b"# TYPE seatbridge_reconciles_total counter" in body
    assert b"# HELP seatbridge_seconds_since_last_sync" in body


def _unit(*kinds: FindingKind, applied: bool = True) -> UnitResult:
    findings = tuple(Finding(k, performance_id=201, event_key="perf-201") for k in kinds)
    plan = Plan(operations=(), findings=findings)
    return UnitResult((201,), plan, outcome=ApplyOutcome() if applied else None)


@pytest.mark.parametrize(
    ("kind", "result"),
    [
        (FindingKind.UNMAPPED_SEAT, "error"),
        (FindingKind.FOR_SALE_BUDGET_EXHAUSTED, "error"),
        (FindingKind.SEASON_RELEASE_WAITS, "error"),
        (FindingKind.MASS_RELEASE_REFUSED, "refused"),
        (FindingKind.CONFLICT, "conflicts"),
    ],
)
def test_a_unit_with_an_error_finding_counts_as_an_error_never_as_converged(
    kind: FindingKind, result: str
) -> None:
    m = BridgeMetrics(clock=ManualClock(T0))
    m.count_report(RunReport((_unit(kind),)), T0)
    assert value(m, "seatbridge_reconciles_total", result=result) == 1
    assert value(m, "seatbridge_reconciles_total", result="converged") == 0


def test_a_clean_unit_counts_as_converged() -> None:
    m = BridgeMetrics(clock=ManualClock(T0))
    m.count_report(RunReport((_unit(),)), T0)
    assert value(m, "seatbridge_reconciles_total", result="converged") == 1
    assert value(m, "seatbridge_reconciles_total", result="error") == 0


def test_tessitura_write_back_operations_count_by_kind_and_result() -> None:
    from bridge.core.applied import OpResult
    from bridge.core.plan_model import Operation, OpKind

    def op(kind: OpKind, labels: tuple[str, ...]) -> Operation:
        seats = tuple(range(len(labels)))
        return Operation(kind, ("perf-201",), labels, "90", performance_id=201, seat_ids=seats)

    hold = op(OpKind.HOLD_IN_TESSITURA, ("A-1", "A-2"))
    lift = op(OpKind.LIFT_IN_TESSITURA, ("A-3",))
    other = Operation(OpKind.CHANGE_STATUS, ("perf-201",), ("A-4",), "press")
    outcome = ApplyOutcome(
        results=[OpResult(hold, "done"), OpResult(lift, "unknown"), OpResult(other, "done")]
    )
    m = BridgeMetrics(clock=ManualClock(T0))
    assert value(m, "seatbridge_writeback_operations_total", kind="hold", result="failed") == 0
    m.count_report(RunReport((UnitResult((201,), Plan(), outcome=outcome),)), T0)
    assert value(m, "seatbridge_writeback_operations_total", kind="hold", result="done") == 1
    assert value(m, "seatbridge_writeback_operations_total", kind="lift", result="unknown") == 1
    assert value(m, "seatbridge_writeback_operations_total", kind="lift", result="done") == 0
    m.writeback_operation("change_status", "done")  # not the write-back: not counted here
    m.writeback_operation("hold_in_tessitura", "weird")  # a result outside the set: bounded
    kinds = {
        (labels["kind"], labels["result"])
        for (name, labels_set) in samples(m)
        if name == "seatbridge_writeback_operations_total"
        for labels in [dict(labels_set)]
    }
    assert {k for k, _ in kinds} == {"hold", "lift"}
    assert ("hold", "other") in kinds and ("hold", "weird") not in kinds


def test_the_write_back_holds_gauge_is_what_the_ledger_says() -> None:
    m = BridgeMetrics(clock=ManualClock(T0))
    m.writeback_holds(3)
    assert value(m, "seatbridge_writeback_holds") == 3
    m.writeback_holds(0)
    assert value(m, "seatbridge_writeback_holds") == 0
