"""A fault schedule: what goes wrong, and what the box office and buyers do, second by second.

Pure: :func:`generate` builds a schedule from a seed, :meth:`Schedule.without` drops steps (the
shrinker's move), and a schedule round-trips through JSON so a failing one can be replayed
exactly (``python -m bridge.testing.chaos --replay FILE``). :mod:`bridge.testing.chaos.runner`
plays one against the sandbox and ``seatbridge run``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from bridge.clock import SYSTEM

#: What a step does.
StepKind = Literal[
    "fault",
    "box_office",
    "buyer",
    "sigterm",
    "sigkill",
    "edit_valid",
    "edit_invalid",
    "pause",
    "store_loss",
    "clock_step",
    "store_removed",
    "for_sale_spent",
    "holds_vanish",
    "partner_grab",
    "office_layers",
    "online_buyers",
]

#: The process-level faults (issue 24): a stall past the lease, the store's sessions or file
#: gone, the wall clock stepped. ``hung_read`` is a vendor fault (a :data:`FAULT_KINDS` sibling).
PROCESS_KINDS: tuple[StepKind, ...] = ("pause", "store_loss", "clock_step", "store_removed")

#: What others do to a held seat's form (issue 25): someone else spends an event's for-sale
#: edits of the day, then kills keep coming there; Tessitura answers no hold at all for some
#: performances while it still holds them; a partner's channel takes seats the box office holds.
WORLD_KINDS: tuple[StepKind, ...] = ("for_sale_spent", "holds_vanish", "partner_grab")

#: Who acts beside the write-back (issue 26), concurrently with the bridge: the box office
#: adding and taking off its own hold layers and selling seats; online buyers booking, reselling
#: and releasing seats in seats.io, on the same performances.
WRITEBACK_KINDS: tuple[StepKind, ...] = ("office_layers", "online_buyers")

#: The hold code the chaos boxes write back with (``[writeback] hold_code``; an ``ignore`` row).
WRITEBACK_CODE = 90

#: The sample venue's performances (bridge/sandbox/venues/grand-hall.toml), and the one with a
#: partner's channel (``partner-presale`` on perf-202, not in a season).
SAMPLE_PERFORMANCES = (201, 202, 203, 204, 101, 102, 103, 104, 105, 106, 107, 108)
PARTNER_PERFORMANCE = 202
PARTNER_CHANNEL = "partner-presale"
#: The kill (not_for_sale) hold code of the sample's table (mappings/sample/hold-codes.csv).
KILL_CODE = 5

#: Every instance (``store_loss``, ``clock_step``); for a ``pause`` on SQLite: the writer.
EVERY = -1

#: The writer lease (and, where the config has it, the unit lease) of a chaos run, in seconds:
#: a ``pause`` outlasts it, so that a successor may take over meanwhile.
LEASE_TTL_S = 3.0

#: What a fault does to the requests it hits (see :func:`fault_settings`).
FAULT_KINDS = (
    "429_concurrency",
    "429_for_sale_daily",
    "5xx",
    "timeout_before_apply",
    "timeout_after_apply",
    "drop_before_apply",
    "drop_after_apply",
    "malformed",
    "wrong_type",
    "empty",
)

#: Reads that hang (Tessitura: any request, the bridge only reads it; seats.io: GETs) for
#: several client timeouts: a stalled vendor, not a slow one. Drawn apart from
#: :data:`FAULT_KINDS` so that the older kinds of a seed stay as they were.
HUNG_READ = "hung_read"
#: The write-back's own calls (POST Seats/Holds) failing: ``variant`` "500_after_apply" (the
#: hold applied, then a 500), "hang_after_apply" (applied, then the answer stalls past the
#: client's timeout), "409_locked" (seats the bridge is writing are locked by another user's
#: pending transaction: 409 SeatLocked, nothing applied). Drawn apart, as :data:`HUNG_READ` is.
TESSITURA_WRITE_FAULT = "tessitura_write_fault"
WRITE_FAULT_VARIANTS = ("500_after_apply", "hang_after_apply", "409_locked")
#: The requests a write fault hits.
WRITE_PATH = r"/Seats/Holds$"
#: Every kind of vendor fault.
ALL_FAULT_KINDS = (*FAULT_KINDS, HUNG_READ, TESSITURA_WRITE_FAULT)

#: Which requests a fault hits: every request of its vendor, or those whose path matches.
PATHS: dict[str, tuple[str | None, ...]] = {
    "seatsio": (
        None,
        "/events/[^/]+$",
        "/objects",
        "/channels",
        "/actions/",
        "for-sale",
        "change-object-status",
    ),
    "tessitura": (None, "/Seats/Holds", "/Performances/[0-9]+$", "/Search"),
}


@dataclass(frozen=True, slots=True)
class Step:
    """One thing that happens ``at_s`` seconds into the schedule.

    ``fault``: ``vendor`` answers requests matching ``path`` (all when None) per ``fault`` with
    probability ``rate`` for ``duration_s``. ``box_office`` / ``buyer``: ``moves`` traffic moves
    (holds placed and lifted in Tessitura; seats booked and released online). ``sigterm`` /
    ``sigkill``: instance ``instance`` is signalled and restarted ``duration_s`` later.
    ``edit_valid`` / ``edit_invalid``: the hold-code table is edited (an unused code added; a
    broken row), and an invalid edit is undone ``duration_s`` later.

    The process faults: ``pause``: instance ``instance`` (:data:`EVERY` on SQLite: whichever is
    the writer then) is frozen (SIGSTOP) for ``duration_s``, longer than its lease, then resumed.
    ``store_loss``: every PostgreSQL session of ``instance`` (:data:`EVERY`: of all) is
    terminated, once (``duration_s`` 0) or again and again for ``duration_s``. ``clock_step``:
    the wall clock of ``instance`` (:data:`EVERY`: of all) moves by ``offset_s`` for
    ``duration_s`` (0: until the chaos ends). ``store_removed``: the SQLite store file is deleted
    (``variant`` "delete") or replaced by an empty file ("replace"); ``duration_s`` later the
    operator puts the file back and restarts the daemons. A ``fault`` of kind ``hung_read``
    stalls each matching read for ``hang_s``.

    The world steps (:data:`WORLD_KINDS`): ``for_sale_spent``: someone else spends the day's
    restricting for-sale edits of ``performances[0]``'s event, then ``moves`` kills (hold code
    :data:`KILL_CODE`) are placed there over ``duration_s``. ``holds_vanish``: Tessitura answers
    ``[]`` for the holds of ``performances`` for ``duration_s`` (its holds unchanged).
    ``partner_grab``: the partner's channel of ``performances[0]`` takes ``moves`` seats the
    box office holds there, and lets them go ``duration_s`` later (0: once the faults stopped and
    everything converged; then it must converge again).

    The write-back steps (:data:`WRITEBACK_KINDS`): ``office_layers``: the box office makes
    ``moves`` moves on ``performances`` over ``duration_s``: a hold layer (codes 1-6, above or
    below the others) put on a seat, sometimes one carrying the write-back code or booked online;
    one of its own layers taken off; all of a seat's layers lifted; a free seat sold.
    ``online_buyers``: buyers make ``moves`` moves there over ``duration_s``: a seat booked, a
    booked one put up for resale, one released. A ``fault`` of kind
    :data:`TESSITURA_WRITE_FAULT` fails the write-back's calls per ``variant`` (rate ``rate``).
    """

    at_s: float
    kind: StepKind
    vendor: str = ""
    fault: str = ""
    path: str | None = None
    rate: float = 1.0
    duration_s: float = 0.0
    instance: int = 0
    moves: int = 0
    offset_s: float = 0.0
    hang_s: float = 0.0
    variant: str = ""
    performances: tuple[int, ...] = ()

    def describe(self) -> str:
        t = f"{self.at_s:5.2f}s"
        if self.kind == "fault" and self.fault == TESSITURA_WRITE_FAULT:
            what = {
                "500_after_apply": f"applied, then answered 500 (rate {self.rate:.2f})",
                "hang_after_apply": "applied, then hang past the client timeout",
                "409_locked": "refused 409 SeatLocked (the seats it writes locked)",
            }.get(self.variant, self.variant)
            return f"{t} tessitura POST Seats/Holds {what} for {self.duration_s:.2f}s"
        if self.kind == "fault":
            where = self.path or "every request"
            if self.fault == HUNG_READ:
                return (
                    f"{t} {self.vendor} reads on {where} hang {self.hang_s:.2f}s each, "
                    f"for {self.duration_s:.2f}s"
                )
            return (
                f"{t} {self.vendor} {self.fault} on {where} "
                f"(rate {self.rate:.2f}) for {self.duration_s:.2f}s"
            )
        who = "every instance" if self.instance == EVERY else f"instance {self.instance}"
        if self.kind == "pause":
            if self.instance == EVERY:
                who = "the writer"
            return f"{t} {who} frozen (SIGSTOP) for {self.duration_s:.2f}s, then resumed"
        if self.kind == "store_loss":
            how = "once" if self.duration_s == 0 else f"again and again for {self.duration_s:.2f}s"
            return f"{t} the store sessions of {who} terminated {how}"
        if self.kind == "clock_step":
            until = "until the end" if self.duration_s == 0 else f"for {self.duration_s:.2f}s"
            return f"{t} the wall clock of {who} stepped {self.offset_s:+g}s {until}"
        if self.kind == "store_removed":
            what = "deleted" if self.variant == "delete" else "replaced by an empty file"
            return (
                f"{t} the store file {what}; restored and the daemons restarted "
                f"{self.duration_s:.2f}s later"
            )
        perfs = ", ".join(str(p) for p in self.performances)
        if self.kind == "for_sale_spent":
            return (
                f"{t} someone else spends the day's for-sale edits of performance {perfs}; "
                f"{self.moves} kill(s) follow there over {self.duration_s:.2f}s"
            )
        if self.kind == "holds_vanish":
            return (
                f"{t} Tessitura answers no holds (200, []) for performance(s) {perfs} "
                f"for {self.duration_s:.2f}s, its holds unchanged"
            )
        if self.kind == "partner_grab":
            until = (
                "after the chaos converged"
                if self.duration_s == 0
                else f"{self.duration_s:.2f}s later"
            )
            return (
                f"{t} the partner's channel of performance {perfs} takes {self.moves} held "
                f"seat(s), lets them go {until}"
            )
        if self.kind == "office_layers":
            return (
                f"{t} the box office: {self.moves} move(s) on performance(s) {perfs} over "
                f"{self.duration_s:.2f}s (layers put and taken off, seats sold)"
            )
        if self.kind == "online_buyers":
            return (
                f"{t} online buyers: {self.moves} move(s) on performance(s) {perfs} over "
                f"{self.duration_s:.2f}s (booked, resale, released)"
            )
        if self.kind in ("sigterm", "sigkill"):
            return (
                f"{t} {self.kind} instance {self.instance}, restarted {self.duration_s:.2f}s later"
            )
        if self.kind in ("box_office", "buyer"):
            return f"{t} {self.kind}: {self.moves} move(s)"
        if self.kind == "edit_invalid":
            return f"{t} the hold-code table broken for {self.duration_s:.2f}s"
        return f"{t} the hold-code table edited (an unused code added)"


@dataclass(frozen=True, slots=True)
class Schedule:
    """A seeded schedule; ``instances`` > 1 runs that many daemons on one PostgreSQL store."""

    seed: int
    steps: tuple[Step, ...]
    chaos_s: float
    instances: int = 1
    profile: str = "short"
    #: the indices (into the generated steps) kept after shrinking; None: all of them
    kept: tuple[int, ...] | None = field(default=None)
    #: one daemon on SQLite with a second one standing by (to take over during a pause)
    standby: bool = False

    @property
    def processes(self) -> int:
        """How many daemons run: the instances, and the standby."""
        return self.instances + (1 if self.standby else 0)

    def without(self, index: int) -> Schedule:
        """The schedule without its step ``index`` (what the shrinker tries)."""
        steps = self.steps[:index] + self.steps[index + 1 :]
        kept = tuple(range(len(self.steps))) if self.kept is None else self.kept
        return replace(self, steps=steps, kept=kept[:index] + kept[index + 1 :])

    def faults(self) -> list[Step]:
        return [s for s in self.steps if s.kind == "fault"]

    def signals(self) -> list[Step]:
        return [s for s in self.steps if s.kind in ("sigterm", "sigkill")]

    def process_faults(self) -> list[Step]:
        return [s for s in self.steps if s.kind in PROCESS_KINDS]

    def world_steps(self) -> list[Step]:
        return [s for s in self.steps if s.kind in WORLD_KINDS]

    def writeback_steps(self) -> list[Step]:
        return [s for s in self.steps if s.kind in WRITEBACK_KINDS]

    def describe(self) -> list[str]:
        standby = " and a standby" if self.standby else ""
        head = (
            f"schedule seed {self.seed}, {self.profile} profile, {self.instances} instance(s)"
            f"{standby}, {self.chaos_s:.1f}s of chaos, {len(self.steps)} steps"
        )
        return [head, *("  " + s.describe() for s in self.steps)]

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Schedule:
        data: dict[str, Any] = json.loads(text)
        steps = tuple(
            Step(**{**s, "performances": tuple(s.get("performances") or ())})
            for s in data.pop("steps")
        )
        kept = data.pop("kept", None)
        return cls(steps=steps, kept=None if kept is None else tuple(kept), **data)


@dataclass(frozen=True, slots=True)
class Profile:
    """How much goes wrong in one schedule."""

    name: str
    chaos_s: float
    faults: tuple[int, int]
    fault_s: tuple[float, float]
    signals: tuple[int, int]
    traffic_every_s: float
    #: share of schedules run with three instances on PostgreSQL (when it is there)
    scaled_share: float
    #: how often the process faults and hung reads come (a factor on :data:`EXTRA_ODDS`; 0: never)
    extras: float = 0.0
    #: how often the world steps come (a factor on :data:`WORLD_ODDS`; 0: never)
    world: float = 0.0
    #: the chaos boxes write back (``[writeback] mode = "apply"``, hold code
    #: :data:`WRITEBACK_CODE`); the box office and buyers act beside it, and its calls fail
    writeback: bool = False


#: The chance that a schedule gets each process fault or hung read (times its profile's
#: ``extras``); ``store_loss`` only on PostgreSQL, ``store_removed`` only on SQLite.
EXTRA_ODDS: dict[str, float] = {
    "pause": 0.3,
    "store_loss": 0.5,
    "clock_step": 0.3,
    "store_removed": 0.2,
    HUNG_READ: 0.3,
}

#: The chance that a schedule gets each world step (times its profile's ``world``).
WORLD_ODDS: dict[str, float] = {"for_sale_spent": 0.3, "holds_vanish": 0.3, "partner_grab": 0.3}

PROFILES = {
    "short": Profile("short", 5.0, (2, 4), (0.4, 2.0), (0, 2), 0.4, 0.25),
    "soak": Profile("soak", 6.0, (2, 6), (0.3, 2.5), (0, 3), 0.35, 0.25, extras=1.0, world=1.0),
    #: the process faults more often: a trial of the new kinds
    "stalls": Profile("stalls", 6.0, (1, 3), (0.3, 2.5), (0, 1), 0.35, 0.35, extras=2.5),
    #: every world step in every schedule, beside fewer vendor faults: a trial of issue 25's cases
    "held-forms": Profile(
        "held-forms", 6.0, (1, 3), (0.3, 2.0), (0, 2), 0.35, 0.25, extras=0.5, world=4.0
    ),
    #: issue 26: the write-back on, a box office and online buyers acting on the same seats at
    #: once, and its calls failing, beside fewer vendor faults
    "writeback": Profile(
        "writeback", 6.0, (1, 2), (0.3, 2.0), (0, 2), 0.35, 0.25, extras=0.3, writeback=True
    ),
}


def generate(seed: int, profile: str = "short", *, scaled: bool | None = None) -> Schedule:
    """The schedule of ``seed``: faults on both vendors (one at a time per vendor), traffic
    throughout, some signals, maybe a table edit. ``scaled`` forces (or forbids) three
    instances; by default the profile's share of seeds get them."""
    p = PROFILES[profile]
    rng = random.Random(seed)
    instances = 3 if (rng.random() < p.scaled_share if scaled is None else scaled) else 1
    steps: list[Step] = []
    for vendor in ("seatsio", "tessitura"):
        free_from = 0.0
        for _ in range(rng.randint(*p.faults)):
            start = rng.uniform(free_from, p.chaos_s - 0.3)
            if start >= p.chaos_s - 0.3:
                break
            duration = min(rng.uniform(*p.fault_s), p.chaos_s - start)
            fault = rng.choice(FAULT_KINDS if vendor == "seatsio" else _TESSITURA_FAULTS)
            rate = 1.0 if fault.startswith("timeout") else rng.choice((0.3, 0.6, 1.0))
            steps.append(
                Step(
                    round(start, 2),
                    "fault",
                    vendor=vendor,
                    fault=fault,
                    path=_path_for(fault, vendor, rng),
                    rate=rate,
                    duration_s=round(duration, 2),
                )
            )
            free_from = start + duration
    t = rng.uniform(0.0, p.traffic_every_s)
    while t < p.chaos_s:
        mover: StepKind = "box_office" if rng.random() < 0.6 else "buyer"
        steps.append(Step(round(t, 2), mover, moves=rng.randint(1, 2)))
        t += rng.uniform(0.5, 1.5) * p.traffic_every_s
    for _ in range(rng.randint(*p.signals)):
        sig: StepKind = "sigkill" if rng.random() < 0.6 else "sigterm"
        steps.append(
            Step(
                round(rng.uniform(0.3, p.chaos_s - 0.5), 2),
                sig,
                instance=rng.randrange(instances),
                duration_s=round(rng.uniform(0.2, 1.5), 2),
            )
        )
    edit = rng.random()
    if edit < 0.25:
        steps.append(Step(round(rng.uniform(0.5, p.chaos_s - 1), 2), "edit_valid"))
    elif edit < 0.5:
        at = rng.uniform(0.5, p.chaos_s - 1)
        steps.append(Step(round(at, 2), "edit_invalid", duration_s=round(rng.uniform(0.5, 2.0), 2)))
    extra = _extras(seed, p, instances, steps)
    standby = instances == 1 and any(s.kind == "pause" for s in extra)
    steps += extra + _world(seed, p)
    steps += _writeback(seed, p, steps)
    steps.sort(key=lambda s: (s.at_s, s.kind))
    return Schedule(seed, tuple(steps), p.chaos_s, instances, profile, standby=standby)


