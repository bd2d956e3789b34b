"""The seat map each performance's holds belong to is kept in the store: a later pass (another
process, another instance) reads only the holds, and a kept seat map that no longer fits is read
again before anything is planned from it."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime

import pytest
from sandbox_bench import Bench, bench_fixture, cfg_fixture  # noqa: F401

from bridge.clock import ManualClock
from bridge.config import BridgeConfig
from bridge.core.findings import FindingKind
from bridge.core.outcome import RunReport
from bridge.mapping.model import SeatTable
from bridge.reconcile.discovery import discover
from bridge.reconcile.seat_maps import NOTE_KEY
from bridge.runtime import reconciler_for
from bridge.sandbox.control import Faults
from bridge.tessitura.models import PerformanceSearchResult

PERFORMANCE_READ = re.compile(r"/TXN/Performances/\d+$")


def tessitura_reads(bench: Bench) -> tuple[int, int]:
    """(performance reads, hold reads) since the log was last cleared."""
    paths = [e.path for e in bench.box.tessitura_control.log.entries if e.method == "GET"]
    return (
        sum(1 for p in paths if PERFORMANCE_READ.search(p)),
        sum(1 for p in paths if p.endswith("/Seats/Holds")),
    )


def kept(bench: Bench) -> dict[str, list[object]]:
    notes = [n for n in bench.store.notes(NOTE_KEY) if n.key == NOTE_KEY]
    return json.loads(notes[0].value) if notes else {}


async def test_a_later_pass_reads_one_hold_list_per_performance_and_nothing_else(
    bench: Bench,
) -> None:
    await bench.sync()
    assert tessitura_reads(bench) == (len(bench.ids), len(bench.ids))
    assert sorted(int(pid) for pid in kept(bench)) == sorted(bench.ids)
    bench.box.tessitura_control.log.clear()
    report = await bench.sync()  # a new reconciler: what a new process would build
    assert not report.errors
    assert tessitura_reads(bench) == (0, len(bench.ids))


async def test_a_kept_seat_map_without_a_table_is_read_again_and_the_holds_still_reach_seatsio(
    bench: Bench,
) -> None:
    await bench.sync()
    value = kept(bench)
    value["201"][0] = 99_999  # as if the performance had been on another seat map
    bench.store.put_note(NOTE_KEY, json.dumps(value))
    bench.box.tessitura_world.hold(201, [bench.seat("Orchestra-C-3")], 1)  # House
    bench.box.tessitura_control.log.clear()
    report = await bench.sync()
    assert not report.errors
    assert tessitura_reads(bench)[0] == 1  # performance 201 alone
    assert bench.box.seatsio_world.channel_of("perf-201", "Orchestra-C-3") == "house"
    assert kept(bench)["201"][0] != 99_999


async def test_a_hold_on_a_seat_the_kept_table_lacks_makes_the_seat_map_be_read_again(
    bench: Bench, cfg: BridgeConfig
) -> None:
    await bench.sync()
    seat_map = int(kept(bench)["201"][0])  # type: ignore[call-overload]
    table = cfg.tables.seat_tables[seat_map]
    held = {h.seat_id for h in bench.box.venue.holds if h.performance_id == 201}
    held -= {h.seat_id for h in bench.box.venue.holds if h.performance_id != 201}
    dropped = min(held)  # a seat held at 201 alone
    smaller = {sid: label for sid, label in table.labels.items() if sid != dropped}
    narrowed = dataclasses.replace(table, labels=smaller)
    tables = dataclasses.replace(cfg.tables, seat_tables={seat_map: narrowed})
    bench.box.tessitura_control.log.clear()
    await bench.sync(cfg=dataclasses.replace(cfg, tables=tables))
    assert tessitura_reads(bench)[0] == 1  # 201 read again; the others trusted their kept map


async def test_a_kept_seat_map_past_its_age_is_read_again(bench: Bench, cfg: BridgeConfig) -> None:
    await bench.sync()
    bench.box.tessitura_control.log.clear()
    young = cfg.tessitura.model_copy(update={"seat_map_max_age_s": 0.0})
    await bench.sync(cfg=dataclasses.replace(cfg, tessitura=young))
    assert tessitura_reads(bench) == (len(bench.ids), len(bench.ids))


async def test_a_broken_note_costs_a_read_not_the_pass(bench: Bench) -> None:
    bench.store.put_note(NOTE_KEY, '{"201": "garbage"')
    report = await bench.sync()
    assert not report.errors
    assert tessitura_reads(bench) == (len(bench.ids), len(bench.ids))
    assert sorted(int(pid) for pid in kept(bench)) == sorted(bench.ids)


# -- a facility change: the performance moves to a seat map whose seat ids overlap ------------

MOVED, FACILITY, NEW_FACILITY, OLD_MAP, NEW_MAP = 201, 47, 48, 12, 13


def moved_config(cfg: BridgeConfig) -> BridgeConfig:
    """``cfg`` with a second facility (48) discovered and a table for its seat map (13): the same
    seat ids as seat map 12, each labelled as the next seat of 12 (overlapping ids, other seats)."""
    old = cfg.tables.seat_tables[OLD_MAP]
    ids = sorted(old.labels)
    shifted = {sid: old.labels[ids[(i + 1) % len(ids)]] for i, sid in enumerate(ids)}
    tables = dataclasses.replace(
        cfg.tables,
        seat_tables={OLD_MAP: old, NEW_MAP: SeatTable(NEW_MAP, shifted)},
    )
    discovery = cfg.discovery.model_copy(update={"facility_ids": (FACILITY, NEW_FACILITY)})
    return dataclasses.replace(cfg, tables=tables, discovery=discovery)


def bridge_holds(bench: Bench, key: str) -> set[str]:
    """Labels the bridge holds on ``key`` (the ledger), each checked unbuyable in seats.io."""
    labels = {label for (k, label) in bench.store.ledger([key])}
    world = bench.box.seatsio_world
    for label in labels:
        view = world.object_view(key, label)
        assert view.channel is not None or view.status != "free" or not view.for_sale, label
    return labels


def held_labels(bench: Bench, table: SeatTable, pid: int) -> set[str]:
    """What the bridge should hold for ``pid`` read through ``table`` (mapped codes only)."""
    held = bench.box.tessitura_world.held_seats(pid)
    rules = bench.cfg.tables.hold_rules
    return {
        table.labels[sid]
        for sid, layers in held.items()
        if any(rules[layer.hold_code_id].action.value != "ignore" for layer in layers)
    }


async def a_pass(
    bench: Bench, cfg: BridgeConfig, clock: ManualClock, *, discover_first: bool
) -> RunReport:
    """One pass as the CLI's `reconcile --all` (discovery, then reconcile) or `--performance`."""
    reconciler = reconciler_for(cfg, bench.tessitura, bench.seatsio, bench.store, clock=clock)
    ids = bench.ids
    if discover_first:
        found = await discover(
            cfg.tables, cfg.discovery, bench.tessitura, clock=clock,
            on_found=reconciler.notice_search,
        )  # fmt: skip
        assert MOVED in found
    return await reconciler.reconcile(ids, apply=True)


