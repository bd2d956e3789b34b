"""seats.io's concurrency lanes: 100 requests in flight on the priority lane, 10 on the regular one.

:func:`lane_of` classifies a request as the docs' banners do (status changes, object infos and
hold tokens are priority; everything else, channels, for-sale, seasons, events, reports and
status-change listings included, is regular). :class:`LaneGate` counts requests in flight per
secret key and lane from the moment they arrive until their answer is sent, and marks the ones
over the limit; the API handler answers those with 429 after routing, so the sandbox request log
still shows which endpoint was refused. The gate sits outside the control middleware, so
injected latency and hangs keep a slot busy exactly as a slow server would.

The refusal (:func:`lane_refusal`) is what the docs ("rate limit") describe and nothing more:
status 429, the documented error body, no ``Retry-After`` and no rate-limit info. Only the daily
for-sale limit carries those (:mod:`bridge.sandbox.seatsio_forsale`), so they are what tells the
two 429s apart.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping

from starlette.types import ASGIApp, Receive, Scope, Send

from bridge.sandbox.control import CONTROL_PREFIX
from bridge.sandbox.seatsio_errors import TOO_MANY_CONCURRENT_REQUESTS, SeatsioApiError

PRIORITY = "priority"
REGULAR = "regular"
LIMITS: Mapping[str, int] = {PRIORITY: 100, REGULAR: 10}
#: Set on the ASGI scope of a request the gate refused; the value is the lane.
REFUSED = "seatsio.lane_refused"

_PRIORITY_ROUTES = (
    (
        "POST",
        re.compile(
            r"^/events/[^/]+/actions/(change-object-status|book|release|hold|put-up-for-resale)$"
        ),
    ),
    ("POST", re.compile(r"^/events/actions/change-object-status$")),
    ("GET", re.compile(r"^/events/[^/]+/objects$")),
    (None, re.compile(r"^/hold-tokens(/[^/]+)?$")),
)


def lane_refusal(lane: str) -> SeatsioApiError:
    """The 429 for a request past its lane's limit: no Retry-After, no rate-limit info."""
    return SeatsioApiError(
        429,
        TOO_MANY_CONCURRENT_REQUESTS,
        f"Too many concurrent requests on the {lane} lane (at most {LIMITS[lane]})",
    )


def lane_of(scope: Scope) -> str | None:
    """The lane of an API request (None for the sandbox's own routes)."""
    if scope.get("type") != "http":
        return None
    path: str = scope["path"]
    if path.startswith(CONTROL_PREFIX):
        return None
    method = scope["method"]
    for wanted, pattern in _PRIORITY_ROUTES:
        if (wanted is None or wanted == method) and pattern.match(path):
            return PRIORITY
    return REGULAR


class LaneGate:
    """Counts requests in flight per (secret key, lane) and marks those past the lane's limit."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        key_of: Callable[[Scope], str | None],
        limits: Mapping[str, int] = LIMITS,
    ) -> None:
        self.app = app
        self.key_of = key_of
        self.limits = dict(limits)
        self.in_flight: Counter[tuple[str, str]] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        lane = lane_of(scope)
        key = self.key_of(scope) if lane else None
        if lane is None or key is None:
            await self.app(scope, receive, send)
            return
        slot = (key, lane)
        self.in_flight[slot] += 1
        if self.in_flight[slot] > self.limits[lane]:
            scope[REFUSED] = lane
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight[slot] -= 1
