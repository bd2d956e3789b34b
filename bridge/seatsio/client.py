"""The seats.io client the bridge uses: one object per secret key (and workspace), async.

::

    async with SeatsioClient("secret", region="eu") as seatsio:
        event = await seatsio.events.retrieve("perf-1234")
        await seatsio.channels.add_objects(event.key, "house-seats", ["A-1", "A-2"])

Calls are grouped like the official SDK (``events``, ``seasons``, ``channels``, ``statuses``,
``for_sale``, ``reports``). Every failure is a :mod:`bridge.errors` exception; nothing above this
package sees httpx. ``stats`` counts requests per endpoint and lane.
"""

from __future__ import annotations

import httpx

from bridge.clock import SYSTEM, Clock
from bridge.closing import AsyncClosing
from bridge.errors import ConfigError
from bridge.http import DEFAULT_MAX_ANSWER_BYTES, RetryPolicy
from bridge.seatsio.channels import ChannelsApi
from bridge.seatsio.chunking import SplitLimits
from bridge.seatsio.connection import Connection
from bridge.seatsio.events import EventsApi
from bridge.seatsio.for_sale import ForSaleApi
from bridge.seatsio.lanes import LaneLimits, SharedBudget
from bridge.seatsio.reports import ReportsApi
from bridge.seatsio.seasons import SeasonsApi
from bridge.seatsio.stats import CallStats
from bridge.seatsio.statuses import StatusesApi

REGIONS = frozenset({"eu", "na", "sa", "oc"})


def region_url(region: str) -> str:
    """The API base URL of a seats.io region."""
    if region not in REGIONS:
        raise ConfigError(f"unknown seats.io region {region!r}; use one of {sorted(REGIONS)}")
    return f"https://api-{region}.seatsio.net"


class SeatsioClient(AsyncClosing):
    """Async seats.io client: typed calls, shared concurrency lanes, safe retries.

    Give ``region`` or ``base_url`` (the sandbox, a proxy). ``timeout_s`` bounds every attempt;
    ``lane_limits`` are shared with every client of the same secret key (or ``account``) in this
    event loop, and through ``budget`` (a shared store's) with every instance on other hosts;
    ``split`` caps objects per request; ``transport`` replaces the network in tests;
    ``user_agent`` names the instance to the server (its request logs, its support); ``clock``
    times attempts and the retry budget (its monotonic time; also the default ``retry``'s).
    """

    def __init__(
        self,
        secret_key: str,
        *,
        region: str | None = None,
        base_url: str | None = None,
        workspace_key: str | None = None,
        timeout_s: float = 10.0,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
        lane_limits: LaneLimits | None = None,
        retry: RetryPolicy | None = None,
        split: SplitLimits | None = None,
        account: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        budget: SharedBudget | None = None,
        user_agent: str = "seatbridge",
        clock: Clock = SYSTEM,
    ) -> None:
        if not secret_key:
            raise ConfigError("the seats.io secret key is empty")
        if (region is None) == (base_url is None):
            raise ConfigError("give exactly one of a seats.io region or a base URL")
        if timeout_s <= 0:
            raise ConfigError(f"the seats.io timeout must be positive, got {timeout_s}")
        url = base_url if base_url is not None else region_url(region or "")
        #: how long one attempt may take here (seats.io may run it about as long again)
        self.timeout_s = timeout_s
        #: the largest answer read; a bigger one is malformed
        self.max_answer_bytes = max_answer_bytes
        self._conn = Connection(
            base_url=url,
            secret_key=secret_key,
            workspace_key=workspace_key,
            timeout_s=timeout_s,
            max_answer_bytes=max_answer_bytes,
            transport=transport,
            lane_limits=lane_limits,
            retry=retry,
            account=account,
            budget=budget,
            user_agent=user_agent,
            clock=clock,
        )
        split = split or SplitLimits()
        self.events = EventsApi(self._conn, split)
        self.seasons = SeasonsApi(self._conn, split)
        self.channels = ChannelsApi(self._conn, split)
        self.statuses = StatusesApi(self._conn, split)
        self.for_sale = ForSaleApi(self._conn, split)
        self.reports = ReportsApi(self._conn, split)

    def __repr__(self) -> str:
        return f"SeatsioClient(base_url={self.base_url!r})"

    @property
    def base_url(self) -> str:
        return self._conn.base_url

    @property
    def stats(self) -> CallStats:
        """Requests sent per endpoint and lane, retries and 429s, since creation or reset."""
        return self._conn.stats

    @property
    def lane_limits(self) -> LaneLimits:
        return self._conn.lane_limits

    async def aclose(self) -> None:
        await self._conn.aclose()