def changed(report: RunReport) -> list[str]:
    return [f.detail for f in report.plan.findings if f.kind is FindingKind.SEAT_MAP_CHANGED]


async def test_a_performance_moved_to_an_overlapping_seat_map_is_read_again_at_discovery(
    bench: Bench, cfg: BridgeConfig
) -> None:
    cfg = moved_config(cfg)
    clock = ManualClock(datetime.now(UTC))
    assert not (await a_pass(bench, cfg, clock, discover_first=True)).errors
    old, new = cfg.tables.seat_tables[OLD_MAP], cfg.tables.seat_tables[NEW_MAP]
    assert bridge_holds(bench, f"perf-{MOVED}") == held_labels(bench, old, MOVED)

    bench.box.tessitura_world.move(MOVED, NEW_FACILITY, NEW_MAP)
    clock.advance(1)
    bench.box.tessitura_control.log.clear()
    report = await a_pass(bench, cfg, clock, discover_first=True)

    assert not report.errors, report.errors
    assert bridge_holds(bench, f"perf-{MOVED}") == held_labels(bench, new, MOVED)
    assert held_labels(bench, new, MOVED) != held_labels(bench, old, MOVED)
    assert changed(report) == [
        f"Tessitura moved the performance from seat map {OLD_MAP} to {NEW_MAP}: "
        f"its holds are mapped with seat map {NEW_MAP}'s table from now on"
    ]
    assert tessitura_reads(bench)[0] == 1  # 201 alone is read again; the search vouched the rest
    assert kept(bench)[str(MOVED)][0] == NEW_MAP

    again = await a_pass(bench, cfg, clock, discover_first=True)
    assert not again.errors and changed(again) == []
    assert all(u.plan.is_empty for u in again.units)


