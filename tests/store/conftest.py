"""The shared store suite runs against both backends: SQLite in memory, and PostgreSQL in one
database per session with a fresh venue per store (venues see nothing of each other, so tests are
isolated without truncating). Tests that need a file, or SQLite itself, open their own."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import psycopg
import pytest

from bridge.clock import SYSTEM, Clock
from bridge.store import StateStore, open_store

if TYPE_CHECKING:
    from bridge.store.postgres import PostgresStore

OpenStore = Callable[..., StateStore]


@pytest.fixture(params=["sqlite", "postgres"])
def open_fresh(request: pytest.FixtureRequest) -> Iterator[OpenStore]:
    """``open_fresh(clock=...)``: a new empty store of the parametrized backend, closed after."""
    backend: str = request.param
    url = request.getfixturevalue("pg_url") if backend == "postgres" else None
    with ExitStack() as stack:

        def factory(clock: Clock = SYSTEM) -> StateStore:
            if url is None:
                return stack.enter_context(open_store(":memory:", clock=clock))
            from bridge.store.postgres import open_postgres

            opened = stack.enter_context(open_postgres(url, venue=f"t{uuid4().hex}", clock=clock))
            # wait for the pool's first connection, made by a worker thread that draws random
            # jitter: inside a Hypothesis example that would be reported as random state misuse
            opened.notes()
            return opened

        yield factory


@pytest.fixture
def store(open_fresh: OpenStore) -> StateStore:
    return open_fresh()


OpenPostgres = Callable[..., "PostgresStore"]


@pytest.fixture
def open_pg(pg_url: str) -> Iterator[OpenPostgres]:
    """``open_pg(venue=...)``: a PostgresStore on the session database (a fresh venue unless one
    is given), closed after the test."""
    from bridge.store.postgres import open_postgres

    with ExitStack() as stack:

        def factory(venue: str | None = None, **options: Any) -> PostgresStore:
            chosen = f"t{uuid4().hex}" if venue is None else venue
            return stack.enter_context(open_postgres(pg_url, venue=chosen, **options))

        yield factory


@pytest.fixture
def admin(pg_url: str) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
    """An autocommit connection to the session database, to look at or break sessions."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        yield conn


Spawn = Callable[[str], subprocess.Popen[str]]


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    """``spawn(code)``: run ``code`` in a child Python that prints ``ready`` when it holds what
    it took and then sleeps; returns once it is ready. Children left over are killed after."""
    children: list[subprocess.Popen[str]] = []

    def start(code: str) -> subprocess.Popen[str]:
        script = (
            textwrap.dedent(code) + "\nprint('ready', flush=True)\nimport time\ntime.sleep(600)\n"
        )
        child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        children.append(child)
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip() == "ready", f"the child failed before it was ready: {line!r}"
        return child

    yield start
    for child in children:
        if child.poll() is None:
            child.kill()
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
