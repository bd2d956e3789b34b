"""Emulators of the Tessitura REST API and the seats.io API, seeded from a venue file.

Shipped in the package (like ``structlog.testing``) so tests, the demo, benchmarks and users share
one faithful sandbox. In-process use::

    sandbox = Sandbox()                                  # the sample venue, dates relative to today
    async with sandbox.tessitura_client() as http: ...   # httpx.AsyncClient over ASGITransport

On loopback: ``seatbridge sandbox serve`` (see :mod:`bridge.sandbox.serve`).

seats.io lists status changes seconds after they are made; ``seatsio_max_delay_s`` is the longest
the fake takes (each change its own delay, up to that). In process it is 0 unless told, so unit
tests see every change at once; served sandboxes (``seatbridge sandbox serve``, the demo, the chaos
runner) use :data:`SERVED_MAX_DELAY_S`.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from bridge.sandbox.control import Control
from bridge.sandbox.venue import Venue, load_venue

TESSITURA_USER = "seatbridge"
TESSITURA_USER_GROUP = "api"
TESSITURA_LOCATION = "sandbox"
TESSITURA_PASSWORD = "sandbox-password"  # the sandbox's fixed, public credential
SEATSIO_SECRET_KEY = "sandbox-secret-key"  # the sandbox's fixed, public credential

#: Base URLs used for in-process (ASGI) clients; any host works, these read well in logs.
TESSITURA_ASGI_BASE = "http://tessitura.sandbox/TessituraService/"
SEATSIO_ASGI_BASE = "http://seatsio.sandbox"

#: The longest a served fake seats.io takes to list a status change, in seconds: the bridge must
#: not read a quiet status-change feed as "nothing changed" (seats.io: processed asynchronously).
SERVED_MAX_DELAY_S = 2.0

#: The sample the demo and `seatbridge init` use, shipped in the package: ``config/`` (the
#: sandbox config, its public secrets, the production template) and ``mappings/sample/`` (the
#: tables). In a checkout these are links to the top-level ``config/`` and ``mappings/``, the one
#: copy; a wheel carries the files. The config's relative paths hold in both.
SAMPLE = Path(__file__).resolve().parent / "sample"
#: The sample's sandbox config (``config/sandbox.toml`` of a checkout).
SAMPLE_CONFIG = SAMPLE / "config" / "sandbox.toml"


class Sandbox:
    """Both emulators over one venue, with their state and control surfaces at hand."""

    def __init__(
        self,
        venue: Venue | Path | str | None = None,
        *,
        today: date | None = None,
        seatsio_empty: bool = False,
        seatsio_max_delay_s: float = 0.0,
    ) -> None:
        from bridge.sandbox.seatsio_app import create_seatsio_app
        from bridge.sandbox.tessitura_app import create_tessitura_app

        self.venue = venue if isinstance(venue, Venue) else load_venue(venue, today=today)
        self.tessitura_app = create_tessitura_app(self.venue)
        self.seatsio_app = create_seatsio_app(
            self.venue, empty=seatsio_empty, max_delay=timedelta(seconds=seatsio_max_delay_s)
        )
        # Each app exposes its control surface and its in-memory world on ``app.state``.
        self.tessitura_control: Control = self.tessitura_app.state.control
        self.seatsio_control: Control = self.seatsio_app.state.control
        self.tessitura_world: Any = self.tessitura_app.state.world
        self.seatsio_world: Any = self.seatsio_app.state.world

    def tessitura_client(self, **kw: Any) -> httpx.AsyncClient:
        """An httpx client wired to the Tessitura emulator in-process (no auth header set)."""
        transport = httpx.ASGITransport(app=self.tessitura_app)
        return httpx.AsyncClient(transport=transport, base_url=TESSITURA_ASGI_BASE, **kw)

    def seatsio_client(self, **kw: Any) -> httpx.AsyncClient:
        """An httpx client wired to the seats.io emulator in-process (no auth header set)."""
        transport = httpx.ASGITransport(app=self.seatsio_app)
        return httpx.AsyncClient(transport=transport, base_url=SEATSIO_ASGI_BASE, **kw)


__all__ = [
    "SEATSIO_ASGI_BASE",
    "SEATSIO_SECRET_KEY",
    "SERVED_MAX_DELAY_S",
    "TESSITURA_ASGI_BASE",
    "TESSITURA_LOCATION",
    "TESSITURA_PASSWORD",
    "TESSITURA_USER",
    "TESSITURA_USER_GROUP",
    "Control",
    "Sandbox",
    "Venue",
    "load_venue",
]
