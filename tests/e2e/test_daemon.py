"""`seatbridge run` as an operator runs it: a child process against the sandbox on loopback.

Every wait is a bounded poll of something the daemon does (the store, the fakes, its HTTP
server); no test asserts how long anything took.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bridge.sandbox import Sandbox
from bridge.sandbox.control import Faults
from bridge.store import open_store
from bridge.testing.daemon import converged, eventually, fast_config, role_of
from bridge.testing.sandbox import lease_count, run, served_sandbox, spawn, store_path

T = TypeVar("T")


def note(config: Path, key: str) -> dict[str, object] | None:
    with open_store(store_path(config)) as store:
        found = [n for n in store.notes(key) if n.key == key]
    return json.loads(found[0].value) if found else None


class Running:
    """A daemon child process and the address it serves on."""

    def __init__(self, config: Path, *args: str) -> None:
        self.config = config
        self.proc = spawn(config, "run", *args)

    def wait_role(self, role: str) -> str:
        """The daemon's address once its store note says ``role``."""

        def probe() -> str | None:
            self.assert_alive()
            n = role_of(self.config, self.proc.pid)
            if n and n.get("role") == role:
                return f"http://{n['listen']}"
            return None

        return eventually(f"the daemon is {role}", probe)

    def assert_alive(self) -> None:
        if self.proc.poll() is not None:
            _, err = self.proc.communicate()
            pytest.fail(f"the daemon exited with {self.proc.returncode}:\n{err[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
            pytest.fail("the daemon did not stop within 30 s of the signal")
        return self.proc.returncode, err


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Sandbox, Path]]:
    with served_sandbox(tmp_path) as (box, config):
        yield box, fast_config(config)


@pytest.fixture
def daemon(served: tuple[Sandbox, Path]) -> Iterator[tuple[Sandbox, Running, str]]:
    box, config = served
    d = Running(config)
    try:
        url = d.wait_role("active")
        yield box, d, url
    finally:
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.communicate()


def get(url: str) -> httpx.Response:
    return httpx.get(url, timeout=5)


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in a /metrics body (None when absent)."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return s.value
    return None


def test_the_daemon_converges_the_venue_serves_its_health_and_stops_cleanly(
    daemon: tuple[Sandbox, Running, str],
) -> None:
    box, d, url = daemon
    eventually("every performance converged", lambda: converged(d.config))
    assert box.seatsio_world.channel_of("perf-201", "Orchestra-A-1") == "house"
    assert get(f"{url}/healthz").status_code == 200
    ready = eventually("ready", lambda: (r := get(f"{url}/readyz")).status_code == 200 and r)
    assert ready.json()["checks"]["role"] == "ok"
    metrics = get(f"{url}/metrics").text
    assert 'seatbridge_reconciles_total{result="converged"}' in metrics
    assert "seatbridge_api_requests_total" in metrics
    assert "seatbridge_active 1.0" in metrics
    # the active daemon on SQLite runs every scheduled unit and is the one live instance
    scheduled = sample(metrics, "seatbridge_scheduled_units")
    assert scheduled and sample(metrics, "seatbridge_owned_units") == scheduled
    assert sample(metrics, "seatbridge_live_instances") == 1
    assert sample(metrics, "seatbridge_reconcile_duration_seconds_count", kind="performance")
    assert sample(metrics, "seatbridge_last_success_timestamp_seconds", kind="performance")
    status = run(d.config, "status")
    assert status.returncode == 0, status.stderr
    assert "active" in status.stdout and "next run" in status.stdout.lower()
    code, err = d.stop()
    assert code == 0, err
    assert lease_count(d.config) == 0
    assert role_of(d.config, d.proc.pid) is None  # it no longer claims a role


