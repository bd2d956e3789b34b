"""Test helpers for seatbridge's own tests, its benchmarks and your tests of code around it.

- :mod:`bridge.testing.clock`: :class:`ManualClock`, a clock that moves only when told to, and
  :class:`RecordingSleep`, an ``asyncio.sleep`` that records its waits and spends none (pass it
  as ``RetryPolicy(sleep=...)`` to either client).
- :mod:`bridge.testing.sandbox`: the sample venue on a fixed day, the fake Tessitura's
  credentials, and :func:`served_sandbox`: both fakes on loopback ports with a config file
  pointing at them, for running the CLI against them.
- :mod:`bridge.testing.daemon`: ``seatbridge run`` as a child process: 1 s cadences
  (:func:`fast_config`), the bounded poll :func:`eventually`, what the daemon wrote to its store.
- :mod:`bridge.testing.portfolio`: a generated portfolio (500 performances of a 3,000-seat hall
  by default, several seats.io seasons) with its tables and config, for benchmarks.
- :mod:`bridge.testing.fixtures`: the same as pytest fixtures (``sandbox``, ``served``,
  ``clock``, ``sleeps``, and the fake Tessitura's ``app``, ``world``, ``http``). Needs pytest.
- :mod:`bridge.testing.worlds`: builders and Hypothesis strategies for the reconcile core
  (random Tessitura holds, mapping tables, seats.io states and ledgers). Needs Hypothesis.

This package imports neither pytest nor Hypothesis (the dev dependencies); its ``fixtures`` and
``worlds`` modules do, and nothing outside ``bridge.testing`` imports them. The fakes themselves
are :mod:`bridge.sandbox`.
"""

from __future__ import annotations

from bridge.sandbox.seatsio_clock import ManualClock
from bridge.testing.clock import RecordingSleep
from bridge.testing.sandbox import (
    CREDENTIALS,
    TODAY,
    basic,
    lease_count,
    sandbox_config,
    served_sandbox,
    store_path,
    venue,
)

__all__ = [
    "CREDENTIALS",
    "TODAY",
    "ManualClock",
    "RecordingSleep",
    "basic",
    "lease_count",
    "sandbox_config",
    "served_sandbox",
    "store_path",
    "venue",
]