#: How far a pause outlasts the lease: long enough for a successor to take over and write.
PAUSE_BEYOND_LEASE_S = (1.0, 5.0)
#: Clock steps: an hour either way, and the 400 s of a host whose clock runs ahead or behind.
CLOCK_STEPS_S = (3600.0, -3600.0, 400.0, -400.0)


def _extras(seed: int, p: Profile, instances: int, steps: list[Step]) -> list[Step]:
    """The process faults and hung reads of ``seed``, from their own random stream (so that the
    older steps of a seed stay what they were); a hung read in a gap between its vendor's other
    faults (``steps``), as a vendor has one fault at a time."""
    if p.extras <= 0:
        return []
    rng = random.Random(f"chaos-extras-{seed}")
    odds = {k: min(1.0, v * p.extras) for k, v in EXTRA_ODDS.items()}
    shared = instances > 1
    out: list[Step] = []

    def at(latest: float) -> float:
        return round(rng.uniform(0.3, max(0.3, latest)), 2)

    if rng.random() < odds["pause"]:
        out.append(
            Step(
                at(p.chaos_s - 1.0),
                "pause",
                instance=rng.randrange(instances) if shared else EVERY,
                duration_s=round(LEASE_TTL_S + rng.uniform(*PAUSE_BEYOND_LEASE_S), 2),
            )
        )
    if shared and rng.random() < odds["store_loss"]:
        repeated = rng.random() < 0.6
        out.append(
            Step(
                at(p.chaos_s - 1.0),
                "store_loss",
                instance=EVERY if rng.random() < 0.4 else rng.randrange(instances),
                duration_s=round(rng.uniform(1.0, 2.5 * LEASE_TTL_S), 2) if repeated else 0.0,
            )
        )
    if rng.random() < odds["clock_step"]:
        who = EVERY if not shared or rng.random() < 0.3 else rng.randrange(instances)
        out.append(
            Step(
                at(p.chaos_s - 1.0),
                "clock_step",
                instance=who,
                offset_s=rng.choice(CLOCK_STEPS_S),
                duration_s=0.0 if rng.random() < 0.5 else round(rng.uniform(1.0, 4.0), 2),
            )
        )
    if not shared and rng.random() < odds["store_removed"]:
        out.append(
            Step(
                at(p.chaos_s - 2.0),
                "store_removed",
                variant=rng.choice(("delete", "replace")),
                duration_s=round(rng.uniform(1.5, 4.0), 2),
            )
        )
    if rng.random() < odds[HUNG_READ]:
        vendor = rng.choice(("seatsio", "tessitura"))
        start, room = _widest_gap(steps, vendor, p.chaos_s)
        if room >= 0.8:
            out.append(
                Step(
                    round(start + 0.05, 2),
                    "fault",
                    vendor=vendor,
                    fault=HUNG_READ,
                    path=rng.choice(HUNG_PATHS[vendor]),
                    duration_s=round(min(room - 0.1, rng.uniform(1.0, 4.0)), 2),
                    hang_s=round(rng.uniform(3.0, 8.0), 2),
                )
            )
    return out


