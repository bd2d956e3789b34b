"""Regressions from the safety review of the reconcile shell: each test is a way a hold could be
lifted, a sale hidden, or ownership lost, shown against the in-process sandbox."""

from __future__ import annotations

import pytest
from sandbox_bench import Bench, bench_fixture, cfg_fixture  # noqa: F401

from bridge.config import BridgeConfig
from bridge.core.findings import FindingKind
from bridge.sandbox.control import Faults
from bridge.sandbox.seatsio_forsale import ForSaleItem

SEASON, SUBSCRIPTION, KILL = "season-2026-27", 6, 5
SEASON_PERFS = range(101, 109)


async def test_a_refused_season_channel_add_does_not_release_the_seat_on_its_events(
    bench: Bench,
) -> None:
    label = "Mezzanine-D-10"  # held for subscribers in 102 and 103 only: a fallback status there
    await bench.sync()
    world = bench.box.seatsio_world
    assert world.object_status("perf-102", label) == "held-subscription"
    for pid in SEASON_PERFS:  # now season-wide: it should move to the season channel
        bench.box.tessitura_world.hold(pid, [bench.seat(label)], SUBSCRIPTION)
    bench.box.seatsio_control.set_faults(
        Faults(error_rate=1.0, error_status=400, path_pattern="channels", method="POST", count=1)
    )
    await bench.sync()
    assert world.object_status("perf-102", label) == "held-subscription"  # not released
    bench.box.seatsio_control.clear_faults()
    await bench.sync()  # the season channel add runs first, then the event statuses go
    assert world.channel_of(SEASON, label) == "subscribers"
    assert world.object_status("perf-102", label) == "free"


async def test_a_sale_in_one_performance_is_not_hidden_by_a_bridge_status_in_another(
    bench: Bench,
) -> None:
    label = "Mezzanine-D-10"
    await bench.sync()
    world = bench.box.seatsio_world
    world.book("perf-104", [label])
    for pid in SEASON_PERFS:
        bench.box.tessitura_world.hold(pid, [bench.seat(label)], SUBSCRIPTION)
    report = await bench.sync()
    assert world.channel_of(SEASON, label) is None
    assert world.object_status("perf-104", label) == "booked"
    assert any(f.kind is FindingKind.CONFLICT and f.label == label for f in report.plan.findings)


async def test_a_spent_for_sale_budget_holds_a_kill_by_its_fallback_in_the_same_run(
    bench: Bench,
) -> None:
    await bench.sync()
    world = bench.box.seatsio_world
    event = "perf-201"
    for i in range(20):  # someone else spends today's restricting edits in the Event Manager
        try:
            world.edit_for_sale_config(event, not_for_sale=[ForSaleItem(f"Balcony-A-{i + 1}")])
        except Exception:
            break
    bench.box.tessitura_world.hold(201, [bench.seat("Orchestra-J-1")], KILL)  # wants not-for-sale
    bench.box.tessitura_world.release(201, [bench.seat("Orchestra-A-1")])  # house hold lifted
    report = await bench.sync()
    assert world.channel_of(event, "Orchestra-A-1") is None  # the lift went ahead
    assert world.is_for_sale(event, "Orchestra-J-1")  # could not be marked today ...
    assert world.object_status(event, "Orchestra-J-1") == "held-by-bridge"  # ... yet unbuyable
    assert bench.store.for_sale_calls_left(event) == 0
    kinds = {f.kind for f in report.plan.findings if f.event_key == event}
    assert FindingKind.HELD_BY_FALLBACK in kinds
    assert not report.errors  # the refused mark gave way to the fallback that holds the seat
    again = await bench.sync()  # stays so, without a write, until the budget resets
    assert not again.plan.api_operations
    assert world.object_status(event, "Orchestra-J-1") == "held-by-bridge"


async def test_an_event_missing_from_seatsio_is_an_error_not_converged(
    bench: Bench, cfg: BridgeConfig
) -> None:
    import dataclasses

    broken = dataclasses.replace(
        cfg, tables=dataclasses.replace(cfg.tables, event_key_template="gone-{performance_id}")
    )
    report = await bench.sync(cfg=broken)
    assert any("gone-201" in e for e in report.errors)
    statuses = {s.performance_id: s.outcome.value for s in bench.store.performance_statuses()}
    assert statuses[201] == "error" and statuses[101] == "converged"


async def test_an_unexpected_failure_in_one_unit_leaves_the_others_and_the_report(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bridge.reconcile.run as run_module

    real = run_module.desired_state

    def exploding(snapshots, tables, policy, *rest):  # type: ignore[no-untyped-def]
        snapshots = list(snapshots)
        if any(s.performance_id == 202 for s in snapshots):
            raise RuntimeError("a bug")
        return real(snapshots, tables, policy, *rest)

    monkeypatch.setattr(run_module, "desired_state", exploding)
    report = await bench.sync()
    assert any("RuntimeError" in e for e in report.errors)
    assert bench.box.seatsio_world.channel_of("perf-201", "Orchestra-A-1") == "house"


class Crash(BaseException):
    """The process dies mid-apply."""


async def test_a_crash_mid_move_then_a_lifted_hold_leaves_nothing_behind(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bridge.reconcile.apply as apply_module
    from bridge.core.plan_model import OpKind
    from bridge.tessitura.models import ReplaceMode

    label, event, press = "Orchestra-B-1", "perf-201", 2
    await bench.sync()
    world = bench.box.seatsio_world
    assert world.channel_of(event, label) == "artist-comps"
    seat = bench.seat(label)
    bench.box.tessitura_world.hold(201, [seat], press, mode=ReplaceMode.REPLACE_EXISTING)

    real = apply_module.send

    async def send(ops, seatsio, store):  # type: ignore[no-untyped-def]
        await real(ops, seatsio, store)
        if any(op.kind is OpKind.CHANGE_STATUS and label in op.labels for op in ops):
            raise Crash  # the status landed; the channel removal and the claim never run

    monkeypatch.setattr(apply_module, "send", send)
    with pytest.raises(Crash):
        await bench.sync()
    monkeypatch.undo()
    assert world.object_status(event, label) == "held-press"
    assert world.channel_of(event, label) == "artist-comps"

    bench.box.tessitura_world.release(201, [seat])  # the box office lifts the press hold
    report = await bench.sync()
    assert world.object_status(event, label) == "free"
    assert world.channel_of(event, label) is None
    assert not [f for f in report.plan.findings if f.label == label]
