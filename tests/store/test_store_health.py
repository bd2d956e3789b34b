"""``check_alive``: a store says whether it still answers and is still the one a process opened.

A daemon probes it at every heartbeat; an SQLite file removed or replaced under it must be
noticed (writes there reach no one), and a PostgreSQL store that lost its sessions must come
back by itself."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest

from bridge.store import open_store
from bridge.store.base import StoreGoneError

if TYPE_CHECKING:
    from bridge.store.postgres import PostgresStore


def test_a_healthy_sqlite_store_answers(tmp_path: Path) -> None:
    with open_store(tmp_path / "state.sqlite3") as store:
        store.check_alive(1.0)


def test_an_sqlite_file_removed_under_the_store_is_gone(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    with open_store(path) as store:
        for leftover in tmp_path.iterdir():
            leftover.unlink()
        with pytest.raises(StoreGoneError, match=r"state\.sqlite3 was removed"):
            store.check_alive(1.0)


def test_an_sqlite_file_replaced_under_the_store_is_gone(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    with open_store(path) as store:
        path.unlink()
        with open_store(path):  # a second daemon starting afresh on the path
            pass
        with pytest.raises(StoreGoneError, match=r"state\.sqlite3 was replaced by another file"):
            store.check_alive(1.0)


def test_an_sqlite_file_restored_over_the_store_is_gone(tmp_path: Path) -> None:
    path, backup = tmp_path / "state.sqlite3", tmp_path / "backup.sqlite3"
    with open_store(path) as store:
        sqlite3.connect(backup).close()
        os.replace(backup, path)  # a restore copied over the live file
        with pytest.raises(StoreGoneError, match="replaced"):
            store.check_alive(1.0)


def test_the_in_memory_store_is_always_alive() -> None:
    with open_store(":memory:") as store:
        store.check_alive(1.0)


def test_a_postgres_store_answers_and_survives_losing_its_sessions(
    open_pg: Callable[..., PostgresStore], pg_url: str
) -> None:
    store = open_pg()
    store.check_alive(1.0)
    with psycopg.connect(pg_url, autocommit=True) as admin:
        killed = admin.execute(
            """SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE application_name = 'seatbridge' AND datname = current_database()
            AND pid <> pg_backend_pid()"""
        ).fetchone()
    assert killed is not None and killed[0] >= 1
    store.check_alive(1.0)  # the pool checks a connection before lending it, and reconnects
