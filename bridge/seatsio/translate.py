"""seats.io HTTP failures as :mod:`bridge.errors`: the only place that reads status codes.

seats.io's error body is ``{"status", "messages", "errors": [{"code", "message"}], "requestId"}``;
401/403 come with an empty body. The codes and the raw body are kept on every error.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from bridge.errors import (
    BridgeError,
    ConflictError,
    CredentialsError,
    NotFoundError,
    RateLimitedError,
    RetryableError,
    TerminalError,
)
from bridge.seatsio.retry import parse_retry_after

VENDOR = "seats.io"
CONFLICT_CODES = frozenset({"ILLEGAL_STATUS_CHANGE"})
MAX_BODY_CHARS = 4000
CREDENTIALS_HINT = "seats.io refused the credentials: check the secret key and workspace key"


def error_codes_and_message(body: str) -> tuple[tuple[str, ...], str | None]:
    """The ``errors[].code`` values and the first message of an error body, if it is one."""
    try:
        data: Any = json.loads(body)
    except ValueError:
        return (), None
    if not isinstance(data, dict):
        return (), None
    codes: list[str] = []
    messages: list[str] = []
    for item in data.get("errors") or []:
        if isinstance(item, dict):
            if isinstance(item.get("code"), str):
                codes.append(item["code"])
            if isinstance(item.get("message"), str):
                messages.append(item["message"])
    for message in data.get("messages") or []:
        if isinstance(message, str):
            messages.append(message)
    return tuple(codes), (messages[0] if messages else None)


def error_from_response(response: httpx.Response, endpoint: str) -> BridgeError:
    """The bridge error for a non-2xx answer to ``endpoint`` ("METHOD /path/{template}")."""
    status = response.status_code
    body = response.text[:MAX_BODY_CHARS]
    codes, vendor_message = error_codes_and_message(body)
    message = f"{endpoint}: {vendor_message or response.reason_phrase or 'error'}"
    kw: dict[str, Any] = {"vendor": VENDOR, "status": status, "body": body, "codes": codes}
    if status in (401, 403):
        return CredentialsError(f"{endpoint}: {CREDENTIALS_HINT}", **kw)
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return RateLimitedError(message, retry_after=retry_after, **kw)
    if status == 409 or CONFLICT_CODES.intersection(codes):
        return ConflictError(message, **kw)
    if status == 404:
        return NotFoundError(message, **kw)
    if status >= 500:
        return RetryableError(message, **kw)
    return TerminalError(message, **kw)
