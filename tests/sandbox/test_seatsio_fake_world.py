"""The fake seats.io's rules, tested on the in-memory world directly (no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from seatsio_fixtures import clock_fixture, venue  # noqa: F401

from bridge.sandbox.seatsio_clock import ManualClock
from bridge.sandbox.seatsio_errors import SeatsioApiError
from bridge.sandbox.seatsio_forsale import ForSaleConfig, ForSaleItem
from bridge.sandbox.seatsio_model import ChannelSpec, ObjectSpec, StatusChangeRequest
from bridge.sandbox.seatsio_seed import world_from_venue
from bridge.sandbox.seatsio_world import SeatsioWorld

SEASON = "season-2026-27"
GALA = "perf-201"  # standalone, Orchestra G 10-20 and Mezzanine A 1-8 sold
JAZZ = "perf-202"  # standalone, Balcony A 1-10 in the foreign channel "partner-presale"
FAMILY = "perf-203"  # standalone, nothing sold
S1, S2 = "perf-101", "perf-102"  # events of the season, Orchestra D 20-21 sold in each
A1, A2, A3 = "Orchestra-A-1", "Orchestra-A-2", "Orchestra-A-3"


@pytest.fixture
def world(clock: ManualClock) -> SeatsioWorld:
    return world_from_venue(venue(), clock=clock)


def refused(code: str, status: int = 400) -> pytest.RaisesExc[SeatsioApiError]:
    return pytest.raises(SeatsioApiError, check=lambda e: (e.code, e.status) == (code, status))


def change(event: str | tuple[str, ...], labels: list[str], **kw: object) -> StatusChangeRequest:
    keys = (event,) if isinstance(event, str) else event
    return StatusChangeRequest(
        event_keys=keys,
        objects=tuple(ObjectSpec(label) for label in labels),
        **kw,  # type: ignore[arg-type]
    )


# ---------------------------------------------------------------- seeding


def test_seeded_chart_has_every_seat_label_categorised_by_section(world: SeatsioWorld) -> None:
    chart = world.chart("grand-hall-chart")
    assert len(chart.objects) == 2000
    assert chart.objects[A1].category_label == "Orchestra"
    assert chart.objects["Balcony-P-32"].category_label == "Balcony"
    assert {c.label for c in chart.categories} == {"Orchestra", "Mezzanine", "Balcony"}


def test_seeded_world_has_the_season_with_its_events_and_the_standalone_events(
    world: SeatsioWorld,
) -> None:
    season = world.event(SEASON)
    assert [e.key for e in world.members(season)] == [f"perf-{i}" for i in range(101, 109)]
    assert world.event(S1).in_season
    assert not world.event(GALA).in_season
    assert len(world.events()) == 13


def test_seeded_sales_are_booked_in_their_events(world: SeatsioWorld) -> None:
    assert world.object_status(GALA, "Orchestra-G-10") == "booked"
    assert world.object_status(S2, "Orchestra-D-21") == "booked"
    assert world.object_status(FAMILY, "Orchestra-G-10") == "free"


def test_seeded_foreign_channel_holds_its_seats(world: SeatsioWorld) -> None:
    assert world.channel_of(JAZZ, "Balcony-A-1") == "partner-presale"
    assert world.channel_of(GALA, "Balcony-A-1") is None


def test_empty_world_has_only_the_chart(clock: ManualClock) -> None:
    world = world_from_venue(venue(), empty=True, clock=clock)
    assert world.events() == []
    assert len(world.chart("grand-hall-chart").objects) == 2000


# ---------------------------------------------------------------- status changes


def test_any_string_other_than_a_builtin_is_a_custom_status(world: SeatsioWorld) -> None:
    world.set_status(FAMILY, [A1], "held-press")
    assert world.object_status(FAMILY, A1) == "held-press"


def test_booking_an_object_that_is_not_free_is_refused(world: SeatsioWorld) -> None:
    with refused("ILLEGAL_STATUS_CHANGE"):
        world.book(GALA, ["Orchestra-G-10"])


def test_allowed_previous_statuses_refuse_with_the_documented_message(
    world: SeatsioWorld,
) -> None:
    with pytest.raises(SeatsioApiError) as err:
        world.set_status(FAMILY, [A1], "x", allowed_previous_statuses=["held-press"])
    assert err.value.code == "ILLEGAL_STATUS_CHANGE"
    assert err.value.message == (
        "Cannot change from [free] to [x]: free is not in the list of allowed previous statuses"
    )


def test_rejected_previous_statuses_refuse_with_the_documented_message(
    world: SeatsioWorld,
) -> None:
    with pytest.raises(SeatsioApiError) as err:
        world.set_status(FAMILY, [A1], "x", rejected_previous_statuses=["free"])
    assert err.value.message == (
        "Cannot change from [free] to [x]: free is in the list of rejected previous statuses"
    )


def test_release_guarded_by_allowed_previous_statuses_only_lifts_that_status(
    world: SeatsioWorld,
) -> None:
    world.set_status(FAMILY, [A1], "held-press")
    with refused("ILLEGAL_STATUS_CHANGE"):
        world.release(GALA, ["Orchestra-G-10"], allowed_previous_statuses=["held-press"])
    world.release(FAMILY, [A1], allowed_previous_statuses=["held-press"])
    assert world.object_status(FAMILY, A1) == "free"
    assert world.object_status(GALA, "Orchestra-G-10") == "booked"


def test_a_custom_status_replaces_another_unless_a_guard_refuses_it(world: SeatsioWorld) -> None:
    """Known (SDK testListStatusChanges: status1, status2, status3 on one object all apply): only
    allowed/rejectedPreviousStatuses refuse, so the bridge's own guard is what protects a hold."""
    world.set_status(FAMILY, [A1], "held-press")
    world.set_status(FAMILY, [A1], "held-house")  # no guard: applied
    assert world.object_status(FAMILY, A1) == "held-house"
    with refused("ILLEGAL_STATUS_CHANGE"):
        world.set_status(FAMILY, [A1], "held-vip", allowed_previous_statuses=["held-press"])
    assert world.object_status(FAMILY, A1) == "held-house"


