"""The fake seats.io over HTTP (in-process ASGI): auth, shapes, codes and the wire details."""

from __future__ import annotations

from typing import Any

import httpx
from seatsio_fixtures import (  # noqa: F401
    app_fixture,
    clock_fixture,
    http_fixture,
    venue,
    world_fixture,
)
from starlette.applications import Starlette

from bridge.sandbox import SEATSIO_SECRET_KEY
from bridge.sandbox.seatsio_app import create_seatsio_app
from bridge.sandbox.seatsio_clock import ManualClock
from bridge.sandbox.seatsio_payloads import category_json
from bridge.sandbox.seatsio_workspace import WORKSPACE_KEY
from bridge.sandbox.seatsio_world import SeatsioWorld

SEASON = "season-2026-27"
GALA, JAZZ, FAMILY = "perf-201", "perf-202", "perf-203"
S1, S2 = "perf-101", "perf-102"
A1, A2 = "Orchestra-A-1", "Orchestra-A-2"
CHART = "grand-hall-chart"


def _client(app: Starlette, **kw: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s", **kw)


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["code"]
    return code


# ---------------------------------------------------------------- auth and errors


async def test_missing_credentials_get_401_with_an_empty_body(app: Starlette) -> None:
    async with _client(app) as client:
        response = await client.get(f"/events/{GALA}")
    assert (response.status_code, response.content) == (401, b"")


async def test_wrong_secret_key_gets_401_with_an_empty_body(app: Starlette) -> None:
    async with _client(app, auth=("not-the-key", "")) as client:
        response = await client.get(f"/events/{GALA}")
    assert (response.status_code, response.content) == (401, b"")


async def test_the_password_is_ignored(app: Starlette) -> None:
    async with _client(app, auth=(SEATSIO_SECRET_KEY, "anything")) as client:
        assert (await client.get(f"/events/{GALA}")).status_code == 200


async def test_workspace_key_header_must_name_the_sandbox_workspace(app: Starlette) -> None:
    auth = (SEATSIO_SECRET_KEY, "")
    async with _client(app, auth=auth, headers={"X-Workspace-Key": WORKSPACE_KEY}) as client:
        assert (await client.get(f"/events/{GALA}")).status_code == 200
    async with _client(app, auth=auth, headers={"X-Workspace-Key": "other"}) as client:
        response = await client.get(f"/events/{GALA}")
    assert (response.status_code, response.content) == (401, b"")


async def test_unknown_event_answers_the_documented_error_body(
    http: httpx.AsyncClient,
) -> None:
    response = await http.get("/events/nope")
    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"status", "messages", "errors", "warnings", "requestId"}
    assert body["status"] == 404
    assert body["errors"] == [{"code": "EVENT_NOT_FOUND", "message": "Event not found: nope"}]
    assert body["messages"] == ["Event not found: nope"]


async def test_unknown_endpoint_answers_the_error_body(http: httpx.AsyncClient) -> None:
    response = await http.get("/no/such/thing")
    assert (response.status_code, error_code(response)) == (404, "NOT_FOUND")
    response = await http.put(f"/events/{GALA}")
    assert (response.status_code, error_code(response)) == (405, "METHOD_NOT_ALLOWED")


async def test_unknown_body_fields_are_refused(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/events/actions/change-object-status", json={"statusChangeRequests": []}
    )
    assert (response.status_code, error_code(response)) == (400, "VALIDATION_ERROR")


async def test_json_body_without_content_type_is_accepted(http: httpx.AsyncClient) -> None:
    response = await http.post(
        f"/events/{FAMILY}/actions/book", content=b'{"objects": ["Orchestra-A-1"]}'
    )
    assert response.status_code == 204


# ---------------------------------------------------------------- events and seasons


