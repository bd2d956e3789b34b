"""The fake seats.io's multi-event status change over HTTP: all or nothing (issue 13, "Season
tickets").

Evidence: docs "Season tickets" (/work/shared/reference/seatsio-season-tickets-change-object-status.md):
"either booking succeeds for all events, or it doesn't succeed for any of them". Neither the docs
nor the SDK tests (seatsio-python tests/events/testChangeObjectStatusForMultipleEvents.py) show an
error for one refusing event, so the fake takes the reading under which a bridge bug shows: an
ILLEGAL_STATUS_CHANGE item is exactly ``{code, message}`` and does *not* name the refusing event
(the bridge must name the events of its call itself); only EVENT_NOT_FOUND names its key.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from seatsio_fixtures import (  # noqa: F401
    app_fixture,
    clock_fixture,
    http_fixture,
    venue,
    world_fixture,
)

from bridge.sandbox.seatsio_world import SeatsioWorld

GROUP = "/events/groups/actions/change-object-status"
GALA = "perf-201"  # Orchestra G 10-20 sold
FAMILY = "perf-203"  # nothing sold
S1, S2, S3 = "perf-101", "perf-102", "perf-103"  # events of the season
A1, A2 = "Orchestra-A-1", "Orchestra-A-2"
SOLD = "Orchestra-G-10"


def guarded(events: list[str], objects: list[str], status: str = "held-press") -> dict[str, Any]:
    """The bridge's shape of a season-ticket hold: only over free seats, past any channel."""
    return {
        "events": events,
        "objects": objects,
        "status": status,
        "allowedPreviousStatuses": ["free"],
        "ignoreChannels": True,
        "keepExtraData": True,
    }


def untouched(world: SeatsioWorld, events: list[str], labels: list[str]) -> bool:
    return all(
        world.object_status(e, label) == "free" and world.status_changes(e, label) == []
        for e in events
        for label in labels
    )


async def test_a_season_ticket_hold_applies_to_every_event_in_one_request(
    world: SeatsioWorld, http: httpx.AsyncClient
) -> None:
    response = await http.post(GROUP, json=guarded([S1, S2, S3], [A1, A2]))
    assert response.status_code == 204
    assert {world.object_status(e, a) for e in (S1, S2, S3) for a in (A1, A2)} == {"held-press"}


@pytest.mark.parametrize("order", [[FAMILY, GALA], [GALA, FAMILY]])
async def test_one_event_refusing_applies_the_change_nowhere(
    world: SeatsioWorld, http: httpx.AsyncClient, order: list[str]
) -> None:
    """SOLD is booked in GALA only: the guard refuses there, so FAMILY is not touched either,
    whichever place GALA has in the list."""
    response = await http.post(GROUP, json=guarded(order, [A1, SOLD]))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [e["code"] for e in errors] == ["ILLEGAL_STATUS_CHANGE"]
    assert set(errors[0]) == {"code", "message"}  # no data: seats.io does not say which event
    assert untouched(world, [FAMILY], [A1, SOLD])
    assert world.object_status(GALA, A1) == "free" and world.object_status(GALA, SOLD) == "booked"


async def test_a_missing_event_refuses_the_change_for_every_event_and_is_named(
    world: SeatsioWorld, http: httpx.AsyncClient
) -> None:
    response = await http.post(GROUP, json=guarded([S1, "perf-999", S2], [A1]))
    assert response.status_code == 404
    (error,) = response.json()["errors"]
    assert error["code"] == "EVENT_NOT_FOUND" and "perf-999" in error["message"]
    assert untouched(world, [S1, S2], [A1])


async def test_a_not_for_sale_object_in_one_event_refuses_the_change_for_every_event(
    world: SeatsioWorld, http: httpx.AsyncClient
) -> None:
    """Booking refuses a not-for-sale object (a custom status does not: see
    test_seatsio_fake_status_semantics.py), and then no event is booked."""
    world.mark_as_not_for_sale(S2, [A2])
    response = await http.post(GROUP, json=guarded([S1, S2, S3], [A1, A2], status="booked"))
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"]] == ["OBJECT_NOT_FOR_SALE"]
    assert untouched(world, [S1, S3], [A1, A2])
    assert world.object_status(S2, A1) == "free"


async def test_a_refused_batch_undoes_its_earlier_items_on_other_events(
    world: SeatsioWorld, http: httpx.AsyncClient
) -> None:
    """The batch the bridge sends for several changes in one step: one transaction."""
    items = [guarded([], [A1]), guarded([], [SOLD])]
    for item, event in zip(items, (FAMILY, GALA), strict=True):
        del item["events"]
        item["event"] = event
    body = {"statusChanges": items}
    response = await http.post("/events/actions/change-object-status", json=body)
    assert response.status_code == 400
    assert untouched(world, [FAMILY], [A1])
