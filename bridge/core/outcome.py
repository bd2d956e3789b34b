"""What one reconcile pass returns: per unit, its plan, what applying it did, its errors by kind,
how it ended (:class:`Ending`) and when the unit wants to run again (controller-runtime's
``Result{RequeueAfter}``).

How a unit ended is decided here and nowhere else (:func:`ending_of`): the CLI's exit code, the
performance status that ``status``, the page and ``/status.json`` show, and the daemon's
``seatbridge_reconciles_total`` all read that one value. The daemon schedules from
:attr:`UnitResult.requeue` alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from bridge.core.applied import ApplyOutcome
from bridge.core.findings import Finding, FindingKind, Severity, sorted_findings
from bridge.core.plan_model import Plan
from bridge.errors import (
    BridgeError,
    ConfigError,
    ConflictError,
    ForSaleLimitError,
    OutcomeUnknownError,
    RateLimitedError,
    TerminalError,
)

__all__ = [
    "HELD_BACK",
    "Ending",
    "ErrorKind",
    "Requeue",
    "RunReport",
    "UnitError",
    "UnitResult",
    "ending_of",
    "error_findings",
    "kind_of",
    "worst",
]


class Ending(StrEnum):
    """How a unit, a performance or a pass ended, best first (:func:`worst` picks the last).

    ERROR covers every failure: a unit error, a failed or unknown operation and any
    ERROR-severity finding (an unmapped seat, the daily for-sale limit spent, a season release
    that waits): a run with one is never converged. PENDING is a dry run's: changes to make.
    """

    CONVERGED = "converged"
    #: another instance holds the unit's lease: nothing was read or recorded here
    LEASED_ELSEWHERE = "leased_elsewhere"
    #: converged except for holds on seats sold online, reported and never overwritten
    CONFLICTS = "conflicts"
    #: a dry run with changes to make (an applied run that could not make them is an ERROR)
    PENDING = "pending"
    #: the mass-release guard refused the plan (``--force`` allows it)
    REFUSED = "refused"
    #: the run was cancelled at its time limit (the daemon's ``run_timeout_s``)
    TIMEOUT = "timeout"
    ERROR = "error"

    @property
    def failed(self) -> bool:
        """Whether something the bridge had to do did not happen (exit 1, the error alert)."""
        return self in (Ending.ERROR, Ending.TIMEOUT, Ending.REFUSED, Ending.LEASED_ELSEWHERE)


def worst(endings: Iterable[Ending]) -> Ending:
    """The worst of several endings (a pass's, from its units'); CONVERGED when there are none."""
    order = list(Ending)
    return max(endings, key=order.index, default=Ending.CONVERGED)


def ending_of(
    *,
    errors: int,
    refused: bool,
    conflicts: int,
    pending: int = 0,
    leased_elsewhere: bool = False,
) -> Ending:
    """How something ended, from its counts: ``errors`` counts unit errors, failed or unknown
    operations and ERROR findings other than a refused mass release (that is ``refused``);
    ``pending`` counts the changes a dry run did not make."""
    if leased_elsewhere:
        return Ending.LEASED_ELSEWHERE
    if errors:
        return Ending.ERROR
    if refused:
        return Ending.REFUSED
    if pending:
        return Ending.PENDING
    if conflicts:
        return Ending.CONFLICTS
    return Ending.CONVERGED


def error_findings(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that make a run an error: every ERROR finding but a refused mass release,
    which is :attr:`Ending.REFUSED` of its own."""
    return [
        f
        for f in findings
        if f.severity is Severity.ERROR and f.kind is not FindingKind.MASS_RELEASE_REFUSED
    ]


class ErrorKind(StrEnum):
    """How a failure bears on the next run, worst last (see :meth:`Requeue.of`)."""

    #: a passing fault (timeout, 5xx, 429, a lost lease, a bug): back off and try again
    RETRYABLE = "retryable"
    #: a write may have happened: the next run re-reads before it decides, soon
    OUTCOME_UNKNOWN = "outcome_unknown"
    #: the request or the mapping is wrong: repeating will not help until the config changes
    TERMINAL = "terminal"


def kind_of(exc: BaseException) -> ErrorKind:
    """The kind of an error a unit met. A conflict means the world moved: re-read soon (retryable).
    A vendor answer we could not parse may be a passing fault, so it is retried too."""
    if isinstance(exc, OutcomeUnknownError):
        return ErrorKind.OUTCOME_UNKNOWN
    if isinstance(exc, ConfigError | TerminalError) and not isinstance(exc, ConflictError):
        return ErrorKind.TERMINAL
    return ErrorKind.RETRYABLE


def retry_after_of(exc: BaseException) -> float | None:
    """The server's Retry-After, when it sent one with a 429 the unit must wait out.

    Not the daily for-sale limit's: its Retry-After runs to the next reset, hours away, and the
    store already keeps that budget, so the next plan leaves the spent call out. Waiting it out
    would hold back every other change of the unit too, holds placed meanwhile among them (the
    chaos soak found a hold left buyable for the rest of the day that way)."""
    if isinstance(exc, ForSaleLimitError):
        return None
    return exc.retry_after if isinstance(exc, RateLimitedError) else None


