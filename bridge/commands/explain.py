"""`seatbridge explain`: why a seat is (not) on sale, a thin door onto
:func:`bridge.reconcile.explain_gather.explain_performance`. Reads only.

Exit codes: 0 explained; 1 an error (an unknown performance or seat, a bad config, a read that
failed so badly nothing can be explained); 64 a usage error.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import textwrap
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import click

from bridge.commands.config import config_option, load_or_exit, report_problems
from bridge.commands.render import echo, terminal
from bridge.config import redact
from bridge.core.explain import (
    JournalEntry,
    PerformanceFacts,
    SeatFacts,
    SeatState,
    WritebackFact,
)
from bridge.errors import BridgeError, ConfigError
from bridge.logs import configure
from bridge.reconcile.explain_gather import explain_performance
from bridge.runtime import connect

EXIT_OK, EXIT_ERROR = 0, 1

#: Without a seat filter, the text output lists at most this many seats that are not free.
LISTED = 200


def hanging(line: str, width: int) -> str:
    """``line`` wrapped at ``width``, continuation lines indented under its text: after the
    ``key:`` column of a fact line, or under the rule column of a summary line."""
    if len(line) <= width:
        return line
    fact = re.match(r"^ +[a-z ]+: +", line)
    if fact is not None:
        indent = len(fact.group(0))
    elif line.startswith(" "):
        indent = len(line) - len(line.lstrip(" ")) + 2
    elif len(line) > SUMMARY_INDENT and line[SUMMARY_INDENT - 1] == " ":
        indent = SUMMARY_INDENT
    else:
        indent = 2
    return textwrap.fill(
        line,
        width=width,
        subsequent_indent=" " * min(indent, width // 2),
        break_on_hyphens=False,
    )


#: Where the rule starts in a summary line (label 16, state 12, two spaces).
SUMMARY_INDENT = 30


def when(moment: datetime | None) -> str:
    """A full UTC date as the CLI prints it: ``2026-11-21 19:30 UTC``; "-" for none."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


def pick(
    facts: PerformanceFacts, label: str | None, seat_id: int | None, code: str | None
) -> list[SeatFacts] | None:
    """The seats a filter selects (None: no filter). A code matches its id or its Tessitura
    description, case-insensitively."""
    if label is not None:
        return [s for s in facts.seats if s.label is not None and s.label.lower() == label.lower()]
    if seat_id is not None:
        return [s for s in facts.seats if s.seat_id == seat_id]
    if code is not None:
        wanted = code.strip().lower()
        return [
            s
            for s in facts.seats
            if any(
                str(h.code) == wanted or (h.description or "").lower() == wanted for h in s.holds
            )
        ]
    return None


@click.command()
@config_option
@click.option(
    "--performance",
    "performance_id",
    type=int,
    required=True,
    metavar="ID",
    help="The Tessitura performance id.",
)
@click.option("--seat", "label", metavar="LABEL", help="Only this seat, by its seats.io label.")
@click.option("--seat-id", type=int, metavar="N", help="Only this seat, by its Tessitura seat id.")
@click.option(
    "--code",
    metavar="CODE",
    help="Only the seats carrying this Tessitura hold code (its id or its description).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def explain(
    config_path: Path,
    performance_id: int,
    label: str | None,
    seat_id: int | None,
    code: str | None,
    as_json: bool,
) -> None:
    """Why each seat of a performance is (not) on sale: its Tessitura holds (every layer, with
    priority and end date), the mapping rows that decide it, what seats.io should show and
    shows, whether the bridge owns it (ledger), the rule that applies and its last journaled
    operations; with [writeback] on, its Tessitura side too (the bridge's write-back layer, the
    write-back ledger, what the write-back plans and why). Reads only: nothing is changed.

    \b
    Without a seat filter: counts per state and one line per seat that is not
    free. With --seat, --seat-id or --code: every fact of those seats.

    \b
    Exit codes:
      0   explained
      1   error: an unknown performance or seat, a bad config, a failed read
      64  usage error (e.g. more than one of --seat, --seat-id, --code)
    """
    if sum(v is not None for v in (label, seat_id, code)) > 1:
        raise click.UsageError("give at most one of --seat, --seat-id, --code")
    cfg = load_or_exit(config_path)
    configure(cfg.log.level, cfg.log.format)

    async def go() -> PerformanceFacts:
        async with connect(cfg) as rt:
            return await explain_performance(rt.reconciler(), performance_id)

    try:
        facts = asyncio.run(go())
    except ConfigError as exc:
        report_problems(exc)
        sys.exit(EXIT_ERROR)
    except BridgeError as exc:
        echo(f"error: {redact(str(exc))}", err=True)
        sys.exit(EXIT_ERROR)
    chosen = pick(facts, label, seat_id, code)
    if chosen is not None and not chosen:
        what = (
            f"seat {label!r}"
            if label is not None
            else f"seat id {seat_id}"
            if seat_id is not None
            else f"no seat carries hold code {code!r}"
        )
        if code is not None:
            echo(f"error: performance {performance_id}: {what}", err=True)
        else:
            echo(f"error: performance {performance_id} has no {what}", err=True)
        sys.exit(EXIT_ERROR)
    if as_json:
        echo(json.dumps(facts.to_json(chosen), indent=2))
        sys.exit(EXIT_OK)
    width = terminal().width
    lines = header_lines(facts)
    if chosen is None:
        listed = [s for s in facts.seats if s.state is not SeatState.FREE or s.holds]
        lines += seat_summary_lines(listed[:LISTED])
        if len(listed) > LISTED:
            lines.append(f"... and {len(listed) - LISTED} more (use --json, or a filter)")
    else:
        for seat in chosen:
            lines += ["", *seat_lines(seat)]
    for line in lines:
        echo(hanging(line, width))
    sys.exit(EXIT_OK)


