"""How plans, run reports and statuses look in a terminal: rich tables, one row per event.

It is also the CLI's one door to the terminal: every command writes through :func:`echo` (for
click's plain lines) or a :func:`terminal` console (rich), never ``click.echo``, ``print`` or a
bare ``Console`` (tests/test_terminal_text.py checks). Both pass every piece of text through
:func:`bridge.redact.printable`, so text from either vendor (a hold-code description, a
performance name, an error quoting a vendor's body) can never move the cursor or rewrite the
screen: its control characters show as ``\\u001b``. Rich's own colours are added after.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import click
from rich import box
from rich.markup import escape
from rich.segment import Segment
from rich.table import Table

from bridge.commands.pipes import Console
from bridge.core.findings import Finding, Severity
from bridge.core.outcome import RunReport
from bridge.core.plan_model import OpKind, Plan
from bridge.daemon.notes import DaemonView
from bridge.reconcile.leases import LeaseState
from bridge.redact import printable
from bridge.store.base import PerformanceStatus


class TerminalConsole(Console):
    """A rich console whose text segments pass :func:`~bridge.redact.printable` before rich
    styles them: what it prints holds no control character but rich's own colours."""

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(
            segment if segment.control else Segment(printable(segment.text), segment.style)
            for segment in buffer
        )


def terminal(**options: Any) -> Console:
    """The console a command prints rich output with (``options`` as rich's ``Console``)."""
    return TerminalConsole(**options)


def echo(message: str | None = None, **options: Any) -> None:
    """``click.echo`` of ``message`` made :func:`~bridge.redact.printable` (``options`` as
    click's: ``err``, ``nl``)."""
    click.echo(None if message is None else printable(message), **options)


#: Column title -> the kinds it counts objects of ("+" holds added, "-" holds lifted).
_COLUMNS: Sequence[tuple[str, tuple[OpKind, ...]]] = (
    ("+chan", (OpKind.CREATE_CHANNEL, OpKind.ADD_TO_CHANNEL, OpKind.REPLACE_CHANNELS)),
    ("-chan", (OpKind.REMOVE_FROM_CHANNEL,)),
    ("+status", (OpKind.CHANGE_STATUS,)),
    ("-status", (OpKind.RELEASE_STATUS,)),
    ("+nfs", (OpKind.MARK_NOT_FOR_SALE,)),
    ("-nfs", (OpKind.MARK_FOR_SALE,)),
    ("+tess", (OpKind.HOLD_IN_TESSITURA,)),
    ("-tess", (OpKind.LIFT_IN_TESSITURA,)),
)


def plan_table(plan: Plan, title: str = "Plan") -> Table:
    """Objects each event or season gains or loses, per kind of change."""
    table = Table(
        title=title,
        title_justify="left",
        caption="objects per change: chan = bridge channels, nfs = not for sale, tess = Tessitura "
        "write-back holds",
        caption_justify="left",
    )
    table.add_column("event / season", no_wrap=True)
    for name, _ in _COLUMNS:
        table.add_column(name, justify="right")
    table.add_column("notes", justify="right")
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for op in plan.api_operations:
        for key in op.event_keys:
            for name, kinds in _COLUMNS:
                if op.kind in kinds:
                    n = len(op.labels) or sum(len(labels) for _, labels in op.channels)
                    counts[key][name] += n
    findings: dict[str, int] = defaultdict(int)
    for f in plan.findings:
        findings[f.event_key or "-"] += 1
    for key in sorted(set(counts) | set(findings)):
        row = [str(counts[key].get(name, "") or "") for name, _ in _COLUMNS]
        table.add_row(key, *row, str(findings.get(key, "") or ""))
    return table


def findings_table(findings: Sequence[Finding]) -> Table:
    """One row per finding: what, where, and the detail an operator acts on."""
    table = Table(title="Findings", title_justify="left")
    table.add_column("kind", no_wrap=True)
    table.add_column("where", no_wrap=True)
    table.add_column("object", no_wrap=True)
    table.add_column("detail")
    style = {Severity.CONFLICT: "bold red", Severity.ERROR: "red", Severity.WARNING: "yellow"}
    for f in findings:
        where = f.event_key or (f"perf {f.performance_id}" if f.performance_id else "")
        table.add_row(  # vendor text is text, never rich markup ("[link=...]")
            f.kind.value,
            escape(where),
            escape(f.label or (f"{f.count} objects" if f.count else "")),
            escape(f.detail),
            style=style.get(f.severity),
        )
    return table


