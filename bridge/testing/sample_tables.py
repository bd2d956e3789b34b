"""The sample venue's seat table, generated from the sandbox venue with the real generator.

``mappings/sample/seats-12.csv`` is this module's output; a test keeps the two equal. Regenerate:
``python -m bridge.testing.sample_tables > mappings/sample/seats-12.csv``.
"""

from __future__ import annotations

from bridge.mapping.seat_table import (
    SeatTableResult,
    TessituraSeat,
    TessituraSection,
    build_seat_table,
    render_seat_table_csv,
)
from bridge.sandbox.venue import Venue, load_venue


def venue_seat_table(venue: Venue) -> SeatTableResult:
    """The seat table of ``venue`` as Tessitura and its seats.io chart describe it."""
    seats = [TessituraSeat(s.id, s.section_id, s.row, s.number) for s in venue.seats]
    sections = [
        TessituraSection(s.id, s.description, s.short, s.legend, s.print_desc)
        for s in venue.sections
    ]
    return build_seat_table(
        seats, sections, seat_map_id=venue.seat_map_id, chart_labels=[s.label for s in venue.seats]
    )


def sample_seat_table_csv() -> str:
    """The committed sample file's exact text."""
    venue = load_venue()
    return render_seat_table_csv(
        venue_seat_table(venue),
        generated_from=f"from the sandbox venue {venue.name!r} (bridge/sandbox/venues) "
        "by `python -m bridge.testing.sample_tables`",
    )


if __name__ == "__main__":  # pragma: no cover
    print(sample_seat_table_csv(), end="")
