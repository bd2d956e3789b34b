"""The fake TessituraService for one test, its world, and a logged-in HTTP client for it (shared by
tests/sandbox/test_tessitura_*.py).

Import the fixtures by their function names; pytest knows them as ``app``, ``world`` and ``http``::

    from tessitura_fixtures import app_fixture, http_fixture, world_fixture  # noqa: F401
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest

from bridge.sandbox import (
    TESSITURA_ASGI_BASE,
    TESSITURA_LOCATION,
    TESSITURA_PASSWORD,
    TESSITURA_USER,
    TESSITURA_USER_GROUP,
)
from bridge.sandbox.tessitura_app import TessituraSandboxApp, create_tessitura_app
from bridge.sandbox.tessitura_world import TessituraWorld
from bridge.sandbox.venue import load_venue

TODAY = date(2026, 11, 21)
CREDENTIALS = (TESSITURA_USER, TESSITURA_USER_GROUP, TESSITURA_LOCATION, TESSITURA_PASSWORD)


def basic(*parts: str) -> str:
    return "Basic " + base64.b64encode(":".join(parts).encode()).decode()


@pytest.fixture(name="app")
def app_fixture() -> TessituraSandboxApp:
    return create_tessitura_app(load_venue(today=TODAY))


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
