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

import bisect
import contextlib
import dataclasses
import json
import logging
import os
import random
import re
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import psycopg

from bridge.clock import SYSTEM
from bridge.config.settings import SECTION_MODELS
from bridge.sandbox import Sandbox
from bridge.sandbox.control import Faults, Override
from bridge.sandbox.seatsio_errors import SeatsioApiError
from bridge.sandbox.seatsio_forsale import ForSaleItem
from bridge.sandbox.seatsio_model import BOOKED, FREE, RESALE
from bridge.sandbox.tessitura_world import (
    HoldConflictError,
    HoldRequest,
    HoldRequestError,
    ReplaceMode,
)
from bridge.testing import postgres
from bridge.testing.chaos import invariants as inv
from bridge.testing.chaos.schedule import (
    EVERY,
    FOR_SALE_RESET_S,
    HUNG_READ,
    KILL_CODE,
    LEASE_TTL_S,
    PARTNER_CHANNEL,
    PROFILES,
    TESSITURA_WRITE_FAULT,
    WRITEBACK_CODE,
    Schedule,
    Step,
    fault_settings,
)
from bridge.testing.daemon import fast_settings, role_of, with_daemon_settings
from bridge.testing.sandbox import (
    run,
    served_sandbox,
    spawn,
    store_path,
    with_shared_store,
)

