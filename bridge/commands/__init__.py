"""Command groups of the `seatbridge` CLI; each module exposes click commands added here."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Add every command group to ``main`` (imports are local so `--help` stays fast)."""
    from bridge.commands import demo, sandbox

    main.add_command(sandbox.sandbox)
    main.add_command(demo.demo)

    from bridge.commands import config, mappings

    main.add_command(config.config)
    main.add_command(mappings.mappings)

    from bridge.commands import sync

    main.add_command(sync.plan)
    main.add_command(sync.reconcile_cmd)
    main.add_command(sync.status)

    from bridge.commands import seasons

    main.add_command(seasons.seasons)

    from bridge.commands import explain, history

    main.add_command(explain.explain)
    main.add_command(history.history)

    from bridge.commands import daemon

    main.add_command(daemon.run_daemon)
