"""Crash safety of apply against the sandbox: a run killed after any operation, then resumed, ends
exactly where an uninterrupted run ends, and no status change reaches seats.io twice."""

from __future__ import annotations

from collections import Counter
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

import bridge.reconcile.apply as apply_module
from bridge.config import BridgeConfig, load_config
from bridge.core.outcome import RunReport
from bridge.core.plan_model import Operation
from bridge.runtime import Runtime, connect
from bridge.sandbox import Sandbox
from bridge.store import open_store
from bridge.store.base import StateStore
from bridge.tessitura.models import SeatHoldRequest

CONFIG = Path(__file__).resolve().parents[2] / "config" / "sandbox.toml"
GALA, FAMILY, PRESS, SUBSCRIPTION, LIFT = 201, 203, 2, 6, -1


class Crash(BaseException):
    """The process dies: nothing after this line of apply runs."""


@pytest.fixture(scope="module")
def cfg() -> BridgeConfig:
    return load_config(CONFIG)


@asynccontextmanager
async def runtime(cfg: BridgeConfig, box: Sandbox, store: StateStore) -> Any:
    async with connect(
        cfg,
        tessitura_transport=httpx.ASGITransport(app=box.tessitura_app),
        seatsio_transport=httpx.ASGITransport(app=box.seatsio_app),
        store=store,
    ) as rt:
        yield rt


def performance_ids(box: Sandbox) -> list[int]:
    return [p.id for p in box.venue.performances]


async def sync(rt: Runtime, ids: list[int], *, apply: bool = True) -> RunReport:
    return await rt.reconciler().reconcile(ids, apply=apply)


def world_state(box: Sandbox) -> dict[str, Any]:
    """Everything the bridge can change in seats.io, per event and season."""
    world = box.seatsio_world
    out: dict[str, Any] = {}
    for event in world.events():
        key = event.key
        out[key] = {
            "channels": sorted((c.key, tuple(sorted(c.objects))) for c in world.channels(key)),
            "not_for_sale": sorted(
                v.object.label for v in world.object_views(key) if not v.for_sale
            ),
            "statuses": sorted(
                (v.object.label, v.status) for v in world.object_views(key) if v.status != "free"
            ),
        }
    return out


def status_change_counts(box: Sandbox) -> Counter[tuple[str, str, str]]:
    world = box.seatsio_world
    counts: Counter[tuple[str, str, str]] = Counter()
    for event in world.events():
        for change in world.status_changes(event.key):
            counts[(event.key, change.object_label, change.status)] += 1
    return counts


async def box_office_changes(rt: Runtime, box: Sandbox) -> None:
    """Work for a second run that adds and lifts holds of every kind."""
    venue = box.venue

    def seats(section: str, row: str, numbers: range) -> list[int]:
        return [venue.seat_by_label(f"{section}-{row}-{n}").id for n in numbers]

    async def hold(pid: int, seat_ids: list[int], code: int) -> None:
        await rt.tessitura.update_seat_holds(
            pid, [SeatHoldRequest(seat_id=s, hold_code_id=code) for s in seat_ids]
        )

    await hold(GALA, seats("Orchestra", "H", range(1, 5)), PRESS)  # status added
    await hold(GALA, seats("Orchestra", "B", range(1, 3)), LIFT)  # channel lifted
    await hold(FAMILY, seats("Orchestra", "F", range(15, 18)), LIFT)  # status released
    for pid in (p.id for p in venue.performances if p.seatsio_season_key):
        await hold(pid, seats("Mezzanine", "E", range(1, 4)), SUBSCRIPTION)  # season channel


def crash_at(monkeypatch: pytest.MonkeyPatch, n: int, *, landed: bool) -> None:
    """Kill apply at its n-th seats.io call, before or after the call reaches seats.io."""
    real = apply_module.send
    seen = {"calls": 0}

    async def send(ops: list[Operation], seatsio: Any, store: Any) -> None:
        api = any(op.is_api for op in ops)
        if api and seen["calls"] == n:
            if landed:
                await real(ops, seatsio, store)
            raise Crash
        seen["calls"] += api
        await real(ops, seatsio, store)

    monkeypatch.setattr(apply_module, "send", send)


