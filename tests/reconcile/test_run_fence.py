"""Fenced writes in a reconcile pass: no seats.io write leaves after its unit's lease, however the
process stalled (a 429's wait, a pause), whoever took the unit over, in a merged call or an undo;
each run leases under its own holder."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sandbox_bench import Bench, bench_fixture, cfg_fixture  # noqa: F401

from bridge.clock import ManualClock
from bridge.core.outcome import Ending
from bridge.core.plan_model import Operation, OpKind
from bridge.errors import ConflictError
from bridge.http import RetryPolicy, WriteFencedError, current_fence, fenced
from bridge.reconcile import run as run_module
from bridge.reconcile.leases import (
    LEASE_TTL_S,
    HolderId,
    LeaseLostError,
    Liveness,
    UnitLeases,
    holder_liveness,
    instance_id,
    run_holder,
)
from bridge.reconcile.merge import WriteMerger
from bridge.runtime import reconciler_for
from bridge.sandbox import SEATSIO_SECRET_KEY
from bridge.sandbox.control import Faults
from bridge.seatsio.client import SeatsioClient
from bridge.store import open_store

T0 = datetime(2026, 11, 21, 19, 30, tzinfo=UTC)
SECOND = timedelta(seconds=1)
TIMEOUT_S = 10.0
TONIGHT, LABEL = 201, "Orchestra-F-15"  # held-press tonight (a status hold)
STATUS_CHANGES = "POST /events/groupActions/change-object-status"


def status_posts(bench: Bench) -> list[int]:
    """The HTTP status of every status change seats.io received, in order."""
    return [
        e.status
        for e in bench.box.seatsio_control.log.entries
        if e.method == "POST" and "change-object-status" in e.path
    ]


def seatsio_client(bench: Bench, retry: RetryPolicy) -> SeatsioClient:
    return SeatsioClient(
        SEATSIO_SECRET_KEY,
        base_url="http://seatsio.sandbox",
        transport=httpx.ASGITransport(app=bench.box.seatsio_app),
        retry=retry,
        timeout_s=TIMEOUT_S,
    )


async def lifted_tonight(bench: Bench, clock: ManualClock) -> None:
    """A converged store on ``clock``, then the box office lifts tonight's press hold on LABEL:
    the next pass plans a RELEASE of it."""
    bench.store = open_store(":memory:", clock=clock)
    await reconciler_for(
        bench.cfg, bench.tessitura, bench.seatsio, bench.store, clock=clock
    ).reconcile(bench.ids, apply=True)
    assert bench.box.seatsio_world.object_status(f"perf-{TONIGHT}", LABEL) == "held-press"
    bench.box.tessitura_world.release(TONIGHT, [bench.seat(LABEL)])
    bench.box.seatsio_control.log.clear()
    # seats.io throttles the release once, asking for a 5 s wait
    bench.box.seatsio_control.set_faults(
        Faults(
            error_rate=1.0,
            error_status=429,
            error_headers={"Retry-After": "5"},
            method="POST",
            path_pattern="change-object-status",
            count=1,
        )
    )


async def test_a_release_paused_past_its_lease_in_a_429_wait_is_never_sent(bench: Bench) -> None:
    """The issue's zombie write: frozen during the wait, a successor took the unit and the hold
    came back; on resuming, the old RELEASE must not go out."""
    clock = ManualClock(T0)
    await lifted_tonight(bench, clock)
    successor: list[Ending] = []

    async def frozen(seconds: float) -> None:
        clock.advance(LEASE_TTL_S + 10)  # SIGSTOP: both clocks run on, no renewal happens
        # meanwhile the box office holds the seat again and another run converges the unit
        bench.box.tessitura_world.hold(TONIGHT, [bench.seat(LABEL)], 2)
        report = await reconciler_for(
            bench.cfg, bench.tessitura, bench.seatsio, bench.store, clock=clock
        ).reconcile([TONIGHT], apply=True)
        successor.extend(u.ending for u in report.units)

    paused = seatsio_client(bench, RetryPolicy.seatsio(sleep=frozen))
    try:
        report = await reconciler_for(
            bench.cfg, bench.tessitura, paused, bench.store, clock=clock
        ).reconcile([TONIGHT], apply=True)
    finally:
        await paused.aclose()
    assert successor == [Ending.CONVERGED]
    assert status_posts(bench) == [429]  # the retry never left
    assert bench.box.seatsio_world.object_status(f"perf-{TONIGHT}", LABEL) == "held-press"
    (unit,) = report.units
    assert unit.ending is Ending.ERROR
    assert any("paused or stalled" in str(e) for e in unit.all_errors)
    assert bench.store.leases() == []  # the successor's run released its own lease
    (status,) = bench.store.performance_statuses([TONIGHT])
    assert status.outcome.value == "converged"  # the successor's word, not the stopped run's
    bench.store.close()


async def test_a_lease_taken_over_between_two_attempts_stops_the_retry(bench: Bench) -> None:
    """No pause here: the store says the lease ran out (its clock stepped) and a thief has it."""
    clock = ManualClock(T0)
    await lifted_tonight(bench, clock)
    thief = "elsewhere.example:7:z"

    async def wait(seconds: float) -> None:
        clock.step(LEASE_TTL_S + 1)  # by the store's clock the lease ran out
        assert bench.store.acquire_lease(TONIGHT, thief, LEASE_TTL_S)

    client = seatsio_client(bench, RetryPolicy.seatsio(sleep=wait))
    try:
        report = await reconciler_for(
            bench.cfg, bench.tessitura, client, bench.store, clock=clock
        ).reconcile([TONIGHT], apply=True)
    finally:
        await client.aclose()
    assert status_posts(bench) == [429]
    assert bench.box.seatsio_world.object_status(f"perf-{TONIGHT}", LABEL) == "held-press"
    (unit,) = report.units
    assert unit.ending is Ending.ERROR
    assert any(f"lease was lost to {thief}" in str(e) for e in unit.all_errors)
    assert unit.outcome is None or not [r for r in unit.outcome.results if r.state == "unknown"]
    assert bench.store.lease_holder(TONIGHT) == thief  # not ours to release
    (status,) = bench.store.performance_statuses([TONIGHT])
    assert status.outcome.value == "error"  # until the thief says otherwise: never "converged"
    bench.store.close()


async def test_a_seat_booked_during_the_run_is_not_undone_after_the_lease_is_lost(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock(T0)
    bench.store = open_store(":memory:", clock=clock)
    label, thief = "Orchestra-A-1", "elsewhere.example:7:z"
    real = run_module.apply_plan
    world = bench.box.seatsio_world
    undos: list[int] = []

    async def booked_then_stolen(plan, seatsio, store, **kw):  # type: ignore[no-untyped-def]
        if any(op.kind is OpKind.REMOVE_FROM_CHANNEL for op in plan.operations):
            undos.append(len(plan.operations))  # the undo: another instance took the unit
            clock.step(LEASE_TTL_S + 1)
            assert store.acquire_lease(TONIGHT, thief, LEASE_TTL_S)
        elif world.object_status(f"perf-{TONIGHT}", label) == "free":
            world.book(f"perf-{TONIGHT}", [label])  # a buyer is quicker than the bridge
        return await real(plan, seatsio, store, **kw)

    monkeypatch.setattr(run_module, "apply_plan", booked_then_stolen)
    monkeypatch.setattr(UnitLeases, "check", lambda self: None)  # only the fence stands guard
    report = await reconciler_for(
        bench.cfg, bench.tessitura, bench.seatsio, bench.store, clock=clock
    ).reconcile([TONIGHT], apply=True)
    assert undos  # the undo was planned
    assert world.channel_of(f"perf-{TONIGHT}", label) == "house"  # and never sent
    (unit,) = report.units
    assert unit.ending is Ending.ERROR
    assert any(f"lease was lost to {thief}" in str(e) for e in unit.all_errors)
    assert unit.outcome is not None
    assert any(
        r.op.kind is OpKind.REMOVE_FROM_CHANNEL
        and r.state == "failed"
        and "not sent" in str(r.error)
        for r in unit.outcome.results
    )
    bench.store.close()


# -- merged calls ------------------------------------------------------------------------------


def hold(event: str) -> Operation:
    return Operation(OpKind.CHANGE_STATUS, (event,), ("A-1",), "held-press", ("free",))


class Fenced:
    """seats.io behind the HTTP layer's fence: each call asks the task's fence, as a write would."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    async def send(self, ops: Sequence[Operation]) -> None:
        await asyncio.sleep(0)
        fence = current_fence()
        if fence is not None:
            fence(TIMEOUT_S)
        self.calls.append(sorted({k for op in ops for k in op.event_keys}))


