"""The planner: the smallest set of seats.io changes from what is to what should be, within what the
bridge owns. A pure function of plain values; the rules it obeys are product.md's "Rules that
protect data", each one property-tested in ``tests/reconcile``.

The plan it returns is :mod:`bridge.core.plan_model` (with its JSON, documented in
``docs/plan-format.md``); how the ledger moves with a plan is :mod:`bridge.core.ledger_rules`,
which the apply step and :func:`bridge.core.simulate.simulate` share. Each name has one
address: ``Plan`` is imported from ``plan_model``, ``plan`` from here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bridge.core.desired import DesiredEvent, DesiredState
from bridge.core.findings import EXAMPLES, Finding, FindingKind, sorted_findings
from bridge.core.observed import FREE, ObservedEvent
from bridge.core.plan_model import (
    Operation,
    OpKind,
    Plan,
)
from bridge.core.policy import Policy
from bridge.core.reasons import Reason, Rule
from bridge.domain import LedgerEntry, Ownership
from bridge.mapping.model import ChannelSpec

__all__ = [
    "plan",
    "reason_of",
]


@dataclass(slots=True)
class _LabelWork:
    """What the planner wants for one label of one key, before budgets and refusals."""

    adds: list[tuple[OpKind, str, str]] = field(default_factory=list)
    lifts: list[tuple[OpKind, str, str]] = field(default_factory=list)
    claims: list[tuple[Ownership, str]] = field(default_factory=list)
    deferred: list[tuple[Ownership, str]] = field(default_factory=list)
    forgets: list[tuple[Ownership, str]] = field(default_factory=list)


def _shows(entry: LedgerEntry, status: str, channel: str | None, nfs: bool) -> bool:
    """Whether seats.io still shows what the ledger entry claims."""
    if entry.ownership is Ownership.CHANNEL:
        return channel == entry.target
    if entry.ownership is Ownership.STATUS:
        return status == entry.target
    return nfs


def _claim(work: _LabelWork, valid: LedgerEntry | None, ownership: Ownership, target: str) -> None:
    """Record that the label will be held as (ownership, target) once the plan ran."""
    if valid is None:
        return  # the adding op claims ahead, or an immediate claim is added by the caller
    if valid.ownership is ownership and valid.target == target:
        return
    work.deferred.append((ownership, target))


class _KeyPlanner:
    """Plans one event or season key; holds the lookups its labels share.

    ``season_statuses``: for a season, the bridge's statuses per label on its events (see
    :func:`_season_statuses`). ``held_elsewhere``: for an event in a season, the labels the season
    holds in a channel, so releasing them on the event is a move, not a lift.
    """

    def __init__(
        self,
        desired: DesiredEvent,
        observed: ObservedEvent,
        entries: Mapping[str, LedgerEntry],
        specs: Mapping[str, ChannelSpec],
        policy: Policy,
        season_statuses: Mapping[str, frozenset[str]],
        held_elsewhere: frozenset[str] = frozenset(),
        season_entries: Mapping[str, LedgerEntry] | None = None,
    ) -> None:
        self.desired = desired
        self.seen = observed
        self.entries = entries
        self.specs = specs
        self.policy = policy
        self.season_statuses = season_statuses
        self.held_elsewhere = held_elsewhere
        # for an event in a season: the channels the ledger says the bridge filled on the season
        self.season_channels = {
            lbl: e.target
            for lbl, e in (season_entries or {}).items()
            if e.ownership is Ownership.CHANNEL
        }
        self.in_season = desired.season_key is not None or observed.season_key is not None
        self.channel_of = {lbl: c for c, lbls in desired.channels.items() for lbl in lbls}
        self.status_of = {lbl: s for s, lbls in desired.statuses.items() for lbl in lbls}
        self.findings: list[Finding] = []
        #: label -> what the planner decided beyond the desired state (see Plan.reasons)
        self.decided: dict[str, Rule] = {}
        self.performance_id = (
            desired.performance_ids[0] if len(desired.performance_ids) == 1 else None
        )
        #: label -> the status holding it because its planned form cannot be written this run
        #: (the for-sale budget is spent): see :func:`_label_works`
        self.fallback_over: dict[str, str] = {}

    def budget_fallback(self, label: str) -> str | None:
        """The status that holds ``label`` while not for sale cannot be written: the bridge's
        status it already shows and owns (no write), else :meth:`fallback_for`."""
        entry, obj = self.entries.get(label), self.seen.objects.get(label)
        if (
            entry is not None
            and entry.ownership is Ownership.STATUS
            and obj is not None
            and obj.status == entry.target
        ):
            return entry.target
        return self.fallback_for(label)

    def fallback_for(self, label: str) -> str | None:
        """The status that holds ``label`` when its planned form cannot be written: its code's
        ``fallback_status``, else the bridge's (``Policy.fallback_status``); None for neither."""
        rule = self.desired.rules.get(label)
        own = rule.fallback_status if rule is not None else None
        return own or self.policy.fallback_status or None

    def find(self, kind: FindingKind, label: str | None = None, detail: str = "") -> None:
        self.findings.append(
            Finding(
                kind,
                performance_id=self.performance_id,
                event_key=self.desired.key,
                label=label,
                detail=detail,
            )
        )

    def find_group(self, kind: FindingKind, labels: Sequence[str], detail: str) -> None:
        """One finding about several objects (``labels``, sorted): a sample and the count."""
        self.findings.append(
            Finding(
                kind,
                performance_id=self.performance_id,
                event_key=self.desired.key,
                labels=tuple(labels[:EXAMPLES]),
                count=len(labels),
                detail=detail,
            )
        )

    def labels(self) -> set[str]:
        """Labels worth a decision: wanted, owned, sitting in a bridge channel or (when read)
        showing a bridge status; never undecided, and never one outside the seat table, whose
        hold state the bridge cannot know."""
        out = set(self.desired.labels) | set(self.entries)
        if not self.seen.is_season:  # a season shows its events' statuses, not its own
            for obj in self.seen.objects.values():
                if obj.status in self.policy.bridge_statuses:
                    out.add(obj.label)  # the bridge's own status: owned, or reported
        if not self.in_season:
            for obj in self.seen.objects.values():
                if obj.channel in self.specs:
                    out.add(obj.label)
            for channel in self.seen.channels:
                if channel.key in self.specs:
                    out |= channel.objects
        known = self.desired.known
        if known is not None:
            outside = sorted(lbl for lbl in self.entries if lbl not in known)
            if outside:
                self.find_group(
                    FindingKind.HELD_OUTSIDE_TABLE,
                    outside,
                    f"{len(outside)} objects the bridge holds are in no seat table row: their "
                    "holds are kept until the table lists them again",
                )
            out &= known
        return out - self.desired.undecided

    def label(self, label: str) -> _LabelWork | None:
        """Decide one label; None when nothing at all is to be done for it."""
        want_channel = self.channel_of.get(label)
        want_status = self.status_of.get(label)
        want_not_for_sale = label in self.desired.not_for_sale
        wanted = want_channel is not None or want_status is not None or want_not_for_sale
        fallback = self.fallback_over.get(label)
        if fallback is not None:  # not for sale cannot be written this run: a status holds it
            want_not_for_sale, want_status = False, fallback
        entry = self.entries.get(label)
        obj = self.seen.objects.get(label)
        if obj is None:
            self.decided[label] = Rule.NOT_ON_CHART
            if wanted and self.desired.is_season:
                # its events keep what they hold, but a seat they hand over cannot be held here
                self.find(
                    FindingKind.NOT_ON_SEASON_CHART,
                    label,
                    "the season's chart has no object with this label, so the season cannot "
                    "hold it for its events",
                )
            elif wanted:  # Tessitura holds a seat whose label the chart lacks: a wrong table?
                self.find(
                    FindingKind.NOT_ON_CHART,
                    label,
                    "Tessitura holds this seat but the chart has no object with this label",
                )
            elif entry is not None:
                self.find(
                    FindingKind.OWNED_NOT_ON_CHART,
                    label,
                    "the ledger holds an object the chart no longer has",
                )
            return None
        status, channel, nfs = obj.status, obj.channel, label in self.seen.not_for_sale
        work = _LabelWork()
        refused = (
            want_channel is not None
            and channel != want_channel
            and not self.desired.is_season  # a season's status would land on all its events
            and (self.desired.key, want_channel) in self.policy.refused_channels
        )
        if refused and (held_by := self.fallback_for(label)) is not None:
            # seats.io refused the channel this run: a status holds the seat until it can be written
            self.decided[label] = Rule.FALLBACK
            self.find(
                FindingKind.CHANNEL_REFUSED,
                label,
                f"seats.io refused channel {want_channel!r} in this run: held by status "
                f"{held_by!r} until the channel can be written",
            )
            want_channel, want_status = None, held_by
        valid: LedgerEntry | None = None
        if entry is not None:
            if _shows(entry, status, channel, nfs):
                valid = entry
            else:
                work.forgets.append((entry.ownership, entry.target))
        owned_status = valid.target if valid and valid.ownership is Ownership.STATUS else None
        owned_channel = valid.target if valid and valid.ownership is Ownership.CHANNEL else None
        owned_nfs = valid is not None and valid.ownership is Ownership.NOT_FOR_SALE
        if (
            owned_status is None
            and valid is not None
            and not self.seen.is_season  # a season shows its events' statuses; they are not its own
            and status in self.policy.bridge_statuses
        ):
            # The one-slot ledger holds this object another way, yet it shows one of the bridge's
            # own statuses: a move whose closing claim a crash cut off. The status is the bridge's.
            owned_status = status

        # A channel the ledger says the bridge filled stays the bridge's after its key left the
        # configuration (a renamed channel, a code edited to another action): its objects move.
        foreign = (
            channel is not None
            and channel not in self.specs
            and channel != owned_channel
            and channel != self.season_channels.get(label)
        )
        # Held in a partner's channel: buyable there. A bridge status makes it unbuyable (the
        # code's own for a status code, else the fallback), the partner's channel untouched.
        in_partner_channel = foreign and (want_channel is not None or want_status is not None)
        if in_partner_channel and want_channel is not None:
            want_channel, want_status = None, self.fallback_for(label)

        bridge_set = (owned_status, want_status, *self.season_statuses.get(label, ()))
        if status != FREE and status not in bridge_set:
            # Never overwrite a sale: booked, reserved, resale or someone else's status.
            self.decided[label] = Rule.CONFLICT if wanted else Rule.SOLD
            if wanted:
                self.find(
                    FindingKind.CONFLICT,
                    label,
                    f"Tessitura holds it but seats.io shows status {status!r}",
                )
            elif valid is not None and valid.ownership is not Ownership.STATUS:
                self.find(
                    FindingKind.SOLD_WHILE_HELD,
                    label,
                    f"status {status!r} while the bridge holds it ({valid.ownership.value}); left as is",
                )
            elif (
                entry is None
                and status in self.policy.bridge_statuses
                and not self.seen.is_season  # a season shows its events' statuses
            ):
                # Not a sale: the bridge's own status, but the ledger has no entry (its store
                # was lost or replaced). Unproven ownership is never released; never silent.
                self.find(
                    FindingKind.UNOWNED_BRIDGE_STATUS,
                    label,
                    f"shows the bridge's status {status!r} but the ledger has no entry for it: "
                    "left as is; release it by hand if Tessitura does not hold it",
                )
            return work

        if in_partner_channel:
            self.decided[label] = (
                Rule.CHANNEL_CONFLICT if want_status is None else Rule.PARTNER_CHANNEL
            )
            held = (
                f"held by status {want_status!r} instead, the channel left as it is"
                if want_status is not None
                else "no fallback status to hold it: buyable there (name [safety] fallback_status)"
            )
            self.find(
                FindingKind.FOREIGN_CHANNEL,
                label,
                f"Tessitura holds it but it sits in channel {channel!r}, which the bridge does "
                f"not manage: {held}",
            )
            if want_status is None:
                return work

        if self.in_season and want_channel is not None:
            self.decided[label] = Rule.CHANNEL_CONFLICT
            self.find(
                FindingKind.CHANNEL_ON_SEASON_EVENT,
                label,
                f"wanted in channel {want_channel!r}, but seats.io puts this event in season "
                f"{self.seen.season_key!r}, where channels live: map the performance to its season",
            )
            return work
        if not self.in_season:
            if want_channel is not None:
                if want_channel not in self.specs:
                    self.decided[label] = Rule.CHANNEL_CONFLICT
                    self.find(
                        FindingKind.CHANNEL_NOT_CONFIGURED,
                        label,
                        f"channel {want_channel!r} has no name and colour in the configuration",
                    )
                    return work
                if channel == want_channel:
                    self._keep(work, valid, Ownership.CHANNEL, want_channel)
                elif channel is None or channel == owned_channel:
                    work.adds.append((OpKind.ADD_TO_CHANNEL, want_channel, ""))
                    _claim(work, valid, Ownership.CHANNEL, want_channel)
                else:
                    self.find(
                        FindingKind.UNOWNED_IN_BRIDGE_CHANNEL,
                        label,
                        f"wanted in {want_channel!r} but sits in bridge channel {channel!r} without a ledger entry",
                    )
                    return work
            elif channel is not None and (channel in self.specs or channel == owned_channel):
                if channel == owned_channel:
                    work.lifts.append((OpKind.REMOVE_FROM_CHANNEL, channel, ""))
                else:
                    self.decided[label] = Rule.NOT_OURS
                    self.find(
                        FindingKind.UNOWNED_IN_BRIDGE_CHANNEL,
                        label,
                        f"sits in bridge channel {channel!r} without a ledger entry; left alone",
                    )

        if want_status is not None:
            if status == want_status:
                self._keep(work, valid, Ownership.STATUS, want_status)
            else:
                work.adds.append((OpKind.CHANGE_STATUS, want_status, status))
                _claim(work, valid, Ownership.STATUS, want_status)
        elif owned_status is not None:
            work.lifts.append((OpKind.RELEASE_STATUS, owned_status, owned_status))

        if want_not_for_sale:
            if nfs:
                self._keep(work, valid, Ownership.NOT_FOR_SALE, "")
            else:
                work.adds.append((OpKind.MARK_NOT_FOR_SALE, "", ""))
                _claim(work, valid, Ownership.NOT_FOR_SALE, "")
        elif owned_nfs:
            work.lifts.append((OpKind.MARK_FOR_SALE, "", ""))
        if entry is not None and not wanted:
            self.decided[label] = Rule.RELEASED  # its hold lifted, or a stale claim forgotten
        return work

    @staticmethod
    def _keep(
        work: _LabelWork, valid: LedgerEntry | None, ownership: Ownership, target: str
    ) -> None:
        """seats.io already shows what is wanted: make sure the ledger says so too."""
        if valid is None:
            work.claims.append((ownership, target))
        else:
            _claim(work, valid, ownership, target)


