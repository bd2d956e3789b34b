"""`seatbridge reconcile` on a replaced store: a press hold (a bridge status) lifted in Tessitura
while the store was lost stays held, is named (`unowned_bridge_status`) and exits 1 on every run
until Tessitura holds the seat again; then the bridge claims it, exits 0, and its next run makes
no by-status read (the event is vouched for)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from served_sandbox import served_sandbox, store_path

from bridge.cli import main
from bridge.sandbox import Sandbox

TONIGHT, LABEL, PRESS = 201, "Orchestra-F-15", 2


def reconcile(config: Path) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(
        main, ["reconcile", "--performance", str(TONIGHT), "--json", "--config", str(config)]
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, json.loads(result.stdout)


def unowned(report: dict[str, object]) -> list[str]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return [f["label"] for f in findings if f["kind"] == "unowned_bridge_status"]


def by_status_reads(box: Sandbox) -> int:
    return sum(1 for e in box.seatsio_control.log.entries if "/byStatus/" in e.path)


def test_reconcile_on_a_replaced_store_exits_1_naming_the_status_hold_it_cannot_prove(
    tmp_path: Path,
) -> None:
    with served_sandbox(tmp_path) as (box, config):
        assert reconcile(config)[0] == 0
        world = box.seatsio_world
        assert world.object_status(f"perf-{TONIGHT}", LABEL) == "held-press"
        path = store_path(config)
        for leftover in path.parent.glob(path.name + "*"):  # the store lost: a fresh one next
            leftover.unlink()
        seat = box.venue.seat_by_label(LABEL).id
        box.tessitura_world.release(TONIGHT, [seat])

        for _ in range(2):
            code, report = reconcile(config)
            assert code == 1 and report["ending"] == "error"
            assert unowned(report) == [LABEL]
            assert world.object_status(f"perf-{TONIGHT}", LABEL) == "held-press"

        box.tessitura_world.hold(TONIGHT, [seat], PRESS)
        code, report = reconcile(config)
        assert code == 0 and unowned(report) == []
        box.seatsio_control.log.clear()
        assert reconcile(config)[0] == 0
        assert by_status_reads(box) == 0
