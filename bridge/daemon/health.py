"""What keeps the daemon's probes honest when the store or its own loop stalls.

A synchronous store call that hangs (a frozen PostgreSQL, a stuck disk) must not take /healthz
and /readyz with it. So the store is probed in a thread of its own, under a timeout, one probe
at a time (:class:`StoreProbe`); the event loop beats a heartbeat (:class:`LoopBeat`) that the
HTTP server, on its own thread, reads to tell a stalled loop from a working one; and
:func:`in_thread` runs any other blocking call the same way for a page that must not hang.

Threads here are daemon threads, never an executor's: a call that never returns must not keep
the process from exiting.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import structlog

from bridge.clock import SYSTEM, Clock
from bridge.errors import BridgeError
from bridge.store.base import Health, StoreGoneError

__all__ = [
    "LOOP_STALL_S",
    "STORE_TIMEOUT_S",
    "LoopBeat",
    "StoreProbe",
    "StoreVerdict",
    "in_thread",
]

log = structlog.get_logger("seatbridge.daemon")

T = TypeVar("T")

#: How long the store may take to answer a probe (or a page's read) before it counts as down.
STORE_TIMEOUT_S = 2.0
#: How long the event loop may go without a beat before /healthz calls the process stuck:
#: longer than the synchronous store calls may legitimately block it (SQLite's 5 s busy timeout,
#: the PostgreSQL pool's 10 s wait for a connection), so a busy store does not get the process
#: restarted, while a frozen one (calls hang until TCP keepalives give up) does.
LOOP_STALL_S = 15.0
#: How often the loop beats.
BEAT_EVERY_S = 0.5


async def in_thread(call: Callable[[], T], timeout_s: float, what: str) -> T:
    """``call()`` in a daemon thread; its result, or a :class:`TimeoutError` naming ``what``
    after ``timeout_s`` (the call goes on in its thread, its result dropped)."""
    done: concurrent.futures.Future[T] = concurrent.futures.Future()

    def work() -> None:
        if not done.set_running_or_notify_cancel():
            return
        try:
            done.set_result(call())
        except BaseException as exc:
            done.set_exception(exc)

    threading.Thread(target=work, name=f"seatbridge {what}", daemon=True).start()
    try:
        return await asyncio.wait_for(asyncio.wrap_future(done), timeout_s)
    except TimeoutError:
        raise TimeoutError(f"{what} did not answer within {timeout_s:g} s") from None


@dataclass(frozen=True, slots=True)
class StoreVerdict:
    """What the last store probe found: ``problem`` None when the store answered; ``gone`` when
    the store is not the one opened any more (see :class:`~bridge.store.base.StoreGoneError`)."""

    problem: str | None = None
    gone: bool = False


class StoreProbe:
    """The store's health, probed off the event loop (see the module docstring).

    :meth:`probe` starts a probe unless one is still running, and waits for it up to
    ``timeout_s``; :meth:`verdict` is readable from any thread at any time: a probe running
    longer than ``timeout_s`` counts as "did not answer", whether anyone waits for it or not."""

    def __init__(self, timeout_s: float = STORE_TIMEOUT_S, *, clock: Clock = SYSTEM) -> None:
        self.timeout_s = timeout_s
        self.clock = clock
        self._lock = threading.Lock()
        self._last = StoreVerdict()
        self._running: concurrent.futures.Future[StoreVerdict] | None = None
        self._started = 0.0
        #: set when a wait for the running probe ran out: it did not answer in time
        self._overdue = False

    def verdict(self) -> StoreVerdict:
        with self._lock:
            running, started, last = self._running, self._started, self._last
            overdue = self._overdue
        if last.gone:
            return last
        late = overdue or self.clock.monotonic() - started > self.timeout_s
        if running is not None and not running.done() and late:
            return StoreVerdict(f"the state store did not answer within {self.timeout_s:g} s")
        return last

    async def probe(self, store: Health) -> StoreVerdict:
        """Probe ``store`` (or wait on the probe already running) for at most ``timeout_s``."""
        with self._lock:
            running = self._running
            if running is None or running.done():
                running = self._running = concurrent.futures.Future()
                self._started = self.clock.monotonic()
                self._overdue = False
                threading.Thread(
                    target=self._check,
                    args=(store, running),
                    name="seatbridge store probe",
                    daemon=True,
                ).start()
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(running)), self.timeout_s)
        except TimeoutError:
            with self._lock:
                self._overdue = running is self._running
        return self.verdict()

    def _check(self, store: Health, running: concurrent.futures.Future[StoreVerdict]) -> None:
        try:
            store.check_alive(self.timeout_s)
            found = StoreVerdict()
        except StoreGoneError as exc:
            found = StoreVerdict(str(exc), gone=True)
        except BridgeError as exc:
            found = StoreVerdict(str(exc))
        except Exception as exc:  # whatever the driver raises: not an answer
            found = StoreVerdict(f"the state store failed a probe: {exc}")
        with self._lock:
            if not self._last.gone:  # gone stays gone: the process must restart
                self._last = found
        running.set_result(found)


class LoopBeat:
    """The event loop's heartbeat: :meth:`run` beats every :data:`BEAT_EVERY_S` on the loop,
    :meth:`stalled_s` (any thread) says how long it has been silent beyond :data:`LOOP_STALL_S`
    (0 while it beats)."""

    def __init__(self, *, clock: Clock = SYSTEM, stall_s: float = LOOP_STALL_S) -> None:
        self.clock = clock
        self.stall_s = stall_s
        self._last: float | None = None

    def beat(self) -> None:
        self._last = self.clock.monotonic()

    async def run(self) -> None:
        while True:
            self.beat()
            await asyncio.sleep(BEAT_EVERY_S)

    def stalled_s(self) -> float:
        """Seconds since the last beat when more than the stall limit, else 0 (also before the
        first beat: a loop that has not started beating is starting, not stuck)."""
        last = self._last
        if last is None:
            return 0.0
        silent = self.clock.monotonic() - last
        return silent if silent > self.stall_s else 0.0


async def on_loop(loop: asyncio.AbstractEventLoop | None, call: Callable[[], Awaitable[T]]) -> T:
    """``call()`` awaited on ``loop`` (at once when that is this loop or None): the HTTP server
    runs on a thread of its own, and the daemon's state and schedule live on its loop; a
    caller's timeout cancels it there too."""
    try:
        here = asyncio.get_running_loop()
    except RuntimeError:
        here = None
    if loop is None or loop is here:
        return await call()

    async def awaited() -> T:
        return await call()

    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(awaited(), loop))
