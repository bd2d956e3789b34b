"""`seatbridge run` under systemd's notify protocol, with a real AF_UNIX datagram socket standing
in for systemd's: READY=1 only once the daemon is active, WATCHDOG=1 as long as it runs,
STOPPING=1 at SIGTERM; a broken config or store never says READY and exits non-zero, which is
what makes `systemctl start` fail."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.daemon.systemd import Notifier
from bridge.testing.daemon import PATIENCE_S, eventually, fast_config, role_of
from bridge.testing.sandbox import served_sandbox, spawn


class FakeSystemd:
    """The receiving end of ``$NOTIFY_SOCKET``: every message, one list of lines each."""

    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.2)
        self.messages: list[list[str]] = []

    def drain(self) -> list[list[str]]:
        """Whatever arrived so far."""
        while True:
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                return self.messages
            self.messages.append(data.decode().split("\n"))

    def saw(self, line: str) -> int:
        return sum(line in m for m in self.drain())

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def systemd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSystemd]:
    fake = FakeSystemd(tmp_path / "notify.sock")
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "notify.sock"))
    monkeypatch.setenv("WATCHDOG_USEC", "1000000")  # WATCHDOG=1 every 0.5 s
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    try:
        yield fake
    finally:
        fake.close()


def _stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    try:
        _, err = proc.communicate(timeout=PATIENCE_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        pytest.fail("the daemon did not end")
    return proc.returncode, err


@pytest.mark.slow  # over 2 s: `make test-slow` (CI runs it)
def test_ready_once_active_the_watchdog_from_the_loop_and_stopping_at_sigterm(
    tmp_path: Path, systemd: FakeSystemd
) -> None:
    with served_sandbox(tmp_path) as (_, config):
        config = fast_config(config)
        proc = spawn(config, "run")
        try:

            def ready_and_active() -> bool:
                if systemd.saw("READY=1") == 0:
                    assert proc.poll() is None, proc.communicate()[1][-3000:]
                    return False
                # READY came after the daemon took the role and started its schedule
                note = role_of(config, proc.pid)
                assert note is not None and note.get("role") == "active", note
                return True

            eventually("READY=1", ready_and_active)
            ready = next(m for m in systemd.messages if "READY=1" in m)
            assert any(line.startswith("STATUS=active") for line in ready)
            pings = systemd.saw("WATCHDOG=1")
            eventually("WATCHDOG=1 keeps coming", lambda: systemd.saw("WATCHDOG=1") >= pings + 3)
            assert systemd.saw("STOPPING=1") == 0
            proc.send_signal(signal.SIGTERM)
            code, err = _stop(proc)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert code == 0, err[-3000:]
    assert systemd.saw("STOPPING=1") == 1
    assert systemd.saw("READY=1") == 1


@pytest.mark.parametrize("broken", ["config", "store"])
def test_a_broken_config_or_store_never_says_ready_and_exits_non_zero(
    tmp_path: Path, systemd: FakeSystemd, broken: str
) -> None:
    with served_sandbox(tmp_path) as (_, config):
        config = fast_config(config)
        text = config.read_text(encoding="utf-8")
        if broken == "config":
            text += "\n[testing]\nclock_offset_s = 0\nno_such_setting = 1\n"
        else:  # a store path below a file: the SQLite store cannot be opened
            (tmp_path / "a-file").write_text("", encoding="utf-8")
            text = re.sub(r'(?m)^path = ".*state\.sqlite3"$', 'path = "a-file/x.sqlite3"', text)
            assert 'path = "a-file/x.sqlite3"' in text
        config.write_text(text, encoding="utf-8")
        code, err = _stop(spawn(config, "run"))
    assert code != 0
    assert systemd.saw("READY=1") == 0
    assert "Traceback" not in err


def test_a_notifier_reaches_an_abstract_socket_and_is_silent_outside_systemd() -> None:
    name = f"seatbridge-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2)
        notifier = Notifier.from_env({"NOTIFY_SOCKET": "@" + name, "WATCHDOG_USEC": "30000000"})
        assert notifier.watchdog_every_s == 15.0
        notifier.ready("standing by: another daemon is active on this store")
        notifier.ready("active")  # a standby that took over: its status, not a second READY
        assert sock.recv(4096).decode().split("\n") == [
            "READY=1",
            "STATUS=standing by: another daemon is active on this store",
        ]
        assert sock.recv(4096).decode() == "STATUS=active"
    outside = Notifier.from_env({})
    assert not outside.enabled and outside.watchdog_every_s is None
    assert outside.send("READY=1") is False
    other = Notifier.from_env(
        {"NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}
    )
    assert other.watchdog_every_s is None  # the watchdog is another process's
