"""Which operations of a plan still run, given what became of the earlier ones: one pure state
machine, shared by the apply step (:func:`bridge.reconcile.apply.apply_plan`) and its model
(:func:`bridge.core.simulate.simulate`).

Asked about each operation in plan order (:meth:`ApplyRules.decide`), and told what became of
the ones that ran (:meth:`ApplyRules.record`), it keeps two rules:

- skip after refusal: once an operation was refused, the follow-ups
  (:func:`~bridge.core.plan_model.is_follow_up`) that touch any of its objects (by label,
  on any key of the plan) are skipped: a hold is never lifted when the step that was to replace
  it did not happen. A skipped follow-up counts as refused for its own objects too;
- stop after unknown: once an operation's outcome is unknown, every later call to the same vendor
  (seats.io calls and ledger claims, or Tessitura write-backs) is skipped; the next run re-observes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from bridge.core.plan_model import Operation, OpKind, is_follow_up

#: Why a follow-up of a refused operation is skipped.
REFUSED_EARLIER = "an earlier operation on these objects was refused; not lifting their holds"


class Outcome(StrEnum):
    """What became of an operation that ran."""

    DONE = "done"
    REFUSED = "refused"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Decision:
    """Run the operation (``skip`` is None), or skip it for the reason ``skip`` gives."""

    skip: str | None = None

    @property
    def run(self) -> bool:
        return self.skip is None


_RUN = Decision()


class ApplyRules:
    """The state of one plan's run: the labels refused operations touched, and whether an
    outcome is unknown (with the reason later operations are skipped for)."""

    __slots__ = ("_refused", "_unknown")

    def __init__(self) -> None:
        self._refused: set[str] = set()
        #: per vendor ("seatsio", "tessitura"): why its later calls are skipped
        self._unknown: dict[str, str] = {}

    def decide(self, op: Operation) -> Decision:
        """Whether ``op``, the next operation in plan order, runs."""
        unknown = self._unknown.get(_vendor(op))
        if unknown and (op.is_api or op.kind is OpKind.LEDGER_CLAIM):
            return Decision(unknown)
        if is_follow_up(op) and self._refused.intersection(_objects(op)):
            # what this op would have done did not happen either: a move that is skipped leaves
            # its objects where they were, so their later lifts must wait too (a REPLACE_CHANNELS
            # that would have put one object into a channel is skipped with the one it takes out)
            self._refused.update(_objects(op))
            return Decision(REFUSED_EARLIER)
        return _RUN

    def record(self, ops: Iterable[Operation], outcome: Outcome) -> None:
        """What became of ``ops``, operations that ran together (one call, or one step)."""
        ops = tuple(ops)
        if outcome is Outcome.REFUSED:
            for op in ops:
                self._refused.update(_objects(op))
        elif outcome is Outcome.UNKNOWN:
            kinds = ",".join(sorted({op.kind.value for op in ops}))
            for vendor in {_vendor(op) for op in ops}:
                self._unknown[vendor] = f"an earlier operation ({kinds}) has an unknown outcome"


def _objects(op: Operation) -> list[str]:
    """What a refusal of ``op`` holds back: its labels on seats.io, matched across the unit;
    on Tessitura, its seats of its own performance (performances of one show share labels)."""
    if op.kind.is_tessitura:
        return [f"tessitura:{op.performance_id}:{label}" for label in op.labels]
    return list(op.labels)


def _vendor(op: Operation) -> str:
    """Whose calls an unknown outcome stops: a Tessitura write-back in doubt never stops the
    seats.io side (box-office holds still go out), and the reverse."""
    return "tessitura" if op.kind.is_tessitura else "seatsio"
