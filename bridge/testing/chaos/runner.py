"""Play a :class:`~bridge.testing.chaos.schedule.Schedule` against the sandbox and `seatbridge run`.

The sandbox is served on loopback in this process; the daemon runs as child processes (one on
SQLite, or three on a fresh PostgreSQL database). After a warm-up to convergence the schedule's
steps fire on time: faults set on the fakes' control, holds placed and lifted in the fake
Tessitura, seats booked and released online in the fake seats.io, daemons signalled and
restarted, the hold-code table edited. Every :data:`SAMPLE_S` the sandbox and the store are
sampled (:mod:`bridge.testing.chaos.invariants` judges what was seen); when the chaos ends, the
faults stop and convergence is awaited for at most :data:`CONVERGE_BOUND_S`.
"""

from __future__ import annotations

import contextlib
import logging
import random
import re
import shutil
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx

from bridge.clock import SYSTEM
from bridge.sandbox import Sandbox
from bridge.sandbox.control import Faults
from bridge.testing import postgres
from bridge.testing.chaos import invariants as inv
from bridge.testing.chaos.schedule import FOR_SALE_RESET_S, Schedule, Step, fault_settings
from bridge.testing.daemon import fast_settings, role_of, with_daemon_settings
from bridge.testing.sandbox import (
    run,
    served_sandbox,
    spawn,
    with_shared_store,
)

#: How often the sandbox and the store are sampled.
SAMPLE_S = 0.2
#: The longest wait for convergence once the faults stop.
CONVERGE_BOUND_S = 30.0
#: The longest wait for the warm-up (every performance converged before the chaos starts).
WARM_UP_BOUND_S = 45.0
#: The client timeout of both vendors in a chaos run: a hang outlasts it.
TIMEOUT_S = 1.0
#: The daemon settings of a chaos run: 1 s cadences, short timeouts and backoff.
SETTINGS = fast_settings(reload_poll_s=0.3, stop_grace_s=3, backoff_base_s=0.3, backoff_cap_s=1.5)
#: How long after exiting by itself an instance is started again (systemd: RestartSec).
RESTART_S = 0.5
#: An unused hold code: a valid row to add mid-run.
VALID_ROW = "7,ignore,,7,,,\n"
INVALID_ROW = "not,a,valid,row,at,all\n"


@dataclass
class Outcome:
    """What one schedule did and what went wrong (``violations`` empty: it survived)."""

    schedule: Schedule
    violations: list[str] = field(default_factory=list)
    converged_after_s: float | None = None
    kills: int = 0
    terms: int = 0
    #: requests the faults actually hit, by what the fake did to them
    hit: Counter[str] = field(default_factory=Counter)
    samples: int = 0
    folder: str = ""

    def summary(self) -> Summary:
        return Summary(
            seed=self.schedule.seed,
            instances=self.schedule.instances,
            violations=tuple(self.violations),
            converged_after_s=self.converged_after_s,
            kills=self.kills,
            terms=self.terms,
            faults=tuple(s.fault for s in self.schedule.faults()),
            hit=dict(self.hit),
        )


@dataclass(frozen=True)
class Summary:
    """An outcome as the soak aggregates it (picklable, typed)."""

    seed: int
    instances: int
    violations: tuple[str, ...]
    converged_after_s: float | None
    kills: int
    terms: int
    faults: tuple[str, ...]
    hit: dict[str, int]


