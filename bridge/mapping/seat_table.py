"""Build a seat table (Tessitura seat id -> seats.io label) from Tessitura seats and sections.

Pure: the caller fetches the seats, the sections and the chart's labels; this module joins them
and reports everything that does not fit instead of guessing (``api-tessitura.md`` §4):

- CHAR padding is stripped from rows, numbers and section texts.
- A row containing ``*`` is used as is. Only when that label is not on the chart and the label
  with every ``*`` removed is, the latter is used, and the substitution is listed in the report
  (``star_substitutions``) so a reviewer sees it.
- Seats sharing (section, row, number), or whose labels collide, are left out and reported.
- Non-seats (``is_seat`` false) are skipped and counted.
- Seats whose label is not on the chart are left out of the table and reported; the CSV writer
  lists them as comment lines an operator can fix and uncomment.
"""

from __future__ import annotations

import csv
import io
import string
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

DEFAULT_TEMPLATE = "{section}-{row}-{seat}"
#: Placeholders a label template may use.
LABEL_PLACEHOLDERS = frozenset({"section", "row", "seat", "section_id"})


class SectionField(StrEnum):
    """Which text of a Tessitura section names it on the seats.io chart (venue-specific)."""

    DESCRIPTION = "description"
    SHORT = "short"
    LEGEND = "legend"
    PRINT = "print"


@dataclass(frozen=True, slots=True)
class TessituraSection:
    """A row of ``ReferenceData/Sections``: Description, ShortDesc, SectionLegend, PrintDesc."""

    id: int
    description: str
    short: str = ""
    legend: str = ""
    print_desc: str = ""

    def text(self, which: SectionField) -> str:
        value = {
            SectionField.DESCRIPTION: self.description,
            SectionField.SHORT: self.short,
            SectionField.LEGEND: self.legend,
            SectionField.PRINT: self.print_desc,
        }[which]
        return value.strip()


@dataclass(frozen=True, slots=True)
class TessituraSeat:
    """The identity part of a ``TXN/Performances/{id}/Seats`` row."""

    seat_id: int
    section_id: int
    row: str
    number: str
    is_seat: bool = True


@dataclass(frozen=True, slots=True)
class StarSubstitution:
    """A seat whose row holds ``*``: ``literal`` was not on the chart, ``used`` was."""

    seat_id: int
    literal: str
    used: str


@dataclass(frozen=True, slots=True)
class SeatTableResult:
    """The generated table and what did not fit.

    ``labels``: seat id -> label, only seats that are unambiguous and (when the chart was given)
    on the chart. ``missing_on_chart``: seat id -> the label it would have, not on the chart.
    ``unclaimed_labels``: chart labels no seat maps to. ``duplicate_triples``: (section id, row,
    number) -> the seat ids sharing it. ``duplicate_labels``: label -> seat ids of different
    triples producing it (e.g. two sections with the same short name). ``unknown_sections``: seat
    id -> its section id missing from the sections. ``non_seats``: skipped seat ids.
    """

    seat_map_id: int
    template: str
    section_field: SectionField
    labels: Mapping[int, str]
    missing_on_chart: Mapping[int, str] = field(default_factory=dict)
    unclaimed_labels: tuple[str, ...] = ()
    duplicate_triples: Mapping[tuple[int, str, str], tuple[int, ...]] = field(default_factory=dict)
    duplicate_labels: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    unknown_sections: Mapping[int, int] = field(default_factory=dict)
    non_seats: tuple[int, ...] = ()
    star_substitutions: tuple[StarSubstitution, ...] = ()
    chart_checked: bool = False

    @property
    def clean(self) -> bool:
        """Every seat got a label on the chart and every chart label got a seat."""
        return not (
            self.missing_on_chart
            or self.unclaimed_labels
            or self.duplicate_triples
            or self.duplicate_labels
            or self.unknown_sections
        )

    def summary(self) -> list[str]:
        """Human lines, one per finding kind with a few examples, for the CLI."""
        lines = [f"seat map {self.seat_map_id}: {len(self.labels)} seats labelled"]

        def some(items: Iterable[str], n: int = 5) -> str:
            items = list(items)
            more = f", ... (+{len(items) - n})" if len(items) > n else ""
            return ", ".join(items[:n]) + more

        if self.non_seats:
            lines.append(f"{len(self.non_seats)} non-seats skipped")
        if self.star_substitutions:
            lines.append(
                f"{len(self.star_substitutions)} rows with '*' matched without it: "
                + some(f"{s.seat_id} {s.literal!r}->{s.used!r}" for s in self.star_substitutions)
            )
        if self.unknown_sections:
            lines.append(
                f"{len(self.unknown_sections)} seats in unknown sections: "
                + some(f"{sid} (section {sec})" for sid, sec in self.unknown_sections.items())
            )
        if self.duplicate_triples:
            lines.append(
                f"{len(self.duplicate_triples)} duplicate section/row/number triples: "
                + some(
                    f"{sec}/{row}/{num} seats {list(ids)}"
                    for (sec, row, num), ids in self.duplicate_triples.items()
                )
            )
        if self.duplicate_labels:
            lines.append(
                f"{len(self.duplicate_labels)} labels produced by several seats: "
                + some(
                    f"{label!r} seats {list(ids)}" for label, ids in self.duplicate_labels.items()
                )
            )
        if self.missing_on_chart:
            lines.append(
                f"{len(self.missing_on_chart)} seats without a label on the chart: "
                + some(f"{sid} {label!r}" for sid, label in self.missing_on_chart.items())
            )
        if self.unclaimed_labels:
            lines.append(
                f"{len(self.unclaimed_labels)} chart labels without a seat: "
                + some(repr(label) for label in self.unclaimed_labels)
            )
        return lines


