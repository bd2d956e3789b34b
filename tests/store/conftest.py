"""A private in-memory store per test; tests that need a file or a clock open their own."""

from collections.abc import Iterator

import pytest

from bridge.store import SqliteStore, open_store


@pytest.fixture
def store() -> Iterator[SqliteStore]:
    with open_store(":memory:") as opened:
        yield opened