def plan(
    desired: DesiredState,
    observed: Mapping[str, ObservedEvent],
    ledger: Mapping[tuple[str, str], LedgerEntry],
    policy: Policy,
    channels: Sequence[ChannelSpec],
) -> Plan:
    """Compare, then order: adds before lifts, conditional status writes, refusals as findings.

    Three stages: every key's label work (seasons first: an event hands a seat over to its season
    only once the season holds it); then the checks that span keys (a season releases a seat only
    where each event that still holds it has its per-event hold in place, and the mass-release
    guard counts what would become buyable on every event); then operations.
    """
    specs = {c.key: c for c in channels}
    by_key: dict[str, dict[str, LedgerEntry]] = defaultdict(dict)
    for (key, label), entry in ledger.items():
        by_key[key][label] = entry
    findings: list[Finding] = list(desired.findings)
    season_statuses = _season_statuses(desired, observed, by_key)
    placed: dict[str, frozenset[str]] = {}  # season key -> labels its channels hold after this plan
    planned: dict[str, tuple[_KeyPlanner, dict[str, _LabelWork]]] = {}
    for key in sorted(desired.events, key=lambda k: (not desired.events[k].is_season, k)):
        want = desired.events[key]
        seen = observed.get(key)
        if seen is None:
            findings.append(
                Finding(
                    FindingKind.EVENT_NOT_FOUND,
                    event_key=key,
                    detail="seats.io has no such event or season",
                )
            )
            continue
        season = desired.events.get(want.season_key) if want.season_key else None
        held_elsewhere: frozenset[str] = frozenset()
        if want.season_fallbacks and season is None:
            want = held_per_event(want, seen)
        if season is not None:
            held_elsewhere = placed.get(season.key, frozenset())
            waiting = season.labels - held_elsewhere - want.labels
            if waiting:
                # The season cannot hold these (missing, conflict, foreign channel ...): the event
                # keeps whatever it holds, so no seat becomes buyable while Tessitura holds it.
                want = replace(want, undecided=want.undecided | waiting)
        planner = _KeyPlanner(
            want,
            seen,
            by_key.get(key, {}),
            specs,
            policy,
            season_statuses.get(key, {}),
            held_elsewhere,
            by_key.get(want.season_key or seen.season_key or "", {}),
        )
        works = _label_works(planner)
        if want.is_season:
            placed[key] = _in_season_channel(want, seen) | _channel_adds(want, works)
        planned[key] = (planner, works)
    _season_releases_wait(planned)
    refusals, released = _mass_release_guard(planned, policy)
    findings.extend(refusals)
    ops: list[Operation] = []
    reasons: dict[tuple[str, str], Reason] = {}
    for key, (planner, works) in planned.items():
        ops.extend(_materialize(planner, works))
        findings.extend(planner.findings)
        layers = planner.desired.layers
        for label, rule in planner.decided.items():
            reasons[(key, label)] = Reason(rule, layers.get(label))
    return Plan(
        operations=_merge_and_sort(ops),
        findings=sorted_findings(findings),
        released=released,
        reasons=reasons,
    )


