"""How plans, run reports and statuses look in a terminal: rich tables, one row per event."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from bridge.reconcile.findings import Finding, Severity
from bridge.reconcile.plan import OpKind, Plan
from bridge.reconcile.run import RunReport
from bridge.store.base import PerformanceStatus

#: Column title -> the kinds it counts objects of ("+" holds added, "-" holds lifted).
_COLUMNS: Sequence[tuple[str, tuple[OpKind, ...]]] = (
    ("+chan", (OpKind.CREATE_CHANNEL, OpKind.ADD_TO_CHANNEL, OpKind.REPLACE_CHANNELS)),
    ("-chan", (OpKind.REMOVE_FROM_CHANNEL,)),
    ("+status", (OpKind.CHANGE_STATUS,)),
    ("-status", (OpKind.RELEASE_STATUS,)),
    ("+nfs", (OpKind.MARK_NOT_FOR_SALE,)),
    ("-nfs", (OpKind.MARK_FOR_SALE,)),
)


def plan_table(plan: Plan, title: str = "Plan") -> Table:
    """Objects each event or season gains or loses, per kind of change."""
    table = Table(
        title=title,
        title_justify="left",
        caption="objects per change: chan = bridge channels, nfs = not for sale",
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
        table.add_row(
            f.kind.value,
            where,
            f.label or (f"{f.count} objects" if f.count else ""),
            f.detail,
            style=style.get(f.severity),
        )
    return table


def print_plan(console: Console, plan: Plan) -> None:
    if plan.is_empty:
        console.print("Nothing to do: seats.io matches Tessitura.")
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
    for error in report.errors:
        console.print(f"[red]error[/red] {error}")


def status_table(statuses: Sequence[PerformanceStatus]) -> Table:
    table = Table(title="Performances", title_justify="left")
    for col in ("perf", "event", "last sync UTC", "outcome", "drift", "conflicts", "errors"):
        table.add_column(col, no_wrap=True)
    table.add_column("last error")
    for s in statuses:
        table.add_row(
            str(s.performance_id),
            s.event_key or "-",
            s.last_sync.strftime("%m-%d %H:%M:%S"),
            s.outcome.value,
            str(s.drift),
            str(s.conflicts),
            str(s.errors),
            (s.last_error or "")[:80],
        )
    return table
