"""The live pieces one process works with: config, both clients and the store, opened together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from bridge.config import BridgeConfig
from bridge.reconcile.policy import Policy
from bridge.reconcile.run import Reconciler
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

    def reconciler(self, *, force: bool = False, concurrency: int = 4) -> Reconciler:
        """A reconciler over this runtime's clients and store, with the config's tables and
        safety settings (``force`` lifts the guards, as `reconcile --force`)."""
        return reconciler_for(
            self.cfg, self.tessitura, self.seatsio, self.store, force=force, concurrency=concurrency
        )


def policy_of(cfg: BridgeConfig, *, force: bool = False) -> Policy:
    """The planner's policy from the config's ``[safety]`` and tables; ``force`` lifts the
    guards. Built here, in the shell, so neither the config nor the planner knows the other."""
    s = cfg.safety
    return Policy(
        mass_release_share=s.mass_release_share,
        mass_release_floor=s.mass_release_floor,
        season_policy=s.season_policy,
        owns_all_channels=frozenset(s.owns_all_channels),
        for_sale_reserve=s.for_sale_reserve,
        force=force,
        bridge_statuses=cfg.tables.bridge_statuses(),
        table_shrink_share=s.table_shrink_share,
    )


def reconciler_for(
    cfg: BridgeConfig,
    tessitura: TessituraClient,
    seatsio: SeatsioClient,
    store: StateStore,
    *,
    force: bool = False,
    concurrency: int = 4,
) -> Reconciler:
    """What a pass uses, taken from the config: its tables and policy, with these clients."""
    return Reconciler(
        tables=cfg.tables,
        policy=policy_of(cfg, force=force),
        tessitura=tessitura,
        seatsio=seatsio,
        store=store,
        concurrency=concurrency,
    )


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