def test_release_returns_a_booked_object_to_free(world: SeatsioWorld) -> None:
    world.release(GALA, ["Orchestra-G-10"])
    assert world.object_status(GALA, "Orchestra-G-10") == "free"


def test_releasing_a_free_object_is_refused(world: SeatsioWorld) -> None:
    with refused("ILLEGAL_STATUS_CHANGE"):
        world.release(FAMILY, [A1])


def test_release_must_not_carry_a_status(world: SeatsioWorld) -> None:
    with refused("VALIDATION_ERROR"):
        world.change_status([change(GALA, ["Orchestra-G-10"], type="RELEASE", status="free")])


def test_change_status_to_needs_a_status(world: SeatsioWorld) -> None:
    with refused("VALIDATION_ERROR"):
        world.change_status([change(FAMILY, [A1], type="CHANGE_STATUS_TO")])


def test_unknown_object_is_refused_and_nothing_changes(world: SeatsioWorld) -> None:
    with refused("OBJECT_NOT_FOUND"):
        world.book(FAMILY, [A1, "Orchestra-Z-99"])
    assert world.object_status(FAMILY, A1) == "free"


def test_unknown_event_is_404_event_not_found(world: SeatsioWorld) -> None:
    with refused("EVENT_NOT_FOUND", 404):
        world.book("no-such-event", [A1])


def test_order_id_is_stored_on_the_object(world: SeatsioWorld) -> None:
    world.book(FAMILY, [A1], order_id="o-42")
    assert world.object_view(FAMILY, A1).state.order_id == "o-42"


def test_extra_data_is_cleared_unless_keep_extra_data(world: SeatsioWorld) -> None:
    spec = ObjectSpec(A1, extra_data={"note": "vip"})
    world.change_status([StatusChangeRequest((FAMILY,), (spec,), status="held-press")])
    world.set_status(
        FAMILY, [A1], "held-house", allowed_previous_statuses=["held-press"], keep_extra_data=True
    )
    assert world.object_view(FAMILY, A1).state.extra_data == {"note": "vip"}
    world.release(FAMILY, [A1])
    assert world.object_view(FAMILY, A1).state.extra_data is None


