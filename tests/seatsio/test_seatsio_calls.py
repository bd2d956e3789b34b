"""Each call sends what seats.io documents and reads what it answers (mock transport)."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from seatsio_mock import BASE, SECRET, MakeClient, ok, replies
from seatsio_payloads import EVENT, SEASON, STATUS_CHANGE, object_info, rate_limited_result

from bridge.errors import ConfigError, TerminalError
from bridge.reconcile.observe import objects_in_status
from bridge.seatsio import (
    Category,
    ChannelSpec,
    ForSaleConfig,
    ForSaleEdit,
    ObjectRef,
    SeatsioClient,
    SplitLimits,
    StatusChangeRequest,
)


def _query(request: httpx.Request) -> list[tuple[str, str]]:
    return list(request.url.params.multi_items())


async def test_requests_carry_the_secret_key_as_basic_user_with_an_empty_password(
    make_client: MakeClient,
) -> None:
    client, rec = make_client(replies(ok(EVENT)))
    await client.events.retrieve("evt1")
    expected = "Basic " + base64.b64encode(f"{SECRET}:".encode()).decode()
    assert rec.last.headers["Authorization"] == expected
    assert "X-Workspace-Key" not in rec.last.headers


async def test_workspace_key_is_sent_when_configured(make_client: MakeClient) -> None:
    client, rec = make_client(replies(ok(EVENT)), workspace_key="ws-public-1")
    await client.events.retrieve("evt1")
    assert rec.last.headers["X-Workspace-Key"] == "ws-public-1"


def test_region_selects_the_regional_api_host() -> None:
    assert SeatsioClient(SECRET, region="na").base_url == "https://api-na.seatsio.net"


@pytest.mark.parametrize(
    "kwargs",
    [{"region": "us"}, {}, {"region": "eu", "base_url": BASE}],
    ids=["unknown-region", "neither", "both"],
)
def test_client_refuses_a_missing_unknown_or_doubled_location(kwargs: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        SeatsioClient(SECRET, **kwargs)  # type: ignore[arg-type]


async def test_path_parameters_are_percent_encoded(make_client: MakeClient) -> None:
    client, rec = make_client(replies(ok(None)))
    await client.channels.remove("perf/1 2", "ck?#")
    assert rec.last.url.raw_path == b"/events/perf%2F1%202/channels/ck%3F%23"


async def test_iter_all_events_follows_the_cursor_to_the_last_page(make_client: MakeClient) -> None:
    page1 = {"items": [EVENT | {"key": "e1"}, EVENT | {"key": "e2"}], "next_page_starts_after": 2}
    page2 = {"items": [EVENT | {"key": "e3"}]}
    client, rec = make_client(replies(ok(page1), ok(page2)))
    keys = [e.key async for e in client.events.iter_all(page_size=2)]
    assert keys == ["e1", "e2", "e3"]
    assert _query(rec.requests[0]) == [("limit", "2")]
    assert _query(rec.requests[1]) == [("limit", "2"), ("start_after_id", "2")]


async def test_retrieve_event_reads_channels(make_client: MakeClient) -> None:
    client, rec = make_client(replies(ok(EVENT)))
    event = await client.events.retrieve("evt1")
    assert rec.last.method == "GET" and rec.last.url.path == "/events/evt1"
    assert event.channels[0].objects == ["A-1", "A-2"]


async def test_create_event_sends_chart_key_event_key_channels_and_for_sale_config(
    make_client: MakeClient,
) -> None:
    client, rec = make_client(replies(ok(EVENT | {"key": "perf-1"})))
    event = await client.events.create(
        "chart1",
        key="perf-1",
        name="Opening",
        channels=[ChannelSpec("ck", "House", objects=("A-1",))],
        for_sale_config=ForSaleConfig(for_sale=False, objects=["A-2"]),
    )
    assert event.key == "perf-1"
    assert (rec.last.method, rec.last.url.path) == ("POST", "/events")
    assert rec.bodies()[-1] == {
        "chartKey": "chart1",
        "eventKey": "perf-1",
        "name": "Opening",
        "channels": [{"key": "ck", "name": "House", "objects": ["A-1"]}],
        "forSaleConfig": {"forSale": False, "objects": ["A-2"], "areaPlaces": {}, "categories": []},
    }


async def test_create_season_sends_new_event_keys_and_propagation(make_client: MakeClient) -> None:
    client, rec = make_client(replies(ok(SEASON)))
    season = await client.seasons.create(
        "chart1", key="aSeason", event_keys=["e1", "e2"], for_sale_propagated=False
    )
    assert season.key == "aSeason" and season.is_season
    assert (rec.last.method, rec.last.url.path) == ("POST", "/seasons")
    assert rec.bodies()[-1] == {
        "chartKey": "chart1",
        "eventKeys": ["e1", "e2"],
        "key": "aSeason",
        "forSalePropagated": False,
    }


async def test_create_season_refuses_event_keys_with_a_number_of_events(
    make_client: MakeClient,
) -> None:
    client, rec = make_client(replies(ok(SEASON)))
    with pytest.raises(ValueError, match="exclude"):
        await client.seasons.create("chart1", event_keys=["e1"], number_of_events=2)
    assert rec.requests == []


async def test_retrieve_season_refuses_a_plain_event(make_client: MakeClient) -> None:
    client, _ = make_client(replies(ok(EVENT)))
    with pytest.raises(TerminalError, match="not a season"):
        await client.seasons.retrieve("evt1")


async def test_update_season_posts_only_the_given_fields_to_the_event_path(
    make_client: MakeClient,
) -> None:
    client, rec = make_client(replies(ok(SEASON)))
    await client.seasons.update(
        "aSeason",
        name="2026/27",
        for_sale_propagated=True,
        categories=[Category("c1", "Stalls", "#AAABBB", accessible=True)],
    )
    assert (rec.last.method, rec.last.url.path) == ("POST", "/events/aSeason")
    assert rec.bodies()[-1] == {
        "name": "2026/27",
        "forSalePropagated": True,
        "categories": [{"key": "c1", "label": "Stalls", "color": "#AAABBB", "accessible": True}],
    }


async def test_create_events_in_season_returns_the_created_events(make_client: MakeClient) -> None:
    client, rec = make_client(replies(ok({"events": [EVENT | {"key": "e3"}]})))
    events = await client.seasons.create_events("aSeason", event_keys=["e3"])
    assert [e.key for e in events] == ["e3"]
    assert rec.last.url.path == "/seasons/aSeason/actions/create-events"
    assert rec.bodies()[-1] == {"eventKeys": ["e3"]}


async def test_channel_calls_use_the_documented_methods_paths_and_bodies(
    make_client: MakeClient,
) -> None:
    client, rec = make_client(replies(ok(None)))
    spec = ChannelSpec("ck1", "VIP", color="#FFFF98", index=1, objects=("A-1",))
    await client.channels.add("e", spec)
    await client.channels.add_many("e", [spec, ChannelSpec("ck2", "Press")])
    await client.channels.update("e", "ck1", name="new", objects=[])
    await client.channels.add_objects("e", "ck1", ["A-3"], area_places={"GA1": 7})
    await client.channels.remove_objects("e", "ck1", ["A-3"])
    await client.channels.replace("e", [spec])
    await client.channels.remove("e", "ck1")
    sent = [(r.method, r.url.path, b) for r, b in zip(rec.requests, rec.bodies(), strict=True)]
    vip = {"key": "ck1", "name": "VIP", "color": "#FFFF98", "index": 1, "objects": ["A-1"]}
    assert sent == [
        ("POST", "/events/e/channels", vip),
        ("POST", "/events/e/channels", [vip, {"key": "ck2", "name": "Press", "objects": []}]),
        ("POST", "/events/e/channels/ck1", {"name": "new", "objects": []}),
        ("POST", "/events/e/channels/ck1/objects", {"objects": ["A-3"], "areaPlaces": {"GA1": 7}}),
        ("DELETE", "/events/e/channels/ck1/objects", {"objects": ["A-3"]}),
        ("POST", "/events/e/channels/replace", {"channels": [vip]}),
        ("DELETE", "/events/e/channels/ck1", None),
    ]


async def test_channel_objects_are_sent_in_parts_of_the_configured_size(
    make_client: MakeClient,
) -> None:
    client, rec = make_client(replies(ok(None)), split=SplitLimits(objects_per_request=2))
    await client.channels.add_objects("e", "ck", ["A-1", "A-2", "A-3", "A-4", "A-5"])
    assert [b["objects"] for b in rec.bodies()] == [["A-1", "A-2"], ["A-3", "A-4"], ["A-5"]]


async def test_an_empty_object_list_sends_nothing(make_client: MakeClient) -> None:
    client, rec = make_client(replies(ok(None)))
    await client.channels.remove_objects("e", "ck", [])
    await client.statuses.change(StatusChangeRequest.release(["e"], []))
    assert rec.requests == []


async def test_status_change_posts_the_group_form_and_returns_the_objects(
    make_client: MakeClient,
) -> None:
    client, rec = make_client(replies(ok({"objects": {"A-1": object_info("A-1", "bo-hold")}})))
    change = StatusChangeRequest.change_to(
        "bo-hold", ["e1", "e2"], ["A-1"], allowed_previous_statuses=["free"]
    )
    result = await client.statuses.change(change)
    assert result.objects["A-1"].status == "bo-hold"
    assert rec.last.url.path == "/events/groups/actions/change-object-status"
    assert _query(rec.last) == [("expand", "objects")]
    assert rec.bodies()[-1]["events"] == ["e1", "e2"]


async def test_a_large_status_change_goes_out_in_parts_whose_results_are_merged(
    make_client: MakeClient,
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        labels = [o["objectId"] for o in json.loads(request.content)["objects"]]
        return ok({"objects": {label: object_info(label, "held") for label in labels}})

    client, rec = make_client(answer, split=SplitLimits(objects_per_request=2))
    change = StatusChangeRequest.change_to("held", ["e1"], ["A-1", "A-2", "A-3"])
    result = await client.statuses.change(change)
    assert sorted(result.objects) == ["A-1", "A-2", "A-3"]
    assert [len(b["objects"]) for b in rec.bodies()] == [2, 1]


async def test_batch_status_change_returns_one_result_per_change_in_order(
    make_client: MakeClient,
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        items = json.loads(request.content)["statusChanges"]
        results = [
            {"objects": {o["objectId"]: object_info(o["objectId"]) for o in item["objects"]}}
            for item in items
        ]
        return ok({"results": results})

    client, rec = make_client(answer, split=SplitLimits(objects_per_request=2))
    changes = [
        StatusChangeRequest.release(["e1"], ["A-1", "A-2", "A-3"], allowed_previous_statuses=["h"]),
        StatusChangeRequest.change_to("h", ["e2"], [ObjectRef("B-1")], channel_keys=["ck1"]),
    ]
    results = await client.statuses.change_in_batch(changes)
    assert [sorted(r.objects) for r in results] == [["A-1", "A-2", "A-3"], ["B-1"]]
    assert rec.last.url.path == "/events/actions/change-object-status"
    assert [
        [(i["event"], len(i["objects"])) for i in b["statusChanges"]] for b in rec.bodies()
    ] == [
        [("e1", 2)],
        [("e1", 1), ("e2", 1)],
    ]


async def test_edit_for_sale_config_returns_the_remaining_daily_budget(
    make_client: MakeClient,
) -> None:
    client, rec = make_client(replies(ok(rate_limited_result(remaining=7))))
    result = await client.for_sale.edit("e1", ForSaleEdit.of(not_for_sale=["A-1"]))
    assert result is not None and result.rate_limit_info is not None
    assert result.rate_limit_info.rate_limit_remaining_calls == 7
    assert rec.last.url.path == "/events/e1/actions/edit-for-sale-config"
    assert rec.bodies()[-1] == {"notForSale": [{"object": "A-1"}]}


async def test_edit_for_sale_config_for_events_sends_one_entry_per_event(
    make_client: MakeClient,
) -> None:
    answer = {"e1": rate_limited_result(9), "e2": rate_limited_result(8)}
    client, rec = make_client(replies(ok(answer)))
    results = await client.for_sale.edit_for_events(
        {"e1": ForSaleEdit.of(for_sale=["A-1"]), "e2": ForSaleEdit.of(not_for_sale=["A-2"])}
    )
    assert sorted(results) == ["e1", "e2"]
    assert rec.last.url.path == "/events/actions/edit-for-sale-config"
    assert rec.bodies()[-1] == {
        "events": {
            "e1": {"forSale": [{"object": "A-1"}]},
            "e2": {"notForSale": [{"object": "A-2"}]},
        }
    }


async def test_object_infos_repeat_the_label_parameter_and_split_long_lists(
    make_client: MakeClient,
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return ok({label: object_info(label) for label in request.url.params.get_list("label")})

    client, rec = make_client(answer, split=SplitLimits(labels_per_read=2))
    infos = await client.reports.object_infos("e1", ["A-1", "A-2", "A-3"])
    assert sorted(infos) == ["A-1", "A-2", "A-3"]
    assert sorted(r.url.params.get_list("label") for r in rec.requests) == [["A-1", "A-2"], ["A-3"]]
    assert {r.url.path for r in rec.requests} == {"/events/e1/objects"}


@pytest.mark.parametrize(
    ("method", "group", "path"),
    [
        ("by_status", None, "/reports/events/e1/byStatus"),
        ("by_status", "booked", "/reports/events/e1/byStatus/booked"),
        ("by_channel", "NO_CHANNEL", "/reports/events/e1/byChannel/NO_CHANNEL"),
        ("by_label", "A-1", "/reports/events/e1/byLabel/A-1"),
    ],
)
async def test_detailed_reports_read_groups_of_object_infos(
    make_client: MakeClient, method: str, group: str | None, path: str
) -> None:
    client, rec = make_client(replies(ok({"booked": [object_info("A-1", "booked")]})))
    report = await getattr(client.reports, method)("e1", group)
    assert report["booked"][0].label == "A-1"
    assert rec.last.url.path == path


async def test_status_changes_are_paged_with_limit_and_start_after_id(
    make_client: MakeClient,
) -> None:
    client, rec = make_client(
        replies(
            ok({"items": [STATUS_CHANGE], "next_page_starts_after": 169}),
            ok({"items": [STATUS_CHANGE | {"id": 120}]}),
        )
    )
    ids = [c.id async for c in client.reports.iter_status_changes("e1", page_size=1)]
    assert ids == [169, 120]
    assert rec.last.url.path == "/events/e1/status-changes"
    assert _query(rec.last) == [("limit", "1"), ("start_after_id", "169")]


async def test_status_changes_without_expand_accept_no_content(make_client: MakeClient) -> None:
    client, rec = make_client(replies(ok(None)))
    change = StatusChangeRequest.change_to("held", ["e1"], ["A-1"])
    assert (await client.statuses.change(change, expand=False)).objects == {}
    assert (await client.statuses.change_in_batch([change], expand=False))[0].objects == {}
    assert [_query(r) for r in rec.requests] == [[], []]


async def test_a_status_listing_reads_a_group_seatsio_leaves_out_as_none(
    make_client: MakeClient,
) -> None:
    """A filtered report may leave out an empty group (the SDKs read that as none): an event
    whose ledger is not vouched for is then listed as holding nothing in that status."""
    held = object_info("A-1", "held-press")
    client, rec = make_client(replies(ok({}), ok({"held-press": [held]})))
    assert await objects_in_status(client, "e1", "held-press") == []
    assert rec.last.url.path == "/reports/events/e1/byStatus/held-press"
    found = await objects_in_status(client, "e1", "held-press")
    assert [(i.label, i.status) for i in found] == [("A-1", "held-press")]
