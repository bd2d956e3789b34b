"""`seatbridge run` tells the truth under stalls and outages: a child process against the
sandbox on loopback, with the fakes' fault control hanging a Tessitura read for real.

- A hung hold read times the unit's run out: the performance is ``error`` with "run timed out
  after 4 s" in the store (so `seatbridge status`), /status.json and the page, and counted in
  /metrics; before, the run was cancelled before it recorded anything and the performance kept
  saying "converged".
- One performance's hung read does not hold up another performance's page.
- The SQLite file removed under a running daemon stops it at its next heartbeat, exit 1, without
  writing to the path again (a second daemon would start afresh there); restarted on a fresh
  store, holds lifted meanwhile (in a bridge channel, in a bridge status) stay held and are
  error findings, not "converged".

Every wait is a bounded poll of something the daemon does; no test asserts how long anything
took.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bridge.sandbox import Sandbox
from bridge.sandbox.control import Faults
from bridge.testing.daemon import converged, eventually, fast_config, role_of
from bridge.testing.sandbox import config_store, run, served_sandbox, spawn, store_path

#: the hold read of performance 201, and only it
HOLDS_OF_201 = r"Performances/201/Seats/Holds"
#: [daemon] run_timeout_s in the fast config
RUN_TIMEOUT = "run timed out after 4 s"


class Daemon:
    def __init__(self, config: Path) -> None:
        self.config = config
        self.proc = spawn(config, "run")

    def url(self) -> str:
        def probe() -> str | None:
            if self.proc.poll() is not None:
                _, err = self.proc.communicate()
                pytest.fail(f"the daemon exited with {self.proc.returncode}:\n{err[-3000:]}")
            n = role_of(self.config, self.proc.pid)
            return f"http://{n['listen']}" if n and n.get("role") == "active" else None

        return eventually("the daemon is active", probe)

    def ended(self, timeout_s: float = 30) -> tuple[int, str]:
        try:
            _, err = self.proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
            pytest.fail(f"the daemon did not end within {timeout_s:g} s")
        return self.proc.returncode, err

    def stop(self) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.ended()


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[tuple[Sandbox, Daemon, str]]:
    with served_sandbox(tmp_path) as (box, config):
        d = Daemon(fast_config(config))
        try:
            url = d.url()
            eventually("every performance converged", lambda: converged(d.config))
            yield box, d, url
        finally:
            if d.proc.poll() is None:
                d.proc.kill()
                d.proc.communicate()


def status_of(config: Path, pid: int) -> tuple[str, str | None] | None:
    with config_store(config) as store:
        found = store.performance_statuses([pid])
    return (found[0].outcome.value, found[0].last_error) if found else None


@pytest.mark.slow
def test_a_hung_tessitura_read_is_an_error_naming_the_timeout_everywhere(
    daemon: tuple[Sandbox, Daemon, str],
) -> None:
    box, d, url = daemon
    box.tessitura_control.set_faults(Faults(hang_s=600, path_pattern=HOLDS_OF_201))
    eventually(
        "performance 201 is error, naming the timeout",
        lambda: status_of(d.config, 201) == ("error", RUN_TIMEOUT),
    )
    assert status_of(d.config, 202) == ("converged", None)  # the others go on

    shown = run(d.config, "status", "--json")
    assert shown.returncode == 0, shown.stderr
    rows = {r["performance_id"]: r for r in json.loads(shown.stdout)}
    assert (rows[201]["outcome"], rows[201]["last_error"]) == ("error", RUN_TIMEOUT)

    status = httpx.get(f"{url}/status.json", timeout=5).json()
    (unit,) = [u for u in status["units"].values() if 201 in u["performances"]]
    assert (unit["last_ending"], unit["last_error"]) == ("timeout", RUN_TIMEOUT)
    row = next(r for r in status["performances"] if r["performance_id"] == 201)
    assert (row["outcome"], row["last_error"]) == ("error", RUN_TIMEOUT)
    page = httpx.get(f"{url}/performances/201.json", timeout=30).json()
    assert (page["status"]["outcome"], page["status"]["last_error"]) == ("error", RUN_TIMEOUT)
    assert 'seatbridge_reconciles_total{result="timeout"}' in httpx.get(f"{url}/metrics").text

    box.tessitura_control.set_faults(Faults())
    eventually(
        "performance 201 converges once Tessitura answers",
        lambda: status_of(d.config, 201) == ("converged", None),
    )
    code, err = d.stop()
    assert code == 0, err


@pytest.mark.slow
def test_a_page_does_not_wait_on_another_performances_hung_read(
    daemon: tuple[Sandbox, Daemon, str],
) -> None:
    box, d, url = daemon
    box.tessitura_control.set_faults(Faults(hang_s=600, path_pattern=HOLDS_OF_201))
    hung: dict[str, httpx.Response] = {}
    reading = threading.Thread(
        target=lambda: hung.update(page=httpx.get(f"{url}/performances/201.json", timeout=30)),
        daemon=True,
    )
    reading.start()
    try:
        eventually(  # the page of 201 is waiting on its hold read now
            "the page's read of 201 hangs at Tessitura",
            lambda: any(
                e.fault == "hang" and "/201/" in e.path for e in box.tessitura_control.log.entries
            ),
        )
        other = httpx.get(f"{url}/performances/202.json", timeout=5)
        assert other.status_code == 200
        assert other.json()["seats"], "performance 202's seat map is shown"
        reading.join(timeout=30)
        page = hung["page"]  # the hung one answers too, within its page timeout
        assert page.status_code == 200
        assert "did not answer within" in page.json()["seat_read_error"]
    finally:
        box.tessitura_control.set_faults(Faults())
    assert d.stop()[0] == 0


def test_the_sqlite_file_removed_under_a_running_daemon_stops_it_with_exit_1(
    daemon: tuple[Sandbox, Daemon, str],
) -> None:
    _, d, _ = daemon
    path = store_path(d.config)
    for leftover in path.parent.glob(path.name + "*"):  # the file, its WAL and shared memory
        leftover.unlink()
    code, err = d.ended()
    assert code == 1, err
    assert "the state store is gone" in err and "state.sqlite3 was removed" in err
    assert not path.exists(), "the daemon wrote to the path after its file was removed"


@pytest.mark.slow  # over 2 s: `make test-slow` (CI runs it)
def test_after_a_restart_on_a_fresh_store_a_lifted_hold_it_cannot_prove_is_an_error(
    daemon: tuple[Sandbox, Daemon, str],
) -> None:
    """The store lost with the daemon that used it: holds lifted in Tessitura meanwhile sit in
    a bridge channel, or in a bridge status, that no ledger owns. The bridge never releases what
    it cannot prove it holds, and says so: the performance is error, not converged, and both
    seats stay held (the status hold is found by listing the event's bridge statuses: the fresh
    store vouches for no ledger)."""
    box, d, _ = daemon
    label, press = "Orchestra-A-1", "Orchestra-F-15"
    assert box.seatsio_world.channel_of("perf-201", label) == "house"
    assert box.seatsio_world.object_status("perf-201", press) == "held-press"
    path = store_path(d.config)
    for leftover in path.parent.glob(path.name + "*"):
        leftover.unlink()
    assert d.ended()[0] == 1
    lifted = [box.venue.seat_by_label(lbl).id for lbl in (label, press)]
    box.tessitura_world.release(201, lifted)  # lifted meanwhile

    again = Daemon(d.config)
    try:
        again.url()
        eventually(
            "performance 201 is error: an object in a bridge channel the ledger does not own",
            lambda: (
                (s := status_of(d.config, 201)) is not None
                and s[0] == "error"
                and "unowned_in_bridge_channel" in (s[1] or "")
            ),
        )
        eventually(  # the units run independently: 202 may come after 201
            "performance 202 converged", lambda: status_of(d.config, 202) == ("converged", None)
        )
        assert box.seatsio_world.channel_of("perf-201", label) == "house"  # never released
        assert box.seatsio_world.object_status("perf-201", press) == "held-press"
        with config_store(d.config) as store:
            (s201,) = store.performance_statuses([201])
        assert s201.errors == 2  # the channel object and the status object, nothing else
        dry = run(d.config, "plan", "--performance", "201", "--json")
        assert dry.returncode == 1, dry.stderr
        found = {(f["kind"], f["label"]) for f in json.loads(dry.stdout)["findings"]}
        assert ("unowned_bridge_status", press) in found
        assert box.seatsio_world.object_status("perf-201", press) == "held-press"
        assert again.stop()[0] == 0
    finally:
        if again.proc.poll() is None:
            again.proc.kill()
            again.proc.communicate()


@pytest.mark.slow
def test_readyz_is_503_while_every_run_fails_and_200_once_one_succeeds(
    daemon: tuple[Sandbox, Daemon, str],
) -> None:
    """Runs that end in an error are not runs done: a Tessitura that answers every request with
    a 503 makes the daemon not ready, naming the error, until a run succeeds again."""
    box, d, url = daemon
    assert httpx.get(f"{url}/readyz", timeout=5).status_code == 200
    box.tessitura_control.set_faults(Faults(error_rate=1.0, error_status=503))

    def runs_failing() -> str | None:
        answer = httpx.get(f"{url}/readyz", timeout=5)
        runs = str(answer.json()["checks"]["runs"])
        if runs == "ok":
            return None
        assert answer.status_code == 503, answer.text
        return runs

    runs = eventually("/readyz says no run succeeds", runs_failing, timeout_s=60)
    assert runs.startswith("no unit's run has succeeded for"), runs
    # it names why: Tessitura's 503 (or, on a loaded machine, the run timing out on its retries)
    assert "503" in runs or RUN_TIMEOUT in runs, runs

    box.tessitura_control.set_faults(Faults())
    eventually(
        "/readyz is 200 once runs succeed again",
        lambda: httpx.get(f"{url}/readyz", timeout=5).status_code == 200,
        timeout_s=60,
    )
    code, err = d.stop()
    assert code == 0, err
