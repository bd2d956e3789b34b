"""Instances and lane budgets on PostgreSQL follow their database session: a killed process is
dead at once, and the request slots it held come back at once."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import psycopg
import pytest

from bridge.errors import RetryableError
from bridge.store.postgres_lanes import PostgresLaneBudget, lane_key
from bridge.testing.postgres import eventually

if TYPE_CHECKING:
    import subprocess

    from bridge.store.postgres import PostgresStore

OpenPostgres = Callable[..., "PostgresStore"]
Spawn = Callable[[str], "subprocess.Popen[str]"]


def budget(store: PostgresStore, account: str, lane: str, limit: int) -> PostgresLaneBudget:
    taken = store.lane_budget(account, lane, limit)
    assert isinstance(taken, PostgresLaneBudget)
    return taken


def test_a_killed_processs_instance_is_dead_at_once(
    pg_url: str, open_pg: OpenPostgres, spawn: Spawn
) -> None:
    child = spawn(
        f"""
        from bridge.store.postgres import open_postgres
        store = open_postgres({pg_url!r}, venue="presence-kill")
        store.announce_instance("doomed", "10.0.0.9:8080", ["seatsio"])
        """
    )
    watcher = open_pg(venue="presence-kill")
    watcher.announce_instance("watcher", "10.0.0.1:8080", [])
    assert [(i.holder, i.live) for i in watcher.instances(3600)] == [
        ("doomed", True),
        ("watcher", True),
    ]
    child.send_signal(signal.SIGKILL)
    child.wait()
    # far within the staleness, yet dead: its session is gone
    assert eventually(
        lambda: (
            [(i.holder, i.live) for i in watcher.instances(3600)]
            == [("doomed", False), ("watcher", True)]
        )
    )


def test_lane_keys_are_negative_int32_and_differ_per_lane() -> None:
    keys = {lane_key(a, lane) for a in ("acct-1", "acct-2") for lane in ("read", "write")}
    assert len(keys) == 4
    assert all(-(2**31) <= key < 0 for key in keys)


def test_one_budget_hands_out_each_slot_once(open_pg: OpenPostgres) -> None:
    lane = budget(open_pg(), "acct", "lane-once", 2)
    assert {lane.try_take(), lane.try_take()} == {0, 1}
    assert lane.try_take() is None  # re-entrant locks: the session must not take a slot twice
    lane.give(0)
    lane.give(0)  # twice, or a slot never taken: ignored
    lane.give(7)
    assert lane.try_take() == 0
    assert lane.try_take() is None


def test_two_budgets_of_one_lane_on_one_store_share_its_slots(open_pg: OpenPostgres) -> None:
    store = open_pg()
    first = budget(store, "acct", "lane-shared", 2)
    second = budget(store, "acct", "lane-shared", 2)
    assert first.try_take() is not None
    assert second.try_take() is not None
    assert first.try_take() is None and second.try_take() is None


def test_three_stores_never_hold_more_slots_than_the_limit(open_pg: OpenPostgres) -> None:
    budgets = [budget(open_pg(), "acct", "lane-three", 3) for _ in range(3)]
    in_use = 0
    most = 0
    guard = threading.Lock()
    start = threading.Barrier(6)

    def work(lane: PostgresLaneBudget) -> None:
        nonlocal in_use, most
        start.wait()
        for _ in range(40):
            slot = lane.try_take()
            if slot is None:
                continue
            with guard:
                in_use += 1
                most = max(most, in_use)
            with guard:
                in_use -= 1
            lane.give(slot)

    threads = [threading.Thread(target=work, args=(budgets[i % 3],)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 1 <= most <= 3
    taken = [slot for lane in budgets for slot in (lane.try_take(), lane.try_take())]
    assert sorted(s for s in taken if s is not None) == [0, 1, 2]


def test_slots_of_a_killed_process_come_back(
    pg_url: str, open_pg: OpenPostgres, spawn: Spawn
) -> None:
    child = spawn(
        f"""
        from bridge.store.postgres import open_postgres
        store = open_postgres({pg_url!r})
        lane = store.lane_budget("acct", "lane-kill", 3)
        assert lane.try_take() is not None and lane.try_take() is not None
        """
    )
    lane = budget(open_pg(), "acct", "lane-kill", 3)
    assert lane.try_take() is not None
    assert lane.try_take() is None
    child.send_signal(signal.SIGKILL)
    child.wait()
    got: list[int] = []

    def two_more() -> bool:
        slot = lane.try_take()
        if slot is not None:
            got.append(slot)
        return len(got) == 2

    assert eventually(two_more)
    assert lane.try_take() is None


def test_a_broken_lane_connection_is_retryable_and_then_made_anew(
    open_pg: OpenPostgres, pg_url: str
) -> None:
    store = open_pg()
    lane = budget(store, "acct", "lane-broken", 1)
    assert lane.try_take() == 0
    with psycopg.connect(pg_url, autocommit=True) as admin:
        pid = admin.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = %s::oid",
            (lane_key("acct", "lane-broken") & 0xFFFF_FFFF,),
        ).fetchone()
        assert pid is not None
        admin.execute("SELECT pg_terminate_backend(%s)", (pid[0],))
    with pytest.raises(RetryableError, match="unreachable"):
        lane.try_take()
    assert lane.held == frozenset()
    assert eventually(lambda: lane.try_take() == 0)
