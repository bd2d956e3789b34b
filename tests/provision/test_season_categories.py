"""A season's categories side file: TOML or JSON, every problem located where it can be."""

from __future__ import annotations

from pathlib import Path

from bridge.errors import Problem
from bridge.mapping.model import SeasonCategories, SeasonCategory
from bridge.mapping.season_categories import read_season_categories
from bridge.mapping.tables import read_seasons

GOOD_TOML = """\
[[categories]]
key = "companion"
label = "Wheelchair companion"
color = "#1E90FF"
accessible = true

[[categories]]
key = "restricted"
label = "Restricted view"
color = "#999"

[object_categories]
"A-2" = "companion"
"A-1" = "restricted"

[not_for_sale]
objects = ["B-1"]
categories = ["restricted"]
"""


def read(tmp_path: Path, name: str, text: str) -> tuple[SeasonCategories | None, list[str]]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    problems: list[Problem] = []
    found = read_season_categories(path, problems)
    return found, [str(p).removeprefix(str(path.parent) + "/") for p in problems]


def test_a_toml_and_the_same_json_file_read_alike(tmp_path: Path) -> None:
    toml, problems = read(tmp_path, "c.toml", GOOD_TOML)
    assert problems == []
    assert toml == SeasonCategories(
        (
            SeasonCategory("companion", "Wheelchair companion", "#1E90FF", True),
            SeasonCategory("restricted", "Restricted view", "#999", None),
        ),
        (("A-1", "restricted"), ("A-2", "companion")),
        ("B-1",),
        ("restricted",),
    )
    assert toml.for_sale_json() == {
        "forSale": False,
        "objects": ["B-1"],
        "categories": ["restricted"],
    }
    as_json = """{
  "categories": [
    {"key": "companion", "label": "Wheelchair companion", "color": "#1E90FF", "accessible": true},
    {"key": "restricted", "label": "Restricted view", "color": "#999"}
  ],
  "object_categories": {"A-2": "companion", "A-1": "restricted"},
  "not_for_sale": {"objects": ["B-1"], "categories": ["restricted"]}
}
"""
    json_file, problems = read(tmp_path, "c.json", as_json)
    assert problems == [] and json_file == toml


def test_an_unknown_category_key_in_object_categories_is_located(tmp_path: Path) -> None:
    text = GOOD_TOML.replace('"A-1" = "restricted"', '"A-1" = "restrcted"')
    found, problems = read(tmp_path, "c.toml", text)
    assert found is None
    assert problems == [
        "c.toml:14:1: unknown category key for object 'A-1' 'restrcted' (expected one of the "
        "file's categories: companion, restricted)"
    ]


def test_malformed_files_carry_the_parsers_line_and_column(tmp_path: Path) -> None:
    _, problems = read(tmp_path, "c.toml", '[[categories]]\nkey = "x\n')
    assert len(problems) == 1 and problems[0].startswith("c.toml:2:")
    assert "malformed TOML" in problems[0]
    _, problems = read(tmp_path, "c.json", '{"categories": [}\n')
    assert problems == ["c.json:1:17: malformed JSON: Expecting value"]
    _, problems = read(tmp_path, "c.yaml", "categories: []\n")
    assert problems == ["c.yaml: unknown categories file type '.yaml' (use .toml or .json)"]


def test_every_bad_category_is_reported(tmp_path: Path) -> None:
    text = """\
colour = "red"

[[categories]]
key = "a"
label = "A"
color = "red"

[[categories]]
key = "a"
label = ""
color = "#fff"
accessible = "yes"
"""
    _, problems = read(tmp_path, "c.toml", text)
    assert problems == [
        "c.toml:1:1: unknown field in the categories file 'colour' (expected categories, "
        "object_categories, not_for_sale, no_categories)",
        "c.toml:4:1: malformed category color 'red' (expected #RGB or #RRGGBB)",
        "c.toml:9:1: a category needs a non-empty text label ''",
        "c.toml:9:1: category accessible must be true or false 'yes'",
        "c.toml:9:1: category key defined twice 'a'",
    ]


