"""What applying a plan did to each of its operations: the shell's apply writes these, the
outcome and the verification read them."""

from __future__ import annotations

from dataclasses import dataclass, field

from bridge.core.findings import Finding
from bridge.core.plan_model import Operation

__all__ = ["ApplyOutcome", "OpResult"]


@dataclass(frozen=True, slots=True)
class OpResult:
    """What became of one operation: done, failed (definitely not applied), unknown, skipped."""

    op: Operation
    state: str
    error: str | None = None
    #: what seats.io raised, so the run can tell a refusal to wait out from one to fix
    exc: BaseException | None = field(default=None, compare=False, repr=False)
    #: how the call went out when that matters, e.g. split into several requests for size
    note: str | None = None


@dataclass(slots=True)
class ApplyOutcome:
    """Every operation's fate, in plan order, and the run id in the journal."""

    run_id: int | None = None
    results: list[OpResult] = field(default_factory=list)
    #: what the writes found on the way (a layer that raced a Tessitura lift, say)
    findings: list[Finding] = field(default_factory=list)

    def count(self, state: str) -> int:
        return sum(1 for r in self.results if r.state == state)

    @property
    def errors(self) -> list[OpResult]:
        return [r for r in self.results if r.state in ("failed", "unknown")]

    @property
    def notes(self) -> list[str]:
        """One line per operation whose call carries a note (a split), in plan order."""
        return [
            f"{r.op.kind.value} on {', '.join(r.op.event_keys)}: {r.note}"
            for r in self.results
            if r.note
        ]
