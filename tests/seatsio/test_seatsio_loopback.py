"""The client against the fake seats.io over real TCP: timeouts, broken bodies, credentials, lanes."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from seatsio_sandbox_control import CHART, SECRET, SandboxControl, seats

from bridge.errors import CredentialsError, MalformedResponseError, OutcomeUnknownError
from bridge.sandbox import Sandbox
from bridge.sandbox.serve import serve_in_thread
from bridge.seatsio import LaneLimits, RetryPolicy, SeatsioClient, StatusChangeRequest

pytestmark = pytest.mark.loopback

FAST = RetryPolicy.seatsio(first_wait_s=0.005, max_wait_s=0.05, jitter_s=0.005, attempts=10)
LIMITS = LaneLimits(priority=8, regular=3)
SHORT_TIMEOUT_S = 0.2
HANG_S = 0.6
MakeClient = Callable[..., SeatsioClient]
LABEL = "Orchestra-A-1"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """One server for the module (starting one costs more than the tests); events per test."""
    with serve_in_thread(Sandbox(seatsio_empty=True).seatsio_app) as url:
        yield url


@pytest.fixture
async def control(base_url: str) -> AsyncIterator[SandboxControl]:
    async with httpx.AsyncClient(base_url=base_url) as http:
        control = SandboxControl(http)
        await control.clear_faults()
        # an earlier test's hung request may still be running at the server (the client gave up
        # on it, the server did not): it would count against this test's lanes
        for _ in range(100):
            if not (await control.log())["in_flight"]:
                break
            await asyncio.sleep(0.05)
        await control.clear_log()
        yield control
        await control.clear_faults()


@pytest.fixture
async def make(base_url: str) -> AsyncIterator[MakeClient]:
    made: list[SeatsioClient] = []

    def make(**kw: Any) -> SeatsioClient:
        kw.setdefault("retry", FAST)
        kw.setdefault("timeout_s", 5.0)
        kw.setdefault("lane_limits", LIMITS)
        client = SeatsioClient(kw.pop("secret_key", SECRET), base_url=base_url, **kw)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture
async def event(make: MakeClient, control: SandboxControl) -> str:
    key = f"perf {next(_event_numbers)}"  # a key that needs percent-encoding
    await make().events.create(CHART, key=key)
    return key


_event_numbers = itertools.count(101)


def _hold(event: str, *, guarded: bool) -> StatusChangeRequest:
    return StatusChangeRequest.change_to(
        "held", [event], [LABEL], allowed_previous_statuses=["free"] if guarded else None
    )


async def _status(seatsio: SeatsioClient, event: str) -> str | None:
    return (await seatsio.reports.object_infos(event, [LABEL]))[LABEL].status


async def test_a_timeout_before_the_server_applied_leaves_nothing_changed(
    make: MakeClient, control: SandboxControl, event: str
) -> None:
    seatsio = make(timeout_s=SHORT_TIMEOUT_S)
    await control.faults(hang_s=HANG_S, count=1, path_pattern="change-object-status")
    with pytest.raises(OutcomeUnknownError, match="timed out"):
        await seatsio.statuses.change(_hold(event, guarded=False))
    await asyncio.sleep(HANG_S)  # let the abandoned request finish on the server
    assert await _status(seatsio, event) == "free"


async def test_a_timeout_after_the_server_applied_is_an_unknown_outcome_with_the_change_made(
    make: MakeClient, control: SandboxControl, event: str
) -> None:
    seatsio = make(timeout_s=SHORT_TIMEOUT_S)
    await control.faults(hang_after_apply_s=HANG_S, count=1, path_pattern="change-object-status")
    with pytest.raises(OutcomeUnknownError, match="re-read state"):
        await seatsio.statuses.change(_hold(event, guarded=False))
    assert await _status(seatsio, event) == "held"


async def test_a_guarded_change_that_timed_out_unapplied_is_repeated_and_applies(
    make: MakeClient, control: SandboxControl, event: str
) -> None:
    seatsio = make(timeout_s=SHORT_TIMEOUT_S)
    await control.faults(hang_s=HANG_S, count=1, path_pattern="change-object-status")
    result = await seatsio.statuses.change(_hold(event, guarded=True))
    assert result.objects[LABEL].status == "held"
    assert seatsio.stats.retries["POST /events/groups/actions/change-object-status"] == 1


async def test_a_guarded_change_that_timed_out_applied_ends_as_an_unknown_outcome(
    make: MakeClient, control: SandboxControl, event: str
) -> None:
    # The repeat is refused (the object is no longer free) because our own first attempt applied.
    seatsio = make(timeout_s=SHORT_TIMEOUT_S)
    await control.faults(hang_after_apply_s=HANG_S, count=1, path_pattern="change-object-status")
    with pytest.raises(OutcomeUnknownError) as info:
        await seatsio.statuses.change(_hold(event, guarded=True))
    assert info.value.codes == ("ILLEGAL_STATUS_CHANGE",)
    assert await _status(seatsio, event) == "held"


async def test_a_broken_json_body_is_a_malformed_response(
    make: MakeClient, control: SandboxControl, event: str
) -> None:
    seatsio = make()
    await control.faults(malformed_rate=1.0, count=1)
    with pytest.raises(MalformedResponseError):
        await seatsio.events.retrieve(event)


async def test_a_broken_body_after_a_write_says_the_change_was_applied(
    make: MakeClient, control: SandboxControl, event: str
) -> None:
    seatsio = make()
    await control.faults(malformed_rate=1.0, count=1)
    with pytest.raises(MalformedResponseError, match="applied"):
        await seatsio.statuses.change(_hold(event, guarded=True))
    assert await _status(seatsio, event) == "held"


async def test_a_wrong_secret_key_is_a_credentials_error(make: MakeClient) -> None:
    seatsio = make(secret_key="not-the-key")
    with pytest.raises(CredentialsError, match="secret key and workspace key") as info:
        await seatsio.events.retrieve("anything")
    assert info.value.status == 401
    assert "not-the-key" not in str(info.value) + repr(info.value)


async def test_a_wrong_workspace_key_is_a_credentials_error(make: MakeClient) -> None:
    seatsio = make(workspace_key="other-workspace")
    with pytest.raises(CredentialsError):
        await seatsio.events.retrieve("anything")


async def test_injected_5xx_on_a_read_is_retried_over_tcp(
    make: MakeClient, control: SandboxControl, event: str
) -> None:
    seatsio = make()
    await control.faults(error_status=502, error_rate=1.0, count=3)
    assert (await seatsio.events.retrieve(event)).key == event
    assert seatsio.stats.retries["GET /events/{key}"] == 3


async def test_fifty_concurrent_callers_over_tcp_stay_within_the_lane_limits(
    make: MakeClient, control: SandboxControl, event: str
) -> None:
    limits = LIMITS
    seatsio = make()
    await control.clear_log()
    await control.faults(latency_s=0.02)
    changes = [
        seatsio.statuses.change(
            StatusChangeRequest.change_to(
                "held", [event], [label], allowed_previous_statuses=["free"]
            )
        )
        for label in seats("D", 1, 25)
    ]
    reads = [seatsio.events.retrieve(event) for _ in range(25)]
    await asyncio.gather(*changes, *reads)
    log = await control.log()
    assert 1 < log["peak_in_flight"]["priority"] <= limits.priority
    assert 1 < log["peak_in_flight"]["regular"] <= limits.regular
    assert 429 not in {entry["status"] for entry in log["entries"]}
