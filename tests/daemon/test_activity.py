"""The daemon's activity: one line per thing that happened, a standing condition told once, and
the alerts a notifier gets (see bridge.daemon.activity)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import structlog
from prometheus_client.parser import text_string_to_metric_families

from bridge.clock import ManualClock
from bridge.config.loading import load_config
from bridge.config.settings import NotifySettings
from bridge.core.applied import ApplyOutcome, OpResult
from bridge.core.findings import Finding, FindingKind
from bridge.core.happenings import Alert, AlertKind, Topic
from bridge.core.outcome import Ending, ErrorKind, RunReport, UnitError, UnitResult
from bridge.core.plan_model import Operation, OpKind, Plan
from bridge.daemon.activity import Activity
from bridge.daemon.metrics import BridgeMetrics
from bridge.daemon.reload import Reload, ReloadResult
from bridge.daemon.service import Daemon
from bridge.daemon.state import DaemonState
from bridge.http import Exchange
from bridge.testing.sandbox import sandbox_config

T0 = datetime(2026, 5, 1, 18, 0, tzinfo=UTC)
UNIT = "perf-201"
ERROR_AFTER = NotifySettings().error_after_cadences

CONFLICT = Finding(
    FindingKind.CONFLICT,
    performance_id=201,
    event_key="perf-201",
    label="A-1",
    detail="Tessitura holds it but seats.io shows status 'booked'",
)
UNMAPPED = Finding(
    FindingKind.UNMAPPED_SEAT, performance_id=201, event_key="perf-201", seat_id=77, detail="x"
)
REFUSED = Finding(
    FindingKind.MASS_RELEASE_REFUSED,
    performance_id=201,
    event_key="perf-201",
    labels=("A-1", "A-2"),
    count=40,
    detail="would make 40 of 50 bridge-held objects buyable",
)


class World:
    """An Activity with a manual clock, a fresh state and metrics, and the alerts it sent."""

    def __init__(self) -> None:
        self.clock = ManualClock(T0)
        self.state = DaemonState()
        self.metrics = BridgeMetrics(clock=self.clock)
        self.alerts: list[Alert] = []
        self.activity = Activity(
            self.state,
            self.metrics,
            error_after=lambda: ERROR_AFTER,
            alert=self.alerts.append,
            clock=self.clock,
        )

    def conflicts_open(self) -> float:
        body, _ = self.metrics.exposition()
        for family in text_string_to_metric_families(body.decode()):
            for s in family.samples:
                if s.name == "seatbridge_conflicts_open":
                    return s.value
        raise AssertionError("no seatbridge_conflicts_open")


@pytest.fixture
def world() -> World:
    return World()


def report(
    *findings: Finding,
    results: list[OpResult] | None = None,
    errors: list[UnitError] | None = None,
    leased_elsewhere: bool = False,
) -> RunReport:
    outcome = ApplyOutcome(run_id=1, results=results or [])
    unit = UnitResult(
        (201,), Plan(findings=tuple(findings)), outcome, errors or [], leased_elsewhere
    )
    return RunReport((unit,))


EVERY_S = 60.0


def run(
    w: World, r: RunReport | None, *, failures: int = 0, kind: ErrorKind | None = None
) -> list[dict[str, Any]]:
    """One unit run told to the activity; the log lines it wrote. A failed run (``failures``)
    is RETRYABLE unless ``kind`` says otherwise."""
    ending = r.ending if r is not None else Ending.TIMEOUT
    if failures and kind is None:
        kind = ErrorKind.RETRYABLE
    with structlog.testing.capture_logs() as logs:
        w.activity.after_run(UNIT, r, failures=failures, ending=ending, every_s=EVERY_S, kind=kind)
    return logs


def op(kind: OpKind, labels: tuple[str, ...], target: str = "") -> Operation:
    return Operation(kind, ("perf-201",), labels=labels, target=target)


def test_each_applied_operation_is_one_line_with_its_kind_and_objects(world: World) -> None:
    results = [
        OpResult(op(OpKind.CHANGE_STATUS, tuple(f"A-{i}" for i in range(12)), "held"), "done"),
        OpResult(op(OpKind.MARK_FOR_SALE, ("B-1", "B-2")), "done"),
        OpResult(Operation(OpKind.LEDGER_CLAIM, ("perf-201",), labels=("A-1",)), "done"),
    ]
    logs = run(world, report(results=results))
    assert [(line["kind"], line["objects"]) for line in logs] == [
        ("change_status", 12),
        ("mark_for_sale", 2),
    ]
    assert all(line["log_level"] == "info" and line["topic"] == "applied" for line in logs)
    assert logs[0]["event"].startswith("held 12 seats")
    assert "perf-201" in logs[0]["event"] and logs[0]["performance_id"] == 201
    assert [h.topic for h in world.state.activity] == [Topic.APPLIED, Topic.APPLIED]


def test_a_failed_operation_is_a_warning_that_names_the_error(world: World) -> None:
    failed = OpResult(op(OpKind.MARK_NOT_FOR_SALE, ("A-1",)), "failed", error="HTTP 400")
    logs = run(world, report(results=[failed]), failures=1)
    assert [line["log_level"] for line in logs] == ["warning"]
    assert "HTTP 400" in logs[0]["event"] and logs[0]["state"] == "failed"


def test_an_unchanged_converged_pass_says_nothing(world: World) -> None:
    assert run(world, report()) == []
    assert run(world, report()) == []
    assert list(world.state.activity) == [] and world.alerts == []


def test_a_standing_conflict_opens_once_and_alerts_once(world: World) -> None:
    lines = [run(world, report(CONFLICT)) for _ in range(3)]
    assert [len(x) for x in lines] == [1, 0, 0]
    line = lines[0][0]
    assert line["log_level"] == "error" and line["topic"] == "finding_opened"
    assert "A-1" in line["event"] and "201" in line["event"] and "sold online" in line["event"]
    assert [(a.kind, a.firing) for a in world.alerts] == [(AlertKind.CONFLICT, True)]
    assert world.conflicts_open() == 1


def test_a_conflict_clears_on_a_complete_run_only(world: World) -> None:
    run(world, report(CONFLICT))
    failed = [UnitError("seats.io: HTTP 503")]
    assert run(world, report(errors=failed), failures=1) == []  # it did not read far enough
    assert run(world, None, failures=2) == []  # a timeout clears nothing either
    assert world.conflicts_open() == 1
    logs = run(world, report())
    assert [(line["topic"], line["log_level"]) for line in logs] == [("finding_cleared", "info")]
    assert [(a.key, a.firing) for a in world.alerts] == [
        (world.alerts[0].key, True),
        (world.alerts[0].key, False),
    ]
    assert world.conflicts_open() == 0


def test_an_incomplete_run_opens_what_it_found_and_clears_nothing(world: World) -> None:
    run(world, report(UNMAPPED))
    failed = [UnitError("tessitura: no answer")]
    logs = run(world, report(CONFLICT, errors=failed), failures=1)
    assert [line["topic"] for line in logs] == ["finding_opened"]
    assert {f.kind for f in world.activity.open_findings(UNIT)} == {
        FindingKind.UNMAPPED_SEAT,
        FindingKind.CONFLICT,
    }


def test_a_failing_write_does_not_keep_a_solved_conflict_open(world: World) -> None:
    """The findings came from a plan built on a full read: a write of that plan that failed
    (or whose outcome is unknown) leaves them whole, so what they no longer show is cleared."""
    run(world, report(CONFLICT))
    written = [
        OpResult(op(OpKind.MARK_NOT_FOR_SALE, ("B-1",)), "failed", error="HTTP 500"),
        OpResult(op(OpKind.MARK_NOT_FOR_SALE, ("B-2",)), "unknown", error="no answer"),
    ]
    logs = run(world, report(results=written), failures=1)
    assert [line["topic"] for line in logs] == ["applied", "applied", "finding_cleared"]
    assert [a.firing for a in world.alerts] == [True, False]
    assert world.activity.open_findings() == [] and world.conflicts_open() == 0


def test_a_read_error_beside_a_failed_write_clears_nothing(world: World) -> None:
    run(world, report(CONFLICT))
    written = [OpResult(op(OpKind.MARK_NOT_FOR_SALE, ("B-1",)), "failed", error="HTTP 500")]
    errors = [UnitError("performance 201: cannot read holds: HTTP 503", 201)]
    run(world, report(results=written, errors=errors), failures=1)
    assert world.activity.open_findings(UNIT) == [CONFLICT]
    assert [a.firing for a in world.alerts] == [True]


def test_the_first_complete_run_tells_what_it_left_standing_once(world: World) -> None:
    settled: list[tuple[str, set[str]]] = []
    world.activity.settled = lambda unit, raised: settled.append((unit, set(raised)))
    run(world, None, failures=1)  # cut off: nothing to go by
    run(world, report(CONFLICT, errors=[UnitError("tessitura: no answer")]), failures=2)
    assert settled == []
    run(world, report(CONFLICT, REFUSED, UNMAPPED), failures=3)  # complete, a write failed
    run(world, report())
    keys = {a.key for a in world.alerts if a.kind is not AlertKind.UNIT_IN_ERROR}
    assert settled == [(UNIT, keys | {f"unit_in_error:{UNIT}"})]


def test_a_unit_leased_elsewhere_changes_nothing(world: World) -> None:
    run(world, report(CONFLICT))
    assert run(world, report(leased_elsewhere=True)) == []
    assert world.activity.open_findings(UNIT) == [CONFLICT]


def test_a_changed_refusal_alerts_again_with_a_new_signature(world: World) -> None:
    run(world, report(REFUSED))
    grown = Finding(
        REFUSED.kind,
        performance_id=201,
        event_key="perf-201",
        labels=REFUSED.labels,
        count=60,
        detail="would make 60 of 70 bridge-held objects buyable",
    )
    assert run(world, report(grown)) == []  # the same finding: no new line
    assert [a.kind for a in world.alerts] == [AlertKind.MASS_RELEASE_REFUSED] * 2
    assert world.alerts[0].key == world.alerts[1].key
    assert world.alerts[0].signature != world.alerts[1].signature
    run(world, report(grown))
    assert len(world.alerts) == 2


def test_a_finding_without_an_alert_is_logged_but_not_sent(world: World) -> None:
    logs = run(world, report(UNMAPPED))
    assert [line["log_level"] for line in logs] == ["error"]
    assert world.alerts == []


def test_a_unit_in_error_alerts_after_n_cadences_failing_and_recovers_once(
    world: World,
) -> None:
    told: list[list[dict[str, Any]]] = []
    n, first = 0, world.clock.monotonic()
    # failing runs come back after a backoff, far sooner than the cadence: N cadences, not N runs
    while world.clock.monotonic() - first < ERROR_AFTER * EVERY_S:
        n += 1
        told.append(run(world, None, failures=n))
        world.clock.advance(EVERY_S / 4)
    assert [line for lines in told for line in lines] == []
    failing = run(world, None, failures=n + 1)
    assert [line["topic"] for line in failing] == ["unit_failing"]
    assert failing[0]["failures"] == n + 1 and failing[0]["failing_s"] >= ERROR_AFTER * EVERY_S
    assert run(world, None, failures=n + 2) == []  # told once
    assert [(a.kind, a.firing) for a in world.alerts] == [(AlertKind.UNIT_IN_ERROR, True)]
    assert world.activity.failing_units() == [UNIT]
    recovered = run(world, report())
    assert [(x["topic"], x["log_level"]) for x in recovered] == [("unit_recovered", "info")]
    assert run(world, report()) == []
    assert [a.firing for a in world.alerts] == [True, False]


def test_a_short_vendor_blip_raises_no_unit_in_error(world: World) -> None:
    """15 s of 503s at the default backoff: several failed runs, then one that goes through."""
    for n in range(1, 5):
        assert run(world, report(errors=[UnitError("seats.io: HTTP 503")]), failures=n) == []
        world.clock.advance(5.0)
    assert run(world, report()) == []
    assert world.alerts == [] and world.activity.failing_units() == []


def test_a_failure_a_person_must_fix_alerts_at_once(world: World) -> None:
    refused = run(world, None, failures=1, kind=ErrorKind.TERMINAL)
    assert [line["topic"] for line in refused] == ["unit_failing"]
    assert [(a.kind, a.firing) for a in world.alerts] == [(AlertKind.UNIT_IN_ERROR, True)]


def test_the_failing_time_starts_again_after_a_run_that_went_through(world: World) -> None:
    run(world, None, failures=1)
    world.clock.advance(ERROR_AFTER * EVERY_S - 1)
    run(world, report())
    run(world, None, failures=1)
    world.clock.advance(2)
    assert run(world, None, failures=2) == []
    assert world.alerts == []


def test_a_unit_that_leaves_resolves_its_alerts_without_saying_cleared(world: World) -> None:
    run(world, report(CONFLICT))
    with structlog.testing.capture_logs() as logs:
        world.activity.forget_unit(UNIT)
    assert logs == []
    assert [a.firing for a in world.alerts] == [True, False]
    assert world.activity.open_findings() == [] and world.conflicts_open() == 0


def test_a_unit_handed_to_another_instance_is_forgotten_without_resolving(world: World) -> None:
    """On a shared store the new owner tells of what it finds: this instance neither resolves
    the condition (it may still stand) nor keeps counting it as open here."""
    run(world, report(CONFLICT))
    with structlog.testing.capture_logs() as logs:
        world.activity.forget_unit(UNIT, resolve=False)
    assert logs == []
    assert [a.firing for a in world.alerts] == [True]
    assert world.activity.open_findings() == [] and world.conflicts_open() == 0


def vendor_call(w: World, status: int | None, error: str | None = None) -> list[dict[str, Any]]:
    exchange = Exchange("seats.io", "GET", "GET /events/{key}", status, 0.1, error)
    with structlog.testing.capture_logs() as logs:
        w.activity.vendor(exchange)
    return logs


def test_a_failing_vendor_is_told_once_and_its_recovery_once(world: World) -> None:
    assert vendor_call(world, 200) == []
    first = vendor_call(world, 503)
    assert [(x["event"], x["log_level"]) for x in first] == [
        ("seats.io failing: HTTP 503 on GET /events/{key}", "warning")
    ]
    world.clock.advance(30)
    assert vendor_call(world, None, "ConnectTimeout") == []
    assert vendor_call(world, 502) == []
    back = vendor_call(world, 200)
    assert [x["topic"] for x in back] == ["vendor"]
    assert back[0]["failed_attempts"] == 3 and back[0]["down_s"] == 30
    assert vendor_call(world, 404) == []  # an answer, not a failure


def config_check(w: World, result: ReloadResult, **kw: Any) -> list[dict[str, Any]]:
    with structlog.testing.capture_logs() as logs:
        w.activity.config(Reload(result, None, **kw))
    return logs


def test_config_refused_then_fixed(world: World) -> None:
    refused = config_check(world, ReloadResult.REFUSED, errors=["bridge.toml:3:1: bad"])
    assert [(x["result"], x["log_level"]) for x in refused] == [("refused", "error")]
    assert refused[0]["errors"] == ["bridge.toml:3:1: bad"]
    fixed = config_check(world, ReloadResult.UNCHANGED)
    assert [(x["result"], x["log_level"]) for x in fixed] == [("fixed", "info")]
    assert config_check(world, ReloadResult.UNCHANGED) == []
    applied = config_check(world, ReloadResult.APPLIED, changes=["[safety] changed"])
    assert [(x["result"], x["changes"]) for x in applied] == [("applied", ["[safety] changed"])]


def test_a_refused_edit_fixed_by_a_real_change_says_fixed(world: World) -> None:
    config_check(world, ReloadResult.REFUSED, errors=["bad"])
    applied = config_check(world, ReloadResult.APPLIED, changes=["mappings"])
    assert [x["result"] for x in applied] == ["fixed"]


def test_role_changes_are_told_once_each(world: World) -> None:
    with structlog.testing.capture_logs() as logs:
        world.activity.role("standby", "holder host-a")
        world.activity.role("standby", "holder host-a")
        world.activity.role("active")
        world.activity.role("lost")
        world.activity.role("stopped")
    assert [(x["role"], x["log_level"]) for x in logs] == [
        ("standby", "info"),
        ("active", "info"),
        ("lost", "error"),
        ("stopped", "info"),
    ]
    assert "host-a" in logs[0]["event"]


def test_a_sink_that_raises_never_breaks_the_run(world: World) -> None:
    def broken(alert: Alert) -> None:
        raise RuntimeError("webhook down")

    world.activity.alert = broken
    logs = run(world, report(CONFLICT))
    assert [x["log_level"] for x in logs] == ["error", "warning"]
    assert world.activity.open_findings(UNIT) == [CONFLICT]


def test_the_daemons_alert_sink_is_where_alerts_leave(tmp_path: Path) -> None:
    config = sandbox_config(tmp_path, "http://127.0.0.1:9", "http://127.0.0.1:9")
    daemon = Daemon(config, load_config(config), clock=ManualClock(T0))
    got: list[Alert] = []
    daemon.alert_sink = got.append  # what the integrator does with the notifier
    daemon.activity.after_run(
        UNIT, report(CONFLICT), failures=0, ending=Ending.CONFLICTS, every_s=EVERY_S
    )
    assert [(a.kind, a.firing) for a in got] == [(AlertKind.CONFLICT, True)]
    assert [h.topic for h in daemon.state.activity] == [Topic.FINDING_OPENED]


def test_a_regrouped_unit_raises_its_conflict_under_the_same_key(world: World) -> None:
    """201 joins a season: its old unit is forgotten unresolved, the season's unit raises the
    conflict again under the same key, which a notifier has sent already."""
    run(world, report(CONFLICT))
    world.activity.forget_unit(UNIT, regrouped=True)
    season = "unit:101,102,201"
    world.activity.after_run(
        season, report(CONFLICT), failures=0, ending=Ending.CONFLICTS, every_s=EVERY_S
    )
    assert [a.firing for a in world.alerts] == [True, True]
    first, again = world.alerts
    assert (again.key, again.signature) == (first.key, first.signature)
    assert again.unit == season


def test_a_regrouped_failing_unit_ends_its_own_unit_in_error_only(world: World) -> None:
    run(world, report(CONFLICT))
    run(world, None, failures=1, kind=ErrorKind.TERMINAL)
    assert [(a.kind, a.firing) for a in world.alerts] == [
        (AlertKind.CONFLICT, True),
        (AlertKind.UNIT_IN_ERROR, True),
    ]
    world.activity.forget_unit(UNIT, regrouped=True)
    assert [(a.kind, a.firing) for a in world.alerts[2:]] == [(AlertKind.UNIT_IN_ERROR, False)]
    assert world.activity.failing_units() == [] and world.activity.open_findings() == []
