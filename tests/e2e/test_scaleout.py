"""Several `seatbridge run` processes on one PostgreSQL store, as a vendor runs them for
availability: three instances of one venue split its units, one is killed with SIGKILL at
random moments and restarted, and a second venue shares the database.

What is checked comes from the sandbox's own request log and the store: every unit converges and
every hold placed meanwhile reaches seats.io; no two instances wrote to one event at overlapping
times; the instances together never kept more regular-lane requests in flight than the shared
budget; each venue converges on its own rows although both have the same performance ids.
Every wait is a bounded poll; no test asserts how long anything took.
"""

from __future__ import annotations

import random
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from bridge.daemon import notes
from bridge.sandbox import Sandbox
from bridge.sandbox.control import Faults
from bridge.testing import postgres
from bridge.testing.chaos.invariants import overlapping_writes, two_writers
from bridge.testing.daemon import converged, eventually, fast_config, role_of
from bridge.testing.sandbox import (
    config_store,
    run,
    served_sandbox,
    spawn,
    venue,
    with_shared_store,
)

#: The account-wide regular-lane budget of the three instances together (each alone may use it
#: all): small, so that three instances without a shared budget would exceed it.
REGULAR_BUDGET = 2
#: SIGKILLs of a random instance during the test (each restarted afterwards).
KILLS = 3


@pytest.fixture
def pg_url() -> Iterator[str]:
    reason = postgres.unavailable()
    if reason:
        pytest.skip(reason)
    with postgres.fresh_database("seatbridge_e2e") as url:
        yield url


class Instance:
    """One `seatbridge run` child process, its log in a file."""

    def __init__(self, config: Path, log: Path) -> None:
        self.config, self.log = config, log
        self.proc: subprocess.Popen[str] = spawn(config, "run", log=log)

    def wait_active(self) -> None:
        def probe() -> bool:
            if self.proc.poll() is not None:
                pytest.fail(f"an instance exited with {self.proc.returncode}:\n{self.tail()}")
            note = role_of(self.config, self.proc.pid)
            return bool(note and note.get("role") == "active")

        eventually("the instance is active", probe)

    def tail(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"an instance did not stop within 30 s of SIGTERM:\n{self.tail()}")


def shared_config(config: Path, url: str, venue: str) -> Path:
    fast_config(config)
    with_shared_store(config, url, venue)
    text = config.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^regular_lane_limit = \d+", f"regular_lane_limit = {REGULAR_BUDGET}", text)
    config.write_text(text, encoding="utf-8")
    return config


def runner_of(config: Path) -> dict[int, str]:
    """Performance -> the live instance whose next-run note covers it: who runs it now."""
    with config_store(config) as store:
        return {pid: r.holder or "" for pid, r in notes.read(store).next_runs.items()}


def every_performance_runs_on_a_live_instance(config: Path, live: list[Instance]) -> bool:
    pids = {f":{i.proc.pid}:" for i in live if i.proc.poll() is None}
    runners = runner_of(config)
    return set(runners) >= {p.id for p in venue().performances} and all(
        any(p in holder for p in pids) for holder in runners.values()
    )


@pytest.mark.slow
def test_three_instances_and_a_second_venue_on_one_postgres_survive_kill_9(
    tmp_path: Path, pg_url: str
) -> None:
    rng = random.Random(14)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    box: Sandbox
    with (
        served_sandbox(tmp_path / "a") as (box, config_a),
        served_sandbox(tmp_path / "b") as (box_b, config_b),
    ):
        config = shared_config(config_a, pg_url, "main-hall")
        shared_config(config_b, pg_url, "studio")
        box.seatsio_control.set_faults(Faults(latency_s=0.02))  # so that requests overlap
        logs = iter(tmp_path / f"instance-{n}.log" for n in range(100))
        main = [Instance(config, next(logs)) for _ in range(3)]
        studio = Instance(config_b, next(logs))
        try:
            for inst in [*main, studio]:
                inst.wait_active()
            eventually("the main hall converged", lambda: converged(config))
            eventually("the studio converged", lambda: converged(config_b))
            eventually(
                "every performance runs on a live instance",
                lambda: every_performance_runs_on_a_live_instance(config, main),
            )

            held: list[tuple[int, str]] = []
            seats = ["Orchestra-J-7", "Orchestra-J-8", "Orchestra-K-3", "Orchestra-K-4"]
            for n in range(KILLS):
                # the instance running the performance about to get a hold (two in three), or
                # one at random, killed at a random moment: mid-run or between runs
                pid, label = rng.choice([201, 202, 101, 203]), seats[n]
                holder = runner_of(config).get(pid, "")
                running = [i for i, inst in enumerate(main) if f":{inst.proc.pid}:" in holder]
                victim = running[0] if running and rng.random() < 2 / 3 else rng.randrange(3)
                time.sleep(rng.uniform(0.1, 2.0))
                main[victim].kill()
                # the box office goes on meanwhile: a hold the survivors must carry to seats.io
                box.tessitura_world.hold(pid, [box.venue.seat_by_label(label).id], 2)
                held.append((pid, label))
                eventually(
                    f"hold {n + 1} reached seats.io with an instance dead",
                    lambda pid=pid, label=label: (
                        box.seatsio_world.object_status(f"perf-{pid}", label) != "free"
                    ),
                )
                main[victim] = Instance(config, next(logs))
                main[victim].wait_active()

            eventually("the main hall converged after the kills", lambda: converged(config))
            eventually(
                "every performance runs on a live instance after the restarts",
                lambda: every_performance_runs_on_a_live_instance(config, main),
            )
            for pid, label in held:
                assert box.seatsio_world.object_status(f"perf-{pid}", label) != "free"

            status = run(config, "status")
            assert status.returncode == 0, status.stderr
            assert "(A: runs" in status.stdout and "(C: runs" in status.stdout, status.stdout
            assert "(D: runs" not in status.stdout  # killed instances are not counted as live

            for inst in [*main, studio]:
                assert inst.stop() == 0, inst.tail()
        finally:
            for inst in [*main, studio]:
                if inst.proc.poll() is None:
                    inst.proc.kill()
                    inst.proc.wait()

        log = box.seatsio_control.log
        assert overlapping_writes(log.entries) == []
        assert two_writers(box) == []
        assert len({e.agent for e in log.entries}) >= 2  # the units were split, then moved
        assert log.peak_in_flight["regular"] <= REGULAR_BUDGET, dict(log.peak_in_flight)
        assert not [e for e in log.entries if e.status == 429]
        assert converged(config_b)  # the studio's sandbox saw only the studio's instance
        assert {e.agent for e in box_b.seatsio_control.log.entries}.isdisjoint(
            {e.agent for e in log.entries}
        )

    with psycopg.connect(pg_url) as db:
        venues = dict(
            db.execute("SELECT venue, count(*) FROM performance_status GROUP BY venue").fetchall()
        )
        leases = db.execute("SELECT count(*) FROM leases").fetchone()
    assert set(venues) == {"main-hall", "studio"} and venues["main-hall"] == venues["studio"]
    assert leases == (0,)  # every instance released what it held when it stopped
