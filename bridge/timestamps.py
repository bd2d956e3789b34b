"""Vendor timestamps: ISO-8601 with ``Z`` or an offset, never a local time without one.

Both vendors' models read dates through :func:`aware`; a date without an offset is refused, since
reading it as UTC or as the machine's zone would be a guess (product.md, "Never guess").

.NET (TessituraService) writes up to seven fractional digits with trailing zeros trimmed, and none
at all on a whole second (Json.NET's default ``ss.FFFFFFFK``): ``05:25:27.4679001-07:00``,
``51.715629-07:00``, ``24.803-05:00``, ``19:30:00-04:00``. Java writes 0, 3, 6 or 9. Any number of
digits is read here, cut (never rounded) to Python's microseconds.
"""

from __future__ import annotations

import re
from datetime import datetime

#: ``YYYY-MM-DDTHH:MM:SS``, an optional fraction of one or more digits, then ``Z`` or an offset
#: (or nothing, refused below with its own message).
_STAMP = re.compile(
    r"(?P<base>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)"
    r"(?:\.(?P<fraction>\d+))?"
    r"(?P<zone>Z|z|[+-]\d\d:\d\d)?"
)


def aware(text: str) -> datetime:
    """``text`` (stripped) as an aware datetime; ValueError naming the value otherwise.

    Takes 0 to 7 fractional digits as .NET writes them (and more, cut to microseconds)."""
    text = text.strip()
    found = _STAMP.fullmatch(text)
    if found is None:
        raise ValueError(f"not an ISO-8601 date: {text[:40]!r}")
    if found["zone"] is None:
        raise ValueError(f"date without a UTC offset: {text[:40]!r}")
    fraction = (found["fraction"] or "")[:6].ljust(6, "0")
    zone = "+00:00" if found["zone"] in ("Z", "z") else found["zone"]
    try:
        return datetime.fromisoformat(f"{found['base']}.{fraction}{zone}")
    except ValueError:  # a month 13, a 25th hour, an offset of 24:00 or more
        raise ValueError(f"not an ISO-8601 date: {text[:40]!r}") from None