async def test_events_are_listed_newest_first_in_pages(http: httpx.AsyncClient) -> None:
    first = (await http.get("/events", params={"limit": 5})).json()
    assert [e["key"] for e in first["items"]] == ["perf-204", FAMILY, JAZZ, GALA, "perf-108"]
    assert "previous_page_ends_before" not in first
    after = first["next_page_starts_after"]
    second = (await http.get("/events", params={"limit": 5, "start_after_id": after})).json()
    assert [e["key"] for e in second["items"]] == [f"perf-{i}" for i in range(107, 102, -1)]
    back = second["previous_page_ends_before"]
    again = (await http.get("/events", params={"limit": 5, "end_before_id": back})).json()
    assert again["items"] == first["items"]


async def test_paging_refuses_both_cursors_and_a_limit_over_1000(
    http: httpx.AsyncClient,
) -> None:
    both = await http.get("/events", params={"start_after_id": 3, "end_before_id": 1})
    assert both.status_code == 400
    assert (await http.get("/events", params={"limit": 1001})).status_code == 400


async def test_create_event_answers_201_and_can_be_retrieved(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/events",
        json={
            "chartKey": CHART,
            "eventKey": "new",
            "name": "New",
            "channels": [{"key": "c1", "name": "C1", "objects": [A1]}],
            "forSaleConfig": {"forSale": False, "objects": [A2]},
        },
    )
    assert response.status_code == 201
    event = (await http.get("/events/new")).json()
    assert event["name"] == "New"
    assert event["channels"] == [
        {
            "id": event["channels"][0]["id"],
            "key": "c1",
            "name": "C1",
            "color": "#888888",
            "objects": [A1],  # no "index": left out when unset
            "areaPlaces": {},
        }
    ]
    assert event["forSaleConfig"] == {
        "forSale": False,
        "objects": [A2],
        "areaPlaces": {},
        "categories": [],
    }
    assert event["isSeason"] is False and event["isEventInSeason"] is False


async def test_create_event_with_a_taken_key_or_unknown_chart_is_refused(
    http: httpx.AsyncClient,
) -> None:
    taken = await http.post("/events", json={"chartKey": CHART, "eventKey": GALA})
    assert (taken.status_code, error_code(taken)) == (400, "EVENT_KEY_ALREADY_EXISTS")
    chart = await http.post("/events", json={"chartKey": "nope"})
    assert (chart.status_code, error_code(chart)) == (404, "CHART_NOT_FOUND")


async def test_event_without_for_sale_config_shows_null(http: httpx.AsyncClient) -> None:
    assert (await http.get(f"/events/{FAMILY}")).json()["forSaleConfig"] is None


async def test_event_in_a_season_shows_its_season_and_no_channels_of_its_own(
    http: httpx.AsyncClient,
) -> None:
    await http.post(
        f"/events/{SEASON}/channels", json={"key": "h", "name": "House", "objects": [A1]}
    )
    event = (await http.get(f"/events/{S1}")).json()
    assert event["isEventInSeason"] is True
    assert event["topLevelSeasonKey"] == SEASON
    assert event["partialSeasonKeysForEvent"] == []
    assert event["channels"] == []  # the season's channels live on the season
    infos = (await http.get(f"/events/{S1}/objects", params={"label": A1})).json()
    assert infos[A1]["channel"] == "h"  # and apply to its events


async def test_event_in_a_season_carries_the_seasons_for_sale_config_only_when_propagated(
    http: httpx.AsyncClient,
) -> None:
    body = {"notForSale": [{"object": "Orchestra-A-1"}]}
    await http.post(f"/events/{SEASON}/actions/edit-for-sale-config", json=body)
    season_block = (await http.get(f"/events/{S1}")).json()["season"]
    assert season_block["key"] == SEASON
    assert season_block["forSaleConfig"]["objects"] == ["Orchestra-A-1"]
    await http.post(f"/events/{SEASON}", json={"forSalePropagated": False})
    assert (await http.get(f"/events/{S1}")).json()["season"]["forSaleConfig"] is None


async def test_season_shows_its_events_and_flags(http: httpx.AsyncClient) -> None:
    season = (await http.get(f"/events/{SEASON}")).json()
    assert (season["isSeason"], season["isTopLevelSeason"], season["isPartialSeason"]) == (
        True,
        True,
        False,
    )
    assert [e["key"] for e in season["events"]] == [f"perf-{i}" for i in range(101, 109)]
    assert season["partialSeasonKeys"] == []
    assert season["forSalePropagated"] is True


