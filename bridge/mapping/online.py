"""The checks and the seat-table generation that need both APIs.

The logic talks to two narrow reader protocols (:class:`TessituraSource`, :class:`SeatsioSource`)
so it is tested with plain fakes; :mod:`bridge.reconcile.readers` adapts the real clients to them
(:func:`bridge.runtime.open_sources` builds both from the config). The checks take the loaded
tables and the files they came from, never the whole config.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bridge.errors import NotFoundError, Problem
from bridge.mapping.model import MappingTables
from bridge.mapping.problems import display_path
from bridge.mapping.seat_table import (
    DEFAULT_TEMPLATE,
    SeatTableResult,
    SectionField,
    TessituraSeat,
    TessituraSection,
    build_seat_table,
)


@dataclass(frozen=True, slots=True)
class EventFacts:
    """What the checks need of a seats.io event: that it exists, and the season it belongs to."""

    key: str
    season_key: str | None = None


class TableFiles(Protocol):
    """Where the mapping tables were read from, to name them in problems (the config's
    ``mappings`` section is one)."""

    @property
    def hold_codes(self) -> Path: ...

    @property
    def performances(self) -> Path | None: ...

    @property
    def seat_tables(self) -> Mapping[int, Path]: ...


class TessituraSource(Protocol):
    """The Tessitura reads the checks make."""

    async def seat_map_of(self, performance_id: int) -> int:
        """The performance's seat map id (raises NotFoundError for an unknown performance)."""
        ...

    async def sections(self, seat_map_id: int) -> Sequence[TessituraSection]: ...

    async def seats(self, performance_id: int) -> Sequence[TessituraSeat]: ...

    async def hold_code_exists(self, hold_code_id: int) -> bool: ...


class SeatsioSource(Protocol):
    """The seats.io reads the checks make."""

    async def event(self, key: str) -> EventFacts | None:
        """The event, or None when it does not exist."""
        ...

    async def season_exists(self, key: str) -> bool: ...

    async def object_labels(self, event_key: str) -> Collection[str]:
        """Every object label on the event's chart."""
        ...


@dataclass(frozen=True, slots=True)
class GeneratedSeatTable:
    """A generated table and where it came from."""

    performance_id: int
    event_key: str
    result: SeatTableResult


async def check_online(
    tables: MappingTables, files: TableFiles, tessitura: TessituraSource, seatsio: SeatsioSource
) -> list[Problem]:
    """Everything the offline check cannot know: hold codes exist in Tessitura, events and seasons
    exist in seats.io (and events sit in the season the table says), every mapped label exists on
    its event, every Tessitura seat of a mapped seat map has a row.

    Seat maps are checked through the listed performances (the first listed performance of each
    seat map stands for it); a seat table no listed performance uses is reported as unchecked.
    """
    codes_src = display_path(files.hold_codes)
    perf_src = display_path(files.performances) if files.performances else "performances"
    problems: list[Problem] = []

    for code in sorted(tables.hold_rules):
        if not await tessitura.hold_code_exists(code):
            problems.append(
                Problem(codes_src, None, None, "hold code not found in Tessitura", str(code))
            )

    seasons: set[str] = set()
    seat_map_perf: dict[int, tuple[int, str]] = {}  # seat map -> (performance, event key)
    for pid, target in sorted(tables.performances.items()):
        event = await seatsio.event(target.event_key)
        if event is None:
            problems.append(
                Problem(
                    perf_src,
                    None,
                    None,
                    f"event of performance {pid} not found in seats.io",
                    target.event_key,
                )
            )
        elif target.season_key is not None and event.season_key != target.season_key:
            problems.append(
                Problem(
                    perf_src,
                    None,
                    None,
                    f"event {target.event_key!r} is not in the season the table names",
                    target.season_key,
                    f"seats.io says {event.season_key!r}" if event.season_key else "seats.io: none",
                )
            )
        if target.season_key is not None:
            seasons.add(target.season_key)
        try:
            seat_map = await tessitura.seat_map_of(pid)
        except NotFoundError:
            problems.append(
                Problem(perf_src, None, None, "performance not found in Tessitura", str(pid))
            )
            continue
        if seat_map not in tables.seat_tables:
            problems.append(
                Problem(
                    perf_src,
                    None,
                    None,
                    f"performance {pid} uses seat map {seat_map}, which has no seat table",
                    hint="add it under [mappings.seat_tables]",
                )
            )
        elif event is not None:
            seat_map_perf.setdefault(seat_map, (pid, target.event_key))

    for season in sorted(seasons):
        if not await seatsio.season_exists(season):
            problems.append(Problem(perf_src, None, None, "season not found in seats.io", season))

    for seat_map, table in sorted(tables.seat_tables.items()):
        src = display_path(files.seat_tables[seat_map])
        if seat_map not in seat_map_perf:
            problems.append(
                Problem(
                    src,
                    None,
                    None,
                    f"seat map {seat_map} not checked online",
                    hint="no listed performance with a seats.io event uses it",
                )
            )
            continue
        pid, event_key = seat_map_perf[seat_map]
        labels = set(await seatsio.object_labels(event_key))
        missing = sorted((sid, label) for sid, label in table.labels.items() if label not in labels)
        for sid, label in missing:
            problems.append(
                Problem(
                    src,
                    None,
                    None,
                    f"seat {sid}: label not on the chart of event {event_key!r}",
                    label,
                )
            )
        seats = await tessitura.seats(pid)
        unmapped = sorted(s.seat_id for s in seats if s.is_seat and s.seat_id not in table.labels)
        for sid in unmapped:
            problems.append(
                Problem(
                    src,
                    None,
                    None,
                    f"Tessitura seat of seat map {seat_map} has no row",
                    str(sid),
                    f"seen in performance {pid}; run `seatbridge mappings seats`",
                )
            )
    return problems


async def generate_seat_table(
    tables: MappingTables,
    performance_id: int,
    tessitura: TessituraSource,
    seatsio: SeatsioSource,
    *,
    template: str = DEFAULT_TEMPLATE,
    section_field: SectionField = SectionField.DESCRIPTION,
) -> GeneratedSeatTable:
    """The seat table of the performance's seat map, checked against its event's labels."""
    target = tables.target_for(performance_id)
    if target is None:
        raise NotFoundError(
            f"performance {performance_id} has no seats.io event: list it in the performances "
            "table or set mappings.event_key_template"
        )
    seat_map = await tessitura.seat_map_of(performance_id)
    sections = await tessitura.sections(seat_map)
    seats = await tessitura.seats(performance_id)
    if await seatsio.event(target.event_key) is None:
        raise NotFoundError(f"seats.io event {target.event_key!r} not found", vendor="seats.io")
    labels = await seatsio.object_labels(target.event_key)
    result = build_seat_table(
        seats,
        sections,
        seat_map_id=seat_map,
        chart_labels=labels,
        template=template,
        section_field=section_field,
    )
    return GeneratedSeatTable(performance_id, target.event_key, result)