#: The planner's reasons that stand before the desired state's: it could not act on the object.
_CANNOT_ACT = frozenset(
    {Rule.CONFLICT, Rule.CHANNEL_CONFLICT, Rule.NOT_ON_CHART, Rule.FALLBACK, Rule.PARTNER_CHANNEL}
)
_CONFLICTS = frozenset({Rule.CONFLICT, Rule.CHANNEL_CONFLICT, Rule.PARTNER_CHANNEL})
_HELD_BACK = frozenset({Rule.RELEASE_REFUSED, Rule.RELEASE_WAITS})
#: The desired state's reasons that stand before the planner's other ones.
_WANTED_OR_KEPT = frozenset(
    {
        Rule.HELD,
        Rule.SEASON_CHANNEL,
        Rule.SEASON_DIFFERS,
        Rule.SEASON_FALLBACK,
        Rule.UNKNOWN_CODE,
        Rule.UNDECIDED,
        Rule.UNKNOWN_SEAT,
    }
)


def reason_of(desired: DesiredState, the_plan: Plan, key: str, label: str) -> Reason | None:
    """The one reason that stands for object ``label`` of event ``key`` (None: the desired state
    has no such key, so the plan does not touch it), read off what the desired state and the
    planner recorded, in this order:

    1. the planner could not act on it: a conflict or no such object on the chart (an event's
       object in a season that the event does not hold itself: a conflict on the season's
       object is its conflict too);
    2. the holds and the tables want it held, or keep it as is (:meth:`DesiredEvent.reason`);
    3. the planner refused or postponed a release;
    4. the winning layer's rule wants nothing here (ignore, or no target);
    5. the planner's other decisions (sold, not ours, released), the event's then its season's;
    6. else :attr:`Rule.FREE`.
    """
    event = desired.events.get(key)
    if event is None:
        return None
    reasons = the_plan.reasons
    own = reasons.get((key, label))
    season_key = event.season_key
    of_season = reasons.get((season_key, label)) if season_key else None
    if own is not None and own.rule in _CANNOT_ACT:
        return own
    layer = event.layers.get(label)
    if of_season is not None and of_season.rule in _CONFLICTS and not event.wants(label):
        return Reason(of_season.rule, layer)  # the season's channel cannot hold it for the event
    season = desired.events.get(season_key) if season_key else None
    wants = event.reason(label, season)
    if wants is not None and wants.rule in _WANTED_OR_KEPT:
        return wants
    if own is not None and own.rule in _HELD_BACK:
        return own
    if wants is not None:
        return wants
    if own is not None:
        return own
    if of_season is not None and of_season.rule is not Rule.NOT_ON_CHART:
        return Reason(of_season.rule, layer)
    return Reason(Rule.FREE, layer)