#: How long a partner's channel keeps the seats it took: longer than the invariant's allowance
#: for a held seat left buyable (invariants.BASE_ALLOWANCE_S, 7.5 s), so that a bridge leaving
#: them on sale to the partner's buyers is caught before the partner lets them go.
PARTNER_KEEPS_S = (9.0, 13.0)

#: How many performances a ``holds_vanish`` empties at once: one, or several in one pass (the
#: daemon's breaker must count them together).
VANISH_PERFORMANCES = (1, 1, 2, 4)


def _world(seed: int, p: Profile) -> list[Step]:
    """The world steps of ``seed`` (issue 25), from a random stream of their own (the older steps
    of a seed stay what they were)."""
    if p.world <= 0:
        return []
    rng = random.Random(f"chaos-world-{seed}")
    odds = {k: min(1.0, v * p.world) for k, v in WORLD_ODDS.items()}
    out: list[Step] = []

    def at(latest: float) -> float:
        return round(rng.uniform(0.3, max(0.3, latest)), 2)

    if rng.random() < odds["for_sale_spent"]:
        start = at(p.chaos_s - 2.0)
        out.append(
            Step(
                start,
                "for_sale_spent",
                performances=(rng.choice(SAMPLE_PERFORMANCES),),
                moves=rng.randint(2, 4),
                duration_s=round(rng.uniform(1.0, p.chaos_s - start), 2),
            )
        )
    if rng.random() < odds["holds_vanish"]:
        count = rng.choice(VANISH_PERFORMANCES)
        out.append(
            Step(
                at(p.chaos_s - 2.0),
                "holds_vanish",
                performances=tuple(sorted(rng.sample(SAMPLE_PERFORMANCES, count))),
                duration_s=round(rng.uniform(1.5, 4.0), 2),
            )
        )
    if rng.random() < odds["partner_grab"]:
        out.append(
            Step(
                at(p.chaos_s - 1.5),
                "partner_grab",
                performances=(PARTNER_PERFORMANCE,),
                moves=rng.randint(1, 3),
                # 0: kept until the faults have stopped and every performance converged (a
                # bridge leaving them on sale never converges); else let go mid-chaos
                duration_s=0.0 if rng.random() < 0.5 else round(rng.uniform(*PARTNER_KEEPS_S), 2),
            )
        )
    return out