#: How often the sandbox and the store are sampled.
SAMPLE_S = 0.2
#: The longest wait for convergence once the faults stop.
CONVERGE_BOUND_S = 30.0
#: The longest wait for the warm-up (every performance converged before the chaos starts).
WARM_UP_BOUND_S = 45.0
#: The client timeout of both vendors in a chaos run: a hang outlasts it.
TIMEOUT_S = inv.CLIENT_TIMEOUT_S
#: The daemon settings of a chaos run: 1 s cadences, short timeouts and backoff, a 3 s writer
#: lease (:data:`~bridge.testing.chaos.schedule.LEASE_TTL_S`, which a pause outlasts).
SETTINGS = fast_settings(reload_poll_s=0.3, stop_grace_s=3, backoff_base_s=0.3, backoff_cap_s=1.5)
assert f"writer_lease_ttl_s = {LEASE_TTL_S:g}" in SETTINGS
#: The per-process wall-clock offset file a test config may name (``clock_step`` writes it).
CLOCK_OFFSET_KEY = ("testing", "clock_offset_file")
#: How often a repeated store-session loss terminates the sessions again.
SESSION_CUT_EVERY_S = 0.1
#: How long an instance losing its store sessions once takes to be back (reconnecting).
SESSION_BACK_S = 1.0
#: The longest wait for the daemons to stop before a removed store file is put back.
RESTORE_STOP_BOUND_S = 10.0
#: How long a store removal waits for every instance to have its role (one still starting
#: would open the replacement), polling every STORE_SETTLE_POLL_S, before it is not played.
REMOVE_WAIT_BOUND_S = 10.0
STORE_SETTLE_POLL_S = 0.25
#: How long after exiting by itself an instance is started again (systemd: RestartSec).
RESTART_S = 0.5
#: An unused hold code: a valid row to add mid-run.
VALID_ROW = "7,ignore,,7,,,\n"
INVALID_ROW = "not,a,valid,row,at,all\n"
#: How often a ``409_locked`` write fault locks the seats the write-back is due to write.
LOCK_EVERY_S = 0.25


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
    #: steps the runner could not play here, by kind (a clock step before the config has a clock
    #: offset; a store fault on the other store)
    skipped: Counter[str] = field(default_factory=Counter)

    def summary(self) -> Summary:
        return Summary(
            seed=self.schedule.seed,
            instances=self.schedule.instances,
            violations=tuple(self.violations),
            converged_after_s=self.converged_after_s,
            kills=self.kills,
            terms=self.terms,
            faults=(
                *(s.fault for s in self.schedule.faults()),
                *(s.kind for s in self.schedule.process_faults()),
                *(s.kind for s in self.schedule.world_steps()),
                *(s.kind for s in self.schedule.writeback_steps()),
            ),
            hit=dict(self.hit),
            skipped=dict(self.skipped),
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
    skipped: dict[str, int] = field(default_factory=dict)


class Daemons:
    """The instances of one venue: started, signalled, paused, restarted, their logs kept.

    ``configs`` holds one config per instance (they differ only in their clock offset file)."""

    def __init__(self, configs: list[Path], folder: Path) -> None:
        self.configs, self.folder = configs, folder
        self.config = configs[0]
        self.logs: list[Path] = []
        self.log_of: dict[int, Path] = {}
        self.procs: list[subprocess.Popen[str]] = [self._start(i) for i in range(len(configs))]
        #: instance -> when it may be started again (after a signal)
        self.restart_at: dict[int, float] = {}
        #: (from, to) monotonic spans where some instance was down
        self.down: list[tuple[float, float]] = []
        self._down_since: dict[int, float] = {}
        #: (log, exit code) of instances that exited without being signalled
        self.exited: list[tuple[Path, int]] = []
        #: process id -> when it was frozen (SIGSTOP), while it is
        self.paused: dict[int, float] = {}
        #: what to do once every instance has stopped (the store file put back), and by when
        #: they must have stopped; no instance starts meanwhile
        self._when_stopped: tuple[Callable[[], None], float] | None = None
        #: no instance is started again while this is set (the store file is gone: the operator
        #: puts it back first)
        self.held = False
        self._writer = 0

    def _start(self, i: int) -> subprocess.Popen[str]:
        log = self.folder / f"daemon-{len(self.logs)}.log"
        self.logs.append(log)
        proc = spawn(self.configs[i], "run", log=log)
        self.log_of[proc.pid] = log
        return proc

    def signal(self, i: int, sig: signal.Signals, restart_in_s: float, now: float) -> None:
        proc = self.procs[i]
        if proc.poll() is None:
            proc.send_signal(sig)
        self.restart_at[i] = now + restart_in_s
        self._down_since.setdefault(i, now)

    def pause(self, i: int) -> int | None:
        """Freeze instance ``i`` (SIGSTOP); its process id, or None when it is not running."""
        proc = self.procs[i]
        if proc.poll() is not None or proc.pid in self.paused:
            return None
        proc.send_signal(signal.SIGSTOP)
        self.paused[proc.pid] = SYSTEM.monotonic()
        return proc.pid

    def resume(self, pid: int) -> None:
        """Let the process ``pid`` run again (SIGCONT), if it is still one of ours."""
        if self.paused.pop(pid, None) is None:
            return
        for p in self.procs:
            if p.pid == pid and p.poll() is None:
                p.send_signal(signal.SIGCONT)

    def resume_all(self) -> None:
        for pid in list(self.paused):
            self.resume(pid)

    def writer(self) -> int:
        """The instance that holds the writer role now (the first one when none says so); while
        the store file is gone (:attr:`held`), the last one known (reading the store would make
        a new file)."""
        if self.held:
            return self._writer
        for i, p in enumerate(self.procs):
            if p.poll() is None:
                note = role_of(self.config, p.pid)
                if note and note.get("role") == "active":
                    self._writer = i
                    return i
        return 0

    def stop_then(self, act: Callable[[], None], now: float, bound_s: float) -> None:
        """Stop every instance (SIGTERM), run ``act`` once all have exited (killing any still up
        after ``bound_s``), then start them again: an operator's repair."""
        for i in range(len(self.procs)):
            self.signal(i, signal.SIGTERM, 0.0, now)
        self._when_stopped = (act, now + bound_s)

    @property
    def stopping(self) -> bool:
        return self._when_stopped is not None

    def tick(self, now: float) -> None:
        """Restart the instances whose time has come (a SIGTERM'd one once it has exited), and,
        as systemd's Restart=on-failure does, one that exited by itself (a broken table at its
        start, say) after :data:`RESTART_S`; none while an operator's repair waits for them to
        stop."""
        for i, p in enumerate(self.procs):
            if i not in self.restart_at and p.poll() is not None:
                self.restart_at[i] = now + RESTART_S
                self._down_since.setdefault(i, now)
                self.exited.append((self.log_of[p.pid], p.returncode))
        if self._when_stopped is not None:
            act, by = self._when_stopped
            if now >= by:
                self.resume_all()
                for p in self.procs:
                    if p.poll() is None:
                        p.kill()
                        p.wait()
            if any(p.poll() is None for p in self.procs):
                return
            self._when_stopped = None
            self.held = False
            act()
        if self.held:
            return
        for i, at in list(self.restart_at.items()):
            if now >= at and self.procs[i].poll() is not None:
                del self.restart_at[i]
                self.paused.pop(self.procs[i].pid, None)
                self.procs[i] = self._start(i)
                self.down.append((self._down_since.pop(i), now))

    def restart_all(self, now: float, bound_s: float = 15.0) -> None:
        """Every instance running again (waiting for signalled ones to exit, bounded)."""
        self.resume_all()
        deadline = SYSTEM.monotonic() + bound_s
        for i in list(self.restart_at):
            self.restart_at[i] = now
        while (self.restart_at or self.stopping) and SYSTEM.monotonic() < deadline:
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
        self.resume_all()
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


#: The write-back settings of the ``writeback`` profile's boxes (in place of the sample's, off).
WRITEBACK_SETTINGS = f'[writeback]\nmode = "apply"\nhold_code = {WRITEBACK_CODE}\n'
_WRITEBACK_SECTION = re.compile(r"(?ms)^\[writeback\]\n.*?(?=^\[|\Z)")


def chaos_config(
    config: Path, folder: Path, pg_url: str | None, *, writeback: bool = False
) -> tuple[Path, Path]:
    """The served sandbox's config made fit for chaos: its own copy of the hold-code table
    (edited mid-run), short timeouts and cadences, short leases, and the shared store when
    ``pg_url``; with ``writeback``, the write-back applied with :data:`WRITEBACK_CODE` (the
    sample's table maps it to ignore; the caller checks :func:`knows` first)."""
    with_daemon_settings(config, SETTINGS)
    text = config.read_text(encoding="utf-8")
    table = Path(re.findall(r'hold_codes = "([^"]+)"', text)[0])
    own = folder / "hold-codes.csv"
    shutil.copyfile(table, own)
    if writeback:
        text = _WRITEBACK_SECTION.sub("", text)
        text = f"{text.rstrip()}\n\n{WRITEBACK_SETTINGS}"
    text = text.replace(f'hold_codes = "{table}"', f'hold_codes = "{own}"')
    text = re.sub(r"(?m)^timeout_s = .*$", f"timeout_s = {TIMEOUT_S}", text)
    config.write_text(text, encoding="utf-8")
    if pg_url is not None:
        with_shared_store(config, pg_url, "chaos")
    # units lease for as long as the writer role, so a pause past LEASE_TTL_S outlasts both
    text = config.read_text(encoding="utf-8")
    assert "[store]\n" in text, "the sandbox config has a [store] section"
    text = text.replace("[store]\n", f"[store]\nlease_ttl_s = {LEASE_TTL_S:g}\n", 1)
    config.write_text(text, encoding="utf-8")
    return config, own


def knows(section: str, key: str) -> bool:
    """Whether the config of this checkout has setting ``[section] key`` (it refuses unknown
    ones, so the runner writes a setting only where it exists)."""
    model = SECTION_MODELS.get(section)
    return model is not None and key in model[0].model_fields


def instance_configs(config: Path, count: int) -> tuple[list[Path], list[Path] | None]:
    """One config per instance, each naming its own clock offset file (so that instances may
    disagree on the time), and those files (holding 0); None for the files, and ``config`` for
    every instance, where the config has no clock offset setting yet."""
    if not knows(*CLOCK_OFFSET_KEY):
        return [config] * count, None
    text = config.read_text(encoding="utf-8")
    configs, offsets = [], []
    for i in range(count):
        offset = config.parent / f"clock-{i}.offset"
        offset.write_text("0\n", encoding="utf-8")
        own = config.with_name(f"{config.stem}-{i}{config.suffix}")
        section, key = CLOCK_OFFSET_KEY
        own.write_text(f'{text.rstrip()}\n\n[{section}]\n{key} = "{offset}"\n', encoding="utf-8")
        configs.append(own)
        offsets.append(offset)
    return configs, offsets


def client_ports(pids: list[int]) -> set[int]:
    """The local TCP ports of the sockets processes ``pids`` hold open (Linux /proc): which
    PostgreSQL sessions are theirs (``pg_stat_activity.client_port``)."""
    inodes: set[str] = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    link = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if link.startswith("socket:["):
                        inodes.add(link[8:-1])
    ports: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table, encoding="ascii") as f:
            for line in f.readlines()[1:]:
                parts = line.split()
                if len(parts) > 9 and parts[9] in inodes:
                    ports.add(int(parts[1].rsplit(":", 1)[1], 16))
    return ports


