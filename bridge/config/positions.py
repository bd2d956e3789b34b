"""Where a key path sits in TOML text (line and column), so every config problem names its place.

:class:`Locator` scans text that :mod:`tomllib` has already accepted, keeping positions the parser
throws away. It knows ``[table]`` and ``[[array.of.tables]]`` headers (an array's items are
numbered from 0, as pydantic numbers them in an error's location), dotted and quoted keys, inline
tables, arrays and every kind of string, so that ``[`` or ``=`` inside a string or a comment is
never taken for structure. A path it does not know falls back to its longest known prefix; a
table only implied (``[a.b]`` implies ``a``) is used when ``a`` itself is never written.
"""

from __future__ import annotations

import bisect
import contextlib
from typing import Protocol

from bridge.errors import Problem

__all__ = ["At", "Locator", "Position"]

#: 1-based line and column (in characters), or (None, None) when not known.
Position = tuple[int | None, int | None]

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_ESCAPES = {
    "b": "\b",
    "t": "\t",
    "n": "\n",
    "f": "\f",
    "r": "\r",
    '"': '"',
    "\\": "\\",
    "e": "\x1b",
}


class At(Protocol):
    """Builds a Problem located at a key path of the config file."""

    def __call__(
        self,
        keys: tuple[str | int, ...],
        message: str,
        *,
        value: str | None = None,
        hint: str | None = None,
    ) -> Problem: ...


