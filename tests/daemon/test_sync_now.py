""" "Sync now": ``POST /performances/{id}/sync``, the page's button, and the daemon running the unit.

The route's answers and its protections (same origin, bearer token) through the app in process;
then a daemon in this process against the sandbox on loopback, on a 300 s cadence (so a run
seen within the test is one the request caused): an idle unit runs at once, a request made
while the unit's run is in flight (a hold read held up at the fake Tessitura) is followed by
another run, and a standby points at the active daemon.
"""

from __future__ import annotations

import asyncio
import random
import re
import signal
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from bridge.cli import main
from bridge.clock import ManualClock
from bridge.config import load_config
from bridge.daemon import overview
from bridge.daemon.metrics import BridgeMetrics
from bridge.daemon.service import Daemon
from bridge.daemon.sync_now import (
    SyncAnswer,
    SyncRequests,
    Verdict,
    accepted,
    not_here,
    not_scheduled,
)
from bridge.daemon.web import Readiness, build_app
from bridge.sandbox import Sandbox
from bridge.sandbox.control import Faults
from bridge.store import open_store
from bridge.store.base import PerformanceStatus, StateStore, SyncOutcome
from bridge.testing.daemon import role_of, with_daemon_settings
from bridge.testing.sandbox import served_sandbox, spawn

TOKEN = "sync-now-token-for-tests-0123456789"
T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
Page = Callable[[int], Mapping[str, object] | None]
#: what the daemon's status says of its units (the page's data is made from it)
SCHEDULED = {"units": {"performance 201": {"performances": [201]}}}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    with open_store(tmp_path / "state.sqlite3") as s:
        yield s


def page_of(store: StateStore, daemon: Mapping[str, object] = SCHEDULED) -> Page:
    """The performance page's data as the daemon makes it (None: 404)."""
    return lambda pid: overview.performance_detail(store, pid, daemon)


def answers(log: list[int]) -> Callable[[int], SyncAnswer]:
    """A daemon's ``sync_now`` as the app sees it: 201 is scheduled here, 202 runs elsewhere,
    nothing else is known; every call is logged."""

    def sync(pid: int) -> SyncAnswer:
        log.append(pid)
        if pid == 201:
            return accepted(pid, "performance 201", in_flight=False, already=False,
                            waits_for_config=False)  # fmt: skip
        if pid == 202:
            return SyncAnswer(
                Verdict.NOT_HERE, pid, "another instance runs it", listen="127.0.0.1:9999"
            )
        return not_scheduled(pid)

    return sync


def app_client(log: list[int], token: str | None = None, page: Page | None = None) -> TestClient:
    app = build_app(
        lambda: Readiness(True, {}),
        BridgeMetrics(clock=ManualClock()),
        performance=page,
        sync=answers(log),
        token=token,
    )
    return TestClient(app, base_url="http://127.0.0.1:9464", follow_redirects=False)


# -- the route --------------------------------------------------------------------------------


def test_a_scheduled_performance_is_accepted_an_unknown_one_404_another_instances_409() -> None:
    log: list[int] = []
    c = app_client(log)
    r = c.post("/performances/201/sync")
    assert r.status_code == 202
    assert r.json()["result"] == "accepted" and r.json()["unit"] == "performance 201"
    missing = c.post("/performances/7/sync")
    assert missing.status_code == 404 and missing.json()["result"] == "not_scheduled"
    elsewhere = c.post("/performances/202/sync")
    assert elsewhere.status_code == 409 and elsewhere.json()["listen"] == "127.0.0.1:9999"
    assert log == [201, 7, 202]
    assert c.get("/performances/201/sync").status_code == 405  # a GET syncs nothing


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "http://127.0.0.1:9465"},  # another port is another origin
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "http://127.0.0.1:9464", "Sec-Fetch-Site": "cross-site"},
    ],
)
def test_a_post_from_another_origin_is_refused_and_syncs_nothing(headers: dict[str, str]) -> None:
    log: list[int] = []
    r = app_client(log).post("/performances/201/sync", headers=headers)
    assert r.status_code == 403 and "refused" in r.text
    assert log == []


@pytest.mark.parametrize(
    "headers",
    [
        {},  # curl, `seatbridge sync`
        {"Origin": "http://127.0.0.1:9464", "Sec-Fetch-Site": "same-origin"},  # the page
        {"Sec-Fetch-Site": "none"},  # typed by the user
    ],
)
def test_a_post_from_the_page_or_without_a_browser_passes(headers: dict[str, str]) -> None:
    log: list[int] = []
    assert app_client(log).post("/performances/201/sync", headers=headers).status_code == 202
    assert log == [201]