def test_the_seasons_table_names_the_file_relative_to_itself(tmp_path: Path) -> None:
    (tmp_path / "side").mkdir()
    (tmp_path / "side" / "c.toml").write_text(GOOD_TOML, encoding="utf-8")
    table = tmp_path / "seasons.csv"
    table.write_text(
        "season_id,season_key,chart_key,categories\n1,s1,c,side/c.toml\n2,s2,c,\n3,s3,c,nope.toml\n",
        encoding="utf-8",
    )
    problems: list[Problem] = []
    rules = read_seasons(table, problems)
    assert [r.season_key for r in rules] == ["s1", "s2"]
    assert rules[0].categories is not None and len(rules[0].categories.categories) == 2
    assert rules[1].categories is None
    assert [f"{p.line}:{p.column} {p.message} {p.value}" for p in problems] == [
        "4:4 categories file not found nope.toml"
    ]


def test_the_sample_side_file_loads() -> None:
    problems: list[Problem] = []
    (rule,) = read_seasons(Path("mappings/sample/seasons.csv"), problems)
    assert problems == []
    assert rule.categories is not None
    assert rule.categories.object_categories == (("Orchestra-A-2", "companion"),)
    assert rule.categories.for_sale_json() is None


# -- case 9 of issue 25: an empty side file would wipe a live season's categories ---------------


def test_an_empty_or_comment_only_file_is_refused_at_its_path(tmp_path: Path) -> None:
    for name, text in [("e.toml", ""), ("c.toml", "# nothing yet\n\n"), ("e.json", "{}")]:
        found, problems = read(tmp_path, name, text)
        assert found is None
        assert problems == [
            f"{name}: the categories file is empty (list the season's [[categories]], or write "
            "no_categories = true to clear them on purpose)"
        ]


def test_an_empty_json_file_is_malformed(tmp_path: Path) -> None:
    found, problems = read(tmp_path, "e.json", "")
    assert found is None and problems == ["e.json:1:1: malformed JSON: Expecting value"]


def test_a_file_listing_no_category_without_saying_so_is_refused(tmp_path: Path) -> None:
    found, problems = read(
        tmp_path, "c.toml", 'categories = []\n[not_for_sale]\nobjects = ["B-1"]\n'
    )
    assert found is None
    assert problems == [
        "c.toml:1:1: the categories file lists no category (list the season's [[categories]], "
        "or write no_categories = true to clear them on purpose)"
    ]


def test_no_categories_true_is_the_explicit_empty_form(tmp_path: Path) -> None:
    toml, problems = read(tmp_path, "c.toml", "no_categories = true\n")
    assert problems == [] and toml == SeasonCategories(no_categories=True)
    as_json, problems = read(tmp_path, "c.json", '{"no_categories": true, "categories": []}')
    assert problems == [] and as_json == toml
    assert not toml.clears_unasked()


def test_no_categories_beside_a_category_is_refused(tmp_path: Path) -> None:
    text = 'no_categories = true\n[[categories]]\nkey = "a"\nlabel = "A"\ncolor = "#fff"\n'
    found, problems = read(tmp_path, "c.toml", text)
    assert found is None
    assert problems == [
        "c.toml:1:1: no_categories = true, yet the file lists categories (keep one of the two)"
    ]


def test_the_seasons_table_refuses_a_row_whose_side_file_is_empty(tmp_path: Path) -> None:
    (tmp_path / "cats.toml").write_text("", encoding="utf-8")
    table = tmp_path / "seasons.csv"
    table.write_text(
        "season_id,season_key,chart_key,categories\n2027,season-2026-27,chart,cats.toml\n",
        encoding="utf-8",
    )
    problems: list[Problem] = []
    assert read_seasons(table, problems) == ()
    assert [p.message for p in problems] == ["the categories file is empty"]
    assert problems[0].source.endswith("cats.toml")
