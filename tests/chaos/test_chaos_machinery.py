"""The chaos suite's own machinery: schedules are reproducible, and the invariants do catch a
bridge that misbehaves (a checker that cannot fail would prove nothing)."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from bridge.sandbox import Sandbox
from bridge.sandbox.seatsio_model import BOOKED
from bridge.testing.chaos import invariants as inv
from bridge.testing.chaos.schedule import FAULT_KINDS, Schedule, fault_settings, generate
from bridge.testing.sandbox import sandbox_config


@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(["short", "soak"]))
def test_a_seed_always_gives_the_same_schedule_and_it_survives_json(
    seed: int, profile: str
) -> None:
    a, b = generate(seed, profile), generate(seed, profile)
    assert a == b
    assert Schedule.from_json(a.to_json()) == a
    assert all(0 <= s.at_s <= a.chaos_s for s in a.steps)
    for vendor in ("seatsio", "tessitura"):  # one fault at a time per vendor
        windows = sorted((s.at_s, s.at_s + s.duration_s) for s in a.faults() if s.vendor == vendor)
        assert all(x[1] <= y[0] + 0.01 for x, y in pairwise(windows))
    for f in a.faults():
        assert f.fault in FAULT_KINDS
        assert fault_settings(f, 1.0)  # every kind becomes settings the sandbox takes


@given(st.integers(min_value=0, max_value=10**6))
def test_dropping_a_step_keeps_the_others_and_says_which_were_kept(seed: int) -> None:
    s = generate(seed)
    if not s.steps:
        return
    smaller = s.without(0)
    assert smaller.steps == s.steps[1:]
    assert smaller.kept == tuple(range(1, len(s.steps)))
    assert Schedule.from_json(smaller.to_json()) == smaller


def test_a_seat_held_in_tessitura_and_buyable_online_is_found() -> None:
    box = Sandbox()
    perf = box.venue.performances[0]
    held = box.tessitura_world.held_seats(perf.id)
    seat = next(
        s
        for s in box.venue.seats
        if s.id not in held and inv.buyable(box.seatsio_world.object_view(perf.event_key, s.label))
    )
    assert (perf.id, seat.id) not in inv.held_and_buyable(box)
    box.tessitura_world.hold(perf.id, [seat.id], 2)  # the bridge has not run: still buyable
    assert (perf.id, seat.id) in inv.held_and_buyable(box)


def test_the_log_replay_catches_a_sold_seat_changed_and_a_change_nobody_journaled(
    tmp_path: Path,
) -> None:
    box = Sandbox()
    config = sandbox_config(tmp_path, "http://127.0.0.1:1", "http://127.0.0.1:2")
    seen = inv.Seen.start(box)
    perf = box.venue.performances[0]
    labels = [
        v.object.label for v in box.seatsio_world.object_views(perf.event_key) if inv.buyable(v)
    ][:2]
    world = box.seatsio_world
    world.book(perf.event_key, [labels[0]])  # a buyer's booking, known as such
    for c in world.status_changes(perf.event_key, labels[0]):
        seen.buyer_change(perf.event_key, c.id)
    assert inv.final_checks(box, config, seen) == []
    world.release(perf.event_key, [labels[0]])  # "the bridge" releases a sold seat
    world.book(perf.event_key, [labels[1]])  # and books a seat it never journaled
    found = inv.final_checks(box, config, seen)
    assert any(f"{labels[0]}: the bridge changed it from {BOOKED}" in v for v in found), found
    assert any(f"{labels[1]}" in v and "no journaled operation" in v for v in found), found


def test_a_configured_secret_in_a_log_is_a_violation_that_never_shows_the_secret(
    tmp_path: Path,
) -> None:
    secret = inv.secrets()[0]
    log = tmp_path / "daemon-0.log"
    log.write_text(f'{{"event": "oops", "key": "{secret}"}}\n', encoding="utf-8")
    (clean := tmp_path / "daemon-1.log").write_text("all fine\n", encoding="utf-8")
    found = inv.secrets_in([log, clean])
    assert found == ["daemon-0.log: contains configured secret #1"]
    assert secret not in found[0]


def test_allowance_grows_with_the_failing_time_and_the_downtime() -> None:
    seen = inv.Seen({}, {}, ())
    base = seen.allowance(10.0, 12.0, [], False)
    assert base == inv.BASE_ALLOWANCE_S
    seen.fault("seatsio", 10.5, 1.0)
    assert seen.allowance(10.0, 12.0, [], False) == base + 1.0
    down = [(11.0, 11.5)]
    assert seen.allowance(10.0, 12.0, down, False) == base + 1.0 + 0.5 + inv.STARTUP_S


def test_the_lane_peak_counts_overlapping_requests_and_not_back_to_back_ones() -> None:
    assert inv.lane_peak([(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)]) == 1
    assert inv.lane_peak([(0.0, 2.0), (0.5, 1.5), (1.0, 3.0), (2.5, 4.0)]) == 3
    assert inv.lane_peak([]) == 0
