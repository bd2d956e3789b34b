"""What the fake Tessitura accepts: query parameters and request bodies, in JSON or XML.

Anything it cannot read raises :class:`BadRequest` with Tessitura-style ``(Code, Description)``
problems, which the app answers with 400.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from lxml import etree

from bridge.sandbox.tessitura_world import HoldRequest, ReplaceMode
from bridge.sandbox.tessitura_xml import XmlBodyError, child, children, local_name, parse_body
from bridge.sandbox.tessitura_xml import text_of as xml_text
from bridge.sandbox.venue import Performance, Venue

UPDATE_ROOTS = ("UpdateHoldCodeRequest", "UpdateSeatHoldRequest")


class BadRequest(ValueError):
    def __init__(self, *problems: tuple[str, str]) -> None:
        super().__init__("; ".join(d for _, d in problems))
        self.problems = problems


# -- query parameters (names matched case-insensitively, as ASP.NET binds them) ----------------


def _query(q: Mapping[str, str], name: str) -> str | None:
    for key, value in q.items():
        if key.lower() == name.lower():
            return value
    return None


def query_int(q: Mapping[str, str], name: str) -> int | None:
    raw = _query(q, name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(("InvalidParameter", f"{name} must be an integer, not {raw!r}")) from None


def query_bool(q: Mapping[str, str], name: str) -> bool:
    raw = _query(q, name)
    if raw is None or raw == "":
        return False
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise BadRequest(("InvalidParameter", f"{name} must be true or false, not {raw!r}"))


def parse_id_list(q: Mapping[str, str], name: str) -> set[int] | None:
    """A comma-separated list of ids; None when the parameter is absent or empty (no filter)."""
    return _ids(_query(q, name), name)


def _ids(raw: str | None, name: str) -> set[int] | None:
    if raw is None or not raw.strip():
        return None
    try:
        return {int(part) for part in raw.split(",") if part.strip()}
    except ValueError:
        raise BadRequest(
            ("InvalidParameter", f"{name} must be comma-separated integers, not {raw!r}")
        ) from None


# -- bodies ------------------------------------------------------------------------------------


def _is_xml(content_type: str) -> bool:
    return "xml" in content_type.lower()


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(("InvalidRequest", "The request body is not valid JSON")) from None
    if not isinstance(data, dict):
        raise BadRequest(("InvalidRequest", "The request body must be a JSON object"))
    return data


def _xml_root(body: bytes, roots: Sequence[str]) -> etree._Element:
    try:
        root = parse_body(body)
    except XmlBodyError as exc:
        raise BadRequest(("InvalidRequest", str(exc))) from None
    if local_name(root) not in roots:
        raise BadRequest(("InvalidRequest", f"The XML root must be one of {', '.join(roots)}"))
    return root


#: A fraction of a second in a request date: .NET keeps seven digits (100-ns ticks).
_FRACTION = re.compile(r"(T\d\d:\d\d:\d\d)\.(\d+)")


def _date_time(raw: Any, name: str, venue: Venue) -> datetime | None:
    """A request date: date-only or naive values are the venue's local time."""
    return _net_date_time(raw, name, venue)[0]


def _net_date_time(raw: Any, name: str, venue: Venue) -> tuple[datetime | None, int]:
    """A request date and the 100-ns ticks past its microsecond (the seventh fractional digit,
    which .NET keeps and echoes); digits past the seventh are dropped, as .NET cannot hold them."""
    if raw is None or raw == "":
        return None, 0
    text = str(raw).strip()
    ticks = 0
    fraction = _FRACTION.search(text)
    if fraction is not None:
        digits = fraction[2][:7].ljust(7, "0")
        ticks = int(digits[6])
        text = f"{text[: fraction.start()]}{fraction[1]}.{digits[:6]}{text[fraction.end() :]}"
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(("InvalidParameter", f"{name} is not a date: {raw!r}")) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=venue.utc_offset)), ticks


def _bool(raw: Any, name: str, default: bool) -> bool:
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        return raw
    if str(raw).lower() in ("true", "false"):
        return str(raw).lower() == "true"
    raise BadRequest(("InvalidParameter", f"{name} must be true or false, not {raw!r}"))


def _int(raw: Any, name: str) -> int:
    try:
        if isinstance(raw, bool):
            raise ValueError
        return int(raw)
    except (TypeError, ValueError):
        raise BadRequest(("InvalidParameter", f"{name} must be an integer, not {raw!r}")) from None


@dataclass(frozen=True, slots=True)
class SeatHoldUpdate:
    """An UpdateSeatHoldRequest as read from either format."""

    lines: tuple[HoldRequest, ...]
    replace_mode: int
    hold_until: datetime | None
    only_affect_available: bool
    #: The 100-ns ticks of HoldUntilDate past its microsecond (0-9), echoed in the answer.
    hold_until_ticks: int = 0


