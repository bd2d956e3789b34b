"""The performance -> event key rule, e.g. ``perf-{performance_id}``."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.errors import InvalidConfigError
from bridge.mapping.tables import load_tables, template_problem


def test_performance_id_placeholder_is_accepted() -> None:
    assert template_problem("perf-{performance_id}") is None


def test_format_spec_on_the_placeholder_is_accepted() -> None:
    assert template_problem("perf-{performance_id:06d}") is None


def test_unknown_placeholder_is_a_problem() -> None:
    assert template_problem("perf-{perf_id}") == "unknown placeholder {perf_id}"


def test_unbalanced_brace_is_a_problem() -> None:
    problem = template_problem("perf-{performance_id")
    assert problem is not None and problem.startswith("malformed template")


def test_template_without_placeholder_is_a_problem() -> None:
    problem = template_problem("perf")
    assert problem is not None and "no {performance_id} placeholder" in problem


def test_load_tables_reports_a_bad_template_with_the_table_problems(tmp_path: Path) -> None:
    codes = tmp_path / "codes.csv"
    codes.write_text("hold_code_id,action,precedence\n5,not_for_sale,1\n", encoding="utf-8")
    with pytest.raises(InvalidConfigError) as caught:
        load_tables(hold_codes=codes, event_key_template="e-{perf}")
    assert [str(p) for p in caught.value.problems] == [
        "event_key_template: unknown placeholder {perf} 'e-{perf}'"
    ]
