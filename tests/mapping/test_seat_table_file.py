"""A seat table file: Tessitura seat id -> seats.io label, each once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bridge.errors import InvalidConfigError, Problem
from bridge.mapping.tables import load_tables, read_seat_table

Write = Callable[[str, str], Path]


def read(write: Write, text: str) -> tuple[dict[int, str], list[str]]:
    problems: list[Problem] = []
    table = read_seat_table(write("seats-12.csv", text), 12, problems)
    return dict(table.labels), [str(p) for p in problems]


def test_rows_become_labels_by_seat_id(write: Write) -> None:
    labels, problems = read(write, "seat_id,label\n10001, Orchestra-A-1 \n10002,Orchestra-A-2\n")
    assert problems == []
    assert labels == {10001: "Orchestra-A-1", 10002: "Orchestra-A-2"}


def test_duplicate_label_names_both_lines(write: Write) -> None:
    _, problems = read(write, "# c\nseat_id,label\n10001,Orchestra-A-1\n10002,Orchestra-A-1\n")
    assert problems == ["seats-12.csv:4:2: duplicate label 'Orchestra-A-1' (first at line 3)"]


def test_duplicate_seat_id_is_a_problem(write: Write) -> None:
    _, problems = read(write, "seat_id,label\n10001,Orchestra-A-1\n10001,Orchestra-A-2\n")
    assert problems == ["seats-12.csv:3:1: duplicate seat id '10001' (first at line 2)"]


def test_malformed_seat_id_is_a_problem(write: Write) -> None:
    _, problems = read(write, "seat_id,label\n1OOO1,Orchestra-A-1\n")
    assert problems == ["seats-12.csv:2:1: malformed number in seat_id '1OOO1' (expected digits)"]


def test_extra_value_beyond_the_header_is_a_problem(write: Write) -> None:
    _, problems = read(write, "seat_id,label\n10001,Orchestra-A-1,x\n")
    assert problems == ["seats-12.csv:2:3: more values than columns 'x' (the header has 2 columns)"]


def test_empty_file_is_a_problem(write: Write) -> None:
    _, problems = read(write, "# only a comment\n")
    assert problems == [
        "seats-12.csv: empty table: no header row (the first line must name the columns: seat_id, label)"
    ]


def test_load_tables_raises_one_error_listing_problems_of_every_table(write: Write) -> None:
    codes = write("codes.csv", "hold_code_id,action,precedence\n1,hold,1\n")
    seats = write("seats.csv", "seat_id,label\n1,A\n2,A\n")
    with pytest.raises(InvalidConfigError) as caught:
        load_tables(hold_codes=codes, seat_tables={12: seats})
    assert [p.source for p in caught.value.problems] == ["codes.csv", "seats.csv"]
    assert "seats.csv:3:2: duplicate label 'A' (first at line 2)" in str(caught.value)