def print_plan(console: Console, plan: Plan, *, failed: bool = False) -> None:
    """The plan's table and findings. ``failed``: the run fell short (errors, a refusal), so an
    empty plan is not "nothing to do": what could not be read or planned is not in it."""
    conflicts = sum(1 for f in plan.findings if f.severity is Severity.CONFLICT)
    if plan.is_empty and not failed and conflicts:  # never "matches" above a conflict
        console.print(
            f"[bold red]No changes to make, but seats.io does not match Tessitura:[/bold red] "
            f"{conflicts} conflict{'s' if conflicts != 1 else ''} (see below)."
        )
    elif plan.is_empty and not failed:
        console.print("Nothing to do: seats.io matches Tessitura.")
    elif plan.is_empty:
        console.print("[red]No changes planned, but the run did not complete:[/red] see below.")
    else:
        console.print(plan_table(plan))
    if plan.findings:
        console.print(findings_table(plan.findings))


def print_report(console: Console, report: RunReport) -> None:
    done = failed = unknown = skipped = 0
    for unit in report.units:
        if unit.outcome:
            done += unit.outcome.count("done")
            failed += unit.outcome.count("failed")
            unknown += unit.outcome.count("unknown")
            skipped += unit.outcome.count("skipped")
    plan = report.plan
    if plan.api_operations:
        console.print(plan_table(plan, title="Changes"))
    console.print(
        f"operations: {done} done, {failed} refused, {unknown} outcome unknown, {skipped} skipped; "
        f"{len(report.conflicts)} conflicts, {len(report.errors)} errors"
    )
    if plan.findings:
        console.print(findings_table(plan.findings))
    print_troubles(console, report, notes=True)


def print_troubles(console: Console, report: RunReport, *, notes: bool) -> None:
    """A run's errors, its notes (``notes``) and its refused mass releases, a line each; the
    errors and notes quote vendors, so they are never read as rich markup."""
    for error in report.errors:
        console.print(f"[red]error[/red] {escape(error)}")
    for note in report.notes if notes else ():
        console.print(f"[yellow]note[/yellow] {escape(note)}")
    for refusal in report.refused:
        console.print(
            f"[red]refused[/red] {refusal.event_key}: a mass release of {refusal.count} "
            "objects (see the findings); reconcile --force applies it if it is meant"
        )


#: How the status output writes a moment: a full date, minutes, UTC (the column says UTC).
STATUS_TIME = "%Y-%m-%d %H:%M"


def status_table(
    statuses: Sequence[PerformanceStatus],
    states: Mapping[int, LeaseState] | None = None,
    next_runs: Mapping[int, str] | None = None,
) -> Table:
    """One row per performance, readable at 80 columns: the last error is not a column (it is
    :func:`status_error_lines`, under the table); dates are full (``2026-11-21 19:30``) and wrap
    to two lines (date, time) when the terminal is narrow.

    With ``states`` (see :func:`bridge.reconcile.run.lease_states`) the outcome cell gains a
    line for a performance a run holds ("leased"), one whose holder is dead ("stale lease") and
    one whose last run the journal shows unfinished ("interrupted"), in red; a performance with
    such a state but no recorded sync gets a row too. The details are :func:`lease_lines`. With
    ``next_runs`` (a running daemon's) a "next run UTC" column shows when each performance syncs
    next (short: ``19:30:05`` today, ``12-02 19:30`` another day, see :func:`next_run_text`)."""
    states = states or {}
    # no vertical rules, no edge padding: seven or eight columns fit 80 columns
    table = Table(
        title="Performances",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
        collapse_padding=True,
    )
    table.add_column("perf", no_wrap=True)
    table.add_column("event", overflow="fold")
    # a full date on one line; a long event key folds first
    table.add_column("last sync UTC", no_wrap=True)
    table.add_column("outcome", no_wrap=True)
    table.add_column("drift", justify="right")
    table.add_column("conflicts", justify="right")
    table.add_column("errors" if not next_runs else "err", justify="right")
    if next_runs:
        table.add_column("next run", no_wrap=True)
    by_id = {s.performance_id: s for s in statuses}
    for pid in sorted(set(by_id) | set(states)):
        s = by_id.get(pid)
        state = states.get(pid)
        outcome = "\n".join([s.outcome.value if s else "-", *_lease_flags(state)])
        row = (
            [
                str(pid),
                s.event_key or "-",
                s.last_sync.strftime(STATUS_TIME),
                outcome,
                str(s.drift),
                str(s.conflicts),
                str(s.errors),
            ]
            if s
            else [str(pid), "-", "never", outcome, "-", "-", "-"]
        )
        if next_runs:
            row.append(next_runs.get(pid, "-"))
        bad = state is not None and (state.stale or state.interrupted_run is not None)
        table.add_row(*row, style="red" if bad else None)
    return table


def writeback_lines(counts: Mapping[int, int], mode: str, hold_code: int | None) -> list[str]:
    """The two-way write-back under the status table: its mode and code, and how many seats the
    ledger says the bridge holds in Tessitura per performance; nothing while it is off."""
    if mode == "off":
        return []
    held = [(pid, n) for pid, n in sorted(counts.items()) if n]
    per = ", ".join(f"{pid}: {n}" for pid, n in held) if held else "none"
    return [
        f"write-back ({mode}, code {hold_code}): {sum(n for _, n in held)} seat(s) held in "
        f"Tessitura by the bridge; per performance: {per}"
    ]


