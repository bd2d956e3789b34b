"""A venue description (TOML) expanded into the plain values both emulators are seeded from.

One file describes the hall, the hold codes, the performances (dates relative to the day the sandbox
starts), the holds placed in Tessitura, the seats sold online and any channels seats.io already has.
Expansion is deterministic: the same file and the same day give the same venue. Format:
``docs/venue-format.md``.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Any

from bridge.errors import ConfigError

SAMPLE_VENUE = "grand-hall.toml"


@dataclass(frozen=True, slots=True)
class Section:
    id: int
    description: str
    short: str
    legend: str
    print_desc: str
    zone_id: int


@dataclass(frozen=True, slots=True)
class Seat:
    """One place in the hall; ``label`` is its seats.io object label on the venue's chart."""

    id: int
    section_id: int
    row: str
    number: str
    label: str
    zone_id: int
    logical_row: int
    logical_number: int
    x: int
    y: int
    wheelchair: bool = False


@dataclass(frozen=True, slots=True)
class HoldCode:
    id: int
    description: str
    legend: str
    category: str
    blackout: bool = False


@dataclass(frozen=True, slots=True)
class Performance:
    id: int
    code: str
    description: str
    start: datetime
    season_id: int
    season_description: str
    production_season_id: int
    event_key: str
    seatsio_season_key: str | None


@dataclass(frozen=True, slots=True)
class Hold:
    """A hold placed in Tessitura on one seat of one performance (priority 1 is the top layer)."""

    performance_id: int
    seat_id: int
    hold_code_id: int
    priority: int = 1


@dataclass(frozen=True, slots=True)
class Sale:
    """A seat sold online: booked in seats.io, ticketed in Tessitura."""

    performance_id: int
    seat_id: int


@dataclass(frozen=True, slots=True)
class ForeignChannel:
    """A seats.io channel the bridge does not own."""

    performance_id: int
    key: str
    name: str
    color: str
    seat_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Venue:
    name: str
    facility_id: int
    seat_map_id: int
    chart_key: str
    utc_offset: timezone
    sections: tuple[Section, ...]
    seats: tuple[Seat, ...]
    hold_codes: tuple[HoldCode, ...]
    performances: tuple[Performance, ...]
    holds: tuple[Hold, ...]
    sales: tuple[Sale, ...]
    foreign_channels: tuple[ForeignChannel, ...]
    _by_label: Mapping[str, Seat] = field(default_factory=dict, repr=False, compare=False)

    def seat(self, seat_id: int) -> Seat:
        for s in self.seats:
            if s.id == seat_id:
                return s
        raise KeyError(seat_id)

    def seat_by_label(self, label: str) -> Seat:
        return self._by_label[label]

    def section(self, section_id: int) -> Section:
        return next(s for s in self.sections if s.id == section_id)

    def performance(self, performance_id: int) -> Performance:
        return next(p for p in self.performances if p.id == performance_id)

    def seasons(self) -> dict[str, tuple[Performance, ...]]:
        """seats.io season key -> its performances, in date order."""
        out: dict[str, list[Performance]] = {}
        for p in self.performances:
            if p.seatsio_season_key:
                out.setdefault(p.seatsio_season_key, []).append(p)
        return {k: tuple(sorted(v, key=lambda p: p.start)) for k, v in out.items()}


def sample_venue_path() -> Path:
    return Path(str(resources.files("bridge.sandbox") / "venues" / SAMPLE_VENUE))


def load_venue(path: Path | str | None = None, *, today: date | None = None) -> Venue:
    """Read and expand a venue file (the sample when ``path`` is None)."""
    p = Path(path) if path is not None else sample_venue_path()
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read venue file {p}: {exc}") from exc
    try:
        return expand_venue(raw, today=today or date.today())
    except KeyError as exc:
        raise ConfigError(f"venue file {p}: missing key {exc} (see docs/venue-format.md)") from exc
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"venue file {p}: {exc}") from exc