async def test_without_a_search_a_kept_seat_map_lasts_one_discovery_cycle_at_most(
    bench: Bench, cfg: BridgeConfig
) -> None:
    """`reconcile --performance`, or a performance only the table names: no search vouches."""
    cfg = moved_config(cfg)
    clock = ManualClock(datetime.now(UTC))
    await a_pass(bench, cfg, clock, discover_first=False)
    bench.box.tessitura_world.move(MOVED, NEW_FACILITY, NEW_MAP)
    clock.advance(cfg.schedule.discovery_every_s + 1)
    report = await a_pass(bench, cfg, clock, discover_first=False)
    assert not report.errors
    assert bridge_holds(bench, f"perf-{MOVED}") == held_labels(
        bench, cfg.tables.seat_tables[NEW_MAP], MOVED
    )
    assert len(changed(report)) == 1


async def test_the_search_vouches_for_kept_seat_maps_so_a_pass_reads_only_holds(
    bench: Bench, cfg: BridgeConfig
) -> None:
    cfg = moved_config(cfg)
    clock = ManualClock(datetime.now(UTC))
    await a_pass(bench, cfg, clock, discover_first=True)
    clock.advance(cfg.schedule.discovery_every_s + 1)
    found: list[PerformanceSearchResult] = []
    await discover(cfg.tables, cfg.discovery, bench.tessitura, clock=clock, on_found=found.extend)
    listed = {p.performance_id for p in found}
    bench.box.tessitura_control.log.clear()
    await a_pass(bench, cfg, clock, discover_first=True)
    # a performance the search lists is vouched for; only the others are read again
    assert tessitura_reads(bench) == (len(set(bench.ids) - listed), len(bench.ids))


async def test_while_the_new_seat_map_cannot_be_read_nothing_is_released(
    bench: Bench, cfg: BridgeConfig
) -> None:
    cfg = moved_config(cfg)
    clock = ManualClock(datetime.now(UTC))
    await a_pass(bench, cfg, clock, discover_first=True)
    before = bridge_holds(bench, f"perf-{MOVED}")
    bench.box.tessitura_world.move(MOVED, NEW_FACILITY, NEW_MAP)
    bench.box.tessitura_control.faults = Faults(
        error_rate=1.0, error_status=500, path_pattern=rf"/TXN/Performances/{MOVED}$"
    )
    report = await a_pass(bench, cfg, clock, discover_first=True)
    assert any(f"performance {MOVED}" in e for e in report.errors)
    assert bridge_holds(bench, f"perf-{MOVED}") == before  # the old holds stay until it is read
    bench.box.tessitura_control.faults = Faults()
    report = await a_pass(bench, cfg, clock, discover_first=False)  # the expiry was kept
    assert not report.errors and len(changed(report)) == 1


async def test_a_store_that_cannot_save_the_check_does_not_stop_discovery(
    bench: Bench, cfg: BridgeConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """This process still reads the moved performance again; the next pass saves the note."""
    cfg = moved_config(cfg)
    clock = ManualClock(datetime.now(UTC))
    await a_pass(bench, cfg, clock, discover_first=True)
    bench.box.tessitura_world.move(MOVED, NEW_FACILITY, NEW_MAP)
    reconciler = reconciler_for(cfg, bench.tessitura, bench.seatsio, bench.store, clock=clock)

    def broken(key: str, value: str) -> None:
        raise OSError("disk full")

    with monkeypatch.context() as patched:
        patched.setattr(bench.store, "put_note", broken)
        found = await discover(
            cfg.tables, cfg.discovery, bench.tessitura, clock=clock,
            on_found=reconciler.notice_search,
        )  # fmt: skip
    assert MOVED in found
    report = await reconciler.reconcile(bench.ids, apply=True)
    assert not report.errors and len(changed(report)) == 1
    assert kept(bench)[str(MOVED)][0] == NEW_MAP


async def test_a_vouched_seat_map_is_read_again_once_its_max_age_since_the_read_is_past(
    bench: Bench, cfg: BridgeConfig
) -> None:
    """The search names the facility, never the seat map: a seat map swapped inside the same
    facility is caught by ``seat_map_max_age_s`` since the last read, however often the search
    vouched for it meanwhile."""
    cfg = moved_config(cfg)
    cycle = cfg.schedule.discovery_every_s
    cfg = dataclasses.replace(
        cfg, tessitura=cfg.tessitura.model_copy(update={"seat_map_max_age_s": 3 * cycle})
    )
    clock = ManualClock(datetime.now(UTC))
    await a_pass(bench, cfg, clock, discover_first=True)
    facility, _ = bench.box.tessitura_world.facility(MOVED)
    bench.box.tessitura_world.move(MOVED, facility, NEW_MAP)  # same facility, another seat map
    for _ in range(4):  # vouched by the search every cycle
        clock.advance(cycle)
        await a_pass(bench, cfg, clock, discover_first=True)
    assert bridge_holds(bench, f"perf-{MOVED}") == held_labels(
        bench, cfg.tables.seat_tables[NEW_MAP], MOVED
    )
