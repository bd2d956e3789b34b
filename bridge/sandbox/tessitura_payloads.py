"""The fake Tessitura's resources as JSON-shaped dicts, with the field names the API uses.

Pure functions of the world: the app turns them into JSON or XML. Dates carry the venue's offset
and are written as .NET writes them (up to seven fractional digits, trailing zeros trimmed, none on
a whole second); CHAR columns are padded.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from typing import Any

from bridge.sandbox.tessitura_world import (
    AppliedHold,
    HoldLayer,
    SeatStatus,
    TessituraWorld,
)
from bridge.sandbox.venue import HoldCode, Performance, Venue

Json = dict[str, Any]

#: When the sandbox's reference data was "created": fixed, so answers are reproducible.
_AUDIT_TIME = datetime(2025, 6, 2, 9, 12, 44, 123456)
_AUDIT_USER = "seatbrdg"


def datacontract_time(dt: datetime, offset: timezone, ticks: int = 0) -> str:
    """A date as .NET writes it (Json.NET's default ``yyyy-MM-ddTHH:mm:ss.FFFFFFFK``, and the
    DataContract XML writer alike), in the venue's offset: up to seven fractional digits with
    trailing zeros trimmed, and no fraction at all on a whole second.

    ``2025-04-24T05:25:27.4679001-07:00``, ``...51.715629-07:00``, ``2024-10-19T19:30:00-04:00``.
    ``ticks`` is the seventh digit Python cannot hold: 100-ns ticks past ``dt``'s microsecond.
    """
    if not 0 <= ticks <= 9:
        raise ValueError(f"ticks past the microsecond must be 0-9, not {ticks}")
    local = dt.astimezone(offset) if dt.tzinfo else dt.replace(tzinfo=offset)
    stamp = local.strftime("%Y-%m-%dT%H:%M:%S")
    digits = f"{local.microsecond * 10 + ticks:07d}".rstrip("0")
    return f"{stamp}{'.' + digits if digits else ''}{_offset(local)}"


def plain_time(dt: datetime, offset: timezone) -> str:
    """``2024-10-19T19:30:00-04:00``: a performance's dates (whole minutes, so no fraction)."""
    return datacontract_time(dt, offset)


