"""The fake seats.io's error type: every refusal carries an HTTP status and a seats.io error code.

The world raises :class:`SeatsioApiError`; the HTTP layer turns it into the documented body
``{status, messages, errors: [{code, message}], warnings, requestId}`` (docs "error handling").
An error item carries ``data`` only when there is data to carry: the docs call it optional, and the
SDK tests compare ``ILLEGAL_STATUS_CHANGE`` items to exactly ``{code, message}``
(seatsio-python ``tests/events/testChangeObjectStatus.py``). Codes other than ``EVENT_NOT_FOUND``,
``CHART_NOT_FOUND`` and ``ILLEGAL_STATUS_CHANGE`` are the sandbox's own (seats.io does not publish
its list); they are listed here so clients and tests share one spelling.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Documented by seats.io.
EVENT_NOT_FOUND = "EVENT_NOT_FOUND"
CHART_NOT_FOUND = "CHART_NOT_FOUND"
ILLEGAL_STATUS_CHANGE = "ILLEGAL_STATUS_CHANGE"
# The sandbox's own names for cases seats.io answers without a published code.
VALIDATION_ERROR = "VALIDATION_ERROR"
NOT_FOUND = "NOT_FOUND"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
OBJECT_NOT_FOUND = "OBJECT_NOT_FOUND"
OBJECT_NOT_FOR_SALE = "OBJECT_NOT_FOR_SALE"
CHANNEL_KEYS_MISMATCH = "CHANNEL_KEYS_MISMATCH"
CHANNEL_NOT_FOUND = "CHANNEL_NOT_FOUND"
CHANNEL_ALREADY_EXISTS = "CHANNEL_ALREADY_EXISTS"
CHANNELS_NOT_ALLOWED_ON_EVENT_IN_SEASON = "CHANNELS_NOT_ALLOWED_ON_EVENT_IN_SEASON"
EVENT_KEY_ALREADY_EXISTS = "EVENT_KEY_ALREADY_EXISTS"
SEASON_NOT_FOUND = "SEASON_NOT_FOUND"
NOT_A_SEASON = "NOT_A_SEASON"
EVENT_NOT_IN_SEASON = "EVENT_NOT_IN_SEASON"
HOLD_TOKEN_NOT_FOUND = "HOLD_TOKEN_NOT_FOUND"
HOLD_TOKEN_EXPIRED = "HOLD_TOKEN_EXPIRED"
RATE_LIMIT_EXCEEDED = "RATE_LIMIT_EXCEEDED"
TOO_MANY_CONCURRENT_REQUESTS = "TOO_MANY_CONCURRENT_REQUESTS"


class SeatsioApiError(Exception):
    """A refusal as seats.io would answer it: HTTP status, error code, message, optional headers."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.data: dict[str, Any] = dict(data or {})
        self.headers: dict[str, str] = dict(headers or {})

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


def bad_request(code: str, message: str, **data: Any) -> SeatsioApiError:
    """A 400 with one error."""
    return SeatsioApiError(400, code, message, data=data)


def invalid(message: str) -> SeatsioApiError:
    """A 400 for a request body or query that does not have the documented shape."""
    return SeatsioApiError(400, VALIDATION_ERROR, message)


def event_not_found(key: str) -> SeatsioApiError:
    return SeatsioApiError(404, EVENT_NOT_FOUND, f"Event not found: {key}")


def chart_not_found(key: str, workspace: str) -> SeatsioApiError:
    """seats.io names the workspace it looked in (seatsio-python ``tests/testErrorHandling.py``:
    "Chart not found: unexistingChart was not found in workspace ...")."""
    return SeatsioApiError(
        404, CHART_NOT_FOUND, f"Chart not found: {key} was not found in workspace {workspace}"
    )
