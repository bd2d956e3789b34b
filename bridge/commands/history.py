"""`seatbridge history`: the journal (every run, every operation) as a readable log. Reads the
state store only.

Exit codes: 0 shown (an empty journal too); 1 an error (a bad config, an unreadable store);
64 a usage error (a --since that is not a duration).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from bridge.clock import SYSTEM
from bridge.commands.config import config_option, load_or_exit
from bridge.commands.render import echo, terminal
from bridge.config import redact
from bridge.core.explain import JournalEntry
from bridge.reconcile.explain_gather import journal_entries
from bridge.runtime import state_store
from bridge.store.base import Journal, Run

#: How many runs history reads at most (newest first).
MAX_RUNS = 1000
#: How many object labels an operation line names before it only counts.
NAMED = 6

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$", re.IGNORECASE)


def parse_duration(text: str) -> timedelta:
    """``90s``, ``15m``, ``2h``, ``3d``, ``1w`` -> a timedelta; ValueError for anything else."""
    m = _DURATION.match(text)
    if m is None:
        raise ValueError(f"{text!r} is not a duration such as 30m, 2h or 3d")
    return timedelta(seconds=int(m[1]) * _UNITS[m[2].lower()])


class DurationType(click.ParamType[timedelta, Any]):
    name = "DURATION"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> timedelta:
        if isinstance(value, timedelta):
            return value
        try:
            return parse_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


@dataclass(frozen=True, slots=True)
class RunLog:
    """One run with its decoded operations."""

    run: Run
    ops: tuple[JournalEntry, ...]

    def to_json(self) -> dict[str, Any]:
        r = self.run
        return {
            "run_id": r.run_id,
            "mode": r.mode.value,
            "performance_ids": list(r.performance_ids),
            "started_at": r.started_at.isoformat(),
            "finished_at": r.finished_at.isoformat() if r.finished_at else None,
            "summary": _summary(r.summary_json),
            "operations": [o.to_json() for o in self.ops],
        }


def _summary(text: str | None) -> object:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def read_history(
    store: Journal,
    *,
    performance_id: int | None = None,
    since: timedelta | None = None,
    now: datetime,
    limit: int = MAX_RUNS,
) -> list[RunLog]:
    """The journal, newest run first: runs of ``performance_id`` (all when None) started within
    ``since`` of ``now`` (all when None)."""
    cutoff = now - since if since is not None else None
    out = []
    for run in store.runs(limit=limit, performance_id=performance_id):
        if cutoff is not None and run.started_at < cutoff:
            continue
        out.append(RunLog(run, tuple(journal_entries(store.ops(run.run_id)))))
    return out


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "-"


def history_lines(logs: Sequence[RunLog]) -> list[str]:
    """Each run as a header line (run, time, unit, mode, how it ended), then one line per
    operation (result, operation, events) and the objects it touched, under 80 columns."""
    lines: list[str] = []
    for log in logs:
        r = log.run
        unit = ", ".join(map(str, r.performance_ids)) or "-"
        end = f"finished {_when(r.finished_at)}" if r.finished_at else "not finished"
        lines.append(f"run {r.run_id}  {_when(r.started_at)}  {r.mode.value}  unit {unit}")
        lines.append(f"  {end}; {len(log.ops)} operation(s)")
        for op in log.ops:
            keys = ", ".join(op.event_keys)
            if op.is_tessitura:  # the write-back: a hold code on a performance's seats
                code = f" code {op.target}" if op.target else ""
                perf = f"performance {op.performance_id}" if op.performance_id else "Tessitura"
                lines.append(f"  {op.state:<8} {op.kind}{code} on {perf} ({keys})")
            else:
                target = f" {op.target}" if op.target else ""
                lines.append(f"  {op.state:<8} {op.kind}{target} on {keys}")
            if op.labels:
                named = ", ".join(op.labels[:NAMED])
                more = f" (+{len(op.labels) - NAMED} more)" if len(op.labels) > NAMED else ""
                what = "seats" if op.is_tessitura else "objects"
                lines.append(f"           {len(op.labels)} {what}: {named}{more}")
            if op.error:
                lines.append(f"           error: {redact(op.error)}")
    return lines


@click.command()
@config_option
@click.option(
    "--performance",
    "performance_id",
    type=int,
    metavar="ID",
    help="Only the runs that covered this Tessitura performance.",
)
@click.option(
    "--since",
    type=DurationType(),
    metavar="DURATION",
    help="Only the runs started within this long, e.g. 30m, 2h, 3d, 1w.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def history(
    config_path: Path, performance_id: int | None, since: timedelta | None, as_json: bool
) -> None:
    """The journal as a readable log, newest run first: each run (id, start time in UTC, mode,
    the unit of performances it covered, how it ended), each of its operations (result, kind,
    events) and the objects it touched.

    \b
    Exit codes:
      0   shown (an empty journal too)
      1   error: a bad config, an unreadable store
      64  usage error (e.g. a --since that is not a duration)
    """
    cfg = load_or_exit(config_path, require_secrets=False)
    with state_store(cfg) as store:
        logs = read_history(store, performance_id=performance_id, since=since, now=SYSTEM.now())
    if as_json:
        echo(json.dumps([log.to_json() for log in logs], indent=2))
        return
    if not logs:
        echo("No run in the journal" + (" for that selection." if performance_id or since else "."))
        return
    console = terminal(highlight=False)
    for line in history_lines(logs):
        console.print(escape(line))
