"""The performance table: performance -> seats.io event (and season)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bridge.errors import Problem
from bridge.mapping.model import MappingTables, PerformanceTarget
from bridge.mapping.tables import read_performances

Write = Callable[[str, str], Path]
HEADER = "performance_id,event_key,season_key\n"


def read(
    write: Write, rows: str, header: str = HEADER
) -> tuple[dict[int, PerformanceTarget], list[str]]:
    problems: list[Problem] = []
    table = read_performances(write("perfs.csv", header + rows), problems)
    return table, [str(p) for p in problems]


def test_season_key_is_optional(write: Write) -> None:
    table, problems = read(write, "101,perf-101,season-1\n201,perf-201,\n")
    assert problems == []
    assert table[101] == PerformanceTarget(101, "perf-101", "season-1")
    assert table[201] == PerformanceTarget(201, "perf-201", None)


def test_the_season_column_may_be_left_out(write: Write) -> None:
    table, problems = read(write, "201,gala\n", header="performance_id,event_key\n")
    assert problems == [] and table[201].event_key == "gala"


def test_performance_mapped_twice_is_a_problem(write: Write) -> None:
    _, problems = read(write, "101,perf-101,\n101,perf-101b,\n")
    assert problems == ["perfs.csv:3:1: performance mapped twice '101' (first at line 2)"]


def test_event_key_mapped_twice_is_a_problem(write: Write) -> None:
    _, problems = read(write, "101,perf-101,\n102,perf-101,\n")
    assert problems == ["perfs.csv:3:2: event key mapped twice 'perf-101' (first at line 2)"]


def test_malformed_performance_id_is_a_problem(write: Write) -> None:
    _, problems = read(write, "10l,perf-101,\n")
    assert problems == ["perfs.csv:2:1: malformed number in performance_id '10l' (expected digits)"]


def test_missing_event_key_is_a_problem(write: Write) -> None:
    _, problems = read(write, "101,,\n")
    assert problems == ["perfs.csv:2:2: missing value for event_key"]


def test_unlisted_performance_falls_back_to_the_template() -> None:
    tables = MappingTables({}, {}, {101: PerformanceTarget(101, "x", "s")}, "perf-{performance_id}")
    assert tables.target_for(101) == PerformanceTarget(101, "x", "s")
    assert tables.target_for(201) == PerformanceTarget(201, "perf-201")
