"""Issue 24's stalls, clock steps and outages, played through real processes, with figures.

Each scenario serves the sandbox on loopback in this process and runs ``seatbridge run`` (or
``seatbridge reconcile``) as child processes, as the chaos runner does
(bridge/testing/chaos/runner.py). While a scenario plays, a thread samples the sandbox every
0.2 s: a sample counts as *buyable* when a seat the fake Tessitura holds with a mapped code is
buyable in the fake seats.io (free, for sale, in no channel; ``invariants.held_seat_views``).
A hold the script itself places is left out until seats.io is first seen blocking it (nobody can
block it sooner: how long that took is a figure of its own) and counted from then on, so a stale
write freeing it again shows. The figure that must be 0 is the buyable count.

Scenarios (``--only NAME``, repeatable):

- ``zombie-cli``: `reconcile --performance 201` frozen (SIGSTOP) in a 429's Retry-After wait past
  its 3 s lease; a second reconcile takes over while Tessitura holds the seat again; SIGCONT.
  ``zombie-cli-pg``: the same on a private PostgreSQL cluster (see ``store-frozen``).
- ``clock-back``, ``clock-forward``: a daemon on 1 s cadences whose wall clock is stepped an hour
  back (offset -3600), then two hours forward (offset +3600), through ``[testing]
  clock_offset_file``; a new hold placed after each step: how long until seats.io shows it.
- ``hung-read``: performance 201's hold reads hang at the fake Tessitura for a while: how long
  until 201 says ``error``, another performance's page meanwhile, recovery once it answers.
- ``store-frozen``, ``store-stopped``: a daemon on a private PostgreSQL cluster (started here, in a
  temporary folder, port 55432) frozen (SIGSTOP of the postmaster and its children), then
  stopped (``pg_ctl stop -m immediate``) and started again: /healthz and /readyz every 0.2 s.
- ``store-deleted``: the SQLite file removed under a running daemon: when it exits, its code, any
  seats.io write after the removal.
- ``pg-session-loss``: two daemons on the private cluster, the first one's store sessions
  terminated (``pg_terminate_backend``) every 0.1 s for 18 s while holds are placed and lifted.
- ``outage-backoff``: Tessitura answers 503 for 70 s (30 s with ``--quick``) to a daemon with a
  5 s cadence for tonight's show; how late tonight's new hold reaches seats.io after the outage,
  beside what the old rule (backoff to 600 s, no cadence bound) gives replayed on the same
  failures.

    .venv/bin/python benchmarks/bench_stalls.py [--quick] [--only hung-read]

It asserts nothing: it prints what it saw, and a table at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import logging
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bridge.core.outcome import ErrorKind, Requeue
from bridge.daemon.schedule import Backoff, next_run, retry_cap_s
from bridge.sandbox import Sandbox
from bridge.sandbox.control import Faults
from bridge.testing.chaos.invariants import held_seat_views
from bridge.testing.chaos.runner import terminate_sessions as chaos_terminate
from bridge.testing.daemon import converged, fast_settings, role_of, with_daemon_settings
from bridge.testing.sandbox import (
    lease_count,
    run,
    served_sandbox,
    spawn,
    store_path,
    with_shared_store,
)

TONIGHT = 201
OTHER = 202
#: a press hold of tonight's show in the sample venue (hold code 2)
PRESS_SEAT, PRESS = "Orchestra-F-15", 2
#: a seat nobody holds: the scenarios place and lift holds on it
FREE_SEAT = "Orchestra-J-7"
SAMPLE_S = 0.2
#: the longest wait for anything a daemon on 1 s cadences should do
PATIENCE_S = 60.0
#: 1 s cadences, 4 s run timeout, 3 s writer lease (bridge.testing.daemon.FAST, its backoff)
FAST = fast_settings(
    reload_poll_s=0.5, stop_grace_s=5, backoff_base_s=0.5, backoff_cap_s=2, takeover_wait_s=1
)
PG_PORT = 55432


class Skip(Exception):
    """A scenario could not be played here (said why)."""


# -- what a scenario reports ----------------------------------------------------------------------


@dataclass
class Result:
    name: str
    samples: int = 0
    buyable: int = 0
    failure: str = "-"
    recovery_s: float | None = None
    #: held seats seen buyable (performance, seat label)
    seen: set[tuple[int, str]] = field(default_factory=set)

    def note(self, text: str) -> None:
        print(f"  {text}", flush=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def spread(latencies: list[float]) -> str:
    if not latencies:
        return "no probes"
    return f"median {ms(statistics.median(latencies))}, max {ms(max(latencies))}"


# -- sampling ---------------------------------------------------------------------------------------


class Sampler:
    """Samples the sandbox every :data:`SAMPLE_S` in a thread: how many samples, and in how many a
    held seat was buyable (``only`` limits it to some performances).

    A hold the script places is :meth:`expect`-ed: left out until seats.io is first seen
    blocking it (nobody can block it sooner), counted like any other from then on, so a stale
    write that frees it again is seen."""

    def __init__(self, box: Sandbox, only: set[int] | None = None) -> None:
        self.box, self.only = box, only
        self._expected: set[tuple[int, int]] = set()
        self._lock = threading.Lock()
        self.samples = self.buyable = 0
        self.seen: set[tuple[int, str]] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bench-sampler", daemon=True)

    def expect(self, performance: int, seat: int) -> None:
        with self._lock:
            self._expected.add((performance, seat))

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                views = held_seat_views(self.box)
            except RuntimeError:  # the fake changed under the read (its server thread)
                continue
            with self._lock:
                self._expected -= {k for k, open_ in views.items() if not open_}
                found = [
                    (p, s)
                    for (p, s), open_ in views.items()
                    if open_
                    and (p, s) not in self._expected
                    and (self.only is None or p in self.only)
                ]
            self.samples += 1
            if found:
                self.buyable += 1
                self.seen.update((p, self.box.venue.seat(s).label) for p, s in found)
            self._stop.wait(SAMPLE_S)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def into(self, result: Result) -> None:
        result.samples += self.samples
        result.buyable += self.buyable
        result.seen |= self.seen


# -- processes and probes ---------------------------------------------------------------------------


def wait_until(probe: Callable[[], object], bound_s: float, poll_s: float = 0.05) -> float | None:
    """Seconds until ``probe()`` is truthy; None after ``bound_s``."""
    started = time.monotonic()
    while time.monotonic() - started < bound_s:
        with contextlib.suppress(RuntimeError):
            if probe():
                return time.monotonic() - started
        time.sleep(poll_s)
    return None


def get(url: str, timeout_s: float = 5.0) -> tuple[int | None, float, Any]:
    """(status code or None when no answer, seconds, JSON body or None) of ``GET url``."""
    started = time.monotonic()
    try:
        r = httpx.get(url, timeout=timeout_s)
    except httpx.HTTPError:
        return None, time.monotonic() - started, None
    took = time.monotonic() - started
    try:
        body = r.json()
    except ValueError:
        body = None
    return r.status_code, took, body


class Daemon:
    """``seatbridge run`` as a child process, its stderr in a log file."""

    def __init__(self, config: Path, log: Path) -> None:
        self.config, self.log = config, log
        self.proc = spawn(config, "run", log=log)
        self.url = ""

    def active(self, bound_s: float = PATIENCE_S) -> str:
        """The base URL once the daemon says it is active."""

        def probe() -> bool:
            if self.proc.poll() is not None:
                raise Skip(f"the daemon exited with {self.proc.returncode}: {self.last_line()}")
            note = role_of(self.config, self.proc.pid)
            if note and note.get("role") == "active" and note.get("listen"):
                self.url = f"http://{note['listen']}"
            return bool(self.url)

        if wait_until(probe, bound_s, poll_s=0.2) is None:
            raise Skip(f"the daemon was not active within {bound_s:g} s")
        return self.url

    def active_or_standby(self, bound_s: float = PATIENCE_S) -> None:
        def probe() -> bool:
            if self.proc.poll() is not None:
                raise Skip(f"the daemon exited with {self.proc.returncode}: {self.last_line()}")
            note = role_of(self.config, self.proc.pid)
            return bool(note and note.get("role") in ("active", "standby"))

        if wait_until(probe, bound_s, poll_s=0.2) is None:
            raise Skip(f"the daemon was neither active nor standby within {bound_s:g} s")

    def converged(self, bound_s: float = PATIENCE_S) -> float:
        took = wait_until(lambda: converged(self.config), bound_s, poll_s=0.3)
        if took is None:
            raise Skip(f"not every performance converged within {bound_s:g} s")
        return took

    def last_line(self) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return last_line(text)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def last_line(text: str) -> str:
    """The last line of a log, its timestamp left off, at most 240 characters."""
    line = next((ln for ln in reversed(text.splitlines()) if ln.strip()), "")
    return re.sub(r"^\d{4}-\d\d-\d\dT[\d:.]+Z ", "", line)[:240]


@contextlib.contextmanager
def daemon(config: Path, folder: Path) -> Iterator[Daemon]:
    d = Daemon(config, folder / "daemon.log")
    try:
        yield d
    finally:
        d.stop()


@contextlib.contextmanager
def sandbox(folder: Path) -> Iterator[tuple[Sandbox, Path]]:
    """:func:`served_sandbox`, its servers quiet: a request the fake still hangs when the
    scenario ends is cancelled at shutdown, and uvicorn would print a traceback for each (it sets
    its loggers' levels as it starts, so this comes after)."""
    with served_sandbox(folder) as (box, config):
        logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
        yield box, config


def set_store_lease(config: Path, ttl_s: float) -> None:
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("[store]\n", f"[store]\nlease_ttl_s = {ttl_s:g}\n", 1))