#: How many write-back actors' steps a schedule gets (each), and their moves.
WRITEBACK_STEPS = (2, 4)
WRITEBACK_MOVES = (4, 10)
#: How many performances the actors share in a schedule: few, so that they meet on seats.
WRITEBACK_PERFORMANCES = (1, 2)


def _writeback(seed: int, p: Profile, steps: list[Step]) -> list[Step]:
    """The write-back steps of ``seed`` (issue 26), from a random stream of their own: the box
    office and the buyers on one or two shared performances, and one or two write faults, each
    in a gap between Tessitura's other faults (a vendor has one fault at a time)."""
    if not p.writeback:
        return []
    rng = random.Random(f"chaos-writeback-{seed}")
    perfs = tuple(sorted(rng.sample(SAMPLE_PERFORMANCES, rng.choice(WRITEBACK_PERFORMANCES))))
    out: list[Step] = []
    for kind in WRITEBACK_KINDS:
        for _ in range(rng.randint(*WRITEBACK_STEPS)):
            start = round(rng.uniform(0.0, p.chaos_s - 1.0), 2)
            out.append(
                Step(
                    start,
                    kind,
                    performances=perfs,
                    moves=rng.randint(*WRITEBACK_MOVES),
                    duration_s=round(rng.uniform(0.5, p.chaos_s - start), 2),
                )
            )
    for _ in range(rng.randint(1, 2)):
        start, room = _widest_gap([*steps, *out], "tessitura", p.chaos_s)
        if room < 0.6:
            break
        variant = rng.choice(WRITE_FAULT_VARIANTS)
        out.append(
            Step(
                round(start + 0.05, 2),
                "fault",
                vendor="tessitura",
                fault=TESSITURA_WRITE_FAULT,
                path=WRITE_PATH,
                rate=1.0 if variant != "500_after_apply" else rng.choice((0.5, 1.0)),
                duration_s=round(min(room - 0.1, rng.uniform(1.5, 3.5)), 2),
                variant=variant,
                performances=perfs,
            )
        )
    return out


