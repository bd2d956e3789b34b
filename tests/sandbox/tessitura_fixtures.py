"""The fake TessituraService for one test, its world, and a logged-in HTTP client for it (shared by
tests/sandbox/test_tessitura_*.py), now in :mod:`bridge.testing`; re-exported here for the tests
that import them by this name.

Import the fixtures by their function names; pytest knows them as ``app``, ``world`` and ``http``::

    from tessitura_fixtures import app_fixture, http_fixture, world_fixture  # noqa: F401
"""

from bridge.testing.fixtures import app_fixture, http_fixture, world_fixture
from bridge.testing.sandbox import CREDENTIALS, TODAY, basic

__all__ = ["CREDENTIALS", "TODAY", "app_fixture", "basic", "http_fixture", "world_fixture"]