def held_per_event(want: DesiredEvent, seen: ObservedEvent) -> DesiredEvent:
    """An event whose season cannot be planned: a seat Tessitura holds with a channel code that
    sits in no channel now is held on the event itself (fallback status, else not for sale)."""
    statuses = {k: set(v) for k, v in want.statuses.items()}
    not_for_sale = set(want.not_for_sale)
    undecided = set(want.undecided)
    for label, status in want.season_fallbacks.items():
        obj = seen.objects.get(label)
        if obj is None or obj.channel is not None:
            continue  # the season's channel (or someone's) holds it: left as it is
        undecided.discard(label)
        if status:
            statuses.setdefault(status, set()).add(label)
        else:
            not_for_sale.add(label)
    return replace(
        want,
        statuses={k: frozenset(v) for k, v in sorted(statuses.items())},
        not_for_sale=frozenset(not_for_sale),
        undecided=frozenset(undecided),
    )


def _in_season_channel(season: DesiredEvent, seen: ObservedEvent | None) -> frozenset[str]:
    """The season's desired channel labels that seats.io already shows in that channel."""
    if seen is None:
        return frozenset()
    return frozenset(
        label
        for channel, labels in season.channels.items()
        for label in labels
        if (obj := seen.objects.get(label)) is not None and obj.channel == channel
    )