def test_not_for_sale_objects_cannot_be_booked(world: SeatsioWorld) -> None:
    world.edit_for_sale_config(FAMILY, not_for_sale=[ForSaleItem(A1)])
    with refused("OBJECT_NOT_FOR_SALE"):
        world.book(FAMILY, [A1])


def test_hold_needs_a_hold_token_and_booking_a_held_seat_needs_the_same_token(
    world: SeatsioWorld,
) -> None:
    with refused("VALIDATION_ERROR"):
        world.set_status(FAMILY, [A1], "reservedByToken")
    token = world.create_hold_token().token
    world.hold(FAMILY, [A1], token)
    assert world.object_view(FAMILY, A1).state.hold_token == token
    with refused("ILLEGAL_STATUS_CHANGE"):
        world.book(FAMILY, [A1])
    world.book(FAMILY, [A1], hold_token=token)
    assert world.object_status(FAMILY, A1) == "booked"


def test_held_object_is_free_again_once_its_token_expires(
    world: SeatsioWorld, clock: ManualClock
) -> None:
    token = world.create_hold_token().token
    world.hold(FAMILY, [A1], token)
    clock.advance(timedelta(minutes=16))
    assert world.object_status(FAMILY, A1) == "free"
    with refused("HOLD_TOKEN_EXPIRED"):
        world.hold(FAMILY, [A2], token)


# ---------------------------------------------------------------- channel rules on status changes


def test_object_in_a_channel_needs_its_channel_key(world: SeatsioWorld) -> None:
    with refused("CHANNEL_KEYS_MISMATCH"):
        world.book(JAZZ, ["Balcony-A-1"])
    with refused("CHANNEL_KEYS_MISMATCH"):
        world.book(JAZZ, ["Balcony-A-1"], channel_keys=["another"])
    world.book(JAZZ, ["Balcony-A-1"], channel_keys=["partner-presale"])
    assert world.object_status(JAZZ, "Balcony-A-1") == "booked"


def test_ignore_channels_bypasses_the_channel_check(world: SeatsioWorld) -> None:
    world.set_status(JAZZ, ["Balcony-A-1"], "held-press", ignore_channels=True)
    assert world.object_status(JAZZ, "Balcony-A-1") == "held-press"


def test_channel_keys_without_no_channel_refuse_objects_outside_channels(
    world: SeatsioWorld,
) -> None:
    with refused("CHANNEL_KEYS_MISMATCH"):
        world.book(JAZZ, ["Balcony-A-1", A1], channel_keys=["partner-presale"])
    assert world.object_status(JAZZ, "Balcony-A-1") == "free"
    world.book(JAZZ, ["Balcony-A-1", A1], channel_keys=["partner-presale", "NO_CHANNEL"])
    assert world.object_status(JAZZ, A1) == "booked"


def test_ignore_channels_and_channel_keys_together_are_refused(world: SeatsioWorld) -> None:
    with refused("VALIDATION_ERROR"):
        world.book(JAZZ, [A1], ignore_channels=True, channel_keys=["NO_CHANNEL"])


# ---------------------------------------------------------------- transactions


def test_multi_event_change_is_all_or_nothing(world: SeatsioWorld) -> None:
    world.book(GALA, [A1])
    with refused("ILLEGAL_STATUS_CHANGE"):
        world.change_status([change((FAMILY, GALA), [A1], status="booked")])
    assert world.object_status(FAMILY, A1) == "free"
    assert world.status_changes(FAMILY, A1) == []


def test_multi_event_change_applies_to_every_event(world: SeatsioWorld) -> None:
    world.change_status([change((FAMILY, GALA), [A2, A3], status="held-press")])
    assert {world.object_status(e, a) for e in (FAMILY, GALA) for a in (A2, A3)} == {"held-press"}


def test_batch_applies_in_order_so_a_release_frees_a_seat_for_the_next_item(
    world: SeatsioWorld,
) -> None:
    world.change_status(
        [
            change(GALA, ["Orchestra-G-10"], type="RELEASE"),
            change(GALA, ["Orchestra-G-10"], status="held-press"),
        ]
    )
    assert world.object_status(GALA, "Orchestra-G-10") == "held-press"