class Locator:
    """Line and column of every key, table and array item of a TOML document.

    ``locator(("mappings", "seat_tables", 12))`` is where that key is written; keys are compared
    as text, so ints (array indices, integer-like keys) and strings both work.
    """

    def __init__(self, text: str) -> None:
        self.where: dict[tuple[str, ...], tuple[int, int]] = {}
        self.implied: dict[tuple[str, ...], tuple[int, int]] = {}
        self._text = text
        self._starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        self._i = 0
        self._arrays: dict[tuple[str, ...], int] = {}  # array of tables -> items so far
        with contextlib.suppress(IndexError, ValueError):  # not TOML after all: keep what was found
            self._document()

    def __call__(self, keys: tuple[str | int, ...]) -> Position:
        path = tuple(str(k) for k in keys)
        while path:
            found = self.where.get(path) or self.implied.get(path)
            if found is not None:
                return found
            path = path[:-1]
        return None, None

    # ----------------------------------------------------------------------- positions

    def _pos(self, i: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, i)
        return line, i - self._starts[line - 1] + 1

    def _mark(self, path: tuple[str, ...], i: int) -> None:
        self.where.setdefault(path, self._pos(i))

    def _imply(self, path: tuple[str, ...], i: int) -> None:
        self.implied.setdefault(path, self._pos(i))

    # ----------------------------------------------------------------------- the scan

    def _peek(self, n: int = 1) -> str:
        return self._text[self._i : self._i + n]

    def _blank(self, *, newlines: bool = False) -> None:
        """Skip spaces and tabs, and comments; newlines too when asked."""
        text = self._text
        while self._i < len(text):
            ch = text[self._i]
            if ch in " \t" or (newlines and ch in "\r\n"):
                self._i += 1
            elif ch == "#":
                end = text.find("\n", self._i)
                self._i = len(text) if end < 0 else end
            else:
                return

    def _document(self) -> None:
        table: tuple[str, ...] = ()
        while True:
            self._blank(newlines=True)
            if self._i >= len(self._text):
                return
            start = self._i
            if self._peek(2) == "[[":
                self._i += 2
                keys = self._key()
                self._expect("]]")
                parent = self._resolve(keys[:-1], start)
                array = (*parent, keys[-1])
                n = self._arrays.get(array, 0)
                self._arrays[array] = n + 1
                self._mark(array, start)
                table = (*array, str(n))
                self._mark(table, start)
            elif self._peek() == "[":
                self._i += 1
                keys = self._key()
                self._expect("]")
                table = self._resolve(keys, start)
                self._mark(table, start)
            else:
                self._pair(table)

    def _resolve(self, keys: tuple[str, ...], start: int) -> tuple[str, ...]:
        """A header's path, with the current item of every array of tables along it."""
        path: tuple[str, ...] = ()
        for key in keys:
            path = (*path, key)
            if path in self._arrays:
                path = (*path, str(self._arrays[path] - 1))
            self._imply(path, start)
        return path

    def _expect(self, token: str) -> None:
        self._blank()
        if self._peek(len(token)) != token:
            raise ValueError(f"expected {token!r}")
        self._i += len(token)

    def _pair(self, table: tuple[str, ...]) -> None:
        """``key = value`` (the key maybe dotted), recorded below ``table``."""
        start = self._i
        keys = self._key()
        for n in range(1, len(keys)):
            self._imply((*table, *keys[:n]), start)
        path = (*table, *keys)
        self._mark(path, start)
        self._expect("=")
        self._blank()
        self._value(path)

    def _key(self) -> tuple[str, ...]:
        """A possibly dotted key; the scan stops after its last part."""
        parts: list[str] = []
        while True:
            self._blank()
            ch = self._peek()
            if ch == '"':
                parts.append(self._basic_string())
            elif ch == "'":
                parts.append(self._literal_string())
            else:
                begin = self._i
                while self._i < len(self._text) and self._text[self._i] in _BARE:
                    self._i += 1
                if self._i == begin:
                    raise ValueError("expected a key")
                parts.append(self._text[begin : self._i])
            self._blank()
            if self._peek() != ".":
                return tuple(parts)
            self._i += 1

    def _value(self, path: tuple[str, ...]) -> None:
        ch = self._peek()
        if ch == "{":
            self._i += 1
            while True:
                self._blank(newlines=True)
                if self._peek() == "}":
                    self._i += 1
                    return
                if self._peek() == ",":
                    self._i += 1
                    continue
                self._pair(path)
        elif ch == "[":
            self._i += 1
            index = 0
            while True:
                self._blank(newlines=True)
                if self._peek() == "]":
                    self._i += 1
                    return
                if self._peek() == ",":
                    self._i += 1
                    continue
                item = (*path, str(index))
                self._mark(item, self._i)
                self._value(item)
                index += 1
        elif ch in "\"'":
            self._string()
        else:  # a number, boolean or date-time: up to what may follow a value
            begin, text = self._i, self._text
            while self._i < len(text) and text[self._i] not in ",]}#\r\n":
                self._i += 1
            if self._i == begin:
                raise ValueError("expected a value")

    # ----------------------------------------------------------------------- strings

    def _string(self) -> None:
        if self._peek(3) == '"""':
            self._multiline('"""')
        elif self._peek(3) == "'''":
            self._multiline("'''")
        elif self._peek() == '"':
            self._basic_string()
        else:
            self._literal_string()

    def _multiline(self, quotes: str) -> None:
        text = self._text
        self._i += 3
        while True:
            ch = text[self._i]  # IndexError when unterminated
            if ch == "\\" and quotes == '"""':
                self._i += 2
            elif text.startswith(quotes, self._i):
                self._i += 3
                # up to two more quotes belong to the content: '''it's''''
                for _ in range(2):
                    if self._peek() == quotes[0]:
                        self._i += 1
                return
            else:
                self._i += 1

    def _literal_string(self) -> str:
        end = self._text.index("'", self._i + 1)
        value = self._text[self._i + 1 : end]
        self._i = end + 1
        return value

    def _basic_string(self) -> str:
        text = self._text
        self._i += 1
        out: list[str] = []
        while True:
            ch = text[self._i]
            if ch == '"':
                self._i += 1
                return "".join(out)
            if ch == "\\":
                code = text[self._i + 1]
                if code in "uU":
                    width = 4 if code == "u" else 8
                    out.append(chr(int(text[self._i + 2 : self._i + 2 + width], 16)))
                    self._i += 2 + width
                else:
                    out.append(_ESCAPES.get(code, code))
                    self._i += 2
            else:
                out.append(ch)
                self._i += 1
