"""Units taken from a daemon that died wait until its last requests are surely over.

Regression (chaos soak, seed 399): an instance was killed while its channel change hung at
seats.io; the survivor took the unit at once, and the dead instance's change landed after the
survivor's write to the same event."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from bridge.config import load_config
from bridge.daemon.schedule import UnitJob, owner_of
from bridge.daemon.service import Daemon, UnitState
from bridge.testing.sandbox import SANDBOX_CONFIG

KEYS = [f"unit:{n}" for n in range(200, 260)]


def sharing_daemon() -> Daemon:
    cfg = load_config(SANDBOX_CONFIG)
    daemon = Daemon(Path(SANDBOX_CONFIG), cfg)
    daemon._owned = set()
    daemon.state.units = {k: UnitState(UnitJob(k, (1,), 60.0)) for k in KEYS}
    return daemon


async def test_units_of_an_instance_that_died_wait_those_of_one_that_left_do_not() -> None:
    d = sharing_daemon()
    before = sorted(["dead:1:x", "left:2:y", d.holder])
    d._live = before
    d._share_units()
    assert d._owned and all(d._quiet_left(k) == 0 for k in KEYS)

    d._live = [d.holder]  # one died, the other retired cleanly
    d._share_units(before, died={"dead:1:x"})
    from_dead = [k for k in KEYS if owner_of(k, before) == "dead:1:x"]
    from_left = [k for k in KEYS if owner_of(k, before) == "left:2:y"]
    assert from_dead and from_left
    wait = 2 * d.cfg.seatsio.timeout_s  # twice the seats.io timeout, by default
    assert all(0 < d._quiet_left(k) <= wait for k in from_dead)
    assert all(d._quiet_left(k) == 0 for k in from_left)


async def test_the_wait_is_the_configured_one_and_a_run_in_it_is_put_off() -> None:
    d = sharing_daemon()
    d.cfg = replace(d.cfg, daemon=d.cfg.daemon.model_copy(update={"takeover_wait_s": 5.0}))
    assert d.dead_grace_s == 5.0
    d._owned = set(KEYS)
    d._gate = asyncio.Semaphore(1)
    d._reconciler = object()  # type: ignore[assignment]  # never reached: the run is put off
    d._stay_quiet(None)
    await d._run_unit(KEYS[0])  # returns without reconciling (the reconciler is not one)
    assert 4.0 < d._quiet_left(KEYS[0]) <= 5.0
