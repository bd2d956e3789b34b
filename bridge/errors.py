"""One exception tree for the whole bridge; vendor failures are translated at the client boundary.

Nothing above the clients knows about HTTP. Callers decide what to do from the class alone::

    BridgeError
    ├── ConfigError                 the operator must fix a file or a setting; never retried
    │   └── CredentialsError        401/403: wrong user, user group, location, password or key
    ├── RetryableError              try again later (timeouts, connection errors, 5xx, 429)
    │   └── RateLimitedError        429; ``retry_after`` seconds when the server said so
    ├── TerminalError               the request is wrong and repeating it will not help (400, 404)
    │   └── NotFoundError           the performance, event or season does not exist
    ├── ConflictError               the world changed under us (409, ILLEGAL_STATUS_CHANGE)
    ├── OutcomeUnknownError         a write may or may not have happened: re-read state, never guess
    └── MalformedResponseError      the vendor answered something we cannot parse

Every error keeps the vendor's raw body (``body``) for logs, and never carries a credential.
"""

from __future__ import annotations


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


class CredentialsError(ConfigError):
    """The vendor refused our credentials (401/403)."""


class RetryableError(BridgeError):
    """A passing fault: the same request may succeed later."""


class RateLimitedError(RetryableError):
    """HTTP 429; ``retry_after`` is the server's Retry-After in seconds, if it sent one."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


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
