"""Leases tied to a live holder, as an operator meets them: a real `seatbridge reconcile` process
against the sandbox on loopback, killed (SIGKILL), stopped (SIGTERM: its leases linger for the
write in flight) or refused by seats.io (401) in the middle of its writes, then the next run and
`seatbridge status`."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from served_sandbox import lease_count, served_sandbox, spawn, store_path

from bridge.cli import main
from bridge.sandbox import Sandbox
from bridge.sandbox.control import Faults
from bridge.store import open_store
from bridge.testing.sandbox import config_store

#: seats.io applies each write, then holds its answer this long: the process is caught mid-call.
HANG_S = 8.0
#: A guard against a hung test, never a measure of speed.
DEADLINE_S = 60.0
#: How often caught_mid_write looks at the sandbox's log before giving up.
POLLS = 3000
#: The seats.io timeout of the stop-signal test: how long a stopped run's leases linger.
STOP_TIMEOUT_S = 3


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Sandbox, Path]]:
    with served_sandbox(tmp_path) as both:
        yield both


def cli(config: Path, *args: str) -> tuple[int, str]:
    """Exit code and stdout of an in-process command (logs go to stderr)."""
    result = CliRunner().invoke(main, [*args, "--config", str(config)])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


def caught_mid_write(box: Sandbox, proc: subprocess.Popen[str]) -> None:
    """Wait until seats.io has applied a write whose answer the process is still waiting for."""
    box.seatsio_control.set_faults(Faults(hang_after_apply_s=HANG_S, method="POST"))
    for _ in range(POLLS):  # a bounded wait on the sandbox's own log, not a clock
        if any(e.fault == "hang_after_apply" for e in box.seatsio_control.log.entries):
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError("the run never reached a seats.io write")


def status_rows(config: Path) -> dict[int, dict[str, object]]:
    code, out = cli(config, "status", "--json")
    assert code == 0, out
    return {row["performance_id"]: row for row in json.loads(out)}


@pytest.mark.slow  # over 3 s: `make test-slow` (CI runs it)
def test_a_killed_run_does_not_lock_out_the_next_one_and_status_shows_it(
    served: tuple[Sandbox, Path],
) -> None:
    box, config = served
    proc = spawn(config, "reconcile", "--all", "--json")
    caught_mid_write(box, proc)
    proc.kill()
    proc.wait()
    box.seatsio_control.clear_faults()
    assert lease_count(config) > 0  # the dead process could not give them up

    rows = status_rows(config)
    leased = [row for row in rows.values() if row["lease"]]
    assert leased and all(row["lease"]["stale"] for row in leased)  # type: ignore[index]
    assert all(str(proc.pid) in row["lease"]["holder"] for row in leased)  # type: ignore[index]
    assert any(row["interrupted"] for row in rows.values())
    code, out = cli(config, "status")
    assert "stale" in out and "interrupted" in out

    # the next run waits out what the dead process may still have running at seats.io (two of
    # the client's timeouts: 2 s each here, to keep the test short) before it reads anything
    text = config.read_text(encoding="utf-8")
    seatsio = text.index("[seatsio]")
    config.write_text(
        text[:seatsio] + text[seatsio:].replace("timeout_s = 10", "timeout_s = 2", 1),
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["reconcile", "--all", "--json", "--config", str(config)])
    code, out = result.exit_code, result.stdout
    assert code == 0, out  # no "being reconciled by" a dead process, and converged
    assert not json.loads(out)["errors"]
    # the dead holder's last write was waited out, not raced
    assert "waiting out a dead holder's last write" in result.stderr, result.stderr
    code, out = cli(config, "plan", "--all")
    assert code == 0 and "Nothing to do" in out, out
    assert lease_count(config) == 0
    rows = status_rows(config)
    assert not any(row["lease"] or row["interrupted"] for row in rows.values())
    assert {row["outcome"] for row in rows.values()} == {"converged"}


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_ends_the_run_with_exit_1_and_hands_over_after_the_write_in_flight(
    served: tuple[Sandbox, Path], signum: signal.Signals
) -> None:
    box, config = served
    text = config.read_text(encoding="utf-8")  # a short seats.io timeout: a short linger
    config.write_text(
        re.sub(
            r"(?ms)^(\[seatsio\]\n.*?)^timeout_s = \d+", rf"\1timeout_s = {STOP_TIMEOUT_S}", text
        ),
        encoding="utf-8",
    )
    proc = spawn(config, "reconcile", "--all")
    caught_mid_write(box, proc)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=DEADLINE_S)
    assert proc.returncode == 1, err
    assert "Traceback" not in err
    assert f"interrupted by {signum.name}" in err.splitlines()[-1]
    # the write the stop cut off may still land at seats.io: its unit is handed over only
    # after its timeout, and not taken over as a dead process's meanwhile
    with config_store(config) as store:
        lingering = store.leases()
    assert lingering and all(lease.lingering for lease in lingering)
    rows = status_rows(config)
    assert all(not row["lease"]["stale"] for row in rows.values() if row["lease"])  # type: ignore[index]
    for _ in range(POLLS):  # bounded: the linger is one seats.io timeout
        if lease_count(config) == 0:
            break
        time.sleep(0.02)
    box.seatsio_control.clear_faults()
    assert lease_count(config) == 0
    rows = status_rows(config)
    assert any(row["interrupted"] for row in rows.values())
    assert not any(row["lease"] for row in rows.values())

    code, out = cli(config, "reconcile", "--all", "--json")
    assert code == 0, out
    with open_store(store_path(config)) as store:
        assert store.unfinished_ops() == []


def test_a_401_mid_run_ends_the_run_with_one_line_and_no_lease_left(
    served: tuple[Sandbox, Path],
) -> None:
    box, config = served
    # channels are written first, then statuses: seats.io refuses the key half-way through
    box.seatsio_control.set_faults(
        Faults(error_rate=1.0, error_status=401, method="POST", path_pattern="change-object-status")
    )
    proc = spawn(config, "reconcile", "--all", "--json")
    _, err = proc.communicate(timeout=DEADLINE_S)
    assert proc.returncode == 1, err
    assert "Traceback" not in err and "closed database" not in err
    # the one error line; besides it, only a unit cancelled with a write in flight may say that
    # its lease lingers (its request may still land: nobody writes before its timeout is over)
    lines = [line for line in err.splitlines() if "lease handed over late" not in line]
    assert len(lines) == 1, err
    assert "401" in lines[0]
    assert any(
        e.endpoint.startswith("POST") and e.status < 300 for e in box.seatsio_control.log.entries
    )
    with config_store(config) as store:
        left = store.leases()
    assert all(lease.lingering for lease in left), left
    assert len(left) == err.count("lease handed over late")