def header_lines(facts: PerformanceFacts) -> list[str]:
    """The performance: where it maps, its seat counts, conflicts, pending and unfinished ops."""
    t = facts.target
    if t is None:
        mapped = "no seats.io event (not in the performance table, no event_key_template)"
    else:
        how = "event_key_template" if facts.by_template else "performance table"
        season = f", season {t.season_key}" if t.season_key else ""
        mapped = f"event {t.event_key}{season} (by the {how})"
    lines = [f"performance {facts.performance_id} -> {mapped}"]
    if facts.read_error:
        lines.append(f"holds not read: {redact(facts.read_error)}")
    if facts.places_error:
        lines.append(f"seat positions not read: {redact(facts.places_error)}")
    counts = {k: v for k, v in facts.counts().items() if v}
    lines.append(
        f"{len(facts.seats)} seats: "
        + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items())
    )
    api = [op for op in facts.planned if op.is_api]
    if api:
        lines.append(f"pending: {len(api)} operation(s) the next reconcile would run")
    if facts.unfinished:
        lines.append(f"unfinished: {len(facts.unfinished)} journaled operation(s) never finished")
    wb = facts.writeback
    if wb is not None:
        lines.append(
            f"write-back ({wb.mode}, code {wb.hold_code}): the ledger holds {wb.held} seat(s) "
            f"in Tessitura; {'apply would' if wb.mode == 'report' else 'next reconcile'}: "
            f"hold {wb.holds}, lift {wb.lifts}"
        )
        if wb.error:
            lines.append(f"write-back side not read: {redact(wb.error)}")
    return lines


def seat_summary_lines(seats: Sequence[SeatFacts]) -> list[str]:
    """One line per seat: label (or seat id), state, rule."""
    out = []
    for s in seats:
        name = s.label or f"seat {s.seat_id}"
        out.append(f"{name:<16} {s.state.value:<12} {s.rule}")
    return out


def seat_lines(s: SeatFacts) -> list[str]:
    """Every fact of one seat, one per line, each under 80 columns where its content allows."""
    place = ""
    if s.place is not None:
        p = s.place
        pos = f" at x {p.x}, y {p.y}" if p.x is not None and p.y is not None else ""
        place = f" ({p.section or '?'} row {p.row} seat {p.number}{pos})"
    seat = f"seat {s.seat_id}" if s.seat_id is not None else "no Tessitura seat"
    lines = [f"{s.label or '(no label)'}: {seat}{place}", f"  state:    {s.state.value}"]
    lines.append(f"  rule:     {s.rule}")
    if s.holds:
        for h in s.holds:
            name = f" {h.description}" if h.description else ""
            until = f", until {when(h.end_date)}" if h.end_date else ""
            win = ", decides" if h.wins else ""
            ours = ", the bridge's write-back" if h.writeback else ""
            lines.append(
                f"  hold:     code {h.code}{name} (priority {h.priority}{until}{win}{ours})"
            )
            lines.append(f"            mapping: {h.mapping()}")
    else:
        lines.append("  hold:     none in Tessitura")
    if s.seat_id is not None:
        lines.append(f"  seat map: seat {s.seat_id} -> {s.label or 'no row (unknown seat)'}")
    if s.event_key:
        season = f" (season {s.season_key})" if s.season_key else ""
        lines.append(f"  event:    {s.event_key}{season}")
    lines.append(f"  should:   {s.desired}")
    lines.append(f"  shows:    {s.observed if s.observed is not None else 'not read'}")
    if s.owned:
        for e in s.owned:
            target = f" {e.target}" if e.target else ""
            since = f" since {when(e.since)}" if e.since else ""
            lines.append(f"  ledger:   owned on {e.event_key}: {e.ownership.value}{target}{since}")
    else:
        lines.append("  ledger:   not owned by the bridge")
    if s.writeback is not None:
        lines += writeback_lines(s.writeback)
    for f in s.findings:
        lines.append(f"  finding:  {f.kind.value}: {f.detail}")
    for j in s.journal[:5]:
        lines.append(f"  journal:  {journal_phrase(j)}")
    if not s.journal:
        lines.append("  journal:  no operation on it in the latest runs")
    return lines


def writeback_lines(wb: WritebackFact) -> list[str]:
    """The seat's Tessitura side: the bridge's layer and its ledger row, then the plan."""
    layer = f"code {wb.hold_code} on the seat" if wb.layer else f"no code {wb.hold_code} layer"
    ledger = f"ledger holds it since {when(wb.since)}" if wb.in_ledger else "not in its ledger"
    return [f"  tessitura: write-back {layer}, {ledger}", f"  tessitura: {wb.phrase()}"]


def journal_phrase(j: JournalEntry) -> str:
    target = f" {j.target}" if j.target else ""
    error = f" ({redact(j.error)})" if j.error else ""
    return f"run {j.run_id}, {when(j.started_at)}: {j.kind}{target}: {j.state}{error}"
