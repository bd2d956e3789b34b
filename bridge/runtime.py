"""The live pieces one process works with, built from the config in this one place: both clients
(:func:`tessitura_client`, :func:`seatsio_client`), the store (:func:`state_store`), the three
opened together (:func:`connect`), the online checks' readers (:func:`open_sources`) and the
reconciler over them (:func:`reconciler_for`). Nothing below this module builds a client from a
:class:`~bridge.config.BridgeConfig`.

Time comes from one :class:`~bridge.clock.Clock` per process: each factory takes ``clock``
(:data:`~bridge.clock.SYSTEM` by default) and hands it to what it builds; :class:`Runtime` keeps
it for what is built later (a reconciler). :func:`process_clock` picks that clock: the machine's,
or for tests only one whose wall time ``[testing]`` shifts; the store keeps the host's clock
(:func:`host_clock`) whatever the process's says."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from bridge.clock import SYSTEM, Clock, OffsetClock
from bridge.config import SEATSIO_SECRET_ENV, TESSITURA_PASSWORD_ENV, BridgeConfig
from bridge.core.policy import Policy, WritebackPolicy
from bridge.errors import ConfigError
from bridge.reconcile.leases import instance_id
from bridge.reconcile.readers import SeatsioReader, TessituraReader
from bridge.reconcile.run import UNIT_CONCURRENCY, Reconciler
from bridge.reconcile.seat_maps import SeatMapCache
from bridge.seatsio.chunking import SplitLimits
from bridge.seatsio.client import SeatsioClient
from bridge.seatsio.lanes import LaneLimits, SharedBudget
from bridge.store import open_store
from bridge.store.base import StateStore
from bridge.tessitura.client import TessituraClient

__all__ = [
    "Runtime",
    "connect",
    "host_clock",
    "open_sources",
    "policy_of",
    "process_clock",
    "reconciler_for",
    "seatsio_client",
    "state_store",
    "tessitura_client",
]


def mib(size: float) -> int:
    """A config's size in MiB, in bytes."""
    return int(size * 2**20)


def tessitura_client(
    cfg: BridgeConfig,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock = SYSTEM,
) -> TessituraClient:
    """A Tessitura client for the config's ``[tessitura]`` and password (``transport`` replaces
    the network in tests)."""
    if cfg.tessitura_password is None:
        raise ConfigError(f"no Tessitura password: set {TESSITURA_PASSWORD_ENV}")
    t = cfg.tessitura
    return TessituraClient(
        t.base_url,
        t.username,
        t.user_group,
        t.location,
        cfg.tessitura_password,
        format=t.format,
        timeout=t.timeout_s,
        max_answer_bytes=mib(t.max_answer_mib),
        transport=transport,
        clock=clock,
    )


def seatsio_client(
    cfg: BridgeConfig,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    budget: SharedBudget | None = None,
    clock: Clock = SYSTEM,
) -> SeatsioClient:
    """A seats.io client for the config's ``[seatsio]`` and secret key (``transport`` replaces
    the network in tests; ``budget`` is a shared store's account-wide lane budget)."""
    if cfg.seatsio_secret_key is None:
        raise ConfigError(f"no seats.io secret key: set {SEATSIO_SECRET_ENV}")
    s = cfg.seatsio
    return SeatsioClient(
        cfg.seatsio_secret_key.get_secret_value(),
        region=s.region,
        base_url=s.base_url,
        workspace_key=s.workspace_key,
        timeout_s=s.timeout_s,
        max_answer_bytes=mib(s.max_answer_mib),
        lane_limits=LaneLimits(priority=s.priority_lane_limit, regular=s.regular_lane_limit),
        split=SplitLimits(objects_per_request=s.max_objects_per_request),
        account=s.account,
        transport=transport,
        budget=budget,
        user_agent=f"seatbridge ({instance_id()})",
        clock=clock,
    )


def state_store(cfg: BridgeConfig, *, clock: Clock = SYSTEM) -> StateStore:
    """The state store the config's ``[store]`` names, opened (the caller closes it): the
    PostgreSQL database of ``url`` when set, else the SQLite file of ``path``."""
    st = cfg.store
    if st.url is None:
        return open_store(st.path, venue=st.venue, clock=clock)
    from bridge.store.postgres import open_postgres  # psycopg only for those who use it

    password = cfg.store_password.get_secret_value() if cfg.store_password else None
    return open_postgres(
        st.url, venue=st.venue, password=password, pool_size=st.pool_size, clock=clock
    )


@dataclass(frozen=True, slots=True)
class Runtime:
    cfg: BridgeConfig
    tessitura: TessituraClient
    seatsio: SeatsioClient
    store: StateStore
    #: the process's clock, which the clients were built with
    clock: Clock = SYSTEM

    def reconciler(self, *, force: bool = False, concurrency: int = UNIT_CONCURRENCY) -> Reconciler:
        """A reconciler over this runtime's clients, store and clock, with the config's tables
        and safety settings (``force`` lifts the guards, as `reconcile --force`)."""
        return reconciler_for(
            self.cfg,
            self.tessitura,
            self.seatsio,
            self.store,
            force=force,
            concurrency=concurrency,
            clock=self.clock,
        )


