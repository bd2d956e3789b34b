"""Concurrency lanes shared by every client that uses one seats.io secret key.

seats.io limits concurrent requests per account: 100 on the priority lane, 10 on the regular lane,
and answers 429 beyond that. Limits held by one client instance would not add up across instances, so
lanes live in a registry keyed by (base URL, SHA-256 of the secret key) or by an explicit account
name, per event loop. Two clients with the same key therefore queue behind the same semaphores.

Scope: one process and one event loop. Instances in other processes (other hosts too) share a
budget only through a :data:`SharedBudget`, which a shared state store provides (PostgreSQL:
``bridge.store.postgres``): a request then also holds one of the account's slots there, so N
instances together keep no more requests in flight than one would. Without one, give each
process smaller limits so that their sum stays under seats.io's.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bridge.errors import ConfigError


class Lane(StrEnum):
    """The seats.io rate-limit lane a call is counted in."""

    PRIORITY = "priority"
    REGULAR = "regular"


@dataclass(frozen=True, slots=True)
class LaneLimits:
    """How many requests the bridge keeps in flight per lane; defaults stay well under 100/10."""

    priority: int = 20
    regular: int = 4

    def __post_init__(self) -> None:
        if self.priority < 1 or self.regular < 1:
            raise ConfigError(f"seats.io lane limits must be at least 1, got {self}")

    def of(self, lane: Lane) -> int:
        return self.priority if lane is Lane.PRIORITY else self.regular


class SharedSlots(Protocol):
    """An account-wide budget of requests in flight on one lane, drawn on by other processes too."""

    limit: int

    def try_take(self) -> int | None:
        """A free slot, or None when every one is taken (by any process)."""
        ...

    def give(self, slot: int) -> None:
        """Free a slot taken with :meth:`try_take`."""
        ...


#: Builds the shared budget of (account, lane, limit); None when nothing is shared.
SharedBudget = Callable[[str, "Lane", int], SharedSlots | None]

#: How long a request waits, at first and at most, before asking the shared budget again.
_SHARED_WAIT_S = (0.002, 0.05)


class Slot:
    """A request's hold on its lane; :meth:`linger` keeps it held a while after the request."""

    def __init__(self) -> None:
        self.linger_s = 0.0

    def linger(self, seconds: float) -> None:
        """Keep the slot ``seconds`` after the request left it: a request that timed out may
        still be running at seats.io, which counts it against the account until it ends."""
        self.linger_s = max(self.linger_s, seconds)


class LaneGate:
    """A semaphore for one lane that also records how many requests are in flight at most.

    With ``shared`` a request also holds a slot of the account-wide budget, taken after the local
    semaphore (so a process never asks for more slots than its own limit) and polled with a short
    jittered backoff while other processes hold them all.
    """

    def __init__(self, limit: int, shared: SharedSlots | None = None) -> None:
        self.limit = limit
        self.shared = shared
        self._semaphore = asyncio.Semaphore(limit)
        self.in_flight = 0
        self.peak_in_flight = 0
        #: times a request found the shared budget spent and waited
        self.shared_waits = 0
        self._lingering: set[asyncio.Task[None]] = set()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[Slot]:
        await self._semaphore.acquire()
        try:
            taken = None if self.shared is None else await self._take_shared(self.shared)
        except BaseException:
            self._semaphore.release()
            raise
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        held = Slot()
        try:
            yield held
        finally:
            self.in_flight -= 1
            if held.linger_s > 0:
                task = asyncio.get_running_loop().create_task(self._free_later(held, taken))
                self._lingering.add(task)
                task.add_done_callback(self._lingering.discard)
            else:
                self._free(taken)

    async def settled(self) -> None:
        """Wait until every slot kept for a request the server may still run is given back."""
        await asyncio.gather(*self._lingering)

    async def _free_later(self, held: Slot, taken: int | None) -> None:
        try:
            await asyncio.sleep(held.linger_s)
        finally:
            self._free(taken)

    def _free(self, taken: int | None) -> None:
        self._semaphore.release()
        if self.shared is not None and taken is not None:
            # a failure here means the store's session is gone, and its slots with it
            with contextlib.suppress(Exception):
                self.shared.give(taken)

    async def _take_shared(self, shared: SharedSlots) -> int:
        wait, cap = _SHARED_WAIT_S
        while True:
            slot = shared.try_take()
            if slot is not None:
                return slot
            self.shared_waits += 1
            await asyncio.sleep(wait * random.uniform(0.5, 1.5))
            wait = min(wait * 2, cap)


class AccountLanes:
    """The two lanes of one seats.io account (``account`` names it to a shared budget)."""

    def __init__(
        self, limits: LaneLimits, account: str = "", budget: SharedBudget | None = None
    ) -> None:
        self.limits = limits
        self._gates = {
            lane: LaneGate(
                limits.of(lane),
                None if budget is None else budget(account, lane, limits.of(lane)),
            )
            for lane in Lane
        }

    def gate(self, lane: Lane) -> LaneGate:
        return self._gates[lane]


_registry: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, weakref.WeakValueDictionary[tuple[str, str], AccountLanes]
] = weakref.WeakKeyDictionary()


def account_id(base_url: str, secret_key: str, account: str | None = None) -> tuple[str, str]:
    """The registry key: never the secret itself, only a digest of it."""
    if account is not None:
        return ("account", account)
    digest = hashlib.sha256(secret_key.encode()).hexdigest()
    return (base_url.rstrip("/"), digest)


def shared_lanes(
    key: tuple[str, str], limits: LaneLimits, budget: SharedBudget | None = None
) -> AccountLanes:
    """The lanes of an account in the running loop, created on first use with ``limits``.

    A second client asking for different limits for the same account is a configuration error:
    silently keeping either set would hide that the operator's setting is not in force.
    """
    loop = asyncio.get_running_loop()
    per_loop = _registry.setdefault(loop, weakref.WeakValueDictionary())
    lanes = per_loop.get(key)
    if lanes is None:
        lanes = AccountLanes(limits, "|".join(key), budget)
        per_loop[key] = lanes
    elif lanes.limits != limits:
        raise ConfigError(
            f"seats.io lane limits {limits} differ from {lanes.limits} already in use for the "
            "same secret key; configure one set of limits per account"
        )
    return lanes
