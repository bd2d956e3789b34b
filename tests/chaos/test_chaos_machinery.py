"""The chaos suite's own machinery: schedules are reproducible, and the invariants do catch a
bridge that misbehaves (a checker that cannot fail would prove nothing)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.sandbox import Sandbox
from bridge.sandbox.control import LogEntry
from bridge.sandbox.seatsio_model import BOOKED
from bridge.store.sqlite import open_store
from bridge.testing import postgres
from bridge.testing.chaos import invariants as inv
from bridge.testing.chaos.runner import (
    SessionCutter,
    Summary,
    partner_grab,
    put_back_store,
    remove_store,
    spend_for_sale_edits,
)
from bridge.testing.chaos.schedule import (
    ALL_FAULT_KINDS,
    EVERY,
    FAULT_KINDS,
    HUNG_READ,
    LEASE_TTL_S,
    PARTNER_CHANNEL,
    PARTNER_KEEPS_S,
    PARTNER_PERFORMANCE,
    PROCESS_KINDS,
    PROFILES,
    SAMPLE_PERFORMANCES,
    WORLD_KINDS,
    Profile,
    Schedule,
    Step,
    fault_settings,
    generate,
)
from bridge.testing.chaos.soak import main as soak_main
from bridge.testing.sandbox import sandbox_config


@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(sorted(PROFILES)))
def test_a_seed_always_gives_the_same_schedule_and_it_survives_json(
    seed: int, profile: str
) -> None:
    a, b = generate(seed, profile), generate(seed, profile)
    assert a == b
    assert Schedule.from_json(a.to_json()) == a
    assert all(0 <= s.at_s <= a.chaos_s for s in a.steps)
    for vendor in ("seatsio", "tessitura"):  # one fault at a time per vendor
        windows = sorted((s.at_s, s.at_s + s.duration_s) for s in a.faults() if s.vendor == vendor)
        # start and duration are each rounded to 0.01 s: one window may end that much late
        # (1e-9: 5.64 + 0.01 is 5.6499999... in floating point; seed 158, profile stalls)
        assert all(x[1] - y[0] <= 0.01 + 1e-9 for x, y in pairwise(windows))
    for f in a.faults():
        assert f.fault in ALL_FAULT_KINDS
        assert fault_settings(f, 1.0)  # every kind becomes settings the sandbox takes
    for f in a.process_faults():
        assert f.describe()  # every kind says what it does
        if f.kind == "pause":  # a successor may take over meanwhile
            assert f.duration_s > LEASE_TTL_S
            assert a.processes > 1
        if f.kind == "store_loss":
            assert a.instances > 1  # sessions: PostgreSQL only
        if f.kind == "store_removed":
            assert a.instances == 1  # a file: SQLite only
            assert f.variant in ("delete", "replace")
        if f.kind == "clock_step":
            assert f.offset_s != 0
    assert a.standby == (a.instances == 1 and any(s.kind == "pause" for s in a.steps))
    for w in a.world_steps():
        assert w.describe() and (w.duration_s > 0 or w.kind == "partner_grab")
        assert w.performances and set(w.performances) <= set(SAMPLE_PERFORMANCES)
        if w.kind == "partner_grab":
            assert w.performances == (PARTNER_PERFORMANCE,) and w.moves >= 1
            assert w.duration_s == 0 or w.duration_s >= PARTNER_KEEPS_S[0] > inv.BASE_ALLOWANCE_S
        if w.kind == "for_sale_spent":
            assert len(w.performances) == 1 and w.moves >= 1


def test_the_soak_mixes_every_new_kind_with_the_old_ones_and_the_short_profile_has_none() -> None:
    soak = [generate(seed, "soak") for seed in range(1, 201)]
    kinds = {s.kind for g in soak for s in g.process_faults()}
    assert kinds == set(PROCESS_KINDS)
    assert any(f.fault == HUNG_READ for g in soak for f in g.faults())
    assert any(f.fault in FAULT_KINDS for g in soak for f in g.faults())
    # the short profile (make test) keeps its budget: its seeds are what they were
    short = [generate(seed, "short") for seed in range(1, 201)]
    assert not any(g.process_faults() or g.standby for g in short)
    assert not any(f.fault == HUNG_READ for g in short for f in g.faults())
    # issue 25's world steps: in the soak, beside the others; never in short or stalls
    assert {s.kind for g in soak for s in g.world_steps()} == set(WORLD_KINDS)
    assert any(g.world_steps() and g.process_faults() and g.signals() for g in soak)
    grabs = [s for g in soak for s in g.world_steps() if s.kind == "partner_grab"]
    assert {s.duration_s == 0 for s in grabs} == {True, False}  # kept to the end, or let go
    for name in ("short", "stalls"):
        assert not any(generate(seed, name).world_steps() for seed in range(1, 201))
    forms = [generate(seed, "held-forms") for seed in range(1, 21)]
    assert all({s.kind for s in g.world_steps()} == set(WORLD_KINDS) for g in forms)


def test_the_world_steps_leave_a_soak_seeds_other_steps_as_they_were(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_world = [generate(seed, "soak") for seed in range(1, 51)]
    before = dataclasses.replace(PROFILES["soak"], world=0.0)
    monkeypatch.setitem(PROFILES, "soak", before)
    for g in with_world:
        assert [s for s in g.steps if s.kind not in WORLD_KINDS] == list(
            generate(g.seed, "soak").steps
        )
    assert isinstance(before, Profile)


def test_a_new_step_survives_json_and_shrinking_and_an_older_schedule_still_loads() -> None:
    schedule = Schedule(
        7,
        (
            Step(0.5, "pause", instance=EVERY, duration_s=LEASE_TTL_S + 2),
            Step(1.0, "clock_step", instance=1, offset_s=-3600.0),
            Step(1.5, "store_removed", variant="replace", duration_s=2.0),
            Step(2.0, "fault", vendor="tessitura", fault=HUNG_READ, duration_s=1.0, hang_s=5.0),
        ),
        6.0,
        standby=True,
    )
    assert Schedule.from_json(schedule.to_json()) == schedule
    smaller = schedule.without(0)
    assert [s.kind for s in smaller.steps] == ["clock_step", "store_removed", "fault"]
    assert smaller.standby and smaller.kept == (1, 2, 3)
    assert Schedule.from_json(smaller.to_json()) == smaller
    described = "\n".join(schedule.describe())
    assert "frozen (SIGSTOP)" in described and "stepped -3600s" in described
    assert "replaced by an empty file" in described and "hang 5.00s" in described
    old = '{"seed": 3, "chaos_s": 5.0, "instances": 1, "profile": "short", "kept": null, '
    old += '"steps": [{"at_s": 1.0, "kind": "sigkill", "instance": 0, "duration_s": 0.5}]}'
    loaded = Schedule.from_json(old)
    assert not loaded.standby and loaded.steps[0].offset_s == 0.0


def test_a_hung_read_outlasts_the_client_timeout_and_hits_reads_only() -> None:
    seatsio = Step(0.0, "fault", vendor="seatsio", fault=HUNG_READ, duration_s=1.0, hang_s=0.1)
    settings = fault_settings(seatsio, 1.0)
    assert settings["hang_s"] > 2 * 1.0  # a retry hangs too
    assert settings["method"] == "GET"  # a write is never stalled by it
    tessitura = Step(0.0, "fault", vendor="tessitura", fault=HUNG_READ, hang_s=6.0)
    assert fault_settings(tessitura, 1.0)["hang_s"] == 6.0


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


#: When a synthetic hold was placed (wall time: only the monotonic one is judged).
WHEN = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _released(seen: inv.Seen, box: Sandbox, config: Path, now: float) -> list[str]:
    """The sample's "held seat released while held" violations (the sandbox's own holds are
    buyable before any bridge ran: "held, yet buyable" is not what these tests look at)."""
    return [v for v in seen.sample(box, config, now, [], {}) if "made buyable online" in v]


def _held_and_blocked(box: Sandbox) -> tuple[int, int, str, str]:
    """A seat of the first performance held in Tessitura, and blocked online as the bridge would."""
    perf = box.venue.performances[0]
    held = box.tessitura_world.held_seats(perf.id)
    seat = next(
        s
        for s in box.venue.seats
        if s.id not in held and inv.buyable(box.seatsio_world.object_view(perf.event_key, s.label))
    )
    box.tessitura_world.hold(perf.id, [seat.id], 2)
    box.seatsio_world.set_status(perf.event_key, [seat.label], "held-press")
    return perf.id, seat.id, perf.event_key, seat.label


def test_a_held_seat_released_long_after_its_hold_is_caught_at_once(tmp_path: Path) -> None:
    box = Sandbox()
    seen = inv.Seen.start(box)
    pid, seat, key, label = _held_and_blocked(box)
    placed = 100.0
    seen.placed_at[(pid, seat)] = (placed, WHEN)
    config = sandbox_config(tmp_path, "http://127.0.0.1:1", "http://127.0.0.1:2")
    assert _released(seen, box, config, placed + 1.0) == []
    late = placed + inv.STALE_RELEASE_S + 1.0
    assert _released(seen, box, config, late - 0.2) == []
    box.seatsio_world.release(key, [label])  # a stale writer's release
    found = _released(seen, box, config, late)
    assert len(found) == 1 and label in found[0], found


def test_a_release_soon_after_the_hold_or_by_a_buyer_is_not_a_stale_write(tmp_path: Path) -> None:
    box = Sandbox()
    seen = inv.Seen.start(box)
    config = sandbox_config(tmp_path, "http://127.0.0.1:1", "http://127.0.0.1:2")
    pid, seat, key, label = _held_and_blocked(box)
    seen.placed_at[(pid, seat)] = (100.0, WHEN)
    assert _released(seen, box, config, 100.5) == []
    box.seatsio_world.release(key, [label])  # a run that read before the hold: a race
    assert _released(seen, box, config, 101.0) == []
    # a buyer who had booked a seat the box office then held releases it: not the bridge
    box.seatsio_world.book(key, [label])
    assert _released(seen, box, config, 120.0) == []
    box.seatsio_world.release(key, [label])
    seen.buyer_freed.add((key, label))
    assert _released(seen, box, config, 120.2) == []


def test_the_lane_budget_counts_a_hung_read_only_as_long_as_a_client_can_know_of_it() -> None:
    def regular(start: float, end: float, fault: str | None = None) -> LogEntry:
        return LogEntry("GET", "/events/e", "GET /events/e", "regular", 200, start, end, fault)

    box = Sandbox()
    log = box.seatsio_control.log.entries
    log += [regular(10.0 + i / 10, 11.0) for i in range(5)]
    assert inv.two_writers(box) == []
    log.append(regular(1.0, 11.0, "hang"))  # hung since long before: seats.io gave up on it
    assert inv.two_writers(box) == []
    log.append(regular(9.5, 11.0, "hang"))  # hung just now: still counted
    assert inv.two_writers(box) == ["6 regular-lane requests in flight at once (budget 5)"]


def test_a_removed_store_file_is_gone_for_its_daemon_and_comes_back_whole(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    with open_store(path) as store:
        store.put_note("kept", "yes")
    for replace in (False, True):
        moved = remove_store(path, replace)
        assert path.exists() == replace  # deleted, or an empty file in its place
        assert not replace or path.read_bytes() == b""
        put_back_store(path, moved)
        with open_store(path) as store:
            assert [n.value for n in store.notes("kept")] == ["yes"]


def test_a_store_session_loss_ends_the_daemons_sessions_and_none_of_the_harness(
    tmp_path: Path,
) -> None:
    reason = postgres.unavailable()
    if reason:
        pytest.skip(reason)
    script = (
        "import sys, time, psycopg\n"
        "c = psycopg.connect(sys.argv[1], autocommit=True)\n"
        "print('connected', flush=True)\n"
        "for _ in range(200):\n"
        "    try:\n"
        "        c.execute('SELECT 1')\n"
        "    except psycopg.OperationalError:\n"
        "        print('lost', flush=True)\n"
        "        break\n"
        "    time.sleep(0.05)\n"
        "else:\n"
        "    print('still connected', flush=True)\n"
    )
    with postgres.fresh_database("seatbridge_chaos") as url:
        daemon = subprocess.Popen(
            [sys.executable, "-c", script, url], stdout=subprocess.PIPE, text=True
        )
        try:
            assert daemon.stdout is not None and daemon.stdout.readline() == "connected\n"
            with psycopg.connect(url, autocommit=True) as mine:  # the harness's own session
                assert SessionCutter(url).cut([daemon.pid]) == 1
                assert daemon.stdout.readline() == "lost\n"
                mine.execute("SELECT 1")  # untouched
        finally:
            daemon.kill()
            daemon.wait()


def test_the_soak_figures_count_the_new_kinds_and_read_older_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = Summary(
        seed=1,
        instances=3,
        violations=(),
        converged_after_s=1.5,
        kills=1,
        terms=0,
        faults=("5xx", HUNG_READ, "pause", "store_loss"),
        hit={"hang": 4, "store_session_terminated": 6},
        skipped={"clock_step": 1},
    )
    older = {  # a result line written before the process faults existed
        "seed": 2,
        "instances": 1,
        "violations": [],
        "converged_after_s": 2.5,
        "kills": 0,
        "terms": 1,
        "faults": ["malformed"],
        "hit": {"malformed": 3},
    }
    results = tmp_path / "chaos.jsonl"
    results.write_text(
        json.dumps(dataclasses.asdict(new)) + "\n" + json.dumps(older) + "\n", encoding="utf-8"
    )
    assert soak_main(["--figures", str(results)]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["schedules"] == 2
    kinds = figures["fault_windows_by_kind"]
    assert kinds[HUNG_READ] == kinds["pause"] == kinds["store_loss"] == 1
    assert kinds["store_removed"] == kinds["clock_step"] == 0
    assert figures["steps_not_played_by_kind"] == {"clock_step": 1}
    assert figures["requests_faulted_by_kind"]["store_session_terminated"] == 6


def test_the_lane_budget_leaves_out_requests_in_flight_while_sessions_were_cut() -> None:
    def regular(start: float, end: float) -> LogEntry:
        return LogEntry("GET", "/events/e", "GET /events/e", "regular", 200, start, end, None)

    box = Sandbox()
    log = box.seatsio_control.log.entries
    log += [regular(10.0 + i / 10, 11.0) for i in range(6)]
    assert inv.two_writers(box) == ["6 regular-lane requests in flight at once (budget 5)"]
    # the sessions holding the slots were being terminated: the shared count died with them
    assert inv.two_writers(box, sessions_cut=[(9.0, 10.2)]) == []
    # long after the cut (more than two client timeouts), the budget counts again
    assert inv.two_writers(box, sessions_cut=[(1.0, 2.0)]) == [
        "6 regular-lane requests in flight at once (budget 5)"
    ]


def test_a_daemon_that_said_why_it_stopped_is_no_crash_even_after_a_malformed_answer(
    tmp_path: Path,
) -> None:
    said_why = tmp_path / "daemon-0.log"
    said_why.write_text(
        "[warning] unit failed error='seats.io HTTP 200: GET /events/perf-101: unexpected "
        "response shape: answer.key: Input should be a valid string'\n"
        "[error] the state store is gone: stopping at once\n",
        encoding="utf-8",
    )
    crashed = tmp_path / "daemon-1.log"
    crashed.write_text("[error] unit crashed error='unexpected KeyError: 3'\n", encoding="utf-8")
    traceback = tmp_path / "daemon-2.log"
    traceback.write_text("Traceback (most recent call last):\n  ...\n", encoding="utf-8")
    found = inv.crashes([(said_why, 1), (crashed, 1), (traceback, 1)])
    assert [line.split(":")[0] for line in found] == ["daemon-1.log", "daemon-2.log"]


def test_a_world_step_survives_json_and_says_what_it_does() -> None:
    schedule = Schedule(
        9,
        (
            Step(0.5, "for_sale_spent", performances=(203,), moves=3, duration_s=2.0),
            Step(1.0, "holds_vanish", performances=(101, 201), duration_s=2.5),
            Step(1.5, "partner_grab", performances=(202,), moves=2, duration_s=0.0),
        ),
        6.0,
    )
    assert Schedule.from_json(schedule.to_json()) == schedule
    described = "\n".join(schedule.describe())
    assert "for-sale edits of performance 203; 3 kill(s)" in described
    assert "no holds (200, []) for performance(s) 101, 201" in described
    assert (
        "channel of performance 202 takes 2 held seat(s), lets them go after the chaos" in described
    )


def test_the_sample_has_what_the_world_steps_name() -> None:
    box = Sandbox()
    assert {p.id for p in box.venue.performances} == set(SAMPLE_PERFORMANCES)
    assert any(
        c.performance_id == PARTNER_PERFORMANCE and c.key == PARTNER_CHANNEL
        for c in box.venue.foreign_channels
    )
    table = (Path(inv.CHECKOUT) / "mappings" / "sample" / "hold-codes.csv").read_text()
    rows = [ln.split(",") for ln in table.splitlines() if ln and not ln.startswith(("#", "hold"))]
    assert {r[2] for r in rows if r[1] == "channel"} == inv.BRIDGE_CHANNELS
    assert {r[2] for r in rows if r[1] == "status"} | {r[6] for r in rows if r[6]} <= (
        inv.BRIDGE_STATUSES
    )
    config = (Path(inv.CHECKOUT) / "config" / "sandbox.toml").read_text()
    assert f'fallback_status = "{inv.FALLBACK_STATUS}"' in config


def test_a_held_seat_a_partners_channel_takes_is_buyable_until_a_bridge_status_holds_it() -> None:
    box = Sandbox()
    world, key = box.seatsio_world, box.venue.performance(PARTNER_PERFORMANCE).event_key
    taken = partner_grab(box, PARTNER_PERFORMANCE, 2, __import__("random").Random(1))
    assert len(taken) == 2
    assert all(world.channel_of(key, label) == PARTNER_CHANNEL for label in taken)
    found = {box.venue.seat(s).label for p, s in inv.held_and_buyable(box) if p == 202}
    assert set(taken) <= found  # the partner's buyers may buy them: the invariant says so
    world.set_status(key, taken, inv.FALLBACK_STATUS, channel_keys=[PARTNER_CHANNEL])
    found = {box.venue.seat(s).label for p, s in inv.held_and_buyable(box) if p == 202}
    assert not set(taken) & found
    free = next(v for v in world.object_views(key) if inv.open_to_public(v))
    assert not inv.buyable(dataclasses.replace(free, channel="house"))  # the bridge's own channel
    assert inv.buyable(dataclasses.replace(free, channel="someone-elses"))


def test_someone_else_spends_the_for_sale_edits_and_leaves_the_seat_as_it_was() -> None:
    from bridge.sandbox.seatsio_errors import SeatsioApiError
    from bridge.sandbox.seatsio_forsale import ForSaleItem

    box = Sandbox()
    world = box.seatsio_world
    before = {v.object.label: v.for_sale for v in world.object_views("perf-203")}
    assert spend_for_sale_edits(box, "perf-203") >= 1
    assert {v.object.label: v.for_sale for v in world.object_views("perf-203")} == before
    with pytest.raises(SeatsioApiError):
        world.edit_for_sale_config("perf-203", not_for_sale=[ForSaleItem("Balcony-P-1")])


def test_a_hold_placed_while_its_holds_answer_is_empty_gets_that_time_and_a_freed_one_none(
    tmp_path: Path,
) -> None:
    box = Sandbox()
    config = sandbox_config(tmp_path, "http://127.0.0.1:1", "http://127.0.0.1:2")
    seen = inv.Seen.start(box)
    seen.first_held.update({k: 0.0 for k in inv.held_seat_views(box)})
    pid, seat, key, label = _held_and_blocked(box)
    seen.sample(box, config, 1.0, [], {})  # the bridge had blocked it: seen so
    seen.blinded(pid, 1.5, 30.0)
    fresh = next(
        s.id
        for s in box.venue.seats
        if s.id not in box.tessitura_world.held_seats(pid)
        and inv.open_to_public(box.seatsio_world.object_view(key, s.label))
    )
    box.tessitura_world.hold(pid, [fresh], 2)  # placed while the answer is empty: unseen
    seen.placed(pid, fresh)
    box.seatsio_world.release(key, [label])  # freed during the vanish: the bug
    seen.placed_at[(pid, seat)] = (-10.0, WHEN)
    first = seen.sample(box, config, 2.0, [], {})
    assert any(label in v and "made buyable online" in v for v in first), first
    late = seen.sample(box, config, 2.0 + inv.BASE_ALLOWANCE_S + 1.0, [], {})
    assert any(label in v and "yet buyable" in v for v in late), late
    assert not any(box.venue.seat(fresh).label in v for v in late), late
    assert seen.unseen_for(pid, fresh, 2.0, 10.0) == 8.0
    assert seen.unseen_for(pid, seat, 2.0, 10.0) == 0.0


def test_a_samples_own_hold_released_early_in_the_chaos_is_caught_and_a_vanish_named(
    tmp_path: Path,
) -> None:
    from bridge.clock import SYSTEM

    box = Sandbox()
    config = sandbox_config(tmp_path, "http://127.0.0.1:1", "http://127.0.0.1:2")
    seen = inv.Seen.start(box)  # the sample's holds: held since before the bridge started
    key, label = "perf-201", "Orchestra-B-1"
    seat = box.venue.seat_by_label(label).id
    assert (201, seat) in seen.first_held
    box.seatsio_world.set_status(key, [label], "held-comps")  # as the bridge holds it
    now = SYSTEM.monotonic() + inv.STALE_RELEASE_S + 1.0  # the chaos began just now
    assert _released(seen, box, config, now) == []
    seen.blinded(201, now, 3.0)
    box.seatsio_world.release(key, [label])  # a bridge that took [] for every hold lifted
    (found,) = [v for v in _released(seen, box, config, now + 0.2) if label in v]
    assert "answered no holds" in found
