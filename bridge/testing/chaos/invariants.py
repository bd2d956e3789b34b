"""What a chaos run must never see, judged from the sandbox's own state and logs and the store.

- **held, yet buyable**: a seat Tessitura holds with a mapped code is buyable online (free, for
  sale, in no channel or in a partner's: see :func:`buyable`) for longer than :func:`allowance`
  (the cadence, a backoff, one run, plus the time vendor calls were failing or an instance was
  down; for a hold placed while Tessitura answered no holds for its performance, that time too);
- **converged while pending**: the store reports a performance converged by a run that began
  after a hold was placed, while that seat is still buyable;
- **sold or foreign touched**: the bridge changed an object that was booked, held by a token, in
  resale, or in a status the bridge does not own (replayed from seats.io's status-change log,
  with the buyers' own changes set apart);
- **applied twice**: two status changes by the bridge in a row on one object, to one status;
- **outside the ledger**: the bridge changed an object no journaled operation named (the journal
  is written before each call, as the ledger claim is);
- **held seat released while held**: a seat Tessitura has held for longer than any run's reads
  may be old (:data:`STALE_RELEASE_S`; the sample's own holds: since before the bridge started)
  went from blocked to buyable online, and no buyer (nor a partner's channel) freed it: only a
  write planned on a read from before the hold can do that, a stale writer's (one that was
  frozen, or lost its store session, past its lease), or one that took a holds answer of ``[]``
  for every hold lifted, however briefly it lasts;
- **two writers**: two instances wrote to one event at overlapping times, or together kept more
  regular-lane requests in flight than the configured budget (several instances share it);
- **box-office layer lost** (issue 26): a hold layer the box office put on a seat (or the
  sample's own), and did not take off itself, is missing from it for longer than
  :meth:`Seen.allowance` (none of the harness's layers has an end date), or at the end;
- **write-back on a sold seat**: a line of the write-back's code landed on a seat sold at the
  box office (the fake counts them: ``TessituraWorld.sold_seat_layers``);
- **not converged** within the bound after the faults stop, or a lifted hold still blocking; with
  the write-back on, also a seat booked or in resale online (not sold in Tessitura) without the
  write-back code, or a seat free online whose only layer is that code;
- **a secret** in any log line, status output or page.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bridge.clock import SYSTEM
from bridge.sandbox import Sandbox
from bridge.sandbox.control import LogEntry
from bridge.sandbox.seatsio_model import BOOKED, FREE, HELD, RESALE, ObjectView
from bridge.store.base import SyncOutcome
from bridge.testing.daemon import converged as store_converged
from bridge.testing.sandbox import CHECKOUT, config_store

#: The sample venue's hold codes the bridge mirrors (hold-codes.csv; 90, the write-back's own
#: code, is mapped to ignore).
MAPPED_CODES = frozenset({1, 2, 3, 4, 5, 6})
#: The status that holds a seat whose planned form cannot be written, where its code names no
#: fallback of its own (config/sandbox.toml ``[safety] fallback_status``).
FALLBACK_STATUS = "held-by-bridge"
#: Statuses the bridge sets (hold-codes.csv targets and fallbacks, and the config's fallback);
#: anything else is foreign.
BRIDGE_STATUSES = frozenset(
    {"held-press", "held-access", "held-house", "held-comps", "held-subscription", FALLBACK_STATUS}
)
#: The channels of the sample's hold-code table (mappings/sample/hold-codes.csv): the bridge's.
#: Any other channel is a partner's (perf-202's ``partner-presale``), which sells to its buyers.
BRIDGE_CHANNELS = frozenset({"access", "house", "artist-comps", "subscribers"})
#: Statuses the bridge must never change.
PROTECTED = frozenset({BOOKED, HELD, RESALE})
#: The cadence, one backoff at its cap, one run at its timeout (runner.SETTINGS), and a margin.
BASE_ALLOWANCE_S = 1.0 + 1.5 + 4.0 + 1.0
#: What a restarted instance needs before its first run: start, discovery, membership.
STARTUP_S = 4.0
#: A run's reads happen at most this long before the run's journaled start (its timeout).
RUN_READS_WITHIN_S = 4.0
#: The regular-lane budget of config/sandbox.toml, which every instance of a venue shares.
REGULAR_LANE_BUDGET = 5
#: The client timeout of a chaos run (runner.TIMEOUT_S).
CLIENT_TIMEOUT_S = 1.0
#: A request the fake hangs counts against the lane budget for as long as the client keeps its
#: slot: its timeout, and one timeout more (the slot lingers: seats.io may still run it), less
#: what the request's way to the server may take; a hung read stalls for several timeouts, and
#: no client can tell when seats.io gives up on it.
HUNG_COUNTS_S = 2 * CLIENT_TIMEOUT_S - 0.05
#: A release planned on a read at most this old: a run's reads (its timeout), one request's
#: time on the wire (the client timeout, runner.TIMEOUT_S), and a margin. A held seat made
#: buyable later than this after its hold was placed was released on an older read.
STALE_RELEASE_S = RUN_READS_WITHIN_S + CLIENT_TIMEOUT_S + 1.0

_EVENT_WRITE = re.compile(r"^/events/(?P<key>[^/]+)/(actions|channels)")
_MULTI_EVENT = frozenset({"groups", "actions"})
#: The process id in a bridge instance's User-Agent (``...:<pid>:...``).
_AGENT_PID = re.compile(r":(\d+):")


def buyable(view: ObjectView) -> bool:
    """What some online buyer can select: free (or resale), for sale, and in no channel or in a
    partner's (a channel the bridge does not own sells to the partner's buyers: a held seat there
    must be held by a status). A bridge status (``held-house``, ``held-by-bridge``) is unbuyable."""
    return view.is_available and (view.channel is None or view.channel not in BRIDGE_CHANNELS)


def open_to_public(view: ObjectView) -> bool:
    """What a buyer without any channel key can select (the buyers the traffic plays)."""
    return view.is_available and view.channel is None


def _overlap(spans: Iterable[tuple[float, float]], start: float, end: float) -> float:
    return sum(max(0.0, min(b, end) - max(a, start)) for a, b in spans)


@dataclass
class Seen:
    """What the harness did and saw: the start state, its own changes, the spells."""

    initial: dict[tuple[str, str], str]
    initial_ids: dict[str, set[int]]
    event_keys: tuple[str, ...]
    #: (event key, label) -> (status, channel, for sale) before the bridge ran: what a seat
    #: nobody holds goes back to (another party's channel, say, is not the bridge's to clear)
    initial_views: dict[tuple[str, str], tuple[str, str | None, bool]] = field(default_factory=dict)
    buyer_ids: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    #: (performance, seat) -> (monotonic, wall) of the latest placement by the box office
    placed_at: dict[tuple[int, int], tuple[float, datetime]] = field(default_factory=dict)
    lifted_seats: set[tuple[int, int]] = field(default_factory=set)
    #: (performance, seat) -> (monotonic, wall) when it became held and buyable
    spells: dict[tuple[int, int], tuple[float, datetime]] = field(default_factory=dict)
    reported: set[tuple[Any, ...]] = field(default_factory=set)
    faults: list[tuple[float, float]] = field(default_factory=list)
    calm_at: float | None = None
    #: process ids of the daemons the schedule signalled
    signalled: set[int] = field(default_factory=set)
    #: (process id, from, to) of every pause (SIGSTOP to SIGCONT), monotonic
    paused: list[tuple[int, float, float]] = field(default_factory=list)
    #: the store file is gone (the harness does not open it meanwhile: that would make anew)
    store_gone: bool = False
    #: (from, to) monotonic spans where daemons' PostgreSQL sessions were being terminated
    sessions_cut: list[tuple[float, float]] = field(default_factory=list)
    #: (event key, label) a buyer released, or a partner's channel took, since the last sample:
    #: made buyable, not by the bridge
    buyer_freed: set[tuple[str, str]] = field(default_factory=set)
    #: held seats (performance, seat) that were not buyable at the last sample, and when that was
    blocked: set[tuple[int, int]] = field(default_factory=set)
    last_sample: float | None = None
    #: (performance, seat) -> when a hold the box office did not place was first seen
    first_held: dict[tuple[int, int], float] = field(default_factory=dict)
    #: performance -> (from, to) monotonic spans where Tessitura answered no holds for it
    blind: dict[int, list[tuple[float, float]]] = field(default_factory=lambda: defaultdict(list))
    #: held seats seen blocked online since their hold was placed (the bridge had seen them)
    ever_blocked: set[tuple[int, int]] = field(default_factory=set)
    #: the write-back's hold code when the chaos boxes write back (None: they only read)
    writeback_code: int | None = None
    #: (performance, seat) -> the hold codes the box office put there (or the sample had) and
    #: did not take off itself: what must stay on the seat
    office: dict[tuple[int, int], set[int]] = field(default_factory=lambda: defaultdict(set))
    #: (performance, seat, code) -> when a box-office layer was first seen missing
    office_missing: dict[tuple[int, int, int], float] = field(default_factory=dict)
    #: box-office layers that went missing and came back (lifted, then put back by someone)
    office_restored: int = 0

    @classmethod
    def start(cls, box: Sandbox) -> Seen:
        world = box.seatsio_world
        keys = sorted(
            {p.event_key for p in box.venue.performances}
            | {k for p in box.venue.performances if (k := p.seatsio_season_key)}
        )
        initial: dict[tuple[str, str], str] = {}
        views: dict[tuple[str, str], tuple[str, str | None, bool]] = {}
        ids: dict[str, set[int]] = {}
        for key in keys:
            for v in world.object_views(key):
                initial[(key, v.object.label)] = v.status
                views[(key, v.object.label)] = (v.status, v.channel, v.for_sale)
            ids[key] = {c.id for c in world.status_changes(key)}
        # the sample's own holds are held from before the bridge starts: a release of one while
        # it is held is a stale writer's, however early in the chaos it comes
        now = SYSTEM.monotonic()
        first = {
            (p.id, seat): now
            for p in box.venue.performances
            for seat, layers in box.tessitura_world.held_seats(p.id).items()
            if any(layer.hold_code_id in MAPPED_CODES for layer in layers)
        }
        seen = cls(initial, ids, tuple(keys), views, first_held=first)
        for p in box.venue.performances:
            for seat, layers in box.tessitura_world.held_seats(p.id).items():
                seen.office[(p.id, seat)].update(layer.hold_code_id for layer in layers)
        return seen

    def office_put(self, pid: int, seat: int, code: int) -> None:
        """The box office put hold code ``code`` on ``seat`` (above or below the others)."""
        self.office[(pid, seat)].add(code)
        self.office_missing.pop((pid, seat, code), None)

    def office_took_off(self, pid: int, seat: int, code: int) -> None:
        """The box office took its code ``code`` off ``seat`` (the other layers stay)."""
        self.office[(pid, seat)].discard(code)
        self.office_missing.pop((pid, seat, code), None)

    def office_lifted_all(self, pid: int, seat: int) -> None:
        """The box office lifted every layer of ``seat`` (``-1``): none of them is owed."""
        for code in self.office.pop((pid, seat), set()):
            self.office_missing.pop((pid, seat, code), None)

    def placed(self, pid: int, seat: int) -> None:
        self.placed_at[(pid, seat)] = (SYSTEM.monotonic(), SYSTEM.now())
        self.lifted_seats.discard((pid, seat))
        self.ever_blocked.discard((pid, seat))

    def lifted(self, pid: int, seat: int) -> None:
        self.placed_at.pop((pid, seat), None)
        self.lifted_seats.add((pid, seat))
        self.ever_blocked.discard((pid, seat))

    def blinded(self, pid: int, start: float, duration_s: float) -> None:
        """Tessitura answers no holds for ``pid`` from ``start`` for ``duration_s``."""
        self.blind[pid].append((start, start + duration_s))

    def unseen_for(self, pid: int, seat: int, start: float, now: float) -> float:
        """How long, from ``start`` to ``now``, the bridge could not see the hold on ``seat``:
        the time Tessitura answered no holds for ``pid``, for a hold the bridge never blocked
        (one it had blocked, then freed meanwhile, gets no more time: that is the bug)."""
        if (pid, seat) in self.ever_blocked:
            return 0.0
        return _overlap(self.blind.get(pid, ()), start, now)

    def buyer_change(self, key: str, change_id: int) -> None:
        self.buyer_ids[key].add(change_id)

    def fault(self, vendor: str, start: float, duration_s: float) -> None:
        self.faults.append((start, start + duration_s))

    def calm(self, at: float) -> None:
        self.calm_at = at

    def allowance(
        self, start: float, now: float, down: list[tuple[float, float]], restarting: bool
    ) -> float:
        """How long a held seat may stay buyable from ``start`` to ``now``."""
        spans = [*down]
        if restarting:
            spans.append((start, now))
        downs = sum(1 for a, b in spans if b > start and a < now)
        return (
            BASE_ALLOWANCE_S
            + _overlap(self.faults, start, now)
            + _overlap(spans, start, now)
            + STARTUP_S * downs
        )

    def sample(
        self,
        box: Sandbox,
        config: Path,
        now: float,
        down: list[tuple[float, float]],
        restarting: Mapping[int, float],
    ) -> list[str]:
        """One look at the sandbox (and, for a long spell, the store); the violations found."""
        out: list[str] = []
        wall = SYSTEM.now()
        views = held_seat_views(box)
        out += self._released_while_held(box, views, now)
        current = {key for key, open_ in views.items() if open_}
        for key in list(self.spells):
            if key not in current:
                del self.spells[key]
        for key in current:
            self.spells.setdefault(key, (now, wall))
        long_ones = []
        self.ever_blocked.update(key for key, open_ in views.items() if not open_)
        for (pid, seat), (since, since_wall) in self.spells.items():
            allowed = self.allowance(since, now, down, bool(restarting))
            allowed += self.unseen_for(pid, seat, since, now)
            if now - since > allowed and ("buyable", pid, seat) not in self.reported:
                self.reported.add(("buyable", pid, seat))
                label = box.venue.seat(seat).label
                out.append(
                    f"performance {pid}: {label} is held in Tessitura yet buyable online for "
                    f"{now - since:.1f} s (allowed {allowed:.1f} s)"
                )
            if now - since > RUN_READS_WITHIN_S:
                long_ones.append((pid, seat, since_wall))
        if long_ones and not self.store_gone:
            out += self._converged_while_pending(box, config, long_ones, wall)
        out += self.lost_office_layers(box, now, down, bool(restarting))
        out += self.writeback_on_sold(box)
        return out

    def lost_office_layers(
        self,
        box: Sandbox,
        now: float,
        down: list[tuple[float, float]] | None = None,
        restarting: bool = False,
        *,
        final: bool = False,
    ) -> list[str]:
        """Box-office layers missing from their seat for longer than the allowance (``final``:
        missing at all, once everything has settled)."""
        out = []
        tess = box.tessitura_world
        for (pid, seat), codes in list(self.office.items()):
            live = {layer.hold_code_id for layer in tess.layers(pid, seat)}
            for code in sorted(codes):
                key = (pid, seat, code)
                if code in live:
                    if self.office_missing.pop(key, None) is not None:
                        self.office_restored += 1
                    continue
                since = self.office_missing.setdefault(key, now)
                allowed = self.allowance(since, now, down or [], restarting)
                if not final and now - since <= allowed:
                    continue
                if ("lost", pid, seat, code) in self.reported:
                    continue
                self.reported.add(("lost", pid, seat, code))
                label = box.venue.seat(seat).label
                out.append(
                    f"performance {pid}: {label} lost the box office's hold code {code} (missing "
                    f"{now - since:.1f} s{'' if final else f', allowed {allowed:.1f} s'}; now "
                    f"{_layers(tess.layers(pid, seat))}); Tessitura writes to its holds around "
                    f"then: {_hold_writes(box, pid, since - 2.0, since + 0.5) or 'none seen'}"
                )
        return out

    def writeback_on_sold(self, box: Sandbox) -> list[str]:
        """A write-back line that landed on a seat sold at the box office (counted by the fake)."""
        code = self.writeback_code
        if code is None:
            return []
        landed = box.tessitura_world.sold_seat_layers[code]
        if not landed or ("sold", 0, 0) in self.reported:
            return []
        self.reported.add(("sold", 0, 0))
        return [
            f"{landed} write-back line(s) of hold code {code} landed on seats sold at the box "
            "office (OnlyAffectAvailable not true)"
        ]

    def held_since(self, key: tuple[int, int], now: float) -> float:
        """Since when Tessitura has held ``key`` without a break (as far as the harness knows:
        its own placement, else when the hold was first seen)."""
        placed = self.placed_at.get(key)
        if placed is not None:
            return placed[0]
        return self.first_held.setdefault(key, now)

    def _released_while_held(
        self, box: Sandbox, views: Mapping[tuple[int, int], bool], now: float
    ) -> list[str]:
        """Held seats blocked at the last sample and buyable now, held for longer than
        :data:`STALE_RELEASE_S`, and not freed by a buyer (see the module docstring)."""
        out = []
        for (pid, seat), open_ in views.items():
            since = self.held_since((pid, seat), now)
            if not open_ or (pid, seat) not in self.blocked:
                continue
            perf = box.venue.performance(pid)
            label = box.venue.seat(seat).label
            if (perf.event_key, label) in self.buyer_freed or now - since <= STALE_RELEASE_S:
                continue
            if ("released", pid, seat) in self.reported:
                continue
            self.reported.add(("released", pid, seat))
            writers = self._writers(box, perf.event_key, self.last_sample or now, now)
            why = (
                "released while Tessitura answered no holds for it: a vanished answer taken "
                "for every hold lifted"
                if _overlap(self.blind.get(pid, ()), now - STALE_RELEASE_S, now) > 0
                else "released on a read older than any run's"
            )
            out.append(
                f"performance {pid}: {label}, held in Tessitura for {now - since:.1f} s, was "
                f"made buyable online ({why}); writes to "
                f"{perf.event_key} just before: {writers or 'none seen'}"
            )
        self.blocked = {key for key, open_ in views.items() if not open_}
        self.buyer_freed.clear()
        self.last_sample = now
        return out

    def _writers(self, box: Sandbox, key: str, since: float, now: float) -> str:
        """Who wrote to event ``key`` from ``since`` (less a request timeout) to ``now``: process
        ids, those that had been paused marked so."""
        frozen = {pid for pid, _, _ in self.paused}
        pids = []
        for e in box.seatsio_control.log.entries:
            m = _EVENT_WRITE.match(e.path)
            if e.method == "GET" or not m or m["key"] != key or not since - 1.0 <= e.ended <= now:
                continue
            agent = _AGENT_PID.search(e.agent)
            pid = int(agent[1]) if agent else 0
            pids.append(f"{pid}{' (had been paused)' if pid in frozen else ''}")
        return ", ".join(dict.fromkeys(pids))

    def _converged_while_pending(
        self,
        box: Sandbox,
        config: Path,
        seats: list[tuple[int, int, datetime]],
        wall: datetime,
    ) -> list[str]:
        out = []
        with config_store(config) as store:
            statuses = {s.performance_id: s for s in store.performance_statuses()}
            for pid, seat, since_wall in seats:
                s = statuses.get(pid)
                if s is None or s.outcome is not SyncOutcome.CONVERGED or s.run_id is None:
                    continue
                run = next((r for r in store.runs(10, pid) if r.run_id == s.run_id), None)
                if run is None or run.finished_at is None or run.finished_at > wall:
                    continue
                placed = self.placed_at.get((pid, seat), (0.0, since_wall))[1]
                began = run.started_at - timedelta(seconds=RUN_READS_WITHIN_S)
                if (
                    max(placed, since_wall) < began
                    and ("converged", pid, seat) not in self.reported
                ):
                    self.reported.add(("converged", pid, seat))
                    out.append(
                        f"performance {pid}: run {run.run_id} reported it converged, yet "
                        f"{box.venue.seat(seat).label}, held in Tessitura since before that "
                        "run read it, is buyable online"
                    )
        return out


def _layers(layers: Iterable[Any]) -> str:
    codes = [str(layer.hold_code_id) for layer in layers]
    return "layers " + ", ".join(codes) if codes else "no layer"


def _hold_writes(box: Sandbox, pid: int, since: float, until: float) -> str:
    """The POSTs to ``pid``'s Seats/Holds from ``since`` to ``until`` (monotonic): when, who,
    what came back."""
    path = f"/Performances/{pid}/Seats/Holds"
    found = []
    for e in box.tessitura_control.log.entries:
        if e.method == "POST" and e.path.endswith(path) and since <= e.started <= until:
            agent = _AGENT_PID.search(e.agent)
            fault = f" {e.fault}" if e.fault else ""
            found.append(f"{e.started:.2f} pid {agent[1] if agent else '?'} {e.status}{fault}")
    return "; ".join(found)


def writeback_pending(box: Sandbox, code: int) -> list[str]:
    """What the write-back has not done yet: a seat booked or in resale online on a managed
    performance, not sold in Tessitura, without ``code``; a seat free online whose only layer is
    ``code``."""
    out = []
    tess, world = box.tessitura_world, box.seatsio_world
    seat_of = {s.label: s.id for s in box.venue.seats}
    for perf in box.venue.performances:
        for view in world.object_views(perf.event_key):
            seat = seat_of.get(view.object.label)
            if seat is None:
                continue
            codes = [layer.hold_code_id for layer in tess.layers(perf.id, seat)]
            label = view.object.label
            if view.status in (BOOKED, RESALE) and code not in codes:
                if not tess.is_sold(perf.id, seat):
                    out.append(
                        f"performance {perf.id}: {label} is {view.status} online, yet Tessitura "
                        f"has no write-back hold on it ({_layers(tess.layers(perf.id, seat))})"
                    )
            elif view.status == FREE and codes == [code]:
                out.append(
                    f"performance {perf.id}: {label} is free online, yet the write-back hold is "
                    "its only layer in Tessitura"
                )
    return out


def held_seat_views(box: Sandbox) -> dict[tuple[int, int], bool]:
    """(performance, seat) -> buyable online, for every seat Tessitura holds with a mapped code."""
    out = {}
    tess, world = box.tessitura_world, box.seatsio_world
    for perf in box.venue.performances:
        for seat_id, layers in tess.held_seats(perf.id).items():
            if not any(layer.hold_code_id in MAPPED_CODES for layer in layers):
                continue
            label = box.venue.seat(seat_id).label
            out[(perf.id, seat_id)] = buyable(world.object_view(perf.event_key, label))
    return out


def held_and_buyable(box: Sandbox) -> list[tuple[int, int]]:
    """(performance, seat) of every seat Tessitura holds with a mapped code that is buyable."""
    return [key for key, open_ in held_seat_views(box).items() if open_]


def converged(box: Sandbox, config: Path) -> bool:
    """The store says every performance converged, and no held seat is buyable."""
    return store_converged(config) and not held_and_buyable(box)


def pending(box: Sandbox, seen: Seen) -> list[str]:
    """What is not yet as Tessitura says: held seats buyable, lifted seats still blocked."""
    out = [
        f"performance {pid}: {box.venue.seat(seat).label} held yet buyable"
        for pid, seat in held_and_buyable(box)
    ]
    tess, world = box.tessitura_world, box.seatsio_world
    for pid, seat in sorted(seen.lifted_seats):
        if tess.held_seats(pid).get(seat) or tess.is_sold(pid, seat):
            continue
        perf = box.venue.performance(pid)
        label = box.venue.seat(seat).label
        view = world.object_view(perf.event_key, label)
        if view.status == BOOKED or buyable(view):
            continue
        if seen.initial_views.get((perf.event_key, label)) == (
            view.status,
            view.channel,
            view.for_sale,
        ):
            continue  # as it was before the bridge ran: someone else's state
        out.append(
            f"performance {pid}: {view.object.label} lifted in Tessitura yet still "
            f"{view.status}{' in channel ' + view.channel if view.channel else ''}"
            f"{'' if view.for_sale else ', not for sale'}"
        )
    if seen.writeback_code is not None:
        out += writeback_pending(box, seen.writeback_code)
    return out


def final_checks(box: Sandbox, config: Path, seen: Seen) -> list[str]:
    """The status-change log replayed against what the bridge was allowed to do."""
    out: list[str] = two_writers(box, seen.signalled, seen.sessions_cut)
    out += seen.lost_office_layers(box, SYSTEM.monotonic(), final=True)
    out += seen.writeback_on_sold(box)
    journaled = _journaled(config)
    world = box.seatsio_world
    for key in seen.event_keys:
        changes = sorted(world.status_changes(key), key=lambda c: c.id)
        last: dict[str, tuple[str, bool]] = {}  # label -> (status, set by the bridge)
        for c in changes:
            if c.id in seen.initial_ids.get(key, set()):
                continue
            label = c.object_label
            before, by_bridge = last.get(label, (seen.initial.get((key, label), FREE), False))
            mine = c.id not in seen.buyer_ids.get(key, set())
            if mine:
                if before in PROTECTED or (before != FREE and before not in BRIDGE_STATUSES):
                    out.append(f"{key} {label}: the bridge changed it from {before} to {c.status}")
                if by_bridge and before == c.status:
                    out.append(f"{key} {label}: the bridge set {c.status} twice in a row")
                if label not in journaled.get(key, set()):
                    out.append(
                        f"{key} {label}: the bridge changed it to {c.status} with no journaled "
                        "operation naming it"
                    )
            last[label] = (c.status, mine)
    return out


def overlapping_writes(entries: Iterable[LogEntry]) -> list[tuple[str, str, str]]:
    """(event, agent, agent) for every two writes to one event by two instances (User-Agent)
    whose request times overlap at the server."""
    writes: dict[str, list[LogEntry]] = defaultdict(list)
    for e in entries:
        m = _EVENT_WRITE.match(e.path)
        # /events/groups/actions/...: a change on several events, named in the body only
        if e.method != "GET" and m and e.ended and m["key"] not in _MULTI_EVENT:
            writes[m["key"]].append(e)
    found = []
    for key, es in writes.items():
        es.sort(key=lambda e: e.started)
        for i, a in enumerate(es):
            for b in es[i + 1 :]:
                if b.started >= a.ended:
                    break
                if a.agent != b.agent:
                    found.append((key, a.agent, b.agent))
    return found


def two_writers(
    box: Sandbox,
    signalled: Iterable[int] = (),
    sessions_cut: Iterable[tuple[float, float]] = (),
) -> list[str]:
    """Instances that wrote to one event at once, or together overran the lane budget.

    The budget is counted as the server sees it, from each request's arrival to its end, except
    for requests of processes that were signalled: a killed process's request may run on at the
    server after it died, and nothing the bridge does can hold a slot for it (its session's
    slots are freed with it). The same goes for requests in flight while store sessions were
    being terminated (``sessions_cut``, plus two client timeouts): a slot is an advisory lock of
    the session, and the shared count is lost with it; the overshoot costs 429s, which are
    retried, never a seat (a known limit, docs/daemon.md "Several instances")."""
    log = box.seatsio_control.log
    out = [
        f"{key}: two instances wrote to it at overlapping times ({a} and {b})"
        for key, a, b in overlapping_writes(log.entries)
    ]
    gone = tuple(f":{pid}:" for pid in signalled)
    cut = [(a, b + 2 * CLIENT_TIMEOUT_S) for a, b in sessions_cut]
    spans = [
        (e.started, _counted_until(e))
        for e in log.entries
        if e.lane == "regular"
        and not any(g in e.agent for g in gone)
        and not any(e.started < b and _counted_until(e) > a for a, b in cut)
    ]
    peak = lane_peak(spans)
    if peak > REGULAR_LANE_BUDGET:
        out.append(f"{peak} regular-lane requests in flight at once (budget {REGULAR_LANE_BUDGET})")
    return out


def _counted_until(e: LogEntry) -> float:
    end = e.ended or e.started
    return min(end, e.started + HUNG_COUNTS_S) if e.fault == "hang" else end


def lane_peak(spans: Iterable[tuple[float, float]]) -> int:
    """The most spans open at one moment (an end before a start at the same instant)."""
    spans = list(spans)
    edges = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
    peak = now = 0
    for _, step in edges:
        now += step
        peak = max(peak, now)
    return peak


def _journaled(config: Path) -> dict[str, set[str]]:
    """Event key -> every label a journaled operation named (status and channel moves)."""
    import json

    out: dict[str, set[str]] = defaultdict(set)
    with config_store(config) as store:
        for run in store.runs(limit=1_000_000):
            for op in store.ops(run.run_id):
                data: dict[str, Any] = json.loads(op.op_json)
                labels = set(data.get("labels") or ())
                for ch in data.get("channels") or ():
                    labels.update(ch.get("labels") or ())
                for key in data.get("event_keys") or ():
                    out[key].update(labels)
    return out


#: How the bridge words an exception it did not expect: "unexpected KeyError: ..." (a unit's
#: error, the CLI's one line); never its own "unexpected response shape" of a vendor's answer.
UNEXPECTED = re.compile(r"\bunexpected [A-Z][A-Za-z]*\b")


def crashes(exited: Iterable[tuple[Path, int]]) -> list[str]:
    """An instance that exited by itself is restarted (as systemd would); that is fine when it
    said why in one line (a broken table at its start), a violation when it crashed."""
    out = []
    for log, code in exited:
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        if "Traceback" in text or UNEXPECTED.search(text):
            last = next((ln for ln in reversed(text.splitlines()) if ln.strip()), "")
            out.append(f"{log.name}: the daemon crashed (exit {code}): {last[:300]}")
    return out


def secrets() -> list[str]:
    """The sandbox config's secrets (config/sandbox-secrets/*)."""
    folder = CHECKOUT / "config" / "sandbox-secrets"
    return [
        text
        for f in sorted(folder.iterdir())
        if f.is_file() and (text := f.read_text(encoding="utf-8").strip())
    ]


def secrets_in(files: Iterable[Path]) -> list[str]:
    """A violation for every file holding a configured secret (its value is never printed)."""
    out = []
    values = secrets()
    for f in files:
        if not f.exists():
            continue
        text = f.read_text(encoding="utf-8", errors="replace")
        for i, secret in enumerate(values):
            if secret in text:
                out.append(f"{f.name}: contains configured secret #{i + 1}")
    return out