def instance_letters(view: DaemonView) -> dict[str, str]:
    """A short name (A, B, ...) for each live active daemon when several share the store's
    units, so the status table can say which instance runs a performance; empty for one."""
    active = sorted(d.holder for d in view.daemons if d.live and d.role == "active")
    if len(active) < 2:
        return {}
    return {h: _letter(i) for i, h in enumerate(active)}


def _letter(i: int) -> str:
    return chr(ord("A") + i) if i < 26 else f"#{i + 1}"


def next_runs_text(view: DaemonView, now: datetime) -> dict[int, str]:
    """The status table's "next run" cells: when, and which instance (``19:30:05 B``) when
    several share the units."""
    letters = instance_letters(view)
    return {
        pid: " ".join(t for t in (next_run_text(r.at, now), letters.get(r.holder or "", "")) if t)
        for pid, r in view.next_runs.items()
    }


def next_run_text(at: datetime | None, now: datetime) -> str:
    """When a daemon runs a performance next, short enough for the status table's last column:
    the time alone on ``now``'s day (UTC), else month-day and time; "soon" when not planned."""
    if at is None:
        return "soon"
    at = at.astimezone(UTC)
    return (
        at.strftime("%H:%M:%S")
        if at.date() == now.astimezone(UTC).date()
        else at.strftime("%m-%d %H:%M")
    )


def status_error_lines(statuses: Sequence[PerformanceStatus]) -> list[str]:
    """The last error of each performance that has one, whole: ``perf 201: last error: ...``
    (the console wraps it; the table above has no room for it)."""
    return [
        f"perf {s.performance_id}: last error: {s.last_error}"
        for s in sorted(statuses, key=lambda s: s.performance_id)
        if s.last_error
    ]


def _lease_flags(state: LeaseState | None) -> list[str]:
    flags = []
    if state is not None and state.holder:
        flags.append(
            "stale lease" if state.stale else "lease lingers" if state.lingering else "leased"
        )
    if state is not None and state.interrupted_run is not None:
        flags.append("interrupted")
    return flags


def lease_lines(states: Mapping[int, LeaseState]) -> list[str]:
    """The details behind those flags: one line per lease holder (who, until when, stale) and per
    interrupted run (a season's performances share one)."""
    leases: dict[tuple[str, str, bool, bool], list[int]] = defaultdict(list)
    runs: dict[tuple[int, str], list[int]] = defaultdict(list)
    for pid, state in sorted(states.items()):
        if state.holder:
            until = state.expires_at.strftime(STATUS_TIME) if state.expires_at else "?"
            leases[(state.holder, until, state.stale, state.lingering)].append(pid)
        if state.interrupted_run is not None:
            at = state.interrupted_at.strftime(STATUS_TIME) if state.interrupted_at else "?"
            runs[(state.interrupted_run, at)].append(pid)
    lines = []
    for (holder, until, stale, lingering), pids in leases.items():
        line = f"{_perfs(pids)}: leased by {holder} until {until} UTC"
        if lingering:
            line += (
                " (lingering: that run stopped with a write in flight; nobody writes to these"
                " performances until it can no longer land)"
            )
        elif stale:
            line += " (stale: that process is dead; the next run takes the lease over)"
        lines.append(line)
    for (run_id, at), pids in runs.items():
        lines.append(
            f"{_perfs(pids)}: run {run_id} (started {at} UTC) was interrupted; "
            "the next run settles what it left in flight"
        )
    return lines


def _perfs(pids: Sequence[int]) -> str:
    return f"performance{'s' if len(pids) > 1 else ''} {', '.join(map(str, pids))}"


def daemon_lines(view: DaemonView) -> list[str]:
    """The daemons on the store (active or standby, and where they answer), and the config edit
    the active one refused, if that still stands."""
    lines = []
    letters = instance_letters(view)
    runs = Counter(r.holder for r in view.next_runs.values())
    for d in view.daemons:
        state = d.role if d.live else f"{d.role}, but gone (its process stopped or was killed)"
        letter = letters.get(d.holder)
        tag = f" ({letter}: runs {runs[d.holder]} performances)" if letter else ""
        lines.append(f"daemon {d.holder}{tag}: {state}; /readyz and /metrics on {d.listen}")
    if view.refused_config is not None:
        at, errors = view.refused_config
        when = at.strftime(f"{STATUS_TIME} UTC") if at else "?"
        lines.append(f"config edit refused at {when}; the last good config keeps running:")
        lines += [f"  {e}" for e in errors]
    return lines
