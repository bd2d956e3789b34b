"""A season's categories side file (the seasons table's ``categories`` column), TOML or JSON::

    [[categories]]                      # event-level categories (seats.io ``categories``)
    key = "wheelchair-plus"
    label = "Wheelchair +1"
    color = "#1E90FF"
    accessible = true                   # optional

    [object_categories]                 # object label -> a key above (``objectCategories``)
    "Orchestra-A-1" = "wheelchair-plus"

    [not_for_sale]                      # optional: the initial ``forSaleConfig``, creation only
    objects = ["Box-1"]
    categories = ["wheelchair-plus"]    # category keys or labels (the chart's too)

    no_categories = true                # instead of [[categories]]: the season has none, on purpose

The file manages both ``categories`` and ``objectCategories``: what it does not list is cleared.
So an empty file, or one with no category, is refused (it would wipe a live season's categories):
a season meant to have none says ``no_categories = true`` (JSON ``"no_categories": true``).
Syntax errors carry the parser's line and column; other problems the line and column of the first
occurrence of the value in the file, when it can be found.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

from bridge.errors import Problem
from bridge.mapping.model import SeasonCategories, SeasonCategory
from bridge.mapping.problems import display_path

_COLOR = re.compile(r"#(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})")
_TOP = ("categories", "object_categories", "not_for_sale", "no_categories")
_CATEGORY_FIELDS = ("key", "label", "color", "accessible")
_NOT_FOR_SALE_FIELDS = ("objects", "categories")
_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


class _File:
    def __init__(self, source: str, text: str, problems: list[Problem]) -> None:
        self.source = source
        self.text = text
        self.problems = problems
        self.ok = True

    def where(
        self, token: str, field: str | None = None, nth: int = 1
    ) -> tuple[int | None, int | None]:
        """Line and column of the ``nth`` quoted or bare ``token`` in the file, as the value of
        ``field`` when given (None: not found)."""
        quoted = "|".join(re.escape(q) for q in (json.dumps(token), f"'{token}'"))
        alternatives = [f"(?:{quoted})", re.escape(token)]
        if field is not None:
            alternatives = [rf"""["']?{re.escape(field)}["']?\s*[=:]\s*(?:{quoted})"""]
        for pattern in alternatives:
            hits = list(re.finditer(pattern, self.text))
            if len(hits) >= nth:
                at = hits[nth - 1].start()
                line = self.text.count("\n", 0, at) + 1
                return line, at - (self.text.rfind("\n", 0, at) + 1) + 1
        return None, None

    def problem(
        self,
        token: str | None,
        message: str,
        value: str | None = None,
        hint: str | None = None,
        *,
        field: str | None = None,
        nth: int = 1,
    ) -> None:
        line, col = self.where(token, field, nth) if token else (None, None)
        if line is None and token and field is not None:
            line, col = self.where(token)
        self.problems.append(Problem(self.source, line, col, message, value, hint))
        self.ok = False

    def unknown_fields(self, table: dict[str, Any], known: tuple[str, ...], what: str) -> None:
        for name in table:
            if name not in known:
                self.problem(name, f"unknown field in {what}", name, f"expected {', '.join(known)}")


def read_season_categories(path: Path, problems: list[Problem]) -> SeasonCategories | None:
    """Read and check one side file; None after appending its problems to ``problems``."""
    source = display_path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        problems.append(Problem(source, None, None, f"cannot read categories file: {exc.strerror}"))
        return None
    except UnicodeDecodeError as exc:
        problems.append(Problem(source, None, None, f"not UTF-8 text: {exc.reason}"))
        return None
    data = _parse(path, source, text, problems)
    if data is None:
        return None
    f = _File(source, text, problems)
    if not isinstance(data, dict):
        f.problem(None, "a categories file must be a table (an object in JSON)")
        return None
    if not data:
        f.problem(None, "the categories file is empty", hint=_NONE_HINT)
        return None
    f.unknown_fields(data, _TOP, "the categories file")
    categories = _categories(f, data.get("categories", []))
    keys = {c.key for c in categories}
    objects = _object_categories(f, data.get("object_categories", {}), keys)
    not_objects, not_categories = _not_for_sale(f, data.get("not_for_sale", {}))
    none = _no_categories(f, data, had_categories=bool(data.get("categories")))
    if not f.ok:
        return None
    return SeasonCategories(categories, objects, not_objects, not_categories, no_categories=none)


_NONE_HINT = (
    "list the season's [[categories]], or write no_categories = true to clear them on purpose"
)


def _no_categories(f: _File, data: dict[str, Any], *, had_categories: bool) -> bool:
    """Whether the file says, explicitly, that the season has no categories. A file that lists
    none without saying so is a problem: sent as is, it would clear a live season's."""
    none: object = data.get("no_categories", False)
    if not isinstance(none, bool):
        f.problem("no_categories", "no_categories must be true or false", _show(none))
        return False
    if none and had_categories:
        f.problem(
            "no_categories",
            "no_categories = true, yet the file lists categories",
            hint="keep one of the two",
        )
    elif not none and not had_categories:
        token = "categories" if "categories" in data else None
        f.problem(token, "the categories file lists no category", hint=_NONE_HINT)
    return none


def _parse(path: Path, source: str, text: str, problems: list[Problem]) -> object | None:
    suffix = path.suffix.casefold()
    if suffix == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            message = str(exc)
            m = _TOML_AT.search(message)
            line, col = (int(m.group(1)), int(m.group(2))) if m else (None, None)
            problems.append(
                Problem(source, line, col, f"malformed TOML: {_TOML_AT.sub('', message)}")
            )
            return None
    if suffix == ".json":
        try:
            data: object = json.loads(text)
        except json.JSONDecodeError as exc:
            problems.append(Problem(source, exc.lineno, exc.colno, f"malformed JSON: {exc.msg}"))
            return None
        return data
    problems.append(
        Problem(
            source, None, None, "unknown categories file type", path.suffix, "use .toml or .json"
        )
    )
    return None


def _categories(f: _File, raw: object) -> tuple[SeasonCategory, ...]:
    if not isinstance(raw, list):
        f.problem("categories", "categories must be a list of {key, label, color, accessible}")
        return ()
    out: list[SeasonCategory] = []
    seen: dict[str, int] = {}  # key -> how many categories used it so far
    for item in raw:
        if not isinstance(item, dict):
            f.problem("categories", "a category must be a table with key, label and color")
            continue
        f.unknown_fields(item, _CATEGORY_FIELDS, "a category")
        category = _category(f, item, seen)
        if category is not None:
            out.append(category)
    return tuple(out)


def _category(f: _File, item: dict[str, Any], seen: dict[str, int]) -> SeasonCategory | None:
    """One category, problems located at its ``key`` (the nth use of that key)."""
    key, label, color = item.get("key"), item.get("label"), item.get("color")
    accessible = item.get("accessible")
    nth = 1
    anchor: tuple[str, str | None] = ("categories", None)
    if isinstance(key, str) and key:
        nth = seen[key] = seen.get(key, 0) + 1
        anchor = (key, "key")
    problems: list[tuple[str, str, str | None]] = []
    for name, value in (("key", key), ("label", label), ("color", color)):
        if not isinstance(value, str) or not value.strip():
            problems.append((f"a category needs a non-empty text {name}", _show(value), None))
    if isinstance(color, str) and color and not _COLOR.fullmatch(color):
        problems.append(("malformed category color", color, "expected #RGB or #RRGGBB"))
    if accessible is not None and not isinstance(accessible, bool):
        problems.append(("category accessible must be true or false", _show(accessible), None))
    if nth > 1:
        problems.append(("category key defined twice", str(key), None))
    for message, value, hint in problems:
        f.problem(anchor[0], message, value, hint, field=anchor[1], nth=nth)
    if problems or not (isinstance(key, str) and isinstance(label, str) and isinstance(color, str)):
        return None
    return SeasonCategory(key, label, color, accessible)


def _object_categories(f: _File, raw: object, keys: set[str]) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, dict):
        f.problem("object_categories", "object_categories must map object labels to category keys")
        return ()
    out: list[tuple[str, str]] = []
    for label, key in raw.items():
        if not isinstance(key, str) or key not in keys:
            f.problem(
                label,
                f"unknown category key for object {label!r}",
                _show(key),
                "expected one of the file's categories: " + (", ".join(sorted(keys)) or "none"),
            )
            continue
        out.append((label, key))
    return tuple(sorted(out))


def _not_for_sale(f: _File, raw: object) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if not isinstance(raw, dict):
        f.problem("not_for_sale", "not_for_sale must be a table with objects and categories")
        return (), ()
    f.unknown_fields(raw, _NOT_FOR_SALE_FIELDS, "not_for_sale")
    lists: list[tuple[str, ...]] = []
    for name in _NOT_FOR_SALE_FIELDS:
        value = raw.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            f.problem(name, f"not_for_sale {name} must be a list of texts", _show(value))
            lists.append(())
        else:
            lists.append(tuple(value))
    return lists[0], lists[1]


def _show(value: object) -> str:
    return json.dumps(value) if not isinstance(value, str) else value
