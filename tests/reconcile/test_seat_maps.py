"""The seat map each performance's holds belong to is kept in the store: a later pass (another
process, another instance) reads only the holds, and a kept seat map that no longer fits is read
again before anything is planned from it."""

from __future__ import annotations

import dataclasses
import json
import re

from sandbox_bench import Bench, bench_fixture, cfg_fixture  # noqa: F401

from bridge.config import BridgeConfig
from bridge.reconcile.seat_maps import NOTE_KEY

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