def _widest_gap(steps: list[Step], vendor: str, chaos_s: float) -> tuple[float, float]:
    """(start, length) of the longest time in the chaos when ``vendor`` has no fault."""
    windows = sorted((s.at_s, s.at_s + s.duration_s) for s in steps if s.vendor == vendor)
    best, free_from = (0.0, 0.0), 0.3
    for a, b in [*windows, (chaos_s, chaos_s)]:
        if a - free_from > best[1]:
            best = (free_from, a - free_from)
        free_from = max(free_from, b)
    return best


#: Which reads a hung read hits (seats.io: GETs of these paths; Tessitura: any request).
HUNG_PATHS: dict[str, tuple[str | None, ...]] = {
    "seatsio": (None, "/events/[^/]+$", "/objects", "/reports/"),
    "tessitura": (None, "/Seats", "/Performances/[0-9]+$", "/Search", "/HoldCodes"),
}


#: Tessitura has no concurrency lanes nor a for-sale budget.
_TESSITURA_FAULTS = tuple(k for k in FAULT_KINDS if not k.startswith("429"))


def _path_for(kind: str, vendor: str, rng: random.Random) -> str | None:
    if kind == "429_for_sale_daily":
        return "for-sale"
    return rng.choice(PATHS[vendor])


#: When the injected daily for-sale limit resets: soon, so that a schedule can converge after it
#: (a real one resets at a day boundary, which may be as near).
FOR_SALE_RESET_S = 2