async def test_a_unit_that_lost_its_lease_does_not_ride_along_in_a_merged_call() -> None:
    seatsio = Fenced()
    merger = WriteMerger(seatsio.send, 3, objects_per_request=1000)
    lost = {"e1"}

    async def unit(event: str) -> str:
        def fence(timeout_s: float) -> None:
            if event in lost:
                raise LeaseLostError(f"{event}: the lease was lost")

        try:
            with fenced(fence):
                await merger.send([hold(event)])
            return "done"
        except WriteFencedError:
            return "not sent"
        except ConflictError:
            return "refused"
        finally:
            merger.leave()

    fates = await asyncio.gather(*(unit(f"e{n}") for n in range(3)))
    assert fates == ["done", "not sent", "done"]
    assert all("e1" not in call for call in seatsio.calls)  # never sent, merged or alone
    assert sorted(seatsio.calls) == [["e0"], ["e2"]]


async def test_a_merged_call_goes_out_under_every_units_fence() -> None:
    asked: list[str] = []
    seatsio = Fenced()
    merger = WriteMerger(seatsio.send, 2, objects_per_request=1000)

    async def unit(event: str) -> None:
        def fence(timeout_s: float) -> None:
            asked.append(event)

        try:
            with fenced(fence):
                await merger.send([hold(event)])
        finally:
            merger.leave()

    await asyncio.gather(unit("e0"), unit("e1"))
    assert seatsio.calls == [["e0", "e1"]] and sorted(asked) == ["e0", "e1"]