def test_a_failing_batch_item_rolls_back_the_items_before_it(world: SeatsioWorld) -> None:
    with refused("ILLEGAL_STATUS_CHANGE"):
        world.change_status(
            [
                change(FAMILY, [A1], status="held-press"),
                change(GALA, ["Orchestra-G-10"], type="RELEASE"),
                change(GALA, ["Orchestra-G-11"], status="booked"),
            ]
        )
    assert world.object_status(FAMILY, A1) == "free"
    assert world.object_status(GALA, "Orchestra-G-10") == "booked"
    assert world.status_changes(FAMILY) == []


# ---------------------------------------------------------------- seasons


def test_booking_on_the_season_books_the_object_in_all_its_events(world: SeatsioWorld) -> None:
    world.book(SEASON, [A1])
    members = world.members(world.event(SEASON))
    assert {world.object_status(e.key, A1) for e in members} == {"booked"}


def test_object_booked_in_one_event_is_not_free_on_the_season(world: SeatsioWorld) -> None:
    world.book(S2, [A1])
    assert world.object_status(SEASON, A1) == "booked"
    with refused("ILLEGAL_STATUS_CHANGE"):
        world.book(SEASON, [A1])
    assert world.object_status(S1, A1) == "free"


def test_status_changes_on_an_event_in_a_season_are_allowed(world: SeatsioWorld) -> None:
    world.set_status(S1, [A1], "held-press")
    assert world.object_status(S1, A1) == "held-press"
    assert world.object_status(S2, A1) == "free"


def test_a_status_inherited_from_the_season_is_only_lifted_by_an_override(
    world: SeatsioWorld,
) -> None:
    world.book(SEASON, [A1])
    with refused("ILLEGAL_STATUS_CHANGE"):
        world.release(S1, [A1])
    world.change_status([change(S1, [A1], type="OVERRIDE_SEASON_STATUS")])
    assert world.object_status(S1, A1) == "free"
    assert world.object_view(S1, A1).season_status_overridden is True
    world.change_status([change(S1, [A1], type="USE_SEASON_STATUS")])
    assert world.object_status(S1, A1) == "booked"


def test_override_season_status_needs_an_event_in_a_season(world: SeatsioWorld) -> None:
    with refused("EVENT_NOT_IN_SEASON"):
        world.change_status([change(FAMILY, [A1], type="OVERRIDE_SEASON_STATUS")])


def test_channel_calls_on_an_event_in_a_season_are_refused(world: SeatsioWorld) -> None:
    with refused("CHANNELS_NOT_ALLOWED_ON_EVENT_IN_SEASON"):
        world.add_channels(S1, [ChannelSpec("house", "House", objects=(A1,))])
    with refused("CHANNELS_NOT_ALLOWED_ON_EVENT_IN_SEASON"):
        world.replace_channels(S1, [])


def test_the_seasons_channels_apply_to_its_events(world: SeatsioWorld) -> None:
    world.add_channels(SEASON, [ChannelSpec("house", "House", objects=(A1,))])
    assert world.channel_of(S1, A1) == "house"
    assert [c.key for c in world.channels(S2)] == ["house"]
    with refused("CHANNEL_KEYS_MISMATCH"):
        world.book(S1, [A1])
    world.book(S1, [A1], channel_keys=["house"])


def test_season_needs_new_event_keys(world: SeatsioWorld) -> None:
    with refused("EVENT_KEY_ALREADY_EXISTS"):
        world.create_season("grand-hall-chart", "s2", event_keys=[FAMILY])
    assert "s2" not in {e.key for e in world.events()}


def test_season_takes_event_keys_or_a_number_of_events_not_both(world: SeatsioWorld) -> None:
    with refused("VALIDATION_ERROR"):
        world.create_season("grand-hall-chart", "s2", event_keys=["x"], number_of_events=2)
    season = world.create_season("grand-hall-chart", "s2", number_of_events=3)
    assert len(season.member_ids) == 3


def test_events_created_in_a_season_inherit_its_bookings_and_channels(
    world: SeatsioWorld,
) -> None:
    world.book(SEASON, [A1])
    world.add_channels(SEASON, [ChannelSpec("house", "House", objects=(A2,))])
    (new,) = world.create_events_in_season(SEASON, ["perf-109"])
    assert world.object_status(new.key, A1) == "booked"
    assert world.channel_of(new.key, A2) == "house"