def set_seatsio_timeout(config: Path, timeout_s: float) -> None:
    text = config.read_text(encoding="utf-8")
    text = re.sub(
        r"(?ms)^(\[seatsio\]\n.*?)^timeout_s = \d+", rf"\g<1>timeout_s = {timeout_s:g}", text
    )
    config.write_text(text, encoding="utf-8")


def seat_id(box: Sandbox, label: str) -> int:
    return int(box.venue.seat_by_label(label).id)


def blocked(box: Sandbox, performance: int, label: str) -> bool:
    """Whether seats.io keeps the seat from buyers (any status but free, a channel, not for sale)."""
    view = box.seatsio_world.object_view(f"perf-{performance}", label)
    return not (view.is_available and view.channel is None)


def perf_row(status: Any, performance: int) -> dict[str, Any]:
    if not isinstance(status, dict):
        return {}
    rows = [r for r in status.get("performances", []) if r.get("performance_id") == performance]
    return rows[0] if rows else {}


# -- 1. a frozen reconcile -------------------------------------------------------------------------


def zombie_cli(folder: Path, quick: bool) -> list[Result]:
    return [zombie(folder, "zombie-cli", None)]


def zombie_cli_pg(folder: Path, quick: bool) -> list[Result]:
    with private_cluster(Path(tempfile.mkdtemp(prefix="bench-stalls-pg-"))) as cluster:
        return [zombie(folder, "zombie-cli-pg", cluster.url)]