def _channel_adds(season: DesiredEvent, works: Mapping[str, _LabelWork]) -> frozenset[str]:
    """Labels this plan puts into the channel the season wants them in (adds run before any
    lift of a plan; a refused add stops the lifts of its objects, see docs/plan-format.md)."""
    return frozenset(
        label
        for label, work in works.items()
        for kind, target, _ in work.adds
        if kind is OpKind.ADD_TO_CHANNEL and label in season.channels.get(target, frozenset())
    )


def _season_statuses(
    desired: DesiredState,
    observed: Mapping[str, ObservedEvent],
    by_key: Mapping[str, Mapping[str, LedgerEntry]],
) -> dict[str, dict[str, frozenset[str]]]:
    """Per season, per label: the bridge's statuses on the season's events.

    A season reports an object as the least free across its events, so a seat the bridge holds
    by status on one event (or is about to, in this plan) shows that status on the season too;
    it is still the bridge's, not a sale, and only decides whether season channel work may go on.
    """
    members: dict[str, set[str]] = defaultdict(set)
    for key, event in desired.events.items():
        if event.season_key:
            members[event.season_key].add(key)
    for key, seen in observed.items():
        if seen.season_key:
            members[seen.season_key].add(key)
    out: dict[str, dict[str, frozenset[str]]] = {}
    for season_key, keys in members.items():
        per_label: dict[str, set[str]] = defaultdict(set)
        for key in keys:
            wanted = desired.events.get(key)
            if wanted is not None:
                for status, labels in wanted.statuses.items():
                    for label in labels:
                        per_label[label].add(status)
            seen_event = observed.get(key)
            if seen_event is None:
                continue
            for label, entry in by_key.get(key, {}).items():
                obj = seen_event.objects.get(label)
                if entry.ownership is Ownership.STATUS and obj and obj.status == entry.target:
                    per_label[label].add(entry.target)
        out[season_key] = {k: frozenset(v) for k, v in per_label.items()}
    return out