def fault_settings(step: Step, timeout_s: float, now: datetime | None = None) -> dict[str, Any]:
    """The sandbox's :class:`~bridge.sandbox.control.Faults` fields for a fault step (as keyword
    arguments), given the client timeout a hang must outlast (``now``: when it starts)."""
    from bridge.sandbox.seatsio_errors import (
        RATE_LIMIT_EXCEEDED,
        TOO_MANY_CONCURRENT_REQUESTS,
    )

    base: dict[str, Any] = {"path_pattern": step.path, "seed": int(step.at_s * 1000)}
    r = step.rate
    kind = step.fault
    if kind == "429_concurrency":
        body = _seatsio_error(429, TOO_MANY_CONCURRENT_REQUESTS, "Too many concurrent requests")
        return {**base, "error_rate": r, "error_status": 429, "error_body": body}
    if kind == "429_for_sale_daily":
        reset = (now or SYSTEM.now()) + timedelta(seconds=FOR_SALE_RESET_S)
        body = _seatsio_error(
            429,
            RATE_LIMIT_EXCEEDED,
            "Too many for-sale configuration changes",
            {"rateLimitRemainingCalls": 0, "rateLimitResetDate": _iso(reset)},
        )
        headers = {"Retry-After": str(FOR_SALE_RESET_S)}
        return {
            **base,
            "error_rate": r,
            "error_status": 429,
            "error_body": body,
            "error_headers": headers,
        }
    if kind == "5xx":
        status = 503 if step.at_s * 100 % 2 < 1 else 500
        return {**base, "error_rate": r, "error_status": status}
    if kind == "timeout_before_apply":
        return {**base, "hang_s": timeout_s + 0.5}
    if kind == "timeout_after_apply":
        return {**base, "hang_after_apply_s": timeout_s + 0.5}
    if kind == "drop_before_apply":
        return {**base, "drop_before_rate": r}
    if kind == "drop_after_apply":
        return {**base, "drop_rate": r}
    if kind == "malformed":
        return {**base, "malformed_rate": r}
    if kind == "wrong_type":
        return {**base, "wrong_type_rate": r}
    if kind == "empty":
        return {**base, "empty_rate": r}
    if kind == TESSITURA_WRITE_FAULT:
        base = {**base, "method": "POST"}
        if step.variant == "500_after_apply":
            return {**base, "error_after_apply_rate": r, "error_status": 500}
        if step.variant == "hang_after_apply":
            return {**base, "hang_after_apply_s": timeout_s + 0.5}
        if step.variant == "409_locked":  # the runner locks seats; the fake answers 409 itself
            return base
        raise ValueError(f"unknown write fault {step.variant!r}")
    if kind == HUNG_READ:
        # hangs several client timeouts (at least two): each attempt times out, retries too
        hang = max(step.hang_s, 2 * timeout_s + 0.5)
        return {**base, "hang_s": hang, "method": "GET" if step.vendor == "seatsio" else None}
    raise ValueError(f"unknown fault kind {kind!r}")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _seatsio_error(
    status: int, code: str, message: str, data: dict[str, Any] | None = None
) -> dict[str, Any]:
    item: dict[str, Any] = {"code": code, "message": message}
    if data:
        item["data"] = data
    return {"status": status, "messages": [message], "errors": [item], "warnings": []}


def fault_counts(schedules: Iterable[Schedule]) -> dict[str, int]:
    """Fault windows by kind over ``schedules``."""
    kinds = (*ALL_FAULT_KINDS, *PROCESS_KINDS, *WORLD_KINDS, *WRITEBACK_KINDS)
    counts: dict[str, int] = {k: 0 for k in kinds}
    for s in schedules:
        for f in s.faults():
            counts[f.fault] += 1
        for f in (*s.process_faults(), *s.world_steps(), *s.writeback_steps()):
            counts[f.kind] += 1
    return counts
