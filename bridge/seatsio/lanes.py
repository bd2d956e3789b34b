"""Concurrency lanes shared by every client that uses one seats.io secret key.

seats.io limits concurrent requests per account: 100 on the priority lane, 10 on the regular lane,
and answers 429 beyond that. Limits held by one client instance would not add up across instances, so
lanes live in a registry keyed by (base URL, SHA-256 of the secret key) or by an explicit account
name, per event loop. Two clients with the same key therefore queue behind the same semaphores.

Scope: one process and one event loop. Instances in other processes or threads share nothing; give
them smaller limits so that their sum stays under seats.io's.
"""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum

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


class LaneGate:
    """A semaphore for one lane that also records how many requests are in flight at most."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._semaphore = asyncio.Semaphore(limit)
        self.in_flight = 0
        self.peak_in_flight = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._semaphore:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                yield
            finally:
                self.in_flight -= 1


class AccountLanes:
    """The two lanes of one seats.io account."""

    def __init__(self, limits: LaneLimits) -> None:
        self.limits = limits
        self._gates = {lane: LaneGate(limits.of(lane)) for lane in Lane}

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


def shared_lanes(key: tuple[str, str], limits: LaneLimits) -> AccountLanes:
    """The lanes of an account in the running loop, created on first use with ``limits``.

    A second client asking for different limits for the same account is a configuration error:
    silently keeping either set would hide that the operator's setting is not in force.
    """
    loop = asyncio.get_running_loop()
    per_loop = _registry.setdefault(loop, weakref.WeakValueDictionary())
    lanes = per_loop.get(key)
    if lanes is None:
        lanes = AccountLanes(limits)
        per_loop[key] = lanes
    elif lanes.limits != limits:
        raise ConfigError(
            f"seats.io lane limits {limits} differ from {lanes.limits} already in use for the "
            "same secret key; configure one set of limits per account"
        )
    return lanes
