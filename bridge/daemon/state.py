"""What the daemon remembers between runs: per unit its job, failures and next run, and the
daemon's own config and discovery health. The daemon writes it; the status view reads it."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from bridge.core.happenings import Happening
from bridge.daemon.schedule import NextRun, UnitJob

__all__ = ["ACTIVITY_KEPT", "DaemonState", "UnitState"]

#: How many happenings the page's activity feed keeps (newest last).
ACTIVITY_KEPT = 500


@dataclass
class UnitState:
    """What the daemon remembers of a unit between runs."""

    job: UnitJob
    failures: int = 0
    next: NextRun | None = None
    next_at: datetime | None = None
    waits_for_config: bool = False
    #: how its last run ended (:class:`bridge.core.outcome.Ending`'s value); None before one
    last_ending: str | None = None
    #: why its last run failed, when it did (a timeout says after how long)
    last_error: str = ""
    #: when a run of it last did its job: no error, refusal nor part leased elsewhere; None: not
    #: yet. The page's "last sync" of a performance is its own (DaemonState.last_synced)
    last_success: datetime | None = None


@dataclass
class DaemonState:
    """What /readyz, /status and `seatbridge status` report of the daemon itself."""

    config_ok: bool = True
    config_error: str = ""
    #: when discovery last succeeded: wall time to show, monotonic time to judge its age by
    last_discovery: datetime | None = None
    last_discovery_mono: float | None = None
    discovery_error: str = ""
    #: settings edited since the start that take effect only at the next restart
    restart_pending: list[str] = field(default_factory=list)
    units: dict[str, UnitState] = field(default_factory=dict)
    #: monotonic times: when this daemon started running units, and when a unit's run last came
    #: to an end of its own (not a timeout); /readyz judges the schedule's progress by them
    running_since_mono: float | None = None
    last_run_done_mono: float | None = None
    #: why the store this daemon opened is gone (removed, replaced, unwritable): it stops
    store_gone: str = ""
    #: performance id -> its production's name, as discovery read it (the page shows names)
    names: dict[int, str] = field(default_factory=dict)
    #: performance id -> its start, as the last discovery found it (None: could not be read)
    starts: dict[int, datetime | None] = field(default_factory=dict)
    #: performance id -> when a run of this daemon last brought it in step (its outcome converged
    #: or conflicts: see bridge.reconcile.run.synced_performances); the page's "last sync"
    last_synced: dict[int, datetime] = field(default_factory=dict)
    #: the latest happenings, oldest first: the page's activity feed (see bridge.daemon.activity)
    activity: deque[Happening] = field(default_factory=lambda: deque(maxlen=ACTIVITY_KEPT))