def zombie(folder: Path, name: str, pg_url: str | None) -> Result:
    """The frozen reconcile, its store SQLite or (``pg_url``) PostgreSQL."""
    r = Result(name)
    lease_s, retry_after_s = 3, 4
    with sandbox(folder) as (box, config):
        if pg_url is not None:
            with_shared_store(config, pg_url, "bench")
        set_store_lease(config, lease_s)
        set_seatsio_timeout(config, 1)
        first = run(config, "reconcile", "--performance", str(TONIGHT))
        if first.returncode != 0:
            raise Skip(f"the first reconcile exited {first.returncode}: {first.stderr[-300:]}")
        seat = seat_id(box, PRESS_SEAT)
        box.tessitura_world.release(TONIGHT, [seat])  # the box office lifts the press hold
        box.seatsio_control.log.clear()
        box.seatsio_control.set_faults(
            Faults(
                error_rate=1.0,
                error_status=429,
                error_headers={"Retry-After": str(retry_after_s)},
                method="POST",
                path_pattern="change-object-status",
                count=1,
            )
        )

        def changes() -> list[int]:
            return [
                e.status
                for e in box.seatsio_control.log.entries
                if e.method == "POST" and "change-object-status" in e.path
            ]

        frozen = spawn(config, "reconcile", "--performance", str(TONIGHT))
        try:
            if wait_until(lambda: changes() == [429], PATIENCE_S) is None:
                raise Skip("the release was never throttled")
            os.kill(frozen.pid, signal.SIGSTOP)
            stopped_at = time.monotonic()
            box.tessitura_world.hold(TONIGHT, [seat], PRESS)  # the hold comes back
            with Sampler(box, only={TONIGHT}) as sampler:
                lapsed = wait_until(lambda: lease_count(config) == 0, PATIENCE_S, poll_s=0.1)
                second = run(config, "reconcile", "--performance", str(TONIGHT))
                os.kill(frozen.pid, signal.SIGCONT)
                frozen_s = time.monotonic() - stopped_at
                _, err = frozen.communicate(timeout=90)
                time.sleep(1.0)
            sampler.into(r)
        finally:
            if frozen.poll() is None:
                os.kill(frozen.pid, signal.SIGCONT)
                frozen.kill()
                frozen.wait()
        last = last_line(err)
        after = changes()[1:]
        r.note(
            f"frozen {frozen_s:.1f} s in a {retry_after_s} s Retry-After wait; its {lease_s} s "
            f"lease lapsed {lapsed if lapsed is None else round(lapsed, 1)} s after the freeze"
        )
        r.note(f"the second reconcile exited {second.returncode}")
        r.note(f"the frozen reconcile exited {frozen.returncode}; its last stderr line: {last}")
        r.note(
            "status changes sent to seats.io after the 429: "
            f"{after or 'none'} (the old RELEASE {'reached' if after else 'never reached'} seats.io)"
        )
        status = box.seatsio_world.object_status(f"perf-{TONIGHT}", PRESS_SEAT)
        r.note(f"{PRESS_SEAT} on seats.io at the end: {status}")
        r.failure = f"exit {frozen.returncode}"
        if "paused or stalled" in last:
            r.failure += " (lease ran out while paused)"
        if after:
            r.failure += f"; {len(after)} late write(s)"
    return r


# -- 2. the wall clock stepped ------------------------------------------------------------------


