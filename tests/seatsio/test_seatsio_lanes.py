"""Concurrency lanes: per-lane limits hold, and are shared by every client of one secret key."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import httpx
import pytest
from seatsio_mock import SECRET, MakeClient, ok
from seatsio_payloads import EVENT, object_info

from bridge.errors import ConfigError
from bridge.seatsio import LaneLimits, StatusChangeRequest


class Gauge:
    """An async handler that counts requests in flight per path kind, and their peak."""

    def __init__(self, delay_s: float = 0.01) -> None:
        self.delay_s = delay_s
        self.in_flight: dict[str, int] = {"priority": 0, "regular": 0}
        self.peak: dict[str, int] = {"priority": 0, "regular": 0}

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        lane = "priority" if "change-object-status" in request.url.path else "regular"
        self.in_flight[lane] += 1
        self.peak[lane] = max(self.peak[lane], self.in_flight[lane])
        try:
            await asyncio.sleep(self.delay_s)
        finally:
            self.in_flight[lane] -= 1
        if lane == "priority":
            return ok({"objects": {"A-1": object_info("A-1", "held")}})
        return ok(EVENT)


async def test_each_lane_keeps_at_most_its_limit_in_flight(make_client: MakeClient) -> None:
    gauge = Gauge()
    client, _ = make_client(gauge, lane_limits=LaneLimits(priority=5, regular=2))
    change = StatusChangeRequest.change_to("held", ["e1"], ["A-1"])
    calls: list[Coroutine[Any, Any, object]] = [client.events.retrieve("e1") for _ in range(12)]
    calls += [client.statuses.change(change) for _ in range(12)]
    await asyncio.gather(*calls)
    assert gauge.peak == {"priority": 5, "regular": 2}


async def test_two_clients_with_the_same_key_share_one_limit(make_client: MakeClient) -> None:
    gauge = Gauge()
    limits = LaneLimits(priority=5, regular=3)
    first, _ = make_client(gauge, lane_limits=limits)
    second, _ = make_client(gauge, lane_limits=limits)
    await asyncio.gather(*(c.events.retrieve("e1") for c in [first, second] * 8))
    assert gauge.peak["regular"] == 3


async def test_clients_with_different_keys_have_their_own_lanes(make_client: MakeClient) -> None:
    gauge = Gauge()
    limits = LaneLimits(priority=5, regular=2)
    first, _ = make_client(gauge, lane_limits=limits)
    other, _ = make_client(gauge, lane_limits=limits, secret_key=SECRET + "-other")
    await asyncio.gather(*(c.events.retrieve("e1") for c in [first, other] * 6))
    assert gauge.peak["regular"] == 4


async def test_an_account_name_joins_the_lanes_of_different_keys(make_client: MakeClient) -> None:
    gauge = Gauge()
    limits = LaneLimits(priority=5, regular=2)
    first, _ = make_client(gauge, lane_limits=limits, account="venue-group")
    other, _ = make_client(gauge, lane_limits=limits, account="venue-group", secret_key="k2")
    await asyncio.gather(*(c.events.retrieve("e1") for c in [first, other] * 6))
    assert gauge.peak["regular"] == 2


async def test_two_clients_of_one_key_with_different_limits_are_refused(
    make_client: MakeClient,
) -> None:
    first, _ = make_client(Gauge(), lane_limits=LaneLimits(regular=2))
    second, _ = make_client(Gauge(), lane_limits=LaneLimits(regular=3))
    await first.events.retrieve("e1")
    with pytest.raises(ConfigError, match="lane limits"):
        await second.events.retrieve("e1")


async def test_waiting_for_a_lane_does_not_count_against_the_call_timeout(
    make_client: MakeClient,
) -> None:
    client, rec = make_client(
        Gauge(delay_s=0.04), lane_limits=LaneLimits(regular=1), timeout_s=0.15
    )
    await asyncio.gather(*(client.events.retrieve("e1") for _ in range(6)))
    assert len(rec.requests) == 6


async def test_stats_count_requests_per_endpoint_and_lane_and_retries(
    make_client: MakeClient,
) -> None:
    answers = iter([httpx.Response(503), ok(EVENT), ok(EVENT)])
    client, _ = make_client(lambda _: next(answers))
    await client.events.retrieve("e1")
    await client.events.retrieve("e2")
    assert client.stats.snapshot() == {
        "requests": {"GET /events/{key}": 3},
        "lanes": {"regular": 3},
        "retries": {"GET /events/{key}": 1},
        "throttled": {},
    }
