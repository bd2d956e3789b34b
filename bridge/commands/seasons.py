"""`seatbridge seasons sync`: build in seats.io the seasons and events the Tessitura performances
need (the seasons table, ``[mappings] seasons``), and report what it will not touch.

Exit codes follow `plan`: 0 nothing to do (or everything done), 2 calls pending (--dry-run only),
1 an error (a failed call, an ERROR finding, a bad config), 64 a usage error.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click

from bridge.commands.config import config_option, load_or_exit, report_problems
from bridge.commands.render import echo
from bridge.config import redact
from bridge.errors import BridgeError, ConfigError
from bridge.logs import configure
from bridge.provision.plan import ProvisionPlan
from bridge.provision.sync import CallResult, apply, plan_for
from bridge.runtime import seatsio_client, tessitura_client

EXIT_OK, EXIT_ERROR, EXIT_PENDING = 0, 1, 2


@click.group()
def seasons() -> None:
    """The seats.io seasons and events the bridge builds from the seasons table."""


def _run(config_path: Path, dry_run: bool) -> tuple[ProvisionPlan, list[CallResult]]:
    cfg = load_or_exit(config_path)
    configure(cfg.log.level, cfg.log.format)
    if cfg.mappings.seasons is None:
        echo(
            "error: no seasons table: set [mappings] seasons = 'seasons.csv' "
            "(see docs/configuration.md)",
            err=True,
        )
        sys.exit(EXIT_ERROR)

    async def go() -> tuple[ProvisionPlan, list[CallResult]]:
        async with tessitura_client(cfg) as tess, seatsio_client(cfg) as sio:
            plan = await plan_for(cfg, tess, sio)
            results = [] if dry_run else await apply(sio, plan.calls)
            return plan, results

    try:
        return asyncio.run(go())
    except ConfigError as exc:
        report_problems(exc)
        sys.exit(EXIT_ERROR)
    except BridgeError as exc:
        echo(f"error: {redact(str(exc))}", err=True)
        sys.exit(EXIT_ERROR)


@seasons.command()
@config_option
@click.option("--dry-run", is_flag=True, help="Print each call it would make; make none.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def sync(config_path: Path, dry_run: bool, as_json: bool) -> None:
    """Create the missing seasons and events, update changed season settings.

    \b
    Never deletes or moves: an event outside its season, a performance removed
    from its season or cancelled are reported.
    Exit codes:
      0   nothing to do, or every call made
      2   --dry-run only: calls pending
      1   error: a call failed, an ERROR finding, a bad config
      64  usage error
    """
    plan, results = _run(config_path, dry_run)
    failed = [r for r in results if r.error is not None]
    if as_json:
        data = plan.to_json()
        data["dry_run"] = dry_run
        data["results"] = [
            {"request": r.call.describe(), "error": r.error and redact(r.error)} for r in results
        ]
        echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        for f in plan.findings:
            echo(f"{f.level.value}: {f.message}")
        if plan.is_empty:
            echo("Nothing to do: seats.io has every season and event.")
        elif dry_run:
            echo(f"Would make {len(plan.calls)} call(s):")
            for call in plan.calls:
                echo(f"  {call.describe()}")
        else:
            for r in results:
                mark = "failed" if r.error else "done"
                echo(f"{mark:7}{r.call.describe()}")
                if r.error:
                    echo(f"       error: {redact(r.error)}")
    if failed or plan.failed:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_PENDING if dry_run and not plan.is_empty else EXIT_OK)