def test_partial_seasons_group_events_of_the_season(world: SeatsioWorld) -> None:
    partial = world.create_partial_season(SEASON, "fall", event_keys=[S1])
    world.add_events_to_partial_season(SEASON, "fall", [S2])
    assert [e.key for e in world.members(partial)] == [S1, S2]
    world.remove_event_from_partial_season(SEASON, "fall", S1)
    assert [e.key for e in world.members(partial)] == [S2]
    assert [p.key for p in world.partial_seasons_of(world.event(S2))] == ["fall"]
    with refused("EVENT_NOT_IN_SEASON"):
        world.add_events_to_partial_season(SEASON, "fall", [GALA])


def test_booking_on_a_partial_season_books_its_events_only(world: SeatsioWorld) -> None:
    world.create_partial_season(SEASON, "fall", event_keys=[S1])
    world.book("fall", [A1])
    assert world.object_status(S1, A1) == "booked"
    assert world.object_status(S2, A1) == "free"


def test_update_season_renames_and_sets_for_sale_propagation(world: SeatsioWorld) -> None:
    world.update_event(SEASON, name="Renamed", new_key="season-x", for_sale_propagated=False)
    season = world.event("season-x")
    assert (season.name, season.for_sale_propagated) == ("Renamed", False)
    assert world.top_season(world.event(S1)) is season
    with refused("NOT_A_SEASON"):
        world.update_event(FAMILY, for_sale_propagated=False)


def test_season_not_for_sale_is_not_for_sale_in_its_events_when_propagated(
    world: SeatsioWorld,
) -> None:
    world.edit_for_sale_config(SEASON, not_for_sale=[ForSaleItem(A1)])
    assert not world.is_for_sale(S1, A1)
    world.update_event(SEASON, for_sale_propagated=False)
    assert world.is_for_sale(S1, A1)


# ---------------------------------------------------------------- channels


def test_an_object_belongs_to_at_most_one_channel(world: SeatsioWorld) -> None:
    world.add_channels(
        FAMILY, [ChannelSpec("a", "A", objects=(A1, A2)), ChannelSpec("b", "B", objects=(A3,))]
    )
    world.add_channel_objects(FAMILY, "b", [A1])
    channels = {c.key: c.objects for c in world.channels(FAMILY)}
    assert channels == {"a": [A2], "b": [A3, A1]}


def test_a_new_channel_takes_its_objects_from_other_channels(world: SeatsioWorld) -> None:
    world.add_channels(JAZZ, [ChannelSpec("mine", "Mine", objects=("Balcony-A-1",))])
    assert world.channel_of(JAZZ, "Balcony-A-1") == "mine"
    assert "Balcony-A-1" not in world.channels(JAZZ)[0].objects


def test_update_channel_replaces_its_objects(world: SeatsioWorld) -> None:
    world.update_channel(JAZZ, "partner-presale", name="Presale", objects=["Balcony-B-1"])
    (channel,) = world.channels(JAZZ)
    assert (channel.name, channel.objects) == ("Presale", ["Balcony-B-1"])


def test_replace_channels_replaces_channels_and_assignments(world: SeatsioWorld) -> None:
    world.replace_channels(JAZZ, [ChannelSpec("mine", "Mine", objects=(A1,))])
    assert [(c.key, c.objects) for c in world.channels(JAZZ)] == [("mine", [A1])]
    assert world.channel_of(JAZZ, "Balcony-A-1") is None
    world.replace_channels(JAZZ, [])
    assert world.channels(JAZZ) == []


def test_channel_keys_and_names_must_be_unique(world: SeatsioWorld) -> None:
    with refused("CHANNEL_ALREADY_EXISTS"):
        world.add_channels(JAZZ, [ChannelSpec("partner-presale", "Other")])
    with refused("CHANNEL_ALREADY_EXISTS"):
        world.replace_channels(JAZZ, [ChannelSpec("a", "Same"), ChannelSpec("b", "Same")])
    assert [c.key for c in world.channels(JAZZ)] == ["partner-presale"]


