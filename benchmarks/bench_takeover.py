"""How long a standby takes to take over from the active daemon on one SQLite store, with the
config's own settings (config/sandbox.toml: a 30 s writer lease, the default takeover wait of twice
[seatsio] timeout_s, 20 s; cadences of 4 s within a day).

Each run starts an active daemon and a standby (`seatbridge run` child processes against the
sandbox on loopback), waits until the first is active and converged and the second stands by,
then places a hold in Tessitura on tonight's performance and, at once, stops the active:

- ``stop``: SIGTERM, a clean stop (runs in flight drain, the writer lease is given back);
- ``kill``: SIGKILL (the lease stays; the standby sees its holder's process gone).

Two figures per run, from the signal: ``role``, until the standby's role note says active;
``synced``, until seats.io shows the hold (the standby's first write: after a kill it first waits
out the dead daemon's requests, the takeover wait). Median, min and max over ``--runs`` runs,
with the 1-minute load average.

    .venv/bin/python benchmarks/bench_takeover.py [--runs 3] [--only stop|kill]
"""

from __future__ import annotations

import argparse
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from machine import LoadSampler, run_header

from bridge.sandbox import Sandbox
from bridge.testing.daemon import converged, eventually, role_of
from bridge.testing.sandbox import served_sandbox, spawn

#: Tonight's standalone performance of the sample venue, on the 4 s cadence.
TONIGHT, EVENT = 201, "perf-201"
PRESS = 2


def listen_anywhere(config: Path) -> None:
    """Both daemons read one config: each listens on a free loopback port."""
    text = config.read_text(encoding="utf-8")
    config.write_text(re.sub(r'(?m)^listen = ".*"$', 'listen = "127.0.0.1:0"', text), "utf-8")


def role(config: Path, proc: subprocess.Popen[str]) -> str | None:
    note = role_of(config, proc.pid)
    return str(note["role"]) if note else None


def free_seat(box: Sandbox, taken: set[str]) -> tuple[int, str]:
    """A seat free in seats.io and unheld in Tessitura tonight, not used by an earlier run."""
    held = {h.seat_id for h in box.venue.holds if h.performance_id == TONIGHT}
    for seat in box.venue.seats:
        label = seat.label
        if label in taken or seat.id in held:
            continue
        if box.seatsio_world.object_status(EVENT, label) == "free":
            taken.add(label)
            return seat.id, label
    raise RuntimeError("no free seat left")


def one_run(box: Sandbox, config: Path, how: str, taken: set[str], n: int) -> tuple[float, float]:
    logs = config.parent
    active = spawn(config, "run", log=logs / f"{how}-{n}-active.log")
    standby = None
    try:
        eventually("the first daemon is active", lambda: role(config, active) == "active", 90)
        eventually("every performance converged", lambda: converged(config), 120)
        standby = spawn(config, "run", log=logs / f"{how}-{n}-standby.log")
        eventually("the second daemon stands by", lambda: role(config, standby) == "standby", 90)
        seat_id, label = free_seat(box, taken)
        box.tessitura_world.hold(TONIGHT, [seat_id], PRESS)
        sent = time.monotonic()
        active.send_signal(signal.SIGTERM if how == "stop" else signal.SIGKILL)
        role_s = synced_s = None
        while role_s is None or synced_s is None:
            now = time.monotonic() - sent
            if now > 180:
                raise RuntimeError(f"{how}: no takeover within 180 s")
            if role_s is None and role(config, standby) == "active":
                role_s = now
            if synced_s is None and box.seatsio_world.object_status(EVENT, label) != "free":
                synced_s = now
            time.sleep(0.05)
        active.wait(timeout=120)
        standby.send_signal(signal.SIGTERM)
        standby.wait(timeout=120)
        return role_s, synced_s
    finally:
        for proc in (active, standby):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()


def line(name: str, values: list[float]) -> str:
    return (
        f"  {name:<7} median {statistics.median(values):5.1f} s   "
        f"min {min(values):5.1f} s   max {max(values):5.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=["stop", "kill"])
    args = parser.parse_args()
    print(run_header())
    print(f"standby takeover on one SQLite store, {args.runs} runs each, times from the signal")
    taken: set[str] = set()
    with (
        tempfile.TemporaryDirectory(prefix="bench-takeover-") as tmp,
        served_sandbox(Path(tmp)) as (box, config),
    ):
        listen_anywhere(config)
        for how in [args.only] if args.only else ["stop", "kill"]:
            roles, syncs = [], []
            with LoadSampler() as load:
                for n in range(args.runs):
                    role_s, synced_s = one_run(box, config, how, taken, n)
                    roles.append(role_s)
                    syncs.append(synced_s)
            what = "SIGTERM (clean stop)" if how == "stop" else "SIGKILL"
            print(f"{what}: load average median {load.median:.2f}, max {load.max:.2f}")
            print(line("role", roles))
            print(line("synced", syncs))


if __name__ == "__main__":
    main()
