"""One exception tree for the whole bridge; vendor failures are translated at the client boundary.

Nothing above the clients knows about HTTP. Callers decide what to do from the class alone::

    BridgeError
    ├── ConfigError                 the operator must fix a file or a setting; never retried
    │   ├── InvalidConfigError      the config or a mapping table has problems: ``problems`` lists
    │   │                           every one (a :class:`Problem`: file, line, column, what)
    │   └── CredentialsError        401/403: wrong user, user group, location, password or key
    ├── RetryableError              try again later (timeouts, connection errors, 5xx, 429)
    │   └── RateLimitedError        429 of any kind; ``retry_after`` seconds when the server said so
    │       └── ForSaleLimitError   seats.io's daily budget of restricting for-sale edits on an
    │                               event is spent; raised only when positively identified
    ├── TerminalError               the request is wrong and repeating it will not help (400, 404)
    │   └── NotFoundError           the performance, event or season does not exist
    ├── ConflictError               the world changed under us (409, ILLEGAL_STATUS_CHANGE)
    ├── OutcomeUnknownError         a write may or may not have happened: re-read state, never guess
    └── MalformedResponseError      the vendor answered something we cannot parse

Every error keeps the vendor's raw body (``body``) for logs, and never carries a credential.
Vendor errors name the concrete request (``GET /events/perf-101``, query secrets redacted), never
the URL template: transport failures get it in :func:`bridge.http.map_transport_error`, HTTP error
answers in each vendor's translation (:func:`bridge.seatsio.translate.error_from_response`,
:func:`bridge.tessitura.errors.error_for`) from :func:`bridge.http.request_line`.

A 429 is a :class:`ForSaleLimitError` only when the seats.io client has positively identified the
daily for-sale limit (see :mod:`bridge.seatsio.translate`); any other 429, a concurrency refusal
included, is a plain :class:`RateLimitedError` and says nothing about that budget.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import ValidationError


class BridgeError(Exception):
    """Base of every error the bridge raises on purpose."""

    def __init__(
        self,
        message: str,
        *,
        vendor: str | None = None,
        status: int | None = None,
        body: str | None = None,
        codes: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.vendor = vendor
        self.status = status
        self.body = body
        self.codes = codes

    def __str__(self) -> str:
        where = f"{self.vendor} " if self.vendor else ""
        status = f"HTTP {self.status}: " if self.status is not None else ""
        return f"{where}{status}{self.message}"


class ConfigError(BridgeError):
    """The configuration, a mapping table or a credential is wrong; an operator must act."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a config file or mapping table.

    ``source`` is the file as the operator should see it (relative to the working directory when
    it is below it); ``line`` and ``column`` are 1-based (the column of a CSV cell is its field
    number). ``value`` is what was found (never a secret); ``hint`` says what was expected or
    where the first occurrence was.
    """

    source: str
    line: int | None
    column: int | None
    message: str
    value: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {self.message}"
        if self.value is not None:
            text += f" {self.value!r}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class InvalidConfigError(ConfigError):
    """The config or a mapping table has problems; ``problems`` lists every one, in file order."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the configuration"
        super().__init__("\n".join([head + ":", *(f"  {p}" for p in self.problems)]))


class CredentialsError(ConfigError):
    """The vendor refused our credentials (401/403)."""


class RetryableError(BridgeError):
    """A passing fault: the same request may succeed later."""


class RateLimitedError(RetryableError):
    """HTTP 429; ``retry_after`` is the server's Retry-After in seconds, if it sent one."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ForSaleLimitError(RateLimitedError):
    """seats.io's daily limit of restricting for-sale edits on an event is reached (429).

    ``retry_after`` is always set: it is part of what identifies this refusal. Only this error may
    be recorded as "no restricting edits left today"; any other 429 may not.
    """


class TerminalError(BridgeError):
    """The request itself is wrong; repeating it will not help."""


class NotFoundError(TerminalError):
    """The named resource does not exist at the vendor."""


class ConflictError(BridgeError):
    """The world changed under us: a guarded write was refused. Re-observe and re-plan."""


class OutcomeUnknownError(BridgeError):
    """A non-idempotent write timed out or broke mid-way: it may have been applied. Re-read state."""


class MalformedResponseError(BridgeError):
    """The vendor answered with a body we cannot parse (or refuse to parse, like hostile XML)."""


def validation_summary(exc: ValidationError, root: str) -> str:
    """A vendor payload's first validation problem as one line naming the field and what was found
    there, e.g. ``SeatHoldDetail[0].SeatId: Input should be a valid integer (got a boolean)``.

    Never the pydantic dump, which repeats the input and can run to pages.
    """
    errors = exc.errors(include_url=False)
    if not errors:
        return f"{root}: invalid"
    first = errors[0]
    where = root + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"])
    line = f"{where}: {' '.join(str(first['msg']).split())[:160]}"
    if first["type"] not in ("missing", "value_error"):
        line += f" (got {_found(first.get('input'))})"
    more = len(errors) - 1
    return line + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")


def _found(value: Any) -> str:
    """What a payload held instead, named as a reader of the body would (short text quoted)."""
    if isinstance(value, str):
        return f"the string {value!r}" if len(value) <= 24 else "a string"
    kind = type(value).__name__
    return {
        "bool": "a boolean",
        "int": "an integer",
        "float": "a number with a fraction",
        "list": "a list",
        "dict": "an object",
        "NoneType": "null",
    }.get(kind, kind)