def clock_steps(folder: Path, quick: bool) -> list[Result]:
    results = []
    offset = folder / "clock.offset"
    offset.write_text("0\n", encoding="utf-8")
    with sandbox(folder) as (box, config):
        with_daemon_settings(config, FAST)
        with config.open("a", encoding="utf-8") as f:
            f.write(f'\n[testing]\nclock_offset_file = "{offset}"\n')
        with daemon(config, folder) as d:
            url = d.active()
            d.converged()
            seat = seat_id(box, FREE_SEAT)
            for name, written, step in (
                ("clock-back", "-3600", "1 h back"),
                ("clock-forward", "3600", "2 h forward"),
            ):
                r = Result(name)
                with Sampler(box) as sampler:
                    sampler.expect(TONIGHT, seat)
                    write_atomically(offset, f"{written}\n")
                    time.sleep(1.0)  # the offset is re-read within a fraction of a second
                    box.tessitura_world.hold(TONIGHT, [seat], PRESS)
                    placed = time.monotonic()
                    codes: set[int | None] = set()
                    lat: list[float] = []
                    reached: float | None = None
                    # until the hold is on seats.io, and 3 s at least: /readyz after the step
                    while time.monotonic() - placed < PATIENCE_S:
                        if reached is None and blocked(box, TONIGHT, FREE_SEAT):
                            reached = time.monotonic() - placed
                        if reached is not None and time.monotonic() - placed > 3.0:
                            break
                        code, took, _ = get(f"{url}/readyz", 2)
                        codes.add(code)
                        lat.append(took)
                        time.sleep(0.1)
                    box.tessitura_world.release(TONIGHT, [seat])
                    lifted = wait_until(lambda: not blocked(box, TONIGHT, FREE_SEAT), PATIENCE_S)
                sampler.into(r)
                r.note(
                    f"{name}: offset {written} s ({step}); a new hold reached seats.io after "
                    f"{'never' if reached is None else f'{reached:.1f} s'} (cadence 1 s); lifted "
                    f"again after {'never' if lifted is None else f'{lifted:.1f} s'}"
                )
                r.note(f"/readyz meanwhile: {sorted(codes, key=str)}, {spread(lat)}")
                r.recovery_s = reached
                r.failure = (
                    "none needed (hold synced)" if reached is not None else "HOLD NOT SYNCED"
                )
                results.append(r)
            metrics = httpx.get(f"{url}/metrics", timeout=5).text
            code = d.stop()
    lines = [ln for ln in d.log.read_text(encoding="utf-8").splitlines() if "clock stepped" in ln]
    steps = len(lines)
    sizes = [m[1] for ln in lines if (m := re.search(r"step_s=(-?[\d.]+)", ln))]
    counted = re.findall(r"^seatbridge_clock_steps_total\{[^}]*\} .*$", metrics, re.M)
    results[-1].note(
        f"'wall clock stepped' log lines: {steps} (step_s {', '.join(sizes)}); "
        f"{'; '.join(counted) or 'no metric'}"
    )
    for r in results:
        r.failure += f"; {steps} steps logged in all"
    results[-1].note(f"the daemon exited {code} on SIGTERM")
    return results


def write_atomically(path: Path, text: str) -> None:
    """``text`` in ``path`` at once (a reader never sees the file empty or half-written: the
    daemon reads an empty offset file as 0, a step of its own)."""
    part = path.with_name(path.name + ".part")
    part.write_text(text, encoding="utf-8")
    os.replace(part, path)


# -- 3. a hung Tessitura read ---------------------------------------------------------------------


def hung_read(folder: Path, quick: bool) -> list[Result]:
    r = Result("hung-read")
    hang_s = 15.0 if quick else 25.0
    with sandbox(folder) as (box, config):
        with_daemon_settings(config, FAST)
        with daemon(config, folder) as d:
            url = d.active()
            d.converged()
            seat = seat_id(box, FREE_SEAT)
            with Sampler(box) as sampler:
                sampler.expect(TONIGHT, seat)
                box.tessitura_control.set_faults(
                    Faults(hang_s=hang_s, path_pattern=rf"Performances/{TONIGHT}/Seats/Holds")
                )
                started = time.monotonic()
                box.tessitura_world.hold(TONIGHT, [seat], PRESS)
                to_error: float | None = None
                error = ""
                pages: list[float] = []
                page_codes: set[int | None] = set()
                ready: set[int | None] = set()
                while time.monotonic() - started < hang_s:
                    code, _, status = get(f"{url}/status.json")
                    row = perf_row(status, TONIGHT)
                    if to_error is None and row.get("outcome") == "error":
                        to_error = time.monotonic() - started
                        error = str(row.get("last_error"))
                    code, took, _ = get(f"{url}/performances/{OTHER}.json", 10)
                    pages.append(took)
                    page_codes.add(code)
                    ready.add(get(f"{url}/readyz", 2)[0])
                    time.sleep(0.3)
                shown = run(config, "status", "--json")
                cli = "?"
                with contextlib.suppress(ValueError, KeyError):
                    import json

                    rows = {x["performance_id"]: x for x in json.loads(shown.stdout)}
                    cli = f"{rows[TONIGHT]['outcome']} ({rows[TONIGHT]['last_error']})"
                box.tessitura_control.clear_faults()
                ended = time.monotonic()

                def healed() -> bool:
                    row = perf_row(get(f"{url}/status.json")[2], TONIGHT)
                    return blocked(box, TONIGHT, FREE_SEAT) and row.get("outcome") == "converged"

                r.recovery_s = wait_until(healed, PATIENCE_S, poll_s=0.2)
                _ = ended
            sampler.into(r)
            hung = sum(1 for e in box.tessitura_control.log.entries if e.fault == "hang")
            r.note(
                f"{TONIGHT}'s hold reads hung for {hang_s:g} s ({hung} requests hung); {TONIGHT} "
                f"was error after {'never' if to_error is None else f'{to_error:.1f} s'}: {error}"
            )
            r.note(f"`seatbridge status --json` at the end of the hang: {TONIGHT} {cli}")
            r.note(
                f"/performances/{OTHER}.json meanwhile: {sorted(page_codes, key=str)}, "
                f"{spread(pages)} ({len(pages)} pages); /readyz {sorted(ready, key=str)}"
            )
            r.note(
                f"after the hang: {TONIGHT} converged and the hold placed during it on seats.io in "
                f"{'never' if r.recovery_s is None else f'{r.recovery_s:.1f} s'}"
            )
            r.failure = (
                f"status error after {to_error:.1f} s" if to_error is not None else "NO ERROR SHOWN"
            )
    return [r]


