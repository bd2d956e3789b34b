"""One clock: :mod:`bridge.clock` is the only reader of time in ``bridge/`` (the sandbox's fakes
keep their own on purpose), and what a process builds takes the clock it is given.

- :class:`~bridge.clock.ManualClock`: ``advance`` lets time pass on both clocks, ``step`` moves
  the wall clock alone, either way.
- A scan of the source: no ``datetime.now()``, ``time.monotonic()``, ``loop.time()``, ... outside
  the clock module.
- The clock reaches what reads it: a pass built with a clock dates what it records by it, and
  waits and ages follow its monotonic time when its wall clock is stepped back.
"""

from __future__ import annotations

import ast
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bridge.clock import SYSTEM, Clock, ManualClock, OffsetClock, StepWatch, SystemClock, Timeline
from bridge.config import load_config
from bridge.http import Exchange, observe_requests, send
from bridge.reconcile.seat_maps import NOTE_KEY
from bridge.runtime import connect, host_clock, process_clock
from bridge.sandbox import Sandbox
from bridge.store import open_store
from bridge.testing.sandbox import sandbox_config

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config" / "sandbox.toml"
T0 = datetime(2026, 11, 21, 19, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)

# -- the manual clock ---------------------------------------------------------------------------


def test_advance_lets_time_pass_on_both_clocks() -> None:
    clock = ManualClock(T0, monotonic_start=50.0)
    assert (clock.now(), clock.monotonic(), clock()) == (T0, 50.0, T0)
    clock.advance(timedelta(seconds=90))
    clock.advance(0.5)
    assert clock.now() == T0 + timedelta(seconds=90.5)
    assert clock.monotonic() == 140.5


def test_step_moves_the_wall_clock_alone_either_way() -> None:
    clock = ManualClock(T0, monotonic_start=50.0)
    clock.step(-HOUR)
    assert (clock.now(), clock.monotonic()) == (T0 - HOUR, 50.0)
    clock.step(7200)
    assert (clock.now(), clock.monotonic()) == (T0 + HOUR, 50.0)
    clock.set(T0)
    assert (clock.now(), clock.monotonic()) == (T0, 50.0)


def test_time_does_not_run_backwards() -> None:
    clock = ManualClock(T0, monotonic_start=50.0)
    with pytest.raises(ValueError, match="step"):
        clock.advance(-1)
    with pytest.raises(ValueError):
        clock.advance(timedelta(seconds=-1))
    assert (clock.now(), clock.monotonic()) == (T0, 50.0)


def test_both_clocks_are_clocks_and_the_system_one_tells_aware_utc_time() -> None:
    assert isinstance(SYSTEM, SystemClock) and isinstance(SYSTEM, Clock)
    assert isinstance(ManualClock(), Clock)
    now = SYSTEM.now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    first = SYSTEM.monotonic()
    assert SYSTEM.monotonic() >= first


# -- the schedule's timeline, the step watch, a test's shifted clock ------------------------------


def test_the_timeline_follows_monotonic_time_whatever_the_wall_clock_does() -> None:
    clock = ManualClock(T0, monotonic_start=50.0)
    timeline = Timeline(clock)
    assert timeline.now() == T0
    clock.step(-HOUR)
    clock.advance(10)
    assert timeline.now() == T0 + timedelta(seconds=10)  # the step is not on the timeline
    assert timeline.at(5) == T0 + timedelta(seconds=15)
    clock.step(2 * HOUR)
    assert timeline.now() == T0 + timedelta(seconds=10)


def test_the_step_watch_tells_a_step_and_its_size_and_not_time_passing() -> None:
    clock = ManualClock(T0)
    watch = StepWatch(clock, tolerance_s=1.0)
    clock.advance(3600)
    assert watch.check() is None  # time passing is no step
    clock.step(-HOUR)
    assert watch.check() == -3600.0
    assert watch.check() is None  # told once
    clock.step(0.5)
    assert watch.check() is None  # within the tolerance: slewing, not a step
    clock.set(T0 + 5 * HOUR)
    clock.advance(1)
    step = watch.check()
    assert step is not None and step > 0