def policy_of(cfg: BridgeConfig, *, force: bool = False) -> Policy:
    """The planner's policy from the config's ``[safety]``, ``[writeback]`` and tables; ``force``
    lifts the guards. Built here, in the shell, so neither the config nor the planner knows the other."""
    s, w = cfg.safety, cfg.writeback
    return Policy(
        mass_release_share=s.mass_release_share,
        mass_release_floor=s.mass_release_floor,
        season_policy=s.season_policy,
        owns_all_channels=frozenset(s.owns_all_channels),
        for_sale_reserve=s.for_sale_reserve,
        force=force,
        bridge_statuses=cfg.tables.bridge_statuses()
        | ({s.fallback_status} if s.fallback_status else set()),
        table_shrink_share=s.table_shrink_share,
        fallback_status=s.fallback_status,
        writeback=WritebackPolicy(
            mode=w.mode,
            hold_code_id=w.hold_code or 0,
            statuses=frozenset(w.statuses),
            hold_hours=w.hold_hours,
            sold_statuses=frozenset(w.sold_seat_statuses),
        ),
    )


def reconciler_for(
    cfg: BridgeConfig,
    tessitura: TessituraClient,
    seatsio: SeatsioClient,
    store: StateStore,
    *,
    force: bool = False,
    concurrency: int = UNIT_CONCURRENCY,
    clock: Clock = SYSTEM,
    release_window_s: float | None = None,
) -> Reconciler:
    """What a pass uses, taken from the config: its tables and policy, with these clients;
    ``clock`` is the reconciler's and its seat-map cache's; ``release_window_s``: the daemon's
    rolling mass-release window (see :mod:`bridge.reconcile.release_window`)."""
    return Reconciler(
        tables=cfg.tables,
        policy=policy_of(cfg, force=force),
        tessitura=tessitura,
        seatsio=seatsio,
        store=store,
        # a kept seat map is trusted for one discovery cycle at most, unless discovery's search
        # vouches for it (see bridge.reconcile.seat_maps): a facility change shows within one
        seat_maps=SeatMapCache(
            max_age_s=min(cfg.tessitura.seat_map_max_age_s, cfg.schedule.discovery_every_s),
            backstop_s=cfg.tessitura.seat_map_max_age_s,  # read again at least this often
            clock=clock,
        ),
        concurrency=concurrency,
        clock=clock,
        lease_ttl_s=cfg.store.lease_ttl_s,
        release_window_s=release_window_s,
        full_read_every_s=cfg.seatsio.full_read_every_s,
    )


@asynccontextmanager
async def connect(
    cfg: BridgeConfig,
    *,
    tessitura_transport: httpx.AsyncBaseTransport | None = None,
    seatsio_transport: httpx.AsyncBaseTransport | None = None,
    store: StateStore | None = None,
    clock: Clock = SYSTEM,
) -> AsyncIterator[Runtime]:
    """Open both clients and the store named in the config (or the one given); close them after.
    ``clock`` is the process's: the clients and the runtime take it."""
    own_store = store is None
    st = store if store is not None else state_store(cfg, clock=host_clock(clock))
    try:
        async with (
            tessitura_client(cfg, transport=tessitura_transport, clock=clock) as tessitura,
            seatsio_client(
                cfg, transport=seatsio_transport, budget=st.lane_budget, clock=clock
            ) as seatsio,
        ):
            yield Runtime(cfg, tessitura, seatsio, st, clock)
    finally:
        if own_store:
            st.close()


@asynccontextmanager
async def open_sources(
    cfg: BridgeConfig,
    *,
    tessitura_transport: httpx.AsyncBaseTransport | None = None,
    seatsio_transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock = SYSTEM,
) -> AsyncIterator[tuple[TessituraReader, SeatsioReader]]:
    """The real clients, built from ``cfg`` with ``clock``, behind the reader protocols of
    :mod:`bridge.mapping.online` (the transports replace the network, e.g.
    ``httpx.ASGITransport(app=sandbox.tessitura_app)``); closed after."""
    async with (
        TessituraReader(tessitura_client(cfg, transport=tessitura_transport, clock=clock)) as tess,
        SeatsioReader(seatsio_client(cfg, transport=seatsio_transport, clock=clock)) as sio,
    ):
        yield tess, sio


def process_clock(cfg: BridgeConfig, base: Clock = SYSTEM) -> Clock:
    """The clock a process runs by: ``base``, its wall time shifted when ``[testing]`` says so
    (a test's faketime; see :class:`~bridge.clock.OffsetClock`)."""
    t = cfg.testing
    if not t.shifted:
        return base
    return OffsetClock(base, offset_s=t.clock_offset_s, offset_file=t.clock_offset_file)


def host_clock(clock: Clock) -> Clock:
    """The clock under a test's shift: the state store's (a store is judged by its host's
    clock, not by the shifted process that uses it)."""
    return clock.base if isinstance(clock, OffsetClock) else clock