async def test_create_season_creates_its_events(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/seasons",
        json={
            "chartKey": CHART,
            "key": "s2",
            "eventKeys": ["e1", "e2"],
            "channels": [{"key": "c", "name": "C", "objects": [A1]}],
            "forSalePropagated": False,
        },
    )
    assert response.status_code == 201
    assert [e["key"] for e in response.json()["events"]] == ["e1", "e2"]
    e1 = (await http.get("/events/e1")).json()
    assert (e1["topLevelSeasonKey"], e1["channels"]) == ("s2", [])


async def test_create_season_refuses_existing_event_keys_and_both_forms(
    http: httpx.AsyncClient,
) -> None:
    taken = await http.post("/seasons", json={"chartKey": CHART, "eventKeys": [GALA]})
    assert (taken.status_code, error_code(taken)) == (400, "EVENT_KEY_ALREADY_EXISTS")
    both = await http.post(
        "/seasons", json={"chartKey": CHART, "eventKeys": ["x"], "numberOfEvents": 1}
    )
    assert (both.status_code, error_code(both)) == (400, "VALIDATION_ERROR")


async def test_update_season_changes_only_what_is_sent(
    http: httpx.AsyncClient, world: SeatsioWorld
) -> None:
    response = await http.post(
        f"/events/{SEASON}",
        json={
            "name": "New name",
            "forSalePropagated": False,
            "categories": [{"key": "k", "label": "K", "color": "#000"}],
        },
    )
    assert response.status_code == 200
    season = (await http.get(f"/events/{SEASON}")).json()
    assert (season["name"], season["forSalePropagated"], season["key"]) == (
        "New name",
        False,
        SEASON,
    )
    # the chart's categories, then the season's own
    chart_categories = [category_json(c) for c in world.chart(CHART).categories]
    assert season["categories"] == [*chart_categories, {"key": "k", "label": "K", "color": "#000"}]
    await http.post(f"/events/{SEASON}", json={"categories": None})
    assert (await http.get(f"/events/{SEASON}")).json()["categories"] == chart_categories


async def test_create_events_in_a_season(http: httpx.AsyncClient) -> None:
    response = await http.post(
        f"/seasons/{SEASON}/actions/create-events", json={"eventKeys": ["perf-109"]}
    )
    assert response.status_code == 200
    assert [e["key"] for e in response.json()["events"]] == ["perf-109"]
    assert (await http.get("/events/perf-109")).json()["topLevelSeasonKey"] == SEASON


async def test_partial_season_endpoints(http: httpx.AsyncClient) -> None:
    created = await http.post(
        f"/seasons/{SEASON}/partial-seasons", json={"key": "fall", "eventKeys": [S1]}
    )
    assert created.status_code == 201
    assert created.json()["isPartialSeason"] is True
    added = await http.post(
        f"/seasons/{SEASON}/partial-seasons/fall/actions/add-events", json={"eventKeys": [S2]}
    )
    assert [e["key"] for e in added.json()["events"]] == [S1, S2]
    removed = await http.delete(f"/seasons/{SEASON}/partial-seasons/fall/events/{S1}")
    assert [e["key"] for e in removed.json()["events"]] == [S2]
    assert (await http.get(f"/events/{SEASON}")).json()["partialSeasonKeys"] == ["fall"]
    assert (await http.get(f"/events/{S2}")).json()["partialSeasonKeysForEvent"] == ["fall"]


# ---------------------------------------------------------------- channels