def _label_works(planner: _KeyPlanner) -> dict[str, _LabelWork]:
    """Every label's work for one key, with the for-sale budget applied."""
    policy = planner.policy
    works: dict[str, _LabelWork] = {}
    for label in planner.labels():
        work = planner.label(label)
        if work is not None:
            works[label] = work

    # For-sale budget: one coalesced restricting call, or none. When it is spent (or down to its
    # last edit, kept for seats with no fallback) a seat with a fallback status is held by that
    # status until the budget resets; a label that cannot be held either way keeps whatever hold
    # it had (its lifts wait too).
    marks = sorted(
        lbl for lbl, w in works.items() if any(a[0] is OpKind.MARK_NOT_FOR_SALE for a in w.adds)
    )
    left = planner.seen.for_sale_calls_left
    spendable = None if left is None else left - policy.for_sale_reserve
    if marks and spendable is not None and spendable <= 1:
        instead = {lbl: fb for lbl in marks if (fb := planner.budget_fallback(lbl)) is not None}
        for lbl, status in instead.items():
            planner.fallback_over[lbl] = status
            work = planner.label(lbl)
            assert work is not None  # on the chart: it had a mark
            works[lbl] = work
            if planner.decided.get(lbl) is None:
                planner.decided[lbl] = Rule.FALLBACK
        if instead:
            _fallback_finding(planner, instead, left, policy)
        marks = [lbl for lbl in marks if lbl not in instead]
    if marks and spendable is not None and spendable <= 0:
        assert left is not None
        for lbl in marks:
            w = works[lbl]
            w.adds = [a for a in w.adds if a[0] is not OpKind.MARK_NOT_FOR_SALE]
            w.lifts = []
            w.deferred = []
        planner.find_group(
            FindingKind.FOR_SALE_BUDGET_EXHAUSTED,
            marks,
            f"{left} restricting for-sale edits left today, {policy.for_sale_reserve} kept in "
            f"reserve: {len(marks)} objects not marked not for sale yet, and no fallback status "
            "holds them: buyable until the budget resets (name [safety] fallback_status, or a "
            "fallback_status on their hold code)",
        )
    return works


def _fallback_finding(
    planner: _KeyPlanner, instead: Mapping[str, str], left: int | None, policy: Policy
) -> None:
    """Say which seats a fallback status holds while the for-sale budget is spent."""
    statuses = ", ".join(sorted(set(instead.values())))
    planner.find_group(
        FindingKind.HELD_BY_FALLBACK,
        sorted(instead),
        f"{left} restricting for-sale edits left today, {policy.for_sale_reserve} kept in "
        f"reserve: {len(instead)} objects held by status {statuses} instead of not for sale; "
        "they move to not for sale once the budget allows",
    )


def _held_after(planner: _KeyPlanner, work: _LabelWork | None, label: str) -> bool:
    """Whether ``label`` is unbuyable on this event once the plan ran: a hold it shows and keeps,
    or one this plan adds."""
    obj = planner.seen.objects.get(label)
    if obj is None:
        return True  # not on this event's chart: nothing to buy
    lifts = {kind for kind, _, _ in work.lifts} if work else set()
    if work is not None and work.adds:
        return True
    if obj.status != FREE and OpKind.RELEASE_STATUS not in lifts:
        return True
    return label in planner.seen.not_for_sale and OpKind.MARK_FOR_SALE not in lifts


def _season_releases_wait(planned: Mapping[str, tuple[_KeyPlanner, dict[str, _LabelWork]]]) -> None:
    """A season takes a seat out of its channel only where every event that still holds the seat
    has its per-event hold (fallback status, not for sale) in place or in this plan."""
    members: dict[str, list[tuple[_KeyPlanner, dict[str, _LabelWork]]]] = defaultdict(list)
    for planner, works in planned.values():
        if planner.desired.season_key:
            members[planner.desired.season_key].append((planner, works))
    for key, (season, works) in planned.items():
        if not season.desired.is_season:
            continue
        waiting: list[str] = []
        for label, work in works.items():
            if not work.lifts or label in season.desired.labels:
                continue
            for event, event_works in members.get(key, []):
                if label in event.desired.labels and not _held_after(
                    event, event_works.get(label), label
                ):
                    work.lifts = []
                    work.deferred = []
                    waiting.append(label)
                    season.decided[label] = Rule.RELEASE_WAITS
                    break
        if waiting:
            season.findings.append(
                Finding(
                    FindingKind.SEASON_RELEASE_WAITS,
                    event_key=key,
                    labels=tuple(sorted(waiting)[:EXAMPLES]),
                    count=len(waiting),
                    detail=f"{len(waiting)} objects stay in the season's channels until every "
                    "event that holds them shows its own hold",
                )
            )


def _valid_holds(planner: _KeyPlanner) -> set[str]:
    """Labels the bridge holds here now: ledger entries seats.io still shows."""
    return {
        lbl
        for lbl, entry in planner.entries.items()
        if (obj := planner.seen.objects.get(lbl)) is not None
        and _shows(entry, obj.status, obj.channel, lbl in planner.seen.not_for_sale)
    }


def _freed(planner: _KeyPlanner, works: Mapping[str, _LabelWork]) -> set[str]:
    """Labels whose hold here this plan lifts without holding them another way."""
    kept = planner.desired.labels | planner.held_elsewhere
    return {lbl for lbl, w in works.items() if w.lifts and lbl not in kept}


