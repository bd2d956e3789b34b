"""The live pieces one process works with: config, both clients and the store, opened together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from bridge.config import BridgeConfig
from bridge.seatsio.client import SeatsioClient
from bridge.store import open_store
from bridge.store.base import StateStore
from bridge.tessitura.client import TessituraClient


@dataclass(frozen=True, slots=True)
class Runtime:
    cfg: BridgeConfig
    tessitura: TessituraClient
    seatsio: SeatsioClient
    store: StateStore


@asynccontextmanager
async def connect(
    cfg: BridgeConfig,
    *,
    tessitura_transport: httpx.AsyncBaseTransport | None = None,
    seatsio_transport: httpx.AsyncBaseTransport | None = None,
    store: StateStore | None = None,
) -> AsyncIterator[Runtime]:
    """Open both clients and the store named in the config (or the one given); close them after."""
    own_store = store is None
    st = store if store is not None else open_store(cfg.store.path)
    try:
        async with (
            cfg.tessitura_client(transport=tessitura_transport) as tessitura,
            cfg.seatsio_client(transport=seatsio_transport) as seatsio,
        ):
            yield Runtime(cfg, tessitura, seatsio, st)
    finally:
        if own_store:
            st.close()
