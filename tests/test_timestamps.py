"""`aware`: vendor dates with 0 to 7 fractional digits (as .NET trims them), `Z` or an offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bridge.timestamps import aware

PACIFIC = timezone(timedelta(hours=-7))
INDIA = timezone(timedelta(hours=5, minutes=30))


@pytest.mark.parametrize(
    ("fraction", "microsecond"),
    [
        ("", 0),
        (".7", 700000),
        (".71", 710000),
        (".715", 715000),
        (".7156", 715600),
        (".71562", 715620),
        (".715629", 715629),
        (".7156291", 715629),
    ],
    ids=lambda v: f"{v!r}",
)
@pytest.mark.parametrize(
    ("zone", "tz"), [("-07:00", PACIFIC), ("+05:30", INDIA), ("Z", UTC), ("+00:00", UTC)]
)
def test_zero_to_seven_fractional_digits_with_any_offset(
    fraction: str, microsecond: int, zone: str, tz: timezone
) -> None:
    moment = aware(f"2025-04-24T05:25:51{fraction}{zone}")
    assert moment == datetime(2025, 4, 24, 5, 25, 51, microsecond, tzinfo=tz)
    assert moment.utcoffset() == tz.utcoffset(None)


def test_the_seventh_digit_is_cut_never_rounded_up() -> None:
    assert aware("2025-04-24T05:25:59.9999999Z").second == 59
    assert aware("2025-04-24T05:25:27.4679009-07:00").microsecond == 467900


def test_more_than_seven_digits_are_cut_to_microseconds() -> None:
    assert aware("2025-04-24T05:25:51.123456789Z").microsecond == 123456


def test_surrounding_whitespace_is_ignored() -> None:
    assert aware("  2025-04-24T05:00:00-07:00\n") == datetime(2025, 4, 24, 5, tzinfo=PACIFIC)


@pytest.mark.parametrize(
    "text",
    ["2025-04-24T05:25:51", "2025-04-24T05:25:51.4679001", "2025-04-24T05:25:51.7"],
)
def test_a_date_without_an_offset_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="without a UTC offset"):
        aware(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2025-04-24",  # a day, no time
        "2025-04-24T05:25:51.-07:00",  # a point without digits
        "2025-04-24T05:25:51,7-07:00",  # a comma: not what either vendor writes
        "2025-04-24 05:25:51-07:00",  # no T
        "2025-04-24T05:25-07:00",  # no seconds
        "2025-13-24T05:25:51-07:00",  # month 13
        "2025-04-24T25:25:51-07:00",  # hour 25
        "2025-04-24T05:25:51-0700",  # offset without its colon
        "2025-04-24T05:25:51+24:00",  # offset out of range
    ],
)
def test_anything_else_is_not_a_date(text: str) -> None:
    with pytest.raises(ValueError, match="not an ISO-8601 date"):
        aware(text)
