"""Fixtures shared across the suite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from bridge.sandbox.serve import serve_in_thread
from bridge.testing.postgres import fresh_database, unavailable


@pytest.fixture
def loopback() -> Iterator[Callable[[Any], str]]:
    """Serve ASGI apps on 127.0.0.1 over real TCP for one test: ``base_url = loopback(app)``."""
    with ExitStack() as stack:
        yield lambda app: stack.enter_context(serve_in_thread(app))


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """One throwaway PostgreSQL database for the whole session (each test keeps to a venue of
    its own); skips, saying why, when no PostgreSQL answers on 127.0.0.1:5432."""
    reason = unavailable()
    if reason is not None:
        pytest.skip(reason)
    with fresh_database() as url:
        yield url
