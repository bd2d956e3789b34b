"""pytest fixtures for the sandbox (needs pytest, a dev dependency). Import them into a test
module or a conftest.py by their function names; pytest knows them by the names in brackets::

    from bridge.testing.fixtures import sandbox_fixture, served_fixture  # noqa: F401

- ``sandbox_fixture`` [``sandbox``]: both fakes in-process over one fresh sample venue
  (:class:`bridge.sandbox.Sandbox`); ``sandbox.tessitura_client()`` and
  ``sandbox.seatsio_client()`` talk to them over ``httpx.ASGITransport``.
- ``served_fixture`` [``served``]: both fakes on loopback ports and a config file for them,
  ``(sandbox, config_path)`` (see :func:`bridge.testing.sandbox.served_sandbox`).
- ``clock_fixture`` [``clock``]: a :class:`~bridge.testing.clock.ManualClock`.
- ``sleeps_fixture`` [``sleeps``]: a :class:`~bridge.testing.clock.RecordingSleep`.
- ``app_fixture`` [``app``], ``world_fixture`` [``world``], ``http_fixture`` [``http``]: the fake
  Tessitura alone, its world, and an httpx client logged in to it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, time
from pathlib import Path

import httpx
import pytest

from bridge.sandbox import TESSITURA_ASGI_BASE, Sandbox
from bridge.sandbox.seatsio_clock import ManualClock
from bridge.sandbox.tessitura_app import TessituraSandboxApp, create_tessitura_app
from bridge.sandbox.tessitura_world import TessituraWorld
from bridge.sandbox.venue import load_venue
from bridge.testing.clock import RecordingSleep
from bridge.testing.sandbox import CREDENTIALS, TODAY, basic, served_sandbox


@pytest.fixture(name="sandbox")
def sandbox_fixture() -> Sandbox:
    """Both fakes over a fresh sample venue whose dates are relative to ``TODAY``."""
    return Sandbox(today=TODAY)


@pytest.fixture(name="served")
def served_fixture(tmp_path: Path) -> Iterator[tuple[Sandbox, Path]]:
    """Both fakes on loopback for one test, and a config file pointing at them."""
    with served_sandbox(tmp_path) as both:
        yield both


@pytest.fixture(name="clock")
def clock_fixture() -> ManualClock:
    return ManualClock()


@pytest.fixture(name="sleeps")
def sleeps_fixture() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture(name="app")
def app_fixture() -> TessituraSandboxApp:
    """The fake Tessitura whose clock stands at noon UTC on ``TODAY`` (``world.clock.advance``)."""
    clock = ManualClock(datetime.combine(TODAY, time(12), tzinfo=UTC))
    return create_tessitura_app(load_venue(today=TODAY), clock=clock)


@pytest.fixture(name="world")
def world_fixture(app: TessituraSandboxApp) -> TessituraWorld:
    world: TessituraWorld = app.state.world
    return world


@pytest.fixture(name="http")
async def http_fixture(app: TessituraSandboxApp) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=TESSITURA_ASGI_BASE,
        headers={"Authorization": basic(*CREDENTIALS)},
    ) as client:
        yield client


__all__ = [
    "app_fixture",
    "clock_fixture",
    "http_fixture",
    "sandbox_fixture",
    "served_fixture",
    "sleeps_fixture",
    "world_fixture",
]
