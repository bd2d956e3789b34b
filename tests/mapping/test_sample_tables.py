"""The sample venue's tables (mappings/sample/) load cleanly and cover the sandbox venue."""

from __future__ import annotations

from pathlib import Path

from bridge.mapping.model import Action, MappingTables
from bridge.mapping.tables import load_tables
from bridge.sandbox.venue import load_venue
from bridge.testing.sample_tables import sample_seat_table_csv

SAMPLE = Path(__file__).resolve().parents[2] / "mappings" / "sample"


def load_sample() -> MappingTables:
    return load_tables(
        hold_codes=SAMPLE / "hold-codes.csv",
        performances=SAMPLE / "performances.csv",
        seat_tables={12: SAMPLE / "seats-12.csv"},
        event_key_template="perf-{performance_id}",
    )


def test_sample_seat_table_maps_every_seat_of_the_sample_venue_to_its_chart_label() -> None:
    venue = load_venue()
    assert load_sample().seat_tables[12].labels == {s.id: s.label for s in venue.seats}
    assert len(venue.seats) == 2000


def test_committed_seat_table_is_what_the_generator_makes() -> None:
    assert (SAMPLE / "seats-12.csv").read_text(encoding="utf-8") == sample_seat_table_csv()


def test_sample_hold_codes_cover_every_hold_code_of_the_venue_by_precedence() -> None:
    rules = load_sample().hold_rules
    assert set(rules) == {h.id for h in load_venue().hold_codes}
    by_precedence = [
        (r.hold_code_id, r.action, r.target)
        for r in sorted(rules.values(), key=lambda r: r.precedence)
    ]
    assert by_precedence == [
        (5, Action.NOT_FOR_SALE, None),
        (4, Action.CHANNEL, "access"),
        (1, Action.CHANNEL, "house"),
        (3, Action.CHANNEL, "artist-comps"),
        (2, Action.STATUS, "held-press"),
        (6, Action.CHANNEL, "subscribers"),
        (90, Action.IGNORE, None),  # the write-back's own code: never read back
    ]
    assert rules[6].fallback_status == "held-subscription"


def test_sample_maps_season_performances_by_table_and_specials_by_template() -> None:
    tables = load_sample()
    for p in load_venue().performances:
        target = tables.target_for(p.id)
        assert target is not None
        assert (target.event_key, target.season_key) == (p.event_key, p.seatsio_season_key)
    assert 201 not in tables.performances
