"""What seats.io should show, computed from Tessitura holds and the operator's tables, and nothing else.

Pure and deterministic: the same snapshots in any order give the same value. Whatever cannot be
mapped is reported as a finding and left out, never guessed (product.md, "Never guess"); a label
whose fate cannot be decided is listed as *undecided* so the planner leaves it exactly as it is.

Unknown is never free. A label outside the seat table (``known``) has a hold state the bridge cannot
read, so the planner keeps whatever it holds there; an empty seat table, or one the caller found
shrunk (``refused_tables``), makes its performances unreadable, exactly like a failed read. In a
season, a channel hold that differs between performances is held per event in every performance
that holds it (the rule's fallback status, else not for sale), never left buyable.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from bridge.core.findings import EXAMPLES, Finding, FindingKind, sorted_findings
from bridge.core.policy import Policy
from bridge.core.reasons import Reason, Rule
from bridge.domain import HoldSnapshot, SeasonPolicy, SeatHold
from bridge.mapping.model import Action, HoldRule, MappingTables, PerformanceTarget


@dataclass(frozen=True, slots=True)
class DesiredEvent:
    """The bridge's wishes for one seats.io event or season (``key``).

    ``channels`` and ``statuses`` map a channel key / custom status to its labels;
    ``season_key`` is the season an event belongs to (its channels live there);
    ``undecided`` labels are neither wanted nor unwanted: the planner must not touch them.
    ``known``: the labels whose hold state the bridge can read (its seat tables' labels); any other
    label is undecided too. None means every label is known.
    ``season_fallbacks``: channel-held labels of an event whose season cannot be planned (a
    performance unreadable): label -> fallback status ("" for not for sale). They are undecided;
    the planner holds one per event when the season does not already hold it in a channel.
    ``layers``: label -> the hold layer that decides it here (see :func:`winning_layer`), for
    every label a mapped code holds in one of the event's performances; ``rules``: that layer's
    hold-code row. Both are why, not what: they take no part in equality.
    """

    key: str
    channels: Mapping[str, frozenset[str]]
    statuses: Mapping[str, frozenset[str]]
    not_for_sale: frozenset[str]
    performance_ids: tuple[int, ...]
    is_season: bool = False
    season_key: str | None = None
    undecided: frozenset[str] = field(default_factory=frozenset)
    known: frozenset[str] | None = None
    season_fallbacks: Mapping[str, str] = field(default_factory=dict)
    layers: Mapping[str, SeatHold] = field(default_factory=dict, compare=False)
    rules: Mapping[str, HoldRule] = field(default_factory=dict, compare=False)

    def decides(self, label: str) -> bool:
        """Whether the bridge may act on ``label`` here: known and not undecided."""
        return label not in self.undecided and (self.known is None or label in self.known)

    def reason(self, label: str, season: DesiredEvent | None = None) -> Reason | None:
        """Why the holds and the tables want ``label`` here as they do (``season``: the desired
        season of an event in one, None when it cannot be planned), with the winning layer;
        None when no hold on it, mapped or not, reaches this event. Named from the decisions
        this value holds (its sets), never decided again."""
        layer = self.layers.get(label)
        if label in self.season_fallbacks:
            return Reason(Rule.SEASON_FALLBACK, layer)
        if label in self.undecided:
            # undecided for its own codes (none has a rule, or only ignore beside an unknown
            # one), or by another performance's
            rule = self.rules.get(label)
            unknown = layer is None or (rule is not None and rule.action is Action.IGNORE)
            return Reason(Rule.UNKNOWN_CODE if unknown else Rule.UNDECIDED, layer)
        if self.known is not None and label not in self.known:
            return Reason(Rule.UNKNOWN_SEAT, layer)
        rule = self.rules.get(label)
        in_season = season is not None and any(label in ls for ls in season.channels.values())
        if in_season or self.wants(label):
            if rule is not None and rule.action is Action.CHANNEL and self.season_key:
                return Reason(Rule.SEASON_CHANNEL if in_season else Rule.SEASON_DIFFERS, layer)
            return Reason(Rule.HELD, layer)
        if rule is None:
            return None
        return Reason(Rule.IGNORED if rule.action is Action.IGNORE else Rule.NO_EFFECT, layer)

    def wants(self, label: str) -> bool:
        """Whether the bridge wants ``label`` held here, whatever the way (``label in labels``
        without building them)."""
        return (
            label in self.not_for_sale
            or any(label in ls for ls in self.statuses.values())
            or any(label in ls for ls in self.channels.values())
        )

    @property
    def labels(self) -> frozenset[str]:
        """Every label the bridge wants held here, whatever the way."""
        out: set[str] = set(self.not_for_sale)
        for labels in self.channels.values():
            out |= labels
        for labels in self.statuses.values():
            out |= labels
        return frozenset(out)


@dataclass(frozen=True, slots=True)
class DesiredState:
    """Desired events and seasons by seats.io key, plus what could not be mapped.

    A key that is absent (unmapped performance, incomplete season) is out of scope: the planner
    changes nothing there.
    """

    events: Mapping[str, DesiredEvent]
    findings: tuple[Finding, ...] = ()


class _LabelSets(dict[int, frozenset[str]]):
    """Seat map id -> its table's labels, built on first use."""

    def __init__(self, tables: MappingTables) -> None:
        super().__init__()
        self._tables = tables

    def __missing__(self, seat_map_id: int) -> frozenset[str]:
        labels = frozenset(self._tables.seat_tables[seat_map_id].labels.values())
        self[seat_map_id] = labels
        return labels


def _rank(rule: HoldRule) -> tuple[int, int]:
    """Lowest precedence wins; the hold code id only breaks ties so the result is deterministic."""
    return (rule.precedence, rule.hold_code_id)


def winning_layer(holds: Iterable[SeatHold], rules: Mapping[int, HoldRule]) -> SeatHold | None:
    """The layer that decides a seat among its hold layers: the mapped code with the lowest
    precedence (the code id breaks ties), its top layer (lowest priority) if it is there twice;
    None when no code has a rule. The one place this is decided."""
    best: SeatHold | None = None
    best_key = (0, 0, 0)
    for hold in holds:
        rule = rules.get(hold.hold_code_id)
        if rule is None:
            continue
        key = (rule.precedence, rule.hold_code_id, hold.priority)
        if best is None or key < best_key:
            best, best_key = hold, key
    return best


@dataclass(slots=True)
class _Performance:
    """One performance resolved to a winning rule (and its layer) per label."""

    performance_id: int
    target: PerformanceTarget
    rules: dict[str, HoldRule]
    layers: dict[str, SeatHold]
    undecided: set[str]
    known: frozenset[str]


def _resolve(
    performance_id: int,
    target: PerformanceTarget,
    snapshots: list[HoldSnapshot],
    tables: MappingTables,
    findings: list[Finding],
    refused_tables: Mapping[int, str],
    labels_of: Mapping[int, frozenset[str]],
) -> _Performance | None:
    """Layered holds -> one rule per label, or None when a seat table is missing, empty or refused
    (the performance is then as unreadable as a failed read)."""
    layers: dict[tuple[int, int], list[SeatHold]] = defaultdict(list)
    for snapshot in snapshots:
        for hold in snapshot.holds:
            layers[(snapshot.seat_map_id, hold.seat_id)].append(hold)
    missing_tables = sorted({s.seat_map_id for s in snapshots} - set(tables.seat_tables))
    if missing_tables:
        for seat_map_id in missing_tables:
            findings.append(
                Finding(
                    FindingKind.NO_SEAT_TABLE,
                    performance_id=performance_id,
                    event_key=target.event_key,
                    detail=f"no seat table for seat map {seat_map_id}",
                )
            )
        return None
    seat_maps = sorted({s.seat_map_id for s in snapshots})
    unusable = False
    for seat_map_id in seat_maps:
        reason = refused_tables.get(seat_map_id)
        if reason is None and not tables.seat_tables[seat_map_id].labels:
            reason = "the seat table has no rows"
        if reason is not None:
            unusable = True
            findings.append(
                Finding(
                    FindingKind.SEAT_TABLE_UNUSABLE,
                    performance_id=performance_id,
                    event_key=target.event_key,
                    detail=f"seat map {seat_map_id}: {reason}; nothing is lifted until it is fixed",
                )
            )
    if unusable:
        return None
    if len(seat_maps) == 1:
        table_labels = labels_of[seat_maps[0]]
    else:
        table_labels = frozenset().union(*(labels_of[m] for m in seat_maps))

    unknown: dict[int, set[int]] = defaultdict(set)
    rules: dict[str, HoldRule] = {}
    won: dict[str, SeatHold] = {}
    undecided: set[str] = set()
    over_ignore: set[str] = set()  # undecided: an unknown code beside an ignore layer
    hold_rules = tables.hold_rules
    for (seat_map_id, seat_id), holds in layers.items():
        for hold in holds:
            if hold.hold_code_id not in hold_rules:
                unknown[hold.hold_code_id].add(seat_id)
        top = winning_layer(holds, hold_rules)
        best = hold_rules[top.hold_code_id] if top is not None else None
        label = tables.seat_tables[seat_map_id].labels.get(seat_id)
        if label is None:
            if best is None or best.action is not Action.IGNORE:
                findings.append(
                    Finding(
                        FindingKind.UNMAPPED_SEAT,
                        performance_id=performance_id,
                        event_key=target.event_key,
                        seat_id=seat_id,
                        hold_code_id=None if best is None else best.hold_code_id,
                        detail=f"seat {seat_id} is not in the seat table of seat map {seat_map_id}",
                    )
                )
            continue
        if top is None or best is None:
            # Only unknown codes: what they mean is unknown, so the label is left as it is.
            undecided.add(label)
            continue
        if best.action is Action.IGNORE and any(h.hold_code_id not in hold_rules for h in holds):
            # An unknown code beside a layer that shows nothing: the unknown one may be a hold
            # that should, so the label is left as it is (a mapped code that holds still wins);
            # its ignore layer stays on record as the one that would decide
            undecided.add(label)
            over_ignore.add(label)
        current = rules.get(label)
        if current is None or _rank(best) < _rank(current):
            rules[label] = best
            won[label] = top
    for code, seats in unknown.items():
        findings.append(
            Finding(
                FindingKind.UNKNOWN_HOLD_CODE,
                performance_id=performance_id,
                event_key=target.event_key,
                hold_code_id=code,
                count=len(seats),
                detail=f"hold code {code} has no rule ({len(seats)} seats)",
            )
        )
    for label in undecided - over_ignore:
        rules.pop(label, None)
        won.pop(label, None)
    return _Performance(performance_id, target, rules, won, undecided, table_labels)


@dataclass(slots=True)
class _EventDraft:
    """Mutable accumulator for one event while desired state is being built."""

    key: str
    season_key: str | None
    performance_ids: set[int] = field(default_factory=set)
    best: dict[str, HoldRule] = field(default_factory=dict)
    layers: dict[str, SeatHold] = field(default_factory=dict)
    fallback: dict[str, str] = field(default_factory=dict)
    fallback_not_for_sale: set[str] = field(default_factory=set)
    undecided: set[str] = field(default_factory=set)
    known: frozenset[str] | None = None
    season_fallbacks: dict[str, str] = field(default_factory=dict)

    def add_known(self, labels: frozenset[str]) -> None:
        """An event of several performances knows only what every one of them knows."""
        if self.known is None or self.known is labels:
            self.known = labels
        else:
            self.known = self.known & labels

    def freeze(self) -> DesiredEvent:
        channels: dict[str, set[str]] = defaultdict(set)
        statuses: dict[str, set[str]] = defaultdict(set)
        not_for_sale: set[str] = set()
        for label, rule in self.best.items():
            if label in self.undecided:
                continue
            if rule.action is Action.STATUS and rule.target:
                statuses[rule.target].add(label)
            elif rule.action is Action.NOT_FOR_SALE:
                not_for_sale.add(label)
            elif rule.action is Action.CHANNEL and rule.target and self.season_key is None:
                channels[rule.target].add(label)
        for label, status in self.fallback.items():
            if label not in self.undecided:
                statuses[status].add(label)
        not_for_sale |= self.fallback_not_for_sale - self.undecided
        return DesiredEvent(
            key=self.key,
            channels={k: frozenset(v) for k, v in sorted(channels.items())},
            statuses={k: frozenset(v) for k, v in sorted(statuses.items())},
            not_for_sale=frozenset(not_for_sale),
            performance_ids=tuple(sorted(self.performance_ids)),
            is_season=False,
            season_key=self.season_key,
            undecided=frozenset(self.undecided),
            known=self.known,
            season_fallbacks=dict(sorted(self.season_fallbacks.items())),
            layers=self.layers,
            rules=self.best,
        )


def desired_state(
    snapshots: Iterable[HoldSnapshot],
    tables: MappingTables,
    policy: Policy,
    refused_tables: Mapping[int, str] | None = None,
) -> DesiredState:
    """Resolve layered holds per seat, map them to seats.io, and fold season channels.

    ``refused_tables``: seat map id -> why its table cannot be trusted this run (it shrank).
    The bridge's own write-back layers (``policy.writeback.hold_code_id``) are left out: they
    say what seats.io sold, never what the box office holds, whatever the table's row says.
    """
    findings: list[Finding] = []
    by_performance: dict[int, list[HoldSnapshot]] = defaultdict(list)
    own = policy.writeback.hold_code_id
    for snapshot in snapshots:
        if own and any(h.hold_code_id == own for h in snapshot.holds):
            kept = tuple(h for h in snapshot.holds if h.hold_code_id != own)
            snapshot = replace(snapshot, holds=kept)
        by_performance[snapshot.performance_id].append(snapshot)

    # each seat table's label set once per call, not once per performance that uses it
    labels_of = _LabelSets(tables)
    resolved: dict[int, _Performance] = {}
    unresolved: set[int] = set()
    for performance_id in sorted(by_performance):
        target = tables.target_for(performance_id)
        if target is None:
            findings.append(
                Finding(
                    FindingKind.UNMAPPED_PERFORMANCE,
                    performance_id=performance_id,
                    detail=f"performance {performance_id} has no seats.io event",
                )
            )
            continue
        perf = _resolve(
            performance_id,
            target,
            by_performance[performance_id],
            tables,
            findings,
            refused_tables or {},
            labels_of,
        )
        if perf is None:
            unresolved.add(performance_id)
        else:
            resolved[performance_id] = perf

    drafts: dict[str, _EventDraft] = {}
    for perf in resolved.values():
        draft = drafts.get(perf.target.event_key)
        if draft is None:
            draft = drafts[perf.target.event_key] = _EventDraft(
                perf.target.event_key, perf.target.season_key
            )
        draft.performance_ids.add(perf.performance_id)
        draft.undecided |= perf.undecided
        draft.add_known(perf.known)
        for label, rule in perf.rules.items():
            current = draft.best.get(label)
            if current is None or _rank(rule) < _rank(current):
                draft.best[label] = rule
                draft.layers[label] = perf.layers[label]

    seasons: list[DesiredEvent] = []
    season_keys = sorted({p.target.season_key for p in resolved.values() if p.target.season_key})
    for season_key in season_keys:
        season = _season(season_key, resolved, unresolved, tables, policy, drafts, findings)
        if season is not None:
            seasons.append(season)

    events = {d.key: d.freeze() for d in drafts.values()}
    for season in seasons:
        events[season.key] = season
    return DesiredState(
        events={k: events[k] for k in sorted(events)}, findings=sorted_findings(findings)
    )


def _season(
    season_key: str,
    resolved: Mapping[int, _Performance],
    unresolved: set[int],
    tables: MappingTables,
    policy: Policy,
    drafts: Mapping[str, _EventDraft],
    findings: list[Finding],
) -> DesiredEvent | None:
    """A season's channels from all its performances; None (and a finding) when one is missing."""
    members = {p for p, t in tables.performances.items() if t.season_key == season_key}
    members |= {p for p, perf in resolved.items() if perf.target.season_key == season_key}
    present = sorted(p for p in members if p in resolved)
    missing = sorted(members - set(present))
    if missing:
        findings.append(
            Finding(
                FindingKind.SEASON_INCOMPLETE,
                event_key=season_key,
                count=len(missing),
                detail="no usable holds for performance(s) "
                + ", ".join(str(p) for p in missing)
                + (" (also lacking a seat table)" if unresolved & set(missing) else ""),
            )
        )
        # The season's channels cannot be decided: they stay as they are, and each readable
        # performance's channel holds are held per event unless the season already holds them.
        for p in present:
            perf = resolved[p]
            draft = drafts[perf.target.event_key]
            for label, held in perf.rules.items():
                if held.action is Action.CHANNEL:
                    draft.undecided.add(label)
                    if draft.best.get(label) == held:
                        draft.season_fallbacks[label] = held.fallback_status or ""
        return None

    perfs = [resolved[p] for p in present]
    undecided: set[str] = set()
    known = perfs[0].known if perfs else frozenset()
    for perf in perfs:
        undecided |= perf.undecided
        if perf.known is not known:
            known &= perf.known
    candidates = sorted(
        {
            label
            for perf in perfs
            for label, rule in perf.rules.items()
            if rule.action is Action.CHANNEL and rule.target
        }
    )
    channels: dict[str, set[str]] = defaultdict(set)
    differs: dict[int, set[str]] = defaultdict(set)
    for label in candidates:
        rules = [perf.rules.get(label) for perf in perfs]
        # undecided somewhere in the season (an unknown code): the season leaves the label as it
        # is, and every performance that holds it with a channel code holds it per event
        chosen = None if label in undecided else _season_channel(rules, policy.season_policy)
        if chosen is not None:
            channels[chosen].add(label)
        for perf, rule in zip(perfs, rules, strict=True):
            if rule is None or rule.action is not Action.CHANNEL or rule.target == chosen:
                continue
            draft = drafts[perf.target.event_key]
            if draft.best.get(label) != rule:
                continue  # another performance of the same event won this label
            if rule.fallback_status:
                draft.fallback[label] = rule.fallback_status
            else:
                # no per-event status configured: not for sale in this event, never buyable
                draft.fallback_not_for_sale.add(label)
                differs[rule.hold_code_id].add(label)
    for code, labels in sorted(differs.items()):
        ordered = sorted(labels)
        findings.append(
            Finding(
                FindingKind.SEASON_HOLD_DIFFERS,
                event_key=season_key,
                hold_code_id=code,
                labels=tuple(ordered[:EXAMPLES]),
                count=len(ordered),
                detail=f"hold code {code} differs between the season's performances "
                f"on {len(ordered)} seats and has no fallback status: held per event as "
                "not for sale (give the code a fallback_status)",
            )
        )
    return DesiredEvent(
        key=season_key,
        channels={k: frozenset(v) for k, v in sorted(channels.items())},
        statuses={},
        not_for_sale=frozenset(),
        performance_ids=tuple(present),
        is_season=True,
        season_key=None,
        undecided=frozenset(undecided),
        known=known,
    )


def _season_channel(rules: list[HoldRule | None], season_policy: SeasonPolicy) -> str | None:
    """The season channel of one label given its winning rule in each performance."""
    if season_policy is SeasonPolicy.ALL:
        first = rules[0]
        if first is None or first.action is not Action.CHANNEL:
            return None
        for rule in rules:
            if rule is None or rule.action is not Action.CHANNEL or rule.target != first.target:
                return None
        return first.target
    channel_rules = [r for r in rules if r is not None and r.action is Action.CHANNEL]
    if not channel_rules:
        return None
    return min(channel_rules, key=lambda r: (*_rank(r), r.target or "")).target
