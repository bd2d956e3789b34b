"""Issue 25, case 4 as an operator meets it: four small performances whose holds answer turns
``[]`` at once, through the real CLI and through a daemon child process, against the sandbox on
loopback. Before: all 122 holds freed, exit 0 (the daemon: converged). Now: none freed, each
performance refused, and `status` and the daemon's page name the command that accepts it."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result
from served_sandbox import run, served_sandbox, spawn

from bridge.cli import main
from bridge.sandbox import Sandbox
from bridge.store import open_store
from bridge.testing.daemon import converged, eventually, fast_config, role_of
from bridge.testing.sandbox import store_path

SMALL = [201, 202, 203, 204]
SEAT = "Orchestra-A-1"  # a house seat in each of them


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={})


def flat(text: str) -> str:
    """Output with the console's wrapping undone."""
    return " ".join(text.split())


def vanish(box: Sandbox) -> None:
    world = box.tessitura_world
    for pid in SMALL:
        world.release(pid, list(world.held_seats(pid)))


def held_online(box: Sandbox, pid: int) -> bool:
    return box.seatsio_world.channel_of(f"perf-{pid}", SEAT) == "house"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Sandbox, Path]]:
    with served_sandbox(tmp_path) as both:  # the shipped floor of 50
        yield both


def test_the_cli_frees_no_vanished_performance_and_names_the_command(
    served: tuple[Sandbox, Path],
) -> None:
    box, config = served
    assert invoke("reconcile", "--all", "--config", str(config)).exit_code == 0
    vanish(box)
    result = invoke("reconcile", "--all", "--config", str(config))
    assert result.exit_code == 1, result.output
    assert "mass_release_refused" in result.stdout
    assert all(held_online(box, pid) for pid in SMALL)

    status = invoke("status", "--config", str(config))
    for pid in SMALL:
        assert f"seatbridge reconcile --performance {pid} --force" in flat(status.stdout)

    accepted = invoke("reconcile", "--performance", "201", "--force", "--config", str(config))
    assert accepted.exit_code == 0, accepted.output
    assert not held_online(box, 201)
    assert all(held_online(box, pid) for pid in SMALL[1:])


@pytest.mark.slow
def test_the_daemon_frees_no_vanished_performance_and_shows_the_refusal(
    served: tuple[Sandbox, Path],
) -> None:
    box, config = served
    config = fast_config(config)
    proc = spawn(config, "run")
    try:

        def address() -> str | None:
            note = role_of(config, proc.pid)
            return f"http://{note['listen']}" if note and note.get("role") == "active" else None

        url = eventually("the daemon is active", address)
        eventually("every performance converged", lambda: converged(config))
        vanish(box)

        def refused() -> bool:
            with open_store(store_path(config)) as store:
                statuses = store.performance_statuses(SMALL)
            return len(statuses) == 4 and all(s.outcome.value == "refused" for s in statuses)

        eventually("the four performances refused", refused)
        assert all(held_online(box, pid) for pid in SMALL)
        page = flat(httpx.get(f"{url}/", timeout=5).text)
        status = flat(run(config, "status").stdout)
        for pid in SMALL:
            command = f"seatbridge reconcile --performance {pid} --force"
            assert command in page and command in status
        # a later run: still held, still refused
        first = _last_sync(config, 201)
        eventually("another run of 201", lambda: _last_sync(config, 201) > first)
        assert all(held_online(box, pid) for pid in SMALL) and refused()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=30)
        except Exception:
            proc.kill()
            proc.communicate()


def _last_sync(config: Path, pid: int) -> datetime:
    with open_store(store_path(config)) as store:
        return store.performance_statuses([pid])[0].last_sync
