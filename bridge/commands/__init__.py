"""Command groups of the `seatbridge` CLI; each module exposes click commands added here.

Each command's module is imported only when the command is looked up (:class:`LazyGroup`): a run
of `seatbridge reconcile` imports neither the sandbox's web framework nor the daemon's, and a
cron-started pass pays only for what it runs. `seatbridge --help` lists every command, so it
imports them all.
"""

from __future__ import annotations

import importlib

import click

#: command name -> (module, attribute) of the click command, in the order of `seatbridge --help`
COMMANDS: dict[str, tuple[str, str]] = {
    "sandbox": ("bridge.commands.sandbox", "sandbox"),
    "demo": ("bridge.commands.demo", "demo"),
    "init": ("bridge.commands.init", "init"),
    "config": ("bridge.commands.config", "config"),
    "mappings": ("bridge.commands.mappings", "mappings"),
    "plan": ("bridge.commands.sync", "plan"),
    "reconcile": ("bridge.commands.sync", "reconcile_cmd"),
    "sync": ("bridge.commands.sync_now", "sync_now"),
    "status": ("bridge.commands.sync", "status"),
    "seasons": ("bridge.commands.seasons", "seasons"),
    "explain": ("bridge.commands.explain", "explain"),
    "history": ("bridge.commands.history", "history"),
    "run": ("bridge.commands.daemon", "run_daemon"),
}


class LazyGroup(click.Group):
    """A group whose commands (:data:`COMMANDS`) are imported when first looked up."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, attribute = COMMANDS[cmd_name]
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command) or command.name != cmd_name:
                raise TypeError(f"{module}.{attribute} is not the command {cmd_name!r}")
            self.add_command(command)
        return self.commands.get(cmd_name)
