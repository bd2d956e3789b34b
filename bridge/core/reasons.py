"""Why the bridge does what it does with one seats.io object: the :class:`Rule` that decided it
and the Tessitura hold layer that won, recorded where the decision is made.

The desired state (:mod:`bridge.core.desired`) records, per label of each event, its winning hold
layer and the hold-code row that maps it; its sets (channels, statuses, not for sale, undecided,
season fallbacks) are the decisions themselves, and :meth:`DesiredEvent.reason
<bridge.core.desired.DesiredEvent.reason>` names them. The planner (:mod:`bridge.core.plan`)
records in :attr:`Plan.reasons <bridge.core.plan_model.Plan.reasons>` what it decided beyond the
desired state against what seats.io shows (a conflict, a release, a refusal ...), and
:func:`bridge.core.plan.reason_of` gives the one reason that stands for an object.
:mod:`bridge.core.explain` only puts it into words.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bridge.domain import SeatHold

__all__ = ["KEPT", "WANTED", "Reason", "Rule"]


class Rule(StrEnum):
    """The rule that decides one object of one event (or season)."""

    # -- decided by the holds and the tables (the desired state) --------------------------------
    #: the winning layer's rule holds it on its event: a channel, a status or not for sale
    HELD = "held"
    #: the winning layer's channel code holds it in the season's channel
    SEASON_CHANNEL = "season_channel"
    #: its channel code differs between the season's performances: held per event (the code's
    #: fallback status, else not for sale)
    SEASON_DIFFERS = "season_differs"
    #: the season cannot be planned (a performance unreadable): its channel hold is held per
    #: event unless the season's channel already holds it
    SEASON_FALLBACK = "season_fallback"
    #: the winning layer's rule is ignore: a Tessitura matter, left as seats.io shows it
    IGNORED = "ignored"
    #: the winning layer's rule shows nothing here (no target, or a channel the season does not
    #: take from this event)
    NO_EFFECT = "no_effect"
    #: only hold codes without a rule, or ignore beside one (the unknown code may be a hold):
    #: kept as is
    UNKNOWN_CODE = "unknown_code"
    #: the unit cannot decide it (a performance of its event or season differs): kept as is
    UNDECIDED = "undecided"
    #: outside the seat table: its hold state cannot be read, kept as is
    UNKNOWN_SEAT = "unknown_seat"
    #: Tessitura holds nothing on it and the bridge owns nothing: left as seats.io shows it
    FREE = "free"

    # -- decided by the planner against what seats.io shows --------------------------------------
    #: Tessitura holds it but it is sold online: reported, never overwritten
    CONFLICT = "conflict"
    #: the channel that should hold it cannot: a foreign one holds it, it has no configuration,
    #: or the event is in a season (channels live there): reported, left as is
    CHANNEL_CONFLICT = "channel_conflict"
    #: its planned form cannot be written this run (the for-sale budget spent, its channel
    #: refused): a fallback status holds it until it can
    FALLBACK = "fallback"
    #: Tessitura holds it but a partner's channel (one the bridge does not manage) has it: a
    #: bridge status holds it, the channel left as it is; reported as a conflict
    PARTNER_CHANNEL = "partner_channel"
    #: the chart has no object with this label: nothing to do
    NOT_ON_CHART = "not_on_chart"
    #: wanted by nothing here and sold online: left as is
    SOLD = "sold"
    #: sits in a bridge channel without a ledger entry: not ours, left alone
    NOT_OURS = "not_ours"
    #: wanted by nothing here and held by the bridge: the bridge lets its hold go
    RELEASED = "released"
    #: the release was refused by the mass-release guard: kept held
    RELEASE_REFUSED = "release_refused"
    #: the season keeps it in its channel until every event that holds it shows its own hold
    RELEASE_WAITS = "release_waits"

    # -- no plan covers it (named by explain) -----------------------------------------------------
    #: the performance has no seats.io event: nothing is changed
    NO_EVENT = "no_event"
    #: the performance's holds could not be read: kept as is
    HOLDS_UNREADABLE = "holds_unreadable"
    #: the performance's event cannot be planned (no usable seat table): kept as is
    NOT_PLANNED = "not_planned"
    #: seats.io has no such event: nothing is changed
    EVENT_NOT_FOUND = "event_not_found"


#: Rules under which the plan makes the object unbuyable on its event (or keeps it held).
WANTED = frozenset(
    {
        Rule.HELD,
        Rule.SEASON_CHANNEL,
        Rule.SEASON_DIFFERS,
        Rule.SEASON_FALLBACK,
        Rule.FALLBACK,
        Rule.PARTNER_CHANNEL,
    }
)
#: Rules under which the plan keeps the object exactly as it is (fail closed).
KEPT = frozenset(
    {
        Rule.UNKNOWN_CODE,
        Rule.UNDECIDED,
        Rule.UNKNOWN_SEAT,
        Rule.CONFLICT,
        Rule.CHANNEL_CONFLICT,
        Rule.RELEASE_REFUSED,
        Rule.RELEASE_WAITS,
    }
)


@dataclass(frozen=True, slots=True)
class Reason:
    """Why one object is as the plan leaves it: ``rule``, and ``layer``, the Tessitura hold layer
    that decides the seat on its event (the top layer of the mapped code with the lowest
    precedence; None when no mapped code holds it there)."""

    rule: Rule
    layer: SeatHold | None = None

    @property
    def code(self) -> int | None:
        """The winning layer's hold code."""
        return self.layer.hold_code_id if self.layer is not None else None
