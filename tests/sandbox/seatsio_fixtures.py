"""The sample venue, a manual clock and the fake seats.io app for the fake seats.io tests
(tests/sandbox/test_seatsio_*.py); the first two live in :mod:`bridge.testing`.

Import fixtures by their function names, e.g.
``from seatsio_fixtures import app_fixture, clock_fixture, http_fixture, world_fixture``;
``wire_fixture`` in place of ``http_fixture`` for a client over real TCP (named ``http`` too).
"""

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from bridge.sandbox import SEATSIO_SECRET_KEY
from bridge.sandbox.seatsio_app import create_seatsio_app
from bridge.sandbox.seatsio_clock import ManualClock
from bridge.sandbox.seatsio_world import SeatsioWorld
from bridge.testing.fixtures import clock_fixture
from bridge.testing.sandbox import TODAY, venue

__all__ = [
    "TODAY",
    "app_fixture",
    "clock_fixture",
    "http_fixture",
    "venue",
    "wire_fixture",
    "world_fixture",
]


@pytest.fixture(name="app")
def app_fixture(clock: ManualClock) -> Starlette:
    """The fake seats.io over the sample venue, on the manual clock."""
    return create_seatsio_app(venue(), clock=clock)


@pytest.fixture(name="world")
def world_fixture(app: Starlette) -> SeatsioWorld:
    world: SeatsioWorld = app.state.world
    return world


@pytest.fixture(name="http")
async def http_fixture(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """An authenticated client of the fake over ASGI."""
    transport = httpx.ASGITransport(app=app)
    auth = (SEATSIO_SECRET_KEY, "")
    async with httpx.AsyncClient(transport=transport, base_url="http://s", auth=auth) as client:
        yield client


@pytest.fixture(name="http")
def wire_fixture(app: Starlette, loopback: Callable[[Any], str]) -> Iterator[httpx.Client]:
    """An authenticated client of the fake over real TCP on loopback (where the wire matters)."""
    with httpx.Client(base_url=loopback(app), auth=(SEATSIO_SECRET_KEY, ""), trust_env=False) as c:
        yield c
