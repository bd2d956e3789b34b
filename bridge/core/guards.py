"""Guards that hold a whole pass back: the mass-release breaker across units (over a rolling
window in the daemon), performances whose holds vanished at once, and seat tables that shrank since
the last run (a lost row makes its seat's hold unknowable)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bridge.core.policy import Policy
from bridge.mapping.model import MappingTables


@dataclass(slots=True)
class ReleaseBreaker:
    """The mass-release guard across a whole pass: units may free objects until the pass has
    freed more than the share of all the bridge holds in it (and at least the floor); the units
    after that lift nothing, so a glitch that empties many small performances at once is caught
    even where each one alone stays under the floor."""

    share: float
    floor: int
    held: int
    freed: int = 0

    @classmethod
    def for_pass(cls, policy: Policy, held: int) -> ReleaseBreaker:
        """The breaker of a pass over units the bridge holds ``held`` objects in (the ledger's
        rows on :func:`pass_keys`)."""
        return cls(policy.mass_release_share, policy.mass_release_floor, held)

    def admit(self, released: int) -> bool:
        """Whether a unit may make ``released`` more objects buyable; counted if so."""
        if released == 0:
            return True
        total = self.freed + released
        if total > self.share * self.held and total >= self.floor:
            return False
        self.freed = total
        return True

    @classmethod
    def for_window(
        cls,
        policy: Policy,
        held: int,
        earlier: Iterable[Release],
        now: datetime,
        window_s: float,
    ) -> ReleaseBreaker:
        """The breaker of a rolling window (the daemon's): the releases admitted within
        ``window_s`` before ``now`` count as freed already, as the earlier units of one pass
        would; ``held`` is what the bridge holds across every unit the window may run."""
        return cls(
            policy.mass_release_share,
            policy.mass_release_floor,
            held,
            freed_within(earlier, now, window_s),
        )

    def reason(self, released: int) -> str:
        return (
            f"this pass has freed {self.freed} and would free {released} more of the "
            f"{self.held} objects the bridge holds in it: over {self.share:.0%} and at least "
            f"{self.floor}"
        )


class Breaker(Protocol):
    """What a unit asks of the mass-release breaker it runs under (a pass's, or the daemon's
    rolling window)."""

    def admit(self, released: int) -> bool: ...

    def reason(self, released: int) -> str: ...


@dataclass(frozen=True, slots=True)
class Release:
    """``freed`` objects made buyable by a unit the breaker admitted at ``at``."""

    at: datetime
    freed: int


def in_window(release: Release, now: datetime, window_s: float) -> bool:
    """Whether ``release`` counts in the window that ends at ``now``: within ``window_s`` before
    it (a release dated after ``now``, a wall-clock step back, counts too: fail closed)."""
    return release.at > now - timedelta(seconds=window_s)


def freed_within(releases: Iterable[Release], now: datetime, window_s: float) -> int:
    """Objects the admitted releases of the window ending at ``now`` made buyable."""
    return sum(r.freed for r in releases if in_window(r, now, window_s))


#: A performance the bridge holds this many objects for, whose holds answer is empty, vanished:
#: a glitch (a wrong filter, an emptied cache upstream) looks exactly like that.
VANISHED_FROM = 5


def vanished_holds(holds: Mapping[int, int], had: Mapping[int, int]) -> dict[int, str]:
    """Performances whose holds answer has no hold at all (``holds``: performance id -> holds
    read) where the bridge holds at least :data:`VANISHED_FROM` objects for them (``had``: the
    ledger's rows on the performance's event and its season), with why: a mass release whatever
    the floor, refused unless forced. The shell asks twice: which to read again, then which
    are still empty (hence "twice" in the reason). A drop to holds the tables ignore is not
    empty: it is a release like any other, under the floor and the share."""
    return {
        pid: (
            f"Tessitura answered no hold at all for performance {pid}, twice, where the bridge "
            f"holds {had[pid]} objects for it"
        )
        for pid, n in sorted(holds.items())
        if n == 0 and had.get(pid, 0) >= VANISHED_FROM
    }


def pass_keys(tables: MappingTables, units: Iterable[tuple[int, ...]]) -> list[str]:
    """The event and season keys of a pass's units, whose ledger rows the breaker counts."""
    keys: set[str] = set()
    for unit in units:
        for pid in unit:
            target = tables.target_for(pid)
            if target is not None:
                keys.add(target.event_key)
                if target.season_key:
                    keys.add(target.season_key)
    return sorted(keys)


def shrunk_tables(
    sizes: Mapping[int, int], last: Mapping[int, int], shrink_share: float
) -> dict[int, str]:
    """Seat maps whose table lost more than ``shrink_share`` of its rows since the last run: a
    lost row makes its seat's hold unknowable, so the table is not trusted (``--force`` is)."""
    out: dict[int, str] = {}
    for seat_map_id, rows in sorted(sizes.items()):
        before = last.get(seat_map_id)
        if before and rows < before * (1 - shrink_share):
            out[seat_map_id] = (
                f"the seat table has {rows} rows, {before} at the last run (more than "
                f"{shrink_share:.0%} lost); reconcile --force accepts it"
            )
    return out
