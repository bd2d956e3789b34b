"""Leases on PostgreSQL: rows tied to a live database session, so two instances never hold one
performance, and a killed instance's leases are free at once rather than after their ttl."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import psycopg

from bridge.clock import ManualClock
from bridge.reconcile.leases import UnitLeases
from bridge.testing.postgres import eventually

if TYPE_CHECKING:
    import subprocess

    from bridge.store.postgres import PostgresStore

OpenPostgres = Callable[..., "PostgresStore"]
Spawn = Callable[[str], "subprocess.Popen[str]"]
Admin = psycopg.Connection[tuple[Any, ...]]

SECOND = timedelta(seconds=1)


def test_two_stores_cannot_both_hold_a_performance(open_pg: OpenPostgres) -> None:
    a = open_pg(venue="leases-two")
    b = open_pg(venue="leases-two")
    assert a.acquire_lease(101, "instance-a", 30)
    assert not b.acquire_lease(101, "instance-b", 30)
    assert b.lease_holder(101) == a.lease_holder(101) == "instance-a"
    a.release_lease(101, "instance-a")
    assert b.acquire_lease(101, "instance-b", 30)
    assert not a.acquire_lease(101, "instance-a", 30)


def race(stores: list[PostgresStore], performance: int, threads_per_store: int = 3) -> list[str]:
    """Every thread of every store tries to take ``performance`` at once; the holders that won."""
    start = threading.Barrier(len(stores) * threads_per_store)
    wins: list[str] = []

    def take(store: PostgresStore, holder: str) -> None:
        start.wait()
        if store.acquire_lease(performance, holder, 30):
            wins.append(holder)

    threads = [
        threading.Thread(target=take, args=(store, f"s{i}-t{t}"))
        for i, store in enumerate(stores)
        for t in range(threads_per_store)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return wins


def test_racing_acquirers_of_one_free_lease_produce_exactly_one_winner(
    open_pg: OpenPostgres,
) -> None:
    stores = [open_pg(venue="leases-race", pool_size=3) for _ in range(3)]
    for performance in range(200, 210):
        wins = race(stores, performance)
        assert len(wins) == 1
        assert stores[0].lease_holder(performance) == wins[0]


def test_a_lease_held_by_a_killed_process_is_free_right_after(
    pg_url: str, open_pg: OpenPostgres, spawn: Spawn
) -> None:
    child = spawn(
        f"""
        from bridge.store.postgres import open_postgres
        store = open_postgres({pg_url!r}, venue="leases-kill")
        assert store.acquire_lease(101, "doomed", 3600)
        """
    )
    survivor = open_pg(venue="leases-kill")
    assert survivor.lease_holder(101) == "doomed"
    assert not survivor.acquire_lease(101, "survivor", 30)
    child.send_signal(signal.SIGKILL)
    child.wait()
    # no ttl to wait out: the server ends the dead process's session, and the lease with it
    assert eventually(lambda: survivor.acquire_lease(101, "survivor", 30))
    assert survivor.lease_holder(101) == "survivor"


def test_renewal_fails_once_our_session_was_lost(open_pg: OpenPostgres, admin: Admin) -> None:
    store = open_pg()
    assert store.acquire_lease(101, "a", 30)
    admin.execute("SELECT pg_terminate_backend(%s)", (store.session[0],))
    assert eventually(lambda: store.lease_holder(101) is None)
    assert not store.renew_lease(101, "a", 30)


def test_rows_of_a_replaced_session_are_not_renewed(open_pg: OpenPostgres, admin: Admin) -> None:
    store = open_pg()
    assert store.acquire_lease(101, "a", 30)
    old = store.session
    admin.execute("SELECT pg_terminate_backend(%s)", (old[0],))
    assert eventually(lambda: store.lease_holder(101) is None)
    assert store.acquire_lease(102, "a", 30)  # notices the loss and makes a new session
    assert store.session != old
    assert not store.renew_lease(101, "a", 30)  # the row still names the old session
    assert store.renew_lease(102, "a", 30)
    assert store.acquire_lease(101, "a", 30)  # taking it anew is fine: nobody else had it
    assert store.renew_lease(101, "a", 30)


def test_a_dead_sessions_row_goes_to_anyone_even_before_it_runs_out(
    open_pg: OpenPostgres, admin: Admin
) -> None:
    first = open_pg(venue="leases-dead")
    second = open_pg(venue="leases-dead")
    now = datetime.now(UTC)
    assert first.acquire_lease(101, "first", 3600, now=now)
    admin.execute("SELECT pg_terminate_backend(%s)", (first.session[0],))
    assert eventually(lambda: second.acquire_lease(101, "second", 30, now=now + SECOND))
    assert [(lease.performance_id, lease.holder) for lease in second.leases()] == [(101, "second")]


def test_closing_a_store_frees_its_leases(open_pg: OpenPostgres) -> None:
    first = open_pg(venue="leases-close")
    second = open_pg(venue="leases-close")
    assert first.acquire_lease(101, "first", 3600)
    first.close()
    assert eventually(lambda: second.acquire_lease(101, "second", 30))


# -- the server's clock ------------------------------------------------------------------------


def test_a_process_whose_clock_is_400_s_ahead_cannot_take_a_live_lease(
    open_pg: OpenPostgres, admin: Admin
) -> None:
    """Leases are judged by the server's now(), never an instance's own clock."""
    row = admin.execute("SELECT now()").fetchone()
    assert row is not None
    ahead = ManualClock(row[0] + 400 * SECOND)
    punctual = open_pg(venue="leases-clock")
    hasty = open_pg(venue="leases-clock", clock=ahead)
    assert punctual.acquire_lease(101, "punctual", 300)
    assert not hasty.acquire_lease(101, "hasty", 300)
    assert hasty.lease_holder(101) == "punctual"
    assert [lease.holder for lease in hasty.leases()] == ["punctual"]
    (left,) = hasty.lease_time_left("punctual").values()
    assert 0 < left <= 300  # by the server's clock, not 400 s less
    # and its own leases run out by the server's clock too, not 400 s early for the others
    assert hasty.acquire_lease(102, "hasty", 300)
    assert not punctual.acquire_lease(102, "punctual", 300)
    leases = UnitLeases(hasty, "hasty-run", clock=ahead)
    assert leases.take(101) == "punctual"


def test_a_lingering_lease_outlives_its_session(open_pg: OpenPostgres) -> None:
    """A stopped run's last write may land after its process exited: its lease stays."""
    stopped = open_pg(venue="leases-linger")
    successor = open_pg(venue="leases-linger")
    assert stopped.acquire_lease(101, "stopped", 300)
    assert stopped.linger_lease(101, "stopped", 60)
    stopped.close()  # its session ends: a plain lease would be free at once
    assert not successor.acquire_lease(101, "successor", 30)
    assert successor.lease_holder(101) == "stopped"
