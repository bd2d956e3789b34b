"""Held means unbuyable, whatever form it takes (issue 25), against the in-process sandbox: a held
seat in a partner's channel, and an unknown hold code above an ignore layer."""

from __future__ import annotations

import dataclasses

from sandbox_bench import Bench, bench_fixture, cfg_fixture  # noqa: F401

from bridge.config import BridgeConfig
from bridge.core.findings import FindingKind, Severity
from bridge.mapping.model import Action, HoldRule
from bridge.sandbox.seatsio_model import ChannelSpec

HOUSE, PRESS = 1, 2  # channel house (fallback held-house), status held-press
PARTNER, EVENT = "partner-presale", "perf-202"  # the sample's partner channel: Balcony A 1-10


def _outcome(bench: Bench, performance_id: int) -> str:
    return {s.performance_id: s.outcome.value for s in bench.store.performance_statuses()}[
        performance_id
    ]


async def test_a_held_seat_in_a_partners_channel_is_held_by_a_status_and_reported(
    bench: Bench,
) -> None:
    await bench.sync()
    world, tess = bench.box.seatsio_world, bench.box.tessitura_world
    tess.hold(202, [bench.seat("Balcony-A-1")], HOUSE)
    tess.hold(202, [bench.seat("Balcony-A-2")], PRESS)
    report = await bench.sync()
    # the partner's channel is never touched; a bridge status makes both seats unbuyable
    assert world.channel_of(EVENT, "Balcony-A-1") == PARTNER
    assert world.channel_of(EVENT, "Balcony-A-2") == PARTNER
    assert world.object_status(EVENT, "Balcony-A-1") == "held-house"  # the code's fallback
    assert world.object_status(EVENT, "Balcony-A-2") == "held-press"  # the code's own status
    foreign = [f for f in report.plan.findings if f.kind is FindingKind.FOREIGN_CHANNEL]
    assert sorted(f.label or "" for f in foreign) == ["Balcony-A-1", "Balcony-A-2"]
    assert {f.severity for f in foreign} == {Severity.CONFLICT}
    assert _outcome(bench, 202) == "conflicts"  # never converged-silent
    again = await bench.sync()
    assert not again.plan.api_operations  # held so, without another write

    world.remove_channel_objects(EVENT, PARTNER, ["Balcony-A-1"])  # the partner lets go
    await bench.sync()
    assert world.channel_of(EVENT, "Balcony-A-1") == "house"  # the planned form ...
    assert world.object_status(EVENT, "Balcony-A-1") == "free"  # ... and the fallback lifted


async def test_a_partners_channel_without_any_fallback_leaves_the_seat_buyable_and_says_so(
    bench: Bench, cfg: BridgeConfig
) -> None:
    rules = {
        k: dataclasses.replace(r, fallback_status=None) for k, r in cfg.tables.hold_rules.items()
    }
    bare = dataclasses.replace(
        cfg,
        tables=dataclasses.replace(cfg.tables, hold_rules=rules),
        safety=cfg.safety.model_copy(update={"fallback_status": ""}),
    )
    await bench.sync(cfg=bare)
    bench.box.tessitura_world.hold(202, [bench.seat("Balcony-A-1")], HOUSE)
    report = await bench.sync(cfg=bare)
    assert bench.box.seatsio_world.object_status(EVENT, "Balcony-A-1") == "free"
    (finding,) = [f for f in report.plan.findings if f.kind is FindingKind.FOREIGN_CHANNEL]
    assert "no fallback status" in finding.detail
    assert _outcome(bench, 202) != "converged"


async def test_an_unknown_code_above_an_ignore_layer_keeps_the_bridges_hold(
    bench: Bench, cfg: BridgeConfig
) -> None:
    # the tables map code 3 (Artist Comps) to ignore and leave code 6 (Subscription) unknown
    rules = {k: r for k, r in cfg.tables.hold_rules.items() if k != 6}
    rules[3] = HoldRule(3, Action.IGNORE, None, 4)
    mapped = dataclasses.replace(cfg, tables=dataclasses.replace(cfg.tables, hold_rules=rules))
    await bench.sync(cfg=mapped)
    world, tess = bench.box.seatsio_world, bench.box.tessitura_world
    seat = bench.seat("Orchestra-A-1")
    assert world.channel_of("perf-201", "Orchestra-A-1") == "house"  # the sample's house seat
    tess.release(201, [seat])
    tess.hold(201, [seat], 3)  # ignore
    tess.hold(201, [seat], 6)  # a code the table does not know, beside it
    report = await bench.sync(cfg=mapped)
    assert world.channel_of("perf-201", "Orchestra-A-1") == "house"  # kept, never freed
    kinds = {f.kind for f in report.plan.findings if f.performance_id == 201}
    assert FindingKind.UNKNOWN_HOLD_CODE in kinds
    tess.release(201, [seat])
    tess.hold(201, [seat], 3)  # the unknown layer gone: ignore decides, the hold is lifted
    await bench.sync(cfg=mapped)
    assert world.channel_of("perf-201", "Orchestra-A-1") is None


async def test_a_refused_channel_holds_its_seats_by_the_fallback_status_in_the_same_run(
    bench: Bench,
) -> None:
    """seats.io refuses the bridge's channel (a partner's channel already has its name on this
    event): the seats are held by the code's fallback status at once, the run is an error, and
    the partner's channel is never touched."""
    world = bench.box.seatsio_world
    event = "perf-203"
    world.add_channels(event, [ChannelSpec("partner-house", "House seats")])
    report = await bench.sync()
    labels = {lbl for t in bench.cfg.tables.seat_tables.values() for lbl in t.labels.values()}
    held = sorted(lbl for lbl in labels if world.object_status(event, lbl) == "held-house")
    assert held  # every house seat of 203 held by the house code's fallback status ...
    assert all(world.channel_of(event, lbl) is None for lbl in held)
    assert [c.key for c in world.channels(event)] == ["partner-house"]  # ... the partner untouched
    refused = [f for f in report.plan.findings if f.kind is FindingKind.CHANNEL_REFUSED]
    assert refused and {f.event_key for f in refused} == {event}
    assert _outcome(bench, 203) == "error"  # the planned channel is not there: not converged
    assert _outcome(bench, 201) == "converged"

    world.replace_channels(event, [])  # the partner's channel goes: the planned form can be written
    await bench.sync()
    assert all(world.channel_of(event, lbl) == "house" for lbl in held)
    assert all(world.object_status(event, lbl) == "free" for lbl in held)
    assert _outcome(bench, 203) == "converged"