def terminate_sessions(admin_url: str, pids: list[int], database: str | None = None) -> int:
    """``pg_terminate_backend`` on the sessions processes ``pids`` hold (by their client ports),
    in ``database`` only when given, over a connection to ``admin_url``; how many ended (0 when
    the server cannot be reached)."""
    ports = client_ports(pids)
    if not ports:
        return 0
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE client_port = ANY(%s) AND pid <> pg_backend_pid()"
                " AND (%s::text IS NULL OR datname = %s::text)",
                (sorted(ports), database, database),
            ).fetchall()
    except psycopg.Error:
        return 0
    return sum(1 for (ok,) in rows if ok)


class SessionCutter:
    """Terminates (``pg_terminate_backend``) the store sessions of some daemons: once, or again
    every :data:`SESSION_CUT_EVERY_S` until stopped. Only the daemons' own sessions (found by
    their client ports): the harness's reads of the store are left alone."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.database = database_url.rsplit("/", 1)[1].split("?", 1)[0]
        self.cut_sessions = 0
        self._stops: list[threading.Event] = []
        self._threads: list[threading.Thread] = []

    def cut(self, pids: list[int]) -> int:
        """Terminate the sessions of ``pids`` now; how many there were."""
        done = terminate_sessions(postgres.ADMIN_URL, pids, self.database)
        self.cut_sessions += done
        return done

    def cut_for(self, pids: Callable[[], list[int]], duration_s: float) -> None:
        """Keep terminating the sessions of ``pids()`` for ``duration_s`` (in a thread)."""
        stop = threading.Event()
        until = SYSTEM.monotonic() + duration_s

        def loop() -> None:
            while not stop.is_set() and SYSTEM.monotonic() < until:
                self.cut(pids())
                stop.wait(SESSION_CUT_EVERY_S)

        thread = threading.Thread(target=loop, name="chaos-session-cutter", daemon=True)
        self._stops.append(stop)
        self._threads.append(thread)
        thread.start()

    def stop(self) -> None:
        for stop in self._stops:
            stop.set()
        for thread in self._threads:
            thread.join(timeout=5)


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
            try:
                tess.release(pid, seats)
            except HoldRequestError:  # a seat locked by another user: the box office moves on
                return
            self.placed[pid].difference_update(seats)
            for sid in seats:
                self.seen.lifted(pid, sid)
                self.seen.office_lifted_all(pid, sid)
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
        code = self.rng.choice(self.codes)
        try:
            tess.hold(perf.id, seats, code)
        except HoldRequestError:  # a seat locked by another user: the box office moves on
            return
        self.placed.setdefault(perf.id, set()).update(seats)
        for sid in seats:
            self.seen.placed(perf.id, sid)
            self.seen.office_put(perf.id, sid, code)

    def buyer(self) -> None:
        world = self.box.seatsio_world
        if self.booked and self.rng.random() < 0.3:
            key, label = self.booked.pop(self.rng.randrange(len(self.booked)))
            if self._act(lambda: world.release(key, [label]), key, label):
                self.seen.buyer_freed.add((key, label))
            return
        perf = self.rng.choice(self.box.venue.performances)
        views = [v for v in world.object_views(perf.event_key) if inv.open_to_public(v)]
        if not views:
            return
        label = self.rng.choice(views).object.label
        if self._act(lambda: world.book(perf.event_key, [label]), perf.event_key, label):
            self.booked.append((perf.event_key, label))

    def kill(self, pid: int, rng: random.Random) -> int:
        """The box office kills (:data:`KILL_CODE`) one or two seats of ``pid`` that are on sale
        online; how many."""
        venue, tess, world = self.box.venue, self.box.tessitura_world, self.box.seatsio_world
        key = venue.performance(pid).event_key
        held = tess.held_seats(pid)
        candidates = [
            s.id
            for s in venue.seats
            if s.id not in held
            and not tess.is_sold(pid, s.id)
            and inv.open_to_public(world.object_view(key, s.label))
        ]
        if not candidates:
            return 0
        start = rng.randrange(len(candidates))
        seats = candidates[start : start + rng.randint(1, 2)]
        try:
            tess.hold(pid, seats, KILL_CODE)
        except HoldRequestError:  # a seat locked by another user
            return 0
        self.placed.setdefault(pid, set()).update(seats)
        for sid in seats:
            self.seen.placed(pid, sid)
            self.seen.office_put(pid, sid, KILL_CODE)
        return len(seats)

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


class Writeback:
    """The box office and the online buyers beside the write-back (issue 26), on the fakes
    directly (never faulted), on the performances the bridge writes back on. Every layer the
    box office puts, takes off or lifts goes into the harness's record (``seen.office``)."""

    def __init__(
        self, box: Sandbox, rng: random.Random, seen: inv.Seen, traffic: Traffic, code: int
    ) -> None:
        self.box, self.rng, self.seen, self.traffic, self.code = box, rng, seen, traffic, code
        self.codes = sorted(inv.MAPPED_CODES)
        #: (performance, label) these buyers booked (or put up for resale)
        self.booked: list[tuple[int, str]] = []
        self.counts: Counter[str] = Counter()
        #: performance -> seats locked by a ``409_locked`` write fault
        self.locked: dict[int, set[int]] = {}
        #: performances under a ``409_locked`` write fault: a seat a buyer books or frees there is
        #: locked at once, so that the write-back's next POST for it meets the lock
        self.locking: set[int] = set()

    def _label(self, seat: int) -> str:
        return str(self.box.venue.seat(seat).label)

    def _view_status(self, pid: int, seat: int) -> str:
        key = self.box.venue.performance(pid).event_key
        return str(self.box.seatsio_world.object_view(key, self._label(seat)).status)

    def office(self, pids: tuple[int, ...]) -> None:
        """One box-office move on one of ``pids``: put a layer (most often), take one of its
        own off, lift a seat's layers, or sell a seat."""
        pid = self.rng.choice(pids)
        mine = sorted(
            (seat, c) for (p, seat), cs in self.seen.office.items() if p == pid for c in cs
        )
        r = self.rng.random()
        try:
            if r < 0.2 and mine:
                seat, code = self.rng.choice(mine)
                self.box.tessitura_world.unhold(pid, [seat], code)
                self.seen.office_took_off(pid, seat, code)
                self._lifted_if_unmapped(pid, seat)
                self.counts["office_layers_taken_off"] += 1
            elif r < 0.28 and mine:
                seat = self.rng.choice(mine)[0]
                self.box.tessitura_world.release(pid, [seat])
                self.seen.office_lifted_all(pid, seat)
                self.seen.lifted(pid, seat)
                self.counts["office_seats_lifted"] += 1
            elif r < 0.45:
                self._sell(pid)
            else:
                self._put(pid)
        except HoldConflictError:  # locked by another user's transaction: tried again later
            self.counts["office_moves_locked_out"] += 1

    def _put(self, pid: int) -> None:
        """A layer (codes 1-6, above or below the others) on a seat carrying the write-back
        code, one booked online, or any seat not sold (never one in resale: buyable online, a
        held one there is the bridge's to block, and it may not)."""
        tess, venue = self.box.tessitura_world, self.box.venue
        held = tess.held_seats(pid)
        written = [
            s for s, layers in held.items() if any(la.hold_code_id == self.code for la in layers)
        ]
        booked = [venue.seat_by_label(label).id for p, label in self.booked if p == pid]
        pools = [written, booked, [s.id for s in venue.seats]]
        pool = self.rng.choices(pools, weights=(0.4, 0.3, 0.3))[0] or pools[2]
        seats = [
            s for s in pool if not tess.is_sold(pid, s) and self._view_status(pid, s) != RESALE
        ]
        if not seats:
            return
        seat, code = self.rng.choice(sorted(seats)), self.rng.choice(self.codes)
        mode = self.rng.choice((ReplaceMode.ABOVE_EXISTING, ReplaceMode.BELOW_EXISTING))
        try:
            tess.update(pid, [HoldRequest(seat, code)], mode=mode, only_available=True)
        except HoldRequestError as refused:
            if isinstance(refused, HoldConflictError):
                raise
            return  # sold meanwhile
        self.seen.office_put(pid, seat, code)
        self.seen.placed(pid, seat)
        self.counts["office_layers_put"] += 1
        if any(la.hold_code_id == self.code for la in held.get(seat, ())):
            self.counts["office_layers_put_on_writeback"] += 1

    def _sell(self, pid: int) -> None:
        """A seat with no hold sold at the box office: half the time one booked online whose
        write-back has not landed yet (the double sale the write-back narrows)."""
        tess, venue = self.box.tessitura_world, self.box.venue
        held = tess.held_seats(pid)
        booked = [venue.seat_by_label(label).id for p, label in self.booked if p == pid]
        pool = booked if booked and self.rng.random() < 0.5 else [s.id for s in venue.seats]
        seats = [s for s in pool if s not in held and not tess.is_sold(pid, s)]
        if not seats:
            return
        seat = self.rng.choice(sorted(seats))
        if tess.sell_open(pid, seat):  # a hold came meanwhile: the box office cannot sell it
            return
        self.counts["office_sales"] += 1
        if self._view_status(pid, seat) in (BOOKED, RESALE):
            self.counts["office_sales_of_seats_booked_online"] += 1

    def _lifted_if_unmapped(self, pid: int, seat: int) -> None:
        layers = self.box.tessitura_world.layers(pid, seat)
        if not any(la.hold_code_id in inv.MAPPED_CODES for la in layers):
            self.seen.lifted(pid, seat)

    def buyer(self, pids: tuple[int, ...]) -> None:
        """One online move on one of ``pids``: book a seat open to the public (most often),
        put a booked one up for resale (one without a box-office hold: a held seat in resale
        would be buyable and the bridge may not block it), or release one."""
        world, venue, tess = self.box.seatsio_world, self.box.venue, self.box.tessitura_world
        pid = self.rng.choice(pids)
        key = venue.performance(pid).event_key
        mine = [(p, label) for p, label in self.booked if p == pid]
        r = self.rng.random()
        if r < 0.2 and mine:
            p, label = self.rng.choice(mine)
            if self.traffic._act(lambda: world.release(key, [label]), key, label):
                self.booked.remove((p, label))
                self.seen.buyer_freed.add((key, label))
                self.counts["online_releases"] += 1
                self._lock_if_locking(pid, label)
            return
        if r < 0.28 and mine:
            p, label = self.rng.choice(mine)
            layers = tess.layers(pid, venue.seat_by_label(label).id)
            view = world.object_view(key, label)
            unheld = not any(la.hold_code_id in inv.MAPPED_CODES for la in layers)
            resold = view.status == BOOKED and unheld
            if resold and self.traffic._act(
                lambda: world.set_status(key, [label], RESALE), key, label
            ):
                self.counts["online_resales"] += 1
            return
        views = [v for v in world.object_views(key) if inv.open_to_public(v) and v.status == FREE]
        if not views:
            return
        label = self.rng.choice(views).object.label
        if self.traffic._act(lambda: world.book(key, [label]), key, label):
            self.booked.append((pid, label))
            self.counts["online_bookings"] += 1
            self._lock_if_locking(pid, label)

    def _lock_if_locking(self, pid: int, label: str) -> None:
        if pid in self.locking:
            seat = self.box.venue.seat_by_label(label).id
            self.box.tessitura_world.lock(pid, seat)
            self.locked.setdefault(pid, set()).add(seat)
            self.counts["seats_locked"] += 1

    def lock_writes(self, pids: tuple[int, ...]) -> None:
        """Lock the seats the write-back is about to write on ``pids`` (booked online without
        its code; its code alone on a seat free online), or, when there are none, a few booked
        ones, and from now on each seat a buyer books or frees there: another user's pending
        transaction, so that the write-back's POSTs are refused 409."""
        tess, world, venue = self.box.tessitura_world, self.box.seatsio_world, self.box.venue
        self.locking.update(pids)
        for pid in pids:
            key = venue.performance(pid).event_key
            due, booked = [], []
            for seat in venue.seats:
                codes = [la.hold_code_id for la in tess.layers(pid, seat.id)]
                status = world.object_view(key, seat.label).status
                if status in (BOOKED, RESALE):
                    booked.append(seat.id)
                if (status in (BOOKED, RESALE) and self.code not in codes) or (
                    status == FREE and codes == [self.code]
                ):
                    due.append(seat.id)
            chosen = due or self.rng.sample(booked, min(3, len(booked)))
            new = set(chosen) - self.locked.get(pid, set())
            if new:
                tess.lock(pid, *sorted(new))
                self.locked.setdefault(pid, set()).update(new)
                self.counts["seats_locked"] += len(new)

    def unlock(self) -> None:
        self.locking.clear()
        for pid, seats in self.locked.items():
            if seats:
                self.box.tessitura_world.unlock(pid, *sorted(seats))
        self.locked.clear()


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
        writeback = PROFILES[schedule.profile].writeback if schedule.profile in PROFILES else False
        if writeback and not knows("writeback", "mode"):
            outcome.violations.append(
                "the writeback profile needs the [writeback] config section (issue 26), which "
                "this checkout's config does not know"
            )
            return outcome
        config, table = chaos_config(config, folder, shared, writeback=writeback)
        configs, offsets = instance_configs(config, schedule.processes)
        seen = inv.Seen.start(box)
        if writeback:
            seen.writeback_code = WRITEBACK_CODE
        cutter = SessionCutter(shared) if shared else None
        daemons = Daemons(configs, folder)
        try:
            _play(schedule, box, config, table, daemons, seen, outcome, outputs, cutter, offsets)
        finally:
            if cutter is not None:
                cutter.stop()
            daemons.kill_all()
        for control in (box.seatsio_control, box.tessitura_control):
            outcome.hit.update(e.fault for e in control.log.entries if e.fault)
        if cutter is not None and cutter.cut_sessions:
            outcome.hit["store_session_terminated"] += cutter.cut_sessions
        outcome.violations += inv.final_checks(box, config, seen)
        outcome.violations += inv.crashes(daemons.exited)
        outcome.violations += inv.secrets_in([*daemons.logs, folder / "status.txt"])
        if outcome.violations:  # what the fakes saw, beside the daemons' logs, for the reader
            for name, control in (
                ("seatsio", box.seatsio_control),
                ("tessitura", box.tessitura_control),
            ):
                with (folder / f"requests-{name}.jsonl").open("w", encoding="utf-8") as f:
                    for e in control.log.entries:
                        f.write(json.dumps(dataclasses.asdict(e)) + "\n")
            (folder / "pauses.json").write_text(json.dumps(seen.paused), encoding="utf-8")
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
    cutter: SessionCutter | None = None,
    offsets: list[Path] | None = None,
) -> None:
    if not _wait(lambda: daemons.all_active() and inv.converged(box, config), WARM_UP_BOUND_S):
        outcome.violations.append(
            f"warm-up: not converged within {WARM_UP_BOUND_S:g} s before any fault"
        )
        return
    traffic = Traffic(box, random.Random(schedule.seed), seen)
    actors = Writeback(
        box, random.Random(f"{schedule.seed}-writeback"), seen, traffic, WRITEBACK_CODE
    )
    controls = {"seatsio": box.seatsio_control, "tessitura": box.tessitura_control}
    good_table = table.read_text(encoding="utf-8")
    #: (at, order, what, act), kept sorted: an act may plan another (a pause its resume)
    pending: list[tuple[float, int, str, Callable[[], None]]] = []
    order = iter(range(1 << 30))

    def fault_on(step: Step) -> Callable[[], None]:
        def go() -> None:
            controls[step.vendor].set_faults(Faults(**fault_settings(step, TIMEOUT_S)))
            # a spent daily for-sale limit lasts until its reset, after the window; a read hung
            # at its end hangs on after it
            extra = FOR_SALE_RESET_S if step.fault == "429_for_sale_daily" else 0.0
            if step.fault == HUNG_READ:
                extra = max(step.hang_s, 2 * TIMEOUT_S + 0.5)
            if step.fault == TESSITURA_WRITE_FAULT and step.variant == "hang_after_apply":
                extra = TIMEOUT_S + 0.5
            seen.fault(step.vendor, SYSTEM.monotonic(), step.duration_s + extra)

        return go

    def later(at: float, what: str, act: Callable[[], None]) -> None:
        bisect.insort(pending, (at, next(order), what, act), key=lambda p: (p[0], p[1]))

    def targets(instance: int) -> list[int]:
        """The instances a process fault names (:data:`EVERY`: all) that this run has."""
        count = len(daemons.procs)
        return list(range(count)) if instance == EVERY else [i for i in [instance] if i < count]

    #: what happens once everything converged after the faults (a partner lets its seats go)
    after_calm: list[Callable[[], None]] = []
    for step in schedule.steps:
        if step.kind == "fault" and step.fault != TESSITURA_WRITE_FAULT:
            later(step.at_s, "fault", fault_on(step))
            later(step.at_s + step.duration_s, "clear", controls[step.vendor].clear_faults)
        elif step.kind == "fault" and step.fault == TESSITURA_WRITE_FAULT:
            later(step.at_s, "write fault", fault_on(step))
            later(step.at_s + step.duration_s, "clear", controls[step.vendor].clear_faults)
            if step.variant == "409_locked":
                # locked again and again: the seats due change as the buyers and the bridge act
                ticks = max(1, int(step.duration_s / LOCK_EVERY_S))
                for k in range(ticks):
                    at = step.at_s + k * LOCK_EVERY_S
                    later(at, "lock", _on(actors.lock_writes, step.performances))
                later(step.at_s + step.duration_s, "unlock", actors.unlock)
        elif step.kind == "office_layers" or step.kind == "online_buyers":
            mover = actors.office if step.kind == "office_layers" else actors.buyer
            for k in range(step.moves):
                at = step.at_s + step.duration_s * k / step.moves
                later(at, step.kind, _on(mover, step.performances))
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
                if s.instance >= len(daemons.procs):
                    return
                seen.signalled.add(daemons.procs[s.instance].pid)
                daemons.signal(s.instance, g, s.duration_s, SYSTEM.monotonic())

            later(step.at_s, step.kind, send)
        elif step.kind == "edit_valid":
            later(step.at_s, "edit", lambda: _write(table, good_table + VALID_ROW))
        elif step.kind == "edit_invalid":
            later(step.at_s, "edit", lambda: _write(table, good_table + INVALID_ROW))
            later(step.at_s + step.duration_s, "undo", lambda: _write(table, good_table))
        elif step.kind == "pause":

            def freeze(s: Step = step) -> None:
                i = daemons.writer() if s.instance == EVERY else s.instance
                if i >= len(daemons.procs):  # a replay with fewer instances
                    outcome.skipped["pause"] += 1
                    return
                pid = daemons.pause(i)
                if pid is None:  # not running (killed, restarting): nothing to freeze
                    return
                now = SYSTEM.monotonic()
                seen.fault("pause", now, s.duration_s)
                seen.paused.append((pid, now, now + s.duration_s))
                later(s.at_s + s.duration_s, "resume", lambda: daemons.resume(pid))

            later(step.at_s, "pause", freeze)
        elif step.kind == "store_loss":
            if cutter is None:  # a replay on SQLite: no sessions to lose
                outcome.skipped["store_loss"] += 1
                continue

            def cut(s: Step = step, c: SessionCutter = cutter) -> None:
                def pids() -> list[int]:
                    procs = [daemons.procs[i] for i in targets(s.instance)]
                    return [p.pid for p in procs if p.poll() is None]

                now = SYSTEM.monotonic()
                if s.duration_s > 0:
                    c.cut_for(pids, s.duration_s)
                else:
                    c.cut(pids())
                seen.fault("store", now, s.duration_s + SESSION_BACK_S)
                seen.sessions_cut.append((now, now + s.duration_s + SESSION_BACK_S))

            later(step.at_s, "store loss", cut)
        elif step.kind == "clock_step":
            if offsets is None:  # this checkout's config has no clock offset yet
                outcome.skipped["clock_step"] += 1
                continue

            def step_clock(
                s: Step, value: float, files: list[Path] = offsets
            ) -> Callable[[], None]:
                def go() -> None:
                    for i in targets(s.instance):
                        _write(files[i], f"{value:g}\n")

                return go

            later(step.at_s, "clock step", step_clock(step, step.offset_s))
            if step.duration_s > 0:
                later(step.at_s + step.duration_s, "clock back", step_clock(step, 0.0))
        elif step.kind == "store_removed":
            if schedule.instances > 1:  # a replay on PostgreSQL: no file to remove
                outcome.skipped["store_removed"] += 1
                continue
            moved: list[tuple[Path, Path]] = []

            def repair(moved: list[tuple[Path, Path]] = moved) -> None:
                def put_back() -> None:
                    put_back_store(store_path(config), moved)
                    seen.store_gone = False

                daemons.stop_then(put_back, SYSTEM.monotonic(), RESTORE_STOP_BOUND_S)

            def remove(
                s: Step = step, moved: list[tuple[Path, Path]] = moved, waited: float = 0.0
            ) -> None:
                # An instance still starting would open whatever is at the path after it went
                # (an empty file: a fresh store), and putting the old file back then rolls the
                # store back past that instance's writes, which no bridge can tell: out of scope.
                # The file goes once every instance has its role, as an operator's accident would.
                if not daemons.all_active():
                    if waited >= REMOVE_WAIT_BOUND_S:
                        outcome.skipped["store_removed"] += 1
                        return
                    at = SYSTEM.monotonic() - started + STORE_SETTLE_POLL_S
                    later(
                        at,
                        "store removed",
                        lambda: remove(s, moved, waited + STORE_SETTLE_POLL_S),
                    )
                    return
                daemons.writer()  # known before the file goes
                moved += remove_store(store_path(config), s.variant == "replace")
                daemons.held = True
                seen.store_gone = True
                seen.fault("store", SYSTEM.monotonic(), s.duration_s)
                at = SYSTEM.monotonic() - started + s.duration_s
                later(at, "store put back", lambda: repair(moved))

            later(step.at_s, "store removed", remove)
        elif step.kind == "for_sale_spent":
            rng = random.Random(f"{schedule.seed}-{step.kind}-{step.at_s}")

            def spend(s: Step = step, rng: random.Random = rng) -> None:
                pid = s.performances[0]
                outcome.hit["for_sale_edits_spent_by_others"] += spend_for_sale_edits(
                    box, box.venue.performance(pid).event_key
                )
                for i in range(s.moves):
                    at = s.at_s + s.duration_s * (i + 1) / s.moves
                    later(
                        at,
                        "kill",
                        lambda: _count(outcome, "kills_after_spent", traffic.kill(pid, rng)),
                    )

            later(step.at_s, "for-sale edits spent", spend)
        elif step.kind == "holds_vanish":

            def vanish(s: Step = step) -> None:
                now = SYSTEM.monotonic()
                gone = [
                    Override(rf"/Performances/{pid}/Seats/Holds$", {}, method="GET", answer=[])
                    for pid in s.performances
                ]
                for pid, o in zip(s.performances, gone, strict=True):
                    box.tessitura_control.add_override(o)
                    seen.blinded(pid, now, s.duration_s)

                def back() -> None:
                    for o in gone:
                        box.tessitura_control.remove_override(o)
                    outcome.hit["holds_answers_emptied"] += emptied_answers(
                        box, s.performances, now
                    )

                later(s.at_s + s.duration_s, "holds back", back)

            later(step.at_s, "holds vanish", vanish)
        elif step.kind == "partner_grab":
            rng = random.Random(f"{schedule.seed}-{step.kind}-{step.at_s}")

            def grab(s: Step = step, rng: random.Random = rng) -> None:
                pid = s.performances[0]
                key = box.venue.performance(pid).event_key
                labels = partner_grab(box, pid, s.moves, rng)
                if not labels:
                    outcome.skipped["partner_grab"] += 1
                    return
                seen.buyer_freed.update((key, label) for label in labels)
                outcome.hit["partner_grabbed_seats"] += len(labels)

                def let_go() -> None:
                    box.seatsio_world.remove_channel_objects(key, PARTNER_CHANNEL, labels)

                if s.duration_s == 0:
                    after_calm.append(let_go)
                else:
                    later(s.at_s + s.duration_s, "partner lets go", let_go)

            later(step.at_s, "partner grab", grab)

    started = SYSTEM.monotonic()
    next_sample = started
    while True:
        now = SYSTEM.monotonic()
        t = now - started
        while pending and pending[0][0] <= t:
            pending.pop(0)[3]()
        daemons.tick(now)
        if now >= next_sample:
            outcome.violations += seen.sample(box, config, now, daemons.down, daemons.restart_at)
            outcome.samples += 1
            next_sample = now + SAMPLE_S
        if t >= schedule.chaos_s and not pending and not daemons.stopping:
            break
        time.sleep(0.02)

    if cutter is not None:
        cutter.stop()
    for f in offsets or ():
        _write(f, "0\n")
    # the faults stop: everything back up, then convergence within the bound
    for control in controls.values():
        control.clear_faults()
    box.tessitura_control.clear_overrides()
    actors.unlock()
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
        for act in after_calm:
            act()
        if after_calm and not _wait(settled, CONVERGE_BOUND_S):
            outcome.violations.append(
                f"not converged within {CONVERGE_BOUND_S:g} s after the partner let its seats "
                "go: " + "; ".join(inv.pending(box, seen)[:5])
            )
    else:
        outcome.violations.append(
            f"not converged within {CONVERGE_BOUND_S:g} s after the faults stopped: "
            + "; ".join(inv.pending(box, seen)[:5])
        )
    outcome.hit.update(actors.counts)
    if seen.writeback_code is not None:
        posts = [
            e
            for e in box.tessitura_control.log.entries
            if e.method == "POST" and e.path.endswith("/Seats/Holds")
        ]
        outcome.hit["writeback_posts"] += len(posts)
        outcome.hit["writeback_posts_refused_409"] += sum(1 for e in posts if e.status == 409)
        refused = box.tessitura_world.sold_seat_refusals[seen.writeback_code]
        outcome.hit["writeback_lines_refused_on_sold_seats"] += refused
        outcome.hit["box_office_layers_missing_then_back"] += seen.office_restored
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


