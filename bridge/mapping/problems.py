"""Problems an operator can act on: where (file, line, column), what, the value found, what was
expected. Loaders collect every problem before failing, so one `config check` lists them all.

:class:`Problem` and :class:`InvalidConfigError` are defined in :mod:`bridge.errors` (the one
exception tree) and re-exported here, where the loaders have always found them."""

from __future__ import annotations

import os
from pathlib import Path

from bridge.errors import InvalidConfigError, Problem

__all__ = ["InvalidConfigError", "Problem", "display_path"]


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it, else absolute."""
    absolute = path.absolute()
    try:
        rel = os.path.relpath(absolute)
    except ValueError:  # another drive on Windows
        return str(absolute)
    return str(absolute) if rel.startswith("..") else rel
