"""How the ledger moves with a plan: part of the plan's meaning, shared by the apply step
(:mod:`bridge.reconcile.apply`) and the model of it (:func:`bridge.core.simulate.simulate`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bridge.core.plan_model import Operation, OpKind
from bridge.domain import LedgerEntry, Ownership


@dataclass(frozen=True, slots=True)
class LedgerWrites:
    """How one operation moves the ledger.

    ``claim_before``: upsert before the seats.io call (write-ahead; only ever into an empty slot,
    so a crash never loses track of what the bridge held before). ``claim_after``: upsert once the
    call succeeded. ``forget_after``: once the call succeeded, drop each (event_key, label) whose
    entry still has that ownership and target (never a newer claim).
    """

    claim_before: tuple[LedgerEntry, ...] = ()
    claim_after: tuple[LedgerEntry, ...] = ()
    forget_after: tuple[LedgerEntry, ...] = ()


def same_claim(a: LedgerEntry, b: LedgerEntry) -> bool:
    """Same object, same way, same target (timestamps and performance ids aside)."""
    return (a.event_key, a.label, a.ownership, a.target) == (
        b.event_key,
        b.label,
        b.ownership,
        b.target,
    )


_ADD_OWNERSHIP: Mapping[OpKind, Ownership] = {
    OpKind.CREATE_CHANNEL: Ownership.CHANNEL,
    OpKind.ADD_TO_CHANNEL: Ownership.CHANNEL,
    OpKind.CHANGE_STATUS: Ownership.STATUS,
    OpKind.MARK_NOT_FOR_SALE: Ownership.NOT_FOR_SALE,
}
_LIFT_OWNERSHIP: Mapping[OpKind, Ownership] = {
    OpKind.REMOVE_FROM_CHANNEL: Ownership.CHANNEL,
    OpKind.RELEASE_STATUS: Ownership.STATUS,
    OpKind.MARK_FOR_SALE: Ownership.NOT_FOR_SALE,
}


def ledger_writes(op: Operation, ledger: Mapping[tuple[str, str], LedgerEntry]) -> LedgerWrites:
    """The ledger changes that go with ``op``, given the ledger as it is just before it runs."""
    before: list[LedgerEntry] = []
    after: list[LedgerEntry] = []
    forget: list[LedgerEntry] = []
    if op.kind in _ADD_OWNERSHIP:
        ownership = _ADD_OWNERSHIP[op.kind]
        target = "" if ownership is Ownership.NOT_FOR_SALE else op.target
        for key in op.event_keys:
            for label in op.labels:
                if (key, label) not in ledger:
                    before.append(LedgerEntry(key, label, ownership, target))
    elif op.kind in _LIFT_OWNERSHIP:
        ownership = _LIFT_OWNERSHIP[op.kind]
        target = "" if ownership is Ownership.NOT_FOR_SALE else op.target
        for key in op.event_keys:
            for label in op.labels:
                forget.append(LedgerEntry(key, label, ownership, target))
    elif op.kind is OpKind.REPLACE_CHANNELS:
        where = {label: spec.key for spec, labels in op.channels for label in labels}
        for key in op.event_keys:
            for label in op.labels:
                if label in where and (key, label) not in ledger:
                    before.append(LedgerEntry(key, label, Ownership.CHANNEL, where[label]))
            for (entry_key, label), entry in ledger.items():
                if (
                    entry_key == key
                    and entry.ownership is Ownership.CHANNEL
                    and where.get(label) != entry.target
                ):
                    forget.append(entry)
    elif op.kind in (OpKind.LEDGER_CLAIM, OpKind.LEDGER_FORGET) and op.ownership is not None:
        entries = [
            LedgerEntry(key, label, op.ownership, op.target)
            for key in op.event_keys
            for label in op.labels
        ]
        (after if op.kind is OpKind.LEDGER_CLAIM else forget).extend(entries)
    return LedgerWrites(tuple(before), tuple(after), tuple(forget))
