"""Apply a plan to observed values instead of seats.io: the model the tests and the benchmark use.

It follows seats.io's documented behaviour closely enough to check the planner's rules: a status
call is all or nothing across its events and refused when an object's status is not among
``allowed_previous``; an object sits in at most one channel; channel names are unique per event; a restricting for-sale edit costs
one call of the day's budget. Ledger writes follow
:func:`bridge.core.ledger_rules.ledger_writes`, and which operations still run after a
refusal :class:`bridge.core.apply_rules.ApplyRules`, as in the apply step.
Each key is modelled on its own: a season's "least free" view of its events is the observe
step's business, not this model's.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace

from bridge.core.apply_rules import ApplyRules, Outcome
from bridge.core.ledger_rules import ledger_writes, same_claim
from bridge.core.observed import FREE, ObjectState, ObservedChannel, ObservedEvent
from bridge.core.plan_model import Operation, OpKind, Plan
from bridge.domain import LedgerEntry
from bridge.mapping.model import ChannelSpec

Ledger = dict[tuple[str, str], LedgerEntry]


@dataclass(slots=True)
class _Event:
    """Mutable working copy of one observed event."""

    base: ObservedEvent
    objects: dict[str, ObjectState]
    channels: dict[str, ObservedChannel]
    not_for_sale: set[str]
    calls_left: int | None

    @classmethod
    def of(cls, event: ObservedEvent) -> _Event:
        return cls(
            event,
            dict(event.objects),
            {c.key: c for c in event.channels},
            set(event.not_for_sale),
            event.for_sale_calls_left,
        )

    def freeze(self) -> ObservedEvent:
        channels = tuple(sorted(self.channels.values(), key=lambda c: (c.index, c.key)))
        return replace(
            self.base,
            channels=channels,
            not_for_sale=frozenset(self.not_for_sale),
            objects=dict(sorted(self.objects.items())),
            for_sale_calls_left=self.calls_left,
        )

    def put_in_channel(self, label: str, key: str | None) -> None:
        for ck, channel in list(self.channels.items()):
            if label in channel.objects and ck != key:
                self.channels[ck] = replace(channel, objects=channel.objects - {label})
        if key is not None:
            channel = self.channels[key]
            self.channels[key] = replace(channel, objects=channel.objects | {label})
        obj = self.objects.get(label)
        if obj is not None:
            self.objects[label] = replace(obj, channel=key)


class SimulationError(ValueError):
    """A strict simulation met an operation seats.io would refuse: the planner emitted a bad call."""


def simulate(
    plan: Plan,
    observed: Mapping[str, ObservedEvent],
    ledger: Mapping[tuple[str, str], LedgerEntry],
    *,
    crash_at: int | None = None,
    crash_after_call: bool = True,
    refuse: Collection[int] = (),
    strict: bool = False,
    on_step: Callable[[Operation, Mapping[str, ObservedEvent]], None] | None = None,
) -> tuple[dict[str, ObservedEvent], Ledger]:
    """Run ``plan`` against copies of ``observed`` and ``ledger`` and return both afterwards.

    ``crash_at`` models a crash during operation ``crash_at``: its write-ahead claims are stored,
    its call is made only if ``crash_after_call``, its after-call ledger writes are lost, and
    nothing after it runs. Operations whose index is in ``refuse`` are refused by seats.io; each
    is modelled as one request (no object limit here), so, like the apply step for an unsplit
    call, its write-ahead claims are withdrawn, and the run skips the follow-ups
    (:func:`~bridge.core.plan_model.is_follow_up`) that touch the same objects, on any key. ``strict`` raises
    :class:`SimulationError` when a call would be refused otherwise. ``on_step`` sees the
    observed state after each call.
    """
    events = {k: _Event.of(v) for k, v in observed.items()}
    led: Ledger = dict(ledger)
    rules = ApplyRules()
    for index, op in enumerate(plan.operations):
        if crash_at is not None and index > crash_at:
            break
        if not rules.decide(op).run:
            continue
        crashing = crash_at is not None and index == crash_at
        writes = ledger_writes(op, led)
        for entry in writes.claim_before:
            led[(entry.event_key, entry.label)] = entry
        if crashing and not crash_after_call:
            break
        ok = index not in refuse and _call(op, events)
        if not ok and strict and index not in refuse:
            raise SimulationError(f"seats.io would refuse operation {index}: {op}")
        if on_step is not None:
            on_step(op, {k: e.freeze() for k, e in events.items()})
        if not ok:  # one request, refused: it applied nowhere, so its claims are withdrawn
            _withdraw(led, writes.claim_before)
            rules.record((op,), Outcome.REFUSED)
            continue
        rules.record((op,), Outcome.DONE)
        if crashing:
            continue
        for entry in writes.claim_after:
            led[(entry.event_key, entry.label)] = entry
        _withdraw(led, writes.forget_after)
    return {k: e.freeze() for k, e in events.items()}, led


def _withdraw(led: Ledger, entries: tuple[LedgerEntry, ...]) -> None:
    """Drop the claims that still say what ``entries`` say (never a newer claim)."""
    for entry in entries:
        current = led.get((entry.event_key, entry.label))
        if current is not None and same_claim(current, entry):
            del led[(entry.event_key, entry.label)]


def _call(op: Operation, events: dict[str, _Event]) -> bool:
    """The seats.io side of one operation; False when seats.io would refuse it."""
    if not op.is_api:
        return True
    if any(k not in events for k in op.event_keys):
        return False
    targets = [events[k] for k in op.event_keys]
    if any(label not in e.objects for e in targets for label in op.labels):
        return False
    if op.kind in (OpKind.CHANGE_STATUS, OpKind.RELEASE_STATUS):
        if any(
            e.objects[lbl].status not in op.allowed_previous for e in targets for lbl in op.labels
        ):
            return False  # all or nothing, like seats.io's multi-event status call
        new = op.target if op.kind is OpKind.CHANGE_STATUS else FREE
        for e in targets:
            for lbl in op.labels:
                e.objects[lbl] = replace(e.objects[lbl], status=new)
        return True
    (event,) = targets
    if op.kind is OpKind.CREATE_CHANNEL:
        spec = op.channel
        if spec is None or spec.key in event.channels or _name_taken(event, spec):
            return False
        event.channels[spec.key] = ObservedChannel(spec.key, spec.name, spec.color, spec.index)
        for lbl in op.labels:
            event.put_in_channel(lbl, spec.key)
    elif op.kind is OpKind.UPDATE_CHANNEL:
        spec = op.channel
        if spec is None or spec.key not in event.channels or _name_taken(event, spec):
            return False
        event.channels[spec.key] = replace(
            event.channels[spec.key], name=spec.name, color=spec.color
        )
    elif op.kind is OpKind.ADD_TO_CHANNEL:
        if op.target not in event.channels:
            return False
        for lbl in op.labels:
            event.put_in_channel(lbl, op.target)
    elif op.kind is OpKind.REMOVE_FROM_CHANNEL:
        if op.target not in event.channels:
            return False
        for lbl in op.labels:
            if event.objects[lbl].channel == op.target:
                event.put_in_channel(lbl, None)
    elif op.kind is OpKind.REPLACE_CHANNELS:
        names = [spec.name for spec, _ in op.channels]
        if len(names) != len(set(names)):
            return False  # seats.io: "Channel name must be unique"
        _replace_channels(event, op.channels)
    elif op.kind is OpKind.MARK_NOT_FOR_SALE:
        if event.calls_left is not None:
            if event.calls_left <= 0:
                return False
            event.calls_left -= 1
        for lbl in op.labels:
            event.not_for_sale.add(lbl)
            event.objects[lbl] = replace(event.objects[lbl], for_sale=False)
    elif op.kind is OpKind.MARK_FOR_SALE:
        for lbl in op.labels:
            event.not_for_sale.discard(lbl)
            event.objects[lbl] = replace(event.objects[lbl], for_sale=True)
    return True


def _name_taken(event: _Event, spec: ChannelSpec) -> bool:
    """seats.io keeps channel names unique per event: another channel already has this name."""
    return any(c.name == spec.name for k, c in event.channels.items() if k != spec.key)


def _replace_channels(
    event: _Event, channels: tuple[tuple[ChannelSpec, tuple[str, ...]], ...]
) -> None:
    event.channels = {
        spec.key: ObservedChannel(spec.key, spec.name, spec.color, spec.index, frozenset(labels))
        for spec, labels in channels
    }
    where = {lbl: spec.key for spec, labels in channels for lbl in labels}
    for lbl, obj in list(event.objects.items()):
        if obj.channel != where.get(lbl):
            event.objects[lbl] = replace(obj, channel=where.get(lbl))
