"""The commands as an operator runs them: `seatbridge plan/reconcile/status` against the sandbox
served on real loopback TCP, configured by a file like config/sandbox.toml."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from served_sandbox import served_sandbox

from bridge.cli import main
from bridge.sandbox import Sandbox


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Sandbox, Path]]:
    """Both emulators on ephemeral loopback ports, and a config file pointing at them."""
    with served_sandbox(tmp_path) as both:
        yield both


def run(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args, "--config", str(config)])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_plan_reports_pending_changes_with_exit_2_and_changes_nothing(
    served: tuple[Sandbox, Path],
) -> None:
    box, config = served
    code, out = run(config, "plan", "--all", "--json")
    assert code == 2
    plan = json.loads(out)
    assert plan["version"] == 1 and plan["summary"]["api_operations"] > 0
    assert box.seatsio_world.channels("perf-201") == []


def test_reconcile_converges_then_plan_exits_0(served: tuple[Sandbox, Path]) -> None:
    box, config = served
    code, _ = run(config, "reconcile", "--all")
    assert code == 0
    assert box.seatsio_world.channel_of("perf-201", "Orchestra-A-1") == "house"
    assert box.seatsio_world.object_status("perf-201", "Orchestra-F-15") == "held-press"
    code, out = run(config, "plan", "--all")
    assert code == 0, out
    assert "Nothing to do" in out


def test_a_hold_on_a_sold_seat_is_a_conflict_exit_3_and_the_sale_stands(
    served: tuple[Sandbox, Path],
) -> None:
    box, config = served
    sold = box.venue.seat_by_label("Orchestra-G-10").id
    box.tessitura_world.hold(201, [sold], 2, only_available=False)
    code, out = run(config, "reconcile", "--performance", "201", "--json")
    assert code == 3
    conflicts = [f for f in json.loads(out)["findings"] if f["kind"] == "conflict"]
    assert [f["label"] for f in conflicts] == ["Orchestra-G-10"]
    assert box.seatsio_world.object_status("perf-201", "Orchestra-G-10") == "booked"


def test_status_lists_every_reconciled_performance(served: tuple[Sandbox, Path]) -> None:
    _, config = served
    run(config, "reconcile", "--performance", "202")
    code, out = run(config, "status", "--json")
    assert code == 0
    (row,) = json.loads(out)
    assert row["performance_id"] == 202 and row["outcome"] == "converged"


def test_plan_without_a_selection_is_a_usage_error_not_pending_changes(
    served: tuple[Sandbox, Path],
) -> None:
    _, config = served
    code, out = run(config, "plan")
    assert code == 64 and "--performance" in out


def test_plan_out_saves_the_plan_as_json(served: tuple[Sandbox, Path], tmp_path: Path) -> None:
    _, config = served
    out_file = tmp_path / "plan.json"
    run(config, "plan", "--performance", "203", "--out", str(out_file))
    saved = json.loads(out_file.read_text())
    assert {op["kind"] for op in saved["operations"]} >= {"create_channel", "change_status"}
