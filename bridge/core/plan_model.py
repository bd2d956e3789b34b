"""The plan as data: the operation kinds in the order a plan runs them, one :class:`Operation`,
a :class:`Plan` and their JSON (the shape is documented in ``docs/plan-format.md``), and what an
operation means for the ones after it (:func:`lifting`, :func:`is_follow_up`).

The planner that builds plans is :mod:`bridge.core.plan`; how a plan moves the ledger is
:mod:`bridge.core.ledger_rules`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bridge.core.findings import Finding
from bridge.core.reasons import Reason
from bridge.domain import Ownership
from bridge.mapping.model import ChannelSpec

PLAN_FORMAT_VERSION = 1


class OpKind(StrEnum):
    """Operation kinds, declared in the order a plan runs them (holds added before lifted).

    Channel updates run before creations: a retiring channel gives up its name (unique per event
    at seats.io) before the channel that takes it over is made."""

    LEDGER_FORGET = "ledger_forget"
    UPDATE_CHANNEL = "update_channel"
    CREATE_CHANNEL = "create_channel"
    ADD_TO_CHANNEL = "add_to_channel"
    CHANGE_STATUS = "change_status"
    MARK_NOT_FOR_SALE = "mark_not_for_sale"
    REPLACE_CHANNELS = "replace_channels"
    REMOVE_FROM_CHANNEL = "remove_from_channel"
    RELEASE_STATUS = "release_status"
    MARK_FOR_SALE = "mark_for_sale"
    #: the Tessitura side (``[writeback]``), after every seats.io step: a seat seats.io shows
    #: sold online gets the bridge's hold code in Tessitura, and loses it once it is free again
    HOLD_IN_TESSITURA = "hold_in_tessitura"
    LIFT_IN_TESSITURA = "lift_in_tessitura"
    LEDGER_CLAIM = "ledger_claim"

    @property
    def is_api(self) -> bool:
        """True when applying it calls seats.io; ledger kinds only touch the bridge's memory."""
        return self not in (OpKind.LEDGER_FORGET, OpKind.LEDGER_CLAIM)

    @property
    def is_tessitura(self) -> bool:
        """True for the write-back kinds, which call Tessitura, never seats.io."""
        return self in (OpKind.HOLD_IN_TESSITURA, OpKind.LIFT_IN_TESSITURA)

    @property
    def phase(self) -> int:
        return _PHASE[self]


_PHASE: Mapping[OpKind, int] = {kind: i for i, kind in enumerate(OpKind)}
_LIFTS = frozenset(
    {
        OpKind.REMOVE_FROM_CHANNEL,
        OpKind.RELEASE_STATUS,
        OpKind.MARK_FOR_SALE,
        OpKind.LIFT_IN_TESSITURA,
    }
)


@dataclass(frozen=True, slots=True)
class Operation:
    """One step of a plan; one seats.io call for API kinds (``event_keys`` > 1: one multi-event call).

    ``target`` is the channel key (channel kinds), the custom status (status kinds, LEDGER_*), or "".
    ``allowed_previous`` guards CHANGE_STATUS / RELEASE_STATUS. ``channel`` is the configured spec
    for CREATE_CHANNEL / UPDATE_CHANNEL. ``channels`` is REPLACE_CHANNELS' complete channel list,
    whose ``labels`` are the objects it moves. ``ownership`` says what LEDGER_* claim or forget.
    """

    kind: OpKind
    event_keys: tuple[str, ...]
    labels: tuple[str, ...] = ()
    target: str = ""
    allowed_previous: tuple[str, ...] = ()
    channel: ChannelSpec | None = None
    channels: tuple[tuple[ChannelSpec, tuple[str, ...]], ...] = ()
    ownership: Ownership | None = None
    performance_id: int | None = None
    seat_ids: tuple[int, ...] = ()

    @property
    def is_api(self) -> bool:
        return self.kind.is_api

    def sort_key(self) -> tuple[Any, ...]:
        return (
            self.kind.phase,
            self.event_keys,
            self.target,
            self.allowed_previous,
            self.ownership.value if self.ownership else "",
            self.labels,
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind.value,
            "event_keys": list(self.event_keys),
            "labels": list(self.labels),
            "target": self.target,
            "allowed_previous": list(self.allowed_previous),
            "ownership": self.ownership.value if self.ownership else None,
            "channel": _spec_json(self.channel) if self.channel else None,
            "channels": [
                {"channel": _spec_json(spec), "labels": list(labels)}
                for spec, labels in self.channels
            ],
        }
        if self.kind.is_tessitura:
            out["performance_id"] = self.performance_id
            out["seat_ids"] = list(self.seat_ids)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Operation:
        channel = data.get("channel")
        ownership = data.get("ownership")
        return cls(
            kind=OpKind(data["kind"]),
            event_keys=tuple(data["event_keys"]),
            labels=tuple(data.get("labels", ())),
            target=data.get("target", ""),
            allowed_previous=tuple(data.get("allowed_previous", ())),
            channel=_spec_from_json(channel) if channel else None,
            channels=tuple(
                (_spec_from_json(c["channel"]), tuple(c["labels"]))
                for c in data.get("channels", ())
            ),
            ownership=Ownership(ownership) if ownership else None,
            performance_id=data.get("performance_id"),
            seat_ids=tuple(int(s) for s in data.get("seat_ids", ())),
        )


