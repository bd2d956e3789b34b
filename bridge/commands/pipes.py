"""Output piped into a reader that leaves early (`seatbridge status | head -1`): the reader has
what it wanted, so that is no error and no traceback. Later writes, and the flush at exit, go to
/dev/null instead of raising again."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
from collections.abc import Iterator

import rich.console


def reader_left() -> None:
    """Point stdout at /dev/null: its reader is gone."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        return  # not a real file (a test's capture): nothing to quiet
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def flush_stdout() -> None:
    """Flush stdout now, so a reader gone before the exit's own flush is noticed here."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        reader_left()
    except (OSError, ValueError):
        pass


@contextlib.contextmanager
def reader_may_leave() -> Iterator[None]:
    """Print in here: a reader gone mid-way ends the printing, not the command, which still
    exits with its own code (a plan's 2 stays 2)."""
    try:
        yield
        flush_stdout()
    except BrokenPipeError:
        reader_left()


class Console(rich.console.Console):
    """rich's console, but a reader gone is a :class:`BrokenPipeError` the CLI handles (exit 0,
    or the command's own code), not rich's ``SystemExit(1)``."""

    def on_broken_pipe(self) -> None:
        reader_left()
        raise BrokenPipeError(errno.EPIPE, "the reader of stdout has gone")