def _mass_release_guard(
    planned: Mapping[str, tuple[_KeyPlanner, dict[str, _LabelWork]]], policy: Policy
) -> tuple[list[Finding], int]:
    """No mass release by accident, counted on every event: a season's release lands on each of
    its events. A group (an event alone, or a season with its events) whose plan would make more
    than the allowed share buyable on any one event, or across the group, lifts nothing; so does
    every group that frees anything when the pass-wide guard refused (``pass_refusal``).
    Returns the refusals and how many objects the lifts that stay make buyable."""
    released = 0
    groups: dict[str, list[str]] = defaultdict(list)
    for key, (planner, _) in planned.items():
        # a season's events form one group even when the season itself is not planned
        season_key = planner.desired.season_key or planner.seen.season_key
        groups[season_key or key].append(key)
    findings: list[Finding] = []
    for group_key, keys in sorted(groups.items()):
        season = (
            planned[group_key]
            if group_key in planned and planned[group_key][0].desired.is_season
            else None
        )
        season_held = _valid_holds(season[0]) if season else set()
        season_freed = _freed(*season) if season else set()
        events = [k for k in keys if not planned[k][0].desired.is_season] or [group_key]
        per_event: list[tuple[str, int, int]] = []
        freed_all: set[tuple[str, str]] = set()
        for key in events:
            planner, works = planned[key]
            if planner.desired.is_season:  # a season without events in this plan counts as one
                held, freed = season_held, season_freed
            else:
                held = _valid_holds(planner) | season_held
                freed = _freed(planner, works) | (season_freed - planner.desired.labels)
            per_event.append((key, len(freed), len(held)))
            freed_all |= {(key, lbl) for lbl in freed}
        total_freed = len(freed_all)
        total_held = sum(h for _, _, h in per_event)

        def trips(freed: int, held: int) -> bool:
            return freed > policy.mass_release_share * held and freed >= policy.mass_release_floor

        worst = max(per_event, key=lambda e: (e[1], e[0]))
        over = any(trips(f, h) for _, f, h in per_event) or trips(total_freed, total_held)
        refused_by_pass = bool(policy.pass_refusal) and total_freed > 0
        if policy.force or not (over or refused_by_pass):
            released += total_freed
            continue
        for key in keys:
            planner, works = planned[key]
            for label, w in works.items():
                if w.lifts:
                    w.lifts = []
                    w.deferred = []  # the old hold stays, so the ledger must keep saying so
                    planner.decided[label] = Rule.RELEASE_REFUSED
        sample = sorted({lbl for _, lbl in freed_all})
        lone = planned[keys[0]][0] if len(keys) == 1 and group_key in planned else None
        findings.append(
            Finding(
                FindingKind.MASS_RELEASE_REFUSED,
                performance_id=lone.performance_id if lone is not None else None,
                event_key=group_key,
                labels=tuple(sample[:EXAMPLES]),
                count=total_freed,
                detail=f"would make {total_freed} of {total_held} bridge-held objects buyable "
                f"across {len(per_event)} event(s), {worst[1]} of {worst[2]} on {worst[0]} "
                + (
                    f"(limit {policy.mass_release_share:.0%} and at least "
                    f"{policy.mass_release_floor})"
                    if over
                    else f"({policy.pass_refusal})"
                )
                + "; rerun with force to allow",
            )
        )
    return findings, released


def _materialize(planner: _KeyPlanner, works: Mapping[str, _LabelWork]) -> list[Operation]:
    """Group label work into operations for one key."""
    key = planner.desired.key
    keys = (key,)
    grouped: dict[tuple[OpKind, str, str], list[str]] = defaultdict(list)
    claims: dict[tuple[Ownership, str], list[str]] = defaultdict(list)
    forgets: dict[tuple[Ownership, str], list[str]] = defaultdict(list)
    for label, work in works.items():
        for item in work.adds:
            grouped[item].append(label)
        for item in work.lifts:
            grouped[item].append(label)
        for claim in work.claims + work.deferred:
            claims[claim].append(label)
        for forget in work.forgets:
            forgets[forget].append(label)

    ops: list[Operation] = []
    for (ownership, target), labels in forgets.items():
        ops.append(Operation(OpKind.LEDGER_FORGET, keys, _t(labels), target, ownership=ownership))
    for (ownership, target), labels in claims.items():
        ops.append(Operation(OpKind.LEDGER_CLAIM, keys, _t(labels), target, ownership=ownership))

    channel_adds: dict[str, list[str]] = defaultdict(list)
    channel_removes: dict[str, list[str]] = defaultdict(list)
    for (kind, target, previous), labels in grouped.items():
        if kind is OpKind.ADD_TO_CHANNEL:
            channel_adds[target] = labels
        elif kind is OpKind.REMOVE_FROM_CHANNEL:
            channel_removes[target] = labels
        elif kind is OpKind.CHANGE_STATUS or kind is OpKind.RELEASE_STATUS:
            ops.append(Operation(kind, keys, _t(labels), target, allowed_previous=(previous,)))
        else:
            ops.append(Operation(kind, keys, _t(labels)))

    if planner.in_season:
        return ops
    present = {c.key: c for c in planner.seen.channels}
    updates = [
        spec
        for k, spec in sorted(planner.specs.items())
        if k in present and (present[k].name, present[k].color) != (spec.name, spec.color)
    ]
    if key in planner.policy.owns_all_channels:
        if channel_adds or channel_removes or updates:
            ops.append(_replace(planner, channel_adds, channel_removes))
        return ops
    taking = [*updates, *(planner.specs[t] for t in channel_adds if t not in present)]
    for spec in _retiring(planner, {s.name for s in taking}).values():
        ops.append(Operation(OpKind.UPDATE_CHANNEL, keys, (), spec.key, channel=spec))
    for spec in updates:
        ops.append(Operation(OpKind.UPDATE_CHANNEL, keys, (), spec.key, channel=spec))
    for target, labels in channel_adds.items():
        if target in present:
            ops.append(Operation(OpKind.ADD_TO_CHANNEL, keys, _t(labels), target))
        else:
            spec = planner.specs[target]
            ops.append(Operation(OpKind.CREATE_CHANNEL, keys, _t(labels), target, channel=spec))
    for target, labels in channel_removes.items():
        ops.append(Operation(OpKind.REMOVE_FROM_CHANNEL, keys, _t(labels), target))
    return ops


