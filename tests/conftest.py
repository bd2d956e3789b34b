"""Fixtures shared across the suite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from bridge.sandbox.serve import serve_in_thread


@pytest.fixture
def loopback() -> Iterator[Callable[[Any], str]]:
    """Serve ASGI apps on 127.0.0.1 over real TCP for one test: ``base_url = loopback(app)``."""
    with ExitStack() as stack:
        yield lambda app: stack.enter_context(serve_in_thread(app))
