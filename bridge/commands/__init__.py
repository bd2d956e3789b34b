"""Command groups of the `seatbridge` CLI; each module exposes click commands added here."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Add every command group to ``main`` (imports are local so `--help` stays fast)."""
    from bridge.commands import demo, sandbox

    main.add_command(sandbox.sandbox)
    main.add_command(demo.demo)