@dataclass(frozen=True, slots=True)
class UnitError:
    """An error of one unit; ``performance_id`` is None when it concerns the whole unit."""

    message: str
    performance_id: int | None = None
    kind: ErrorKind = ErrorKind.RETRYABLE
    #: seconds the vendor asked us to wait (a 429's Retry-After)
    retry_after_s: float | None = None

    @classmethod
    def of(
        cls, exc: BaseException, performance_id: int | None = None, *, prefix: str = ""
    ) -> UnitError:
        message = (
            str(exc) if isinstance(exc, BridgeError) else f"unexpected {type(exc).__name__}: {exc}"
        )
        return cls(prefix + message, performance_id, kind_of(exc), retry_after_of(exc))

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class Requeue:
    """When a unit wants to run again.

    ``kind`` None: all went through, come back on the unit's cadence. Otherwise the worst kind
    among its errors: RETRYABLE backs off (at least ``after_s`` when the vendor said so),
    OUTCOME_UNKNOWN comes back soon to re-read, TERMINAL waits for a config change.
    """

    kind: ErrorKind | None = None
    after_s: float | None = None
    reason: str = ""

    @classmethod
    def of(cls, errors: list[UnitError]) -> Requeue:
        if not errors:
            return cls()
        order = list(ErrorKind)
        worst = max(errors, key=lambda e: order.index(e.kind))
        waits = [e.retry_after_s for e in errors if e.retry_after_s is not None]
        return cls(worst.kind, max(waits) if waits else None, worst.message)


#: Findings that stand for changes the planner wanted but held back this run.
HELD_BACK = frozenset(
    {
        FindingKind.FOR_SALE_BUDGET_EXHAUSTED,
        FindingKind.MASS_RELEASE_REFUSED,
        FindingKind.SEASON_RELEASE_WAITS,
    }
)


@dataclass(slots=True)
class UnitResult:
    """The plan of one unit, and what applying it did (None in a dry run or when refused).

    ``leased_elsewhere``: another instance holds the unit, so nothing was read or recorded.
    """

    performance_ids: tuple[int, ...]
    plan: Plan
    outcome: ApplyOutcome | None = None
    errors: list[UnitError] = field(default_factory=list)
    leased_elsewhere: bool = False

    @property
    def all_errors(self) -> list[UnitError]:
        """The unit's own errors and its failed or unknown operations, each with its kind."""
        out = list(self.errors)
        for r in self.outcome.errors if self.outcome else []:
            text = f"{r.op.kind.value} on {', '.join(r.op.event_keys)}: {r.error}"
            if r.state == "unknown":
                out.append(UnitError(text, kind=ErrorKind.OUTCOME_UNKNOWN))
            elif r.exc is not None:
                out.append(
                    UnitError(text, kind=kind_of(r.exc), retry_after_s=retry_after_of(r.exc))
                )
            else:
                out.append(UnitError(text))
        return out

    @property
    def ending(self) -> Ending:
        """How this unit ended (see :class:`Ending`): ``outcome`` None with API operations in
        the plan is a dry run's pending work."""
        findings = self.plan.findings
        return ending_of(
            errors=len(self.all_errors) + len(error_findings(findings)),
            refused=any(f.kind is FindingKind.MASS_RELEASE_REFUSED for f in findings),
            conflicts=sum(1 for f in findings if f.severity is Severity.CONFLICT),
            pending=len(self.plan.api_operations) if self.outcome is None else 0,
            leased_elsewhere=self.leased_elsewhere,
        )

    @property
    def requeue(self) -> Requeue:
        """When this unit wants to run again (see :class:`Requeue`). A unit leased by another
        instance is not an error: it comes back on its cadence."""
        if self.leased_elsewhere:
            return Requeue()
        return Requeue.of(self.all_errors)


@dataclass(frozen=True)
class RunReport:
    """Everything one pass planned and did, per unit (built once, when the pass is over)."""

    units: tuple[UnitResult, ...] = ()

    @cached_property
    def plan(self) -> Plan:
        """All units' plans as one (their event keys never overlap)."""
        return Plan(
            operations=tuple(op for u in self.units for op in u.plan.operations),
            findings=sorted_findings([f for u in self.units for f in u.plan.findings]),
        )

    @property
    def ending(self) -> Ending:
        """How the pass ended: the worst of its units' endings."""
        return worst(u.ending for u in self.units)

    @property
    def failed(self) -> bool:
        """Whether any unit fell short (see :attr:`Ending.failed`): a unit another process
        holds counts, since this pass did not do what it was asked for there."""
        return any(u.ending.failed for u in self.units)

    @property
    def errors(self) -> list[str]:
        """Unit errors, failed or unknown operations, and ERROR-severity findings (an event that
        does not exist, a seat map without a table ...), each as one line."""
        out = [str(e) for u in self.units for e in u.errors]
        out += [
            f"{f.kind.value}: {f.event_key or f'performance {f.performance_id}'}: {f.detail}"
            for f in error_findings(self.plan.findings)
        ]
        out += [
            f"{r.op.kind.value} on {', '.join(r.op.event_keys)}: {r.error}"
            for u in self.units
            if u.outcome
            for r in u.outcome.errors
        ]
        return out

    @property
    def notes(self) -> list[str]:
        """How calls went out where it matters, e.g. a status change split for size (no longer
        all or nothing across its requests), each as one line."""
        return [n for u in self.units if u.outcome for n in u.outcome.notes]

    @property
    def conflicts(self) -> list[Finding]:
        return [f for f in self.plan.findings if f.severity is Severity.CONFLICT]

    @property
    def refused(self) -> list[Finding]:
        return [f for f in self.plan.findings if f.kind is FindingKind.MASS_RELEASE_REFUSED]
