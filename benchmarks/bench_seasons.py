"""Building the sample venue in an empty seats.io: calls per step, writes against the minimum.

Against the sandbox served on loopback with an empty seats.io, the CLI as a user runs it:
`seasons sync`, `reconcile --all`, then both again and `plan --all`. Printed per step: exit
code, wall time, seats.io calls by endpoint, seats.io writes beside the minimum that step needs
(a cold `seasons sync`: one `POST /seasons` for the season and one `POST /events` per standalone
performance; any repeat: none), Tessitura calls.

    .venv/bin/python benchmarks/bench_seasons.py
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from pathlib import Path

from bridge.testing.sandbox import run, served_sandbox


def template(path: str) -> str:
    parts = path.split("/")
    return "/".join("{key}" if any(ch.isdigit() for ch in part) else part for part in parts)


def main() -> None:
    with (
        tempfile.TemporaryDirectory(prefix="bench-seasons-") as tmp,
        served_sandbox(Path(tmp), seatsio_empty=True) as (box, config),
    ):
        standalone = sum(1 for p in box.venue.performances if not p.seatsio_season_key)
        seasons = len(box.venue.seasons())
        steps: list[tuple[list[str], int | None]] = [
            (["seasons", "sync"], seasons + standalone),
            (["reconcile", "--all"], None),
            (["seasons", "sync"], 0),
            (["reconcile", "--all"], 0),
            (["plan", "--all"], 0),
        ]
        for args, minimum in steps:
            box.seatsio_control.log.clear()
            box.tessitura_control.log.clear()
            started = time.perf_counter()
            done = run(config, *args, timeout_s=300)
            wall = time.perf_counter() - started
            calls = Counter(
                f"{e.method} {template(e.path)}" for e in box.seatsio_control.log.entries
            )
            writes = sum(n for k, n in calls.items() if not k.startswith("GET"))
            least = "-" if minimum is None else str(minimum)
            print(
                f"{' '.join(args):<18} exit {done.returncode}  {wall:5.2f} s  "
                f"seats.io {sum(calls.values()):3d} calls, {writes:3d} writes (minimum {least}), "
                f"Tessitura {len(box.tessitura_control.log.entries)}"
            )
            for endpoint, n in sorted(calls.items()):
                print(f"    {endpoint:<52} {n:4d}")


if __name__ == "__main__":
    main()