# -- 4. a private PostgreSQL cluster frozen, then stopped -------------------------------------------


class Cluster:
    """A PostgreSQL cluster of this script's own, in a temporary folder, owned by the ``postgres``
    user when this runs as root (initdb refuses root)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "pgdata"
        self.sockets = folder / "sock"
        self.user: list[str] = []
        if os.geteuid() == 0:
            self.user = ["runuser", "-u", "postgres", "--"]
        self.url = f"postgresql://postgres@127.0.0.1:{PG_PORT}/postgres"

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.user, *argv], capture_output=True, text=True, timeout=120, check=check
        )

    def init(self) -> None:
        initdb = shutil.which("initdb") or "/usr/local/bin/initdb"
        if not Path(initdb).exists():
            raise Skip("no initdb here")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.sockets.mkdir(exist_ok=True)
        if self.user:
            shutil.chown(self.folder, "postgres")
            shutil.chown(self.sockets, "postgres")
        self._run(initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")

    def start(self) -> None:
        opts = f"-p {PG_PORT} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.folder / "pg.log"), "-w",
            "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def pids(self) -> list[int]:
        """The postmaster and its children (this cluster's only)."""
        first = (self.data / "postmaster.pid").read_text(encoding="ascii").split()[0]
        master = int(first)
        kids = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
        return [master, *(int(p) for p in kids.stdout.split())]

    def signal(self, sig: signal.Signals, pids: list[int]) -> None:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)


@contextlib.contextmanager
def private_cluster(folder: Path) -> Iterator[Cluster]:
    cluster = Cluster(folder)
    frozen: list[int] = []
    try:
        try:
            cluster.init()
            cluster.start()
        except (OSError, subprocess.SubprocessError) as exc:
            detail = getattr(exc, "stderr", "") or ""
            raise Skip(f"no private PostgreSQL cluster: {exc} {detail.strip()[-300:]}") from None
        yield cluster
    finally:
        with contextlib.suppress(Exception):
            if cluster.running():
                frozen = cluster.pids()
        cluster.signal(signal.SIGCONT, frozen)
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            cluster.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


#: /healthz or /readyz probes: (seconds since the fault began, status code, latency)
Probes = dict[str, list[tuple[float, int | None, float]]]


def probe_while(url: str, seconds: float) -> Probes:
    """/healthz and /readyz every 0.2 s for ``seconds``."""
    out: Probes = {"healthz": [], "readyz": []}
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        for path, seen in out.items():
            at = time.monotonic() - started
            code, took, _ = get(f"{url}/{path}", 5)
            seen.append((at, code, took))
        time.sleep(0.2)
    return out


def codes_of(codes: list[int | None]) -> str:
    counts: dict[str, int] = {}
    for c in codes:
        counts[str(c or "no answer")] = counts.get(str(c or "no answer"), 0) + 1
    return ", ".join(f"{k} x{v}" for k, v in sorted(counts.items()))


def store_postgres(folder: Path, quick: bool) -> list[Result]:
    fault_s = 10.0
    frozen_r, stopped_r = Result("store-frozen"), Result("store-stopped")
    pg_folder = Path(tempfile.mkdtemp(prefix="bench-stalls-pg-"))
    with private_cluster(pg_folder) as cluster, sandbox(folder) as (box, config):
        with_daemon_settings(config, FAST)
        with_shared_store(config, cluster.url, "bench")
        with daemon(config, folder) as d:
            url = d.active()
            d.converged()
            # frozen: every process of the cluster stopped where it stands
            with Sampler(box) as sampler:
                pids = cluster.pids()
                cluster.signal(signal.SIGSTOP, pids)
                try:
                    seen = probe_while(url, fault_s)
                finally:
                    cluster.signal(signal.SIGCONT, pids)
                frozen_r.recovery_s = wait_until(
                    lambda: get(f"{url}/readyz", 2)[0] == 200, PATIENCE_S, poll_s=0.1
                )
            sampler.into(frozen_r)
            report_store(frozen_r, seen, d, f"{len(pids)} processes frozen {fault_s:g} s")
            # stopped: the server gone (a crash), then back
            if d.proc.poll() is None:
                with Sampler(box) as sampler:
                    cluster.stop("immediate")
                    seen = probe_while(url, fault_s)
                    cluster.start()
                    stopped_r.recovery_s = wait_until(
                        lambda: get(f"{url}/readyz", 2)[0] == 200, PATIENCE_S, poll_s=0.1
                    )
                sampler.into(stopped_r)
                report_store(stopped_r, seen, d, f"stopped (immediate) {fault_s:g} s")
            else:
                stopped_r.failure = "not played (the daemon had exited)"
    return [frozen_r, stopped_r]


