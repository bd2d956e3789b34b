"""`seatbridge sync --performance ID` as an operator runs it: it asks the daemon on `[http]
listen` (a real loopback server of the daemon's app, with a bearer token), and falls back to a
one-shot reconcile of that performance against the sandbox when no daemon listens."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bridge.cli import main
from bridge.clock import ManualClock
from bridge.daemon.metrics import BridgeMetrics
from bridge.daemon.sync_now import SyncAnswer, accepted, not_scheduled
from bridge.daemon.web import Readiness, build_app
from bridge.sandbox import Sandbox
from bridge.sandbox.serve import serve_in_thread
from bridge.testing.sandbox import config_store, served_sandbox

TOKEN = "cli-sync-token-for-tests-0123456789"

pytestmark = pytest.mark.loopback


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Sandbox, Path]]:
    with served_sandbox(tmp_path) as both:
        yield both


def listening_on(config: Path, listen: str, token_file: Path | None = None) -> Path:
    """``config`` rewritten in place: ``[http] listen`` and, when given, its token file."""
    line = f'listen = "{listen}"' + (f'\ntoken_file = "{token_file}"' if token_file else "")
    text = re.sub(r'(?m)^listen = ".*"$', line, config.read_text(encoding="utf-8"))
    config.write_text(text, encoding="utf-8")
    return config


def free_port() -> int:
    """A loopback port nothing listens on (bound, then closed again)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sync(config: Path, *args: str) -> Result:
    result = CliRunner().invoke(main, ["sync", "--config", str(config), *args], env={})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def synced(config: Path) -> set[int]:
    with config_store(config) as store:
        return {s.performance_id for s in store.performance_statuses()}


def test_no_daemon_listening_falls_back_to_reconciling_the_performance_once(
    served: tuple[Sandbox, Path],
) -> None:
    box, config = served
    port = free_port()
    listening_on(config, f"127.0.0.1:{port}")
    r = sync(config, "--performance", "201")
    assert r.exit_code in (0, 3), r.output  # reconcile's: converged (3: but for conflicts)
    assert f"no daemon synced it (127.0.0.1:{port}: connection refused)" in r.stderr
    assert "reconciling it once here" in r.stderr
    assert synced(config) == {201}  # that performance, and only it
    assert box.seatsio_world.channels("perf-201") != []


def test_no_fallback_refuses_and_changes_nothing(served: tuple[Sandbox, Path]) -> None:
    _, config = served
    listening_on(config, f"127.0.0.1:{free_port()}")
    r = sync(config, "--performance", "201", "--no-fallback")
    assert r.exit_code == 1
    assert r.stderr.startswith("error: performance 201: no daemon synced it")
    assert synced(config) == set()


def test_a_running_daemon_is_asked_with_the_token_which_is_never_printed(
    served: tuple[Sandbox, Path], tmp_path: Path
) -> None:
    _, config = served
    asked: list[int] = []

    def answer(pid: int) -> SyncAnswer:
        if pid == 201:
            return accepted(pid, "unit:201", in_flight=True, already=False, waits_for_config=False)
        return not_scheduled(pid)

    app = build_app(
        lambda: Readiness(True, {}),
        BridgeMetrics(clock=ManualClock()),
        sync=lambda pid: (asked.append(pid), answer(pid))[1],
        token=TOKEN,
    )

    token_file = tmp_path / "http-token"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    with serve_in_thread(app) as url:
        port = url.rsplit(":", 1)[1]
        # a daemon on every address is reached on loopback
        listening_on(config, f"0.0.0.0:{port}", token_file)
        ok = sync(config, "--performance", "201")
        assert ok.exit_code == 0, ok.output
        assert ok.stdout == (
            "performance 201: sync requested from the running daemon (unit unit:201); "
            "it runs right after the run in flight\n"
        )
        missing = sync(config, "--performance", "7")
        assert missing.exit_code == 1
        assert "not scheduled by this daemon" in missing.stderr
        assert "`seatbridge reconcile --performance 7`" in missing.stderr
        # no token: refused, and no fallback (a daemon runs: the config is what is wrong)
        config.write_text(re.sub(r"(?m)^token_file = .*\n", "", config.read_text()))
        refused = sync(config, "--performance", "201")
        assert refused.exit_code == 1 and "bearer token" in refused.stderr
    assert asked == [201, 7]  # the refused one never reached the daemon
    for r in (ok, missing, refused):
        assert TOKEN not in r.output
    assert synced(config) == set()  # the daemon's to do: nothing reconciled here
