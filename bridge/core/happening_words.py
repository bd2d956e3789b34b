"""Happenings and alerts put into words: an applied operation, a finding opened or cleared, the
alert a finding raises. Pure: the daemon's :mod:`bridge.daemon.activity` decides when, this
module what the line says, in the venue's terms (seat label, performance, event, hold code) as
far as the value carries them.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from bridge.core.applied import OpResult
from bridge.core.findings import Finding, FindingKind, Severity
from bridge.core.happenings import (
    Alert,
    Happening,
    Topic,
    alert_kind_of,
    finding_key,
)
from bridge.core.plan_model import Operation, OpKind

__all__ = [
    "alert_key",
    "finding_alert",
    "finding_cleared",
    "finding_opened",
    "finding_phrase",
    "finding_signature",
    "op_count",
    "op_happening",
]

#: What each operation kind did, for ``{n} seats``: (verb before, words after) the count.
_OP_WORDS: dict[OpKind, tuple[str, str]] = {
    OpKind.ADD_TO_CHANNEL: ("held", "in channel {target}"),
    OpKind.CHANGE_STATUS: ("held", "as {target!r}"),
    OpKind.MARK_NOT_FOR_SALE: ("marked", "not for sale"),
    OpKind.REPLACE_CHANNELS: ("moved", "between channels"),
    OpKind.REMOVE_FROM_CHANNEL: ("released", "from channel {target}"),
    OpKind.RELEASE_STATUS: ("released", "from status {target!r}"),
    OpKind.MARK_FOR_SALE: ("marked", "for sale again"),
    OpKind.HOLD_IN_TESSITURA: ("held", "in Tessitura (sold online)"),
    OpKind.LIFT_IN_TESSITURA: ("lifted the bridge's hold on", "in Tessitura"),
}

#: The alerting findings' own words: what happened to the seat.
_CONFLICT_WORDS: dict[FindingKind, str] = {
    FindingKind.CONFLICT: "sold online while held at the box office",
    FindingKind.FOREIGN_CHANNEL: "in a partner's channel while held at the box office",
    FindingKind.BOOKED_DURING_RUN: "booked online while the bridge was holding it",
}


def _seats(n: int) -> str:
    return f"{n} seat" if n == 1 else f"{n} seats"


def op_count(op: Operation) -> int:
    """How many objects ``op`` touches (a channel move counts the objects it moves)."""
    if op.kind is OpKind.REPLACE_CHANNELS and not op.labels:
        return sum(len(labels) for _, labels in op.channels)
    return len(op.seat_ids) if op.kind.is_tessitura and op.seat_ids else len(op.labels)


def _on(op: Operation, performance_id: int | None) -> str:
    if op.kind.is_tessitura:
        return f"for performance {op.performance_id}"
    events = ", ".join(op.event_keys)
    where = f"on event{'s' if len(op.event_keys) > 1 else ''} {events}"
    return f"{where} (performance {performance_id})" if performance_id is not None else where


def op_happening(
    result: OpResult, at: datetime, *, unit: str, performance_id: int | None = None
) -> Happening | None:
    """One applied (or failed, or unknown) operation as a happening; None for what touched no
    vendor (ledger upkeep, the bridge's own memory) and for a skipped one.

    ``performance_id``: the unit's performance when it has one (a seats.io operation names only
    its events)."""
    op = result.op
    if not op.kind.is_api or result.state not in ("done", "failed", "unknown"):
        return None
    n = op_count(op)
    pid = op.performance_id if op.kind.is_tessitura else performance_id
    if op.kind in (OpKind.CREATE_CHANNEL, OpKind.UPDATE_CHANNEL):
        verb = "created" if op.kind is OpKind.CREATE_CHANNEL else "updated"
        what = f"{verb} channel {op.target}" + (f" with {_seats(n)}" if n else "")
    else:
        before, after = _OP_WORDS[op.kind]
        what = f"{before} {_seats(n)} {after.format(target=op.target)}"
    what = f"{what} {_on(op, pid)} ({op.kind.value})"
    fields: dict[str, Any] = {"kind": op.kind.value, "objects": n, "state": result.state}
    if len(op.event_keys) > 1:
        fields["event_keys"] = list(op.event_keys)
    if op.target:
        fields["target"] = op.target
    if result.state == "done":
        summary, severity = what, Severity.INFO
    else:
        word = "failed" if result.state == "failed" else "outcome unknown"
        summary, severity = f"{word}: {what}: {result.error or 'no answer'}", Severity.WARNING
        fields["error"] = result.error or ""
    return Happening(
        Topic.APPLIED,
        at,
        summary,
        severity.value,
        unit=unit,
        performance_id=pid,
        event_key=op.event_keys[0] if len(op.event_keys) == 1 else None,
        fields=fields,
    )


def _subject(f: Finding) -> str:
    """What a finding is about: "seat A-1 of performance 201 (event perf-201)" as far as known."""
    parts: list[str] = []
    if f.label:
        parts.append(f"seat {f.label}")
    elif f.seat_id is not None:
        parts.append(f"seat {f.seat_id}")
    elif f.count:
        parts.append(_seats(f.count))
    where = f"performance {f.performance_id}" if f.performance_id is not None else ""
    if f.event_key:
        where = f"{where} (event {f.event_key})" if where else f"event {f.event_key}"
    if where:
        parts.append(("of " if parts else "") + where)
    return " ".join(parts) or "the unit"


def _head(f: Finding) -> str:
    return "conflict" if f.kind in _CONFLICT_WORDS else f.kind.value.replace("_", " ")


def finding_phrase(f: Finding) -> str:
    """A finding in one line: what it is, about what, and its detail.

    e.g. ``conflict: seat A-1 of performance 201 (event perf-201) sold online while held at the
    box office (hold code 5)``."""
    code = f" (hold code {f.hold_code_id})" if f.hold_code_id is not None else ""
    words = _CONFLICT_WORDS.get(f.kind)
    if words is not None:
        detail = f": {f.detail}" if f.detail else ""
        return f"conflict: {_subject(f)} {words}{code}{detail}"
    head = f.kind.value.replace("_", " ")
    detail = f": {f.detail}" if f.detail else ""
    return f"{head}: {_subject(f)}{code}{detail}"


def _finding_fields(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": f.kind.value, "severity": f.severity.value}
    for name in ("label", "seat_id", "hold_code_id", "count"):
        value = getattr(f, name)
        if value is not None:
            out[name] = value
    if f.labels:
        out["labels"] = list(f.labels)
    if f.detail:
        out["detail"] = f.detail
    return out


def finding_opened(f: Finding, at: datetime, *, unit: str) -> Happening:
    """A finding not open after the unit's previous run."""
    return Happening(
        Topic.FINDING_OPENED,
        at,
        finding_phrase(f),
        f.severity.value,
        unit=unit,
        performance_id=f.performance_id,
        event_key=f.event_key,
        fields=_finding_fields(f),
    )