def report_store(r: Result, seen: Probes, d: Daemon, what: str) -> None:
    shown = []
    for path, probes in seen.items():
        codes = [c for _, c, _ in probes]
        bad = [at for at, c, _ in probes if c != 200]
        first = f"first non-200 after {bad[0]:.1f} s" if bad else "200 throughout"
        r.note(
            f"{r.name}, {what}: /{path} {codes_of(codes)} ({first}); "
            f"{spread([t for _, _, t in probes])}"
        )
        shown.append(f"/{path} {'/'.join(sorted({str(c or 'none') for c in codes}))}")
        if bad and path == "readyz":
            shown[-1] += f" (503 from {bad[0]:.1f} s)"
    alive = d.proc.poll()
    r.note(
        f"/readyz 200 again {'never' if r.recovery_s is None else f'{r.recovery_s:.1f} s'} "
        f"after the server was back; the daemon {'runs' if alive is None else f'exited {alive}'}"
    )
    r.failure = ", ".join(shown)
    if alive is not None:
        r.failure += f", exit {alive}"


def pg_session_loss(folder: Path, quick: bool) -> list[Result]:
    """Two daemons on the private cluster (both active, each with its share of the units); the
    first one's store sessions terminated every 0.1 s for 18 s while the box office places and lifts holds on tonight's show and the next."""
    r = Result("pg-session-loss")
    cut_s = 18.0
    pg_folder = Path(tempfile.mkdtemp(prefix="bench-stalls-pg-"))
    with private_cluster(pg_folder) as cluster, sandbox(folder) as (box, config):
        with_daemon_settings(config, FAST)
        with_shared_store(config, cluster.url, "bench")
        daemons = [Daemon(config, folder / f"daemon-{i}.log") for i in range(2)]
        try:
            for d in daemons:
                d.active_or_standby()
            daemons[0].converged()
            writer = daemons[0]  # both active: each runs its share of the units
            note = role_of(config, writer.proc.pid) or {}
            url = f"http://{note.get('listen')}"
            ready: list[int | None] = []
            rng = random.Random(24)
            held: set[tuple[int, int]] = set()
            seats = [
                (p, seat_id(box, f"Orchestra-{row}-{n}"))
                for p in (TONIGHT, OTHER)
                for row in "JKL"
                for n in range(1, 5)
                if not box.tessitura_world.held_seats(p).get(seat_id(box, f"Orchestra-{row}-{n}"))
            ]
            terminated = 0
            with Sampler(box) as sampler:
                started, wall_start = time.monotonic(), datetime.now(UTC)
                next_cut = next_move = started
                while time.monotonic() - started < cut_s:
                    now = time.monotonic()
                    if now >= next_cut:
                        terminated += terminate_sessions(cluster, [writer.proc.pid])
                        next_cut = now + 0.1
                    if now >= next_move:  # the box office: a hold placed or lifted
                        p, seat = rng.choice(seats)
                        if (p, seat) in held:
                            box.tessitura_world.release(p, [seat])
                            held.discard((p, seat))
                        else:
                            sampler.expect(p, seat)
                            box.tessitura_world.hold(p, [seat], PRESS)
                            held.add((p, seat))
                        next_move = now + 0.5
                        ready.append(get(f"{url}/readyz", 2)[0])
                    time.sleep(0.02)
                wall_end = datetime.now(UTC)

                def settled() -> bool:
                    return all(blocked(box, p, box.venue.seat(s).label) for p, s in held) and all(
                        not blocked(box, p, box.venue.seat(s).label)
                        for p, s in seats
                        if (p, s) not in held
                    )

                r.recovery_s = wait_until(settled, PATIENCE_S, poll_s=0.1)
            sampler.into(r)
            codes = [d.proc.poll() for d in daemons]
            roles = [
                str((role_of(config, d.proc.pid) or {}).get("role", "-")) if c is None else "-"
                for d, c in zip(daemons, codes, strict=True)
            ]
        finally:
            for d in daemons:
                d.stop()
    r.note(
        f"daemon 0's store sessions terminated every 0.1 s for {cut_s:g} s ({terminated} "
        f"sessions) while {len(seats)} seats were held and lifted every 0.5 s"
    )
    r.note(
        f"placed and lifted holds all as Tessitura says "
        f"{'never' if r.recovery_s is None else f'{r.recovery_s:.1f} s'} after the cuts ended; "
        f"the daemons: {['runs' if c is None else f'exited {c}' for c in codes]}"
    )
    r.note(f"daemon 0's /readyz during the cuts: {codes_of(ready)}; roles at the end: {roles}")
    said = warnings_of(daemons[0].log, wall_start, wall_end)
    top = ", ".join(f"{msg!r} x{n}" for msg, n in said.most_common(4))
    r.note(f"daemon 0's warnings and errors during the cuts: {sum(said.values())} ({top})")
    r.failure = (
        f"{said['unit failed']} units failed, {said['lease lost']} leases lost; /readyz "
        + "/".join(sorted({str(c or "none") for c in ready}))
        + "".join(f"; exit {c}" for c in codes if c is not None)
    )
    return [r]


def terminate_sessions(cluster: Cluster, pids: list[int]) -> int:
    """``pg_terminate_backend`` on the private cluster's sessions of processes ``pids`` (found by
    their client ports, as the chaos runner does); how many."""
    return chaos_terminate(cluster.url, pids)


# -- 5. the SQLite file deleted ------------------------------------------------------------------


