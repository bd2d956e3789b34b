"""The `seatbridge` command: a thin door onto library calls. Each command group lives in
``bridge/commands/``; this module only assembles them, and guards the door:

- a usage error (unknown option, a value of the wrong type, a missing argument) exits with
  :data:`EX_USAGE` (64, sysexits' EX_USAGE) for every command, never click's 2, which `plan`
  uses for "changes pending";
- an error no command handled is one line on stderr and exit 1, never a traceback (set
  ``SEATBRIDGE_DEBUG=1`` to get it); secrets are masked (:func:`bridge.config.redact`);
- output piped into a reader that leaves early (`| head -1`) exits 0, quietly
  (:mod:`bridge.commands.pipes`; `plan` and `reconcile` keep their own code).
"""

from __future__ import annotations

import errno
import os
from typing import IO, Any

import click

from bridge.commands import LazyGroup
from bridge.commands.pipes import flush_stdout, reader_left
from bridge.commands.render import echo

#: Exit status of a command line click cannot parse (BSD sysexits.h EX_USAGE).
EX_USAGE = 64
#: Exit status of an error: the same as a command's own "1 error".
EX_ERROR = 1
#: Set to 1 to let an unexpected exception's traceback through.
DEBUG_ENV = "SEATBRIDGE_DEBUG"


def _debug() -> bool:
    return os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no")


def _one_line(text: str, limit: int = 500) -> str:
    from bridge.config import redact

    flat = " ".join(redact(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


class UsageExit(click.ClickException):
    """A click usage error, shown as click shows it, exiting with :data:`EX_USAGE`."""

    exit_code = EX_USAGE

    def __init__(self, original: click.UsageError) -> None:
        super().__init__(original.format_message())
        self.original = original

    def show(self, file: IO[Any] | None = None) -> None:
        self.original.show(file)


class SeatbridgeGroup(LazyGroup):
    """The top-level group: usage errors exit 64, unexpected errors print one line and exit 1."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            raise UsageExit(exc) from exc

    def main(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().main(*args, **kwargs)
        finally:  # a reader gone before the exit's flush: no "Exception ignored", no exit 120
            flush_stdout()

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:  # sub-commands' parsing, and their own UsageErrors
            raise UsageExit(exc) from exc
        except (click.ClickException, click.exceptions.Exit, click.Abort, EOFError):
            raise  # click's own ways out: it prints them and exits with their code
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # `seatbridge demo | head -1`: the reader has its lines
                reader_left()
                ctx.exit(0)
            _unexpected(ctx, exc)
        except Exception as exc:
            _unexpected(ctx, exc)


def _unexpected(ctx: click.Context, exc: Exception) -> None:
    """One line on stderr and exit 1; the traceback only with SEATBRIDGE_DEBUG=1."""
    if _debug():
        raise exc
    from bridge.commands.config import report_problems
    from bridge.errors import BridgeError, InvalidConfigError

    if isinstance(exc, InvalidConfigError):  # files to fix: one file:line:col line each
        report_problems(exc)
    elif isinstance(exc, BridgeError):  # a store, config or vendor failure left uncaught
        echo(f"error: {_one_line(str(exc))}", err=True)
    else:
        echo(
            f"error: unexpected {type(exc).__name__}: {_one_line(str(exc))}; "
            f"rerun with {DEBUG_ENV}=1 for the traceback",
            err=True,
        )
    ctx.exit(EX_ERROR)


@click.group(cls=SeatbridgeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    package_name="seatbridge", prog_name="seatbridge"
)  # not argv[0]: `python -m bridge` too
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error", "critical"], case_sensitive=False),
    help="Log level for this run; wins over the config's [log] level.",
)
@click.option(
    "--log-format",
    type=click.Choice(["auto", "console", "json"]),
    help="Log lines as JSON objects, for people, or auto (JSON unless on a terminal); wins over\n    the config's [log] format.",
)
def main(log_level: str | None, log_format: str | None) -> None:
    """Keep seats.io seating charts in step with Tessitura seat holds.

    \b
    Exit codes (every command):
      0   success (plan: nothing to do; reconcile: converged)
      1   error: a failed run, a refused mass release, a bad config (stderr says what)
      2   plan: changes pending; mappings seats: table written with findings
      3   reconcile: converged except for conflicts
      64  usage error: an unknown option, a bad value, a missing argument
      75  run --no-standby: another daemon is active on the store (EX_TEMPFAIL: try later)
    """
    from bridge import collector
    from bridge.logs import override

    override(log_level, log_format)
    collector.tune()


if __name__ == "__main__":  # pragma: no cover
    main()