def test_remove_objects_and_remove_channel(world: SeatsioWorld) -> None:
    world.remove_channel_objects(JAZZ, "partner-presale", ["Balcony-A-1", A1])
    assert world.channel_of(JAZZ, "Balcony-A-1") is None
    assert world.channel_of(JAZZ, "Balcony-A-2") == "partner-presale"
    world.remove_channel(JAZZ, "partner-presale")
    assert world.channels(JAZZ) == []
    with refused("CHANNEL_NOT_FOUND", 404):
        world.remove_channel(JAZZ, "partner-presale")


def test_channels_refuse_objects_not_on_the_chart(world: SeatsioWorld) -> None:
    with refused("OBJECT_NOT_FOUND"):
        world.add_channels(FAMILY, [ChannelSpec("a", "A", objects=("Nowhere-1",))])


# ---------------------------------------------------------------- for sale


def test_edit_for_sale_config_is_incremental(world: SeatsioWorld) -> None:
    world.edit_for_sale_config(FAMILY, not_for_sale=[ForSaleItem(A1), ForSaleItem(A2)])
    config = world.edit_for_sale_config(
        FAMILY, for_sale=[ForSaleItem(A1)], not_for_sale=[ForSaleItem(A3)]
    )
    assert config == ForSaleConfig(False, (A2, A3))
    assert world.is_for_sale(FAMILY, A1) and not world.is_for_sale(FAMILY, A3)


def test_mark_as_not_for_sale_replaces_the_config(world: SeatsioWorld) -> None:
    world.mark_as_not_for_sale(FAMILY, [A1])
    world.mark_as_not_for_sale(FAMILY, [A2])
    assert world.is_for_sale(FAMILY, A1) and not world.is_for_sale(FAMILY, A2)


def test_mark_as_for_sale_leaves_only_those_objects_for_sale(world: SeatsioWorld) -> None:
    world.mark_as_for_sale(FAMILY, [A1])
    assert world.is_for_sale(FAMILY, A1) and not world.is_for_sale(FAMILY, A2)


def test_for_sale_config_names_sections_in_objects_and_categories_in_categories(
    world: SeatsioWorld,
) -> None:
    world.mark_as_not_for_sale(FAMILY, objects=["Mezzanine"], categories=["3"])
    assert not world.is_for_sale(FAMILY, "Mezzanine-A-1")
    assert not world.is_for_sale(FAMILY, "Balcony-A-1")
    assert world.is_for_sale(FAMILY, A1)
    world.mark_as_not_for_sale(FAMILY, objects=["3"])
    assert world.is_for_sale(FAMILY, "Balcony-A-1")


def test_mark_everything_as_for_sale_drops_the_config(world: SeatsioWorld) -> None:
    world.mark_as_not_for_sale(FAMILY, ["Orchestra"])
    assert not world.is_for_sale(FAMILY, A1)
    world.mark_everything_as_for_sale(FAMILY)
    assert world.event(FAMILY).for_sale_config is None


def test_ten_restricting_for_sale_calls_a_day_then_429_with_retry_after(
    world: SeatsioWorld, clock: ManualClock
) -> None:
    for i in range(10):
        world.edit_for_sale_config(FAMILY, not_for_sale=[ForSaleItem(f"Orchestra-B-{i + 1}")])
        clock.advance(60)
    assert world.rate_limit_info(FAMILY).remaining_calls == 0
    with pytest.raises(SeatsioApiError) as err:
        world.edit_for_sale_config(FAMILY, not_for_sale=[ForSaleItem(A1)])
    assert err.value.status == 429
    # the day ends at 23:00 UTC (the docs' example reset date); the clock reads 12:10
    assert int(err.value.headers["Retry-After"]) == 11 * 3600 - 600
    assert err.value.data == {
        "rateLimitRemainingCalls": 0,
        "rateLimitResetDate": "2026-01-01T23:00:00Z",
    }
    assert world.is_for_sale(FAMILY, A1)


