"""Leases tied to a live holder: renewed while a unit runs, checked before every seats.io write,
released however the unit ends, taken over at once from a dead process of this host; and a fatal
error in one unit ends the whole pass cleanly."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sandbox_bench import Bench, bench_fixture, cfg_fixture  # noqa: F401

from bridge.clock import ManualClock
from bridge.errors import CredentialsError
from bridge.http import RetryPolicy
from bridge.reconcile import leases as run_module
from bridge.reconcile.leases import (
    HolderId,
    LeaseLostError,
    Liveness,
    UnitLeases,
    holder_liveness,
    instance_id,
    lease_states,
)
from bridge.runtime import reconciler_for
from bridge.sandbox import SEATSIO_SECRET_KEY
from bridge.sandbox.control import Faults
from bridge.seatsio.client import SeatsioClient
from bridge.store import open_store
from bridge.store.base import RunMode

T0 = datetime(2026, 11, 21, 19, 30, tzinfo=UTC)
SECOND = timedelta(seconds=1)
HOST = socket.gethostname()
SEASON = tuple(range(101, 109))
#: the seats.io client's timeout of one attempt (its default)
TIMEOUT_S = 10.0


def dead_pid() -> int:
    """The pid of a process of this host that has exited and been reaped."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def proc_identity(pid: int) -> tuple[str, str] | None:
    """(pid namespace, start ticks) of a process, where /proc says so."""
    try:
        ns = "".join(c for c in os.readlink("/proc/self/ns/pid") if c.isdigit())
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    return ns, stat[stat.rfind(")") + 2 :].split()[19]


