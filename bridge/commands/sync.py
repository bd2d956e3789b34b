"""`seatbridge plan`, `seatbridge reconcile` and `seatbridge status`: thin doors onto
:func:`bridge.reconcile.run.reconcile` and the store.

Exit codes (Terraform's ``-detailed-exitcode`` style, for scripts):
plan: 0 nothing to do, 2 changes pending, 1 error. reconcile: 0 converged, 3 converged except for
conflicts, 1 errors (or a mass release refused: rerun with --force if it is meant). For both, 1
wins: any unit error, ERROR finding or refused mass release makes the run a failure, whatever else
it planned. 64: a usage error (bad option or value; see bridge/cli.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import click
from rich.progress import Progress

from bridge.clock import SYSTEM
from bridge.commands.config import config_option, load_or_exit, report_problems
from bridge.commands.pipes import reader_may_leave
from bridge.commands.render import (
    daemon_lines,
    echo,
    lease_lines,
    next_runs_text,
    print_plan,
    print_report,
    print_troubles,
    status_error_lines,
    status_table,
    terminal,
    writeback_lines,
)
from bridge.config import redact
from bridge.core.outcome import Ending, RunReport
from bridge.errors import BridgeError, ConfigError
from bridge.logs import configure
from bridge.reconcile.discovery import discover
from bridge.reconcile.leases import lease_states
from bridge.reconcile.run import Reconciler, units_of
from bridge.runtime import Runtime, connect, process_clock, state_store

EXIT_OK, EXIT_ERROR, EXIT_PENDING, EXIT_CONFLICTS = 0, 1, 2, 3
#: A usage error (sysexits' EX_USAGE, as bridge/cli.py gives click's own).
EXIT_USAGE = 64


class OneLineUsage(click.ClickException):
    """A usage error this module finds itself: one line, exit 64 (click's would print the
    usage too, and its exit 2 is `plan`'s "changes pending")."""

    exit_code = EXIT_USAGE


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


def _one_selection(performances: tuple[int, ...], all_: bool) -> None:
    """Exactly one of --performance and --all: both would hide which one the operator meant."""
    if bool(performances) == all_:
        raise OneLineUsage("give --performance ID (repeatable) or --all, not both")


async def _selected(
    rt: Runtime, performances: tuple[int, ...], all_: bool, reconciler: Reconciler
) -> list[int]:
    if all_:
        found = await discover(
            rt.cfg.tables,
            rt.cfg.discovery,
            rt.tessitura,
            clock=rt.clock,
            on_found=reconciler.notice_search,  # a performance that moved facility is read again
        )
        return sorted(set(found) | set(performances))
    return sorted(set(performances))


#: Above this many units (a performance, or a season), reconcile shows a progress bar.
PROGRESS_FROM = 4


async def _until_signalled(run: Coroutine[Any, Any, RunReport], received: list[int]) -> RunReport:
    """Await ``run``, cancelling it on the first SIGTERM or SIGINT (the signal goes to
    ``received``): the cancellation unwinds every unit, each releasing its leases while the store
    is still open; the operations left in flight are settled by the next run, as after a crash."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None

    def on_signal(signum: int) -> None:
        if not received:
            received.append(signum)
            task.cancel()

    installed: list[signal.Signals] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, on_signal, int(sig))
        except (NotImplementedError, RuntimeError, ValueError):
            continue  # not the main thread, or no such support (Windows)
        installed.append(sig)
    try:
        return await run
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def _run(
    config_path: Path,
    performances: tuple[int, ...],
    all_: bool,
    *,
    apply: bool,
    force: bool,
    progress: bool = False,
) -> RunReport:
    _one_selection(performances, all_)
    cfg = load_or_exit(config_path)
    configure(cfg.log.level, cfg.log.format)

    async def go() -> RunReport:
        async with connect(cfg, clock=process_clock(cfg)) as rt:
            reconciler = rt.reconciler(force=force)
            ids = await _selected(rt, performances, all_, reconciler)
            units = len(units_of(ids, cfg.tables))
            if not progress or units < PROGRESS_FROM:
                return await reconciler.reconcile(ids, apply=apply)
            err = terminal(stderr=True)
            with Progress(transient=True, console=err, disable=not err.is_terminal) as bar:
                task = bar.add_task("reconciling", total=units)
                return await reconciler.reconcile(
                    ids,
                    apply=apply,
                    on_unit_done=lambda _result, _total: bar.advance(task),
                )

    received: list[int] = []
    try:
        return asyncio.run(_until_signalled(go(), received))
    except asyncio.CancelledError:
        name = signal.Signals(received[0]).name if received else "a cancellation"
        echo(
            f"error: interrupted by {name}: stopped, leases released; "
            "the next run settles what was in flight",
            err=True,
        )
        sys.exit(EXIT_ERROR)
    except ConfigError as exc:
        report_problems(exc)
        sys.exit(EXIT_ERROR)
    except BridgeError as exc:
        echo(f"error: {redact(str(exc))}", err=True)
        sys.exit(EXIT_ERROR)


def reconcile_once(config_path: Path, performance: int) -> RunReport:
    """`seatbridge reconcile --performance ID`'s pass (not forced): what `seatbridge sync` falls
    back to when no daemon can run the performance."""
    return _run(config_path, (performance,), False, apply=True, force=False, progress=True)


def exit_code(report: RunReport) -> int:
    """The exit code of `plan` and `reconcile`, read off the pass's one ending
    (:class:`bridge.core.outcome.Ending`): 1 wins over 2 and 3."""
    if report.failed:
        return EXIT_ERROR
    ending = report.ending
    if ending is Ending.PENDING:
        return EXIT_PENDING
    return EXIT_CONFLICTS if ending is Ending.CONFLICTS else EXIT_OK


def _writable_or_exit(out: Path) -> None:
    """Refuse, before the run, an --out file that could not be written (a missing folder, no
    permission): a plan that took minutes to compute is never computed only to be lost."""
    folder = out.parent
    problem = None
    if not folder.is_dir():
        problem = f"no such folder {str(folder)!r} (create it first)"
    elif not os.access(folder, os.W_OK | os.X_OK) or (out.exists() and not os.access(out, os.W_OK)):
        problem = "not writable"
    if problem:
        echo(f"error: --out {str(out)!r}: {problem}", err=True)
        sys.exit(EXIT_ERROR)


def _report_json(report: RunReport) -> dict[str, object]:
    out: dict[str, object] = dict(report.plan.to_json())
    out["errors"] = report.errors
    out["ending"] = report.ending.value
    out["units"] = [
        {
            "performance_ids": list(u.performance_ids),
            "ending": u.ending.value,
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
    """Dry run: what reconcile would change, per event, and every finding.

    \b
    Exit codes:
      0   nothing to do (conflicts, if any, are listed: only the box office resolves them)
      2   changes pending (and nothing failed)
      1   error: a performance could not be read or planned, an ERROR finding, a
          mass release refused, a bad config, an --out file that cannot be written
      64  usage error
    """
    _one_selection(performances, all_)
    if out is not None:
        _writable_or_exit(out)
    report = _run(config_path, performances, all_, apply=False, force=False)
    data = _report_json(report)
    bad = report.failed
    with reader_may_leave():  # `plan | head`: the plan's own exit code still stands
        if as_json:
            echo(json.dumps(data, indent=2))
        else:
            console = terminal()
            print_plan(console, report.plan, failed=bad)
            print_troubles(console, report, notes=False)
    if out is not None:
        try:
            out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            echo(f"error: --out {str(out)!r}: {exc.strerror or exc}", err=True)
            sys.exit(EXIT_ERROR)
    # a plan's conflicts alone are nothing to do: 0, not reconcile's 3
    code = exit_code(report)
    sys.exit(EXIT_OK if code == EXIT_CONFLICTS else code)


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
    """Plan and apply now.

    \b
    Exit codes:
      0   converged
      3   converged except for conflicts (holds on seats sold online)
      2   --dry-run only: changes pending
      1   error: a unit error, an ERROR finding, a failed or unknown operation,
          a mass release refused (rerun with --force if it is meant), a bad config
      64  usage error
    """
    report = _run(
        config_path, performances, all_, apply=not dry_run, force=force, progress=not as_json
    )
    with reader_may_leave():  # `reconcile | head`: the run's own exit code still stands
        if as_json:
            echo(json.dumps(_report_json(report), indent=2))
        else:
            print_report(terminal(), report)
    sys.exit(exit_code(report))


@click.command()
@config_option
@json_option
def status(config_path: Path, as_json: bool) -> None:
    """Last sync, drift, conflicts and errors per performance (from the state store), and what is
    not over: a performance leased by a run (stale when that process is dead), a run interrupted
    before it finished. Fits 80 columns: each last error is a line of its own under the table;
    dates are full, in UTC. With [writeback] on, a line of the seats the bridge holds in Tessitura
    per performance. --json: one object per performance (shape in docs/json-output.md)."""
    from bridge.daemon import notes, overview

    cfg = load_or_exit(config_path, require_secrets=False)
    with state_store(cfg) as store:
        statuses = store.performance_statuses()
        states = lease_states(store, statuses)
        view = notes.read(store)
        writeback = cfg.writeback.mode != "off"
        # --json: the same rows as the status page's /status.json "performances"
        rows = overview.status_rows(store, view, writeback=writeback) if as_json else []
        held = overview.writeback_counts(store) if writeback and not as_json else {}
    if as_json:
        echo(json.dumps(rows, indent=2))
    else:
        console = terminal()
        if not statuses and not states:
            echo("No performance has been reconciled yet.")
        else:
            now = SYSTEM.now()
            console.print(status_table(statuses, states, next_runs_text(view, now)))
            waiting = sorted(pid for pid, r in view.next_runs.items() if r.waits_for_config)
            if waiting:
                console.print(
                    f"waiting for a config fix: {', '.join(map(str, waiting))}",
                    highlight=False,
                    soft_wrap=True,
                )
            for line in status_error_lines(statuses):
                console.print(line, highlight=False, markup=False)
            for line in lease_lines(states):
                console.print(line, highlight=False, soft_wrap=True)
        for line in writeback_lines(held, cfg.writeback.mode, cfg.writeback.hold_code):
            console.print(line, highlight=False, soft_wrap=True)
        for line in daemon_lines(view):
            console.print(line, highlight=False, soft_wrap=True)
