"""The seat-table generator: Tessitura seats + sections + chart labels -> table and report."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.errors import Problem
from bridge.mapping.seat_table import (
    SectionField,
    StarSubstitution,
    TessituraSeat,
    TessituraSection,
    build_seat_table,
    render_seat_table_csv,
)
from bridge.mapping.tables import read_seat_table

ORCH = TessituraSection(1, "Orchestra ", "ORCH", "O", "ORCHESTRA")
BALC = TessituraSection(2, "Balcony", "BALC", "B", "BALCONY")


def seat(sid: int, row: str, number: str, section: int = 1, is_seat: bool = True) -> TessituraSeat:
    return TessituraSeat(sid, section, row, number, is_seat)


def test_char_padding_is_stripped_from_rows_numbers_and_sections() -> None:
    result = build_seat_table(
        [seat(1, "A   ", "  12")], [ORCH], seat_map_id=12, chart_labels=["Orchestra-A-12"]
    )
    assert result.labels == {1: "Orchestra-A-12"}
    assert result.clean


def test_section_field_chooses_the_section_text() -> None:
    result = build_seat_table(
        [seat(1, "A", "1")], [ORCH], seat_map_id=12, section_field=SectionField.SHORT
    )
    assert result.labels == {1: "ORCH-A-1"}


def test_template_shapes_the_label() -> None:
    result = build_seat_table(
        [seat(1, "A", "1")], [ORCH], seat_map_id=12, template="{row}{seat}@{section_id}"
    )
    assert result.labels == {1: "A1@1"}


def test_template_with_unknown_placeholder_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown placeholder \{number\}"):
        build_seat_table([], [], seat_map_id=12, template="{section}-{row}-{number}")


def test_row_with_star_is_kept_as_is_when_the_chart_has_it() -> None:
    result = build_seat_table(
        [seat(1, "A*", "1")],
        [ORCH],
        seat_map_id=12,
        chart_labels=["Orchestra-A*-1", "Orchestra-A-1"],
    )
    assert result.labels == {1: "Orchestra-A*-1"}
    assert result.star_substitutions == ()


def test_row_with_star_falls_back_to_the_label_without_it_and_says_so() -> None:
    result = build_seat_table(
        [seat(1, "A*", "1")], [ORCH], seat_map_id=12, chart_labels=["Orchestra-A-1"]
    )
    assert result.labels == {1: "Orchestra-A-1"}
    assert result.star_substitutions == (StarSubstitution(1, "Orchestra-A*-1", "Orchestra-A-1"),)


def test_row_with_star_keeps_the_literal_label_without_a_chart() -> None:
    result = build_seat_table([seat(1, "A*", "1")], [ORCH], seat_map_id=12)
    assert result.labels == {1: "Orchestra-A*-1"}


def test_duplicate_section_row_number_triples_are_reported_not_guessed() -> None:
    result = build_seat_table(
        [seat(1, "A", "1"), seat(2, "A ", "1"), seat(3, "A", "2")],
        [ORCH],
        seat_map_id=12,
        chart_labels=["Orchestra-A-1", "Orchestra-A-2"],
    )
    assert result.labels == {3: "Orchestra-A-2"}
    assert result.duplicate_triples == {(1, "A", "1"): (1, 2)}
    assert not result.clean


def test_two_sections_giving_the_same_label_are_reported_not_guessed() -> None:
    same = TessituraSection(2, "Orchestra")
    result = build_seat_table(
        [seat(1, "A", "1"), seat(2, "A", "1", section=2)], [ORCH, same], seat_map_id=12
    )
    assert result.labels == {}
    assert result.duplicate_labels == {"Orchestra-A-1": (1, 2)}


def test_seats_missing_from_the_chart_are_reported_and_left_out() -> None:
    result = build_seat_table(
        [seat(1, "A", "1"), seat(2, "Z", "9")],
        [ORCH],
        seat_map_id=12,
        chart_labels=["Orchestra-A-1"],
    )
    assert result.labels == {1: "Orchestra-A-1"}
    assert result.missing_on_chart == {2: "Orchestra-Z-9"}


def test_chart_labels_without_a_seat_are_reported() -> None:
    result = build_seat_table(
        [seat(1, "A", "1")], [ORCH], seat_map_id=12, chart_labels=["Orchestra-A-1", "Box-1"]
    )
    assert result.unclaimed_labels == ("Box-1",)


def test_non_seats_are_skipped_and_counted() -> None:
    result = build_seat_table(
        [seat(1, "A", "1"), seat(2, "", "", is_seat=False)], [ORCH], seat_map_id=12
    )
    assert result.labels == {1: "Orchestra-A-1"}
    assert result.non_seats == (2,)


def test_seats_of_unknown_sections_are_reported() -> None:
    result = build_seat_table([seat(1, "A", "1", section=9)], [ORCH, BALC], seat_map_id=12)
    assert result.labels == {}
    assert result.unknown_sections == {1: 9}


def test_written_csv_reads_back_as_the_same_table(tmp_path: Path) -> None:
    result = build_seat_table(
        [seat(1, "A", "1"), seat(2, "A", "2"), seat(3, "Z", "1")],
        [ORCH],
        seat_map_id=12,
        chart_labels=["Orchestra-A-1", "Orchestra-A-2"],
    )
    path = tmp_path / "seats-12.csv"
    path.write_text(render_seat_table_csv(result, generated_from="in a test"), encoding="utf-8")
    problems: list[Problem] = []
    table = read_seat_table(path, 12, problems)
    assert problems == []
    assert table.labels == result.labels


def test_written_csv_says_how_it_was_made_and_comments_out_unmatched_seats() -> None:
    result = build_seat_table(
        [seat(1, "A", "1"), seat(3, "Z", "1")],
        [ORCH],
        seat_map_id=12,
        chart_labels=["Orchestra-A-1"],
    )
    text = render_seat_table_csv(result, generated_from="by pytest")
    assert text.startswith("# Seat table for Tessitura seat map 12.\n# Generated by pytest\n")
    assert "'{section}-{row}-{seat}'" in text
    assert "\n# 3,Orchestra-Z-1\n" in text


def test_summary_lists_each_kind_of_finding() -> None:
    result = build_seat_table(
        [seat(1, "A", "1"), seat(2, "A", "1"), seat(3, "Z", "1")],
        [ORCH],
        seat_map_id=12,
        chart_labels=["Orchestra-A-1", "Box-1"],
    )
    text = "\n".join(result.summary())
    assert "1 duplicate section/row/number triples" in text
    assert "1 seats without a label on the chart: 3 'Orchestra-Z-1'" in text
    assert "chart labels without a seat: 'Box-1'" in text