# -- holders -----------------------------------------------------------------------------------


def test_each_run_has_its_own_holder_and_its_process_is_alive() -> None:
    one, two = run_holder(), run_holder()
    assert one != two and one.startswith(instance_id() + "/")
    assert holder_liveness(one) is Liveness.ALIVE


def test_a_run_holder_names_its_process_and_a_dead_ones_runs_are_dead() -> None:
    parsed = HolderId.parse("box.example:4242:4026531836.777/5f3a")
    assert parsed == HolderId("box.example", 4242, "4026531836.777", "5f3a")
    assert HolderId.parse("box.example:4242/5f3a") == HolderId("box.example", 4242, None, "5f3a")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert holder_liveness(f"{socket.gethostname()}:{gone.pid}:x/5f3a") is Liveness.DEAD


def test_a_lease_is_released_only_by_the_run_that_holds_it() -> None:
    clock = ManualClock(T0)
    with open_store(":memory:", clock=clock) as store:
        first = UnitLeases(store, run_holder(), clock=clock)
        second = UnitLeases(store, run_holder(), clock=clock)
        assert first.take(TONIGHT) is None
        assert second.take(TONIGHT) == first.holder  # the same process, yet not the same run
        second.release()
        assert store.lease_holder(TONIGHT) == first.holder
        first.release()
        assert store.lease_holder(TONIGHT) is None


async def test_two_passes_of_one_process_never_both_own_a_unit(bench: Bench) -> None:
    """A reload that regroups units starts a pass while the last one still runs."""
    started = asyncio.Event()
    go_on = asyncio.Event()
    app = bench.box.seatsio_app

    async def slow_writes(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] == "http" and scope["method"] == "POST":
            started.set()
            await go_on.wait()
        await app(scope, receive, send)

    slow = SeatsioClient(
        SEATSIO_SECRET_KEY,
        base_url="http://seatsio.sandbox",
        transport=httpx.ASGITransport(app=slow_writes),
        retry=RetryPolicy.immediate(attempts=2),
    )
    try:
        first = asyncio.create_task(
            reconciler_for(bench.cfg, bench.tessitura, slow, bench.store).reconcile(
                [TONIGHT], apply=True
            )
        )
        await started.wait()
        second = await bench.sync()
        go_on.set()
        done = await first
    finally:
        await slow.aclose()
    (tonight,) = [u for u in second.units if u.performance_ids == (TONIGHT,)]
    assert tonight.leased_elsewhere  # the first pass's run holds it
    assert done.units[0].ending is Ending.CONVERGED
    assert bench.store.leases() == []  # each run released its own, and only its own


async def test_a_run_that_gave_its_leases_up_sends_nothing_more() -> None:
    """A merged call of the wave goes out from another task: after the unit released (it was
    cancelled, its last attempt answered), its fence refuses, whoever holds the lease now."""
    clock = ManualClock(T0)
    with open_store(":memory:", clock=clock) as store:
        stopped = UnitLeases(store, run_holder(), clock=clock)
        assert stopped.take(TONIGHT) is None
        stopped.release()
        successor = UnitLeases(store, run_holder(), clock=clock)
        assert successor.take(TONIGHT) is None
        with pytest.raises(LeaseLostError, match="gave its leases up"):
            stopped.fence(TIMEOUT_S)
        successor.fence(TIMEOUT_S)  # the successor's own writes go
