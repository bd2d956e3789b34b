"""The seasons table: what it accepts, and every problem with file:line:col."""

from __future__ import annotations

from pathlib import Path

from bridge.errors import Problem
from bridge.mapping.model import TableBooking, TableBookingMode
from bridge.mapping.tables import read_seasons

HEADER = (
    "season_id,season_key,chart_key,name,performance_ids,production_season_id,"
    "for_sale_propagated,table_booking,tables\n"
)


def read(tmp_path: Path, body: str) -> tuple[object, list[str]]:
    path = tmp_path / "seasons.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    problems: list[Problem] = []
    rules = read_seasons(path, problems)
    return rules, [f"{p.line}:{p.column} {p.message}" for p in problems]


def test_the_sample_table_loads() -> None:
    problems: list[Problem] = []
    (rule,) = read_seasons(Path("mappings/sample/seasons.csv"), problems)
    assert not problems
    assert rule.season_key == "season-2026-27" and rule.chart_key == "grand-hall-chart"
    assert rule.name == "2026/27 Symphony Series" and rule.for_sale_propagated is True
    assert rule.table_booking == TableBooking(TableBookingMode.INHERIT)


def test_narrowed_rows_custom_tables_and_unmanaged_settings(tmp_path: Path) -> None:
    rules, problems = read(
        tmp_path,
        "1,s1,c,,101;102,,,CUSTOM,T2=BY_SEAT;T1=BY_TABLE\n1,s2,c,,,900,false,ALL_BY_SEAT,\n",
    )
    assert problems == []
    a, b = rules  # type: ignore[misc]
    assert a.performance_ids == frozenset({101, 102}) and a.name is None
    assert a.for_sale_propagated is None
    assert a.table_booking.to_json() == {
        "mode": "CUSTOM",
        "tables": {"T1": "BY_TABLE", "T2": "BY_SEAT"},
    }
    assert b.production_season_id == 900 and b.for_sale_propagated is False


def test_every_problem_points_at_its_cell(tmp_path: Path) -> None:
    rules, problems = read(
        tmp_path,
        "x,s1,c,,,,,,\n"
        "1,s2,c,,,,maybe,,\n"
        "1,s1,c,,,,,,\n"
        "2,s3,,,1;a,,,SOMETIMES,\n"
        "3,s4,c,,,,,CUSTOM,\n"
        "4,s5,c,,,,,INHERIT,T1=BY_SEAT\n"
        "5,s6,c,,,,,,\n"
        "5,s7,c,,,,,,\n",
    )
    assert [r.season_key for r in rules] == ["s6"]  # type: ignore[attr-defined]
    assert sorted(problems) == [
        "2:1 malformed number in season_id",
        "3:7 malformed for_sale_propagated",
        "4:2 season key mapped twice",
        "5:3 missing value for chart_key",
        "5:5 malformed performance id in performance_ids",
        "5:8 unknown table_booking mode",
        "6:9 CUSTOM table_booking with no tables",
        "7:9 tables given for table_booking INHERIT",
        "9:1 Tessitura season mapped twice",
    ]
