"""Problems an operator can act on: where (file, line, column), what, the value found, what was
expected. Loaders collect every problem before failing, so one `config check` lists them all."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bridge.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a config file or mapping table.

    ``source`` is the file as the operator should see it (relative to the working directory when
    it is below it); ``line`` and ``column`` are 1-based (the column of a CSV cell is its field
    number). ``value`` is what was found (never a secret); ``hint`` says what was expected or
    where the first occurrence was.
    """

    source: str
    line: int | None
    column: int | None
    message: str
    value: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {self.message}"
        if self.value is not None:
            text += f" {self.value!r}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class InvalidConfigError(ConfigError):
    """The config or a mapping table has problems; ``problems`` lists every one, in file order."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the configuration"
        super().__init__("\n".join([head + ":", *(f"  {p}" for p in self.problems)]))


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it, else absolute."""
    absolute = path.absolute()
    try:
        rel = os.path.relpath(absolute)
    except ValueError:  # another drive on Windows
        return str(absolute)
    return str(absolute) if rel.startswith("..") else rel
