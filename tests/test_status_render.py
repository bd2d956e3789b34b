"""`seatbridge status` as a person reads it at 80 columns, with a running daemon's next runs."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console

from bridge.commands.render import (
    daemon_lines,
    lease_lines,
    next_run_text,
    next_runs_text,
    status_table,
)
from bridge.daemon.notes import DaemonRole, DaemonView, NextRun
from bridge.reconcile.leases import LeaseState
from bridge.store.base import PerformanceStatus, SyncOutcome

NOW = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)


def test_the_next_run_is_a_time_today_and_a_date_and_time_another_day() -> None:
    assert next_run_text(datetime(2026, 12, 1, 0, 45, 5, tzinfo=UTC), NOW) == "00:45:05"
    assert next_run_text(datetime(2026, 12, 2, 3, 0, tzinfo=UTC), NOW) == "12-02 03:00"
    assert next_run_text(None, NOW) == "soon"


def test_with_next_runs_the_table_fits_80_columns_with_full_dates_and_whole_headers() -> None:
    statuses = [
        PerformanceStatus(pid, NOW, SyncOutcome.CONVERGED, f"perf-{pid}", 12, 1, 0)
        for pid in (201, 202)
    ]
    console = Console(width=80, record=True)
    console.print(status_table(statuses, None, {201: next_run_text(NOW, NOW)}))
    lines = console.export_text().splitlines()
    assert all(len(line) <= 80 for line in lines)
    header = next(line for line in lines if "perf" in line)
    for name in ("event", "last sync UTC", "outcome", "drift", "conflicts", "next run"):
        assert name in header
    row = next(line for line in lines if line.startswith("201"))
    assert "2026-12-01 00:30" in row and "00:30:00" in row and "perf-201" in row


def test_with_several_instances_each_row_names_the_one_that_runs_it_and_still_fits() -> None:
    a, b, gone = "db1:11:4026531836.7", "db2:22:4026531836.8", "db3:33:4026531836.9"
    view = DaemonView(
        daemons=(
            DaemonRole(a, "active", "127.0.0.1:9464", True),
            DaemonRole(b, "active", "127.0.0.1:9464", True),
            DaemonRole(gone, "active", "127.0.0.1:9464", False),
        ),
        next_runs={
            201: NextRun(NOW, "cadence", holder=b),
            202: NextRun(NOW, "cadence", holder=a),
            203: NextRun(NOW, "cadence", holder=b),
        },
    )
    cells = next_runs_text(view, NOW)
    assert cells == {201: "00:30:00 B", 202: "00:30:00 A", 203: "00:30:00 B"}
    statuses = [
        PerformanceStatus(pid, NOW, SyncOutcome.CONVERGED, f"perf-{pid}", 0, 0, 0)
        for pid in (201, 202, 203)
    ]
    console = Console(width=80, record=True)
    console.print(status_table(statuses, None, cells))
    assert all(len(line) <= 80 for line in console.export_text().splitlines())
    lines = daemon_lines(view)
    assert lines[0].startswith(f"daemon {a} (A: runs 1 performances): active")
    assert lines[1].startswith(f"daemon {b} (B: runs 2 performances): active")
    assert lines[2].startswith(f"daemon {gone}: active, but gone")  # a dead one gets no letter


def test_one_instance_gets_no_letters() -> None:
    a = "db1:11:4026531836.7"
    view = DaemonView(
        daemons=(DaemonRole(a, "active", "127.0.0.1:9464", True),),
        next_runs={201: NextRun(NOW, "cadence", holder=a)},
    )
    assert next_runs_text(view, NOW) == {201: "00:30:00"}


def test_a_lingering_lease_says_why_nobody_writes_yet_and_a_dead_holder_is_stale() -> None:
    until = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
    lines = lease_lines(
        {
            201: LeaseState(201, "h:1:t/r1", until, stale=False, lingering=True),
            202: LeaseState(202, "h:2:t/r2", until, stale=True),
        }
    )
    assert len(lines) == 2
    assert "201" in lines[0] and "lingering" in lines[0] and "in flight" in lines[0]
    assert "202" in lines[1] and "stale" in lines[1] and "lingering" not in lines[1]
