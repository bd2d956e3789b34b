"""The issue's zombie write, as an operator would meet it: a real `seatbridge reconcile` frozen
(SIGSTOP) in a 429's wait past its lease, a second reconcile taking the performance over, then
SIGCONT: the old RELEASE never goes out, the seat stays held, and the frozen run exits 1 saying
its lease was lost."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from served_sandbox import lease_count, served_sandbox, spawn

from bridge.cli import main
from bridge.sandbox import Sandbox
from bridge.sandbox.control import Faults

TONIGHT, LABEL, PRESS = 201, "Orchestra-F-15", 2
#: a short lease, so the test waits seconds; a request needs its whole timeout left on it
LEASE_TTL_S, TIMEOUT_S = 3, 1
#: seats.io asks the release to wait this long: the process is frozen in that wait
RETRY_AFTER_S = 4
#: bounded polls of the sandbox and the store, never a measure of time
POLLS, POLL_S = 1500, 0.02


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Sandbox, Path]]:
    with served_sandbox(tmp_path) as (box, config):
        text = config.read_text(encoding="utf-8")
        text = re.sub(r"(?m)^(\[store\]\n)", rf"\1lease_ttl_s = {LEASE_TTL_S}\n", text)
        text = re.sub(
            r"(?ms)^(\[seatsio\]\n.*?)^timeout_s = \d+", rf"\1timeout_s = {TIMEOUT_S}", text
        )
        config.write_text(text, encoding="utf-8")
        yield box, config


def reconcile(config: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["reconcile", "--performance", str(TONIGHT), "--config", str(config)]
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def status_changes(box: Sandbox) -> list[int]:
    return [
        e.status
        for e in box.seatsio_control.log.entries
        if e.method == "POST" and "change-object-status" in e.path
    ]


def until(check: Callable[[], bool], what: str) -> None:
    for _ in range(POLLS):
        if check():
            return
        time.sleep(POLL_S)
    raise AssertionError(f"never: {what}")


@pytest.mark.slow  # over 3 s: `make test-slow` (CI runs it)
def test_a_reconcile_frozen_in_a_429_wait_past_its_lease_never_sends_its_release(
    served: tuple[Sandbox, Path],
) -> None:
    box, config = served
    code, out = reconcile(config)
    assert code == 0, out
    world = box.seatsio_world
    assert world.object_status(f"perf-{TONIGHT}", LABEL) == "held-press"
    seat = box.venue.seat_by_label(LABEL).id
    box.tessitura_world.release(TONIGHT, [seat])  # the box office lifts the press hold
    box.seatsio_control.log.clear()
    box.seatsio_control.set_faults(
        Faults(
            error_rate=1.0,
            error_status=429,
            error_headers={"Retry-After": str(RETRY_AFTER_S)},
            method="POST",
            path_pattern="change-object-status",
            count=1,
        )
    )
    frozen = spawn(config, "reconcile", "--performance", str(TONIGHT))
    try:
        until(lambda: status_changes(box) == [429], "the release was throttled")
        os.kill(frozen.pid, signal.SIGSTOP)
        # meanwhile the hold comes back, the frozen run's lease runs out (no renewal) and the
        # next reconcile takes the performance over: nothing to do, the seat is still held
        box.tessitura_world.hold(TONIGHT, [seat], PRESS)
        until(lambda: lease_count(config) == 0, "the frozen run's lease ran out")
        code, out = reconcile(config)
        assert code == 0, out
        os.kill(frozen.pid, signal.SIGCONT)
        _, err = frozen.communicate(timeout=60)
    finally:
        if frozen.poll() is None:
            os.kill(frozen.pid, signal.SIGCONT)
            frozen.kill()
            frozen.wait()
    assert status_changes(box) == [429]  # the RELEASE's retry never left the process
    assert world.object_status(f"perf-{TONIGHT}", LABEL) == "held-press"
    assert frozen.returncode == 1, err
    assert "Traceback" not in err
    assert "lease" in err and "paused or stalled" in err, err
    assert lease_count(config) == 0


def test_the_zombie_release_would_have_freed_the_seat_without_a_pause(
    served: tuple[Sandbox, Path],
) -> None:
    """The same run, not frozen: the retry goes out and the seat is freed, as the plan says
    (so the test above fails if the release is not what would have gone out)."""
    box, config = served
    assert reconcile(config)[0] == 0
    seat = box.venue.seat_by_label(LABEL).id
    box.tessitura_world.release(TONIGHT, [seat])
    box.seatsio_control.log.clear()
    box.seatsio_control.set_faults(
        Faults(
            error_rate=1.0,
            error_status=429,
            error_headers={"Retry-After": "0"},
            method="POST",
            path_pattern="change-object-status",
            count=1,
        )
    )
    code, out = reconcile(config)
    assert code == 0, out
    assert status_changes(box) == [429, 204]
    assert box.seatsio_world.object_status(f"perf-{TONIGHT}", LABEL) == "free"
