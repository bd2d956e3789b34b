"""The daemon's mass-release breaker: a rolling window over the store, not one unit's pass.

The daemon reconciles one unit at a time, so a breaker per pass would see one small performance
at a time and let every one of them go. Here each admitted release is written to the store as a
note (``release-window/...``) and a unit's release is admitted only if, with what the window
already freed, it stays within the share and floor of :class:`~bridge.core.guards.ReleaseBreaker`:
units run within one window trip it as one ``reconcile --all`` pass over them would.

Store-wide, not per instance: daemons sharing a store split the units between them, so a window
per instance would let each free its own share. The notes are small (one per admitted release
that frees anything, pruned once out of the window), so reading them per release is cheap; the
journal's runs carry whole plans, too heavy to parse on every release. Notes are dated, counted and
pruned by the store's clock (PostgreSQL's ``now()``), so an instance whose clock runs ahead or
steps neither prunes another's releases nor dates its own out of the window. Two instances
admitting at the same instant may both pass (read, then write): a bounded overshoot of one unit
each.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime

import structlog

from bridge.clock import SYSTEM, Clock
from bridge.core.guards import Release, ReleaseBreaker, in_window
from bridge.core.policy import Policy
from bridge.store.base import StateStore
from bridge.timestamps import aware

log = structlog.get_logger("seatbridge.reconcile")

#: The notes of the window's admitted releases, one per release.
NOTE_PREFIX = "release-window/"


class WindowBreaker:
    """The breaker a daemon's units run under (see the module docstring).

    ``held``: what the bridge holds store-wide (every ledger row), read again once per window:
    the denominator a ``reconcile --all`` pass would use."""

    def __init__(
        self, store: StateStore, policy: Policy, window_s: float, clock: Clock = SYSTEM
    ) -> None:
        self.store, self.policy, self.window_s, self.clock = store, policy, window_s, clock
        self._held: tuple[int, float] | None = None  # (rows, monotonic time read)
        self._last: ReleaseBreaker | None = None

    def admit(self, released: int) -> bool:
        """Whether a unit may make ``released`` more objects buyable now; recorded if so."""
        if released == 0:
            return True
        # the store's clock: instances whose own clocks disagree, or one stepped, count alike
        now = self.store.store_now()
        breaker = ReleaseBreaker.for_window(
            self.policy, self.held(), self.releases(), now, self.window_s
        )
        self._last = breaker
        if not breaker.admit(released):
            return False
        token = secrets.token_hex(4)
        self.store.put_note(
            f"{NOTE_PREFIX}{now.isoformat()}/{token}",
            json.dumps({"at": now.isoformat(), "freed": released}),
            now=now,
        )
        self._prune(now)
        return True

    def reason(self, released: int) -> str:
        b = self._last
        freed, held = (b.freed, b.held) if b is not None else (0, 0)
        return (
            f"the daemon has freed {freed} objects in the last {self.window_s:g} s and would "
            f"free {released} more of the {held} the bridge holds: over "
            f"{self.policy.mass_release_share:.0%} and at least {self.policy.mass_release_floor}"
        )

    def held(self) -> int:
        mono = self.clock.monotonic()
        if self._held is None or mono - self._held[1] >= self.window_s:
            # both sides: seats.io objects the ledger holds and Tessitura write-back holds
            self._held = (len(self.store.ledger()) + len(self.store.writeback_holds()), mono)
        return self._held[0]

    def releases(self) -> list[Release]:
        """The admitted releases on record. A note that cannot be read counts as the floor, at
        its write time: counting it as nothing freed would not fail closed."""
        out: list[Release] = []
        for note in self.store.notes(NOTE_PREFIX):
            try:
                data = json.loads(note.value)
                out.append(Release(aware(data["at"]), int(data["freed"])))
            except (ValueError, KeyError, TypeError):
                log.warning("unreadable release-window note", note=note.key)
                out.append(Release(note.updated_at, self.policy.mass_release_floor))
        return out

    def _prune(self, now: datetime) -> None:
        for note in self.store.notes(NOTE_PREFIX):
            try:
                at = aware(json.loads(note.value)["at"])
            except (ValueError, KeyError, TypeError):
                at = note.updated_at
            if not in_window(Release(at, 0), now, self.window_s):
                self.store.delete_note(note.key)