def test_marking_objects_for_sale_is_not_counted_and_not_refused(
    world: SeatsioWorld,
) -> None:
    for _ in range(10):
        world.edit_for_sale_config(FAMILY, not_for_sale=[ForSaleItem(A1)])
    world.edit_for_sale_config(FAMILY, for_sale=[ForSaleItem(A1)])
    world.mark_everything_as_for_sale(FAMILY)
    assert world.is_for_sale(FAMILY, A1)


def test_for_sale_budget_starts_afresh_at_the_daily_reset(
    world: SeatsioWorld, clock: ManualClock
) -> None:
    world.edit_for_sale_config(FAMILY, not_for_sale=[ForSaleItem(A1)])  # 12:00
    clock.advance(timedelta(hours=1))
    for _ in range(9):
        world.edit_for_sale_config(FAMILY, not_for_sale=[ForSaleItem(A2)])
    clock.advance(timedelta(hours=9, minutes=59, seconds=59))  # 22:59:59: still today
    info = world.rate_limit_info(FAMILY)
    assert (info.remaining_calls, info.reset_date) == (0, datetime(2026, 1, 1, 23, tzinfo=UTC))
    clock.advance(1)  # 23:00: every slot frees at once, not one by one 24 h after each call
    info = world.rate_limit_info(FAMILY)
    assert (info.remaining_calls, info.reset_date) == (10, datetime(2026, 1, 2, 23, tzinfo=UTC))
    world.edit_for_sale_config(FAMILY, not_for_sale=[ForSaleItem(A3)])
    assert world.rate_limit_info(FAMILY).remaining_calls == 9


def test_for_sale_budget_is_per_event(world: SeatsioWorld) -> None:
    for _ in range(10):
        world.edit_for_sale_config(FAMILY, not_for_sale=[ForSaleItem(A1)])
    world.edit_for_sale_config(GALA, not_for_sale=[ForSaleItem(A1)])
    assert world.rate_limit_info(GALA).remaining_calls == 9


def test_multi_event_for_sale_edit_is_all_or_nothing(world: SeatsioWorld) -> None:
    for _ in range(10):
        world.mark_as_not_for_sale(GALA, [A1])
    with refused("RATE_LIMIT_EXCEEDED", 429):
        world.edit_for_sale_configs(
            {FAMILY: ([], [ForSaleItem(A2)]), GALA: ([], [ForSaleItem(A2)])}
        )
    assert world.is_for_sale(FAMILY, A2)


def test_creating_an_event_with_a_restricting_config_spends_a_call(world: SeatsioWorld) -> None:
    ev = world.create_event("grand-hall-chart", "new", for_sale_config=ForSaleConfig(False, (A1,)))
    assert world.rate_limit_info(ev.key).remaining_calls == 9
    assert not world.is_for_sale("new", A1)


# ---------------------------------------------------------------- reading


def test_status_changes_are_listed_newest_first_per_event_and_object(world: SeatsioWorld) -> None:
    world.set_status(FAMILY, [A1], "held-press")
    world.release(FAMILY, [A1])
    world.book(FAMILY, [A2])
    assert [(c.object_label, c.status) for c in world.status_changes(FAMILY)] == [
        (A2, "booked"),
        (A1, "free"),
        (A1, "held-press"),
    ]
    assert [c.status for c in world.status_changes(FAMILY, A1)] == ["free", "held-press"]


def test_release_returns_a_resale_seat_to_resale_not_free(world: SeatsioWorld) -> None:
    world.set_status(GALA, [A1], "resale")
    world.set_status(GALA, [A1], "held-press", allowed_previous_statuses=["resale"])
    world.release(GALA, [A1])
    assert world.object_status(GALA, A1) == "resale"


def test_releasing_a_resale_listing_makes_the_seat_free(world: SeatsioWorld) -> None:
    world.set_status(GALA, [A1], "resale")
    world.release(GALA, [A1])
    assert world.object_status(GALA, A1) == "free"


def test_a_resale_seat_stays_selectable_and_can_be_held(world: SeatsioWorld) -> None:
    world.set_status(GALA, [A1], "resale")
    token = world.create_hold_token().token
    world.hold(GALA, [A1], token)
    assert world.object_status(GALA, A1) == "reservedByToken"
    world.release(GALA, [A1], hold_token=token)
    assert world.object_status(GALA, A1) == "resale"
