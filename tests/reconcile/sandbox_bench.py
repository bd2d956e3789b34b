"""A sandbox with fast-retrying clients wired to it in-process, and a fresh store: the test bench
for reconcile passes (shared by tests/reconcile/test_run*.py).

The fixtures ``cfg`` (the sandbox config) and ``bench`` (a fresh bench per test) are imported by
their function names::

    from sandbox_bench import bench_fixture, cfg_fixture  # noqa: F401
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bridge.clock import SYSTEM, Clock
from bridge.config import BridgeConfig, load_config
from bridge.core.outcome import RunReport
from bridge.http import RetryPolicy as SeatsioRetry
from bridge.http import RetryPolicy as TessituraRetry
from bridge.runtime import reconciler_for
from bridge.sandbox import (
    SEATSIO_SECRET_KEY,
    TESSITURA_LOCATION,
    TESSITURA_PASSWORD,
    TESSITURA_USER,
    TESSITURA_USER_GROUP,
    Sandbox,
)
from bridge.seatsio.client import SeatsioClient
from bridge.store import open_store
from bridge.store.base import StateStore
from bridge.tessitura.client import TessituraClient

CONFIG = Path(__file__).resolve().parents[2] / "config" / "sandbox.toml"


class Bench:
    """A sandbox, fast-retrying clients wired to it in-process, and a fresh store."""

    def __init__(self, cfg: BridgeConfig, fmt: str = "json", clock: Clock = SYSTEM) -> None:
        self.cfg = cfg
        self.box = Sandbox()
        self.ids = [p.id for p in self.box.venue.performances]
        self.tessitura = TessituraClient(
            "http://tessitura.sandbox/TessituraService/",
            TESSITURA_USER,
            TESSITURA_USER_GROUP,
            TESSITURA_LOCATION,
            TESSITURA_PASSWORD,
            format=fmt,  # type: ignore[arg-type]
            transport=httpx.ASGITransport(app=self.box.tessitura_app),
            retry=TessituraRetry.immediate(attempts=2),
        )
        self.seatsio = SeatsioClient(
            SEATSIO_SECRET_KEY,
            base_url="http://seatsio.sandbox",
            transport=httpx.ASGITransport(app=self.box.seatsio_app),
            retry=SeatsioRetry.seatsio(attempts=2, first_wait_s=0.0, max_wait_s=0.0, jitter_s=0.0),
        )
        #: ``clock``: the store's (what leases and the daemon's release window judge by)
        self.store: StateStore = open_store(":memory:", clock=clock)

    async def sync(
        self, *, apply: bool = True, force: bool = False, cfg: BridgeConfig | None = None
    ) -> RunReport:
        return await reconciler_for(
            cfg or self.cfg, self.tessitura, self.seatsio, self.store, force=force
        ).reconcile(self.ids, apply=apply)

    async def sync_ids(self, ids: list[int], *, apply: bool = True) -> RunReport:
        """A pass over ``ids`` only (``reconcile --performance``, or one daemon unit)."""
        return await reconciler_for(self.cfg, self.tessitura, self.seatsio, self.store).reconcile(
            ids, apply=apply
        )

    def seat(self, label: str) -> int:
        return self.box.venue.seat_by_label(label).id

    async def close(self) -> None:
        await self.tessitura.aclose()
        await self.seatsio.aclose()


@pytest.fixture(name="cfg", scope="module")
def cfg_fixture() -> BridgeConfig:
    return load_config(CONFIG)


@pytest.fixture(name="bench")
async def bench_fixture(cfg: BridgeConfig) -> AsyncIterator[Bench]:
    b = Bench(cfg)
    yield b
    await b.close()
