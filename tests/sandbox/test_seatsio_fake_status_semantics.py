"""The fake seats.io's status semantics, each pinned to the evidence it rests on (issue 9).

Where seats.io's behaviour is known (the official seatsio-python SDK's tests, which seats.io runs
against its real API, or the docs) the fake does exactly that; where it is not, the fake is
permissive wherever only the bridge's own guard should stop an overwrite. Evidence is named in
each test's docstring: ``SDK tests/...`` is a file in github.com/seatsio/seatsio-python,
``docs ...`` a page under docs.seats.io/docs/api/.
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

from bridge.sandbox.seatsio_errors import SeatsioApiError
from bridge.sandbox.seatsio_forsale import ForSaleItem
from bridge.sandbox.seatsio_model import ObjectSpec, StatusChangeRequest
from bridge.sandbox.seatsio_world import SeatsioWorld

SEASON = "season-2026-27"
GALA = "perf-201"  # standalone, Orchestra G 10-20 sold
JAZZ = "perf-202"  # standalone, Balcony A 1-10 in the foreign channel "partner-presale"
FAMILY = "perf-203"  # standalone, nothing sold
S1, S2 = "perf-101", "perf-102"  # events of the season
A1, A2, A3 = "Orchestra-A-1", "Orchestra-A-2", "Orchestra-A-3"
SOLD = "Orchestra-G-10"  # booked in GALA
IN_CHANNEL = "Balcony-A-1"  # in JAZZ's channel "partner-presale"


def refused(code: str, status: int = 400) -> pytest.RaisesExc[SeatsioApiError]:
    return pytest.raises(SeatsioApiError, check=lambda e: (e.code, e.status) == (code, status))


def batch(*items: tuple[str, list[str], str]) -> list[StatusChangeRequest]:
    return [
        StatusChangeRequest((event,), tuple(ObjectSpec(label) for label in labels), status=status)
        for event, labels, status in items
    ]


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["code"]
    return code


# ---------------------------------------------------------------- 1. custom over non-free


def test_custom_statuses_replace_each_other_in_one_batch_without_previous_statuses(
    world: SeatsioWorld,
) -> None:
    """SDK tests/events/testListStatusChanges.py and testListStatusChangesForObject.py: one batch
    sets A-1 to status1, status2, status3 (status4); every change applies and is logged."""
    world.change_status(
        batch((FAMILY, [A1], "status1"), (FAMILY, [A1], "status2"), (FAMILY, [A1], "status3"))
    )
    assert world.object_status(FAMILY, A1) == "status3"
    assert [c.status for c in world.status_changes(FAMILY, A1)] == [
        "status3",
        "status2",
        "status1",
    ]


def test_a_custom_status_overwrites_a_booking_when_nothing_guards_it(world: SeatsioWorld) -> None:
    """No SDK test covers booked -> custom. By the principle the fake applies it, so only the
    bridge's own guard (allowedPreviousStatuses) can protect a sale."""
    world.set_status(GALA, [SOLD], "held-press")
    assert world.object_status(GALA, SOLD) == "held-press"


def test_a_booked_seat_can_be_put_up_for_resale(world: SeatsioWorld) -> None:
    """docs resale: resale is how a buyer resells a seat they booked; no previous-status rule."""
    world.set_status(GALA, [SOLD], "resale", resale_listing_id="listing1")
    view = world.object_view(GALA, SOLD)
    assert (view.status, view.state.resale_listing_id) == ("resale", "listing1")


def test_allowed_and_rejected_previous_statuses_still_refuse_custom_over_custom(
    world: SeatsioWorld,
) -> None:
    """SDK tests/events/testChangeObjectStatus.py test_allowed_previous_statuses and
    test_reject_previous_statuses: these two fields are what refuses (ILLEGAL_STATUS_CHANGE)."""
    world.set_status(FAMILY, [A1], "held-press")
    with refused("ILLEGAL_STATUS_CHANGE"):
        world.set_status(FAMILY, [A1], "held-house", allowed_previous_statuses=["free"])
    with refused("ILLEGAL_STATUS_CHANGE"):
        world.set_status(FAMILY, [A1], "held-house", rejected_previous_statuses=["held-press"])
    with refused("ILLEGAL_STATUS_CHANGE"):
        world.set_status(GALA, [SOLD], "held-press", rejected_previous_statuses=["booked"])
    assert world.object_status(FAMILY, A1) == "held-press"
    assert world.object_status(GALA, SOLD) == "booked"