def _replace(
    planner: _KeyPlanner,
    adds: Mapping[str, list[str]],
    removes: Mapping[str, list[str]],
) -> Operation:
    """One REPLACE_CHANNELS with every channel's full list; foreign channels kept as they are."""
    lists: dict[str, set[str]] = {c.key: set(c.objects) for c in planner.seen.channels}
    specs: dict[str, ChannelSpec] = {
        c.key: planner.specs.get(c.key) or ChannelSpec(c.key, c.name, c.color, c.index)
        for c in planner.seen.channels
    }
    moved: set[str] = set()
    # the list carries every channel at once: one the config retired gives up a name it wants
    specs.update(_retiring(planner, {s.name for s in planner.specs.values()}))
    for target, labels in removes.items():
        lists.setdefault(target, set()).difference_update(labels)
        moved.update(labels)
    for target, labels in adds.items():
        for members in lists.values():
            members.difference_update(labels)
        lists.setdefault(target, set()).update(labels)
        specs.setdefault(target, planner.specs[target])
        moved.update(labels)
    channels = tuple(
        (specs[k], _t(lists[k])) for k in sorted(lists, key=lambda k: (specs[k].index, k))
    )
    return Operation(OpKind.REPLACE_CHANNELS, (planner.desired.key,), _t(moved), channels=channels)


def _retiring(planner: _KeyPlanner, wanted: Collection[str]) -> dict[str, ChannelSpec]:
    """Channels that left the config but still carry a name a configured channel is about to
    take (a key renamed, its name kept): channel key -> the same channel under a free name.

    seats.io keeps channel names unique per event, so the retiring channel is renamed before
    the new one is made (or in the same REPLACE_CHANNELS list); its objects move straight from
    it to the new channel, never out of a channel in between. Only a channel the ledger says
    the bridge filled, or made (``Policy.made_channels``), is renamed: a partner's channel is never
    touched, whatever its name (even where the bridge may replace every channel at once)."""
    key = planner.desired.key
    filled = {e.target for e in planner.entries.values() if e.ownership is Ownership.CHANNEL}
    filled |= {channel for k, channel in planner.policy.made_channels if k == key}
    taken = {c.name for c in planner.seen.channels} | {s.name for s in planner.specs.values()}
    out: dict[str, ChannelSpec] = {}
    for c in sorted(planner.seen.channels, key=lambda c: c.key):
        if c.key in planner.specs or c.key not in filled or c.name not in wanted:
            continue
        name = _free_name(f"{c.name} (retired: {c.key})", taken)
        taken.add(name)
        out[c.key] = ChannelSpec(c.key, name, c.color, c.index)
    return out


def _free_name(name: str, taken: Collection[str]) -> str:
    """``name``, or ``name`` with the first number that makes it one no channel has."""
    n, free = 2, name
    while free in taken:
        free, n = f"{name} {n}", n + 1
    return free


def _t(labels: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(labels))


def _merge_and_sort(ops: list[Operation]) -> tuple[Operation, ...]:
    """Same status write on several events -> one multi-event op (all or nothing); then order."""
    merged: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    rest: list[Operation] = []
    for op in ops:
        if op.kind in (OpKind.CHANGE_STATUS, OpKind.RELEASE_STATUS):
            merged[(op.kind, op.target, op.allowed_previous, op.labels)].extend(op.event_keys)
        else:
            rest.append(op)
    for (kind, target, previous, labels), keys in merged.items():
        rest.append(Operation(kind, _t(keys), labels, target, allowed_previous=previous))
    return tuple(sorted(rest, key=Operation.sort_key))
