"""Several units' status and for-sale steps as one seats.io call.

Each unit plans and applies on its own, so a pass of a hundred standalone performances used to
make a hundred status changes and a hundred for-sale edits where seats.io takes one batch (one
transaction) and one multi-event edit. A :class:`WriteMerger` is shared by the units applying
together (a *wave* of the pass, see :mod:`bridge.reconcile.run`): a unit hands it a batched step
and waits; once every unit still in the wave is waiting (or done), the waiting steps of one kind
go out as one call.

What a unit sees does not change. Each unit journals, claims and checks its lease before handing
its step over, and gets back what its own call would have raised:

- the merged call succeeds: every unit's step is done;
- seats.io refuses it (a conflict, a refusal, a 429 the retries did not outlast): nothing landed
  (both calls are all or nothing), and each unit's step is sent again on its own, so one
  performance's refusal fails that performance alone, with its own answer;
- the outcome is unknown (a timeout after sending, a 5xx on a write): every unit's step is
  unknown, as its own call's would be; each unit re-observes on its next run;
- steps share a call only up to one request's objects (``max_objects_per_request``); a step
  larger than that goes alone, split by the client as before.

Units' events never overlap (a season travels with its events), so merged changes never meet.

Each unit's write fence (its lease, :func:`bridge.http.fenced`) is taken with its step: a merged
call goes out under all of its units' fences at once (:func:`bridge.http.all_of`), before every
attempt. When one refuses, the call is not sent and each step goes again alone under its own
fence: the unit whose lease is gone gets its refusal (not sent), the others go through. A flush
runs in whichever unit's task triggered it, so the fence is always set explicitly, never
inherited.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from bridge.core.plan_model import Operation, OpKind
from bridge.errors import ConflictError, RateLimitedError, TerminalError
from bridge.http import Fence, WriteFencedError, all_of, current_fence, fenced

#: One batched step as a unit's own call: what the merger falls back to, and how it merges.
Send = Callable[[Sequence[Operation]], Awaitable[None]]

#: Refusals: the merged call applied nowhere, so each step may go again alone (a fence's too:
#: it was not sent).
REFUSALS = (ConflictError, TerminalError, RateLimitedError, WriteFencedError)

#: A unit's step, the future that tells the unit its fate, and the unit's write fence.
_Waiting = tuple[Sequence[Operation], "asyncio.Future[None]", Fence | None]


def objects_in(ops: Sequence[Operation]) -> int:
    """Objects the step's call carries: each label once per event it goes to."""
    return sum(len(op.labels) * len(op.event_keys) for op in ops)


def _call_of(kind: OpKind) -> str:
    """Steps that can share a call: status changes and releases share a batch; for-sale edits
    that restrict and those that lift go apart (only the first spends the daily budget)."""
    return "status" if kind in (OpKind.CHANGE_STATUS, OpKind.RELEASE_STATUS) else kind.value


class WriteMerger:
    """See the module docstring. ``participants``: the units of the wave; each must call
    :meth:`leave` once, however it ends."""

    def __init__(self, send: Send, participants: int, objects_per_request: int) -> None:
        self._send = send
        self._participants = participants
        self._limit = objects_per_request
        self._waiting: list[_Waiting] = []
        self._flushes: set[asyncio.Task[None]] = set()
        self._aborted: BaseException | None = None

    async def send(self, ops: Sequence[Operation]) -> None:
        """Send one unit's batched step, with the others' when they are ready; raises what the
        unit's own call would have raised."""
        if self._aborted is not None:
            raise self._aborted
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((ops, done, current_fence()))
        self._maybe_flush()
        await done

    def leave(self) -> None:
        """One unit of the wave is done: it will hand over nothing more."""
        self._participants -= 1
        self._maybe_flush()

    def abort(self, exc: BaseException) -> None:
        """The pass ends (a unit met a ConfigError): nothing waiting goes out; each waiting
        unit, and any that hands a step over later, gets ``exc``."""
        self._aborted = exc
        waiting, self._waiting = self._waiting, []
        for _, done, _ in waiting:
            _settle(done, exc)

    async def close(self) -> None:
        """Stop any call still going out: the pass is over, its clients about to close."""
        for task in list(self._flushes):
            task.cancel()
        await asyncio.gather(*self._flushes, return_exceptions=True)

    def _maybe_flush(self) -> None:
        if self._aborted is not None:
            return
        # a cancelled unit's step stays unsent, as if it had been cancelled before handing it over
        self._waiting = [entry for entry in self._waiting if not entry[1].done()]
        if not self._waiting or len(self._waiting) < self._participants:
            return
        waiting, self._waiting = self._waiting, []
        task = asyncio.get_running_loop().create_task(self._flush(waiting))
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    async def _flush(self, waiting: list[_Waiting]) -> None:
        calls: dict[str, list[_Waiting]] = {}
        for entry in waiting:
            calls.setdefault(_call_of(entry[0][0].kind), []).append(entry)
        packs = [pack for entries in calls.values() for pack in _packed(entries, self._limit)]
        try:
            await asyncio.gather(*(self._one_call(pack) for pack in packs))
        except BaseException as exc:  # cancelled mid-flush: no waiting unit may hang
            for _, done, _ in waiting:
                _settle(done, exc)
            raise

    async def _one_call(self, entries: list[_Waiting]) -> None:
        if len(entries) == 1:
            await self._alone(*entries[0])
            return
        ops = [op for step, _, _ in entries for op in step]
        fences = [fence for _, _, fence in entries if fence is not None]
        try:
            with fenced(all_of(fences) if fences else None):
                await self._send(ops)
        except REFUSALS:
            await asyncio.gather(*(self._alone(*entry) for entry in entries))
            return
        except Exception as exc:  # unknown outcome, bad credentials: every step's fate alike
            for _, done, _ in entries:
                _settle(done, exc)
            return
        for _, done, _ in entries:
            _settle(done)

    async def _alone(
        self, step: Sequence[Operation], done: asyncio.Future[None], fence: Fence | None
    ) -> None:
        try:
            with fenced(fence):
                await self._send(step)
        except Exception as exc:
            _settle(done, exc)
        else:
            _settle(done)


def _packed(entries: list[_Waiting], limit: int) -> list[list[_Waiting]]:
    """Steps in the order they came, packed into calls of at most ``limit`` objects; a step
    larger than that on its own (the client splits it, as before)."""
    packs: list[list[_Waiting]] = []
    room = 0
    for entry in entries:
        size = objects_in(entry[0])
        if packs and size <= room:
            packs[-1].append(entry)
            room -= size
        else:
            packs.append([entry])
            room = limit - size
    return packs


def _settle(done: asyncio.Future[None], exc: BaseException | None = None) -> None:
    """Tell a waiting unit its step's fate, unless it stopped waiting (cancelled)."""
    if done.done():
        return
    if exc is None:
        done.set_result(None)
    else:
        done.set_exception(exc)
