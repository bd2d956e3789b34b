"""Concurrency lanes and the /_sandbox/ control surface of the fake seats.io."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from seatsio_fixtures import venue
from starlette.applications import Starlette

from bridge.sandbox import SEATSIO_SECRET_KEY
from bridge.sandbox.seatsio_app import create_seatsio_app
from bridge.sandbox.seatsio_lanes import lane_of
from bridge.sandbox.seatsio_world import SeatsioWorld

FAMILY = "perf-203"
A1 = "Orchestra-A-1"


@pytest.fixture
def app() -> Starlette:
    return create_seatsio_app(venue())


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://s", auth=(SEATSIO_SECRET_KEY, "")
    ) as client:
        yield client


def _lane(method: str, path: str) -> str | None:
    return lane_of({"type": "http", "method": method, "path": path})


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/events/e1/actions/change-object-status"),
        ("POST", "/events/e1/actions/book"),
        ("POST", "/events/e1/actions/release"),
        ("POST", "/events/e1/actions/hold"),
        ("POST", "/events/groups/actions/change-object-status"),
        ("POST", "/events/actions/change-object-status"),
        ("GET", "/events/e1/objects"),
        ("POST", "/hold-tokens"),
        ("GET", "/hold-tokens/abc"),
    ],
)
def test_status_changes_object_infos_and_hold_tokens_are_priority_lane(
    method: str, path: str
) -> None:
    assert _lane(method, path) == "priority"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/events/e1/channels"),
        ("POST", "/events/e1/channels/replace"),
        ("DELETE", "/events/e1/channels/ck/objects"),
        ("POST", "/events/e1/actions/edit-for-sale-config"),
        ("POST", "/events/actions/edit-for-sale-config"),
        ("POST", "/events/e1/actions/mark-as-not-for-sale"),
        ("POST", "/events/e1/actions/override-season-status"),
        ("POST", "/seasons"),
        ("POST", "/events"),
        ("GET", "/events/e1"),
        ("GET", "/reports/events/e1/byStatus"),
        ("GET", "/events/e1/status-changes"),
        ("GET", "/events/e1/objects/A-1/status-changes"),
    ],
)
def test_channels_for_sale_seasons_events_reports_and_listings_are_regular_lane(
    method: str, path: str
) -> None:
    assert _lane(method, path) == "regular"


def test_sandbox_control_routes_have_no_lane() -> None:
    assert _lane("GET", "/_sandbox/requests") is None


async def _slow(http: httpx.AsyncClient, latency: float = 0.2) -> None:
    response = await http.post("/_sandbox/faults", json={"latency_s": latency})
    assert response.status_code == 200


async def test_eleventh_concurrent_regular_request_gets_429_without_retry_after(
    http: httpx.AsyncClient,
) -> None:
    await _slow(http)
    responses = await asyncio.gather(*(http.get(f"/events/{FAMILY}") for _ in range(11)))
    codes = Counter(r.status_code for r in responses)
    assert codes == {200: 10, 429: 1}
    (refused,) = [r for r in responses if r.status_code == 429]
    assert "Retry-After" not in refused.headers
    assert refused.json()["errors"][0]["code"] == "TOO_MANY_CONCURRENT_REQUESTS"
    log = (await http.get("/_sandbox/requests")).json()
    assert log["peak_in_flight"]["regular"] == 11


async def test_ten_concurrent_regular_requests_all_pass(http: httpx.AsyncClient) -> None:
    await _slow(http)
    responses = await asyncio.gather(*(http.get(f"/events/{FAMILY}") for _ in range(10)))
    assert {r.status_code for r in responses} == {200}


async def test_priority_lane_takes_100_at_once_and_refuses_the_101st(
    http: httpx.AsyncClient,
) -> None:
    await _slow(http)
    url = f"/events/{FAMILY}/objects"
    responses = await asyncio.gather(*(http.get(url, params={"label": A1}) for _ in range(101)))
    assert Counter(r.status_code for r in responses) == {200: 100, 429: 1}


async def test_priority_traffic_does_not_use_regular_slots(http: httpx.AsyncClient) -> None:
    await _slow(http)
    regular = [http.get(f"/events/{FAMILY}") for _ in range(10)]
    priority = [http.get(f"/events/{FAMILY}/objects", params={"label": A1}) for _ in range(5)]
    responses = await asyncio.gather(*regular, *priority)
    assert {r.status_code for r in responses} == {200}


async def test_a_slot_frees_when_its_request_ends(http: httpx.AsyncClient) -> None:
    await _slow(http, 0.05)
    for _ in range(2):
        responses = await asyncio.gather(*(http.get(f"/events/{FAMILY}") for _ in range(10)))
        assert {r.status_code for r in responses} == {200}


async def test_request_log_counts_requests_per_endpoint(http: httpx.AsyncClient) -> None:
    await http.get(f"/events/{FAMILY}")
    await http.get("/events/perf-201")
    await http.post(f"/events/{FAMILY}/actions/book", json={"objects": [A1]})
    log = (await http.get("/_sandbox/requests")).json()
    assert log["counts"] == {
        "GET /events/{key}": 2,
        "POST /events/{key}/actions/book": 1,
    }
    assert [e["lane"] for e in log["entries"]] == ["regular", "regular", "priority"]
    await http.delete("/_sandbox/requests")
    assert (await http.get("/_sandbox/requests")).json()["counts"] == {}


async def test_injected_errors_answer_5xx_for_their_share_of_requests(
    http: httpx.AsyncClient,
) -> None:
    await http.post("/_sandbox/faults", json={"error_rate": 0.5, "error_status": 503, "seed": 7})
    responses = [await http.get(f"/events/{FAMILY}") for _ in range(40)]
    codes = Counter(r.status_code for r in responses)
    assert set(codes) == {200, 503}
    assert 10 <= codes[503] <= 30


async def test_injected_errors_can_be_limited_to_a_count_and_a_path(
    http: httpx.AsyncClient,
) -> None:
    await http.post(
        "/_sandbox/faults", json={"error_rate": 1.0, "count": 2, "path_pattern": "/actions/book$"}
    )
    assert (await http.get(f"/events/{FAMILY}")).status_code == 200
    book = f"/events/{FAMILY}/actions/book"
    codes = [
        (await http.post(book, json={"objects": [f"Orchestra-A-{i}"]})).status_code
        for i in (1, 2, 3)
    ]
    assert codes == [500, 500, 204]


async def test_hang_after_apply_changes_the_state_then_stalls_the_answer(
    app: Starlette, http: httpx.AsyncClient
) -> None:
    world: SeatsioWorld = app.state.world
    await http.post("/_sandbox/faults", json={"hang_after_apply_s": 30})
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(
            http.post(f"/events/{FAMILY}/actions/book", json={"objects": [A1]}), timeout=0.2
        )
    assert world.object_status(FAMILY, A1) == "booked"
    await http.delete("/_sandbox/faults")
    retry = await http.post(f"/events/{FAMILY}/actions/book", json={"objects": [A1]})
    assert retry.status_code == 400