def test_the_offset_clock_shifts_the_wall_alone_and_follows_its_file(tmp_path: Path) -> None:
    base = ManualClock(monotonic_start=10.0)
    offset = tmp_path / "offset"
    clock = OffsetClock(base, offset_s=60, offset_file=offset)
    assert clock.now() == base.now() + timedelta(seconds=60)  # a missing file counts 0
    offset.write_text("-3600", encoding="utf-8")
    assert clock.now() == base.now() + timedelta(seconds=60)  # not looked at again within 0.2 s
    base.advance(0.25)
    assert clock.now() == base.now() + timedelta(seconds=60 - 3600)
    assert clock.monotonic() == base.monotonic() == 10.25
    offset.write_text("garbage", encoding="utf-8")
    base.advance(1)
    assert clock.offset == 60 - 3600  # a file that holds no number keeps the last value
    offset.write_text("", encoding="utf-8")
    base.advance(1)
    assert clock.offset == 60 - 3600  # nor does one emptied while it is rewritten
    offset.unlink()
    base.advance(1)
    assert clock.offset == 60


def test_the_config_shifts_the_process_clock_but_never_the_stores(tmp_path: Path) -> None:
    config = sandbox_config(tmp_path, "http://127.0.0.1:1", "http://127.0.0.1:2")
    plain = load_config(config)
    base = ManualClock()
    assert process_clock(plain, base) is base
    with config.open("a", encoding="utf-8") as f:
        f.write("\n[testing]\nclock_offset_s = -3600\n")
    shifted = process_clock(load_config(config), base)
    assert shifted.now() == base.now() - timedelta(seconds=3600)
    assert host_clock(shifted) is base and host_clock(base) is base


# -- nothing else reads the clock -----------------------------------------------------------------

#: Where reading the clock is the whole point, or is the fakes' own business.
EXEMPT = ("bridge/clock.py", "bridge/sandbox/")
#: ``time`` functions that read a clock.
TIME_READS = frozenset(
    {"time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns"}
)
#: Class methods of ``datetime.datetime`` and ``datetime.date`` that read the wall clock.
DATETIME_READS = frozenset({"now", "utcnow", "today"})
DATE_READS = frozenset({"today"})
#: Calls whose result is an event loop (``asyncio.get_running_loop().time()``).
LOOP_GETTERS = frozenset({"get_running_loop", "get_event_loop"})


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_loop(node: ast.expr) -> bool:
    """``loop``, ``self._loop``, ``asyncio.get_running_loop()``, ..."""
    if isinstance(node, ast.Call):
        return _name(node.func) in LOOP_GETTERS
    name = _name(node)
    return name is not None and "loop" in name.lower()


def clock_reads(source: str) -> list[tuple[int, str]]:
    """Each direct read of a clock in ``source``: (line, what), imports of a reading function
    (``from time import monotonic``) and references (``clock=time.monotonic``) included."""
    tree = ast.parse(source)
    time_modules: set[str] = set()
    datetime_modules: set[str] = set()
    datetime_classes: set[str] = set()
    date_classes: set[str] = set()
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name
                if alias.name == "time":
                    time_modules.add(bound)
                elif alias.name == "datetime":
                    datetime_modules.add(bound)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            for alias in node.names:
                bound = alias.asname or alias.name
                if node.module == "time" and alias.name in TIME_READS:
                    found.append((node.lineno, f"from time import {alias.name}"))
                elif node.module == "datetime" and alias.name == "datetime":
                    datetime_classes.add(bound)
                elif node.module == "datetime" and alias.name == "date":
                    date_classes.add(bound)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            owner = node.value
            if isinstance(owner, ast.Name):
                if owner.id in time_modules and node.attr in TIME_READS:
                    found.append((node.lineno, f"time.{node.attr}"))
                elif owner.id in datetime_classes and node.attr in DATETIME_READS:
                    found.append((node.lineno, f"datetime.{node.attr}"))
                elif owner.id in date_classes and node.attr in DATE_READS:
                    found.append((node.lineno, f"date.{node.attr}"))
            elif (
                isinstance(owner, ast.Attribute)
                and isinstance(owner.value, ast.Name)
                and owner.value.id in datetime_modules
                and (
                    (owner.attr == "datetime" and node.attr in DATETIME_READS)
                    or (owner.attr == "date" and node.attr in DATE_READS)
                )
            ):
                found.append((node.lineno, f"datetime.{owner.attr}.{node.attr}"))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "time"
            and not node.args
            and not node.keywords
            and _is_loop(node.func.value)
        ):
            found.append((node.lineno, "loop.time()"))
    return sorted(set(found))


def _bridge_files() -> dict[str, Path]:
    files = {p.relative_to(ROOT).as_posix(): p for p in (ROOT / "bridge").rglob("*.py")}
    return {rel: p for rel, p in files.items() if not rel.startswith(EXEMPT)}


