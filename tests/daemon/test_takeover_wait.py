"""Units taken from a daemon that died wait until its last requests are surely over.

Regression (chaos soak, seed 399): an instance was killed while its channel change hung at
seats.io; the survivor took the unit at once, and the dead instance's change landed after the
survivor's write to the same event. Driven through :class:`Membership`'s public API, with a
store of instance rows and a manual clock."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime

from bridge.clock import ManualClock
from bridge.config import load_config
from bridge.daemon.membership import Membership
from bridge.daemon.schedule import owner_of
from bridge.daemon.service import dead_grace_s
from bridge.store.base import Instance
from bridge.testing.sandbox import SANDBOX_CONFIG

KEYS = [f"unit:{n}" for n in range(200, 260)]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


class InstanceRows:
    """The instance rows of a shared store, as the other instances left them."""

    shared = True

    def __init__(self, live: Iterable[str] = (), dead: Iterable[str] = ()) -> None:
        self.live, self.dead = set(live), set(dead)

    def announce_instance(self, holder: str, listen: str, units: Iterable[str]) -> None:
        self.live.add(holder)

    def instances(self, stale_after_s: float) -> list[Instance]:
        rows = [(h, True) for h in self.live] + [(h, False) for h in self.dead]
        return [Instance(h, "", (), T0, T0, live) for h, live in sorted(rows)]


def membership(clock: ManualClock, grace_s: float = 20.0) -> Membership:
    return Membership("me:0:a", shared=True, grace_s=grace_s, clock=clock)


def test_units_of_an_instance_that_died_wait_those_of_one_that_left_do_not() -> None:
    clock = ManualClock()
    m = membership(clock)
    rows = InstanceRows(live=["dead:1:x", "left:2:y"])
    alone = m.units(set(KEYS))  # no heartbeat yet: this instance knows only itself
    assert set(alone.gained) == set(KEYS) and all(d == 0 for d in alone.gained.values())
    first = m.heartbeat(rows, "127.0.0.1:0")  # type: ignore[arg-type]
    before = m.live
    assert before == sorted(["dead:1:x", "left:2:y", m.holder])
    assert m.owned and all(m.quiet_left(k) == 0 for k in KEYS)
    assert set(first.lost) == set(KEYS) - m.owned  # handed to the two others
    assert {first.lost[k] for k in first.lost} == {"dead:1:x", "left:2:y"}

    rows.live, rows.dead = {m.holder}, {"dead:1:x"}  # one died, the other retired cleanly
    second = m.heartbeat(rows, "127.0.0.1:0")  # type: ignore[arg-type]
    from_dead = [k for k in KEYS if owner_of(k, before) == "dead:1:x"]
    from_left = [k for k in KEYS if owner_of(k, before) == "left:2:y"]
    assert from_dead and from_left
    assert m.owned == frozenset(KEYS)
    assert all(second.gained[k] == 20.0 and m.quiet_left(k) == 20.0 for k in from_dead)
    assert all(second.gained[k] == 0 and m.quiet_left(k) == 0 for k in from_left)
    clock.advance(15)
    assert all(m.quiet_left(k) == 5.0 for k in from_dead)
    clock.advance(5)
    assert all(m.quiet_left(k) == 0 for k in from_dead)


def test_a_wall_clock_step_neither_ends_nor_lengthens_the_wait() -> None:
    clock = ManualClock()
    m = membership(clock, grace_s=5.0)
    m.stay_quiet(None)
    clock.step(-3600)
    assert m.quiet_left(KEYS[0]) == 5.0
    clock.step(7200)
    assert m.quiet_left(KEYS[0]) == 5.0


def test_the_wait_is_the_configured_one_by_default_twice_the_seatsio_timeout() -> None:
    cfg = load_config(SANDBOX_CONFIG)
    assert dead_grace_s(cfg) == 2 * cfg.seatsio.timeout_s
    five = cfg.daemon.model_copy(update={"takeover_wait_s": 5.0})
    assert dead_grace_s(replace(cfg, daemon=five)) == 5.0


def test_a_quiet_period_for_every_unit_puts_off_each_unit() -> None:
    clock = ManualClock()
    m = membership(clock, grace_s=5.0)
    m.stay_quiet(None)
    clock.advance(0.5)
    assert all(4.0 < m.quiet_left(k) <= 5.0 for k in KEYS)


def test_on_an_sqlite_store_every_unit_runs_here_and_none_is_handed_over() -> None:
    m = Membership("me:0:a", shared=False, grace_s=5.0, clock=ManualClock())
    change = m.units(set(KEYS))
    assert not change
    assert m.owned == frozenset(KEYS)
    assert all(m.runs_here(k) and m.owner(k) == m.holder for k in KEYS)
