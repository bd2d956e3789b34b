"""When to repeat a Tessitura call: the shared :class:`bridge.http.RetryPolicy`.

Timeouts, connection errors, 5xx and 429 are repeated within its bounds; tests pass
``RetryPolicy.immediate()`` or a ``sleep=`` recorder so that retries cost no time.
"""

from __future__ import annotations

from bridge.http import RetryPolicy

__all__ = ["RetryPolicy"]
