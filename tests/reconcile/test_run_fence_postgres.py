"""Fenced writes on PostgreSQL: a unit whose store session is killed mid-run (the issue's daemon
losing its database sessions mid-step) sends no seats.io write once its lease is gone."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import httpx
import psycopg
from sandbox_bench import Bench, bench_fixture, cfg_fixture  # noqa: F401

from bridge.core.outcome import Ending
from bridge.http import RetryPolicy
from bridge.reconcile.leases import LEASE_TTL_S
from bridge.runtime import reconciler_for
from bridge.sandbox import SEATSIO_SECRET_KEY
from bridge.seatsio.client import SeatsioClient
from bridge.store.postgres import PostgresStore, open_postgres
from bridge.testing.postgres import eventually

TONIGHT = 201


async def test_no_write_leaves_after_the_units_store_session_was_killed(
    bench: Bench, pg_url: str
) -> None:
    store: PostgresStore = open_postgres(pg_url, venue="fence-session")
    successor = open_postgres(pg_url, venue="fence-session")
    bench.store = store
    app = bench.box.seatsio_app
    writes: list[str] = []
    killed_at: list[int] = []

    async def kill_on_the_first_write(
        scope: MutableMapping[str, Any], receive: Any, send: Any
    ) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            writes.append(scope["path"])
            if not killed_at:  # this write was sent already; the session dies under it
                killed_at.append(len(writes))
                with psycopg.connect(pg_url, autocommit=True) as admin:
                    admin.execute("SELECT pg_terminate_backend(%s)", (store.session[0],))
                # another instance sees the lease free and takes the unit over
                assert eventually(
                    lambda: successor.acquire_lease(TONIGHT, "successor", LEASE_TTL_S)
                )
        await app(scope, receive, send)

    seatsio = SeatsioClient(
        SEATSIO_SECRET_KEY,
        base_url="http://seatsio.sandbox",
        transport=httpx.ASGITransport(app=kill_on_the_first_write),
        retry=RetryPolicy.immediate(attempts=2),
    )
    try:
        report = await reconciler_for(bench.cfg, bench.tessitura, seatsio, store).reconcile(
            [TONIGHT], apply=True
        )
    finally:
        await seatsio.aclose()
    (unit,) = report.units
    assert len(unit.plan.api_operations) > 1  # there was more to write
    assert killed_at == [1] and len(writes) == 1  # the one in flight, then nothing
    assert unit.ending is Ending.ERROR
    assert any("lease was lost to successor" in str(e) for e in unit.all_errors)
    assert successor.lease_holder(TONIGHT) == "successor"
    store.close()
    successor.close()
