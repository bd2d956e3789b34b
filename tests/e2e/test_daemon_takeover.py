"""A standby's takeover (docs/daemon.md, "Standby"): within a second of a clean stop, never while
the old active's runs may still write, however long they take to drain.

Two `seatbridge run` child processes on one SQLite store, against the sandbox on loopback. The
figures over several runs are benchmarks/bench_takeover.py's.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.clock import SYSTEM
from bridge.sandbox import Sandbox
from bridge.sandbox.control import Faults
from bridge.testing.daemon import eventually, fast_settings, role_of, with_daemon_settings
from bridge.testing.sandbox import served_sandbox, spawn


def settings(*, ttl_s: float, run_timeout_s: float = 4, stop_grace_s: float = 5) -> str:
    return (
        fast_settings(
            reload_poll_s=0.5,
            stop_grace_s=stop_grace_s,
            backoff_base_s=0.5,
            backoff_cap_s=2,
            takeover_wait_s=1,
        )
        .replace("writer_lease_ttl_s = 3", f"writer_lease_ttl_s = {ttl_s:g}")
        .replace("run_timeout_s = 4", f"run_timeout_s = {run_timeout_s:g}")
    )


def role(config: Path, proc: subprocess.Popen[str]) -> str | None:
    note = role_of(config, proc.pid)
    return str(note["role"]) if note else None


def stopped(*procs: subprocess.Popen[str]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Sandbox, Path]]:
    with served_sandbox(tmp_path) as (box, config):
        yield box, config


def daemon(config: Path, name: str) -> subprocess.Popen[str]:
    """`seatbridge run`, its log in ``name``.log beside the config (a pipe nobody reads fills)."""
    return spawn(config, "run", log=config.parent / f"{name}.log")


def log_of(config: Path, name: str) -> str:
    return (config.parent / f"{name}.log").read_text(encoding="utf-8")[-3000:]


@pytest.mark.slow
def test_a_standby_takes_over_within_a_second_or_two_of_a_clean_stop(
    served: tuple[Sandbox, Path],
) -> None:
    """A 30 s lease: a standby polling once a heartbeat (10 s) would take up to 10 s."""
    _, config = served
    with_daemon_settings(config, settings(ttl_s=30))
    active = daemon(config, "active")
    standby = None
    try:
        eventually("the first daemon is active", lambda: role(config, active) == "active")
        standby = daemon(config, "standby")
        eventually("the second daemon stands by", lambda: role(config, standby) == "standby")
        active.send_signal(signal.SIGTERM)
        assert active.wait(timeout=30) == 0, log_of(config, "active")
        gone = SYSTEM.monotonic()
        eventually("the standby takes over", lambda: role(config, standby) == "active")
        assert SYSTEM.monotonic() - gone < 5, "the standby waited for a heartbeat, not a poll"
    finally:
        stopped(active, *([standby] if standby else []))


@pytest.mark.slow
def test_no_standby_takes_over_while_the_stopping_daemons_runs_drain(
    served: tuple[Sandbox, Path],
) -> None:
    """Runs hung in Tessitura drain for the whole 8 s grace period, past the 3 s lease: the
    active keeps renewing it until they are over, and only then hands it over."""
    box, config = served
    with_daemon_settings(config, settings(ttl_s=3, run_timeout_s=30, stop_grace_s=8))
    active = daemon(config, "active")
    standby = None
    try:
        eventually("the first daemon is active", lambda: role(config, active) == "active")
        standby = daemon(config, "standby")
        eventually("the second daemon stands by", lambda: role(config, standby) == "standby")
        log = box.tessitura_control.log
        box.tessitura_control.set_faults(Faults(hang_s=600, path_pattern=r"Seats/Holds"))
        eventually(
            "a run hangs in Tessitura",
            lambda: any(e.fault == "hang" and not e.ended for e in log.entries),
        )
        active.send_signal(signal.SIGTERM)
        roles_while_draining = set()
        while active.poll() is None:
            roles_while_draining.add(role(config, standby))
            time.sleep(0.1)
        assert active.returncode == 0, log_of(config, "active")
        assert roles_while_draining == {"standby"}
        box.tessitura_control.set_faults(Faults())
        eventually("the standby takes over", lambda: role(config, standby) == "active")
    finally:
        stopped(active, *([standby] if standby else []))
