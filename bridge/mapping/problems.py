"""Problems an operator can act on: where (file, line, column), what, the value found, what was
expected. Loaders collect every problem before failing, so one `config check` lists them all.

:class:`Problem` and :class:`InvalidConfigError` live in :mod:`bridge.errors` (the one exception
tree); this module only says where a problem is."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "display_path",
]


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it, else absolute."""
    absolute = path.absolute()
    try:
        rel = os.path.relpath(absolute)
    except ValueError:  # another drive on Windows
        return str(absolute)
    return str(absolute) if rel.startswith("..") else rel