def finding_cleared(f: Finding, at: datetime, *, unit: str) -> Happening:
    """An open finding a complete run no longer found."""
    return Happening(
        Topic.FINDING_CLEARED,
        at,
        f"cleared: {_head(f)}: {_subject(f)}",
        Severity.INFO.value,
        unit=unit,
        performance_id=f.performance_id,
        event_key=f.event_key,
        fields={"kind": f.kind.value},
    )


def alert_key(f: Finding) -> str:
    """The condition a finding stands for, the same while it stands: its alert kind and its
    identity (:func:`~bridge.core.happenings.finding_key`). No unit: a unit regrouped (a
    performance joining a season) keeps its conditions' keys."""
    kind = alert_kind_of(f)
    head = kind.value if kind is not None else f.kind.value
    return f"{head}:" + ":".join(str(part) for part in finding_key(f))


def finding_signature(f: Finding) -> str:
    """What a notifier compares to send again: the parts :func:`finding_key` leaves out."""
    text = "\x1f".join([f.detail, *f.labels, "" if f.count is None else str(f.count)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def finding_alert(
    f: Finding, at: datetime, *, unit: str, firing: bool, why: str = ""
) -> Alert | None:
    """The alert a finding raises (``firing``) or resolves; None when its kind raises none.
    ``why``: a resolution's reason when it is not a run that no longer finds it."""
    kind = alert_kind_of(f)
    if kind is None:
        return None
    if firing:
        summary = finding_phrase(f)
    else:
        summary = f"resolved: {_head(f)}: {_subject(f)}" + (f" ({why})" if why else "")
    fields = _finding_fields(f)
    if why:
        fields["why"] = why
    return Alert(
        kind,
        alert_key(f),
        firing,
        summary,
        at,
        signature=finding_signature(f),
        unit=unit,
        performance_id=f.performance_id,
        event_key=f.event_key,
        fields=fields,
    )