def store_deleted(folder: Path, quick: bool) -> list[Result]:
    r = Result("store-deleted")
    with sandbox(folder) as (box, config):
        with_daemon_settings(config, FAST)
        with daemon(config, folder) as d:
            url = d.active()
            d.converged()
            path = store_path(config)
            with Sampler(box) as sampler:
                gone_at = time.monotonic()
                for leftover in path.parent.glob(path.name + "*"):
                    leftover.unlink()
                ready: set[int | None] = set()

                def ended() -> bool:
                    ready.add(get(f"{url}/readyz", 1)[0])
                    return d.proc.poll() is not None

                exit_s = wait_until(ended, PATIENCE_S, poll_s=0.1)
                time.sleep(1.0)
            sampler.into(r)
            code = d.proc.poll()
            writes = [
                e
                for e in box.seatsio_control.log.entries
                if e.method != "GET" and e.started >= gone_at
            ]
            r.note(
                f"the daemon exited {code} "
                f"{'never' if exit_s is None else f'{exit_s:.1f} s'} after the file was removed; "
                f"its last line: {d.last_line()}"
            )
            r.note(f"/readyz until then: {sorted(ready, key=str)}")
            r.note(
                f"seats.io writes after the removal: {len(writes)}; the path recreated: "
                f"{path.exists()}"
            )
            r.failure = f"exit {code} after {exit_s:.1f} s" if exit_s is not None else "NO EXIT"
            if writes:
                r.failure += f"; {len(writes)} writes after"
    return [r]


# -- 6. a Tessitura outage and the backoff ---------------------------------------------------------

OUTAGE_SETTINGS = """
[schedule]
discovery_every_s = 30
default_every_s = 60
cadences = [{ within_hours = 24, every_s = 5 }]

[daemon]
run_timeout_s = 20
reload_poll_s = 2
writer_lease_ttl_s = 5
stop_grace_s = 5
"""


def outage_backoff(folder: Path, quick: bool) -> list[Result]:
    r = Result("outage-backoff")
    outage_s = 30.0 if quick else 70.0
    cadence_s = 5.0
    with sandbox(folder) as (box, config):
        with_daemon_settings(config, OUTAGE_SETTINGS)
        with daemon(config, folder) as d:
            url = d.active()
            d.converged(120)
            seat = seat_id(box, FREE_SEAT)
            with Sampler(box) as sampler:
                sampler.expect(TONIGHT, seat)
                box.tessitura_control.set_faults(Faults(error_rate=1.0, error_status=503))
                started, wall_start = time.monotonic(), datetime.now(UTC)
                time.sleep(1.0)
                box.tessitura_world.hold(TONIGHT, [seat], PRESS)
                first_error: float | None = None
                ready: set[int | None] = set()
                while time.monotonic() - started < outage_s:
                    _, _, status = get(f"{url}/status.json")
                    if first_error is None and perf_row(status, TONIGHT).get("outcome") == "error":
                        first_error = time.monotonic() - started
                    ready.add(get(f"{url}/readyz", 2)[0])
                    time.sleep(0.5)
                box.tessitura_control.clear_faults()
                wall_end = datetime.now(UTC)
                lag = wait_until(lambda: blocked(box, TONIGHT, FREE_SEAT), 700.0, poll_s=0.05)
            sampler.into(r)
        retries = retries_of(d.log, f"unit:{TONIGHT}", wall_start, wall_end)
    # (when the failed run ended, s since the outage began; the wait the daemon chose)
    ended = [((at - wall_start).total_seconds(), wait) for at, wait in retries]
    gaps = [b[0] - a[0] - a[1] for a, b in itertools.pairwise(ended)]
    run_s = max(0.0, statistics.median(gaps)) if gaps else 0.0
    first_s = ended[0][0] - run_s if ended else 0.0
    old = replay(first_s, run_s, outage_s, cadence_s, near=False)
    new = replay(first_s, run_s, outage_s, cadence_s, near=True)
    r.recovery_s = lag
    r.note(
        f"Tessitura answered 503 for {outage_s:g} s; {TONIGHT} (cadence {cadence_s:g} s) was "
        f"error after {'never' if first_error is None else f'{first_error:.1f} s'}; "
        f"/readyz {sorted(ready, key=str)} meanwhile"
    )
    r.note(
        f"{len(ended)} failed runs of {TONIGHT} during the outage (about {run_s:.1f} s each, the "
        f"first from {first_s:.1f} s); the daemon's waits after them: "
        f"{', '.join(f'{w:.1f}' for _, w in ended)} s; the hold placed during the outage reached "
        "seats.io "
        f"{'never' if lag is None else f'{lag:.1f} s'} after it ended"
    )
    r.note(
        f"replayed on those runs with Backoff() defaults: the old rule (cap 600 s, no cadence "
        f"bound) runs again {old[0]:.1f} s after the end (in a {old[1]:.0f} s wait); the new rule "
        f"(cap {retry_cap_s(cadence_s, Backoff(), near=True):g} s = 3 cadences, jitter inside it) {new[0]:.1f} s "
        f"after (in a {new[1]:.0f} s wait)"
    )
    r.failure = (
        f"status error from {first_error:.1f} s" if first_error is not None else "NO ERROR SHOWN"
    )
    return [r]