def _on(act: Callable[[tuple[int, ...]], None], pids: tuple[int, ...]) -> Callable[[], None]:
    """``act`` on ``pids``, to be done later."""
    return lambda: act(pids)


def _count(outcome: Outcome, what: str, n: int) -> None:
    outcome.hit[what] += n


#: How many restricting for-sale edits someone else makes at most (seats.io allows 10 a day).
SPEND_AT_MOST = 50


def spend_for_sale_edits(box: Sandbox, key: str) -> int:
    """Someone else (the Event Manager, another integration) spends the day's restricting
    for-sale edits of event ``key``: one free seat nobody holds marked not for sale again and
    again until seats.io refuses, then for sale again (that never counts), as it was; how many
    edits it took."""
    world, tess = box.seatsio_world, box.tessitura_world
    pid = next(p.id for p in box.venue.performances if p.event_key == key)
    held = tess.held_seats(pid)
    label = next(
        s.label
        for s in box.venue.seats
        if s.id not in held and inv.open_to_public(world.object_view(key, s.label))
    )
    spent = 0
    for _ in range(SPEND_AT_MOST):
        try:
            world.edit_for_sale_config(key, not_for_sale=[ForSaleItem(label)])
        except SeatsioApiError:
            break
        spent += 1
    world.edit_for_sale_config(key, for_sale=[ForSaleItem(label)])
    return spent


