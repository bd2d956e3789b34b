"""The Tessitura side where the operator reads the CLI: the plan table's +tess/-tess columns,
`history`'s lines for write-back operations, and `status`'s write-back line and JSON rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from rich.console import Console
from sandbox_bench import Bench, bench_fixture, cfg_fixture  # noqa: F401

from bridge.commands.history import history_lines, read_history
from bridge.commands.render import plan_table, writeback_lines
from bridge.core.policy import WritebackPolicy
from bridge.daemon import overview
from bridge.reconcile.run import Reconciler
from bridge.runtime import reconciler_for

WEB = 90
PID, EVENT = 201, "perf-201"
LATER = datetime(2100, 1, 1, tzinfo=UTC)


def writing_back(bench: Bench) -> Reconciler:
    r = reconciler_for(bench.cfg, bench.tessitura, bench.seatsio, bench.store)
    r.policy = replace(r.policy, writeback=WritebackPolicy(mode="apply", hold_code_id=WEB))
    return r


def text(renderable: object) -> str:
    console = Console(width=120, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


async def test_the_plan_table_counts_the_seats_to_hold_and_lift_in_tessitura(
    bench: Bench,
) -> None:
    r = writing_back(bench)
    bench.box.seatsio_world.book(EVENT, ["Orchestra-C-5", "Orchestra-C-6"])
    report = await r.reconcile([PID], apply=False)
    lines = text(plan_table(report.plan)).splitlines()
    header = next(line for line in lines if "+tess" in line)
    row = next(line for line in lines if line.lstrip("│ ").startswith(EVENT))
    cells = [c.strip() for c in row.split("│")]
    titles = [c.strip() for c in header.split("┃")]
    assert cells[titles.index("+tess")] == "2"
    assert cells[titles.index("-tess")] == ""


async def test_history_names_the_performance_code_and_seats_of_a_write_back(
    bench: Bench,
) -> None:
    r = writing_back(bench)
    bench.box.seatsio_world.book(EVENT, ["Orchestra-C-5"])
    await r.reconcile([PID], apply=True)
    bench.box.seatsio_world.release(EVENT, ["Orchestra-C-5"])
    await r.reconcile([PID], apply=True)
    logs = read_history(bench.store, performance_id=PID, now=LATER)
    lines = history_lines(logs)
    assert f"  done     hold_in_tessitura code {WEB} on performance {PID} ({EVENT})" in lines
    assert f"  done     lift_in_tessitura code {WEB} on performance {PID} ({EVENT})" in lines
    assert "           1 seats: Orchestra-C-5" in lines
    ops = [o for log in logs for o in log.to_json()["operations"]]
    (hold,) = [o for o in ops if o["kind"] == "hold_in_tessitura"]
    assert hold["performance_id"] == PID and hold["seat_ids"] == [bench.seat("Orchestra-C-5")]
    assert all("seat_ids" not in o for o in ops if "tessitura" not in o["kind"])


async def test_status_gives_the_write_back_holds_per_performance(bench: Bench) -> None:
    r = writing_back(bench)
    bench.box.seatsio_world.book(EVENT, ["Orchestra-C-5", "Orchestra-C-6"])
    await r.reconcile([PID, 202], apply=True)
    counts = overview.writeback_counts(bench.store)
    assert counts == {PID: 2}
    assert writeback_lines(counts, "apply", WEB) == [
        f"write-back (apply, code {WEB}): 2 seat(s) held in Tessitura by the bridge; "
        f"per performance: {PID}: 2"
    ]
    assert writeback_lines({}, "report", WEB)[0].endswith("per performance: none")
    assert writeback_lines(counts, "off", None) == []
    rows = {row["performance_id"]: row for row in overview.status_rows(bench.store, writeback=True)}
    assert rows[PID]["writeback_holds"] == 2 and rows[202]["writeback_holds"] == 0
    off = overview.status_rows(bench.store)
    assert {row["writeback_holds"] for row in off} == {None}