async def test_channel_endpoints_answer_204_and_change_the_event(
    http: httpx.AsyncClient, world: SeatsioWorld
) -> None:
    one = await http.post(f"/events/{FAMILY}/channels", json={"key": "a", "name": "A"})
    many = await http.post(
        f"/events/{FAMILY}/channels",
        json=[{"key": "b", "name": "B"}, {"key": "c", "name": "C", "objects": [A2]}],
    )
    added = await http.post(f"/events/{FAMILY}/channels/a/objects", json={"objects": [A1, A2]})
    updated = await http.post(f"/events/{FAMILY}/channels/b", json={"name": "Bee", "color": "red"})
    removed = await http.request(
        "DELETE", f"/events/{FAMILY}/channels/a/objects", json={"objects": [A1]}
    )
    deleted = await http.delete(f"/events/{FAMILY}/channels/c")
    assert {r.status_code for r in (one, many, added, updated, removed, deleted)} == {204}
    channels = {c.key: (c.name, c.color, c.objects) for c in world.channels(FAMILY)}
    assert channels == {"a": ("A", "#888888", [A2]), "b": ("Bee", "red", [])}


async def test_replace_channels_replaces_all_and_needs_the_channels_field(
    http: httpx.AsyncClient, world: SeatsioWorld
) -> None:
    response = await http.post(
        f"/events/{JAZZ}/channels/replace",
        json={"channels": [{"key": "x", "name": "X", "objects": [A1]}]},
    )
    assert response.status_code == 204
    assert [(c.key, c.objects) for c in world.channels(JAZZ)] == [("x", [A1])]
    assert (await http.post(f"/events/{JAZZ}/channels/replace", json={})).status_code == 400


async def test_channel_calls_on_an_event_in_a_season_are_400_with_a_code(
    http: httpx.AsyncClient,
) -> None:
    response = await http.post(f"/events/{S1}/channels/replace", json={"channels": []})
    assert response.status_code == 400
    assert error_code(response) == "CHANNELS_NOT_ALLOWED_ON_EVENT_IN_SEASON"


async def test_unknown_channel_is_404(http: httpx.AsyncClient) -> None:
    response = await http.delete(f"/events/{FAMILY}/channels/nope")
    assert (response.status_code, error_code(response)) == (404, "CHANNEL_NOT_FOUND")


# ---------------------------------------------------------------- object status


async def test_status_change_answers_204_without_expand(
    http: httpx.AsyncClient, world: SeatsioWorld
) -> None:
    response = await http.post(
        f"/events/{FAMILY}/actions/change-object-status",
        json={"objects": [A1], "status": "held-press"},
    )
    assert (response.status_code, response.content) == (204, b"")
    assert world.object_status(FAMILY, A1) == "held-press"


async def test_status_change_with_expand_answers_the_objects(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/events/groups/actions/change-object-status?expand=objects",
        json={
            "events": [FAMILY],
            "objects": [{"objectId": A1}],
            "status": "held-press",
            "orderId": "o1",
        },
    )
    assert response.status_code == 200
    info = response.json()["objects"][A1]
    assert (info["status"], info["orderId"], info["label"]) == ("held-press", "o1", A1)


async def test_group_change_is_all_or_nothing_across_events(
    http: httpx.AsyncClient, world: SeatsioWorld
) -> None:
    response = await http.post(
        "/events/groups/actions/change-object-status",
        json={"events": [FAMILY, GALA], "objects": ["Orchestra-G-10"], "status": "booked"},
    )
    assert (response.status_code, error_code(response)) == (400, "ILLEGAL_STATUS_CHANGE")
    assert world.object_status(FAMILY, "Orchestra-G-10") == "free"