def expand_venue(raw: Mapping[str, Any], *, today: date) -> Venue:
    offset = _parse_offset(str(raw.get("utc_offset", "+00:00")))
    sections: list[Section] = []
    seats: list[Seat] = []
    next_id = int(raw.get("first_seat_id", 1))
    logical_row = 0
    for s in raw["sections"]:
        section = Section(
            id=int(s["id"]),
            description=str(s["description"]),
            short=str(s.get("short", s["description"][:10])),
            legend=str(s.get("legend", s["description"][:1])),
            print_desc=str(s.get("print", s["description"])),
            zone_id=int(s.get("zone_id", 0)),
        )
        sections.append(section)
        for block in s["rows"]:
            for row in _expand_rows(block["rows"]):
                logical_row += 1
                for n in range(1, int(block["seats"]) + 1):
                    seats.append(
                        Seat(
                            id=next_id,
                            section_id=section.id,
                            row=row,
                            number=str(n),
                            label=f"{section.description}-{row}-{n}",
                            zone_id=section.zone_id,
                            logical_row=logical_row * 10,
                            logical_number=n,
                            x=n,
                            y=logical_row,
                            wheelchair=bool(block.get("wheelchair", False)),
                        )
                    )
                    next_id += 1
    by_label = {s.label: s for s in seats}
    if len(by_label) != len(seats):
        raise ValueError("two seats share a label")

    hold_codes = tuple(
        HoldCode(
            id=int(h["id"]),
            description=str(h["description"]),
            legend=str(h["legend"]),
            category=str(h.get("category", "")),
            blackout=bool(h.get("blackout", False)),
        )
        for h in raw.get("hold_codes", ())
    )

    performances: list[Performance] = []
    season_ids: list[int] = []  # performances in any seats.io season ("season" in a spec)
    for season in raw.get("seasons", ()):
        key = season.get("seatsio_season_key")
        for p in season["performances"]:
            performances.append(
                _performance(
                    p,
                    today,
                    offset,
                    season_id=int(season["id"]),
                    season_description=str(season["description"]),
                    production_season_id=int(season["production_season_id"]),
                    description=str(p.get("description", season["description"])),
                    seatsio_season_key=key,
                )
            )
            if key:
                season_ids.append(int(p["id"]))
    for p in raw.get("standalone", ()):
        performances.append(
            _performance(
                p,
                today,
                offset,
                season_id=int(p["season_id"]),
                season_description=str(p.get("season_description", "Specials")),
                production_season_id=int(p["production_season_id"]),
                description=str(p["description"]),
                seatsio_season_key=None,
            )
        )
    perf_ids = [p.id for p in performances]

    def perf_set(spec: Any) -> list[int]:
        if spec == "all":
            return perf_ids
        if spec == "season":
            return season_ids
        ids = [int(x) for x in spec]
        unknown = set(ids) - set(perf_ids)
        if unknown:
            raise ValueError(f"unknown performances {sorted(unknown)}")
        return ids

    def seat_set(specs: Iterable[str]) -> list[int]:
        return [by_label[label].id for spec in specs for label in _expand_seat_spec(spec, by_label)]

    holds = tuple(
        Hold(
            performance_id=pid,
            seat_id=sid,
            hold_code_id=int(h["hold_code"]),
            priority=int(h.get("priority", 1)),
        )
        for h in raw.get("holds", ())
        for pid in perf_set(h["performances"])
        for sid in seat_set(h["seats"])
    )
    sales = tuple(
        Sale(performance_id=pid, seat_id=sid)
        for s in raw.get("sales", ())
        for pid in perf_set(s["performances"])
        for sid in seat_set(s["seats"])
    )
    channels = tuple(
        ForeignChannel(
            performance_id=pid,
            key=str(c["key"]),
            name=str(c["name"]),
            color=str(c.get("color", "#888888")),
            seat_ids=tuple(seat_set(c["seats"])),
        )
        for c in raw.get("foreign_channels", ())
        for pid in perf_set(c["performances"])
    )
    return Venue(
        name=str(raw["name"]),
        facility_id=int(raw["facility_id"]),
        seat_map_id=int(raw["seat_map_id"]),
        chart_key=str(raw["chart_key"]),
        utc_offset=offset,
        sections=tuple(sections),
        seats=tuple(seats),
        hold_codes=hold_codes,
        performances=tuple(sorted(performances, key=lambda p: (p.start, p.id))),
        holds=holds,
        sales=sales,
        foreign_channels=channels,
        _by_label=by_label,
    )


def _performance(
    p: Mapping[str, Any],
    today: date,
    offset: timezone,
    *,
    season_id: int,
    season_description: str,
    production_season_id: int,
    description: str,
    seatsio_season_key: str | None,
) -> Performance:
    hh, mm = (int(x) for x in str(p.get("time", "19:30")).split(":"))
    day = today + timedelta(days=int(p["day"]))
    pid = int(p["id"])
    return Performance(
        id=pid,
        code=str(p.get("code", f"GH{pid}")),
        description=description,
        start=datetime.combine(day, time(hh, mm), tzinfo=offset),
        season_id=season_id,
        season_description=season_description,
        production_season_id=production_season_id,
        event_key=str(p.get("event_key", f"perf-{pid}")),
        seatsio_season_key=seatsio_season_key,
    )


def _parse_offset(text: str) -> timezone:
    m = re.fullmatch(r"([+-])(\d\d):(\d\d)", text)
    if not m:
        raise ValueError(f"utc_offset must look like -05:00, not {text!r}")
    delta = timedelta(hours=int(m[2]), minutes=int(m[3]))
    return timezone(-delta if m[1] == "-" else delta)


def _expand_rows(spec: str | Sequence[str]) -> Iterator[str]:
    """ "A-W" -> A..W; a list is taken as is; any other string is one row."""
    if not isinstance(spec, str):
        yield from (str(r) for r in spec)
        return
    m = re.fullmatch(r"([A-Z])-([A-Z])", spec)
    if not m:
        yield spec
        return
    letters = string.ascii_uppercase
    yield from letters[letters.index(m[1]) : letters.index(m[2]) + 1]


def _expand_seat_spec(spec: str, by_label: Mapping[str, Seat]) -> list[str]:
    """ "Orchestra A 1-10" -> the ten labels; every label must exist."""
    parts = spec.split()
    if len(parts) != 3:
        raise ValueError(f"seat spec {spec!r} must be 'Section Row first-last'")
    section, row, numbers = parts
    lo, _, hi = numbers.partition("-")
    labels = [f"{section}-{row}-{n}" for n in range(int(lo), int(hi or lo) + 1)]
    missing = [label for label in labels if label not in by_label]
    if missing:
        raise ValueError(f"seat spec {spec!r} names seats not in the hall: {missing[:3]}")
    return labels
