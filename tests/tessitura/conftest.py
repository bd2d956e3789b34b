"""A fresh fake Tessitura per test, and clients for it in either format."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, time
from typing import Any

import httpx
import pytest

from bridge.sandbox import (
    TESSITURA_ASGI_BASE,
    TESSITURA_LOCATION,
    TESSITURA_PASSWORD,
    TESSITURA_USER,
    TESSITURA_USER_GROUP,
)
from bridge.sandbox.seatsio_clock import ManualClock
from bridge.sandbox.tessitura_app import TessituraSandboxApp, create_tessitura_app
from bridge.sandbox.tessitura_world import TessituraWorld
from bridge.sandbox.venue import load_venue
from bridge.tessitura import RetryPolicy, TessituraClient

TODAY = date(2026, 11, 21)
ClientFactory = Callable[..., TessituraClient]


@pytest.fixture
def app() -> TessituraSandboxApp:
    """The fake's clock stands at noon UTC on ``TODAY``: hold end dates after it are live."""
    clock = ManualClock(datetime.combine(TODAY, time(12), tzinfo=UTC))
    return create_tessitura_app(load_venue(today=TODAY), clock=clock)


@pytest.fixture
def world(app: TessituraSandboxApp) -> TessituraWorld:
    world: TessituraWorld = app.state.world
    return world


@pytest.fixture
async def make_client(app: TessituraSandboxApp) -> AsyncIterator[ClientFactory]:
    """Build clients over ASGI (default) or against ``base_url``; all are closed afterwards."""
    made: list[TessituraClient] = []

    def factory(fmt: str = "json", base_url: str | None = None, **kw: Any) -> TessituraClient:
        kw.setdefault("retry", RetryPolicy.immediate())
        kw.setdefault("timeout", 5.0)
        if base_url is None:
            kw.setdefault("transport", httpx.ASGITransport(app=app))
        client = TessituraClient(
            base_url or TESSITURA_ASGI_BASE,
            kw.pop("username", TESSITURA_USER),
            kw.pop("user_group", TESSITURA_USER_GROUP),
            kw.pop("location", TESSITURA_LOCATION),
            kw.pop("password", TESSITURA_PASSWORD),
            format=fmt,  # type: ignore[arg-type]
            **kw,
        )
        made.append(client)
        return client

    yield factory
    for client in made:
        await client.aclose()


@pytest.fixture(params=["json", "xml"])
def fmt(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture
def client(make_client: ClientFactory, fmt: str) -> TessituraClient:
    """A client in each format: tests using it run once per format."""
    return make_client(fmt)