async def test_batch_answers_results_in_request_order(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/events/actions/change-object-status?expand=objects",
        json={
            "statusChanges": [
                {"event": GALA, "type": "RELEASE", "objects": ["Orchestra-G-10"]},
                {"event": FAMILY, "objects": [A1], "status": "held-press"},
            ]
        },
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert results[0]["objects"]["Orchestra-G-10"]["status"] == "free"
    assert results[1]["objects"][A1]["status"] == "held-press"


async def test_batch_rolls_back_when_an_item_fails(
    http: httpx.AsyncClient, world: SeatsioWorld
) -> None:
    response = await http.post(
        "/events/actions/change-object-status",
        json={
            "statusChanges": [
                {"event": FAMILY, "objects": [A1], "status": "held-press"},
                {"event": GALA, "objects": ["Orchestra-G-10"], "status": "booked"},
            ]
        },
    )
    assert response.status_code == 400
    assert world.object_status(FAMILY, A1) == "free"


async def test_batch_overrides_the_season_status(
    http: httpx.AsyncClient, world: SeatsioWorld
) -> None:
    world.book(SEASON, [A1])
    response = await http.post(
        "/events/actions/change-object-status?expand=objects",
        json={"statusChanges": [{"event": S1, "type": "OVERRIDE_SEASON_STATUS", "objects": [A1]}]},
    )
    assert response.json()["results"][0]["objects"][A1]["status"] == "free"
    assert world.object_status(S2, A1) == "booked"


async def test_override_and_use_season_status_endpoints(
    http: httpx.AsyncClient, world: SeatsioWorld
) -> None:
    world.book(SEASON, [A1])
    override = await http.post(
        f"/events/{S1}/actions/override-season-status", json={"objects": [A1]}
    )
    assert override.status_code == 204
    assert world.object_status(S1, A1) == "free"
    use = await http.post(f"/events/{S1}/actions/use-season-status", json={"objects": [A1]})
    assert use.status_code == 204
    assert world.object_status(S1, A1) == "booked"


async def test_illegal_status_change_has_the_documented_message(
    http: httpx.AsyncClient,
) -> None:
    response = await http.post(
        f"/events/{FAMILY}/actions/change-object-status",
        json={"objects": [A1], "status": "lolzor", "allowedPreviousStatuses": ["SomeOther"]},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == (
        "Cannot change from [free] to [lolzor]: free is not in the list of allowed previous statuses"
    )


async def test_status_is_forbidden_with_release_and_required_otherwise(
    http: httpx.AsyncClient,
) -> None:
    url = f"/events/{GALA}/actions/change-object-status"
    with_status = await http.post(
        url, json={"objects": ["Orchestra-G-10"], "type": "RELEASE", "status": "free"}
    )
    without = await http.post(url, json={"objects": ["Orchestra-G-10"]})
    assert [r.status_code for r in (with_status, without)] == [400, 400]


async def test_book_release_and_hold_shorthands(
    http: httpx.AsyncClient, world: SeatsioWorld
) -> None:
    assert (
        await http.post(f"/events/{FAMILY}/actions/book", json={"objects": [A1]})
    ).status_code == 204
    assert world.object_status(FAMILY, A1) == "booked"
    assert (
        await http.post(f"/events/{FAMILY}/actions/release", json={"objects": [A1]})
    ).status_code == 204
    token = (await http.post("/hold-tokens")).json()["holdToken"]
    held = await http.post(
        f"/events/{FAMILY}/actions/hold?expand=objects", json={"objects": [A1], "holdToken": token}
    )
    assert held.json()["objects"][A1]["status"] == "reservedByToken"
    assert held.json()["objects"][A1]["holdToken"] == token


async def test_hold_tokens_are_created_and_retrieved(http: httpx.AsyncClient) -> None:
    created = await http.post("/hold-tokens")
    assert created.status_code == 201
    token = created.json()
    assert token["expiresInSeconds"] == 900
    again = (await http.get(f"/hold-tokens/{token['holdToken']}")).json()
    assert again["holdToken"] == token["holdToken"]
    assert (await http.get("/hold-tokens/nope")).status_code == 404


async def test_unknown_objects_are_400_with_a_code(http: httpx.AsyncClient) -> None:
    response = await http.post(f"/events/{FAMILY}/actions/book", json={"objects": ["Z-9"]})
    assert (response.status_code, error_code(response)) == (400, "OBJECT_NOT_FOUND")


async def test_channel_object_without_channel_keys_is_refused_with_400(
    http: httpx.AsyncClient,
) -> None:
    response = await http.post(f"/events/{JAZZ}/actions/book", json={"objects": ["Balcony-A-1"]})
    assert (response.status_code, error_code(response)) == (400, "CHANNEL_KEYS_MISMATCH")
    ok = await http.post(
        f"/events/{JAZZ}/actions/book",
        json={"objects": ["Balcony-A-1"], "channelKeys": ["partner-presale"]},
    )
    assert ok.status_code == 204


# ---------------------------------------------------------------- for sale


async def test_edit_for_sale_config_answers_config_and_rate_limit_info(
    http: httpx.AsyncClient, clock: ManualClock
) -> None:
    response = await http.post(
        f"/events/{FAMILY}/actions/edit-for-sale-config",
        json={"notForSale": [{"object": A1}, {"object": "GA1", "quantity": 5}]},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["forSaleConfig"] == {
        "forSale": False,
        "objects": [A1],
        "areaPlaces": {"GA1": 5},
        "categories": [],
    }
    assert body["rateLimitInfo"]["rateLimitRemainingCalls"] == 9
    # the day's budget starts afresh at 23:00 UTC, printed as the docs print it
    assert body["rateLimitInfo"]["rateLimitResetDate"] == "2026-01-01T23:00:00Z"


async def test_edit_for_sale_config_for_several_events(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/events/actions/edit-for-sale-config",
        json={
            "events": {
                FAMILY: {"notForSale": [{"object": A1}]},
                GALA: {"forSale": [{"object": A1}]},
            }
        },
    )
    body = response.json()
    assert body[FAMILY]["forSaleConfig"]["objects"] == [A1]
    assert body[FAMILY]["rateLimitInfo"]["rateLimitRemainingCalls"] == 9
    assert body[GALA]["rateLimitInfo"]["rateLimitRemainingCalls"] == 10


async def test_for_sale_limit_answers_429_with_retry_after(http: httpx.AsyncClient) -> None:
    url = f"/events/{FAMILY}/actions/edit-for-sale-config"
    for _ in range(10):
        assert (await http.post(url, json={"notForSale": [{"object": A1}]})).status_code == 200
    response = await http.post(url, json={"notForSale": [{"object": A2}]})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == str(11 * 3600)  # 12:00 to the 23:00 UTC reset
    assert error_code(response) == "RATE_LIMIT_EXCEEDED"
    assert response.json()["errors"][0]["data"] == {
        "rateLimitRemainingCalls": 0,
        "rateLimitResetDate": "2026-01-01T23:00:00Z",
    }
    lifted = await http.post(url, json={"forSale": [{"object": A1}]})
    assert lifted.status_code == 200


async def test_mark_endpoints_replace_the_config(
    http: httpx.AsyncClient, world: SeatsioWorld
) -> None:
    not_for_sale = await http.post(
        f"/events/{FAMILY}/actions/mark-as-not-for-sale", json={"objects": [A1]}
    )
    assert not_for_sale.status_code == 204
    assert not world.is_for_sale(FAMILY, A1)
    everything = await http.post(f"/events/{FAMILY}/actions/mark-everything-as-for-sale")
    assert everything.status_code == 204
    assert (await http.get(f"/events/{FAMILY}")).json()["forSaleConfig"] is None
    for_sale = await http.post(f"/events/{FAMILY}/actions/mark-as-for-sale", json={"objects": [A1]})
    assert for_sale.status_code == 204
    assert world.is_for_sale(FAMILY, A1) and not world.is_for_sale(FAMILY, A2)
    nothing = await http.post(f"/events/{FAMILY}/actions/mark-everything-as-not-for-sale")
    assert nothing.json()["rateLimitRemainingCalls"] == 7
    assert not world.is_for_sale(FAMILY, A1)


# ---------------------------------------------------------------- reading


async def test_object_infos_show_status_channel_and_for_sale(
    http: httpx.AsyncClient, world: SeatsioWorld
) -> None:
    world.mark_as_not_for_sale(JAZZ, [A1])
    response = await http.get(
        f"/events/{JAZZ}/objects", params=[("label", "Balcony-A-1"), ("label", A1)]
    )
    infos = response.json()
    assert set(infos) == {"Balcony-A-1", A1}
    assert infos["Balcony-A-1"]["channel"] == "partner-presale"
    assert "channel" not in infos[A1]
    assert (infos[A1]["forSale"], infos[A1]["isAvailable"]) == (False, False)
    assert infos[A1]["labels"] == {
        "own": {"label": "1", "type": "seat"},
        "parent": {"label": "A", "type": "row"},
        "section": "Orchestra",
    }
    assert (infos[A1]["categoryKey"], infos[A1]["categoryLabel"]) == ("1", "Orchestra")
    assert infos[A1]["objectType"] == "seat"


async def test_object_infos_of_an_event_in_a_season_show_the_seasons_channel(
    http: httpx.AsyncClient,
) -> None:
    await http.post(f"/events/{SEASON}/channels", json={"key": "h", "name": "H", "objects": [A1]})
    infos = (await http.get(f"/events/{S2}/objects", params={"label": A1})).json()
    assert infos[A1]["channel"] == "h"


async def test_report_by_status_groups_every_object(http: httpx.AsyncClient) -> None:
    report = (await http.get(f"/reports/events/{GALA}/byStatus")).json()
    assert {k: len(v) for k, v in report.items()} == {"free": 1981, "booked": 19}
    booked = (await http.get(f"/reports/events/{GALA}/byStatus/booked")).json()
    assert list(booked) == ["booked"] and len(booked["booked"]) == 19


async def test_report_by_channel_uses_no_channel(http: httpx.AsyncClient) -> None:
    report = (await http.get(f"/reports/events/{JAZZ}/byChannel")).json()
    assert {k: len(v) for k, v in report.items()} == {"NO_CHANNEL": 1990, "partner-presale": 10}
    only = (await http.get(f"/reports/events/{JAZZ}/byChannel/partner-presale")).json()
    assert [o["label"] for o in only["partner-presale"]][:2] == ["Balcony-A-1", "Balcony-A-2"]


async def test_report_by_label_and_unknown_report(http: httpx.AsyncClient) -> None:
    report = (await http.get(f"/reports/events/{GALA}/byLabel/{A1}")).json()
    assert report[A1][0]["status"] == "free"
    assert (await http.get(f"/reports/events/{GALA}/byWhatever")).status_code == 404


async def test_chart_report_by_label_lists_every_chart_object(http: httpx.AsyncClient) -> None:
    report = (await http.get(f"/reports/charts/{CHART}/byLabel")).json()
    assert len(report) == 2000
    assert report[A1][0]["section"] == "Orchestra"


async def test_status_changes_are_paged_newest_first(
    http: httpx.AsyncClient, world: SeatsioWorld
) -> None:
    for label in (A1, A2, "Orchestra-A-3"):
        world.book(FAMILY, [label], order_id=f"o-{label}")
    first = (await http.get(f"/events/{FAMILY}/status-changes", params={"limit": 2})).json()
    assert [c["objectLabel"] for c in first["items"]] == ["Orchestra-A-3", A2]
    assert first["items"][0]["status"] == "booked"
    assert first["items"][0]["orderId"] == "o-Orchestra-A-3"
    rest = (
        await http.get(
            f"/events/{FAMILY}/status-changes",
            params={"limit": 2, "start_after_id": first["next_page_starts_after"]},
        )
    ).json()
    assert [c["objectLabel"] for c in rest["items"]] == [A1]
    assert "next_page_starts_after" not in rest


async def test_status_changes_of_one_object(http: httpx.AsyncClient, world: SeatsioWorld) -> None:
    world.book(FAMILY, [A1, A2])
    world.release(FAMILY, [A1])
    items = (await http.get(f"/events/{FAMILY}/objects/{A1}/status-changes")).json()["items"]
    assert [(c["objectLabel"], c["status"]) for c in items] == [(A1, "free"), (A1, "booked")]


async def test_empty_sandbox_has_only_the_chart(clock: ManualClock) -> None:
    app = create_seatsio_app(venue(), empty=True, clock=clock)
    async with _client(app, auth=(SEATSIO_SECRET_KEY, "")) as client:
        assert (await client.get("/events")).json()["items"] == []
        assert (await client.get(f"/charts/{CHART}")).json()["key"] == CHART
        created = await client.post("/seasons", json={"chartKey": CHART, "key": SEASON})
        assert created.status_code == 201
