"""/healthz and /readyz tell the truth when the store stalls or the daemon's loop is stuck, and
answer at once either way: the server runs on its own thread, the store is probed off the loop.

Real HTTP over loopback; the daemon's loop is blocked for real (a synchronous wait, as a frozen
PostgreSQL would block it) while the probes are asked from another thread. Ages are judged by
the injected clock, moved by the test; every wait is bounded by a client timeout of 1 s.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import psycopg

from bridge.clock import ManualClock
from bridge.config import load_config
from bridge.daemon.health import LOOP_STALL_S, StoreProbe
from bridge.daemon.membership import Membership, Role
from bridge.daemon.metrics import BridgeMetrics
from bridge.daemon.schedule import NextRun, UnitJob
from bridge.daemon.state import DaemonState, UnitState
from bridge.daemon.status_view import RUN_STALE_CADENCES, StatusView
from bridge.daemon.web import HttpServer, build_app
from bridge.errors import RetryableError
from bridge.store.base import StoreGoneError
from bridge.store.postgres import open_postgres
from bridge.testing.sandbox import SANDBOX_CONFIG

#: every probe must answer within this; a blocked loop or store must not hold it up
ANSWER_S = 1.0


def active_view(clock: ManualClock) -> StatusView:
    cfg = load_config(SANDBOX_CONFIG)
    membership = Membership("me:0:a", shared=False, grace_s=0.0, clock=clock)
    membership.role = Role.ACTIVE
    state = DaemonState(last_discovery=clock.now(), last_discovery_mono=clock.monotonic())
    return StatusView(cfg, state, membership, clock=clock)


@asynccontextmanager
async def serving(view: StatusView, *, page_timeout_s: float = 0.5) -> AsyncIterator[str]:
    """The daemon's app for ``view`` on its own thread, as ``seatbridge run`` serves it."""
    view.loop = asyncio.get_running_loop()
    beat = asyncio.create_task(view.beat.run())
    app = build_app(
        view.readiness,
        BridgeMetrics(clock=view.clock),
        view.status_page,
        liveness=view.liveness,
        clock=view.clock,
        page_timeout_s=page_timeout_s,
    )
    server = HttpServer(app, "127.0.0.1:0", own_thread=True)
    await server.start()
    try:
        await asyncio.sleep(0)  # the first beat
        yield f"http://127.0.0.1:{server.port}"
    finally:
        beat.cancel()
        await server.stop()


def asked_while_blocked(ask: Callable[[], dict[str, httpx.Response]]) -> dict[str, httpx.Response]:
    """Block this (the daemon's) event loop in a synchronous wait while another thread runs
    ``ask``; its answers once it is done."""
    answers: dict[str, httpx.Response] = {}
    done = threading.Event()

    def other() -> None:
        try:
            answers.update(ask())
        finally:
            done.set()

    threading.Thread(target=other, daemon=True).start()
    assert done.wait(timeout=30), "the probes did not answer while the loop was blocked"
    return answers


async def test_probes_answer_and_say_the_loop_is_stuck_while_it_is_blocked() -> None:
    clock = ManualClock()
    view = active_view(clock)
    async with serving(view) as url:
        async with httpx.AsyncClient(base_url=url, timeout=ANSWER_S) as c:
            assert (await c.get("/healthz")).status_code == 200

        def ask() -> dict[str, httpx.Response]:
            clock.advance(LOOP_STALL_S + 5)  # the loop has not beaten since
            return {
                path: httpx.get(f"{url}{path}", timeout=ANSWER_S)
                for path in ("/healthz", "/readyz", "/status.json")
            }

        answers = asked_while_blocked(ask)
        assert answers["/healthz"].status_code == 503
        stuck = f"the daemon's event loop has not run for {LOOP_STALL_S + 5:.0f} s"
        assert answers["/healthz"].text == stuck
        ready = answers["/readyz"]
        assert ready.status_code == 503
        assert ready.json()["checks"]["loop"] == stuck
        # a page that needs the loop says it did not answer: it does not hang
        assert answers["/status.json"].status_code == 503
        assert "did not answer within 0.5 s" in answers["/status.json"].json()["error"]

        await asyncio.sleep(0.7)  # the loop runs again: it beats
        async with httpx.AsyncClient(base_url=url, timeout=ANSWER_S) as c:
            assert (await c.get("/healthz")).status_code == 200
            status = await c.get("/status.json")  # read on this loop, now free to answer
        assert status.status_code == 200 and status.json()["role"] == "active"


