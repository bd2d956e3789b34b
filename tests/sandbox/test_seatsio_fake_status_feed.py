"""The fake seats.io's status-change feed over real TCP: what each item says, how sorts break ties,
and the processing delay before a change shows (seats.io lists status changes asynchronously).

The delay is the fake's reading under which a bridge that takes a quiet feed (``limit=1``: the
newest id it already knows) for "nothing changed" goes wrong in a test: a change can be made, show
in object infos at once, and show in the feed seconds later, after a newer change has shown.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from seatsio_fixtures import app_fixture, clock_fixture, venue, wire_fixture, world_fixture  # noqa: F401

from bridge.sandbox.seatsio_clock import ManualClock
from bridge.sandbox.seatsio_errors import SeatsioApiError
from bridge.sandbox.seatsio_model import Chart, ObjectSpec, StatusChangeRequest
from bridge.sandbox.seatsio_seed import world_from_venue
from bridge.sandbox.seatsio_world import SeatsioWorld

pytestmark = pytest.mark.loopback

SEASON, FAMILY, S1, S2 = "season-2026-27", "perf-203", "perf-101", "perf-102"
A1, A2, A3, B1 = "Orchestra-A-1", "Orchestra-A-2", "Orchestra-A-3", "Orchestra-B-1"
MAX_DELAY = timedelta(seconds=2)


def listed(http: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    response = http.get(path, params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def batch(*changes: tuple[str, str | None, dict[str, Any]]) -> list[StatusChangeRequest]:
    """One batch on FAMILY: (label, status or None for RELEASE, options) per change."""
    return [
        StatusChangeRequest(
            event_keys=(FAMILY,),
            objects=(ObjectSpec(label),),
            type="CHANGE_STATUS_TO" if status else "RELEASE",
            status=status,
            **options,
        )
        for label, status, options in changes
    ]


# ---------------------------------------------------------------- what an item says


def test_items_carry_the_displayed_label(http: httpx.Client, world: SeatsioWorld) -> None:
    """seatsio-js listAllStatusChanges "properties of status changes": displayedLabel A-1."""
    world.book(FAMILY, [A1])
    (item,) = listed(http, f"/events/{FAMILY}/status-changes")
    assert (item["objectLabel"], item["displayedLabel"]) == (A1, A1)
    (item,) = listed(http, f"/events/{FAMILY}/objects/{A1}/status-changes")
    assert item["displayedLabel"] == A1


def test_the_displayed_label_is_the_charts_when_it_gives_one(clock: ManualClock) -> None:
    world = world_from_venue(venue(), clock=clock)
    chart = next(iter(world.charts.values()))
    objects = dict(chart.objects)
    objects[A1] = dataclasses.replace(objects[A1], displayed_label="Stalls A1")
    world.charts[chart.key] = Chart(chart.key, chart.name, objects, chart.categories)
    world.book(FAMILY, [A1, A2])
    assert {c.object_label: c.displayed_label for c in world.status_changes(FAMILY)} == {
        A1: "Stalls A1",
        A2: A2,
    }


# ---------------------------------------------------------------- sorts


def test_sort_by_status_puts_ties_newest_first(http: httpx.Client, world: SeatsioWorld) -> None:
    """seatsio-js listAllStatusChanges "sorted by status": this batch lists A-2, B-1, A-1, A-3,
    A-1 (booked, free, reservedByToken; each group newest first)."""
    token = world.create_hold_token().token
    world.change_status(
        batch(
            (B1, "booked", {}),
            (A1, "reservedByToken", {"hold_token": token}),
            (A1, None, {"hold_token": token}),
            (A2, "booked", {}),
            (A3, "reservedByToken", {"hold_token": token}),
        )
    )
    path = f"/events/{FAMILY}/status-changes"
    ascending = listed(http, path, sort="status")
    assert [i["objectLabel"] for i in ascending] == [A2, B1, A1, A3, A1]
    descending = listed(http, path, sort="status:desc")
    assert [(i["status"], i["objectLabel"]) for i in descending] == [
        ("reservedByToken", A3),
        ("reservedByToken", A1),
        ("free", A1),
        ("booked", A2),
        ("booked", B1),
    ]


def test_sort_by_label_puts_ties_newest_first(http: httpx.Client, world: SeatsioWorld) -> None:
    world.change_status(batch((A1, "s1", {}), (A2, "s1", {}), (A1, "s2", {}), (A1, "s3", {})))
    path = f"/events/{FAMILY}/status-changes"
    assert [i["status"] for i in listed(http, path, sort="objectLabel")] == ["s3", "s2", "s1", "s1"]
    assert [i["status"] for i in listed(http, path, sort="objectLabel:desc")] == [
        "s1",
        "s3",
        "s2",
        "s1",
    ]


def test_sort_by_date_runs_with_the_ids(http: httpx.Client, world: SeatsioWorld) -> None:
    """seatsio-js "sorted by date ascending": one batch (one moment) comes back as made."""
    world.change_status(batch((A1, "booked", {}), (A3, "booked", {}), (A2, "booked", {})))
    path = f"/events/{FAMILY}/status-changes"
    assert [i["objectLabel"] for i in listed(http, path, sort="date:asc")] == [A1, A3, A2]
    assert [i["objectLabel"] for i in listed(http, path, sort="date:desc")] == [A2, A3, A1]


# ---------------------------------------------------------------- the processing delay


def test_without_a_delay_every_change_shows_at_once(
    http: httpx.Client, world: SeatsioWorld
) -> None:
    assert world.max_delay == timedelta(0)
    world.book(FAMILY, [A1])
    assert [i["objectLabel"] for i in listed(http, f"/events/{FAMILY}/status-changes")] == [A1]


def test_a_change_shows_in_object_infos_at_once_and_in_the_feed_after_its_delay(
    http: httpx.Client, world: SeatsioWorld, clock: ManualClock
) -> None:
    world.max_delay = MAX_DELAY
    world.book(FAMILY, [A1])
    (change,) = world.status_changes(FAMILY)  # the truth: every change made
    assert timedelta(0) < change.delay <= MAX_DELAY
    infos = http.get(f"/events/{FAMILY}/objects", params={"label": A1}).json()
    assert infos[A1]["status"] == "booked"
    assert listed(http, f"/events/{FAMILY}/status-changes", limit=1) == []
    assert listed(http, f"/events/{FAMILY}/objects/{A1}/status-changes") == []
    assert http.get(f"/reports/events/{FAMILY}/byStatus/booked").json()["booked"][0]["label"] == A1

    clock.now = change.visible_at - timedelta(milliseconds=1)
    assert listed(http, f"/events/{FAMILY}/status-changes") == []
    clock.now = change.visible_at
    assert [i["id"] for i in listed(http, f"/events/{FAMILY}/status-changes")] == [change.id]
    assert [i["id"] for i in listed(http, f"/events/{FAMILY}/objects/{A1}/status-changes")] == [
        change.id
    ]


def test_a_later_change_can_show_before_an_earlier_one(
    http: httpx.Client, world: SeatsioWorld, clock: ManualClock
) -> None:
    """The harm a "newest id I know" check must survive: the feed's newest item is already past
    a change it does not list yet, which shows later with a lower id."""
    world.max_delay = MAX_DELAY
    for label in (A1, A2, A3, B1):
        world.book(FAMILY, [label])
    changes = sorted(world.status_changes(FAMILY), key=lambda c: c.id)
    moment = _overtaken_moment(changes)
    assert moment is not None, "the seeded delays put no later change before an earlier one"
    clock.now = moment
    items = listed(http, f"/events/{FAMILY}/status-changes")
    shown = {c.id for c in changes if c.visible_at <= moment}
    assert [i["id"] for i in items] == sorted(shown, reverse=True)  # newest first, as shown
    newest = listed(http, f"/events/{FAMILY}/status-changes", limit=1)[0]["id"]
    assert any(c.id < newest and c.id not in shown for c in changes)

    clock.now = changes[0].date + MAX_DELAY
    assert [i["id"] for i in listed(http, f"/events/{FAMILY}/status-changes")] == [
        c.id for c in reversed(changes)
    ]


def _overtaken_moment(changes: list[Any]) -> datetime | None:
    """A moment when some change shows while an earlier one (lower id) does not yet."""
    for later in changes:
        if any(e.id < later.id and e.visible_at > later.visible_at for e in changes):
            visible_at: datetime = later.visible_at
            return visible_at
    return None


def test_cursors_page_over_what_shows(
    http: httpx.Client, world: SeatsioWorld, clock: ManualClock
) -> None:
    world.max_delay = MAX_DELAY
    for label in (A1, A2, A3):
        world.book(FAMILY, [label])
    clock.advance(MAX_DELAY)
    first = http.get(f"/events/{FAMILY}/status-changes", params={"limit": 1}).json()
    rest = listed(
        http,
        f"/events/{FAMILY}/status-changes",
        start_after_id=first["next_page_starts_after"],
    )
    assert [i["objectLabel"] for i in first["items"] + rest] == [A3, A2, A1]


def test_delays_are_seeded_and_a_refused_change_draws_none(clock: ManualClock) -> None:
    def delays(refuse_first: bool) -> list[timedelta]:
        world = SeatsioWorld(
            next(iter(world_from_venue(venue(), clock=clock).charts.values())),
            clock=clock,
            max_delay=MAX_DELAY,
            feed_seed=7,
        )
        ev = world.create_event(next(iter(world.charts)), "e1")
        if refuse_first:
            with pytest.raises(SeatsioApiError):
                world.change_status(
                    [
                        StatusChangeRequest(event_keys=(ev.key,), objects=(ObjectSpec(A1),)),
                        StatusChangeRequest(event_keys=(ev.key,), objects=(ObjectSpec(A2),)),
                    ]
                )  # no status with CHANGE_STATUS_TO: the whole batch is refused
        world.book(ev.key, [A1, A2, A3])
        return [c.delay for c in world.status_changes(ev.key)]

    assert delays(refuse_first=False) == delays(refuse_first=True)
    assert len(set(delays(refuse_first=False))) == 3


def test_a_negative_max_delay_is_refused(world: SeatsioWorld) -> None:
    with pytest.raises(ValueError, match="negative"):
        world.max_delay = timedelta(seconds=-1)


# ---------------------------------------------------------------- seasons: one feed per event


def test_season_and_member_feeds_each_hold_only_their_own_changes(
    http: httpx.Client, world: SeatsioWorld
) -> None:
    """Fail-closed reading: no feed reports more than the changes made on its own key, so a quiet
    member feed says nothing about a status its season gave the object (nor the reverse)."""
    world.book(SEASON, [A1])
    world.book(S1, [A2])
    assert world.object_status(S1, A1) == "booked"  # the season's booking shows in its event
    assert world.object_status(SEASON, A2) == "booked"  # and the event's on the season
    for key, own in ((SEASON, [A1]), (S1, [A2]), (S2, [])):
        labels = [i["objectLabel"] for i in listed(http, f"/events/{key}/status-changes")]
        assert [label for label in labels if label in (A1, A2)] == own, key