def _offset(dt: datetime) -> str:
    delta = dt.utcoffset() or timedelta(0)
    minutes = int(delta.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hh, mm = divmod(abs(minutes), 60)
    return f"{sign}{hh:02d}:{mm:02d}"


def char(value: str, width: int) -> str:
    """A fixed-width CHAR column as SQL Server returns it: right-padded with spaces."""
    return value.ljust(width)


def _audit(venue: Venue) -> Json:
    stamp = datacontract_time(_AUDIT_TIME.replace(tzinfo=venue.utc_offset), venue.utc_offset)
    return {
        "CreatedBy": char(_AUDIT_USER, 10),
        "CreatedDateTime": stamp,
        "CreateLocation": "sandbox",
        "UpdatedBy": char(_AUDIT_USER, 10),
        "UpdatedDateTime": stamp,
    }


# -- holds -------------------------------------------------------------------------------------


def hold_code_detail(code: HoldCode | None, hold_code_id: int) -> Json:
    if code is None:  # a code removed from the venue after it was placed: still reported
        return {"Id": hold_code_id, "Description": None, "Legend": None, "IsBlackout": False}
    return {
        "Id": code.id,
        "Description": code.description,
        "Legend": code.legend,
        "IsBlackout": code.blackout,
    }


def seat_hold_details(
    world: TessituraWorld,
    performance_id: int,
    *,
    seat_ids: set[int] | None,
    hold_code_ids: set[int] | None,
    include_all: bool,
) -> list[Json]:
    """SeatHoldDetail per layer: priority 1 only unless ``include_all`` (a seat whose top layer
    lapsed has none until a new one goes on top); filters applied after."""
    out: list[Json] = []
    offset = world.venue.utc_offset
    for seat_id, layers in sorted(world.held_seats(performance_id).items()):
        if seat_ids is not None and seat_id not in seat_ids:
            continue
        for layer in layers:
            priority = layer.priority
            if priority > 1 and not include_all:
                break
            if hold_code_ids is not None and layer.hold_code_id not in hold_code_ids:
                continue
            out.append(
                {
                    "SeatId": seat_id,
                    "EndDate": _end(layer, offset),
                    "Priority": priority,
                    "HoldCodeDetail": hold_code_detail(
                        world.hold_code(layer.hold_code_id), layer.hold_code_id
                    ),
                }
            )
    return out


def _end(layer: HoldLayer, offset: timezone) -> str | None:
    return datacontract_time(layer.end, offset, layer.end_ticks) if layer.end else None


def seat_holds(applied: list[AppliedHold], offset: timezone) -> list[Json]:
    """The answer to POST Seats/Holds: each end date echoed to the tick it was sent with."""
    return [
        {
            "SeatId": a.seat_id,
            "HoldCodeId": a.hold_code_id,
            "EndDate": datacontract_time(a.end, offset, a.end_ticks) if a.end else None,
        }
        for a in applied
    ]


def hold_code(world: TessituraWorld, code: HoldCode) -> Json:
    categories = sorted({c.category for c in world.venue.hold_codes})
    return {
        "BlackoutIndicator": code.blackout,
        **_audit(world.venue),
        "Description": code.description,
        "EditIndicator": True,
        "Id": code.id,
        "Legend": char(code.legend, 3),
        "Type": {"Id": categories.index(code.category) + 1, "Description": code.category},
    }


# -- seats -------------------------------------------------------------------------------------


def seats(world: TessituraWorld, performance_id: int, section_ids: set[int] | None) -> list[Json]:
    """Every cell of the seat map for one performance, seats and non-seats, by id."""
    venue = world.venue
    widths: dict[int, int] = {}
    for s in venue.seats:
        widths[s.section_id] = max(widths.get(s.section_id, 0), s.x)
    out: list[Json] = []
    for s in venue.seats:
        if section_ids is not None and s.section_id not in section_ids:
            continue
        layers = world.layers(performance_id, s.id)
        aisle = "L" if s.x == 1 else "R" if s.x == widths[s.section_id] else " "
        out.append(
            _seat(
                id=s.id,
                section_id=s.section_id,
                row=s.row,
                number=s.number,
                zone_id=s.zone_id,
                seat_type_id=2 if s.wheelchair else 1,
                logical_row=s.logical_row,
                logical_number=s.logical_number,
                x=s.x,
                y=s.y,
                is_seat=True,
                status=world.status(performance_id, s.id),
                aisle=aisle,
                hold_code_id=layers[0].hold_code_id if layers else 0,
            )
        )
    for cell in world.non_seats:
        if section_ids is not None and cell.section_id not in section_ids:
            continue
        out.append(
            _seat(
                id=cell.id,
                section_id=cell.section_id,
                row=cell.row,
                number=" ",
                zone_id=0,
                seat_type_id=0,
                logical_row=0,
                logical_number=0,
                x=cell.x,
                y=cell.y,
                is_seat=False,
                status=SeatStatus.AVAILABLE,
                aisle=" ",
                hold_code_id=0,
            )
        )
    return sorted(out, key=lambda seat: int(seat["Id"]))


def _seat(
    *,
    id: int,
    section_id: int,
    row: str,
    number: str,
    zone_id: int,
    seat_type_id: int,
    logical_row: int,
    logical_number: int,
    x: int,
    y: int,
    is_seat: bool,
    status: SeatStatus,
    aisle: str,
    hold_code_id: int,
) -> Json:
    return {
        "Id": id,
        "SectionId": section_id,
        "SeatRow": row,
        "SeatNumber": number,
        "ZoneId": zone_id,
        "AllocationId": 0,
        "SeatTypeId": seat_type_id,
        "LogicalSeatRow": logical_row,
        "LogicalSeatNumber": logical_number,
        "XPosition": x,
        "YPosition": y,
        "IsSeat": is_seat,
        "SeatStatusId": int(status),
        "AisleIndicator": aisle,
        "HasStairs": False,
        "ScreenId": section_id,
        "DisplayLetter": " ",
        "HoldCodeId": hold_code_id,
    }


# -- performances ------------------------------------------------------------------------------


def _season(world: TessituraWorld, p: Performance) -> Json:
    """FYear: the calendar year of the season's last performance (the venue file has no FYear)."""
    same = [q.start.year for q in world.venue.performances if q.season_id == p.season_id]
    return {
        "Id": p.season_id,
        "Description": p.season_description,
        "FYear": max(same),
        "Inactive": False,
    }


def _time_slot(p: Performance) -> Json:
    return (
        {"Id": 2, "Description": "Matinee"}
        if p.start.hour < 17
        else {"Id": 1, "Description": "Evening"}
    )


def _zone_map(venue: Venue) -> Json:
    return {"Id": venue.seat_map_id + 100, "Description": f"{venue.name} zones"}


#: TR_RANK_TYPE and TR_PERF_TYPE rows every performance of the sandbox uses (a new database's
#: defaults carry these descriptions, as in the public fixture of POST TXN/Performances/Search).
_RANK_TYPE = {"Id": 1, "Description": "Default TR_RANK_TYPE"}
_PERFORMANCE_TYPE = {"Id": 1, "Description": "Default TR_PERF_TYPE", "Inactive": False}


def _publish_client(world: TessituraWorld, p: Performance) -> tuple[str, str]:
    """When the performance shows in the client: from local midnight 90 days before its season's
    first performance until 90 minutes after its own start (the fixture's pattern)."""
    offset = world.venue.utc_offset
    first = min(q.start for q in world.venue.performances if q.season_id == p.season_id)
    opens = datetime.combine((first - timedelta(days=90)).astimezone(offset).date(), time.min)
    return plain_time(opens.replace(tzinfo=offset), offset), plain_time(
        p.start + timedelta(minutes=90), offset
    )


def performance(world: TessituraWorld, p: Performance) -> Json:
    """The Performance model of GET TXN/Performances/{id}."""
    venue = world.venue
    offset = venue.utc_offset
    season = _season(world, p)
    publish_start, publish_end = _publish_client(world, p)
    facility_id, seat_map_id = world.facility(p.id)
    return {
        "Id": p.id,
        "Code": p.code,
        "Description": p.description,
        "Date": plain_time(p.start, offset),
        "ShortName": p.description[:20],
        "AvailSaleIndicator": True,
        "BestSeatMap": {"Id": venue.seat_map_id, "Description": f"{venue.name} best seats"},
        "BudgetAmount": 0.0,
        "Campaign": None,
        "DefaultStartSaleDateTime": None,
        "DefaultEndSaleDateTime": None,
        "DoorsOpen": plain_time(p.start - timedelta(minutes=45), offset),
        "DoorsClose": None,
        "Duration": 120,
        "EditIndicator": True,
        "Facility": {
            "Id": facility_id,
            "Description": venue.name,
            "SeatMap": {"Id": seat_map_id, "Description": f"{venue.name} seat map"},
        },
        "ProductionSeason": {
            "Id": p.production_season_id,
            "Description": p.description,
            "Season": season,
        },
        "PublishClientStartDate": publish_start,
        "PublishClientEndDate": publish_end,
        "PublishWebApiStartDate": None,
        "PublishWebApiEndDate": None,
        "RankType": {**_RANK_TYPE, "Inactive": False},
        "SalesNotes": None,
        "SalesNotesRequired": False,
        "Season": season,
        "Status": {"Id": 1, "Description": "On Sale"},
        "Text1": None,
        "Text2": None,
        "Text3": None,
        "Text4": None,
        "TimeSlot": _time_slot(p),
        "TvIndicator": False,
        "Type": _PERFORMANCE_TYPE,
        "ZoneMap": _zone_map(venue),
        **_audit(venue),
    }


def search_result(world: TessituraWorld, p: Performance) -> Json:
    """One item of POST TXN/Performances/Search: its own field names, unlike Performance, and every
    member a live server sends (the public fixture's keys, in its order), most of them unused.

    The mode-of-sale members stay null: the sandbox has no modes of sale, so a ModeOfSaleId in the
    request filters nothing and dates nothing. ConstituentInterestWeight is null (it is computed
    only for a ConstituentId, which the bridge never sends)."""
    venue = world.venue
    offset = venue.utc_offset
    zone_map = _zone_map(venue)
    time_slot = _time_slot(p)
    publish_start, publish_end = _publish_client(world, p)
    return {
        "PerformanceId": p.id,
        "PerformanceCode": p.code,
        "PerformanceDate": plain_time(p.start, offset),
        "Facility": {"Id": world.facility(p.id)[0], "Description": venue.name},
        "FacilityDescription": venue.name,
        "PerformanceDescription": p.description,
        "PerformanceShortName": p.description[:20],
        "ProductionSeason": {"Id": p.production_season_id, "Description": p.description},
        "BusinessUnitId": 1,
        "ZoneMap": zone_map,
        "ZoneMapDescription": zone_map["Description"],
        "AvailSaleIndicator": "Y",
        "ConstituentInterestWeight": None,
        "Season": _season(world, p),
        "PublishClientStartDate": publish_start,
        "PublishClientEndDate": publish_end,
        "PublishWebApiStartDate": None,
        "PublishWebApiEndDate": None,
        "DoorsOpen": plain_time(p.start - timedelta(minutes=45), offset),
        "DoorsClose": None,
        "Duration": 120,
        "SalesNotes": None,
        "SalesNotesRequired": False,
        "Text1": None,
        "Text2": None,
        "Text3": None,
        "Text4": None,
        "RankType": _RANK_TYPE,
        "RankTypeDescription": _RANK_TYPE["Description"],
        "PerformanceType": _PERFORMANCE_TYPE,
        "PerformanceStatus": {"Id": 1, "Description": "On Sale"},
        "PerformanceStatusDescription": "On Sale",
        "TimeSlot": time_slot,
        "TimeSlotDescription": time_slot["Description"],
        "ModeOfSale": None,
        "ModeOfSaleDescription": None,
        "ModeOfSaleStartDate": None,
        "ModeOfSaleEndDate": None,
        "IsRestricted": False,
        "ValidCountries": None,
    }


# -- reference data ----------------------------------------------------------------------------


def sections(venue: Venue) -> list[Json]:
    return [
        {
            "AdditionalText": None,
            "AdditionalText2": None,
            **_audit(venue),
            "Description": s.description,
            "Id": s.id,
            "PrintDesc": char(s.print_desc, 30),
            "PrintSequence": i,
            "SectionLegend": char(s.legend, 3),
            "ShortDesc": char(s.short, 10),
        }
        for i, s in enumerate(venue.sections, start=1)
    ]


#: id, code, description, legend, priority, back colour, fore colour (as a live server lists them).
_STATUSES: tuple[tuple[int, str, str, str, int, int, int], ...] = (
    (0, "AVL", "Available", "A", 1, 16777215, 0),
    (4, "HLD", "Held", "H", 5, 65535, 0),
    (5, "NIA", "Not In Allocation", "N", 6, 12632256, 0),
    (6, "BLK", "Blacked Out", "X", 9, 0, 16777215),
    (7, "RUP", "Reserved, Unpaid", "R", 7, 16744576, 0),
    (8, "RPD", "Reserved, Paid", "P", 8, 8421631, 0),
    (13, "TKD", "Ticketed", "T", 10, 255, 16777215),
)


def seat_statuses(venue: Venue) -> list[Json]:
    return [
        {
            "BackColor": back,
            **_audit(venue),
            "Description": description,
            "ForeColor": fore,
            "Id": sid,
            "Inactive": False,
            "StatusCode": char(code, 3),
            "StatusLegend": legend,
            "StatusPriority": priority,
            "Tck": None,
        }
        for sid, code, description, legend, priority, back, fore in _STATUSES
    ]
