"""Tessitura's refusals translated into the bridge's exception tree, with what to fix.

Error bodies are a collection of ``{Code, Description}`` (JSON array or ``ErrorMessages`` XML), but a
single object is accepted too, and anything unreadable still gives an error with its raw body.
401 and 403 are :class:`~bridge.errors.CredentialsError` (a configuration error that ends a pass);
409 is a :class:`~bridge.errors.ConflictError`, never retried.
"""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import ValidationError

from bridge.clock import SYSTEM, Clock
from bridge.errors import (
    BridgeError,
    ConflictError,
    CredentialsError,
    NotFoundError,
    RateLimitedError,
    RetryableError,
    TerminalError,
)
from bridge.http import loads_answer, parse_retry_after
from bridge.tessitura.models import ErrorMessage
from bridge.tessitura.xml import VENDOR, elements, object_data, parse_document

#: How much of a body an exception keeps.
BODY_LIMIT = 10_000


def body_text(response: httpx.Response) -> str:
    return response.content[:BODY_LIMIT].decode("utf-8", "replace")


def error_messages(response: httpx.Response) -> list[ErrorMessage]:
    """The ``{Code, Description}`` entries of an error body, or none if it has no such shape."""
    content = response.content
    try:
        if content.lstrip()[:1] == b"<":
            root = parse_document(content)
            items = [root] if not any(elements(c) for c in elements(root)) else elements(root)
            raw: list[Any] = [object_data(item, ErrorMessage) for item in items]
        else:
            data = loads_answer(content)
            raw = data if isinstance(data, list) else [data]
        return [ErrorMessage.model_validate(item) for item in raw if isinstance(item, dict)]
    except (BridgeError, ValueError, ValidationError):
        return []


def retry_after(response: httpx.Response, *, clock: Clock = SYSTEM) -> float | None:
    """The answer's Retry-After in seconds (see :func:`bridge.http.parse_retry_after`); an
    HTTP-date is counted from ``clock``'s wall time."""
    return parse_retry_after(response.headers.get("retry-after"), clock=clock)


def error_for(
    response: httpx.Response, what: str, *, request: str = "", clock: Clock = SYSTEM
) -> BridgeError:
    """The exception for an HTTP error answer to the call that reads or writes ``what``.

    ``request`` (the concrete ``METHOD /path``, see :func:`bridge.http.request_line`) leads the
    message when given; ``clock`` counts a Retry-After date."""
    error = _error_for(response, what, clock)
    if request:
        error.message = f"{request}: {error.message}"
        error.args = (error.message,)
    return error


def _error_for(response: httpx.Response, what: str, clock: Clock) -> BridgeError:
    status = response.status_code
    messages = error_messages(response)
    said = "; ".join(m.description or m.code or "" for m in messages if m.description or m.code)
    said = f" Tessitura said: {said}" if said else ""
    kw: dict[str, Any] = {
        "vendor": VENDOR,
        "status": status,
        "body": body_text(response),
        "codes": tuple(m.code for m in messages if m.code),
    }
    if status == 401:
        return CredentialsError(
            "Tessitura refused the credentials: check the user name, user group, location and "
            f"password in the configuration (and that the user belongs to the group).{said}",
            **kw,
        )
    if status == 403:
        # A user group without the right to this resource and verb, or (ErrorHandling page) a
        # header Tessitura would not accept: either way only an operator can fix it.
        return CredentialsError(
            f"Tessitura refused {what} to the configured user group: grant the group View rights "
            "(Add for POST calls) on the resource in Tessitura's Security application, or check "
            f"the credentials in the configuration.{said}",
            **kw,
        )
    if status == 404:
        return NotFoundError(f"Tessitura has no {what}: check the id.{said}", **kw)
    if status == 409:
        # On a write: a seat locked by another user's pending transaction, or the resource
        # changed since it was read. Never retried; re-read before trying again.
        return ConflictError(
            f"Tessitura refused the change to {what}: a seat is locked by another transaction or "
            f"it changed meanwhile; read it again.{said}",
            **kw,
        )
    if status == 429:
        return RateLimitedError(
            f"Tessitura is throttling requests for {what}.{said}",
            retry_after=retry_after(response, clock=clock),
            **kw,
        )
    if status >= 500:
        return RetryableError(f"Tessitura failed while serving {what}.{said}", **kw)
    return TerminalError(
        f"Tessitura refused the request for {what}: fix the request or the ids it names.{said}",
        **kw,
    )
