"""A channel key renamed in the hold-code table, its name kept (``house`` -> ``house-seats``, both
"House seats"): seats.io keeps channel names unique per event (the fake refuses a duplicate on
create, update and replace alike), so the new channel cannot be made while the retiring one still
carries the name. The run renames the retiring channel first and converges in one run, the held
seats never out of a channel on the way; a partner's channel is never renamed."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from sandbox_bench import Bench, bench_fixture, cfg_fixture  # noqa: F401

from bridge.config import BridgeConfig
from bridge.sandbox.seatsio_model import ChannelSpec as SeatsioChannel
from bridge.sandbox.seatsio_world import SeatsioWorld

EVENT = "perf-201"
SEASON = "season-2026-27"


def renamed(
    cfg: BridgeConfig, old: str, new: str, *, owns_all: tuple[str, ...] = ()
) -> BridgeConfig:
    """``cfg`` with channel key ``old`` renamed to ``new`` in the hold-code table, name kept."""
    t = cfg.tables
    rules = {
        cid: dataclasses.replace(r, target=new) if r.target == old else r
        for cid, r in t.hold_rules.items()
    }
    channels = tuple(dataclasses.replace(c, key=new) if c.key == old else c for c in t.channels)
    tables = dataclasses.replace(t, hold_rules=rules, channels=channels)
    safety = cfg.safety.model_copy(update={"owns_all_channels": owns_all})
    return dataclasses.replace(cfg, tables=tables, safety=safety)


def channels(world: SeatsioWorld, key: str) -> dict[str, tuple[str, frozenset[str]]]:
    return {c.key: (c.name, frozenset(c.objects)) for c in world.channels(key)}


def watch_channel_writes(
    world: SeatsioWorld, check: Callable[[], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run ``check`` after every channel write the fake takes (between two of the bridge's calls)."""
    for name in (
        "add_channels",
        "replace_channels",
        "update_channel",
        "add_channel_objects",
        "remove_channel_objects",
    ):
        real = getattr(world, name)

        def watched(*args: Any, _real: Any = real, **kwargs: Any) -> Any:
            out = _real(*args, **kwargs)
            check()
            return out

        monkeypatch.setattr(world, name, watched)


@pytest.mark.parametrize("owns_all", [False, True], ids=["per-channel", "owns-all-channels"])
async def test_a_key_renamed_with_its_name_kept_converges_in_one_run(
    bench: Bench, cfg: BridgeConfig, owns_all: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = bench.box.seatsio_world
    assert not (await bench.sync()).errors
    house = {k: channels(world, k)["house"] for k in (EVENT, SEASON)}
    assert all(name == "House seats" and labels for name, labels in house.values())

    def held_in_a_channel() -> None:
        for key, (_, labels) in house.items():
            out = {lbl for lbl in labels if world.channel_of(key, lbl) is None}
            assert not out, f"held seats out of every channel on {key}: {sorted(out)}"

    watch_channel_writes(world, held_in_a_channel, monkeypatch)
    new = renamed(cfg, "house", "house-seats", owns_all=(EVENT, SEASON) if owns_all else ())
    report = await bench.sync(cfg=new)

    assert not report.errors, [str(e) for e in report.errors]
    for key, (_, labels) in house.items():
        now = channels(world, key)
        assert now["house-seats"] == ("House seats", labels)
        assert now["house"] == ("House seats (retired: house)", frozenset())
    again = await bench.sync(cfg=new, apply=False)
    assert not again.errors
    assert all(u.plan.is_empty for u in again.units), [u.plan.counts() for u in again.units]


async def test_a_partner_channel_with_the_wanted_name_is_never_renamed(
    bench: Bench, cfg: BridgeConfig
) -> None:
    """The bridge never filled it: the name clash stays a visible refusal, the channel untouched."""
    world = bench.box.seatsio_world
    partner = SeatsioChannel("partner-house", "House seats", "#123456", 9, ("Orchestra-A-1",))
    world.add_channels("perf-202", [partner])
    new = renamed(cfg, "house", "house-seats")

    report = await bench.sync(cfg=new)

    assert channels(world, "perf-202")["partner-house"] == (
        "House seats",
        frozenset({"Orchestra-A-1"}),
    )
    errors = [str(e) for e in report.errors]
    assert any("perf-202" in e and "Channel name must be unique" in e for e in errors), errors


@pytest.mark.parametrize("call", ["create", "update", "replace"])
def test_the_fake_keeps_channel_names_unique_per_event(bench: Bench, call: str) -> None:
    from bridge.sandbox.seatsio_errors import SeatsioApiError

    world = bench.box.seatsio_world
    world.add_channels("perf-203", [SeatsioChannel("a", "Same"), SeatsioChannel("b", "Other")])
    with pytest.raises(SeatsioApiError, match="Channel name must be unique: Same"):
        if call == "create":
            world.add_channels("perf-203", [SeatsioChannel("c", "Same")])
        elif call == "update":
            world.update_channel("perf-203", "b", name="Same")
        else:
            world.replace_channels(
                "perf-203", [SeatsioChannel("a", "Same"), SeatsioChannel("b", "Same")]
            )
    assert [c.name for c in world.channels("perf-203")] == ["Same", "Other"]


async def test_a_rename_converges_where_the_retiring_channel_was_already_emptied(
    bench: Bench, cfg: BridgeConfig
) -> None:
    """The bridge made `house` on perf-201 and has since released every seat of it, so the ledger
    no longer names the channel; the store remembers the bridge made it, so it is renamed out of
    the way all the same (a partner's channel never is)."""
    await bench.sync()
    world, tess = bench.box.seatsio_world, bench.box.tessitura_world
    house = sorted(channels(world, "perf-201")["house"][1])
    assert house
    tess.release(201, [bench.seat(lbl) for lbl in house])
    await bench.sync(force=True)  # every house seat of 201 released: the channel is empty
    assert channels(world, "perf-201")["house"] == ("House seats", frozenset())
    new = renamed(cfg, "house", "house-seats")
    tess.hold(201, [bench.seat("Orchestra-J-1")], 1)  # a new house hold, under the new key
    report = await bench.sync(cfg=new)
    assert not report.errors, report.errors
    assert world.channel_of("perf-201", "Orchestra-J-1") == "house-seats"
    assert channels(world, "perf-201")["house"][0] == "House seats (retired: house)"
