"""Instances announced on the store: who runs, where it listens, what it serves, whether it lives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bridge.store import Instance, StateStore

T0 = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def test_an_announced_instance_is_listed_live(store: StateStore) -> None:
    store.announce_instance("host-b:2:x", "10.0.0.2:8080", ["seatsio", "tessitura"], now=T0)
    store.announce_instance("host-a:1:y", "10.0.0.1:8080", [], now=T0)
    assert store.instances(30, now=T0 + SECOND) == [
        Instance("host-a:1:y", "10.0.0.1:8080", (), T0, T0, True),
        Instance("host-b:2:x", "10.0.0.2:8080", ("seatsio", "tessitura"), T0, T0, True),
    ]


def test_announcing_again_keeps_started_at_and_moves_seen_at(store: StateStore) -> None:
    store.announce_instance("a", "h:1", ["u"], now=T0)
    store.announce_instance("a", "h:2", ["u", "v"], now=T0 + 10 * SECOND)
    assert store.instances(30, now=T0 + 10 * SECOND) == [
        Instance("a", "h:2", ("u", "v"), T0, T0 + 10 * SECOND, True)
    ]


def test_an_instance_not_seen_within_the_staleness_is_listed_dead(store: StateStore) -> None:
    store.announce_instance("a", "h:1", [], now=T0)
    (instance,) = store.instances(30, now=T0 + 30 * SECOND)
    assert not instance.live


def test_a_retired_instance_is_gone(store: StateStore) -> None:
    store.announce_instance("a", "h:1", [], now=T0)
    store.retire_instance("a")
    store.retire_instance("never-there")
    assert store.instances(30, now=T0) == []


def test_units_must_be_a_collection_and_times_aware(store: StateStore) -> None:
    with pytest.raises(TypeError, match="single string"):
        store.announce_instance("a", "h:1", "seatsio", now=T0)
    with pytest.raises(ValueError, match="naive"):
        store.announce_instance("a", "h:1", [], now=datetime(2026, 11, 30))
    with pytest.raises(ValueError, match="positive"):
        store.instances(0, now=T0)


def test_the_store_says_its_venue_and_whether_it_is_shared(store: StateStore) -> None:
    assert store.venue
    if store.shared:
        budget = store.lane_budget("account", "lane", 2)
        assert budget is not None and budget.limit == 2
    else:
        assert store.lane_budget("account", "lane", 2) is None