def emptied_answers(box: Sandbox, pids: tuple[int, ...], since: float) -> int:
    """Holds answers of ``pids`` Tessitura gave as ``[]`` since ``since`` (its request log)."""
    paths = tuple(f"/Performances/{pid}/Seats/Holds" for pid in pids)
    return sum(
        1
        for e in box.tessitura_control.log.entries
        if e.method == "GET" and e.started >= since and e.status == 200 and e.path.endswith(paths)
    )


def partner_grab(box: Sandbox, pid: int, count: int, rng: random.Random) -> list[str]:
    """The partner's channel of ``pid`` takes up to ``count`` seats Tessitura holds with a mapped
    code there (not booked, not in the partner's channel already), those in the bridge's
    channels first (they become buyable to the partner's buyers; a kill or a status stays
    unbuyable anyway); their labels."""
    world, tess, venue = box.seatsio_world, box.tessitura_world, box.venue
    key = venue.performance(pid).event_key
    held = [
        seat
        for seat, layers in sorted(tess.held_seats(pid).items())
        if any(layer.hold_code_id in inv.MAPPED_CODES for layer in layers)
    ]
    channelled: list[str] = []
    others: list[str] = []
    for seat in held:
        view = world.object_view(key, venue.seat(seat).label)
        if view.status != BOOKED and view.channel != PARTNER_CHANNEL:
            into = channelled if view.channel in inv.BRIDGE_CHANNELS else others
            into.append(view.object.label)
    taken = rng.sample(channelled, min(count, len(channelled)))
    taken += rng.sample(others, min(count - len(taken), len(others)))
    if taken:
        world.add_channel_objects(key, PARTNER_CHANNEL, taken)
    return taken


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


_SQLITE_FILES = ("", "-wal", "-shm")


def remove_store(path: Path, replace: bool) -> list[tuple[Path, Path]]:
    """The SQLite store at ``path`` gone from under its daemons (moved aside, so the operator can
    put it back, which a daemon holding it open cannot tell from a deletion), and with
    ``replace`` an empty file in its place; (where it was, where it is now) of each file."""
    moved = []
    for suffix in _SQLITE_FILES:
        src = Path(f"{path}{suffix}")
        if src.exists():
            dst = path.with_name(f"removed-{path.name}{suffix}")
            os.replace(src, dst)
            moved.append((src, dst))
    if replace:
        path.write_bytes(b"")
    return moved


def put_back_store(path: Path, moved: list[tuple[Path, Path]]) -> None:
    """The operator's repair: whatever is at ``path`` now goes, the moved store comes back."""
    for suffix in _SQLITE_FILES:
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    for src, dst in moved:
        os.replace(dst, src)


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
