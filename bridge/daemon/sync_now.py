""" "Sync now": an operator asks the daemon to run a performance's unit at once, not at its cadence.

What a request may answer (:class:`SyncAnswer`): accepted (the unit runs now, or right after
the run in flight), not scheduled (the daemon knows no unit with that performance: unknown or
ended), not here (a standby, or another instance on a shared store runs the unit: it says where
the one that does listens, when it knows). A unit whose last run ended in an error that waits
for a fix is run anyway (the fix may have been made in seats.io or Tessitura, which no config
change announces), and the answer says it waited.

APScheduler runs one instance of a unit's job at a time (``max_instances=1``): a fire while a
run is in flight is dropped, not queued. So a request during a run is remembered here
(:meth:`SyncRequests.request`) and honoured when the run ends (:meth:`SyncRequests.ended`). A
request while one is already pending is accepted and queues nothing more: clicking twice runs
the unit once.

The CLI (``seatbridge sync``) reads the JSON of :meth:`SyncAnswer.to_json`; the field names are
this module's, so both sides share them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from bridge.daemon.notes import DaemonView

__all__ = [
    "SyncAnswer",
    "SyncRequests",
    "Verdict",
    "accepted",
    "not_here",
    "not_scheduled",
]

T = TypeVar("T")


class Verdict(StrEnum):
    """What became of a sync-now request."""

    ACCEPTED = "accepted"
    #: accepted, though the unit's last run ended in an error that waits for a fix
    WAITS_FOR_CONFIG = "waits_for_config"
    NOT_SCHEDULED = "not_scheduled"
    NOT_HERE = "not_here"


#: the HTTP status of each verdict
HTTP_STATUS: Mapping[Verdict, int] = {
    Verdict.ACCEPTED: 202,
    Verdict.WAITS_FOR_CONFIG: 202,
    Verdict.NOT_SCHEDULED: 404,
    Verdict.NOT_HERE: 409,
}


@dataclass(frozen=True, slots=True)
class SyncAnswer:
    """The daemon's answer to "sync performance N now". ``unit``: its unit's key;
    ``in_flight``: a run of the unit was under way (the unit runs again right after it);
    ``already_requested``: a request was pending already (nothing more is queued);
    ``instance``/``listen``: the daemon that runs the unit and where it listens, when it is not
    this one and they are known; ``message``: one line for people."""

    verdict: Verdict
    performance_id: int
    message: str
    unit: str | None = None
    in_flight: bool = False
    already_requested: bool = False
    instance: str | None = None
    listen: str | None = None

    @property
    def accepted(self) -> bool:
        return HTTP_STATUS[self.verdict] == 202

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.verdict]

    def to_json(self) -> dict[str, object]:
        return {
            "result": self.verdict.value,
            "accepted": self.accepted,
            "performance_id": self.performance_id,
            "unit": self.unit,
            "in_flight": self.in_flight,
            "already_requested": self.already_requested,
            "instance": self.instance,
            "listen": self.listen,
            "message": self.message,
        }


def accepted(
    pid: int,
    unit: str,
    *,
    in_flight: bool,
    already: bool,
    waits_for_config: bool,
    quiet_s: float = 0.0,
) -> SyncAnswer:
    """``quiet_s``: the unit was taken from a daemon that died, and runs only once that
    daemon's requests are surely over (see Membership.stay_quiet)."""
    when = "right after the run in flight" if in_flight else "now"
    if quiet_s > 0:
        when = f"in {quiet_s:.0f} s, once the requests of the daemon it was taken from are over"
    message = f"performance {pid}: unit {unit} runs {when}"
    if already:
        message += " (a request was pending already: it runs once)"
    if waits_for_config:
        message += "; its last run ended in an error that needs a fix (see the status)"
    verdict = Verdict.WAITS_FOR_CONFIG if waits_for_config else Verdict.ACCEPTED
    return SyncAnswer(
        verdict, pid, message, unit=unit, in_flight=in_flight, already_requested=already
    )


def not_scheduled(pid: int) -> SyncAnswer:
    return SyncAnswer(
        Verdict.NOT_SCHEDULED,
        pid,
        f"performance {pid} is not scheduled by this daemon "
        "(not in the tables, not discovered yet, or ended)",
    )


def not_here(
    pid: int, why: str, view: DaemonView | None, me: str, owner: str | None = None
) -> SyncAnswer:
    """Not this daemon's to run: ``why``, and the live active daemon (``owner``, or any other
    than ``me``) with where it listens, when the store's role notes know them."""
    other = next(
        (
            d
            for d in (view.daemons if view is not None else ())
            if d.live and d.role == "active" and d.holder != me and owner in (None, d.holder)
        ),
        None,
    )
    instance = other.holder if other is not None else owner
    listen = (other.listen or None) if other is not None else None
    where = f": ask the daemon on {listen}" if listen else ""
    return SyncAnswer(
        Verdict.NOT_HERE,
        pid,
        f"performance {pid}: {why}{where}",
        instance=instance,
        listen=listen,
    )


class SyncRequests:
    """Which units run now and which have a sync-now request pending (the daemon's loop only).

    The daemon calls :meth:`fired` when a unit's job fires, :meth:`started` and :meth:`ended`
    around its run; :meth:`request` says what a new request needs."""

    def __init__(self) -> None:
        self._running: set[str] = set()
        self._pending: set[str] = set()
        self._again: set[str] = set()

    def request(self, key: str) -> tuple[bool, bool]:
        """Note a request for unit ``key``: (whether a run of it is in flight, whether a
        request was pending already). Unless a run is in flight the caller fires the unit now
        (again, if it was pending: a fire is idempotent, and a fire that did not start a run
        must not swallow the requests after it); a run in flight is followed by another when
        it ends (:meth:`ended`)."""
        in_flight = key in self._running
        already = key in (self._again if in_flight else self._pending)
        if in_flight:
            self._again.add(key)
        else:
            self._pending.add(key)
        return in_flight, already

    def fired(self, key: str) -> None:
        """The unit's job fired: a pending request is served by this run (or the unit is
        rescheduled by what stopped it, and a new request fires it again)."""
        self._pending.discard(key)

    def started(self, key: str) -> None:
        """The unit's run starts reading: it serves every request made before."""
        self._running.add(key)
        self._pending.discard(key)

    def ended(self, key: str) -> bool:
        """The unit's run ended: whether a request came during it (then it runs again now,
        and that request stays pending until the unit's job fires)."""
        self._running.discard(key)
        if key in self._again:
            self._again.discard(key)
            self._pending.add(key)
            return True
        return False
