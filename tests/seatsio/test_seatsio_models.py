"""The payload models read what seats.io sends, including fields they do not know."""

from __future__ import annotations

from seatsio_payloads import EVENT, EVENT_IN_SEASON, SEASON, STATUS_CHANGE, object_info

from bridge.seatsio import Event, EventObjectInfo, Page, StatusChangeEntry


def test_event_reads_channels_and_for_sale_config_ignoring_unknown_fields() -> None:
    event = Event.model_validate(EVENT)
    assert event.key == "evt1"
    assert event.chart_key == "4150dd"
    assert event.for_sale_config is not None
    assert event.for_sale_config.for_sale is False
    assert event.for_sale_config.objects == ["section1"]
    channel = event.channel("8950dd")
    assert channel is not None
    assert (channel.id, channel.name, channel.index, channel.objects) == (
        "ch-id-1",
        "Channel 1",
        1,
        ["A-1", "A-2"],
    )


def test_event_in_season_names_its_season_and_the_season_for_sale_config() -> None:
    event = Event.model_validate(EVENT_IN_SEASON)
    assert event.is_event_in_season
    assert event.top_level_season_key == "aSeason"
    assert event.partial_season_keys_for_event == ["p1"]
    assert event.for_sale_config is None
    assert event.season is not None and event.season.for_sale_config is not None
    assert event.season.for_sale_config.objects == ["A-9"]


def test_season_accepts_event_key_as_its_key_and_lists_its_events() -> None:
    season = Event.model_validate(SEASON)
    assert season.key == "aSeason"
    assert season.is_season and season.is_top_level_season and not season.is_partial_season
    assert season.for_sale_propagated is True
    assert [e.key for e in season.events] == ["event1"]
    assert season.for_sale_config is not None
    assert season.for_sale_config.area_places == {"GA1": 3}


def test_object_info_reads_status_channel_and_sale_fields() -> None:
    info = EventObjectInfo.model_validate(
        object_info("A-1", "booked", channel="ck1", orderId="o1", extraData={"a": 1})
    )
    assert (info.label, info.status, info.channel, info.order_id) == ("A-1", "booked", "ck1", "o1")
    assert info.extra_data == {"a": 1}
    assert info.object_type == "seat"
    assert info.category_key == "9"


def test_status_change_page_reads_snake_case_cursors() -> None:
    page = Page[StatusChangeEntry].model_validate(
        {"items": [STATUS_CHANGE], "next_page_starts_after": 122}
    )
    assert page.next_page_starts_after == 122
    assert page.items[0].object_label == "A-1"
    assert page.items[0].origin is not None and page.items[0].origin.type == "API_CALL"
