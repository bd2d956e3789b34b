"""seats.io HTTP failures as :mod:`bridge.errors`: the only place that reads status codes.

seats.io's error body is ``{"status", "messages", "errors": [{"code", "message"}], "requestId"}``;
401/403 come with an empty body. The codes and the raw body are kept on every error.

Two different limits answer 429: the account's concurrency lanes (retry shortly) and an event's
daily budget of 10 restricting for-sale edits (retry in hours). The docs give only the daily
limit a ``Retry-After`` ("rate limit" page: the concurrency 429 is a bare 429; for-sale pages: "The
Retry-After header indicates how many seconds you have to wait"), and publish no error code for
either. So a 429 is read as the daily limit (:class:`~bridge.errors.ForSaleLimitError`) only when
every marker we know of says so: a for-sale edit endpoint, a Retry-After, an error code naming
that limit, and nothing against it: no code or message that speaks of concurrency, and no
rate-limit info in the error's data saying calls are left. Anything less is a plain
:class:`~bridge.errors.RateLimitedError`: the dangerous mistake is recording "no edits left today"
for a passing concurrency refusal, which would leave kills for sale for a day; the opposite
mistake costs a refused call per run.
"""

from __future__ import annotations

from typing import Any

import httpx

from bridge.clock import SYSTEM, Clock
from bridge.errors import (
    BridgeError,
    ConflictError,
    CredentialsError,
    ForSaleLimitError,
    NotFoundError,
    RateLimitedError,
    RetryableError,
    TerminalError,
)
from bridge.http import loads_answer, parse_retry_after

VENDOR = "seats.io"
CONFLICT_CODES = frozenset({"ILLEGAL_STATUS_CHANGE"})
#: The calls that spend an event's daily budget of restricting for-sale edits ("METHOD /template").
FOR_SALE_ENDPOINTS = frozenset(
    {
        "POST /events/{key}/actions/edit-for-sale-config",
        "POST /events/actions/edit-for-sale-config",
        "POST /events/{key}/actions/mark-as-not-for-sale",
        "POST /events/{key}/actions/mark-as-for-sale",
        "POST /events/{key}/actions/mark-everything-as-not-for-sale",
    }
)
#: Error codes naming the daily for-sale limit. seats.io publishes none: this is the sandbox's
#: spelling, to be checked against a real account (docs/api-assumptions.md).
FOR_SALE_LIMIT_CODES = frozenset({"RATE_LIMIT_EXCEEDED"})
#: Error codes naming the concurrency limit (the sandbox's spelling); they rule the daily limit out.
CONCURRENCY_CODES = frozenset({"TOO_MANY_CONCURRENT_REQUESTS"})
MAX_BODY_CHARS = 4000
CREDENTIALS_HINT = "seats.io refused the credentials: check the secret key and workspace key"


def error_codes_and_message(body: str) -> tuple[tuple[str, ...], str | None]:
    """The ``errors[].code`` values and the first message of an error body, if it is one."""
    try:
        data: Any = loads_answer(body)
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


def error_from_response(
    response: httpx.Response, endpoint: str, *, request: str | None = None, clock: Clock = SYSTEM
) -> BridgeError:
    """The bridge error for a non-2xx answer to ``endpoint`` ("METHOD /path/{template}").

    The message names ``request``, the concrete request (``GET /events/perf-101``, see
    :func:`bridge.http.request_line`), when given; the for-sale rules read the template; a
    Retry-After date is counted from ``clock``'s wall time."""
    status = response.status_code
    body = response.text[:MAX_BODY_CHARS]
    codes, vendor_message = error_codes_and_message(body)
    named = request or endpoint
    message = f"{named}: {vendor_message or response.reason_phrase or 'error'}"
    kw: dict[str, Any] = {"vendor": VENDOR, "status": status, "body": body, "codes": codes}
    if status in (401, 403):
        return CredentialsError(f"{named}: {CREDENTIALS_HINT}", **kw)
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"), clock=clock)
        if is_for_sale_limit(endpoint, codes, body, retry_after):
            return ForSaleLimitError(message, retry_after=retry_after, **kw)
        return RateLimitedError(message, retry_after=retry_after, **kw)
    if status == 409 or CONFLICT_CODES.intersection(codes):
        return ConflictError(message, **kw)
    if status == 404:
        return NotFoundError(message, **kw)
    if status >= 500:
        return RetryableError(message, **kw)
    return TerminalError(message, **kw)


def calls_left_in(body: str) -> int | None:
    """The most ``rateLimitRemainingCalls`` any error item's ``data`` reports, if one does."""
    try:
        data: Any = loads_answer(body)
    except ValueError:
        return None
    items = data.get("errors") if isinstance(data, dict) else None
    found: list[int] = []
    for item in items if isinstance(items, list) else []:
        extra = item.get("data") if isinstance(item, dict) else None
        left = extra.get("rateLimitRemainingCalls") if isinstance(extra, dict) else None
        if type(left) is int:
            found.append(left)
    return max(found) if found else None


def is_for_sale_limit(
    endpoint: str, codes: tuple[str, ...], body: str, retry_after: float | None
) -> bool:
    """Whether a 429 is positively the daily for-sale limit: every marker for, none against."""
    left = calls_left_in(body)
    return (
        endpoint in FOR_SALE_ENDPOINTS
        and retry_after is not None
        and bool(FOR_SALE_LIMIT_CODES.intersection(codes))
        and not CONCURRENCY_CODES.intersection(codes)
        and "concurren" not in body.lower()
        and (left is None or left == 0)
    )
