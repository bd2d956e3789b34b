"""The daemon's activity: what happened, told once. Each thing becomes a
:class:`~bridge.core.happenings.Happening` on the page's feed (``DaemonState.activity``) and one
structured log line (logger ``seatbridge.activity``, the summary as the event text); a condition a
person should hear about also becomes an :class:`~bridge.core.happenings.Alert` for the sink the
daemon gives (the notifier).

The shell around :mod:`bridge.core.happenings` and :mod:`bridge.core.happening_words`: it keeps
what must be remembered between calls (each unit's open findings, which units fail, which
vendors fail, the role, whether the last config edit was refused) so a standing conflict is one
line and one alert, not one per pass, and an unchanged converged pass says nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import structlog

from bridge.clock import SYSTEM, Clock
from bridge.core.findings import Finding, Severity
from bridge.core.happening_words import (
    alert_key,
    finding_alert,
    finding_cleared,
    finding_opened,
    finding_signature,
    op_happening,
)
from bridge.core.happenings import (
    Alert,
    AlertKind,
    FindingKey,
    Happening,
    Topic,
    alert_kind_of,
    finding_changes,
)
from bridge.core.outcome import Ending, ErrorKind, RunReport
from bridge.daemon.metrics import BridgeMetrics
from bridge.daemon.reload import Reload, ReloadResult
from bridge.daemon.state import DaemonState
from bridge.http import Exchange

__all__ = ["Activity", "drop_alert", "drop_settled", "unit_alert_key"]

log = structlog.get_logger("seatbridge.activity")

#: The log level of a happening's severity.
_LEVELS = {
    Severity.INFO.value: "info",
    Severity.WARNING.value: "warning",
    Severity.CONFLICT.value: "error",
    Severity.ERROR.value: "error",
}

#: What a role change says, and how loud.
_ROLES: dict[str, tuple[str, Severity]] = {
    "active": ("became active", Severity.INFO),
    "standby": ("standing by: another daemon is active on this store", Severity.INFO),
    "lost": (
        "lost the writer role to another daemon: stopping, to come back as standby",
        Severity.ERROR,
    ),
    "stopped": ("stopped", Severity.INFO),
}


def drop_alert(alert: Alert) -> None:
    """The sink when no notifier is plugged in: alerts are only logged."""


def unit_alert_key(unit: str) -> str:
    """The key of unit ``unit``'s ``unit_in_error`` condition."""
    return f"{AlertKind.UNIT_IN_ERROR.value}:{unit}"


def drop_settled(unit: str, raised: Collection[str]) -> None:
    """The settle sink when no notifier is plugged in."""


