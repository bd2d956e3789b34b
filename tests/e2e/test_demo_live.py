"""`seatbridge demo --live` as a newcomer runs it: the page's address, traffic, a clean Ctrl-C."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from bridge.testing.sandbox import CHECKOUT

PATIENCE_S = 45.0


@pytest.mark.loopback
def test_live_demo_serves_the_page_plays_traffic_and_stops_cleanly_on_ctrl_c() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEATBRIDGE_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridge", "demo", "--live", "--every", "0.2", "--seed", "3"],
        cwd=CHECKOUT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()  # type: ignore[union-attr]

    def next_line(what: str) -> str:
        deadline = time.monotonic() + PATIENCE_S
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                if proc.poll() is not None:
                    pytest.fail(f"the demo exited with {proc.returncode}: {proc.stderr.read()}")  # type: ignore[union-attr]
                continue
            if what in line:
                return line
        pytest.fail(f"not within {PATIENCE_S:g} s: a line with {what!r}")

    try:
        url = next_line("http://127.0.0.1:").split("Open ", 1)[1].split()[0]
        assert httpx.get(url + "status.json", timeout=5).json()["role"] in ("active", "starting")
        assert "<html" in httpx.get(url, timeout=5).text
        next_line("box office:")
        next_line("online buyer:")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