_LINE = re.compile(r"^(\S+Z) \[(warning|error|critical)\s*\] (.+?)(\s{2,}|$)")


def warnings_of(log: Path, since: datetime, until: datetime) -> Counter[str]:
    """The daemon's warning and error lines in a window, by message."""
    out: Counter[str] = Counter()
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        m = _LINE.match(line)
        if m and since <= datetime.fromisoformat(m[1].replace("Z", "+00:00")) <= until:
            out[m[3].strip()] += 1
    return out


_RETRY = re.compile(r"^(\S+Z) .*unit will retry")


def retries_of(
    log: Path, unit: str, since: datetime, until: datetime
) -> list[tuple[datetime, float]]:
    """(when, next_in_s) of the daemon's "unit will retry" lines for ``unit`` in a window."""
    out = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        m = _RETRY.match(line)
        wait = re.search(r"next_in_s=([\d.]+)", line)
        if not m or not wait or not re.search(rf"unit={re.escape(unit)}(\s|$)", line):
            continue
        at = datetime.fromisoformat(m[1].replace("Z", "+00:00"))
        if since <= at <= until:
            out.append((at, float(wait[1])))
    return out


def replay(
    first_s: float, run_s: float, outage_s: float, cadence_s: float, *, near: bool
) -> tuple[float, float]:
    """When ``next_run`` with ``Backoff()`` defaults (jitter from a fixed seed) runs a unit again
    after an outage of ``outage_s``, its first failed run starting ``first_s`` in and every
    failed run taking ``run_s`` (its client's own retries) and a run that ends after the outage
    getting through: (seconds from the end to the start of the next run, 0 when one was still
    retrying, and the wait it was in). ``near`` False is
    the old rule: the cap at 600 s, no cadence bound."""
    rng = random.Random(0)
    t, failures, wait = first_s, 0, cadence_s
    while t + run_s <= outage_s:  # a run still retrying when the outage ends gets through
        failures += 1
        requeue = Requeue(ErrorKind.RETRYABLE, None, "503")
        wait = next_run(requeue, failures, cadence_s, Backoff(), rng, near=near).delay_s
        t += run_s + wait
    return max(0.0, t - outage_s), wait


# -- the run -------------------------------------------------------------------------------------

SCENARIOS: dict[str, Callable[[Path, bool], list[Result]]] = {
    "zombie-cli": zombie_cli,
    "zombie-cli-pg": zombie_cli_pg,
    "clock": clock_steps,
    "hung-read": hung_read,
    "store-postgres": store_postgres,
    "store-deleted": store_deleted,
    "pg-session-loss": pg_session_loss,
    "outage-backoff": outage_backoff,
}
#: the names --only takes, and the function that plays each
NAMES = {
    "zombie-cli": "zombie-cli",
    "zombie-cli-pg": "zombie-cli-pg",
    "clock-back": "clock",
    "clock-forward": "clock",
    "hung-read": "hung-read",
    "store-frozen": "store-postgres",
    "store-stopped": "store-postgres",
    "store-deleted": "store-deleted",
    "pg-session-loss": "pg-session-loss",
    "outage-backoff": "outage-backoff",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--only", action="append", choices=sorted(NAMES), help="repeatable")
    parser.add_argument("--quick", action="store_true", help="shorter faults (about 2 minutes)")
    args = parser.parse_args()
    wanted = list(dict.fromkeys(NAMES[n] for n in (args.only or NAMES)))
    print(
        f"bench_stalls: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f} at the start"
        f"{', --quick' if args.quick else ''}",
        flush=True,
    )
    results: list[Result] = []
    loads: list[float] = []
    stop = threading.Event()

    def watch_load() -> None:
        while not stop.wait(2.0):
            loads.append(os.getloadavg()[0])

    threading.Thread(target=watch_load, daemon=True).start()
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-stalls-") as tmp:
        for name in wanted:
            print(f"\n== {name} ==", flush=True)
            folder = Path(tmp) / name
            folder.mkdir()
            t = time.monotonic()
            try:
                results += SCENARIOS[name](folder, args.quick)
            except Skip as exc:
                print(f"  not played: {exc}", flush=True)
                results.append(Result(name, failure=f"not played: {exc}"))
            print(f"  ({time.monotonic() - t:.0f} s)", flush=True)
    stop.set()
    show(results, loads, time.monotonic() - began)


def show(results: list[Result], loads: list[float], took_s: float) -> None:
    print(f"\n{'scenario':<15} {'samples':>7} {'buyable':>7} {'recovery s':>10}  failure shown")
    for r in results:
        rec = "-" if r.recovery_s is None else f"{r.recovery_s:.1f}"
        print(f"{r.name:<15} {r.samples:>7} {r.buyable:>7} {rec:>10}  {r.failure}")
    for r in results:
        if r.buyable:
            seats = ", ".join(f"{p}/{label}" for p, label in sorted(r.seen))
            print(f"FINDING {r.name}: a held seat was buyable in {r.buyable} samples: {seats}")
    if loads:
        print(
            f"load average (1 min) during the run: median {statistics.median(loads):.2f}, "
            f"max {max(loads):.2f}; {took_s:.0f} s in all; "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        )


if __name__ == "__main__":
    main()
