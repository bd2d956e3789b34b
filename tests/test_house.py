"""The house rules a reviewer would otherwise check by hand: tests use public APIs only."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: private names of other libraries a test may use: a crash (os._exit), lxml's element type
ALLOWED = {("os", "_exit"), ("etree", "_Element")}  # lxml names its element type so


def test_no_test_touches_a_private_attribute_of_the_bridge() -> None:
    """``obj._x`` outside ``self``/``cls`` couples a test to internals: it breaks on a refactor
    that keeps the behaviour, and passes on one that breaks it. Drive the public API."""
    found: list[str] = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Attribute):
                continue
            name = node.attr
            if not name.startswith("_") or (name.startswith("__") and name.endswith("__")):
                continue
            owner = node.value.id if isinstance(node.value, ast.Name) else None
            if owner in ("self", "cls") or (owner, name) in ALLOWED:
                continue
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: .{name}")
    assert not found, "tests reach into private state:\n" + "\n".join(found)