def test_hold_tokens_channels_and_for_sale_still_refuse(world: SeatsioWorld) -> None:
    """SDK tests/events/testChangeObjectStatus.py test_hold_token (a held seat changes with its
    token) and test_channelKeys; docs for-sale-not-for-sale. Nothing else refuses."""
    token = world.create_hold_token().token
    world.hold(FAMILY, [A1], token)
    with refused("ILLEGAL_STATUS_CHANGE"):
        world.set_status(FAMILY, [A1], "held-press")
    world.set_status(FAMILY, [A1], "held-press", hold_token=token)
    assert world.object_status(FAMILY, A1) == "held-press"
    with refused("CHANNEL_KEYS_MISMATCH"):
        world.set_status(JAZZ, [IN_CHANNEL], "held-press")
    world.edit_for_sale_config(FAMILY, not_for_sale=[ForSaleItem(A2)])
    with refused("OBJECT_NOT_FOR_SALE"):
        world.book(FAMILY, [A2])


def test_booked_seats_cannot_be_held_or_booked_again(world: SeatsioWorld) -> None:
    """docs change-object-status-in-batch: "you cannot hold already booked seats directly, you
    need to release them first"."""
    token = world.create_hold_token().token
    with refused("ILLEGAL_STATUS_CHANGE"):
        world.hold(GALA, [SOLD], token)
    with refused("ILLEGAL_STATUS_CHANGE"):
        world.book(GALA, [SOLD])


# ---------------------------------------------------------------- 2. release


def test_release_returns_a_resale_seat_that_was_booked_to_resale(world: SeatsioWorld) -> None:
    """docs release-objects: "objects that had status resale before go back to status resale
    when they get released"."""
    world.set_status(FAMILY, [A1], "resale", resale_listing_id="listing1")
    world.book(FAMILY, [A1])
    world.release(FAMILY, [A1])
    view = world.object_view(FAMILY, A1)
    assert (view.status, view.state.resale_listing_id) == ("resale", "listing1")


def test_release_of_a_plain_booking_still_frees_the_seat(world: SeatsioWorld) -> None:
    """SDK tests/events/testReleaseObjects.py test: book, release, free."""
    world.book(FAMILY, [A1, A2])
    world.release(FAMILY, [A1, A2])
    assert world.object_status(FAMILY, A1) == world.object_status(FAMILY, A2) == "free"


def test_release_keeps_the_order_id(world: SeatsioWorld) -> None:
    """SDK tests/events/testReleaseObjects.py test_withOrderId: a release with an orderId leaves
    it on the object. Without one the object keeps the order id it had (it is not cleared)."""
    world.book(FAMILY, [A1])
    world.release(FAMILY, [A1], order_id="order1")
    assert world.object_view(FAMILY, A1).state.order_id == "order1"
    world.book(FAMILY, [A2], order_id="order2")
    world.release(FAMILY, [A2])
    view = world.object_view(FAMILY, A2)
    assert (view.status, view.state.order_id) == ("free", "order2")


def test_release_with_a_hold_token_clears_the_token(world: SeatsioWorld) -> None:
    """SDK tests/events/testReleaseObjects.py test_withHoldToken."""
    token = world.create_hold_token().token
    world.hold(FAMILY, [A1], token)
    world.release(FAMILY, [A1], hold_token=token)
    view = world.object_view(FAMILY, A1)
    assert (view.status, view.state.hold_token) == ("free", None)


# ---------------------------------------------------------------- 3. resale and channels


def test_resale_seats_in_a_channel_are_booked_without_its_channel_key(world: SeatsioWorld) -> None:
    """docs resale: "resale seats can be booked without specifying their secret channel key in
    the request" (and are selectable, so holdable, in a channel not made available)."""
    world.set_status(JAZZ, [IN_CHANNEL, "Balcony-A-2"], "resale", ignore_channels=True)
    world.book(JAZZ, [IN_CHANNEL])
    token = world.create_hold_token().token
    world.hold(JAZZ, ["Balcony-A-2"], token)
    assert world.object_status(JAZZ, IN_CHANNEL) == "booked"
    assert world.object_status(JAZZ, "Balcony-A-2") == "reservedByToken"
    world.book(JAZZ, ["Balcony-A-2"], hold_token=token)  # the buyer's hold, still no key
    assert world.object_status(JAZZ, "Balcony-A-2") == "booked"
    world.release(JAZZ, ["Balcony-A-2"], ignore_channels=True)
    assert world.object_status(JAZZ, "Balcony-A-2") == "resale"


def test_free_seats_in_a_channel_still_need_the_channel_key(world: SeatsioWorld) -> None:
    """docs resale: this "is different from free seats" in a channel."""
    with refused("CHANNEL_KEYS_MISMATCH"):
        world.book(JAZZ, [IN_CHANNEL])
    world.book(JAZZ, [IN_CHANNEL], channel_keys=["partner-presale"])
    assert world.object_status(JAZZ, IN_CHANNEL) == "booked"


# ---------------------------------------------------------------- 4. availabilityReason