class StalledStore:
    """A store whose probe blocks until released (a frozen server), or fails as told."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls = 0
        self.fails: Exception | None = None

    def check_alive(self, timeout_s: float) -> None:
        self.calls += 1
        if self.fails is not None:
            raise self.fails
        self.release.wait(timeout=30)


async def test_a_store_that_does_not_answer_makes_readyz_503_at_once_and_one_probe_runs() -> None:
    clock = ManualClock()
    view = active_view(clock)
    view.store_probe = StoreProbe(timeout_s=0.2, clock=clock)
    store = StalledStore()
    async with serving(view) as url:
        verdict = await view.store_probe.probe(store)
        assert verdict.problem == "the state store did not answer within 0.2 s"
        async with httpx.AsyncClient(base_url=url, timeout=ANSWER_S) as c:
            ready = await c.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["store"] == "the state store did not answer within 0.2 s"
        await view.store_probe.probe(store)  # the next heartbeat waits on the same probe
        assert store.calls == 1
        store.release.set()
        assert (await view.store_probe.probe(store)).problem is None
        async with httpx.AsyncClient(base_url=url, timeout=ANSWER_S) as c:
            assert (await c.get("/readyz")).status_code == 200


async def test_a_store_that_fails_or_is_gone_says_why_and_gone_stays_gone() -> None:
    clock = ManualClock()
    view = active_view(clock)
    store = StalledStore()
    store.fails = RetryableError("state store x is unreachable: connection refused")
    await view.store_probe.probe(store)
    assert view.readiness().checks["store"] == "state store x is unreachable: connection refused"
    store.fails = StoreGoneError("state store /srv/state.sqlite3 was removed")
    assert (await view.store_probe.probe(store)).gone
    store.fails = None
    store.release.set()
    verdict = await view.store_probe.probe(store)  # a file back on the path is not ours
    assert verdict.gone and verdict.problem == "state store /srv/state.sqlite3 was removed"


def view_running(clock: ManualClock, every_s: float = 5.0) -> StatusView:
    view = active_view(clock)
    view.state.running_since_mono = clock.monotonic()
    view.state.units["perf-201"] = UnitState(UnitJob("perf-201", (201,), every_s))
    return view


def test_readyz_fails_when_no_units_run_has_ended_for_a_few_cadences() -> None:
    clock = ManualClock()
    view = view_running(clock)
    limit = RUN_STALE_CADENCES * 5.0 + view.cfg.daemon.run_timeout_s
    clock.advance(limit - 1)
    assert view.readiness().checks["runs"] == "ok"
    view.state.last_run_done_mono = clock.monotonic()  # a run ended
    clock.advance(limit - 1)
    assert view.readiness().checks["runs"] == "ok"
    view.state.units["perf-201"].last_error = "run timed out after 300 s"
    clock.advance(2)
    readiness = view.readiness()
    assert not readiness.ready
    assert readiness.checks["runs"] == (
        f"no unit's run has succeeded for {limit + 1:.0f} s (limit {limit:g} s): "
        "run timed out after 300 s"
    )


def test_a_backoff_longer_than_the_cadence_is_not_a_stall() -> None:
    clock = ManualClock()
    view = view_running(clock)
    view.state.units["perf-201"].next = NextRun(120.0, "vendor down: backing off")
    clock.advance(RUN_STALE_CADENCES * 5.0 + view.cfg.daemon.run_timeout_s + 1)
    assert view.readiness().checks["runs"] == "ok"


def test_a_standby_is_not_ready_and_says_so() -> None:
    clock = ManualClock()
    view = view_running(clock)
    view.membership.role = Role.STANDBY
    clock.advance(10_000)
    readiness = view.readiness()
    assert readiness.checks["role"] == "standby"
    assert readiness.checks["runs"] == "ok"  # a standby runs nothing: the role says why
    assert not readiness.ready


def test_status_json_names_why_a_units_last_run_failed() -> None:
    clock = ManualClock()
    view = view_running(clock)
    view.state.units["perf-201"].last_ending = "timeout"
    view.state.units["perf-201"].last_error = "run timed out after 4 s"
    unit = view.status()["units"]["perf-201"]  # type: ignore[index]
    assert unit["last_ending"] == "timeout"
    assert unit["last_error"] == "run timed out after 4 s"


async def test_a_frozen_postgresql_backend_is_a_store_that_did_not_answer(pg_url: str) -> None:
    """The store's pooled session's backend paused (SIGSTOP, as a frozen server): the probe
    says so within its timeout instead of waiting, and the store answers again once resumed."""
    probe = StoreProbe(timeout_s=0.5)
    with open_postgres(pg_url, venue="frozen", pool_size=1) as store:
        assert (await probe.probe(store)).problem is None
        with psycopg.connect(pg_url, autocommit=True) as admin:
            rows = admin.execute(
                """SELECT pid FROM pg_stat_activity WHERE application_name = 'seatbridge'
                AND datname = current_database() AND state = 'idle'"""
            ).fetchall()
        frozen = [int(pid) for (pid,) in rows]
        assert frozen
        for pid in frozen:
            os.kill(pid, signal.SIGSTOP)
        try:
            verdict = await probe.probe(store)
            assert verdict.problem == "the state store did not answer within 0.5 s"
        finally:
            for pid in frozen:
                os.kill(pid, signal.SIGCONT)
        answered = None
        for _ in range(50):  # the probe left running finishes once the backend runs again
            answered = await probe.probe(store)
            if answered.problem is None:
                break
        assert answered is not None and answered.problem is None