def seatsio_through(bench: Bench, on_write: Callable[[], Awaitable[None]]) -> SeatsioClient:
    """A seats.io client whose every write first runs ``on_write`` (in the test's loop)."""
    app = bench.box.seatsio_app

    async def wrapped(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            await on_write()
        await app(scope, receive, send)

    return SeatsioClient(
        SEATSIO_SECRET_KEY,
        base_url="http://seatsio.sandbox",
        transport=httpx.ASGITransport(app=wrapped),
        retry=RetryPolicy.seatsio(attempts=2, first_wait_s=0.0, max_wait_s=0.0, jitter_s=0.0),
        timeout_s=TIMEOUT_S,
    )


def writes(bench: Bench) -> list[str]:
    return [e.endpoint for e in bench.box.seatsio_control.log.entries if e.method == "POST"]


# -- who holds a lease ----------------------------------------------------------------------


def test_the_holder_id_is_host_pid_token_and_older_rows_still_parse() -> None:
    me = HolderId.parse(instance_id())
    assert me is not None and (me.host, me.pid) == (HOST, os.getpid()) and me.token
    assert instance_id() == instance_id()
    assert HolderId.parse("box:42") == HolderId("box", 42)
    assert HolderId.parse("box:42:4026531836.99") == HolderId("box", 42, "4026531836.99")
    assert HolderId.parse("instance-a") is None
    assert holder_liveness(instance_id()) is Liveness.ALIVE


def test_a_holder_of_this_host_whose_process_is_gone_is_dead() -> None:
    pid = dead_pid()
    assert holder_liveness(f"{HOST}:{pid}") is Liveness.DEAD  # a row of an older version
    assert holder_liveness(f"{HOST}:{pid}:a1b2c3") is Liveness.DEAD
    assert holder_liveness(f"{HOST}:{os.getpid()}") is Liveness.DEAD  # our pid, not us: before us


def test_a_pid_now_used_by_another_process_is_not_taken_for_the_holder() -> None:
    parent = os.getppid()
    identity = proc_identity(parent)
    if identity is None:
        pytest.skip("needs /proc")
    ns, start = identity
    assert holder_liveness(f"{HOST}:{parent}:{ns}.{start}") is Liveness.ALIVE
    assert holder_liveness(f"{HOST}:{parent}:{ns}.{int(start) + 1}") is Liveness.DEAD


def test_holders_this_process_cannot_see_are_never_called_dead() -> None:
    pid = dead_pid()
    assert holder_liveness(f"elsewhere.example:{pid}:x") is Liveness.UNKNOWN
    assert holder_liveness(f"{HOST}:{pid}:1.123") is Liveness.UNKNOWN  # another pid namespace
    assert holder_liveness("instance-a") is Liveness.UNKNOWN
    assert holder_liveness(f"{HOST}:0") is Liveness.UNKNOWN


# -- renewal, with an injected clock ---------------------------------------------------------


def test_a_renewed_lease_is_never_taken_by_a_second_holder_and_is_once_renewals_stop() -> None:
    clock = ManualClock(T0)
    with open_store(":memory:", clock=clock) as store:
        first = UnitLeases(store, "host-a:1:x", ttl_s=300)
        assert first.take(101) is None
        for k in range(1, 7):  # every TTL/3, for twice the TTL
            clock.set(T0 + k * 100 * SECOND)
            first.renew()
            assert not store.acquire_lease(101, "host-b:2:y", 300)
            first.check()
        clock.advance(301 * SECOND)  # the first stops renewing (hung, or gone elsewhere)
        assert store.acquire_lease(101, "host-b:2:y", 300)
        first.renew()
        assert first.lost is not None and "host-b:2:y" in first.lost
        with pytest.raises(LeaseLostError):
            first.check()
        first.release()
        assert store.lease_holder(101) == "host-b:2:y"  # the first gives up only its own


async def test_leases_are_renewed_in_the_background_until_released() -> None:
    clock = ManualClock(T0)
    with open_store(":memory:", clock=clock) as store:
        leases = UnitLeases(store, "host-a:1:x", ttl_s=300, renew_every_s=0)
        assert leases.take(101) is None and leases.take(102) is None
        leases.start_renewing()
        clock.set(T0 + 250 * SECOND)
        for _ in range(5):
            await asyncio.sleep(0)
        assert {lease.expires_at for lease in store.leases()} == {T0 + 550 * SECOND}
        leases.release()
        assert store.leases() == []


def test_a_check_fails_closed_when_the_lease_ran_out_unrenewed() -> None:
    clock = ManualClock(T0)
    with open_store(":memory:", clock=clock) as store:
        leases = UnitLeases(store, "host-a:1:x", ttl_s=300, clock=clock)
        leases.take(101)
        clock.advance(300)  # the process was stopped or starved: no renewal ran
        with pytest.raises(LeaseLostError, match="paused or stalled"):
            leases.check()
        with pytest.raises(LeaseLostError):  # and stays lost
            leases.fence(10)


def test_a_lease_the_store_counts_out_after_a_wall_clock_step_is_renewed_if_nobody_took_it() -> (
    None
):
    """SQLite judges by the wall clock: a step forward runs every lease out at once. Nobody can
    have written since (writing needs the lease), so the holder renews it and goes on."""
    clock = ManualClock(T0)
    with open_store(":memory:", clock=clock) as store:
        leases = UnitLeases(store, "host-a:1:x", ttl_s=300, clock=clock)
        leases.take(101)
        clock.step(3600)
        leases.fence(10)
        assert store.lease_time_left("host-a:1:x") == {101: 300.0}
        clock.step(3600)
        assert store.acquire_lease(101, "elsewhere.example:7:z", 300)  # this time it was taken
        with pytest.raises(LeaseLostError, match=r"lost to elsewhere\.example:7:z"):
            leases.fence(10)


def test_a_fence_refuses_a_request_longer_than_the_lease_left() -> None:
    clock = ManualClock(T0)
    with open_store(":memory:", clock=clock) as store:
        leases = UnitLeases(store, "host-a:1:x", ttl_s=30, clock=clock)
        leases.take(101)
        leases.fence(15)  # 30 s left: enough for 15 s here and as long again at seats.io
        with pytest.raises(LeaseLostError, match=r"30\.0 s left, less than the 32\.0 s"):
            leases.fence(16)


# -- in a reconcile pass ---------------------------------------------------------------------


async def test_a_lease_of_a_dead_local_process_is_taken_over_once_its_last_write_is_over(
    bench: Bench,
) -> None:
    dead = f"{HOST}:{dead_pid()}:a1b2c3"
    for pid in (*SEASON, 201):
        assert bench.store.acquire_lease(pid, dead, run_module.LEASE_TTL_S)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    reconciler = replace(
        reconciler_for(bench.cfg, bench.tessitura, bench.seatsio, bench.store), sleep=sleep
    )
    report = await reconciler.reconcile(bench.ids, apply=True)
    # no lease to wait for (the process is dead), only for what it may have sent: two of the
    # seats.io client's timeouts, once per unit taken over, before that unit reads anything
    assert waits and all(w == pytest.approx(2 * TIMEOUT_S, abs=0.5) for w in waits)
    assert len(waits) == 2  # the season's unit and 201's
    assert not report.errors and not any(u.leased_elsewhere for u in report.units)
    assert bench.store.leases() == []
    assert bench.box.seatsio_world.channel_of("perf-201", "Orchestra-A-1") == "house"


async def test_a_live_holder_elsewhere_keeps_its_performance(bench: Bench) -> None:
    other = "elsewhere.example:4242:x"
    bench.store.acquire_lease(201, other, run_module.LEASE_TTL_S)
    report = await bench.sync()
    (unit,) = [u for u in report.units if u.performance_ids == (201,)]
    assert unit.leased_elsewhere and f"being reconciled by {other}" in str(unit.errors[0])
    assert [lease.holder for lease in bench.store.leases()] == [other]
    assert bench.box.seatsio_world.channels("perf-201") == []


async def test_a_lost_lease_stops_the_unit_before_its_next_seatsio_write(bench: Bench) -> None:
    clock = ManualClock(T0)
    bench.store = open_store(":memory:", clock=clock)
    thief = "elsewhere.example:7:z"

    async def steal_after_the_first_write() -> None:
        if not writes(bench):  # the unit hung past its TTL; another instance took 201 over
            clock.set(T0 + 301 * SECOND)
            assert bench.store.acquire_lease(201, thief, run_module.LEASE_TTL_S)

    seatsio = seatsio_through(bench, steal_after_the_first_write)
    try:
        report = await reconciler_for(bench.cfg, bench.tessitura, seatsio, bench.store).reconcile(
            [201], apply=True
        )
    finally:
        await seatsio.aclose()
    (unit,) = report.units
    assert len(unit.plan.api_operations) > 1
    assert len(writes(bench)) == 1  # the one in flight when the lease was lost, no more
    assert any("lease was lost to " + thief in str(e) for e in unit.errors)
    assert bench.store.lease_holder(201) == thief  # not released: it is not ours any more
    # until the new holder says otherwise, the status says this run failed, never "converged"
    (status,) = bench.store.performance_statuses([201])
    assert status.outcome.value == "error" and "lease was lost" in (status.last_error or "")
    bench.store.close()


async def test_a_401_in_one_unit_ends_the_pass_and_leaves_no_lease(bench: Bench) -> None:
    bench.box.seatsio_control.set_faults(
        Faults(error_rate=1.0, error_status=401, method="POST", path_pattern="change-object-status")
    )
    with pytest.raises(CredentialsError):  # the error itself, not an ExceptionGroup
        await bench.sync()
    assert bench.store.leases() == []
    assert bench.store.ledger() is not None  # the store is still open and consistent
    await asyncio.sleep(0)  # let the cancelled lease renewers finish
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


async def test_a_cancelled_pass_hands_over_a_unit_with_a_write_in_flight_only_after_its_timeout(
    bench: Bench,
) -> None:
    clock = ManualClock(T0)
    bench.store = open_store(":memory:", clock=clock)
    blocked = asyncio.Event()
    never = asyncio.Event()

    async def hang_on_the_first_write() -> None:
        blocked.set()
        await never.wait()

    seatsio = seatsio_through(bench, hang_on_the_first_write)
    try:
        reconciler = reconciler_for(bench.cfg, bench.tessitura, seatsio, bench.store, clock=clock)
        task = asyncio.create_task(reconciler.reconcile(bench.ids, apply=True))
        await blocked.wait()
        assert bench.store.leases() != []
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        await seatsio.aclose()
    # the write the stop cut off may still land at seats.io for one timeout: its unit lingers,
    # every other unit is handed over at once
    lingering = bench.store.leases()
    assert lingering and all(lease.lingering for lease in lingering)
    assert {lease.expires_at for lease in lingering} == {T0 + TIMEOUT_S * SECOND}
    states = lease_states(bench.store, bench.store.performance_statuses())
    assert not any(s.stale for s in states.values())  # not taken over, even once its run is dead
    busy = {lease.performance_id for lease in lingering}
    report = await reconciler_for(
        bench.cfg, bench.tessitura, bench.seatsio, bench.store, clock=clock
    ).reconcile(bench.ids, apply=True)
    assert {pid for u in report.units if u.leased_elsewhere for pid in u.performance_ids} == busy

    clock.advance(TIMEOUT_S)
    states = lease_states(bench.store, bench.store.performance_statuses())
    interrupted = {pid for pid, s in states.items() if s.interrupted_run is not None}
    assert interrupted and all(s.holder is None for s in states.values())
    assert all(r.mode is RunMode.APPLY for r in bench.store.unfinished_runs())

    report = await reconciler_for(
        bench.cfg, bench.tessitura, bench.seatsio, bench.store, clock=clock
    ).reconcile(bench.ids, apply=True)  # the next pass settles what was in flight, converges
    assert not report.errors
    assert bench.store.unfinished_ops() == []
    assert lease_states(bench.store, bench.store.performance_statuses()) == {}
    bench.store.close()
