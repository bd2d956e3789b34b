"""A small CSV reader that keeps line and column numbers, so every problem points at a cell.

Operator tables are hand-edited: blank lines and ``#`` comment lines are allowed anywhere, the first
other line is the header, cells are stripped. A quoted cell may not span lines (each physical line
is one record), which keeps line numbers exact.
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from bridge.errors import Problem
from bridge.mapping.problems import display_path


@dataclass(frozen=True, slots=True)
class Row:
    """One data record: ``cells`` by column name ('' when absent), ``columns`` by 1-based number."""

    line: int
    cells: Mapping[str, str]
    columns: Mapping[str, int]

    def problem(
        self,
        source: str,
        column: str | None,
        message: str,
        value: str | None = None,
        hint: str | None = None,
    ) -> Problem:
        col = self.columns.get(column) if column is not None else None
        return Problem(source, self.line, col, message, value, hint)


@dataclass(frozen=True, slots=True)
class Table:
    """A parsed table: where it came from, its header line and its data rows."""

    source: str
    header_line: int
    rows: tuple[Row, ...]


def read_table(
    path: Path,
    *,
    required: Collection[str],
    optional: Collection[str] = (),
    problems: list[Problem],
) -> Table | None:
    """Parse ``path``; append every problem found to ``problems``.

    Returns None when the rows cannot be read meaningfully (no file, no header, a required column
    missing), so callers do not pile follow-on problems on top.
    """
    source = display_path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        problems.append(Problem(source, None, None, f"cannot read table: {exc.strerror or exc}"))
        return None
    except UnicodeDecodeError as exc:
        problems.append(Problem(source, None, None, f"not UTF-8 text: {exc.reason}"))
        return None

    known = [*required, *optional]
    header: list[str] | None = None
    header_line = 0
    columns: dict[str, int] = {}
    rows: list[Row] = []
    usable = True
    for lineno, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        cells = [c.strip() for c in next(csv.reader([raw], skipinitialspace=True), [])]
        if header is None:
            header, header_line = cells, lineno
            for i, name in enumerate(header, start=1):
                if name in columns:
                    problems.append(
                        Problem(
                            source,
                            lineno,
                            i,
                            "column named twice",
                            name,
                            f"first at column {columns[name]}",
                        )
                    )
                elif name not in known:
                    problems.append(
                        Problem(
                            source,
                            lineno,
                            i,
                            "unknown column",
                            name,
                            f"expected columns: {', '.join(known)}",
                        )
                    )
                else:
                    columns[name] = i
            for name in required:
                if name not in columns:
                    usable = False
                    problems.append(
                        Problem(
                            source,
                            lineno,
                            None,
                            "missing required column",
                            name,
                            f"the header must name: {', '.join(required)}",
                        )
                    )
            continue
        if len(cells) > len(header):
            problems.append(
                Problem(
                    source,
                    lineno,
                    len(header) + 1,
                    "more values than columns",
                    cells[len(header)],
                    f"the header has {len(header)} columns",
                )
            )
        values = {
            name: (cells[col - 1] if col - 1 < len(cells) else "") for name, col in columns.items()
        }
        rows.append(Row(lineno, values, columns))
    if header is None:
        problems.append(
            Problem(
                source,
                None,
                None,
                "empty table: no header row",
                hint=f"the first line must name the columns: {', '.join(known)}",
            )
        )
        return None
    if not usable:
        return None
    return Table(source, header_line, tuple(rows))


def parse_int(
    row: Row, source: str, column: str, problems: list[Problem], *, minimum: int | None = None
) -> int | None:
    """The cell as a whole number, or None after recording why it is not one."""
    text = row.cells.get(column, "")
    if not text:
        problems.append(row.problem(source, column, f"missing value for {column}"))
        return None
    try:
        value = int(text, 10)
    except ValueError:
        problems.append(
            row.problem(source, column, f"malformed number in {column}", text, "expected digits")
        )
        return None
    if minimum is not None and value < minimum:
        problems.append(
            row.problem(
                source, column, f"{column} out of range", text, f"expected {minimum} or more"
            )
        )
        return None
    return value
