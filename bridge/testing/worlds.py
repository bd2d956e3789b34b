"""Builders and Hypothesis strategies for the reconcile core: small venues, holds, mappings,
seats.io states and ledgers, including the awkward ones (stale ledger, foreign channels, sales).

Needs Hypothesis (a dev dependency); nothing outside :mod:`bridge.testing` imports this module.
Use ``@PROPERTY`` with ``@given(worlds())`` for a property of the planner, and the plain builders
(``rule``, ``tables``, ``snapshot``, ``event``, ``obj``, ``ledger``, ``desired_for``) for examples.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from bridge.core.desired import DesiredState, desired_state
from bridge.core.observed import FREE, ObjectState, ObservedChannel, ObservedEvent
from bridge.core.plan import plan
from bridge.core.plan_model import Plan
from bridge.core.policy import Policy
from bridge.domain import HoldSnapshot, LedgerEntry, Ownership, SeasonPolicy, SeatHold
from bridge.mapping.model import (
    Action,
    ChannelSpec,
    HoldRule,
    MappingTables,
    PerformanceTarget,
    SeatTable,
)

# Hypothesis profiles: "reconcile" keeps the suite fast; SEATBRIDGE_HYPOTHESIS=reconcile-deep for
# a longer hunt. Loaded per test through PROPERTY, so other packages' tests are unaffected.
settings.register_profile(
    "reconcile",
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "reconcile-deep",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROPERTY = settings(settings.get_profile(os.environ.get("SEATBRIDGE_HYPOTHESIS", "reconcile")))

VIP = ChannelSpec("vip", "VIP", "#aa0000", 1)
PRESS = ChannelSpec("press", "Press", "#00aa00", 2)
SPECS = (VIP, PRESS)
SEAT_MAP = 1
SOLD_STATUSES = ("booked", "reservedByToken", "resale")


# -- builders -----------------------------------------------------------------------------------


def rule(
    code: int,
    action: Action,
    target: str | None = None,
    precedence: int = 10,
    fallback: str | None = None,
) -> HoldRule:
    return HoldRule(code, action, target, precedence, fallback_status=fallback)


def seat_table(labels: Mapping[int, str], seat_map_id: int = SEAT_MAP) -> SeatTable:
    return SeatTable(seat_map_id, dict(labels))


def tables(
    rules: Iterable[HoldRule],
    labels: Mapping[int, str],
    targets: Iterable[PerformanceTarget],
    channels: tuple[ChannelSpec, ...] = SPECS,
) -> MappingTables:
    return MappingTables(
        hold_rules={r.hold_code_id: r for r in rules},
        seat_tables={SEAT_MAP: seat_table(labels)},
        performances={t.performance_id: t for t in targets},
        channels=channels,
    )


def snapshot(
    performance_id: int, holds: Mapping[int, Iterable[int]], seat_map_id: int = SEAT_MAP
) -> HoldSnapshot:
    """``holds``: seat id -> hold codes, top layer first."""
    layers = tuple(
        SeatHold(seat, code, priority=i + 1)
        for seat, codes in holds.items()
        for i, code in enumerate(codes)
    )
    return HoldSnapshot(performance_id, seat_map_id, layers)


def obj(label: str, status: str = FREE, channel: str | None = None) -> ObjectState:
    return ObjectState(label, status, channel, True)


def event(
    key: str,
    objects: Iterable[ObjectState],
    *,
    channels: Iterable[ChannelSpec] = (),
    not_for_sale: Iterable[str] = (),
    calls_left: int | None = None,
    is_season: bool = False,
    season_key: str | None = None,
) -> ObservedEvent:
    """An observed event whose channel lists agree with its objects."""
    objs = {o.label: o for o in objects}
    nfs = frozenset(not_for_sale)
    objs = {
        lbl: ObjectState(o.label, o.status, o.channel, lbl not in nfs) for lbl, o in objs.items()
    }
    chans = tuple(
        ObservedChannel(
            c.key,
            c.name,
            c.color,
            c.index,
            frozenset(lbl for lbl, o in objs.items() if o.channel == c.key),
        )
        for c in channels
    )
    return ObservedEvent(key, is_season, season_key, chans, nfs, objs, calls_left)


def entry(key: str, label: str, ownership: Ownership, target: str = "") -> LedgerEntry:
    return LedgerEntry(key, label, ownership, target)


def ledger(*entries: LedgerEntry) -> dict[tuple[str, str], LedgerEntry]:
    return {(e.event_key, e.label): e for e in entries}


def desired_for(
    key: str,
    *,
    channels: Mapping[str, Iterable[str]] | None = None,
    statuses: Mapping[str, Iterable[str]] | None = None,
    not_for_sale: Iterable[str] = (),
    is_season: bool = False,
    season_key: str | None = None,
    performance_ids: tuple[int, ...] = (1,),
) -> DesiredState:
    """A one-key desired state, for planner tests that do not need the mapping step."""
    from bridge.core.desired import DesiredEvent

    ev = DesiredEvent(
        key=key,
        channels={k: frozenset(v) for k, v in (channels or {}).items()},
        statuses={k: frozenset(v) for k, v in (statuses or {}).items()},
        not_for_sale=frozenset(not_for_sale),
        performance_ids=performance_ids,
        is_season=is_season,
        season_key=season_key,
    )
    return DesiredState(events={key: ev})


# -- random worlds ------------------------------------------------------------------------------

CHANNEL_TARGETS = ("vip", "press", "ghost")  # "ghost" is not configured
STATUS_TARGETS = ("held-a", "held-b")
FALLBACKS = (None, "held-f")
OBSERVED_STATUSES = (
    FREE,
    FREE,
    FREE,
    "booked",
    "reservedByToken",
    "resale",
    "held-a",
    "held-b",
    "held-f",
    "somebody-else",
)
OBSERVED_CHANNELS = (None, None, None, None, None, "vip", "press", "foreign")
FOREIGN = ChannelSpec("foreign", "Promoter", "#123456", 9)
UNKNOWN_CODE = 9


@dataclass(frozen=True)
class World:
    """One random situation: Tessitura holds, tables, policy, seats.io state and ledger."""

    snapshots: tuple[HoldSnapshot, ...]
    tables: MappingTables
    policy: Policy
    observed: dict[str, ObservedEvent]
    ledger: dict[tuple[str, str], LedgerEntry]
    specs: tuple[ChannelSpec, ...] = SPECS
    labels: tuple[str, ...] = field(default=())

    def desired(self) -> DesiredState:
        return desired_state(self.snapshots, self.tables, self.policy)

    def plan(self) -> Plan:
        return plan(self.desired(), self.observed, self.ledger, self.policy, self.specs)


@st.composite
def hold_rules(draw: st.DrawFn) -> tuple[HoldRule, ...]:
    out = []
    for code in range(1, 7):
        action = draw(st.sampled_from(list(Action)))
        target: str | None = None
        if action is Action.CHANNEL:
            target = draw(st.sampled_from(CHANNEL_TARGETS[:2] * 3 + CHANNEL_TARGETS[2:]))
        elif action is Action.STATUS:
            target = draw(st.sampled_from(STATUS_TARGETS))
        with_fallback = action in (Action.CHANNEL, Action.NOT_FOR_SALE)
        fallback = draw(st.sampled_from(FALLBACKS)) if with_fallback else None
        out.append(rule(code, action, target, draw(st.integers(1, 4)), fallback))
    return tuple(out)


def draw_snapshots(
    draw: st.DrawFn, targets: list[PerformanceTarget], seat_ids: list[int], n: int
) -> list[HoldSnapshot]:
    """Random hold snapshots for ``targets`` (a season performance now and then unreadable, an
    unmapped performance now and then added); ``draw`` from inside an ``@st.composite``."""
    codes = st.sampled_from([1, 2, 3, 4, 5, 6, UNKNOWN_CODE])
    snapshots: list[HoldSnapshot] = []
    for t in targets:
        if t.season_key and draw(st.integers(0, 9)) == 0:
            continue  # this performance's holds could not be read: season incomplete
        holds = draw(
            st.dictionaries(
                st.sampled_from(seat_ids),
                st.lists(codes, min_size=1, max_size=3),
                min_size=min(2, n),
                max_size=n,
            )
        )
        snapshots.append(snapshot(t.performance_id, holds))
    if draw(st.integers(0, 9)) == 0:
        snapshots.append(snapshot(99, {1: [1]}))  # unmapped performance
    return snapshots


def draw_observed(
    draw: st.DrawFn, keys: list[str], targets: list[PerformanceTarget], labels: tuple[str, ...]
) -> dict[str, ObservedEvent]:
    """Random seats.io events for ``keys`` (now and then missing, objects off the chart, foreign
    or renamed channels, objects not for sale); ``draw`` from inside an ``@st.composite``."""
    observed: dict[str, ObservedEvent] = {}
    #: labels off each chart: an event in a season shares its season's chart (seats.io creates
    #: a season's events on the season's chart), so it lacks exactly what its season lacks
    off_chart: dict[str, set[str]] = {}
    for key in keys:
        if draw(st.integers(0, 19)) == 0:
            continue  # event missing in seats.io
        is_season = key.startswith("season")
        season_key = next(
            (t.season_key for t in targets if t.event_key == key and t.season_key), None
        )
        chart = season_key or key
        if chart not in off_chart:
            off_chart[chart] = {lbl for lbl in labels if draw(st.integers(0, 19)) == 0}
        objects = []
        for label in labels:
            if label in off_chart[chart]:
                continue  # not on this chart
            status = FREE if draw(st.booleans()) else draw(st.sampled_from(OBSERVED_STATUSES))
            channel = None if season_key else draw(st.sampled_from(OBSERVED_CHANNELS))
            objects.append(obj(label, status, channel))
        present = [c for c in (*SPECS, FOREIGN) if draw(st.booleans())]
        renamed = [
            ChannelSpec(c.key, c.name + " (old)", c.color, c.index)
            if c in SPECS and draw(st.integers(0, 4)) == 0
            else c
            for c in present
        ]
        keys_present = {c.key for c in present}
        objects = [o if o.channel in keys_present else obj(o.label, o.status) for o in objects]
        nfs = draw(st.sets(st.sampled_from(labels), max_size=len(labels) // 2))
        calls_left = draw(st.sampled_from([None, None, 0, 2, 3, 10]))
        observed[key] = event(
            key,
            objects,
            channels=renamed,
            not_for_sale=nfs,
            calls_left=calls_left,
            is_season=is_season,
            season_key=season_key,
        )
    return season_statuses_reach_events(observed)


def season_statuses_reach_events(
    observed: dict[str, ObservedEvent],
) -> dict[str, ObservedEvent]:
    """``observed`` as seats.io would show it: a status on a season's object (a season ticket
    booked, a season-wide status) is that object's status in every event of the season too; a
    world where the season shows a sale and an event shows the seat free cannot happen, and a
    property meeting one fails for nothing."""
    sold = {
        key: {lbl: o.status for lbl, o in seen.objects.items() if o.status != FREE}
        for key, seen in observed.items()
        if seen.is_season
    }
    out = dict(observed)
    for key, seen in observed.items():
        season_sold = sold.get(seen.season_key or "", {})
        if seen.is_season or not season_sold:
            continue
        objects = {
            lbl: replace(o, status=season_sold[lbl]) if lbl in season_sold else o
            for lbl, o in seen.objects.items()
        }
        out[key] = replace(seen, objects=objects)
    return out


def draw_ledger(
    draw: st.DrawFn, keys: list[str], labels: tuple[str, ...], observed: dict[str, ObservedEvent]
) -> dict[tuple[str, str], LedgerEntry]:
    """Mostly entries that match what seats.io shows, some stale ones."""
    entries: list[LedgerEntry] = []
    for key in keys:
        seen = observed.get(key)
        for label in draw(st.sets(st.sampled_from(labels), max_size=len(labels))):
            o = seen.objects.get(label) if seen else None
            if o is not None and draw(st.integers(0, 3)) > 0:
                if o.channel in ("vip", "press", "foreign"):
                    entries.append(entry(key, label, Ownership.CHANNEL, o.channel))
                    continue
                if o.status.startswith("held-"):
                    entries.append(entry(key, label, Ownership.STATUS, o.status))
                    continue
                if seen is not None and label in seen.not_for_sale:
                    entries.append(entry(key, label, Ownership.NOT_FOR_SALE))
                    continue
            ownership = draw(st.sampled_from(list(Ownership)))
            if ownership is Ownership.CHANNEL:
                target = draw(st.sampled_from(("vip", "press", "foreign")))
            elif ownership is Ownership.STATUS:
                target = draw(st.sampled_from((*STATUS_TARGETS, "held-f")))
            else:
                target = ""
            entries.append(entry(key, label, ownership, target))
    return ledger(*entries)


@st.composite
def worlds(draw: st.DrawFn, *, max_labels: int = 24) -> World:
    """A random world; half of them evolved from a converged one (holds or rules changed since,
    some seats sold, some ledger entries lost), which is where transitions happen."""
    n = draw(st.integers(2, max_labels))
    labels = tuple(f"A-{i}" for i in range(1, n + 1))
    # Seats 1..n map to labels; two extra seats are missing from the table.
    seat_labels = {i: labels[i - 1] for i in range(1, n + 1)}
    seat_ids = list(range(1, n + 3))
    rules = draw(hold_rules())

    shape = draw(st.sampled_from(["events", "season", "both"]))
    targets: list[PerformanceTarget] = []
    if shape in ("events", "both"):
        targets.append(PerformanceTarget(1, "ev-1"))
        if draw(st.booleans()):
            targets.append(PerformanceTarget(2, "ev-2"))
    if shape in ("season", "both"):
        for pid in range(11, 11 + draw(st.integers(2, 3))):
            targets.append(PerformanceTarget(pid, f"ev-{pid}", "season-1"))
    mapped = tables(rules, seat_labels, targets)
    snapshots = draw_snapshots(draw, targets, seat_ids, n)
    keys = sorted({t.event_key for t in targets} | {t.season_key for t in targets if t.season_key})
    observed = draw_observed(draw, keys, targets, labels)
    led = draw_ledger(draw, keys, labels, observed)
    fallback_status = draw(st.sampled_from(["", "held-by-bridge"]))
    statuses = mapped.bridge_statuses() | ({fallback_status} if fallback_status else set())
    policy = Policy(
        mass_release_share=draw(st.sampled_from([0.2, 0.5, 1.0])),
        mass_release_floor=draw(st.sampled_from([1, 3, 50])),
        season_policy=draw(st.sampled_from(list(SeasonPolicy))),
        owns_all_channels=frozenset(draw(st.sets(st.sampled_from(keys)))),
        for_sale_reserve=2,
        force=draw(st.booleans()),
        bridge_statuses=statuses if draw(st.booleans()) else frozenset(),
        fallback_status=fallback_status,
    )
    world = World(tuple(snapshots), mapped, policy, observed, led, labels=labels)
    if draw(st.booleans()):
        return world

    from bridge.core.simulate import simulate

    converged = replace(world, policy=replace(policy, force=True))
    observed, led = simulate(converged.plan(), observed, led)
    if draw(st.booleans()):
        mapped = replace(mapped, hold_rules={r.hold_code_id: r for r in draw(hold_rules())})
    snapshots = draw_snapshots(draw, targets, seat_ids, n)
    for key in sorted(observed):
        seen = observed[key]
        sold = draw(st.sets(st.sampled_from(sorted(seen.objects) or ["-"]), max_size=2))
        objects = {
            lbl: replace(o, status="booked") if lbl in sold else o
            for lbl, o in seen.objects.items()
        }
        observed[key] = replace(seen, objects=objects)
    observed = season_statuses_reach_events(observed)
    lost = draw(st.sets(st.sampled_from(sorted(led) or [("-", "-")]), max_size=3))
    led = {k: v for k, v in led.items() if k not in lost}
    return World(tuple(snapshots), mapped, policy, observed, led, labels=labels)


# -- what a buyer sees, computed from seats.io state alone (never from the planner) --------------


def buyable(observed: Mapping[str, ObservedEvent], event_key: str, season_key: str | None,
            label: str) -> bool:  # fmt: skip
    """Can a buyer take ``label`` in this event? Free, in no channel (the season's channels count
    for its events), and for sale."""
    event = observed.get(event_key)
    if event is None or label not in event.objects:
        return False
    obj = event.objects[label]
    if obj.status != FREE or obj.channel is not None or label in event.not_for_sale:
        return False
    season = observed.get(season_key) if season_key else None
    if season is not None and (s := season.objects.get(label)) is not None:
        return s.channel is None and label not in season.not_for_sale
    return True


def bridge_held(
    observed: Mapping[str, ObservedEvent],
    led: Mapping[tuple[str, str], LedgerEntry],
    key: str,
) -> set[str]:
    """Labels of ``key`` the ledger holds and seats.io still shows that way."""
    seen = observed.get(key)
    out: set[str] = set()
    for (k, label), e in led.items():
        if k != key or seen is None or label not in seen.objects:
            continue
        o = seen.objects[label]
        if (
            (e.ownership is Ownership.CHANNEL and o.channel == e.target)
            or (e.ownership is Ownership.STATUS and o.status == e.target)
            or (e.ownership is Ownership.NOT_FOR_SALE and label in seen.not_for_sale)
        ):
            out.add(label)
    return out


def freed_beyond_guard(
    before: Mapping[str, ObservedEvent],
    after: Mapping[str, ObservedEvent],
    led: Mapping[tuple[str, str], LedgerEntry],
    targets: Iterable[tuple[str, str | None]],
    policy: Policy,
) -> list[tuple[str, int, int]]:
    """(event or season, objects made buyable, bridge-held objects) for every event and every
    season group where a run freed more than the mass-release guard allows."""
    share, floor = policy.mass_release_share, policy.mass_release_floor
    groups: dict[str, list[tuple[str, str | None]]] = {}
    for event_key, season_key in sorted(set(targets), key=lambda t: (t[0], t[1] or "")):
        groups.setdefault(season_key or event_key, []).append((event_key, season_key))
    out: list[tuple[str, int, int]] = []
    for group_key, members in sorted(groups.items()):
        total_freed = total_held = 0
        for event_key, season_key in members:
            keys = [event_key] + ([season_key] if season_key else [])
            held = set().union(*(bridge_held(before, led, k) for k in keys))
            freed = {
                label
                for label in held
                if not buyable(before, event_key, season_key, label)
                and buyable(after, event_key, season_key, label)
            }
            if len(freed) > share * len(held) and len(freed) >= floor:
                out.append((event_key, len(freed), len(held)))
            total_freed += len(freed)
            total_held += len(held)
        if total_freed > share * total_held and total_freed >= floor:
            out.append((group_key, total_freed, total_held))
    return out


__all__ = [
    "CHANNEL_TARGETS",
    "FALLBACKS",
    "FOREIGN",
    "OBSERVED_CHANNELS",
    "OBSERVED_STATUSES",
    "PRESS",
    "PROPERTY",
    "SEAT_MAP",
    "SOLD_STATUSES",
    "SPECS",
    "STATUS_TARGETS",
    "UNKNOWN_CODE",
    "VIP",
    "World",
    "bridge_held",
    "buyable",
    "desired_for",
    "draw_ledger",
    "draw_observed",
    "draw_snapshots",
    "entry",
    "event",
    "freed_beyond_guard",
    "hold_rules",
    "ledger",
    "obj",
    "rule",
    "seat_table",
    "snapshot",
    "tables",
    "worlds",
]
