"""Request values render the JSON bodies seats.io documents, without the SDK's dropped values."""

from __future__ import annotations

import pytest

from bridge.seatsio import ChannelSpec, ForSaleEdit, ObjectRef, StatusChangeRequest


def test_status_change_renders_the_group_form_with_every_guard() -> None:
    change = StatusChangeRequest.change_to(
        "bo-hold",
        ["evt1", "evt2"],
        ["A-1", ObjectRef("GA1", quantity=5)],
        allowed_previous_statuses=["free"],
        rejected_previous_statuses=["booked"],
        channel_keys=["ck1", "NO_CHANNEL"],
        keep_extra_data=True,
        order_id="order1",
    )
    assert change.to_json() == {
        "type": "CHANGE_STATUS_TO",
        "events": ["evt1", "evt2"],
        "objects": [{"objectId": "A-1"}, {"objectId": "GA1", "quantity": 5}],
        "status": "bo-hold",
        "allowedPreviousStatuses": ["free"],
        "rejectedPreviousStatuses": ["booked"],
        "channelKeys": ["ck1", "NO_CHANNEL"],
        "keepExtraData": True,
        "orderId": "order1",
    }


def test_release_renders_the_batch_form_without_a_status() -> None:
    change = StatusChangeRequest.release(["evt1"], ["A-1"], ignore_channels=True)
    assert change.to_json(batch=True) == {
        "type": "RELEASE",
        "event": "evt1",
        "objects": [{"objectId": "A-1"}],
        "ignoreChannels": True,
    }


def test_batch_form_refuses_a_change_for_several_events() -> None:
    change = StatusChangeRequest.change_to("x", ["e1", "e2"], ["A-1"])
    with pytest.raises(ValueError, match="exactly one event"):
        change.to_json(batch=True)


def test_status_change_refuses_channel_keys_with_ignore_channels() -> None:
    with pytest.raises(ValueError, match="exclude"):
        StatusChangeRequest.change_to(
            "x", ["e1"], ["A-1"], channel_keys=["c"], ignore_channels=True
        )


def test_status_change_refuses_a_single_string_as_objects() -> None:
    with pytest.raises(TypeError):
        StatusChangeRequest.change_to("x", ["e1"], "A-1")


def test_only_allowed_previous_statuses_make_a_change_conditional() -> None:
    assert StatusChangeRequest.release(
        ["e"], ["A-1"], allowed_previous_statuses=["h"]
    ).is_conditional
    assert not StatusChangeRequest.release(
        ["e"], ["A-1"], rejected_previous_statuses=["b"]
    ).is_conditional


def test_channel_spec_keeps_empty_objects_and_index_zero() -> None:
    spec = ChannelSpec("ck", "House", color="#FF0000", index=0, area_places={"GA1": 3})
    assert spec.to_json() == {
        "key": "ck",
        "name": "House",
        "color": "#FF0000",
        "index": 0,
        "objects": [],
        "areaPlaces": {"GA1": 3},
    }


def test_for_sale_edit_renders_object_entries_and_omits_empty_lists() -> None:
    edit = ForSaleEdit.of(not_for_sale=["A-1", ObjectRef("GA1", 5)])
    assert edit.to_json() == {"notForSale": [{"object": "A-1"}, {"object": "GA1", "quantity": 5}]}