def count_calls(monkeypatch: pytest.MonkeyPatch, calls: list[int]) -> None:
    """Count the seats.io calls apply makes (a batched step is one call)."""
    real = apply_module.send

    async def send(ops: list[Operation], seatsio: Any, store: Any) -> None:
        calls[-1] += any(op.is_api for op in ops)
        await real(ops, seatsio, store)

    monkeypatch.setattr(apply_module, "send", send)


async def run_story(
    cfg: BridgeConfig,
    db: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    crash: tuple[int, int, bool] | None = None,
) -> tuple[Sandbox, list[int]]:
    """First sync, box-office changes, second sync; ``crash`` = (run, operation, landed) kills
    that run at that operation, then resumes in a fresh process (new clients, same store).
    Returns the sandbox and, per run, the number of seats.io calls its apply made."""
    box = Sandbox()
    ids = performance_ids(box)
    calls: list[int] = []
    for run in (0, 1):
        with open_store(db, durable=False) as store:
            async with runtime(cfg, box, store) as rt:
                if run == 1:
                    await box_office_changes(rt, box)
                if crash and crash[0] == run:
                    crash_at(monkeypatch, crash[1], landed=crash[2])
                    with pytest.raises(Crash):
                        await sync(rt, ids)
                    monkeypatch.undo()
        # a new process after the crash, or the plain run
        with open_store(db, durable=False) as store:
            async with runtime(cfg, box, store) as rt:
                calls.append(0)
                with monkeypatch.context() as counting:
                    count_calls(counting, calls)
                    await sync(rt, ids)
    return box, calls


async def test_an_uninterrupted_story_converges_and_lifts_holds(
    cfg: BridgeConfig, tmp_path: Path
) -> None:
    box, calls = await run_story(cfg, tmp_path / "s.sqlite3", pytest.MonkeyPatch())
    # status and for-sale steps of different performances share calls (bridge/reconcile/merge.py)
    assert calls[0] >= 6 and calls[1] >= 3
    world = box.seatsio_world
    assert world.channel_of("perf-201", "Orchestra-B-1") is None
    assert world.object_status("perf-203", "Orchestra-F-15") == "free"
    assert world.object_status("perf-201", "Orchestra-H-1") == "held-press"
    assert world.channel_of("season-2026-27", "Mezzanine-E-1") == "subscribers"
    with open_store(tmp_path / "s.sqlite3", durable=False) as store:
        async with runtime(cfg, box, store) as rt:
            again = await sync(rt, performance_ids(box), apply=False)
    assert again.plan.is_empty


@pytest.mark.slow
async def test_a_crash_at_any_operation_is_repaired_without_repeating_a_status_change(
    cfg: BridgeConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every call of the second run (adds and lifts) and every other call of the first, killed
    after the call landed and before it did (both for the second run, alternating for the first)."""
    reference, calls = await run_story(cfg, tmp_path / "ref.sqlite3", monkeypatch)
    want_state = world_state(reference)
    want_changes = status_change_counts(reference)
    crashes = [(0, n, n % 4 == 0) for n in range(0, calls[0], 2)]
    crashes += [(1, n, landed) for n in range(calls[1]) for landed in (True, False)]
    for run, n, landed in crashes:
        db = tmp_path / f"crash-{run}-{n}-{landed}.sqlite3"
        box, _ = await run_story(cfg, db, monkeypatch, crash=(run, n, landed))
        where = f"crash in run {run} at operation {n}, call {'landed' if landed else 'lost'}"
        assert world_state(box) == want_state, where
        assert status_change_counts(box) == want_changes, where
        with open_store(db, durable=False) as store:
            assert store.unfinished_ops() == [], where
