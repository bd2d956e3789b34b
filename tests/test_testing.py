"""What tests built on ``bridge.testing`` rely on: the recording sleep records and never waits,
the sandbox fixtures serve both fakes, and the package needs neither pytest nor Hypothesis."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import bridge
from bridge.config import load_config
from bridge.sandbox import SEATSIO_SECRET_KEY, Sandbox
from bridge.testing import CREDENTIALS, ManualClock, RecordingSleep, basic
from bridge.testing.fixtures import sandbox_fixture, served_fixture  # noqa: F401


def test_the_recording_sleep_records_and_never_suspends() -> None:
    sleeps = RecordingSleep()
    for seconds in (3600.0, 0.5):
        waiting = sleeps(seconds).__await__()
        with pytest.raises(StopIteration):  # done at the first step: nothing to wait for
            next(waiting)
    assert sleeps.waits == [3600.0, 0.5] and sleeps.total == 3600.5


async def test_the_recording_sleep_moves_a_manual_clock() -> None:
    clock = ManualClock()
    start = clock()
    sleeps = RecordingSleep(clock)
    await sleeps(90)
    assert (clock() - start).total_seconds() == 90 and sleeps.waits == [90]


async def test_the_sandbox_fixture_serves_both_fakes_in_process(sandbox: Sandbox) -> None:
    async with sandbox.tessitura_client(headers={"Authorization": basic(*CREDENTIALS)}) as http:
        statuses = await http.get("ReferenceData/SeatStatuses")
    assert statuses.status_code == 200 and statuses.json()
    async with sandbox.seatsio_client(auth=(SEATSIO_SECRET_KEY, "")) as http:
        events = await http.get("/events")
    assert events.status_code == 200


@pytest.mark.loopback
async def test_the_served_fixture_serves_both_fakes_where_its_config_says(
    served: tuple[Sandbox, Path],
) -> None:
    _, config_path = served
    cfg = load_config(config_path)
    tessitura = str(cfg.tessitura.base_url)
    seatsio = str(cfg.seatsio.base_url)
    assert tessitura.startswith("http://127.0.0.1:") and seatsio.startswith("http://127.0.0.1:")
    async with httpx.AsyncClient(headers={"Authorization": basic(*CREDENTIALS)}) as http:
        assert (await http.get(tessitura + "ReferenceData/SeatStatuses")).status_code == 200
    async with httpx.AsyncClient(auth=(SEATSIO_SECRET_KEY, "")) as http:
        assert (await http.get(seatsio.rstrip("/") + "/events")).status_code == 200


def test_only_the_testing_modules_that_say_so_need_pytest_or_hypothesis() -> None:
    needing = {"bridge.testing.fixtures", "bridge.testing.worlds"}
    names = ["bridge"] + [
        m.name
        for m in pkgutil.walk_packages(bridge.__path__, "bridge.")
        if m.name not in needing and not m.name.endswith("__main__")
    ]
    blocked = "import sys; sys.modules.update(pytest=None, hypothesis=None, _pytest=None)"
    code = f"{blocked}\nimport importlib\nfor n in {names!r}: importlib.import_module(n)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("performances", [2, 50, 500])
def test_the_portfolio_has_the_size_asked_and_a_config_that_loads(
    tmp_path: Path, performances: int
) -> None:
    from datetime import date

    from bridge.testing.portfolio import PortfolioShape, write_portfolio

    shape = PortfolioShape.scaled(performances)
    venue, config = write_portfolio(
        tmp_path, "http://127.0.0.1:1", "http://127.0.0.1:2", shape, today=date(2026, 11, 21)
    )
    assert shape.performances == len(venue.performances) == performances
    in_seasons = [p for p in venue.performances if p.seatsio_season_key]
    assert len({p.seatsio_season_key for p in in_seasons}) == len(shape.season_sizes)
    cfg = load_config(config)
    assert {p.id for p in in_seasons} <= set(cfg.tables.performances)
    span = max(p.start for p in venue.performances) - min(p.start for p in venue.performances)
    assert span.days <= cfg.discovery.horizon_days
