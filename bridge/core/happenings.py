"""What happened, in words an operator reads: the daemon's log lines, the page's activity feed
and the notifications are all made from these.

Pure: the daemon decides *when* something happened (a unit's run ended, the role changed, a
config edit was applied); this module decides *what* it was. A finding is "new" when its
identity (:func:`finding_key`) was not open after the unit's previous run, and "cleared" when a
run that read everything no longer finds it: a standing conflict is one happening, not one per
pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bridge.core.findings import Finding, FindingKind, Severity

__all__ = [
    "ALERTING_FINDINGS",
    "Alert",
    "AlertKind",
    "FindingKey",
    "Happening",
    "Topic",
    "alert_kind_of",
    "finding_changes",
    "finding_key",
]


class Topic(StrEnum):
    """What kind of thing happened."""

    #: an operation was applied to seats.io or Tessitura
    APPLIED = "applied"
    #: a finding not open after the unit's previous run
    FINDING_OPENED = "finding_opened"
    #: an open finding a complete run no longer finds
    FINDING_CLEARED = "finding_cleared"
    #: this instance became active, stood by, lost or gave up the writer role
    ROLE = "role"
    #: a config edit applied, refused, or fixed (applied after a refusal)
    CONFIG = "config"
    #: a vendor API failing, or answering again after failing
    VENDOR = "vendor"
    #: a unit has failed for ``[notify] error_after_cadences`` times its cadence (TERMINAL: at once)
    UNIT_FAILING = "unit_failing"
    #: a unit that was failing ran cleanly
    UNIT_RECOVERED = "unit_recovered"


@dataclass(frozen=True, slots=True)
class Happening:
    """One thing that happened, with a one-line ``summary`` in the venue's terms.

    ``severity``: :class:`~bridge.core.findings.Severity`'s value (``info`` for what went well).
    ``fields``: what a log line or a webhook carries beside the summary (JSON-able values only).
    """

    topic: Topic
    at: datetime
    summary: str
    severity: str = Severity.INFO.value
    unit: str | None = None
    performance_id: int | None = None
    event_key: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"topic": self.topic.value, "severity": self.severity, **_told(self)}


#: A finding's identity across runs: what it is about, not its wording or its counts.
FindingKey = tuple[str, int, str, str, int, int]


def finding_key(f: Finding) -> FindingKey:
    """Identity of ``f`` across runs. ``detail``, ``labels`` and ``count`` are left out: a spent
    budget's sample of labels, or a conflict's wording, may change while it stands."""
    return (
        f.kind.value,
        -1 if f.performance_id is None else f.performance_id,
        f.event_key or "",
        f.label or "",
        -1 if f.seat_id is None else f.seat_id,
        -1 if f.hold_code_id is None else f.hold_code_id,
    )


def finding_changes(
    before: Mapping[FindingKey, Finding], after: Iterable[Finding], *, complete: bool
) -> tuple[list[Finding], list[Finding], dict[FindingKey, Finding]]:
    """``(opened, cleared, open_now)`` from the findings open before and a run's findings.

    ``complete``: the run read and planned everything it covers. An incomplete run (an error, a
    timeout) clears nothing: a finding it did not get far enough to make again is not gone.
    INFO findings are never opened (they say how, not what is wrong). Sorted, so logs and
    notifications never depend on input order."""
    now: dict[FindingKey, Finding] = {}
    for f in after:
        if f.severity is Severity.INFO:
            continue
        key = finding_key(f)
        seen = now.get(key)
        # one identity found twice (other words, another count): the first in canonical order
        if seen is None or f.sort_key() < seen.sort_key():
            now[key] = f
    opened = [f for k, f in now.items() if k not in before]
    if complete:
        cleared = [f for k, f in before.items() if k not in now]
        open_now = now
    else:
        cleared = []
        open_now = {**before, **now}
    opened.sort(key=Finding.sort_key)
    cleared.sort(key=Finding.sort_key)
    return opened, cleared, open_now


class AlertKind(StrEnum):
    """What a notification is sent for (``[notify] on``)."""

    #: a seat the box office holds was sold online, or sits in a partner's channel: act
    CONFLICT = "conflict"
    #: the bridge refused to release many seats at once: a person decides
    MASS_RELEASE_REFUSED = "mass_release_refused"
    #: a unit has failed for ``[notify] error_after_cadences`` times its cadence (TERMINAL: at once)
    UNIT_IN_ERROR = "unit_in_error"


#: Which findings raise which alert.
ALERTING_FINDINGS: Mapping[FindingKind, AlertKind] = {
    FindingKind.CONFLICT: AlertKind.CONFLICT,
    FindingKind.FOREIGN_CHANNEL: AlertKind.CONFLICT,
    FindingKind.BOOKED_DURING_RUN: AlertKind.CONFLICT,
    FindingKind.MASS_RELEASE_REFUSED: AlertKind.MASS_RELEASE_REFUSED,
}


def alert_kind_of(f: Finding) -> AlertKind | None:
    """The alert a finding raises while open, if any."""
    return ALERTING_FINDINGS.get(f.kind)


@dataclass(frozen=True, slots=True)
class Alert:
    """A condition a person should hear about: raised (``firing``) or recovered.

    ``key`` names the condition (the same key while it stands), so a notifier sends it once and
    again only when ``signature`` changes, and sends the recovery once."""

    kind: AlertKind
    key: str
    firing: bool
    summary: str
    at: datetime
    signature: str = ""
    unit: str | None = None
    performance_id: int | None = None
    event_key: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "key": self.key,
            "state": "firing" if self.firing else "resolved",
            **_told(self),
        }


def _told(x: Happening | Alert) -> dict[str, Any]:
    """What a happening and an alert both say, in the same JSON: the line, when, and where."""
    return {
        "summary": x.summary,
        "at": x.at.isoformat(),
        "unit": x.unit,
        "performance_id": x.performance_id,
        "event_key": x.event_key,
        "fields": dict(x.fields),
    }
