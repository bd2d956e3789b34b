"""The client against the fake seats.io in-process: every call, splitting, lanes, 429 storms, 5xx."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from seatsio_sandbox_control import CHART, SECRET, SandboxControl, seats

from bridge.errors import ConflictError, OutcomeUnknownError, RateLimitedError, TerminalError
from bridge.sandbox import SEATSIO_ASGI_BASE, Sandbox
from bridge.sandbox.seatsio_app import create_seatsio_app
from bridge.sandbox.seatsio_clock import ManualClock
from bridge.sandbox.seatsio_forsale import next_reset
from bridge.seatsio import (
    Category,
    ChannelSpec,
    ForSaleEdit,
    LaneLimits,
    RetryPolicy,
    SeatsioClient,
    SplitLimits,
    StatusChangeRequest,
)

FAST = RetryPolicy.seatsio(first_wait_s=0.005, max_wait_s=0.05, jitter_s=0.005, attempts=40)
MakeClient = Callable[..., SeatsioClient]


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(seatsio_empty=True)


@pytest.fixture
async def control(sandbox: Sandbox) -> AsyncIterator[SandboxControl]:
    async with sandbox.seatsio_client() as http:
        yield SandboxControl(http)


@pytest.fixture
async def make(sandbox: Sandbox) -> AsyncIterator[MakeClient]:
    made: list[SeatsioClient] = []

    def make(app: Any = None, **kw: Any) -> SeatsioClient:
        kw.setdefault("retry", FAST)
        kw.setdefault("timeout_s", 5.0)
        transport = httpx.ASGITransport(app=app or sandbox.seatsio_app)
        client = SeatsioClient(SECRET, base_url=SEATSIO_ASGI_BASE, transport=transport, **kw)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture
def seatsio(make: MakeClient) -> SeatsioClient:
    return make()


async def test_events_are_created_retrieved_and_listed_page_by_page(seatsio: SeatsioClient) -> None:
    for n in range(3):
        await seatsio.events.create(CHART, key=f"perf-{n}", name=f"Night {n}")
    event = await seatsio.events.retrieve("perf-1")
    assert (event.key, event.name, event.chart_key) == ("perf-1", "Night 1", CHART)
    keys = [e.key async for e in seatsio.events.iter_all(page_size=2)]
    assert sorted(keys) == ["perf-0", "perf-1", "perf-2"]
    assert seatsio.stats.requests["GET /events"] == 2


async def test_a_season_is_created_updated_and_extended_with_new_events(
    seatsio: SeatsioClient,
) -> None:
    season = await seatsio.seasons.create(CHART, key="s1", name="Series", event_keys=["p1", "p2"])
    assert season.is_season and {e.key for e in season.events} == {"p1", "p2"}
    await seatsio.seasons.update(
        "s1",
        name="Series 26/27",
        for_sale_propagated=False,
        categories=[Category("extra", "Extra", "#AAABBB")],
    )
    created = await seatsio.seasons.create_events("s1", event_keys=["p3"])
    assert [e.key for e in created] == ["p3"]
    season = await seatsio.seasons.retrieve("s1")
    assert season.name == "Series 26/27" and season.for_sale_propagated is False
    assert {e.key for e in season.events} == {"p1", "p2", "p3"}
    member = await seatsio.events.retrieve("p3")
    assert member.is_event_in_season and member.top_level_season_key == "s1"


async def test_channels_are_added_changed_filled_emptied_replaced_and_removed(
    seatsio: SeatsioClient,
) -> None:
    await seatsio.events.create(CHART, key="e1")
    await seatsio.channels.add(
        "e1", ChannelSpec("house", "House", "#FF0000", 1, ("Orchestra-A-1",))
    )
    await seatsio.channels.add_many(
        "e1", [ChannelSpec("press", "Press"), ChannelSpec("vip", "VIP")]
    )
    await seatsio.channels.update("e1", "press", name="Press desk", objects=["Orchestra-B-1"])
    await seatsio.channels.add_objects("e1", "house", seats("A", 2, 4))
    await seatsio.channels.remove_objects("e1", "house", ["Orchestra-A-1"])
    await seatsio.channels.remove("e1", "vip")
    event = await seatsio.events.retrieve("e1")
    assert {c.key: sorted(c.objects) for c in event.channels} == {
        "house": seats("A", 2, 4),
        "press": ["Orchestra-B-1"],
    }
    press = event.channel("press")
    assert press is not None and press.name == "Press desk"
    report = await seatsio.reports.by_channel("e1", "house")
    assert sorted(o.label for o in report["house"]) == seats("A", 2, 4)

    await seatsio.channels.replace(
        "e1", [ChannelSpec("house", "House", objects=("Orchestra-C-1",))]
    )
    event = await seatsio.events.retrieve("e1")
    assert [(c.key, c.objects) for c in event.channels] == [("house", ["Orchestra-C-1"])]


async def test_channels_of_an_event_in_a_season_are_refused(seatsio: SeatsioClient) -> None:
    await seatsio.seasons.create(CHART, key="s1", event_keys=["p1"])
    with pytest.raises(TerminalError) as info:
        await seatsio.channels.add("p1", ChannelSpec("house", "House"))
    assert info.value.codes == ("CHANNELS_NOT_ALLOWED_ON_EVENT_IN_SEASON",)


async def test_status_changes_for_several_events_and_in_batch_show_in_reads(
    seatsio: SeatsioClient,
) -> None:
    await seatsio.events.create(CHART, key="e1")
    await seatsio.events.create(CHART, key="e2")
    held = await seatsio.statuses.change(
        StatusChangeRequest.change_to(
            "held-press", ["e1", "e2"], seats("A", 1, 2), allowed_previous_statuses=["free"]
        )
    )
    assert {label: info.status for label, info in held.objects.items()} == {
        "Orchestra-A-1": "held-press",
        "Orchestra-A-2": "held-press",
    }
    results = await seatsio.statuses.change_in_batch(
        [
            StatusChangeRequest.release(
                ["e1"], ["Orchestra-A-1"], allowed_previous_statuses=["held-press"]
            ),
            StatusChangeRequest.change_to("kill", ["e2"], ["Orchestra-B-1"], order_id="o-1"),
        ]
    )
    assert [sorted(r.objects) for r in results] == [["Orchestra-A-1"], ["Orchestra-B-1"]]
    infos = await seatsio.reports.object_infos("e1", seats("A", 1, 2))
    assert {k: v.status for k, v in infos.items()} == {
        "Orchestra-A-1": "free",
        "Orchestra-A-2": "held-press",
    }
    by_status = await seatsio.reports.by_status("e2", "kill")
    assert [o.label for o in by_status["kill"]] == ["Orchestra-B-1"]
    by_label = await seatsio.reports.by_label("e2", "Orchestra-B-1")
    assert by_label["Orchestra-B-1"][0].order_id == "o-1"
    everything = await seatsio.reports.by_status("e2")
    assert {"held-press", "kill", "free"} <= set(everything)


async def test_a_guarded_change_over_a_sale_is_a_conflict(seatsio: SeatsioClient) -> None:
    await seatsio.events.create(CHART, key="e1")
    await seatsio.statuses.change(
        StatusChangeRequest.change_to("booked", ["e1"], ["Orchestra-A-1"])
    )
    with pytest.raises(ConflictError) as info:
        await seatsio.statuses.change(
            StatusChangeRequest.change_to(
                "held-press", ["e1"], seats("A", 1, 2), allowed_previous_statuses=["free"]
            )
        )
    assert info.value.codes == ("ILLEGAL_STATUS_CHANGE",)
    infos = await seatsio.reports.object_infos("e1", seats("A", 1, 2))
    assert [infos[label].status for label in seats("A", 1, 2)] == ["booked", "free"]


async def test_status_change_history_is_read_page_by_page(seatsio: SeatsioClient) -> None:
    await seatsio.events.create(CHART, key="e1")
    for label in seats("A", 1, 3):
        await seatsio.statuses.change(StatusChangeRequest.change_to("held", ["e1"], [label]))
    first = await seatsio.reports.status_changes_page("e1", limit=2)
    assert len(first.items) == 2 and first.next_page_starts_after is not None
    history = [c.object_label async for c in seatsio.reports.iter_status_changes("e1", page_size=2)]
    assert history == list(reversed(seats("A", 1, 3)))  # newest first


async def test_for_sale_edits_report_the_daily_budget_left(seatsio: SeatsioClient) -> None:
    await seatsio.events.create(CHART, key="e1")
    await seatsio.events.create(CHART, key="e2")
    one = await seatsio.for_sale.edit("e1", ForSaleEdit.of(not_for_sale=["Orchestra-A-1"]))
    assert one is not None and one.rate_limit_info is not None
    assert one.rate_limit_info.rate_limit_remaining_calls == 9
    assert one.for_sale_config is not None and one.for_sale_config.objects == ["Orchestra-A-1"]
    many = await seatsio.for_sale.edit_for_events(
        {
            "e1": ForSaleEdit.of(for_sale=["Orchestra-A-1"]),
            "e2": ForSaleEdit.of(not_for_sale=["Orchestra-B-1"]),
        }
    )
    assert many["e1"].for_sale_config is not None and many["e1"].for_sale_config.objects == []
    assert many["e2"].rate_limit_info is not None
    assert many["e2"].rate_limit_info.rate_limit_remaining_calls == 9
    event = await seatsio.events.retrieve("e2")
    assert event.for_sale_config is not None and event.for_sale_config.objects == ["Orchestra-B-1"]


async def test_large_requests_go_out_in_parts_that_all_apply(
    make: MakeClient, control: SandboxControl
) -> None:
    seatsio = make(split=SplitLimits(objects_per_request=7, labels_per_read=6))
    await seatsio.events.create(CHART, key="e1")
    labels = seats("A", 1, 20)
    await seatsio.channels.add("e1", ChannelSpec("house", "House"))
    await control.clear_log()
    await seatsio.channels.add_objects("e1", "house", labels)
    await seatsio.statuses.change(
        StatusChangeRequest.change_to("held", ["e1"], labels, channel_keys=["house"])
    )
    infos = await seatsio.reports.object_infos("e1", labels)
    assert {(i.channel, i.status) for i in infos.values()} == {("house", "held")}
    counts = (await control.log())["counts"]
    assert counts["POST /events/{key}/channels/{channel}/objects"] == 3
    assert counts["POST /events/groups/actions/change-object-status"] == 3
    assert counts["GET /events/{key}/objects"] == 4


async def test_fifty_concurrent_callers_stay_within_the_lane_limits(
    make: MakeClient, control: SandboxControl
) -> None:
    limits = LaneLimits(priority=6, regular=3)
    seatsio = make(lane_limits=limits)
    other = make(lane_limits=limits)  # a second client of the same key shares the lanes
    await seatsio.events.create(CHART, key="e1")
    await control.clear_log()
    await control.faults(latency_s=0.01)
    labels = seats("C", 1, 25)
    calls = [
        (seatsio if n % 2 else other).statuses.change(
            StatusChangeRequest.change_to(
                "held", ["e1"], [label], allowed_previous_statuses=["free"]
            )
        )
        for n, label in enumerate(labels)
    ]
    reads = [(seatsio if n % 2 else other).events.retrieve("e1") for n in range(25)]
    await asyncio.gather(*calls, *reads)
    log = await control.log()
    assert 1 < log["peak_in_flight"]["priority"] <= limits.priority
    assert 1 < log["peak_in_flight"]["regular"] <= limits.regular
    assert 429 not in {entry["status"] for entry in log["entries"]}


async def test_a_storm_of_429_without_retry_after_is_ridden_out_with_backoff(
    make: MakeClient, control: SandboxControl
) -> None:
    # More in flight than seats.io allows: the fake refuses the excess with 429, no Retry-After.
    seatsio = make(lane_limits=LaneLimits(regular=30))
    await seatsio.events.create(CHART, key="e1")
    await control.faults(latency_s=0.01)
    events = await asyncio.gather(*(seatsio.events.retrieve("e1") for _ in range(40)))
    assert len(events) == 40
    assert 429 in await control.statuses()
    assert seatsio.stats.throttled["GET /events/{key}"] > 0


async def test_injected_429s_are_retried_until_the_call_succeeds(
    make: MakeClient, control: SandboxControl
) -> None:
    seatsio = make()
    await seatsio.events.create(CHART, key="e1")
    await control.faults(error_status=429, error_rate=0.6, seed=3)
    await seatsio.channels.replace(
        "e1", [ChannelSpec("house", "House", objects=("Orchestra-A-1",))]
    )
    await control.clear_faults()
    assert (await seatsio.events.retrieve("e1")).channel("house") is not None
    assert seatsio.stats.throttled["POST /events/{key}/channels/replace"] > 0


async def test_a_429_with_retry_after_is_waited_out_then_the_edit_applies(
    sandbox: Sandbox, make: MakeClient
) -> None:
    clock = ManualClock()
    app = create_seatsio_app(sandbox.venue, empty=True, clock=clock)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:  # time passes for the fake, not for the test
        waits.append(seconds)
        clock.advance(seconds)

    seatsio = make(app, retry=RetryPolicy.seatsio(sleep=sleep, max_retry_after_s=60))
    await seatsio.events.create(CHART, key="e1")
    for n in range(10):  # spend the day's budget of restricting edits
        await seatsio.for_sale.edit("e1", ForSaleEdit.of(not_for_sale=[f"Orchestra-A-{n + 1}"]))
    # 5 s before the day's budget starts afresh (a daily boundary, as in the docs' example)
    clock.advance(next_reset(clock.now) - clock.now - timedelta(seconds=5))
    result = await seatsio.for_sale.edit("e1", ForSaleEdit.of(not_for_sale=["Orchestra-B-1"]))
    assert waits == [5.0]
    assert result is not None and result.for_sale_config is not None
    assert "Orchestra-B-1" in result.for_sale_config.objects


async def test_a_spent_for_sale_budget_is_reported_with_its_retry_after(
    seatsio: SeatsioClient,
) -> None:
    await seatsio.events.create(CHART, key="e1")
    for n in range(10):
        await seatsio.for_sale.edit("e1", ForSaleEdit.of(not_for_sale=[f"Orchestra-A-{n + 1}"]))
    with pytest.raises(RateLimitedError) as info:
        await seatsio.for_sale.edit("e1", ForSaleEdit.of(not_for_sale=["Orchestra-B-1"]))
    now = datetime.now(UTC)
    left = (next_reset(now) - now).total_seconds()  # until the day's budget starts afresh
    assert info.value.retry_after is not None and left <= info.value.retry_after <= left + 5
    assert info.value.codes == ("RATE_LIMIT_EXCEEDED",)


async def test_injected_5xx_on_reads_and_set_writes_are_retried(
    seatsio: SeatsioClient, control: SandboxControl
) -> None:
    await seatsio.events.create(CHART, key="e1")
    await seatsio.channels.add("e1", ChannelSpec("house", "House"))
    await control.faults(error_status=503, error_rate=1.0, count=2)
    await seatsio.channels.add_objects("e1", "house", ["Orchestra-A-1"])
    await control.faults(error_status=500, error_rate=1.0, count=2)
    event = await seatsio.events.retrieve("e1")
    assert event.channels[0].objects == ["Orchestra-A-1"]
    assert seatsio.stats.retries["POST /events/{key}/channels/{channel}/objects"] == 2


async def test_an_injected_5xx_on_an_unguarded_status_change_is_an_unknown_outcome(
    seatsio: SeatsioClient, control: SandboxControl
) -> None:
    await seatsio.events.create(CHART, key="e1")
    await control.faults(error_status=500, error_rate=1.0, count=1)
    with pytest.raises(OutcomeUnknownError):
        await seatsio.statuses.change(
            StatusChangeRequest.change_to("held", ["e1"], ["Orchestra-A-1"])
        )
    assert (await control.log())["counts"]["POST /events/groups/actions/change-object-status"] == 1
