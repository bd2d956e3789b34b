"""`seatbridge run`: the daemon, the way most installations keep their venue in sync."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from bridge.commands.config import config_option, load_or_exit
from bridge.logs import configure


@click.command(name="run")
@config_option
@click.option(
    "--no-standby",
    is_flag=True,
    help="Exit (status 75) instead of standing by when another daemon is active on the store.",
)
def run_daemon(config_path: Path, no_standby: bool) -> None:
    """Run the daemon: discover performances, keep each unit in sync on its cadence, reload the
    config when it changes (or on SIGHUP), serve /healthz, /readyz, /metrics and /status on
    `[http] listen`. SIGTERM or SIGINT stops it cleanly (a second one at once).

    \b
    Exit codes:
      0   stopped by SIGTERM or SIGINT
      1   an invalid config or store at start, or the daemon lost its role or store
      64  usage error
      75  --no-standby and another daemon is active on the store (EX_TEMPFAIL)
    """
    from bridge.daemon.service import Daemon
    from bridge.runtime import process_clock

    # an invalid config exits 1 here, before the daemon could ever tell systemd it is ready
    cfg = load_or_exit(config_path)
    configure(cfg.log.level, cfg.log.format)
    clock = process_clock(cfg)  # the machine's; shifted only by a test's [testing] settings
    code = asyncio.run(Daemon(config_path, cfg, standby=not no_standby, clock=clock).run())
    sys.exit(code)
