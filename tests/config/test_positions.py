"""The TOML position locator: every key path found at its line and column, whatever the syntax."""

from __future__ import annotations

import tomllib

import pytest

from bridge.config.positions import Locator


def locate(text: str) -> Locator:
    tomllib.loads(text)  # the locator only ever sees text tomllib accepted
    return Locator(text)


def at(text: str, *keys: str | int) -> tuple[int | None, int | None]:
    return locate(text)(keys)


def test_top_level_keys_and_tables() -> None:
    text = 'title = "x"\n\n[tessitura]\nbase_url = "https://t/"\n  username = "u"\n'
    assert at(text, "title") == (1, 1)
    assert at(text, "tessitura") == (3, 1)
    assert at(text, "tessitura", "base_url") == (4, 1)
    assert at(text, "tessitura", "username") == (5, 3)


def test_nested_tables_and_an_unknown_key_falls_back_to_its_table() -> None:
    text = "[a]\nx = 1\n[a.b]\ny = 2\n[ a . c ]\nz = 3\n"
    assert at(text, "a", "b") == (3, 1)
    assert at(text, "a", "b", "y") == (4, 1)
    assert at(text, "a", "c", "z") == (6, 1)
    assert at(text, "a", "b", "nope") == (3, 1)
    assert at(text, "a", "nope", "deeper") == (1, 1)
    assert at(text, "nope") == (None, None)
    assert at(text) == (None, None)


def test_a_table_only_implied_by_a_header_falls_back_to_that_header() -> None:
    text = "[mappings.seat_tables]\n12 = 'seats-12.csv'\n"
    assert at(text, "mappings") == (1, 1)
    assert at(text, "mappings", "seat_tables", 12) == (2, 1)


def test_an_explicit_table_wins_over_an_earlier_implication() -> None:
    text = "[a.b]\nx = 1\n[a]\ny = 2\n"
    assert at(text, "a") == (3, 1)


def test_arrays_of_tables_are_numbered_from_zero() -> None:
    text = (
        "[[fruit]]\nname = 'apple'\n"  # 1-2
        "[fruit.physical]\ncolor = 'red'\n"  # 3-4
        "[[fruit.variety]]\nname = 'red delicious'\n"  # 5-6
        "[[fruit.variety]]\nname = 'granny smith'\n"  # 7-8
        "[[fruit]]\nname = 'banana'\n"  # 9-10
        "[[fruit.variety]]\nname = 'plantain'\n"  # 11-12
    )
    assert at(text, "fruit") == (1, 1)
    assert at(text, "fruit", 0, "name") == (2, 1)
    assert at(text, "fruit", 0, "physical", "color") == (4, 1)
    assert at(text, "fruit", 0, "variety", 0, "name") == (6, 1)
    assert at(text, "fruit", 0, "variety", 1, "name") == (8, 1)
    assert at(text, "fruit", 1) == (9, 1)
    assert at(text, "fruit", 1, "name") == (10, 1)
    assert at(text, "fruit", 1, "variety", 0, "name") == (12, 1)
    assert at(text, "fruit", 1, "variety", 0, "unknown") == (11, 1)


def test_quoted_keys() -> None:
    text = (
        '"a.b" = 1\n'
        "'c=d' = 2\n"
        '"say \\"hi\\"" = 3\n'
        '"\\u00e9t\\u00e9" = 4\n'
        "[ \"x.y\" . 'z' ]\n"
        "k = 5\n"
        '"" = 6\n'
    )
    assert at(text, "a.b") == (1, 1)
    assert at(text, "a") == (None, None)  # "a.b" is one key, not a table a
    assert at(text, "c=d") == (2, 1)
    assert at(text, 'say "hi"') == (3, 1)
    assert at(text, "été") == (4, 1)
    assert at(text, "x.y", "z", "k") == (6, 1)
    assert at(text, "x.y", "z", "") == (7, 1)


def test_dotted_keys_and_the_tables_they_imply() -> None:
    text = "[store]\nsite.name = 'x'\nsite . 'zone.id' = 3\n"
    assert at(text, "store", "site", "name") == (2, 1)
    assert at(text, "store", "site", "zone.id") == (3, 1)
    assert at(text, "store", "site") == (2, 1)
    assert at(text, "store", "site", "other") == (2, 1)