def test_the_scan_sees_every_way_of_reading_the_clock() -> None:
    source = """
import asyncio
import time
import time as t
import datetime as dt
from datetime import date, datetime as DT
from time import monotonic, perf_counter as pc, sleep

a = time.time(); b = t.monotonic(); c = time.perf_counter(); d = time.time_ns()
e = time.monotonic_ns(); f = DT.now(); g = DT.utcnow(); h = date.today()
i = dt.datetime.now(); j = dt.date.today(); k = loop.time(); m = self._loop.time()
n = asyncio.get_running_loop().time()
def clock(now=time.monotonic): ...
"""
    found = {what for _, what in clock_reads(source)}
    assert found == {
        "from time import monotonic",
        "from time import perf_counter",
        "time.time",
        "time.monotonic",
        "time.perf_counter",
        "time.time_ns",
        "time.monotonic_ns",
        "datetime.now",
        "datetime.utcnow",
        "date.today",
        "datetime.datetime.now",
        "datetime.date.today",
        "loop.time()",
    }
    harmless = """
import time
from datetime import UTC, date, datetime, timedelta
time.sleep(1); datetime.fromisoformat("2026-01-01"); date(2026, 1, 1); timedelta(hours=1)
clock.now(); clock.monotonic(); SYSTEM.now(); step.time(); moment.date()
"""
    assert clock_reads(harmless) == []


def test_no_clock_is_read_outside_the_clock_module() -> None:
    files = _bridge_files()
    assert "bridge/runtime.py" in files and "bridge/clock.py" not in files
    reads = {rel: clock_reads(p.read_text(encoding="utf-8")) for rel, p in sorted(files.items())}
    offenders = [f"{rel}:{line}: {what}" for rel, found in reads.items() for line, what in found]
    assert offenders == [], "read the clock through an injected bridge.clock.Clock:\n" + "\n".join(
        offenders
    )


# -- the clock reaches what reads it ------------------------------------------------------------


async def test_a_runtime_hands_its_clock_on_and_a_pass_dates_by_it() -> None:
    """Built by ``connect(clock=...)``: the clients time their calls by its monotonic time, and
    the pass dates the status and the kept seat maps by its wall time, an hour back here."""
    cfg = load_config(CONFIG)
    box = Sandbox()
    clock = ManualClock(T0)
    clock.step(-HOUR)  # NTP, or an operator, set the wall clock back
    seen: list[Exchange] = []
    unobserve = observe_requests(seen.append)
    try:
        with open_store(":memory:") as store:
            async with connect(
                cfg,
                tessitura_transport=httpx.ASGITransport(app=box.tessitura_app),
                seatsio_transport=httpx.ASGITransport(app=box.seatsio_app),
                store=store,
                clock=clock,
            ) as rt:
                assert rt.clock is clock
                assert rt.tessitura.clock is clock and rt.tessitura.retry.clock is clock
                reconciler = rt.reconciler()
                assert reconciler.clock is clock and reconciler.seat_maps.clock is clock
                report = await reconciler.reconcile([201], apply=True)
            assert not report.errors and report.units[0].outcome is not None
            (status,) = store.performance_statuses([201])
            kept = json.loads(store.notes(NOTE_KEY)[0].value)
    finally:
        unobserve()
    assert status.last_sync == T0 - HOUR
    assert kept["201"][1] == (T0 - HOUR).isoformat()
    # the injected monotonic clock never moved: every call of both clients took no time by it
    assert {e.vendor for e in seen} == {"tessitura", "seats.io"}
    assert {e.elapsed_s for e in seen} == {0.0}


async def test_an_attempt_is_timed_by_the_monotonic_clock_across_a_wall_clock_step() -> None:
    clock = ManualClock(T0, monotonic_start=10.0)

    def answer(request: httpx.Request) -> httpx.Response:
        clock.step(-HOUR)  # the wall clock jumps back while the request is out
        clock.advance(0.25)
        return httpx.Response(200, json={})

    seen: list[Exchange] = []
    unobserve = observe_requests(seen.append)
    try:
        async with httpx.AsyncClient(
            base_url="https://h.test", transport=httpx.MockTransport(answer)
        ) as http:
            sent = await send(http, "GET", "/x", vendor="v", timeout_s=1.0, clock=clock)
    finally:
        unobserve()
    assert sent.response is not None
    assert [e.elapsed_s for e in seen] == [0.25]
