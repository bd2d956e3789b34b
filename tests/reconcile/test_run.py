"""The reconcile pass against the in-process sandbox: isolation between performances, the safety
guards end to end, and findings instead of guesses."""

from __future__ import annotations

import dataclasses

from sandbox_bench import Bench, bench_fixture, cfg_fixture  # noqa: F401

from bridge.config import BridgeConfig
from bridge.core.findings import FindingKind
from bridge.sandbox.control import Faults


def with_tables(cfg: BridgeConfig, **changes: object) -> BridgeConfig:
    return dataclasses.replace(cfg, tables=dataclasses.replace(cfg.tables, **changes))


def with_safety(cfg: BridgeConfig, **changes: object) -> BridgeConfig:
    return dataclasses.replace(cfg, safety=cfg.safety.model_copy(update=changes))


async def test_a_performance_tessitura_cannot_serve_does_not_stop_the_others(bench: Bench) -> None:
    bench.box.tessitura_control.set_faults(
        Faults(error_rate=1.0, path_pattern=r"Performances/202\b")
    )
    report = await bench.sync()
    assert any("202" in e for e in report.errors)
    world = bench.box.seatsio_world
    assert world.channel_of("perf-201", "Orchestra-A-1") == "house"
    assert [c.key for c in world.channels("perf-202")] == ["partner-presale"]  # untouched
    statuses = {s.performance_id: s.outcome.value for s in bench.store.performance_statuses()}
    assert statuses[202] == "error" and statuses[201] == "converged"


async def test_tessitura_returning_no_holds_does_not_open_the_house(
    bench: Bench, cfg: BridgeConfig
) -> None:
    strict = with_safety(cfg, mass_release_floor=10)
    await bench.sync(cfg=strict)
    venue = bench.box.venue
    held = {h.seat_id for h in venue.holds if h.performance_id == 201}
    bench.box.tessitura_world.release(201, held)  # a glitch: every hold of tonight gone
    report = await bench.sync(cfg=strict)
    assert [f.event_key for f in report.refused] == ["perf-201"]
    world = bench.box.seatsio_world
    assert world.channel_of("perf-201", "Orchestra-B-1") == "artist-comps"
    assert world.object_status("perf-201", "Orchestra-F-15") == "held-press"

    forced = await bench.sync(cfg=strict, force=True)
    assert not forced.refused
    assert world.channel_of("perf-201", "Orchestra-B-1") is None
    assert world.object_status("perf-201", "Orchestra-F-15") == "free"


async def test_an_unknown_hold_code_is_reported_and_the_rest_still_syncs(
    bench: Bench, cfg: BridgeConfig
) -> None:
    rules = {k: v for k, v in cfg.tables.hold_rules.items() if k != 3}  # Artist Comps unmapped
    report = await bench.sync(cfg=with_tables(cfg, hold_rules=rules))
    unknown = [f for f in report.plan.findings if f.kind is FindingKind.UNKNOWN_HOLD_CODE]
    assert [(f.performance_id, f.hold_code_id) for f in unknown] == [(201, 3)]
    world = bench.box.seatsio_world
    assert world.channel_of("perf-201", "Orchestra-B-1") is None
    assert world.channel_of("perf-201", "Orchestra-A-1") == "house"


async def test_a_performance_without_an_event_is_named_and_others_sync(
    bench: Bench, cfg: BridgeConfig
) -> None:
    report = await bench.sync(cfg=with_tables(cfg, event_key_template="missing-{performance_id}"))
    missing = sorted(
        f.event_key or "" for f in report.plan.findings if f.kind is FindingKind.EVENT_NOT_FOUND
    )
    assert missing == [f"missing-{pid}" for pid in (201, 202, 203, 204)]
    assert bench.box.seatsio_world.channel_of("season-2026-27", "Orchestra-A-1") == "house"


async def test_xml_and_json_give_the_same_plan(cfg: BridgeConfig) -> None:
    plans = []
    for fmt in ("json", "xml"):
        b = Bench(cfg, fmt)
        plans.append((await b.sync(apply=False)).plan.to_json())
        await b.close()
    assert plans[0] == plans[1] and plans[0]["operations"]


async def test_a_converged_venue_costs_no_writes(bench: Bench) -> None:
    await bench.sync()
    before = bench.seatsio.stats.snapshot()
    again = await bench.sync()
    after = bench.seatsio.stats.snapshot()
    assert again.plan.is_empty
    writes = {
        endpoint: n - before.get("requests", {}).get(endpoint, 0)
        for endpoint, n in after.get("requests", {}).items()
        if not endpoint.startswith("GET")
    }
    assert not any(writes.values()), writes


async def test_progress_is_reported_once_per_unit(bench: Bench) -> None:
    from bridge.runtime import reconciler_for

    seen: list[tuple[tuple[int, ...], int]] = []
    await reconciler_for(bench.cfg, bench.tessitura, bench.seatsio, bench.store).reconcile(
        bench.ids,
        apply=False,
        on_unit_done=lambda result, total: seen.append((result.performance_ids, total)),
    )
    assert sorted(unit for unit, _ in seen) == [
        tuple(range(101, 109)),
        (201,),
        (202,),
        (203,),
        (204,),
    ]
    assert {total for _, total in seen} == {5}