def test_inline_tables_and_arrays_of_them() -> None:
    text = (
        "[schedule]\n"
        "point = { x = 1, y = { z = 2 } }\n"
        "cadences = [\n"
        "  { within_hours = 24, every_s = 30 },\n"
        "  # a comment = [ not a value\n"
        "  { within_hours = 168, every_s = 120 },\n"
        "]\n"
        "ids = [1, 2,\n  3]\n"
    )
    line2 = "point = { x = 1, y = { z = 2 } }"
    assert at(text, "schedule", "point", "x") == (2, line2.index("x =") + 1)
    assert at(text, "schedule", "point", "y", "z") == (2, line2.index("z =") + 1)
    assert at(text, "schedule", "cadences") == (3, 1)
    assert at(text, "schedule", "cadences", 0) == (4, 3)
    assert at(text, "schedule", "cadences", 0, "every_s") == (4, 24)
    assert at(text, "schedule", "cadences", 1, "every_s") == (6, 25)
    assert at(text, "schedule", "cadences", 2) == (3, 1)
    assert at(text, "schedule", "ids", 2) == (9, 3)


def test_comments_and_strings_are_never_structure() -> None:
    text = (
        "# [fake] = 1\n"
        "[real] # [fake2]\n"
        "a = 'x = [y' # b = 2\n"
        'c = "[not.a.table]"\n'
        "# d = 4\n"
        "e = 5#f=6\n"
    )
    loc = locate(text)
    assert at(text, "real", "a") == (3, 1)
    assert at(text, "real", "c") == (4, 1)
    assert at(text, "real", "e") == (6, 1)
    for ghost in [("fake",), ("fake2",), ("real", "b"), ("real", "d"), ("real", "f"), ("y",)]:
        assert ghost not in loc.where and ghost not in loc.implied


def test_multiline_strings_hide_what_looks_like_headers_and_keys() -> None:
    text = (
        'a = """\n[not_a_table]\nb = 1\n\\""" still inside"""\n'  # 1-4
        "c = '''\n[[nor_this]]\nd = 2\n''''\n"  # 5-8: content ends with one quote
        'e = """two quotes at the end"""""\n'  # 9
        "[after]\n"  # 10
        "f = 1\n"  # 11
    )
    loc = locate(text)
    assert at(text, "c") == (5, 1)
    assert at(text, "e") == (9, 1)
    assert at(text, "after", "f") == (11, 1)
    assert ("not_a_table",) not in loc.where
    assert ("nor_this",) not in loc.where and ("b",) not in loc.where


def test_other_values_dates_and_crlf_line_ends() -> None:
    text = "[x]\r\nwhen = 1979-05-27 07:32:00Z\r\nflag = true\r\nn = -1_000.5e3\r\n"
    assert at(text, "x", "when") == (2, 1)
    assert at(text, "x", "flag") == (3, 1)
    assert at(text, "x", "n") == (4, 1)


def test_columns_count_characters_not_bytes() -> None:
    text = "[x]\np = { \"é\" = 'ü', k = 2 }\n"
    assert at(text, "x", "p", "é") == (2, 7)
    assert at(text, "x", "p", "k") == (2, len("p = { \"é\" = 'ü', ") + 1)


def test_a_line_separator_inside_a_string_is_not_a_new_line() -> None:
    text = 'a = "x\u2028y"\nb = 2\n'  # str.splitlines() would count three lines
    assert at(text, "b") == (2, 1)


@pytest.mark.parametrize("text", ["a = ", "[a", 'a = "open', "= 1", "a = [1, }"])
def test_text_that_is_not_toml_never_raises(text: str) -> None:
    loc = Locator(text)  # keeps whatever it found before giving up
    assert loc(("a",)) in ((None, None), (1, 1))


def test_the_sandbox_config_is_located_line_by_line() -> None:
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "config" / "sandbox.toml"
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    loc = locate(text)
    data = tomllib.loads(text)

    def walk(value: object, keys: tuple[str, ...]) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                where = loc((*keys, k))
                assert where[0] is not None, (*keys, k)
                walk(v, (*keys, k))

    walk(data, ())
    line, col = loc(("tessitura", "base_url"))
    assert line is not None and col is not None
    assert lines[line - 1][col - 1 :].startswith("base_url")
