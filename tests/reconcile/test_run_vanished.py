"""Issue 25, case 4: every hold of a performance vanishes at once (Tessitura answers ``[]``, 200).

Against the sandbox, in-process: a pass (the CLI's) and the daemon's units, one at a time on a
rolling window, with an injected clock."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from sandbox_bench import Bench, bench_fixture, cfg_fixture  # noqa: F401
from test_fail_closed_run import buyable, held_labels

from bridge.clock import ManualClock
from bridge.config import BridgeConfig
from bridge.runtime import reconciler_for
from bridge.store.base import SyncOutcome

SMALL = [201, 202, 203, 204]  # 122 holds between them, each under the floor of 50
#: the units one pass over the venue refuses once each of SMALL frees all but one hold
ONE_PASS_REFUSES = [202, 203, 204]


def freed(bench: Bench, before: dict[int, set[str]]) -> dict[int, int]:
    """How many of the seats each performance held before are buyable online now."""
    world = bench.box.seatsio_world
    return {
        pid: sum(1 for lbl in labels if buyable(world, f"perf-{pid}", lbl))
        for pid, labels in before.items()
    }


def vanish(bench: Bench, pids: list[int], keep: int | None = None) -> dict[int, set[str]]:
    """Lift every hold of ``pids`` in Tessitura (all but seat ``keep``); the labels they held."""
    tessitura = bench.box.tessitura_world
    before = {pid: held_labels(bench, pid) for pid in pids}
    for pid in pids:
        tessitura.release(pid, [s for s in tessitura.held_seats(pid) if s != keep])
    return before


async def test_four_small_performances_answering_no_holds_free_nothing_and_say_so(
    bench: Bench,
) -> None:
    await bench.sync()
    before = vanish(bench, SMALL)
    assert sum(len(v) for v in before.values()) >= 4 * 5
    report = await bench.sync()
    refused = {f.performance_id for f in report.refused}
    assert refused == set(SMALL)
    assert all("answered no hold at all" in f.detail for f in report.refused)
    assert freed(bench, before) == dict.fromkeys(SMALL, 0)
    statuses = {s.performance_id: s for s in bench.store.performance_statuses(SMALL)}
    for pid in SMALL:
        assert statuses[pid].outcome is SyncOutcome.REFUSED  # never converged
        assert f"seatbridge reconcile --performance {pid} --force" in (
            statuses[pid].last_error or ""
        )
    forced = await bench.sync(force=True)  # the operator says it is meant
    assert not forced.refused
    assert freed(bench, before) == {pid: len(v) for pid, v in before.items()}


async def test_an_empty_answer_that_passes_on_the_second_read_frees_nothing(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    await bench.sync()
    real = bench.tessitura.seat_holds
    glitched: set[int] = set()

    async def once_empty(performance_id: int, **kw: Any) -> Any:
        if performance_id == 201 and 201 not in glitched:
            glitched.add(201)
            return []
        return await real(performance_id, **kw)

    monkeypatch.setattr(bench.tessitura, "seat_holds", once_empty)
    report = await bench.sync()
    assert glitched == {201}
    assert not report.refused and not report.plan.api_operations
    assert freed(bench, {201: held_labels(bench, 201)}) == {201: 0}


async def test_the_daemon_breaker_counts_units_over_its_window(cfg: BridgeConfig) -> None:
    """Each performance keeps one hold (none vanished outright) and frees the rest: the daemon
    runs one unit at a time, and the window trips as the one pass over all four does."""
    clock = ManualClock(datetime(2026, 12, 7, 20, 0, tzinfo=UTC))
    bench = Bench(cfg, clock=clock)  # the window is judged by the store's clock
    await bench.sync()
    before = vanish(bench, SMALL, keep=bench.seat("Balcony-P-1"))
    daemon = reconciler_for(
        cfg, bench.tessitura, bench.seatsio, bench.store, clock=clock, release_window_s=300
    )
    refused: list[int] = []
    details: list[str] = []
    for pid in SMALL:
        report = await daemon.reconcile([pid], apply=True)
        refused += [f.performance_id for f in report.refused if f.performance_id is not None]
        details += [f.detail for f in report.refused]
        clock.advance(30)  # within one window
    assert refused == ONE_PASS_REFUSES
    assert [p for p in SMALL if freed(bench, {p: before[p]})[p] == 0] == ONE_PASS_REFUSES
    assert all("the daemon has freed" in d for d in details)
    clock.advance(300)  # a window later the next share may go
    await daemon.reconcile([refused[0]], apply=True)
    assert freed(bench, {refused[0]: before[refused[0]]})[refused[0]] > 0


async def test_a_pass_over_the_same_units_refuses_the_same_ones(
    bench: Bench, cfg: BridgeConfig
) -> None:
    """The reference for the test above: one pass over the four (held: everything the bridge
    holds, as the daemon's window counts)."""
    await bench.sync()
    before = vanish(bench, SMALL, keep=bench.seat("Balcony-P-1"))
    report = await bench.sync(cfg=dataclasses.replace(cfg))
    refused = sorted(f.performance_id for f in report.refused if f.performance_id is not None)
    assert refused == ONE_PASS_REFUSES
    assert [p for p in SMALL if freed(bench, {p: before[p]})[p] == 0] == ONE_PASS_REFUSES
