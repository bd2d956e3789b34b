"""What /readyz says of discovery, judged by the monotonic clock: a wall-clock step either way
neither hides a stalled schedule nor fails a healthy one."""

from __future__ import annotations

from bridge.clock import ManualClock
from bridge.config import load_config
from bridge.daemon.membership import Membership, Role
from bridge.daemon.state import DaemonState
from bridge.daemon.status_view import StatusView
from bridge.testing.sandbox import SANDBOX_CONFIG


def view_after_discovery(clock: ManualClock) -> tuple[StatusView, float]:
    cfg = load_config(SANDBOX_CONFIG)
    membership = Membership("me:0:a", shared=False, grace_s=0.0, clock=clock)
    membership.role = Role.ACTIVE
    state = DaemonState(last_discovery=clock.now(), last_discovery_mono=clock.monotonic())
    return StatusView(cfg, state, membership, clock=clock), cfg.schedule.discovery_every_s


def test_a_backward_wall_step_does_not_hide_a_discovery_that_stopped() -> None:
    clock = ManualClock()
    view, every_s = view_after_discovery(clock)
    assert view.readiness().ready
    clock.step(-3600)  # the wall clock goes back an hour: a wall-clock age would read negative
    clock.advance(3 * every_s + 1)  # and no discovery succeeds for three of its intervals
    readiness = view.readiness()
    assert not readiness.ready
    assert readiness.checks["discovery"].startswith("last succeeded at")


def test_a_forward_wall_step_does_not_fail_a_discovery_that_runs() -> None:
    clock = ManualClock()
    view, every_s = view_after_discovery(clock)
    clock.step(86_400)  # a day ahead on the wall, seconds on the monotonic clock
    clock.advance(every_s)
    assert view.readiness().ready
