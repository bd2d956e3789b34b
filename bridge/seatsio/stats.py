"""Counts of what a client sent, per endpoint and per lane, for benchmarks and metrics."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class CallStats:
    """HTTP requests sent (every attempt counts), retries, and 429s received.

    Endpoints are named by method and path template (``"POST /events/{key}/channels"``) so the
    counts do not grow with the number of events.
    """

    requests: Counter[str] = field(default_factory=Counter)
    lanes: Counter[str] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    throttled: Counter[str] = field(default_factory=Counter)

    def sent(self, endpoint: str, lane: str) -> None:
        self.requests[endpoint] += 1
        self.lanes[lane] += 1

    def retried(self, endpoint: str) -> None:
        self.retries[endpoint] += 1

    def rate_limited(self, endpoint: str) -> None:
        self.throttled[endpoint] += 1

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def snapshot(self) -> dict[str, dict[str, int]]:
        """A plain copy, safe to serialise or compare after more calls are made."""
        return {
            "requests": dict(self.requests),
            "lanes": dict(self.lanes),
            "retries": dict(self.retries),
            "throttled": dict(self.throttled),
        }

    def reset(self) -> None:
        for counter in (self.requests, self.lanes, self.retries, self.throttled):
            counter.clear()
