"""`seatbridge plan`, `seatbridge reconcile` and `seatbridge status`: thin doors onto
:func:`bridge.reconcile.run.reconcile` and the store.

Exit codes (Terraform's ``-detailed-exitcode`` style, for scripts):
plan: 0 nothing to do, 2 changes pending, 1 error. reconcile: 0 converged, 3 converged except for
conflicts, 1 errors (or a mass release refused: rerun with --force if it is meant).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress

from bridge.commands.config import config_option, load_or_exit, report_problems
from bridge.commands.render import print_plan, print_report, status_table
from bridge.errors import BridgeError, ConfigError
from bridge.logs import configure
from bridge.reconcile.run import RunReport, discover, reconcile, units_of
from bridge.runtime import Runtime, connect
from bridge.store import open_store

EXIT_OK, EXIT_ERROR, EXIT_PENDING, EXIT_CONFLICTS = 0, 1, 2, 3

performance_option = click.option(
    "--performance",
    "performances",
    type=int,
    multiple=True,
    metavar="ID",
    help="A Tessitura performance id (repeatable). A season's performances travel together.",
)
all_option = click.option(
    "--all", "all_", is_flag=True, help="Every performance in the tables or found by discovery."
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")


async def _selected(rt: Runtime, performances: tuple[int, ...], all_: bool) -> list[int]:
    if all_:
        return sorted(set(await discover(rt.cfg, rt.tessitura)) | set(performances))
    return sorted(set(performances))


#: Above this many units (a performance, or a season), reconcile shows a progress bar.
PROGRESS_FROM = 4


def _run(
    config_path: Path,
    performances: tuple[int, ...],
    all_: bool,
    *,
    apply: bool,
    force: bool,
    progress: bool = False,
) -> RunReport:
    if not performances and not all_:
        # exit 1, not click's usage code 2: for `plan`, 2 means "changes pending"
        raise click.ClickException("give --performance ID (repeatable) or --all")
    cfg = load_or_exit(config_path)
    configure(cfg.log.level if cfg.log.level != "debug" else "debug", "console")

    async def go() -> RunReport:
        async with connect(cfg) as rt:
            ids = await _selected(rt, performances, all_)
            units = len(units_of(ids, cfg.tables))
            if not progress or units < PROGRESS_FROM:
                return await reconcile(
                    cfg, rt.tessitura, rt.seatsio, rt.store, ids, apply=apply, force=force
                )
            with Progress(transient=True, console=Console(stderr=True)) as bar:
                task = bar.add_task("reconciling", total=units)
                return await reconcile(
                    cfg,
                    rt.tessitura,
                    rt.seatsio,
                    rt.store,
                    ids,
                    apply=apply,
                    force=force,
                    on_unit_done=lambda _result, _total: bar.advance(task),
                )

    try:
        return asyncio.run(go())
    except ConfigError as exc:
        report_problems(exc)
        sys.exit(EXIT_ERROR)
    except BridgeError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_ERROR)


def _report_json(report: RunReport) -> dict[str, object]:
    out: dict[str, object] = dict(report.plan.to_json())
    out["errors"] = report.errors
    out["units"] = [
        {
            "performance_ids": list(u.performance_ids),
            "applied": None
            if u.outcome is None
            else {s: u.outcome.count(s) for s in ("done", "failed", "unknown", "skipped")},
            "errors": [str(e) for e in u.errors],
        }
        for u in report.units
    ]
    return out


@click.command()
@config_option
@performance_option
@all_option
@json_option
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Also save the plan as JSON."
)
def plan(
    config_path: Path, performances: tuple[int, ...], all_: bool, as_json: bool, out: Path | None
) -> None:
    """Dry run: what reconcile would change. Exit 0 nothing to do, 2 changes pending, 1 error."""
    report = _run(config_path, performances, all_, apply=False, force=False)
    data = _report_json(report)
    if out is not None:
        out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    if as_json:
        click.echo(json.dumps(data, indent=2))
    else:
        console = Console()
        print_plan(console, report.plan)
        for error in report.errors:
            console.print(f"[red]error[/red] {error}")
    if report.errors:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_OK if report.plan.is_empty else EXIT_PENDING)


@click.command(name="reconcile")
@config_option
@performance_option
@all_option
@json_option
@click.option("--dry-run", is_flag=True, help="Plan only, like `seatbridge plan`.")
@click.option("--force", is_flag=True, help="Apply even a plan the mass-release guard refuses.")
def reconcile_cmd(
    config_path: Path,
    performances: tuple[int, ...],
    all_: bool,
    as_json: bool,
    dry_run: bool,
    force: bool,
) -> None:
    """Plan and apply now. Exit 0 converged, 3 converged except for conflicts, 1 errors."""
    report = _run(
        config_path, performances, all_, apply=not dry_run, force=force, progress=not as_json
    )
    if as_json:
        click.echo(json.dumps(_report_json(report), indent=2))
    else:
        print_report(Console(), report)
    if report.errors or report.refused:
        sys.exit(EXIT_ERROR)
    if dry_run and not report.plan.is_empty:
        sys.exit(EXIT_PENDING)
    sys.exit(EXIT_CONFLICTS if report.conflicts else EXIT_OK)


@click.command()
@config_option
@json_option
def status(config_path: Path, as_json: bool) -> None:
    """Last sync, drift, conflicts and errors per performance (from the state store)."""
    cfg = load_or_exit(config_path, require_secrets=False)
    with open_store(cfg.store.path) as store:
        statuses = store.performance_statuses()
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "performance_id": s.performance_id,
                        "event_key": s.event_key,
                        "last_sync": s.last_sync.isoformat(),
                        "outcome": s.outcome.value,
                        "drift": s.drift,
                        "conflicts": s.conflicts,
                        "errors": s.errors,
                        "last_error": s.last_error,
                    }
                    for s in statuses
                ],
                indent=2,
            )
        )
    elif not statuses:
        click.echo("No performance has been reconciled yet.")
    else:
        Console().print(status_table(statuses))
