"""`seatbridge status` as a person reads it at 80 columns, with a running daemon's next runs."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console

from bridge.commands.render import next_run_text, status_table
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