def test_a_hold_placed_in_tessitura_reaches_seats_io_and_a_lifted_one_leaves(
    daemon: tuple[Sandbox, Running, str],
) -> None:
    box, d, _ = daemon
    eventually("every performance converged", lambda: converged(d.config))
    label = "Orchestra-J-7"
    seat = box.venue.seat_by_label(label).id
    before = box.seatsio_world.object_status("perf-201", label)
    box.tessitura_world.hold(201, [seat], 2)
    after = eventually(
        "the new hold shows on seats.io",
        lambda: (s := box.seatsio_world.object_status("perf-201", label)) != before and s,
    )
    assert after != "free"
    box.tessitura_world.release(201, [seat])
    eventually(
        "the lifted hold is lifted on seats.io",
        lambda: box.seatsio_world.object_status("perf-201", label) == before,
    )
    assert d.stop()[0] == 0


@pytest.mark.slow  # over 3 s: `make test-slow` (CI runs it)
def test_a_broken_mapping_is_refused_and_the_last_good_one_keeps_syncing(
    daemon: tuple[Sandbox, Running, str],
) -> None:
    box, d, url = daemon
    eventually("every performance converged", lambda: converged(d.config))
    table = next(p for p in re.findall(r'"([^"]+\.csv)"', d.config.read_text()) if "seats" in p)
    good = Path(table).read_text(encoding="utf-8")
    try:
        Path(table).write_text(good + "not,a,valid,row,at,all\n", encoding="utf-8")
        refused = eventually(
            "the broken edit is refused on /readyz",
            lambda: (
                (r := get(f"{url}/readyz")).status_code == 503
                and "refused" in r.json()["checks"]["config"]
                and r
            ),
        )
        assert re.search(r"seats[^:]*\.csv:\d+", refused.json()["checks"]["config"])
        seat = box.venue.seat_by_label("Orchestra-J-8").id
        before = box.seatsio_world.object_status("perf-201", "Orchestra-J-8")
        box.tessitura_world.hold(201, [seat], 2)
        eventually(  # the last good config still runs
            "a hold placed while the edit is refused reaches seats.io",
            lambda: box.seatsio_world.object_status("perf-201", "Orchestra-J-8") != before,
        )
    finally:
        Path(table).write_text(good, encoding="utf-8")
    eventually("the fixed edit is taken", lambda: get(f"{url}/readyz").status_code == 200)
    assert 'seatbridge_config_reloads_total{result="refused"}' in get(f"{url}/metrics").text
    assert d.stop()[0] == 0


@pytest.mark.slow  # over 3 s: `make test-slow` (CI runs it)
def test_a_hung_seats_io_call_does_not_stop_the_other_units(
    daemon: tuple[Sandbox, Running, str],
) -> None:
    box, d, url = daemon
    eventually("every performance converged", lambda: converged(d.config))
    box.seatsio_control.set_faults(Faults(hang_s=600, path_pattern="perf-201"))
    seat, other = (
        box.venue.seat_by_label("Orchestra-J-9").id,
        box.venue.seat_by_label("Orchestra-J-10").id,
    )
    before = box.seatsio_world.object_status("perf-202", "Orchestra-J-10")
    box.tessitura_world.hold(201, [seat], 2)
    box.tessitura_world.hold(202, [other], 2)
    eventually(
        "another unit syncs while perf-201 hangs",
        lambda: box.seatsio_world.object_status("perf-202", "Orchestra-J-10") != before,
    )
    eventually(
        "the hung unit is timed out",
        lambda: 'seatbridge_reconciles_total{result="timeout"}' in get(f"{url}/metrics").text,
    )
    box.seatsio_control.set_faults(Faults())
    eventually(
        "the hung unit recovers once seats.io answers",
        lambda: box.seatsio_world.object_status("perf-201", "Orchestra-J-9") != "free",
    )
    code, err = d.stop()
    assert code == 0, err
    assert lease_count(d.config) == 0