def parse_update_request(body: bytes, content_type: str, venue: Venue) -> SeatHoldUpdate:
    """Defaults where a member is absent: ReplaceMode 1 (above existing, the sample's value) and
    OnlyAffectAvailable false (.NET's default for a bool: sold seats are held too). Both are the
    readings under which a write-back that forgets to send them does harm in a test."""
    if _is_xml(content_type):
        root = _xml_root(body, UPDATE_ROOTS)
        holds = child(root, "SeatHolds")
        raw_lines = [
            (xml_text(line, "SeatId"), xml_text(line, "HoldCodeId"))
            for line in (children(holds) if holds is not None else [])
        ]
        fields: dict[str, Any] = {
            name: xml_text(root, name)
            for name in ("HoldUntilDate", "OnlyAffectAvailable", "ReplaceMode")
        }
        present = holds is not None
    else:
        data = _json_object(body)
        fields = data
        seat_holds = data.get("SeatHolds")
        present = seat_holds is not None
        if present and not isinstance(seat_holds, list):
            raise BadRequest(("InvalidRequest", "SeatHolds must be a list"))
        raw_lines = [
            (line.get("SeatId"), line.get("HoldCodeId")) if isinstance(line, dict) else (None, None)
            for line in seat_holds or []
        ]
    if not present:
        raise BadRequest(("InvalidRequest", "SeatHolds is required"))
    mode_raw = fields.get("ReplaceMode")
    mode = (
        int(ReplaceMode.ABOVE_EXISTING) if mode_raw in (None, "") else _int(mode_raw, "ReplaceMode")
    )
    hold_until, ticks = _net_date_time(fields.get("HoldUntilDate"), "HoldUntilDate", venue)
    return SeatHoldUpdate(
        lines=tuple(
            HoldRequest(_int(seat, "SeatId"), _int(code, "HoldCodeId")) for seat, code in raw_lines
        ),
        replace_mode=mode,
        hold_until=hold_until,
        only_affect_available=_bool(
            fields.get("OnlyAffectAvailable"), "OnlyAffectAvailable", False
        ),
        hold_until_ticks=ticks,
    )


@dataclass(frozen=True, slots=True)
class PerformanceSearch:
    """PerformanceSearchRequest: both dates inclusive; empty id lists do not filter."""

    start: datetime | None
    end: datetime | None
    season_ids: set[int] | None
    production_season_ids: set[int] | None
    facility_ids: set[int] | None

    def matches(self, p: Performance, facility_id: int) -> bool:
        return (
            (self.start is None or p.start >= self.start)
            and (self.end is None or p.start <= self.end)
            and (self.season_ids is None or p.season_id in self.season_ids)
            and (
                self.production_season_ids is None
                or p.production_season_id in self.production_season_ids
            )
            and (self.facility_ids is None or facility_id in self.facility_ids)
        )


_SEARCH_FIELDS = (
    "PerformanceStartDate",
    "PerformanceEndDate",
    "SeasonIds",
    "ProductionSeasonIds",
    "FacilityIds",
    "ModeOfSaleId",
)


def parse_search_request(body: bytes, content_type: str, venue: Venue) -> PerformanceSearch:
    """Bounds as Tessitura reads them: one without an offset (or date-only) is the venue's local
    time, one with an offset is converted to it; an end at local midnight covers that whole
    local day ("on or before")."""
    if _is_xml(content_type):
        root = _xml_root(body, ("PerformanceSearchRequest",))
        fields: dict[str, Any] = {name: xml_text(root, name) for name in _SEARCH_FIELDS}
    else:
        fields = _json_object(body)

    def local(name: str) -> datetime | None:
        value = _date_time(fields.get(name), name, venue)
        return None if value is None else value.astimezone(venue.utc_offset)

    mode_of_sale = fields.get("ModeOfSaleId")
    if mode_of_sale not in (None, ""):
        _int(mode_of_sale, "ModeOfSaleId")  # checked; the sandbox has no modes of sale to filter by
    start = local("PerformanceStartDate")
    end = local("PerformanceEndDate")
    if end is not None and end.timetz().replace(tzinfo=None) == time.min:
        end = datetime.combine(end.date(), time.max, tzinfo=end.tzinfo)

    def ids(name: str) -> set[int] | None:
        raw = fields.get(name)
        if isinstance(raw, list):
            raw = ",".join(str(x) for x in raw)
        return _ids(None if raw is None else str(raw), name)

    return PerformanceSearch(
        start=start,
        end=end,
        season_ids=ids("SeasonIds"),
        production_season_ids=ids("ProductionSeasonIds"),
        facility_ids=ids("FacilityIds"),
    )
