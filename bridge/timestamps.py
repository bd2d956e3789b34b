"""Vendor timestamps: ISO-8601 with ``Z`` or an offset, never a local time without one.

Both vendors' models read dates through :func:`aware`; a date without an offset is refused, since
reading it as UTC or as the machine's zone would be a guess (product.md, "Never guess").
"""

from __future__ import annotations

from datetime import datetime


def aware(text: str) -> datetime:
    """``text`` (stripped) as an aware datetime; ValueError naming the value otherwise.
    Python's parser takes .NET's 7-digit fractions."""
    text = text.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise ValueError(f"not an ISO-8601 date: {text[:40]!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"date without a UTC offset: {text[:40]!r}")
    return moment
