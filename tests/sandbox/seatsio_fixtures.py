"""The sample venue and a manual clock for the fake seats.io tests (tests/sandbox/test_seatsio_*.py),
now in :mod:`bridge.testing`; re-exported here for the tests that import them by this name.

Import the ``clock`` fixture by its function name: ``from seatsio_fixtures import clock_fixture``.
"""

from bridge.testing.fixtures import clock_fixture
from bridge.testing.sandbox import TODAY, venue

__all__ = ["TODAY", "clock_fixture", "venue"]