def test_a_rebound_name_is_refused_without_a_token_and_passes_with_one() -> None:
    """DNS rebinding: a page at evil.example resolving to 127.0.0.1 sends an Origin and a Host
    that match each other; only the name tells. Without a token (loopback only) the POST must
    name a loopback address; with one, the token keeps such a page out."""
    rebound = {"Host": "evil.example:9464", "Origin": "http://evil.example:9464",
               "Sec-Fetch-Site": "same-origin"}  # fmt: skip
    log: list[int] = []
    r = app_client(log).post("/performances/201/sync", headers=rebound)
    assert r.status_code == 403 and "loopback" in r.text and log == []
    for host in ("localhost:9464", "[::1]:9464", "127.0.0.1"):
        assert (
            app_client(log).post("/performances/201/sync", headers={"Host": host}).status_code
            == 202
        )
    with_token = {**rebound, "Authorization": "Bearer s3cret-token"}
    r = app_client(log, token="s3cret-token").post("/performances/201/sync", headers=with_token)
    assert r.status_code == 202


def test_with_a_token_the_sync_needs_it_and_never_echoes_it() -> None:
    log: list[int] = []
    c = app_client(log, token=TOKEN)
    for auth in ({}, {"Authorization": f"Bearer {TOKEN}x"}):
        r = c.post("/performances/201/sync", headers=auth)
        assert r.status_code == 401 and TOKEN not in r.text
    assert log == []
    ok = c.post("/performances/201/sync", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 202 and log == [201]


def test_the_pages_button_posts_back_and_the_page_says_what_happened(store: StateStore) -> None:
    log: list[int] = []
    units = {"units": {"performance 201": {"performances": [201]}, "p202": {"performances": [202]}}}
    c = app_client(log, page=page_of(store, units))
    page = c.get("/performances/201")
    assert "form-action 'self'" in page.headers["content-security-policy"]
    form = re.search(r'<form method="post" action="([^"]+)" id="sync-now"', page.text)
    assert form is not None and "Sync now" in page.text
    r = c.post(
        form[1],
        data={},
        headers={"Origin": "http://127.0.0.1:9464", "Accept": "text/html"},
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/performances/201?sync=accepted"
    back = c.get(r.headers["location"])
    assert 'id="sync-flash"' in back.text and "Sync requested" in back.text
    refused = c.post("/performances/202/sync", data={"go": "1"})  # a form content type
    assert refused.headers["location"] == "/performances/202?sync=not_here"
    assert "another daemon runs this performance" in c.get(refused.headers["location"]).text
    assert log == [201, 202]


def test_the_page_has_no_button_for_a_performance_this_daemon_does_not_schedule(
    store: StateStore,
) -> None:
    store.set_performance_status(PerformanceStatus(201, T0, SyncOutcome.CONVERGED, "perf-201"))
    standby = {"role": "standby", "units": {}}  # a standby schedules nothing
    html = app_client([], page=page_of(store, standby)).get("/performances/201").text
    assert "Performance 201" in html and 'id="sync-now"' not in html


# -- requests and runs ------------------------------------------------------------------------


def test_a_request_during_a_run_runs_the_unit_again_once_and_twice_asked_runs_once() -> None:
    s = SyncRequests()
    assert s.request("u") == (False, False)  # idle: fire it now
    assert s.request("u") == (False, True)  # clicked twice: one pending request
    s.fired("u")
    s.started("u")
    assert s.request("u") == (True, False)  # during the run: remembered
    assert s.request("u") == (True, True)
    assert s.ended("u") is True  # so it runs again, once
    s.fired("u")
    s.started("u")
    assert s.ended("u") is False  # and not a third time


def test_a_standby_names_the_active_daemon_and_where_it_listens() -> None:
    from bridge.daemon.notes import DaemonRole, DaemonView

    view = DaemonView(
        (
            DaemonRole("me:1:a", "standby", "127.0.0.1:9465", True),
            DaemonRole("dead:2:b", "active", "127.0.0.1:9000", False),
            DaemonRole("live:3:c", "active", "127.0.0.1:9464", True),
        )
    )
    a = not_here(201, "this daemon is standby", view, "me:1:a")
    assert a.http_status == 409 and (a.instance, a.listen) == ("live:3:c", "127.0.0.1:9464")
    assert "127.0.0.1:9464" in a.message
    shared = DaemonView((*view.daemons, DaemonRole("other:4:d", "active", "10.0.0.2:9464", True)))
    owner = not_here(201, "another instance runs unit:201", shared, "me:1:a", "other:4:d")
    assert (owner.instance, owner.listen) == ("other:4:d", "10.0.0.2:9464")
    nobody = not_here(201, "this daemon is standby", DaemonView(), "me:1:a")
    assert nobody.listen is None and nobody.instance is None


# -- a daemon against the sandbox -------------------------------------------------------------

#: a 300 s cadence: within a test, a unit runs at its first run and when asked, never by itself
SLOW = """
[schedule]
discovery_every_s = 300
default_every_s = 300
cadences = [{ within_hours = 24, every_s = 300 }]

[daemon]
run_timeout_s = 20
reload_poll_s = 300
writer_lease_ttl_s = 30
stop_grace_s = 2
backoff_base_s = 1
backoff_cap_s = 300
"""
HOLDS_OF_201 = r"Performances/201/Seats/Holds"
T = TypeVar("T")
PATIENCE_S = 20.0


class NoJitter(random.Random):
    """The first runs fire at once instead of within their first few seconds."""

    def uniform(self, a: float, b: float) -> float:
        return a


@dataclass
class Running:
    box: Sandbox
    daemon: Daemon
    config: Path

    @property
    def url(self) -> str:
        return f"http://{self.daemon.listen}"

    def holds_reads(self) -> int:
        """How often the fake Tessitura was asked for 201's holds: once per run of its unit."""
        entries = self.box.tessitura_control.log.entries
        return sum(1 for e in entries if re.search(HOLDS_OF_201, e.path))


async def until(what: str, probe: Callable[[], T | None]) -> T:
    """Poll ``probe`` (on this loop, letting the daemon work) until it is truthy; its value."""
    try:
        async with asyncio.timeout(PATIENCE_S):
            while True:
                if got := probe():
                    return got
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"not within {PATIENCE_S:g} s: {what}") from None


async def start(config: Path, *, standby: bool = True) -> tuple[Daemon, asyncio.Task[int]]:
    daemon = Daemon(config, load_config(config), rng=NoJitter(), standby=standby)
    task = asyncio.create_task(daemon.run())
    await until("listening", lambda: task.done() or not daemon.listen.endswith(":0"))
    return daemon, task


async def stop(daemon: Daemon, task: asyncio.Task[int]) -> None:
    daemon.stop.set()
    async with asyncio.timeout(PATIENCE_S):
        await task


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    with served_sandbox(tmp_path) as (box, config):
        with_daemon_settings(config, SLOW)
        # the unit's first two runs are held up a moment at their hold reads
        box.tessitura_control.set_faults(Faults(latency_s=0.5, path_pattern=HOLDS_OF_201, count=2))
        daemon, task = await start(config)
        try:
            yield Running(box, daemon, config)
        finally:
            await stop(daemon, task)


@pytest.mark.loopback
async def test_the_daemon_runs_the_unit_now_and_again_after_a_run_in_flight(
    running: Running,
) -> None:
    d = running.daemon
    await until("201's first run reads its holds", lambda: running.holds_reads() == 1)
    async with httpx.AsyncClient(base_url=running.url, timeout=PATIENCE_S) as c:
        during = await c.post("/performances/201/sync")
        assert during.status_code == 202, during.text
        assert during.json()["in_flight"] is True  # the run is held up at its hold read
        unit = during.json()["unit"]
        assert (await c.post("/performances/201/sync")).json()["already_requested"] is True
        # the run in flight ends, then the unit runs again: not 300 s later
        await until("201's unit ran again", lambda: running.holds_reads() == 2)
        first = d.state.units[unit].next_at  # the first run's; this one is held up too
        assert first is not None
        await until("the second run ended", lambda: d.state.units[unit].next_at != first)
        idle = await c.post("/performances/201/sync")
        assert idle.status_code == 202 and idle.json()["in_flight"] is False
        await until("201's unit ran at once", lambda: running.holds_reads() == 3)
        unknown = await c.post("/performances/999999/sync")
        assert unknown.status_code == 404 and unknown.json()["result"] == "not_scheduled"


@pytest.mark.loopback
async def test_a_standby_points_at_the_active_daemon_and_the_cli_follows(
    running: Running, tmp_path: Path
) -> None:
    standby = spawn(running.config, "run")  # a second daemon on the store: it stands by
    try:

        def standing_by() -> str | None:
            assert standby.poll() is None, standby.communicate()[1][-2000:]
            note = role_of(running.config, standby.pid)
            return str(note["listen"]) if note and note.get("role") == "standby" else None

        listen = await until("the second daemon stands by", standing_by)
        async with httpx.AsyncClient(base_url=f"http://{listen}") as c:
            r = await c.post("/performances/201/sync")
        assert r.status_code == 409 and r.json()["result"] == "not_here"
        assert r.json()["listen"] == running.daemon.listen
        assert r.json()["instance"] == running.daemon.holder
        # `seatbridge sync` with the standby's address is sent on to the active daemon
        config = tmp_path / "standby.toml"
        text = running.config.read_text(encoding="utf-8")
        config.write_text(re.sub(r'(?m)^listen = ".*"$', f'listen = "{listen}"', text))
        args = ["sync", "--performance", "201", "--no-fallback", "--config", str(config)]
        done = await asyncio.to_thread(CliRunner().invoke, main, args, env={})
        assert done.exit_code == 0, done.output
        said = "performance 201: sync requested from the running daemon (unit unit:201)\n"
        assert said in done.stdout  # (this process's daemon logs there too)
    finally:
        standby.send_signal(signal.SIGTERM)
        await asyncio.to_thread(standby.communicate, timeout=PATIENCE_S)


def test_a_unit_taken_from_a_dead_daemon_says_when_it_runs() -> None:
    """Taken over from a daemon that died, a unit waits out that daemon's requests: the answer
    says so instead of "now"."""
    from bridge.daemon.sync_now import accepted

    quiet = accepted(
        201, "perf-201", in_flight=False, already=False, waits_for_config=False, quiet_s=12.4
    )
    assert "in 12 s" in quiet.message and quiet.accepted
    now = accepted(201, "perf-201", in_flight=False, already=False, waits_for_config=False)
    assert now.message.endswith("runs now")