def test_availability_reason_of_a_non_free_object_not_for_sale_is_its_status(
    world: SeatsioWorld,
) -> None:
    """docs events-reports/summary (by availability reason): "Objects that have a non-free
    status AND are marked as not for sale get that custom status as availability reason
    (instead of not_for_sale)"."""
    world.set_status(FAMILY, [A1], "held-press")
    world.edit_for_sale_config(FAMILY, not_for_sale=[ForSaleItem(A1), ForSaleItem(A2)])
    world.edit_for_sale_config(GALA, not_for_sale=[ForSaleItem(SOLD)])
    assert world.object_view(FAMILY, A1).availability_reason == "held-press"
    assert world.object_view(GALA, SOLD).availability_reason == "booked"
    assert world.object_view(FAMILY, A2).availability_reason == "not_for_sale"
    assert world.object_view(FAMILY, A3).availability_reason == "available"


async def test_availability_reason_report_groups_by_status_before_not_for_sale(
    world: SeatsioWorld, http: httpx.AsyncClient
) -> None:
    """The same rule as served by GET /reports/events/{key}/byAvailabilityReason."""
    world.set_status(FAMILY, [A1], "held-press")
    world.edit_for_sale_config(FAMILY, not_for_sale=[ForSaleItem(A1), ForSaleItem(A2)])
    report = (await http.get(f"/reports/events/{FAMILY}/byAvailabilityReason")).json()
    assert [o["label"] for o in report["held-press"]] == [A1]
    assert [o["label"] for o in report["not_for_sale"]] == [A2]


# ---------------------------------------------------------------- 5. season tickets


async def _post(http: httpx.AsyncClient, action: str, body: dict[str, Any]) -> httpx.Response:
    return await http.post(f"/seasons/actions/{action}", json=body)


async def test_season_tickets_change_object_status_on_every_event(
    world: SeatsioWorld, http: httpx.AsyncClient
) -> None:
    """../shared/reference/seatsio-season-tickets-change-object-status.md: {objects, events,
    status, orderId}; 204 No Content."""
    body = {"objects": [A1, A2], "events": [S1, S2, FAMILY], "status": "st", "orderId": "o1"}
    response = await _post(http, "change-object-status", body)
    assert (response.status_code, response.content) == (204, b"")
    for event in (S1, S2, FAMILY):
        for label in (A1, A2):
            view = world.object_view(event, label)
            assert (view.status, view.state.order_id) == ("st", "o1")


async def test_season_tickets_book_hold_and_release(
    world: SeatsioWorld, http: httpx.AsyncClient
) -> None:
    """The same page: /book, /hold (with holdToken) and /release take the body without status."""
    token = world.create_hold_token().token
    hold = {"objects": [A1], "events": [S1, S2], "holdToken": token}
    assert (await _post(http, "hold", hold)).status_code == 204
    assert world.object_status(S1, A1) == world.object_status(S2, A1) == "reservedByToken"
    assert (await _post(http, "book", hold)).status_code == 204
    assert world.object_status(S1, A1) == world.object_status(S2, A1) == "booked"
    release = {"objects": [A1], "events": [S1, S2]}
    assert (await _post(http, "release", release)).status_code == 204
    assert world.object_status(S1, A1) == world.object_status(S2, A1) == "free"


async def test_season_tickets_are_all_or_nothing(
    world: SeatsioWorld, http: httpx.AsyncClient
) -> None:
    """The same page: "either booking succeeds for all events, or it doesn't succeed for any of
    them". Orchestra-G-10 is booked in GALA, so booking it in FAMILY and GALA changes neither."""
    response = await _post(http, "book", {"objects": [SOLD], "events": [FAMILY, GALA]})
    assert (response.status_code, error_code(response)) == (400, "ILLEGAL_STATUS_CHANGE")
    assert world.object_status(FAMILY, SOLD) == "free"
    response = await _post(http, "book", {"objects": [A1], "events": [FAMILY, "no-such-event"]})
    assert (response.status_code, error_code(response)) == (404, "EVENT_NOT_FOUND")
    assert world.object_status(FAMILY, A1) == "free"


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("change-object-status", {"objects": [A1], "events": [FAMILY]}),  # no status
        ("book", {"objects": [A1], "events": [FAMILY], "status": "booked"}),  # status in path
        ("book", {"objects": [A1], "events": []}),
        ("book", {"objects": [A1], "event": FAMILY}),  # misspelt
        ("book", {"objects": [A1], "events": [FAMILY], "channelKeys": ["k"]}),  # not documented
        ("hold", {"objects": [A1], "events": [FAMILY]}),  # no holdToken
    ],
)
async def test_season_tickets_refuse_bodies_outside_the_documented_shape(
    world: SeatsioWorld, http: httpx.AsyncClient, action: str, body: dict[str, Any]
) -> None:
    """Strict where a field would otherwise be silently ignored: 400 VALIDATION_ERROR."""
    response = await _post(http, action, body)
    assert (response.status_code, error_code(response)) == (400, "VALIDATION_ERROR")
    assert world.object_status(FAMILY, A1) == "free"
