"""A throwaway PostgreSQL database per test session, for the store tests and end-to-end tests.

Tests that need PostgreSQL ask :func:`unavailable` first and skip with its reason when no server
answers, so a machine without one still runs the rest of the suite.
"""

from __future__ import annotations

import functools
import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

#: The server the tests use; its database is only used to create and drop test databases.
ADMIN_URL = os.environ.get(
    "SEATBRIDGE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@functools.cache
def unavailable() -> str | None:
    """None when the test server answers, else one line saying why not (asked once)."""
    try:
        with psycopg.connect(ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL at {ADMIN_URL} is unavailable: {' '.join(str(exc).split())}"
    return None


def database_url(name: str) -> str:
    """ADMIN_URL pointing at database ``name`` instead."""
    parts = urlsplit(ADMIN_URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextmanager
def fresh_database(prefix: str = "seatbridge_test") -> Iterator[str]:
    """Create a database with a unique name, yield its URL, drop it (and its sessions) after."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield database_url(name)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def eventually(check: Callable[[], bool], tries: int = 200, pause_s: float = 0.025) -> bool:
    """Whether ``check`` came true within a bounded number of polls: for what the server does
    shortly after a process dies (its backend exits), without a wall-clock assertion."""
    for _ in range(tries):
        if check():
            return True
        time.sleep(pause_s)
    return check()
