"""BridgeMetrics: names, labels and the scrape-time seconds-since-last-sync."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from bridge.clock import ManualClock
from bridge.core.applied import ApplyOutcome
from bridge.core.findings import Finding, FindingKind
from bridge.core.outcome import Ending, RunReport, UnitResult
from bridge.core.plan_model import Plan
from bridge.daemon.membership import Membership, Role
from bridge.daemon.metrics import MAX_ENDPOINTS, BridgeMetrics, unit_kind
from bridge.mapping.model import MappingTables, PerformanceTarget
from bridge.reconcile.leases import instance_id
from bridge.store import open_store
from bridge.store.base import WRITER_LEASE

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
    m.count_report(RunReport((_unit(kind),)))
    assert value(m, "seatbridge_reconciles_total", result=result) == 1
    assert value(m, "seatbridge_reconciles_total", result="converged") == 0


def test_a_clean_unit_counts_as_converged() -> None:
    m = BridgeMetrics(clock=ManualClock(T0))
    m.count_report(RunReport((_unit(),)))
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
    m.count_report(RunReport((UnitResult((201,), Plan(), outcome=outcome),)))
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


# -- reconcile duration, last success, build info ------------------------------------------------


def test_a_units_reconcile_is_timed_on_the_injected_monotonic_clock() -> None:
    clock = ManualClock(T0)
    m = BridgeMetrics(clock=clock)
    with m.timing("season"):
        clock.advance(42)
        clock.step(-3600)  # a wall-clock step during the run does not change its duration
    name = "seatbridge_reconcile_duration_seconds"
    assert value(m, f"{name}_count", kind="season") == 1
    assert value(m, f"{name}_sum", kind="season") == 42
    assert value(m, f"{name}_bucket", kind="season", le="30.0") == 0
    assert value(m, f"{name}_bucket", kind="season", le="60.0") == 1
    assert value(m, f"{name}_count", kind="performance") == 0  # counted from zero


def test_a_run_cut_off_by_its_timeout_counts_with_its_duration() -> None:
    clock = ManualClock(T0)
    m = BridgeMetrics(clock=clock)
    with pytest.raises(TimeoutError), m.timing("performance"):
        clock.advance(600)
        raise TimeoutError
    name = "seatbridge_reconcile_duration_seconds"
    assert value(m, f"{name}_count", kind="performance") == 1
    assert value(m, f"{name}_sum", kind="performance") == 600
    assert value(m, f"{name}_bucket", kind="performance", le="300.0") == 0


def test_a_run_cancelled_at_stop_is_not_timed() -> None:
    clock = ManualClock(T0)
    m = BridgeMetrics(clock=clock)
    with pytest.raises(asyncio.CancelledError), m.timing("performance"):
        clock.advance(3)
        raise asyncio.CancelledError
    assert value(m, "seatbridge_reconcile_duration_seconds_count", kind="performance") == 0


def test_the_last_success_is_the_wall_time_of_the_last_run_without_error() -> None:
    clock = ManualClock(T0)
    m = BridgeMetrics(clock=clock)
    name = "seatbridge_last_success_timestamp_seconds"
    # none yet: the daemon's start, so an alert on its age fires when nothing ever succeeds
    assert value(m, name, kind="performance") == T0.timestamp()
    assert value(m, name, kind="season") == T0.timestamp()
    clock.advance(30)
    m.unit_ended("performance", Ending.ERROR)
    assert value(m, name, kind="performance") == T0.timestamp()
    m.unit_ended("performance", Ending.CONVERGED)
    assert value(m, name, kind="performance") == (T0 + timedelta(seconds=30)).timestamp()
    clock.set(T0)
    m = BridgeMetrics(clock=clock)
    m.unit_ended("performance", Ending.CONVERGED)
    for failed in (Ending.ERROR, Ending.TIMEOUT, Ending.REFUSED, Ending.LEASED_ELSEWHERE):
        clock.advance(60)
        m.unit_ended("performance", failed)
        assert value(m, name, kind="performance") == T0.timestamp(), failed
    clock.advance(60)
    m.unit_ended("performance", Ending.CONFLICTS)  # converged but for seats sold online
    assert value(m, name, kind="performance") == (T0 + timedelta(minutes=5)).timestamp()


def test_a_scheduled_performance_that_never_syncs_still_ages() -> None:
    """Since-last-sync counts from when the performance was scheduled until its first sync, so
    a performance whose runs all fail from the start is not invisible to the alert."""
    clock = ManualClock(T0)
    m = BridgeMetrics(clock=clock)
    name = "seatbridge_seconds_since_last_sync"
    m.scheduled(201)
    clock.advance(900)
    m.scheduled(201)  # scheduled again by the next discovery: still counts from the first
    assert value(m, name, performance="201") == 900
    m.synced(201, clock.now())
    assert value(m, name, performance="201") == 0


def test_the_for_sale_budget_of_an_event_that_left_the_schedule_is_dropped() -> None:
    """A spent budget of a show that ended must not keep the alert on it firing forever."""
    m = BridgeMetrics(clock=ManualClock(T0))
    name = "seatbridge_for_sale_edits_left"
    m.for_sale_edits_left("perf-201", 0)
    m.for_sale_edits_left("perf-202", 7)
    m.keep_events({"perf-202"})
    assert value(m, name, event="perf-201") is None
    assert value(m, name, event="perf-202") == 7
    assert value(m, name, kind="season") is None  # each kind its own


def test_build_info_names_the_installed_version_and_the_python() -> None:
    m = BridgeMetrics(clock=ManualClock(T0))
    info = [dict(labels) for (name, labels) in samples(m) if name == "seatbridge_build_info"]
    assert info == [{"version": metadata.version("seatbridge"), "python": sys.version.split()[0]}]
    assert value(m, "seatbridge_build_info", **info[0]) == 1


def test_build_info_says_unknown_when_seatbridge_is_not_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    m = BridgeMetrics(clock=ManualClock(T0))
    versions = {dict(lb)["version"] for (n, lb) in samples(m) if n == "seatbridge_build_info"}
    assert versions == {"unknown"}


def test_process_and_python_families_are_on_the_private_registry() -> None:
    names = {name for name, _ in samples(BridgeMetrics(clock=ManualClock(T0)))}
    assert {"process_cpu_seconds_total", "process_resident_memory_bytes"} <= names
    assert {"process_start_time_seconds", "process_open_fds", "python_info"} <= names
    assert "python_gc_collections_total" in names


def _tables(*targets: PerformanceTarget) -> MappingTables:
    return MappingTables({}, {}, {t.performance_id: t for t in targets})


def test_a_unit_is_a_season_when_it_has_several_performances_or_a_season_key() -> None:
    tables = _tables(
        PerformanceTarget(201, "perf-201"),
        PerformanceTarget(301, "perf-301", season_key="season-3"),
    )
    assert unit_kind((201,), tables) == "performance"
    assert unit_kind((999,), tables) == "performance"  # not in the tables: on its own
    assert unit_kind((301,), tables) == "season"  # a season of one performance
    assert unit_kind((201, 202), tables) == "season"


# -- owned units and live instances --------------------------------------------------------------


def test_an_active_daemon_on_sqlite_owns_every_unit_and_is_the_one_live_instance(
    tmp_path: Path,
) -> None:
    clock = ManualClock(T0)
    m = BridgeMetrics(clock=clock)
    with open_store(tmp_path / "s.sqlite3") as store:
        me = Membership(instance_id(), shared=False, grace_s=1.0, clock=clock)
        assert me.take_writer_role(store, 30)
        me.set_role(store, Role.ACTIVE, "127.0.0.1:9464")
        m.membership(me)
        assert value(m, "seatbridge_owned_units") == 0  # nothing discovered yet
        assert value(m, "seatbridge_live_instances") == 1
        me.units({"unit:201", "unit:202", "unit:301,302"})  # discovery
        m.membership(me)
        assert value(m, "seatbridge_owned_units") == 3
        assert value(m, "seatbridge_live_instances") == 1

        # another daemon takes the writer role: this one lost it and runs nothing more
        store.release_lease(WRITER_LEASE, me.holder)
        other = Membership("other:1:x", shared=False, grace_s=1.0, clock=clock)
        assert other.take_writer_role(store, 30)
        me.renew_writer_role(store, 30)
        m.membership(me)
        assert value(m, "seatbridge_owned_units") == 0


def test_a_standby_on_sqlite_owns_no_unit(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    m = BridgeMetrics(clock=clock)
    with open_store(tmp_path / "s.sqlite3") as store:
        assert store.acquire_lease(WRITER_LEASE, instance_id(), 30)  # the active one
        standby = Membership("standby:2:y", shared=False, grace_s=1.0, clock=clock)
        assert not standby.take_writer_role(store, 30)
        standby.set_role(store, Role.STANDBY, "127.0.0.1:9465")
        m.membership(standby)
        assert value(m, "seatbridge_owned_units") == 0
        assert value(m, "seatbridge_live_instances") == 1


def test_instances_on_a_shared_store_count_each_other_and_split_the_units(
    tmp_path: Path,
) -> None:
    clock = ManualClock(T0)
    units = {f"unit:{n}" for n in range(200, 220)}
    with open_store(tmp_path / "s.sqlite3") as store:
        members = [Membership(h, shared=True, grace_s=1.0, clock=clock) for h in ("a:1:x", "b:2:y")]
        for member in members:
            member.set_role(store, Role.ACTIVE, "127.0.0.1:0")
            member.units(units)
            member.heartbeat(store, "127.0.0.1:0")
        owned = []
        for member in members:
            member.heartbeat(store, "127.0.0.1:0")  # now each has seen the other
            m = BridgeMetrics(clock=clock)
            m.membership(member)
            assert value(m, "seatbridge_live_instances") == 2
            owned.append(value(m, "seatbridge_owned_units"))
        assert sum(o or 0 for o in owned) == len(units)
        assert all(o for o in owned)
