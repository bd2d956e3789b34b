"""What benchmarks print about the run itself: the commit and date, and the machine's load.

Figures on a shared 2-core machine mean little without the load they were measured under, and a
figure without its commit cannot be compared with the next one.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import threading
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def commit() -> str:
    """The short hash of HEAD, ``+changes`` when the worktree differs from it."""
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "diff", "--quiet", "HEAD"]).returncode
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+changes" if dirty else "")


def run_header() -> str:
    """``commit abc1234, 2026-12-08 00:20 UTC``: the first line a benchmark prints."""
    return f"commit {commit()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"


class LoadSampler:
    """Samples the 1-minute load average (/proc/loadavg) every ``every_s`` while in a ``with``.

    One sample is taken on entry and one on exit, so even a pass shorter than ``every_s`` has two.
    """

    def __init__(self, every_s: float = 0.5) -> None:
        self.every_s = every_s
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="load-sampler", daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self) -> LoadSampler:
        self.samples.append(os.getloadavg()[0])
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append(os.getloadavg()[0])

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def max(self) -> float:
        return max(self.samples)
