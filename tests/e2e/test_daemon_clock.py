"""`seatbridge run` whose wall clock is stepped while it runs (``[testing] clock_offset_file``,
faketime-style): an hour back, then an hour forward. The schedule keeps monotonic time, so a new
hold still reaches seats.io and a lifted one leaves after either step; each step is logged and
counted."""

from __future__ import annotations

import re
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from bridge.testing.daemon import PATIENCE_S, converged, eventually, fast_config, role_of
from bridge.testing.sandbox import served_sandbox, spawn


def _metric(url: str, name: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=5).text
    m = re.search(rf"^{re.escape(name)} ([0-9.e+-]+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


@pytest.mark.slow
def test_a_new_hold_reaches_seats_io_after_the_wall_clock_steps_an_hour_back_or_forward(
    tmp_path: Path,
) -> None:
    offset = tmp_path / "clock-offset"
    log = tmp_path / "daemon.log"
    with served_sandbox(tmp_path) as (box, config):
        config = fast_config(config)
        with config.open("a", encoding="utf-8") as f:
            f.write(f'\n[testing]\nclock_offset_file = "{offset}"\n')
        proc = spawn(config, "run", log=log)
        try:
            note = eventually("the daemon is active", lambda: role_of(config, proc.pid))
            url = f"http://{note['listen']}"
            eventually("every performance converged", lambda: converged(config))
            label = "Orchestra-J-7"
            seat = box.venue.seat_by_label(label).id
            free = box.seatsio_world.object_status("perf-201", label)
            steps = 'seatbridge_clock_steps_total{direction="%s"}'
            for written, direction in (("-3600", "backward"), ("0", "forward")):
                offset.write_text(written, encoding="utf-8")
                eventually(
                    f"the {direction} step is noticed",
                    lambda d=direction: _metric(url, steps % d) == 1.0,
                )
                box.tessitura_world.hold(201, [seat], 2)
                eventually(
                    f"a new hold reaches seats.io after the {direction} step",
                    lambda: box.seatsio_world.object_status("perf-201", label) != free,
                )
                box.tessitura_world.release(201, [seat])
                eventually(
                    f"the lifted hold leaves seats.io after the {direction} step",
                    lambda: box.seatsio_world.object_status("perf-201", label) == free,
                )
            assert proc.poll() is None
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=PATIENCE_S) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pytest.fail("the daemon did not end")
    text = log.read_text(encoding="utf-8")
    assert text.count("wall clock stepped") == 2, text[-3000:]
    assert "missed its time" not in text
