"""Tessitura moves a performance to another facility whose seat map's seat ids overlap the old
one's (issue 25, case 6): no hold looks out of place, so a kept seat map would hold the wrong seats
and exit 0. Through `reconcile --all` and through the daemon, the move is noticed at the next
discovery (its search names the facility): the performance is read again, its holds are mapped
with the new seat map's table, and the change is a `seat_map_changed` finding and a log line."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bridge.cli import main
from bridge.sandbox import Sandbox
from bridge.testing.daemon import converged, eventually, fast_config
from bridge.testing.sandbox import config_store, served_sandbox, spawn

MOVED, NEW_FACILITY, NEW_MAP = 201, 48, 13
EVENT = f"perf-{MOVED}"
SEATS_12 = Path(__file__).resolve().parents[2] / "mappings" / "sample" / "seats-12.csv"


def rows(path: Path) -> dict[int, str]:
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln and ln[0] != "#"]
    return {int(sid): label for sid, label in (ln.split(",", 1) for ln in lines[1:])}


def with_second_facility(config: Path) -> dict[int, dict[int, str]]:
    """``config`` rewritten in place: facility 48 discovered too, seat map 13 with a table that
    labels each seat id of seat map 12 as the next seat (overlapping ids, other seats). The
    tables of both seat maps, by seat map id."""
    old = rows(SEATS_12)
    ids = sorted(old)
    new = {sid: old[ids[(i + 1) % len(ids)]] for i, sid in enumerate(ids)}
    table = config.parent / "seats-13.csv"
    table.write_text(
        "seat_id,label\n" + "".join(f"{sid},{label}\n" for sid, label in new.items()),
        encoding="utf-8",
    )
    text = config.read_text(encoding="utf-8")
    text = text.replace(
        "[mappings.seat_tables]\n", f'[mappings.seat_tables]\n{NEW_MAP} = "{table}"\n'
    )
    text = text.replace("facility_ids = [47]", f"facility_ids = [47, {NEW_FACILITY}]")
    config.write_text(text, encoding="utf-8")
    return {12: old, NEW_MAP: new}


def should_hold(box: Sandbox, table: dict[int, str]) -> set[str]:
    """The labels the bridge should hold on the moved performance's event through ``table``."""
    return {table[sid] for sid in box.tessitura_world.held_seats(MOVED)}  # every code is mapped


def holds(config: Path, box: Sandbox) -> set[str]:
    """What the bridge holds on the event (its ledger) and seats.io shows unbuyable there."""
    with config_store(config) as store:
        labels = {label for (_key, label) in store.ledger([EVENT])}
    views = (box.seatsio_world.object_view(EVENT, label) for label in labels)
    return {
        v.object.label
        for v in views
        if v.channel is not None or v.status != "free" or not v.for_sale
    }


def reconcile_all(config: Path) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(main, ["reconcile", "--all", "--json", "--config", str(config)])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, json.loads(result.stdout)


def kinds(report: dict[str, object]) -> list[str]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return [f["kind"] for f in findings]


@pytest.mark.slow
def test_reconcile_all_holds_the_new_seat_maps_seats_after_a_facility_change(
    tmp_path: Path,
) -> None:
    with served_sandbox(tmp_path) as (box, config):
        tables = with_second_facility(config)
        code, _ = reconcile_all(config)
        assert code == 0
        assert holds(config, box) == should_hold(box, tables[12])

        box.tessitura_world.move(MOVED, NEW_FACILITY, NEW_MAP)
        code, report = reconcile_all(config)

        assert code == 0, report
        assert kinds(report).count("seat_map_changed") == 1
        right = should_hold(box, tables[NEW_MAP])
        assert right != should_hold(box, tables[12])
        assert holds(config, box) == right
        code, report = reconcile_all(config)
        assert code == 0 and "seat_map_changed" not in kinds(report)
        assert holds(config, box) == right


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Sandbox, Path]]:
    with served_sandbox(tmp_path) as (box, config):
        yield box, fast_config(config)


@pytest.mark.slow
def test_the_daemon_holds_the_new_seat_maps_seats_within_a_discovery_cycle(
    served: tuple[Sandbox, Path], tmp_path: Path
) -> None:
    box, config = served
    tables = with_second_facility(config)
    log = tmp_path / "daemon.log"
    proc = spawn(config, "run", log=log)
    try:
        eventually("the daemon converges", lambda: converged(config))
        assert holds(config, box) == should_hold(box, tables[12])

        box.tessitura_world.move(MOVED, NEW_FACILITY, NEW_MAP)
        right = should_hold(box, tables[NEW_MAP])
        eventually("the new seat map's seats are held", lambda: holds(config, box) == right)
        eventually("the change is logged", lambda: "moved to another seat map" in log.read_text())
        assert "moved to another facility" in log.read_text()
        eventually("it stays converged", lambda: converged(config, [MOVED]))
        assert holds(config, box) == right
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