class Activity:
    """See the module docstring. ``error_after``: ``[notify] error_after_cadences`` as it is now
    (a reload may change it); ``alert``: where alerts go, called on the event loop and never
    allowed to break the daemon (an exception is logged). ``settled``: told, once per unit
    after its first complete run since start, the alert keys that run left standing for it
    (its open alerting findings, and its ``unit_in_error`` while it fails), so the notifier
    resolves what it sent before a restart that no longer stands."""

    def __init__(
        self,
        state: DaemonState,
        metrics: BridgeMetrics,
        *,
        error_after: Callable[[], int],
        alert: Callable[[Alert], None] = drop_alert,
        settled: Callable[[str, Collection[str]], None] = drop_settled,
        clock: Clock = SYSTEM,
    ) -> None:
        self.state = state
        self.metrics = metrics
        self.error_after = error_after
        self.alert = alert
        self.settled = settled
        self.clock = clock
        self._open: dict[str, dict[FindingKey, Finding]] = {}
        self._failing: set[str] = set()
        #: unit -> monotonic time of the end of its first failed run in a row, while it fails
        self._since: dict[str, float] = {}
        #: units that had a complete run since start
        self._settled: set[str] = set()
        #: vendor -> (failed attempts, monotonic time of the first) while it fails
        self._vendors: dict[str, tuple[int, float]] = {}
        self._role: str | None = None
        self._config_refused = False

    # -- what callers read ----------------------------------------------------------------------

    def open_findings(self, unit: str | None = None) -> list[Finding]:
        """The findings open now (a unit's, or every unit's), in canonical order."""
        units = [unit] if unit is not None else sorted(self._open)
        out = [f for u in units for f in self._open.get(u, {}).values()]
        return sorted(out, key=Finding.sort_key)

    def failing_units(self) -> list[str]:
        """Units failing for ``error_after`` of their cadences, or failing TERMINAL."""
        return sorted(self._failing)

    # -- units ----------------------------------------------------------------------------------

    def after_run(
        self,
        unit: str,
        report: RunReport | None,
        *,
        failures: int,
        ending: Ending,
        every_s: float,
        kind: ErrorKind | None = None,
        reason: str = "",
    ) -> None:
        """Tell what unit ``unit``'s run did. ``report`` None: the run was cut off (a timeout, a
        refusal by configuration) and read nothing to go by; ``failures``: the unit's failed
        runs in a row, this one counted; ``every_s``: the unit's cadence; ``kind``: the worst
        kind of this run's errors (its requeue's), None when it went through."""
        now = self.clock.now()
        if report is not None:
            ours = [u for u in report.units if not u.leased_elsewhere]
            single = {pid for u in ours for pid in u.performance_ids}
            pid = next(iter(single)) if len(single) == 1 else None
            for u in ours:
                for r in u.outcome.results if u.outcome else []:
                    h = op_happening(r, now, unit=unit, performance_id=pid)
                    if h is not None:
                        self._tell(h)
            if ours:  # a unit another instance ran tells nothing here
                # complete: every part was run here and read and planned in full (no error of
                # its own); a failed or unknown write does not make the findings of the plan
                # it applied any less whole, nor does an ERROR finding (one of a full read)
                complete = len(ours) == len(report.units) and not any(u.errors for u in ours)
                self._findings(unit, [f for u in ours for f in u.plan.findings], complete)
                if complete and unit not in self._settled:
                    self._settled.add(unit)
                    self._settle(unit, failing=failures > 0)
        self._health(unit, failures, ending, reason, every_s, kind)
        self._count_conflicts()

    def _settle(self, unit: str, *, failing: bool) -> None:
        found = self._open.get(unit, {}).values()
        raised = {alert_key(f) for f in found if alert_kind_of(f) is not None}
        if failing:
            raised.add(unit_alert_key(unit))
        try:
            self.settled(unit, raised)
        except Exception as exc:  # a notifier's trouble never stops a unit
            log.warning("the settle sink failed", unit=unit, error=str(exc))

    def forget_unit(self, unit: str, *, resolve: bool = True, regrouped: bool = False) -> None:
        """Unit ``unit`` left the schedule (its performances ended, or are no longer mapped):
        its open findings go, and the alerts they raised are resolved, so no notifier keeps a
        condition firing that nobody will ever clear. Not told as "cleared": no run found them
        gone. ``resolve=False``: the unit was handed to another instance of a shared store,
        which tells of (and alerts on) what it finds; only this instance's count drops.
        ``regrouped``: its performances went on in other units (one joined a season): its
        findings' conditions go on there, under the same keys, unresolved; its own
        ``unit_in_error`` ends (that unit is no more)."""
        self._since.pop(unit, None)
        if regrouped and unit in self._failing:
            self._failing.discard(unit)
            why = f"resolved: unit {unit} regrouped: its performances run in other units"
            self._send(self._unit_alert(unit, False, why))
        if not resolve or regrouped:
            self._open.pop(unit, None)
            self._failing.discard(unit)
            self._count_conflicts()
            return
        now = self.clock.now()
        why = "the performance left the schedule"
        for f in self._open.pop(unit, {}).values():
            self._send(finding_alert(f, now, unit=unit, firing=False, why=why))
        if unit in self._failing:
            self._failing.discard(unit)
            self._send(self._unit_alert(unit, False, f"resolved: unit {unit} left the schedule"))
        self._count_conflicts()

    def _findings(self, unit: str, after: list[Finding], complete: bool) -> None:
        now = self.clock.now()
        before = self._open.get(unit, {})
        opened, cleared, open_now = finding_changes(before, after, complete=complete)
        for f in opened:
            self._tell(finding_opened(f, now, unit=unit))
            self._send(finding_alert(f, now, unit=unit, firing=True))
        for f in cleared:
            self._tell(finding_cleared(f, now, unit=unit))
            self._send(finding_alert(f, now, unit=unit, firing=False))
        for key, f in open_now.items():  # still open, changed (a count, a detail): again
            old = before.get(key)
            if old is not None and finding_signature(old) != finding_signature(f):
                self._send(finding_alert(f, now, unit=unit, firing=True))
        if open_now:
            self._open[unit] = open_now
        else:
            self._open.pop(unit, None)

    def _health(
        self,
        unit: str,
        failures: int,
        ending: Ending,
        reason: str,
        every_s: float,
        kind: ErrorKind | None,
    ) -> None:
        """A unit failing for ``error_after`` of its cadences since its first failed run (not
        that many runs: a failing run comes back after a backoff, far sooner than a cadence),
        or at once when its failure is TERMINAL (a person must act), raises ``unit_in_error``."""
        now, mono = self.clock.now(), self.clock.monotonic()
        if failures > 0:
            since = self._since.setdefault(unit, mono)
            failing_s = mono - since
            due = kind is ErrorKind.TERMINAL or failing_s >= self.error_after() * every_s
            if not due or unit in self._failing:
                return
            self._failing.add(unit)
            summary = (
                f"unit {unit} failing for {round(failing_s):g} s, "
                f"{failures} run{'s' if failures != 1 else ''} in a row"
                + (f": {reason}" if reason else "")
            )
            fields = {
                "failures": failures,
                "failing_s": round(failing_s, 1),
                "result": ending.value,
                "reason": reason,
                "error_kind": kind.value if kind is not None else "",
            }
            self._tell(
                Happening(
                    Topic.UNIT_FAILING, now, summary, Severity.ERROR.value, unit=unit, fields=fields
                )
            )
            self._send(self._unit_alert(unit, True, summary, fields))
            return
        self._since.pop(unit, None)
        if unit in self._failing:
            self._failing.discard(unit)
            summary = f"unit {unit} recovered: its run went through"
            fields = {"result": ending.value}
            self._tell(Happening(Topic.UNIT_RECOVERED, now, summary, unit=unit, fields=fields))
            self._send(self._unit_alert(unit, False, summary, fields))

    def _unit_alert(
        self, unit: str, firing: bool, summary: str, fields: dict[str, Any] | None = None
    ) -> Alert:
        return Alert(
            AlertKind.UNIT_IN_ERROR,
            unit_alert_key(unit),
            firing,
            summary,
            self.clock.now(),
            unit=unit,
            fields=fields or {},
        )

    def _count_conflicts(self) -> None:
        self.metrics.conflicts_open(
            sum(
                1
                for found in self._open.values()
                for f in found.values()
                if f.severity is Severity.CONFLICT
            )
        )

    # -- the daemon -----------------------------------------------------------------------------

    def role(self, role: str, detail: str = "") -> None:
        """This instance's role changed: ``active``, ``standby``, ``lost`` (the writer role went
        to another daemon) or ``stopped``; the same role again says nothing."""
        if role == self._role:
            return
        self._role = role
        words, severity = _ROLES.get(role, (role, Severity.INFO))
        summary = f"{words} ({detail})" if detail else words
        fields = {"role": role, **({"detail": detail} if detail else {})}
        self._tell(Happening(Topic.ROLE, self.clock.now(), summary, severity.value, fields=fields))

    def config(self, reload: Reload) -> None:
        """A config check found an edit: applied, refused, or (after a refusal) fixed."""
        now = self.clock.now()
        if reload.result is ReloadResult.REFUSED:
            self._config_refused = True
            summary = "config edit refused; the last good config keeps running"
            fields: dict[str, Any] = {"result": "refused", "errors": list(reload.errors)}
            self._tell(Happening(Topic.CONFIG, now, summary, Severity.ERROR.value, fields=fields))
            return
        fixed, self._config_refused = self._config_refused, False
        if reload.result is ReloadResult.APPLIED:
            summary = "config fixed and applied" if fixed else "config applied"
            fields = {"result": "fixed" if fixed else "applied", "changes": list(reload.changes)}
        elif fixed:
            summary = "config fixed: the files are as the running config again"
            fields = {"result": "fixed"}
        else:
            return  # checked and unchanged: nothing happened
        self._tell(Happening(Topic.CONFIG, now, summary, fields=fields))

    def vendor(self, exchange: Exchange) -> None:
        """One attempt of a vendor request: the first that fails (a 5xx, no answer) after
        answers says "failing", the first answer after says "recovered"; retries in between
        say nothing here (the HTTP layer logs its retries)."""
        name = exchange.vendor
        failed = exchange.status is None or exchange.status >= 500
        if exchange.status is None and exchange.error is None:
            return  # neither an answer nor a failure (cancelled): nothing to go by
        mono = self.clock.monotonic()
        if failed:
            if name in self._vendors:
                n, since = self._vendors[name]
                self._vendors[name] = (n + 1, since)
                return
            self._vendors[name] = (1, mono)
            how = f"HTTP {exchange.status}" if exchange.status is not None else "no answer"
            err = f" ({exchange.error})" if exchange.error else ""
            fields: dict[str, Any] = {
                "vendor": name,
                "endpoint": exchange.endpoint,
                "status": exchange.status,
                "error": exchange.error,
            }
            summary = f"{name} failing: {how}{err} on {exchange.endpoint}"
            happening = Happening(
                Topic.VENDOR, self.clock.now(), summary, Severity.WARNING.value, fields=fields
            )
            self._tell(happening)
            return
        if name not in self._vendors:
            return
        n, since = self._vendors.pop(name)
        down = round(mono - since, 1)
        summary = (
            f"{name} recovered after {n} failed attempt{'s' if n != 1 else ''} over {down:g} s"
        )
        fields = {"vendor": name, "failed_attempts": n, "down_s": down}
        self._tell(Happening(Topic.VENDOR, self.clock.now(), summary, fields=fields))

    # -- telling --------------------------------------------------------------------------------

    def _tell(self, h: Happening) -> None:
        """Onto the feed, and one log line."""
        self.state.activity.append(h)
        line: dict[str, Any] = {k: v for k, v in h.fields.items() if k != "event"}
        line["topic"] = h.topic.value
        for key, value in (
            ("unit", h.unit),
            ("performance_id", h.performance_id),
            ("event_key", h.event_key),
        ):
            if value is not None:
                line[key] = value
        getattr(log, _LEVELS.get(h.severity, "info"))(h.summary, **line)

    def _send(self, alert: Alert | None) -> None:
        if alert is None:
            return
        try:
            self.alert(alert)
        except Exception as exc:  # a notifier's trouble never stops a unit
            log.warning("the alert sink failed", alert=alert.key, error=str(exc))