@pytest.mark.slow  # over 3 s: `make test-slow` (CI runs it)
def test_a_standby_takes_over_when_the_active_daemon_is_killed(
    daemon: tuple[Sandbox, Running, str],
) -> None:
    box, active, _ = daemon
    standby = Running(active.config)
    try:
        standby_url = standby.wait_role("standby")
        waiting = get(f"{standby_url}/readyz")
        assert waiting.status_code == 503 and waiting.json()["checks"]["role"] == "standby"
        standby_metrics = get(f"{standby_url}/metrics").text
        assert sample(standby_metrics, "seatbridge_owned_units") == 0
        assert sample(standby_metrics, "seatbridge_live_instances") == 1
        refused = run(active.config, "run", "--no-standby", timeout_s=30)
        assert refused.returncode == 75, refused.stderr
        active.proc.send_signal(signal.SIGKILL)
        active.proc.communicate()
        standby.wait_role("active")
        label = "Orchestra-J-11"
        box.tessitura_world.hold(203, [box.venue.seat_by_label(label).id], 2)
        before = "free"
        eventually(
            "the new active daemon syncs",
            lambda: box.seatsio_world.object_status("perf-203", label) != before,
        )
        code, err = standby.stop()
        assert code == 0, err
    finally:
        if standby.proc.poll() is None:
            standby.proc.kill()
            standby.proc.communicate()


@pytest.mark.slow  # over 3 s: `make test-slow` (CI runs it)
def test_with_seasons_sync_the_daemon_builds_an_empty_seats_io_and_syncs_it(
    tmp_path: Path,
) -> None:
    with served_sandbox(tmp_path, seatsio_empty=True) as (box, config):
        config = fast_config(config)
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace("[discovery]\n", "[discovery]\nseasons_sync = true\n", 1))
        d = Running(config)
        try:
            url = d.wait_role("active")
            eventually("every performance converged", lambda: converged(config))
            assert box.seatsio_world.channel_of("perf-201", "Orchestra-A-1") == "house"
            assert box.seatsio_world.channel_of("perf-101", "Mezzanine-C-10") == "subscribers"
            metrics = get(f"{url}/metrics").text
            assert 'seatbridge_seasons_syncs_total{result="applied"} 1.0' in metrics
            eventually(  # the next discovery finds nothing left to build
                "a seasons sync with nothing to do",
                lambda: (
                    'seatbridge_seasons_syncs_total{result="unchanged"}'
                    in get(f"{url}/metrics").text
                ),
            )
            assert d.stop()[0] == 0
        finally:
            if d.proc.poll() is None:
                d.proc.kill()
                d.proc.communicate()


def test_a_held_seat_missing_from_the_table_counts_as_an_error_never_converged(
    daemon: tuple[Sandbox, Running, str],
) -> None:
    """The documented error alert (`reconciles_total{result="error"}`) fires for an ERROR
    finding, and the unit's status says error: an unmapped held seat is not "converged"."""
    box, d, url = daemon
    eventually("every performance converged", lambda: converged(d.config))
    text = d.config.read_text(encoding="utf-8")
    table = next(p for p in re.findall(r'"([^"]+\.csv)"', text) if "seats" in p)
    lines = Path(table).read_text(encoding="utf-8").splitlines(keepends=True)
    edited = d.config.parent / "seats-without-h20.csv"  # the sample table itself stays as it is
    edited.write_text("".join(x for x in lines if ",Orchestra-H-20" not in x), "utf-8")
    d.config.write_text(text.replace(f'"{table}"', f'"{edited}"'), encoding="utf-8")
    box.tessitura_world.hold(201, [box.venue.seat_by_label("Orchestra-H-20").id], 2)

    def errors() -> float:
        m = re.search(
            r'seatbridge_reconciles_total\{result="error"\} (\S+)', get(f"{url}/metrics").text
        )
        return float(m.group(1)) if m else 0.0

    eventually("the unmapped seat's runs count as errors", lambda: errors() >= 1)
    units = get(f"{url}/status.json").json()["units"]
    assert any(201 in u["performances"] and u["last_ending"] == "error" for u in units.values())
    with open_store(store_path(d.config)) as store:
        status = {s.performance_id: s for s in store.performance_statuses()}
    assert status[201].outcome.value == "error"
    assert "unmapped_seat" in (status[201].last_error or "")
    assert d.stop()[0] == 0