def _spec_json(spec: ChannelSpec) -> dict[str, Any]:
    return {"key": spec.key, "name": spec.name, "color": spec.color, "index": spec.index}


def _spec_from_json(data: Mapping[str, Any]) -> ChannelSpec:
    return ChannelSpec(
        key=data["key"], name=data["name"], color=data["color"], index=int(data["index"])
    )


@dataclass(frozen=True, slots=True)
class Plan:
    """Operations in the order they must run, and what the planner could not or would not do.

    ``reasons``: (event or season key, label) -> why the planner decided what it did about that
    object where it decided more than the desired state says: a conflict, no such object on the
    chart, a sale or a hold that is not the bridge's left alone, a release, a release refused or
    postponed. Every other object's reason is its desired state's;
    :func:`bridge.core.plan.reason_of` gives the one that stands. Not part of the saved format.
    """

    operations: tuple[Operation, ...] = ()
    findings: tuple[Finding, ...] = ()
    #: Objects applying it makes buyable, counted on every event (not part of the saved format).
    released: int = field(default=0, compare=False)
    reasons: Mapping[tuple[str, str], Reason] = field(default_factory=dict, compare=False)

    @property
    def api_operations(self) -> tuple[Operation, ...]:
        return tuple(op for op in self.operations if op.is_api)

    @property
    def is_empty(self) -> bool:
        """True when applying the plan would call seats.io zero times (ledger upkeep aside)."""
        return not any(op.is_api for op in self.operations)

    def counts(self) -> dict[str, int]:
        """Number of operations per kind."""
        out: dict[str, int] = defaultdict(int)
        for op in self.operations:
            out[op.kind.value] += 1
        return dict(sorted(out.items()))

    def summary(self) -> dict[str, dict[str, int]]:
        """Objects touched per event key and operation kind (a multi-event op counts per event)."""
        out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for op in self.operations:
            for key in op.event_keys:
                out[key][op.kind.value] += len(op.labels)
        return {k: dict(sorted(v.items())) for k, v in sorted(out.items())}

    def finding_counts(self) -> dict[str, int]:
        """Number of findings per kind."""
        out: dict[str, int] = defaultdict(int)
        for finding in self.findings:
            out[finding.kind.value] += 1
        return dict(sorted(out.items()))

    def to_json(self) -> dict[str, Any]:
        """The documented, stable shape (docs/plan-format.md); ``summary`` is derived, for readers."""
        return {
            "version": PLAN_FORMAT_VERSION,
            "operations": [op.to_json() for op in self.operations],
            "findings": [f.to_json() for f in self.findings],
            "summary": {
                "api_operations": len(self.api_operations),
                "ledger_operations": len(self.operations) - len(self.api_operations),
                "operations": self.counts(),
                "by_event": self.summary(),
                "findings": self.finding_counts(),
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Plan:
        """Read a saved plan; refuses versions this code does not know."""
        version = data.get("version")
        if version != PLAN_FORMAT_VERSION:
            raise ValueError(f"unsupported plan format version {version!r}")
        return cls(
            operations=tuple(Operation.from_json(o) for o in data.get("operations", ())),
            findings=tuple(Finding.from_json(f) for f in data.get("findings", ())),
        )


def lifting(op: Operation) -> bool:
    """True for operations that take a hold away (what the mass-release guard counts)."""
    return op.kind in _LIFTS


def is_follow_up(op: Operation) -> bool:
    """True when ``op`` assumes every earlier operation on its events succeeded.

    After a refused or unknown call on an event, skip these on that event: lifts (never lift a
    hold whose replacement did not happen), a REPLACE_CHANNELS that takes objects out of channels,
    and ledger claims (one may replace the entry of a hold that is still in place).
    """
    if op.kind in _LIFTS or op.kind is OpKind.LEDGER_CLAIM:
        return True
    if op.kind is OpKind.REPLACE_CHANNELS:
        kept = {label for _, labels in op.channels for label in labels}
        return any(label not in kept for label in op.labels)
    return False