def template_problem(template: str) -> str | None:
    """Why ``template`` cannot make labels, or None when it can."""
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        return f"malformed template ({exc})"
    unknown = sorted({n for n in names if n not in LABEL_PLACEHOLDERS})
    if unknown:
        return f"unknown placeholder {{{unknown[0]}}} (expected {', '.join(sorted(LABEL_PLACEHOLDERS))})"
    if not names:
        return "template has no placeholder"
    return None


def build_seat_table(
    seats: Iterable[TessituraSeat],
    sections: Iterable[TessituraSection],
    *,
    seat_map_id: int,
    chart_labels: Collection[str] | None = None,
    template: str = DEFAULT_TEMPLATE,
    section_field: SectionField = SectionField.DESCRIPTION,
) -> SeatTableResult:
    """Join seats to labels; ``chart_labels`` None skips the chart check (every label is kept).

    Raises ValueError for a template with an unknown placeholder.
    """
    why = template_problem(template)
    if why:
        raise ValueError(why)
    by_section = {s.id: s for s in sections}
    chart = frozenset(chart_labels) if chart_labels is not None else None

    non_seats: list[int] = []
    unknown_sections: dict[int, int] = {}
    by_triple: dict[tuple[int, str, str], list[int]] = defaultdict(list)
    literal: dict[int, str] = {}
    variant: dict[int, str] = {}  # label with '*' removed, for rows holding '*'
    for seat in seats:
        if not seat.is_seat:
            non_seats.append(seat.seat_id)
            continue
        section = by_section.get(seat.section_id)
        if section is None:
            unknown_sections[seat.seat_id] = seat.section_id
            continue
        row, number = seat.row.strip(), seat.number.strip()
        by_triple[(seat.section_id, row, number)].append(seat.seat_id)
        values = {
            "section": section.text(section_field),
            "row": row,
            "seat": number,
            "section_id": seat.section_id,
        }
        literal[seat.seat_id] = template.format(**values)
        if "*" in row:
            values["row"] = row.replace("*", "").strip()
            variant[seat.seat_id] = template.format(**values)

    duplicate_triples = {k: tuple(v) for k, v in by_triple.items() if len(v) > 1}
    ambiguous = {sid for ids in duplicate_triples.values() for sid in ids}

    chosen: dict[int, str] = {}
    missing: dict[int, str] = {}
    stars: list[StarSubstitution] = []
    for sid, label in literal.items():
        if sid in ambiguous:
            continue
        if chart is None or label in chart:
            chosen[sid] = label
        elif sid in variant and variant[sid] in chart:
            chosen[sid] = variant[sid]
            stars.append(StarSubstitution(sid, label, variant[sid]))
        else:
            missing[sid] = label

    by_label: dict[str, list[int]] = defaultdict(list)
    for sid, label in chosen.items():
        by_label[label].append(sid)
    duplicate_labels = {label: tuple(ids) for label, ids in by_label.items() if len(ids) > 1}
    for ids in duplicate_labels.values():
        for sid in ids:
            del chosen[sid]
    stars = [s for s in stars if s.seat_id in chosen]

    claimed = set(chosen.values()) | set(duplicate_labels)
    unclaimed = tuple(sorted(chart - claimed)) if chart is not None else ()
    return SeatTableResult(
        seat_map_id=seat_map_id,
        template=template,
        section_field=section_field,
        labels=dict(sorted(chosen.items())),
        missing_on_chart=dict(sorted(missing.items())),
        unclaimed_labels=unclaimed,
        duplicate_triples=duplicate_triples,
        duplicate_labels=duplicate_labels,
        unknown_sections=unknown_sections,
        non_seats=tuple(non_seats),
        star_substitutions=tuple(stars),
        chart_checked=chart is not None,
    )


def render_seat_table_csv(result: SeatTableResult, *, generated_from: str) -> str:
    """The table as CSV with a header comment saying how it was made.

    Seats left out (not on the chart, ambiguous) follow as ``#`` comment lines, so an operator can
    fix the label, uncomment the line, and run ``seatbridge config check``.
    """
    out = io.StringIO()
    out.write(f"# Seat table for Tessitura seat map {result.seat_map_id}.\n")
    out.write(f"# Generated {generated_from}\n")
    out.write(f"# with template {result.template!r}, section field {result.section_field.value!r}")
    out.write(
        "; checked against the chart.\n" if result.chart_checked else "; chart not checked.\n"
    )
    out.write("# Hand edits are fine; `seatbridge config check` validates the file.\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["seat_id", "label"])
    for sid, label in result.labels.items():
        writer.writerow([sid, label])
    groups: list[tuple[str, list[tuple[int, str]]]] = [
        ("Not on the chart", sorted(result.missing_on_chart.items())),
        (
            "Label produced by several seats",
            sorted((sid, label) for label, ids in result.duplicate_labels.items() for sid in ids),
        ),
    ]
    for title, rows in groups:
        if not rows:
            continue
        out.write(f"#\n# {title} (left out; fix the label, then uncomment):\n")
        for sid, label in rows:
            line = io.StringIO()
            csv.writer(line, lineterminator="").writerow([sid, label])
            out.write(f"# {line.getvalue()}\n")
    for (sec, row, num), ids in sorted(result.duplicate_triples.items()):
        out.write(
            f"# seats {', '.join(map(str, ids))} share section {sec} row {row!r} number {num!r}\n"
        )
    return out.getvalue()
