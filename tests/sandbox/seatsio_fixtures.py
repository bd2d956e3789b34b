"""The sample venue and a manual clock for the fake seats.io tests (tests/sandbox/test_seatsio_*.py).

Import the ``clock`` fixture by its function name: ``from seatsio_fixtures import clock_fixture``.
"""

from __future__ import annotations

from datetime import date
from functools import cache

import pytest

from bridge.sandbox.seatsio_clock import ManualClock
from bridge.sandbox.venue import Venue, load_venue

TODAY = date(2026, 11, 21)


@cache
def venue() -> Venue:
    return load_venue(today=TODAY)


@pytest.fixture(name="clock")
def clock_fixture() -> ManualClock:
    return ManualClock()
