"""The sample venue: the shape every test, the demo and the benchmarks rely on."""

from collections import Counter
from datetime import date

import pytest

from bridge.errors import ConfigError
from bridge.sandbox.venue import expand_venue, load_venue

TODAY = date(2026, 11, 21)


def test_sample_venue_is_a_2000_place_hall_in_three_sections() -> None:
    venue = load_venue(today=TODAY)
    assert len(venue.seats) == 2000
    by_section = Counter(venue.section(s.section_id).description for s in venue.seats)
    assert set(by_section) == {"Orchestra", "Mezzanine", "Balcony"}
    assert sum(s.wheelchair for s in venue.seats) == 8


def test_seat_ids_and_labels_are_unique() -> None:
    venue = load_venue(today=TODAY)
    assert len({s.id for s in venue.seats}) == len(venue.seats)
    assert len({s.label for s in venue.seats}) == len(venue.seats)


def test_one_performance_tonight_and_a_season_of_eight() -> None:
    venue = load_venue(today=TODAY)
    assert [p.start.date() for p in venue.performances].count(TODAY) == 1
    (season,) = venue.seasons().values()
    assert len(season) == 8
    assert sum(p.seatsio_season_key is None for p in venue.performances) == 4


def test_expansion_is_deterministic_for_the_same_day() -> None:
    assert load_venue(today=TODAY) == load_venue(today=TODAY)


def test_sample_has_layered_blackout_and_sold_seats() -> None:
    venue = load_venue(today=TODAY)
    assert any(h.priority > 1 for h in venue.holds)
    blackout = {c.id for c in venue.hold_codes if c.blackout}
    assert any(h.hold_code_id in blackout for h in venue.holds)
    assert venue.sales and venue.foreign_channels


def test_seat_spec_naming_a_missing_seat_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "v.toml"
    bad.write_text(
        'name="x"\nfacility_id=1\nseat_map_id=1\nchart_key="c"\n'
        '[[sections]]\nid=1\ndescription="Stalls"\nrows=[{rows="A", seats=2}]\n'
        '[[standalone]]\nid=1\nday=0\ndescription="d"\nseason_id=1\nproduction_season_id=1\n'
        '[[holds]]\nperformances="all"\nhold_code=1\nseats=["Stalls A 1-3"]\n'
    )
    with pytest.raises(ConfigError, match="Stalls A 1-3"):
        load_venue(bad)


def test_unknown_performance_in_a_hold_is_refused() -> None:
    raw = {
        "name": "x", "facility_id": 1, "seat_map_id": 1, "chart_key": "c",
        "sections": [{"id": 1, "description": "S", "rows": [{"rows": "A", "seats": 1}]}],
        "holds": [{"performances": [9], "hold_code": 1, "seats": ["S A 1"]}],
    }  # fmt: skip
    with pytest.raises(ValueError, match="unknown performances"):
        expand_venue(raw, today=TODAY)
