"""structlog set-up: JSON lines for daemons, readable lines for people, secrets never printed."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from bridge.redact import printable

#: Keys whose values are replaced before a log line is written, whatever the caller passed.
SECRET_KEYS = frozenset({"password", "secret_key", "secret", "authorization", "token"})


def redact_secrets(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A processor that masks values logged under secret-looking keys."""
    for key in list(event):
        if key.lower() in SECRET_KEYS:
            event[key] = "***"
    return event


def printable_values(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A processor for lines meant for a terminal: every text value :func:`printable` (a vendor
    body quoted in an error may carry escape sequences). JSON lines need none: the JSON
    renderer escapes control characters itself."""
    for key, value in event.items():
        if isinstance(value, str):
            event[key] = printable(value)
    return event


#: Set by the top-level ``--log-level`` / ``--log-format`` options; win over the config's ``[log]``.
_overrides: dict[str, str | None] = {"level": None, "fmt": None}


def override(level: str | None = None, fmt: str | None = None) -> None:
    """Make every later :func:`configure` use ``level`` / ``fmt`` (None: what the caller says)."""
    _overrides["level"] = level.lower() if level else None
    _overrides["fmt"] = fmt


def resolve_format(fmt: str, on_terminal: bool) -> str:
    """``auto`` is console for a person at a terminal and JSON for everything else."""
    if fmt == "auto":
        return "console" if on_terminal else "json"
    return fmt


def overrides() -> dict[str, str | None]:
    """The global options' level and format in force (None: the config's), a copy."""
    return dict(_overrides)


def configure(level: str = "info", fmt: str = "console") -> None:
    """Configure structlog once per process; ``fmt`` is "json", "console" or "auto".

    The command line's ``--log-level`` / ``--log-format`` (see :func:`override`) win over both."""
    level = _overrides["level"] or level
    fmt = resolve_format(_overrides["fmt"] or fmt, sys.stderr.isatty())
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_secrets,
            structlog.processors.format_exc_info,
            *([] if fmt == "json" else [printable_values]),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelName(level.upper()) if isinstance(level, str) else level
        ),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