class Daemons:
    """The instances of one venue: started, signalled, restarted, their logs kept."""

    def __init__(self, config: Path, folder: Path, count: int) -> None:
        self.config, self.folder = config, folder
        self.logs: list[Path] = []
        self.log_of: dict[int, Path] = {}
        self.procs: list[subprocess.Popen[str]] = [self._start() for _ in range(count)]
        #: instance -> when it may be started again (after a signal)
        self.restart_at: dict[int, float] = {}
        #: (from, to) monotonic spans where some instance was down
        self.down: list[tuple[float, float]] = []
        self._down_since: dict[int, float] = {}
        #: (log, exit code) of instances that exited without being signalled
        self.exited: list[tuple[Path, int]] = []

    def _start(self) -> subprocess.Popen[str]:
        log = self.folder / f"daemon-{len(self.logs)}.log"
        self.logs.append(log)
        proc = spawn(self.config, "run", log=log)
        self.log_of[proc.pid] = log
        return proc

    def signal(self, i: int, sig: signal.Signals, restart_in_s: float, now: float) -> None:
        proc = self.procs[i]
        if proc.poll() is None:
            proc.send_signal(sig)
        self.restart_at[i] = now + restart_in_s
        self._down_since.setdefault(i, now)

    def tick(self, now: float) -> None:
        """Restart the instances whose time has come (a SIGTERM'd one once it has exited), and,
        as systemd's Restart=on-failure does, one that exited by itself (a broken table at its
        start, say) after :data:`RESTART_S`."""
        for i, p in enumerate(self.procs):
            if i not in self.restart_at and p.poll() is not None:
                self.restart_at[i] = now + RESTART_S
                self._down_since.setdefault(i, now)
                self.exited.append((self.log_of[p.pid], p.returncode))
        for i, at in list(self.restart_at.items()):
            if now >= at and self.procs[i].poll() is not None:
                del self.restart_at[i]
                self.procs[i] = self._start()
                self.down.append((self._down_since.pop(i), now))

    def restart_all(self, now: float, bound_s: float = 15.0) -> None:
        """Every instance running again (waiting for signalled ones to exit, bounded)."""
        deadline = SYSTEM.monotonic() + bound_s
        for i in list(self.restart_at):
            self.restart_at[i] = now
        while self.restart_at and SYSTEM.monotonic() < deadline:
            self.tick(SYSTEM.monotonic())
            time.sleep(0.05)
        for i in list(self.restart_at):  # a stuck SIGTERM: kill it and go on
            self.procs[i].kill()
            self.procs[i].wait()
            self.tick(SYSTEM.monotonic())

    def all_active(self) -> bool:
        for p in self.procs:
            if p.poll() is not None:
                return False
            note = role_of(self.config, p.pid)
            if not note or note.get("role") not in ("active", "standby"):
                return False
        return True

    def stop(self) -> list[int]:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        codes = []
        for p in self.procs:
            try:
                codes.append(p.wait(timeout=20))
            except subprocess.TimeoutExpired:
                p.kill()
                codes.append(p.wait())
        return codes

    def kill_all(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()


@contextlib.contextmanager
def quiet_sandbox_server() -> Iterator[None]:
    """A dropped connection makes uvicorn log a traceback; the chaos drops many on purpose."""
    logger = logging.getLogger("uvicorn.error")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def chaos_config(config: Path, folder: Path, pg_url: str | None) -> tuple[Path, Path]:
    """The served sandbox's config made fit for chaos: its own copy of the hold-code table
    (edited mid-run), short timeouts and cadences, and the shared store when ``pg_url``."""
    with_daemon_settings(config, SETTINGS)
    text = config.read_text(encoding="utf-8")
    table = Path(re.findall(r'hold_codes = "([^"]+)"', text)[0])
    own = folder / "hold-codes.csv"
    shutil.copyfile(table, own)
    text = text.replace(f'hold_codes = "{table}"', f'hold_codes = "{own}"')
    text = re.sub(r"(?m)^timeout_s = .*$", f"timeout_s = {TIMEOUT_S}", text)
    config.write_text(text, encoding="utf-8")
    if pg_url is not None:
        with_shared_store(config, pg_url, "chaos")
    return config, own


class Traffic:
    """The box office and the online buyers, acting on the fakes directly (never faulted)."""

    def __init__(self, box: Sandbox, rng: random.Random, seen: inv.Seen) -> None:
        self.box, self.rng, self.seen = box, rng, seen
        self.codes = [c.id for c in box.venue.hold_codes if c.id in inv.MAPPED_CODES]
        self.placed: dict[int, set[int]] = {}
        self.booked: list[tuple[str, str]] = []

    def box_office(self) -> None:
        venue, tess = self.box.venue, self.box.tessitura_world
        if self.placed and any(self.placed.values()) and self.rng.random() < 0.45:
            pid = self.rng.choice(sorted(p for p, s in self.placed.items() if s))
            seats = sorted(self.placed[pid])[: self.rng.randint(1, 3)]
            tess.release(pid, seats)
            self.placed[pid].difference_update(seats)
            for sid in seats:
                self.seen.lifted(pid, sid)
            return
        perf = self.rng.choice(venue.performances)
        held = tess.held_seats(perf.id)
        candidates = [
            s.id for s in venue.seats if s.id not in held and not tess.is_sold(perf.id, s.id)
        ]
        if not candidates:
            return
        start = self.rng.randrange(len(candidates))
        seats = candidates[start : start + self.rng.randint(1, 3)]
        tess.hold(perf.id, seats, self.rng.choice(self.codes))
        self.placed.setdefault(perf.id, set()).update(seats)
        for sid in seats:
            self.seen.placed(perf.id, sid)

    def buyer(self) -> None:
        world = self.box.seatsio_world
        if self.booked and self.rng.random() < 0.3:
            key, label = self.booked.pop(self.rng.randrange(len(self.booked)))
            self._act(lambda: world.release(key, [label]), key, label)
            return
        perf = self.rng.choice(self.box.venue.performances)
        views = [v for v in world.object_views(perf.event_key) if inv.buyable(v)]
        if not views:
            return
        label = self.rng.choice(views).object.label
        if self._act(lambda: world.book(perf.event_key, [label]), perf.event_key, label):
            self.booked.append((perf.event_key, label))

    def _act(self, act: Callable[[], None], key: str, label: str) -> bool:
        before = {c.id for c in self.box.seatsio_world.status_changes(key, label)}
        try:
            act()
        except Exception:  # the world refused (the seat was taken meanwhile): a buyer moves on
            return False
        for c in self.box.seatsio_world.status_changes(key, label):
            if c.id not in before:
                self.seen.buyer_change(key, c.id)
        return True


def run_schedule(
    schedule: Schedule, folder: Path, *, pg_url: str | None = None, outputs: bool = True
) -> Outcome:
    """Play ``schedule`` in ``folder`` (its logs stay there); ``pg_url`` is needed when the
    schedule has several instances (a fresh database is made on that server). ``outputs``: also
    run `seatbridge status` and fetch the status page at the end, for the secrets scan (a second
    process start: the soak does it for one schedule in five)."""
    outcome = Outcome(schedule, folder=str(folder))
    folder.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        stack.enter_context(quiet_sandbox_server())
        shared = None
        if schedule.instances > 1:
            if pg_url is None:
                raise RuntimeError("a schedule with several instances needs PostgreSQL")
            shared = stack.enter_context(postgres.fresh_database("seatbridge_chaos"))
        box, config = stack.enter_context(served_sandbox(folder))
        config, table = chaos_config(config, folder, shared)
        seen = inv.Seen.start(box)
        daemons = Daemons(config, folder, schedule.instances)
        try:
            _play(schedule, box, config, table, daemons, seen, outcome, outputs)
        finally:
            daemons.kill_all()
        for control in (box.seatsio_control, box.tessitura_control):
            outcome.hit.update(e.fault for e in control.log.entries if e.fault)
        outcome.violations += inv.final_checks(box, config, seen)
        outcome.violations += inv.crashes(daemons.exited)
        outcome.violations += inv.secrets_in([*daemons.logs, folder / "status.txt"])
    return outcome


def _play(
    schedule: Schedule,
    box: Sandbox,
    config: Path,
    table: Path,
    daemons: Daemons,
    seen: inv.Seen,
    outcome: Outcome,
    outputs: bool,
) -> None:
    if not _wait(lambda: daemons.all_active() and inv.converged(box, config), WARM_UP_BOUND_S):
        outcome.violations.append(
            f"warm-up: not converged within {WARM_UP_BOUND_S:g} s before any fault"
        )
        return
    traffic = Traffic(box, random.Random(schedule.seed), seen)
    controls = {"seatsio": box.seatsio_control, "tessitura": box.tessitura_control}
    good_table = table.read_text(encoding="utf-8")
    pending: list[tuple[float, str, Callable[[], None]]] = []

    def fault_on(step: Step) -> Callable[[], None]:
        def go() -> None:
            controls[step.vendor].set_faults(Faults(**fault_settings(step, TIMEOUT_S)))
            # a spent daily for-sale limit lasts until its reset, after the window
            extra = FOR_SALE_RESET_S if step.fault == "429_for_sale_daily" else 0.0
            seen.fault(step.vendor, SYSTEM.monotonic(), step.duration_s + extra)

        return go

    def later(at: float, what: str, act: Callable[[], None]) -> None:
        pending.append((at, what, act))

    for step in schedule.steps:
        if step.kind == "fault":
            later(step.at_s, "fault", fault_on(step))
            later(step.at_s + step.duration_s, "clear", controls[step.vendor].clear_faults)
        elif step.kind == "box_office":
            for _ in range(step.moves):
                later(step.at_s, "box office", traffic.box_office)
        elif step.kind == "buyer":
            for _ in range(step.moves):
                later(step.at_s, "buyer", traffic.buyer)
        elif step.kind in ("sigterm", "sigkill"):
            sig = signal.SIGKILL if step.kind == "sigkill" else signal.SIGTERM
            if sig is signal.SIGKILL:
                outcome.kills += 1
            else:
                outcome.terms += 1

            def send(s: Step = step, g: signal.Signals = sig) -> None:
                seen.signalled.add(daemons.procs[s.instance].pid)
                daemons.signal(s.instance, g, s.duration_s, SYSTEM.monotonic())

            later(step.at_s, step.kind, send)
        elif step.kind == "edit_valid":
            later(step.at_s, "edit", lambda: _write(table, good_table + VALID_ROW))
        elif step.kind == "edit_invalid":
            later(step.at_s, "edit", lambda: _write(table, good_table + INVALID_ROW))
            later(step.at_s + step.duration_s, "undo", lambda: _write(table, good_table))
    pending.sort(key=lambda p: p[0])

    started = SYSTEM.monotonic()
    next_sample = started
    while True:
        now = SYSTEM.monotonic()
        t = now - started
        while pending and pending[0][0] <= t:
            pending.pop(0)[2]()
        daemons.tick(now)
        if now >= next_sample:
            outcome.violations += seen.sample(box, config, now, daemons.down, daemons.restart_at)
            outcome.samples += 1
            next_sample = now + SAMPLE_S
        if t >= schedule.chaos_s and not pending:
            break
        time.sleep(0.02)

    # the faults stop: everything back up, then convergence within the bound
    for control in controls.values():
        control.clear_faults()
    table.write_text(good_table, encoding="utf-8")
    calm = SYSTEM.monotonic()
    daemons.restart_all(calm)
    seen.calm(calm)

    def settled() -> bool:
        daemons.tick(SYSTEM.monotonic())  # one that exits now is restarted too (systemd would)
        outcome.violations.extend(
            seen.sample(box, config, SYSTEM.monotonic(), daemons.down, daemons.restart_at)
        )
        return inv.converged(box, config) and not inv.pending(box, seen)

    if _wait(settled, CONVERGE_BOUND_S):
        outcome.converged_after_s = round(SYSTEM.monotonic() - calm, 2)
    else:
        outcome.violations.append(
            f"not converged within {CONVERGE_BOUND_S:g} s after the faults stopped: "
            + "; ".join(inv.pending(box, seen)[:5])
        )
    if outputs:
        status = run(config, "status", timeout_s=30)
        (Path(outcome.folder) / "status.txt").write_text(status.stdout + status.stderr)
        with contextlib.suppress(Exception):
            _page(config, daemons, Path(outcome.folder))
    codes = daemons.stop()
    # 0 a clean stop, 1 a writer role lost to another daemon; killed by the SIGTERM itself: it
    # came while the process was still starting (before its handler), as systemd may send it too
    if any(c not in (0, 1, -signal.SIGTERM) for c in codes):
        outcome.violations.append(f"a daemon exited with {codes} on SIGTERM")


def _page(config: Path, daemons: Daemons, folder: Path) -> None:
    """The status page and /status.json of the first instance, kept for the secrets scan."""
    note = role_of(config, daemons.procs[0].pid)
    if note and note.get("listen"):
        base = f"http://{note['listen']}"
        text = httpx.get(base + "/", timeout=5).text + httpx.get(base + "/status.json").text
        with (folder / "status.txt").open("a", encoding="utf-8") as f:
            f.write(text)


def _write(table: Path, text: str) -> None:
    table.write_text(text, encoding="utf-8")


def _wait(probe: Callable[[], bool], bound_s: float) -> bool:
    deadline = SYSTEM.monotonic() + bound_s
    while SYSTEM.monotonic() < deadline:
        if probe():
            return True
        time.sleep(SAMPLE_S)
    return probe()


def now_utc() -> datetime:
    return SYSTEM.now()


__all__ = [
    "Outcome",
    "run_schedule",
]
