"""One reconcile pass: the library call behind `seatbridge plan`, `seatbridge reconcile` and the daemon.

Performances are grouped into *units*: a performance alone, or every performance of a seats.io
season together (a season channel depends on all of them). Each unit is read, planned and applied
on its own, so one bad performance never stops the others: its error is recorded and the rest go on.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property

import structlog

from bridge.config import BridgeConfig
from bridge.domain import HoldSnapshot, SeatHold
from bridge.errors import BridgeError, ConfigError
from bridge.mapping.model import MappingTables
from bridge.reconcile.apply import ApplyOutcome, apply_plan
from bridge.reconcile.desired import desired_state
from bridge.reconcile.findings import Finding, FindingKind, Severity, sorted_findings
from bridge.reconcile.observe import observe
from bridge.reconcile.plan import Plan, plan
from bridge.reconcile.policy import Policy
from bridge.seatsio.client import SeatsioClient
from bridge.store.base import OpState, PerformanceStatus, StateStore, SyncOutcome
from bridge.tessitura.client import TessituraClient

log = structlog.get_logger("seatbridge.reconcile")

LEASE_TTL_S = 300.0


def instance_id() -> str:
    """Who holds a lease: host and process, stable for the life of the process."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class UnitError:
    """An error of one unit; ``performance_id`` is None when it concerns the whole unit."""

    message: str
    performance_id: int | None = None

    def __str__(self) -> str:
        return self.message


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
    def errors(self) -> list[str]:
        """Unit errors, failed or unknown operations, and ERROR-severity findings (an event that
        does not exist, a seat map without a table ...), each as one line."""
        out = [str(e) for u in self.units for e in u.errors]
        out += [
            f"{f.kind.value}: {f.event_key or f'performance {f.performance_id}'}: {f.detail}"
            for f in self.plan.findings
            if f.severity is Severity.ERROR and f.kind is not FindingKind.MASS_RELEASE_REFUSED
        ]
        out += [
            f"{r.op.kind.value} on {', '.join(r.op.event_keys)}: {r.error}"
            for u in self.units
            if u.outcome
            for r in u.outcome.errors
        ]
        return out

    @property
    def conflicts(self) -> list[Finding]:
        return [f for f in self.plan.findings if f.severity is Severity.CONFLICT]

    @property
    def refused(self) -> list[Finding]:
        return [f for f in self.plan.findings if f.kind is FindingKind.MASS_RELEASE_REFUSED]


class SeatMapCache:
    """Performance id -> Tessitura seat map id: read once, so a sync costs one hold list."""

    def __init__(self) -> None:
        self._seat_maps: dict[int, int] = {}

    async def snapshot(self, tessitura: TessituraClient, performance_id: int) -> HoldSnapshot:
        seat_map = self._seat_maps.get(performance_id)
        if seat_map is None:
            return await self._first(tessitura, performance_id)
        holds = await tessitura.seat_holds(performance_id, include_all_holds=True)
        return HoldSnapshot(
            performance_id,
            seat_map,
            tuple(SeatHold(h.seat_id, h.hold_code_id, h.priority, h.end_date) for h in holds),
            datetime.now(UTC),
        )

    async def _first(self, tessitura: TessituraClient, performance_id: int) -> HoldSnapshot:
        snap = await tessitura.hold_snapshot(performance_id, include_all_holds=True)
        self._seat_maps[performance_id] = snap.seat_map_id
        return snap


def units_of(performance_ids: Iterable[int], tables: MappingTables) -> list[tuple[int, ...]]:
    """Group performances: a season's performances travel together (all of them, even those not
    asked for), every other performance alone. Sorted, so runs are reproducible."""
    seasons: dict[str, set[int]] = {}
    for target in tables.performances.values():
        if target.season_key:
            seasons.setdefault(target.season_key, set()).add(target.performance_id)
    units: set[tuple[int, ...]] = set()
    for pid in performance_ids:
        hit = tables.target_for(pid)
        if hit is not None and hit.season_key:
            units.add(tuple(sorted(seasons[hit.season_key])))
        else:
            units.add((pid,))
    return sorted(units)


async def discover(
    cfg: BridgeConfig, tessitura: TessituraClient, *, today: date | None = None
) -> list[int]:
    """Every performance the bridge should look after: those in the performance table, plus those
    Tessitura lists for the configured facilities or seasons within the horizon."""
    ids = set(cfg.tables.performances)
    d = cfg.discovery
    if d.facility_ids or d.season_ids:
        start = today or datetime.now(UTC).date()
        found = await tessitura.search_performances(
            start=start,
            end=start + timedelta(days=d.horizon_days),
            facility_ids=d.facility_ids,
            season_ids=d.season_ids,
        )
        ids |= {p.performance_id for p in found}
    return sorted(ids)


async def reconcile(
    cfg: BridgeConfig,
    tessitura: TessituraClient,
    seatsio: SeatsioClient,
    store: StateStore,
    performance_ids: Sequence[int],
    *,
    apply: bool,
    force: bool = False,
    concurrency: int = 4,
    seat_maps: SeatMapCache | None = None,
    on_unit_done: Callable[[UnitResult, int], None] | None = None,
) -> RunReport:
    """Plan (and, with ``apply``, apply) every unit the performances fall into.

    ``on_unit_done(result, units_total)`` is called as each unit finishes (a progress bar)."""
    policy = cfg.policy(force=force)
    cache = seat_maps or SeatMapCache()
    gate = asyncio.Semaphore(concurrency)
    holder = instance_id()

    units = units_of(performance_ids, cfg.tables)

    async def one(unit: tuple[int, ...]) -> UnitResult:
        async with gate:
            result = await reconcile_unit(
                cfg, tessitura, seatsio, store, unit, policy, cache, apply=apply, holder=holder
            )
        if on_unit_done is not None:
            on_unit_done(result, len(units))
        return result

    return RunReport(units=tuple(await asyncio.gather(*(one(u) for u in units))))


async def reconcile_unit(
    cfg: BridgeConfig,
    tessitura: TessituraClient,
    seatsio: SeatsioClient,
    store: StateStore,
    unit: tuple[int, ...],
    policy: Policy,
    cache: SeatMapCache,
    *,
    apply: bool,
    holder: str,
) -> UnitResult:
    """Read, plan, maybe apply one unit; errors are recorded, never raised (ConfigError aside)."""
    result = UnitResult(unit, Plan(operations=(), findings=()))
    leased: list[int] = []
    try:
        if apply:
            for pid in unit:
                if not store.acquire_lease(pid, holder, LEASE_TTL_S):
                    result.errors.append(
                        UnitError(
                            f"performance {pid} is being reconciled by {store.lease_holder(pid)}",
                            pid,
                        )
                    )
                    result.leased_elsewhere = True
                    return result
                leased.append(pid)
                _settle_crashed_ops(store, pid)
        snapshots = await _snapshots(tessitura, cache, unit, result)
        desired = desired_state(snapshots, cfg.tables, policy)
        keys = sorted(desired.events)
        ledger = store.ledger(keys)
        observed = await observe(
            seatsio,
            desired,
            ledger,
            [c.key for c in cfg.tables.channels],
            bridge_statuses=policy.bridge_statuses,
            for_sale_calls_left=lambda key: store.for_sale_calls_left(key),
        )
        result.plan = plan(desired, observed, ledger, policy, cfg.tables.channels)
        if apply and result.plan.operations:
            result.outcome = await apply_plan(result.plan, seatsio, store, performance_ids=unit)
    except ConfigError:
        raise
    except BridgeError as exc:
        result.errors.append(UnitError(str(exc)))
        log.warning("unit failed", performances=unit, error=str(exc))
    except Exception as exc:  # one unit's bug or broken store must not sink the others
        result.errors.append(UnitError(f"unexpected {type(exc).__name__}: {exc}"))
        log.exception("unit crashed", performances=unit)
    finally:
        for pid in leased:
            store.release_lease(pid, holder)
    if apply and not result.leased_elsewhere:
        _record_status(cfg, store, result)
    return result


async def _snapshots(
    tessitura: TessituraClient, cache: SeatMapCache, unit: tuple[int, ...], result: UnitResult
) -> list[HoldSnapshot]:
    """Hold snapshots of the unit's performances; a failed one is an error, the rest go on
    (its event is then left out of the plan, and a season missing one is not planned)."""
    got = await asyncio.gather(
        *(cache.snapshot(tessitura, pid) for pid in unit), return_exceptions=True
    )
    snaps: list[HoldSnapshot] = []
    for pid, snap in zip(unit, got, strict=True):
        if isinstance(snap, ConfigError):
            raise snap
        if isinstance(snap, BaseException):
            if not isinstance(snap, BridgeError):
                raise snap
            result.errors.append(UnitError(f"performance {pid}: cannot read holds: {snap}", pid))
            continue
        snaps.append(snap)
    return snaps


def _settle_crashed_ops(store: StateStore, performance_id: int) -> None:
    """Operations a crashed run left 'started' have an unknown outcome; the plan re-observes."""
    for op in store.unfinished_ops(performance_id):
        store.op_finished(op.run_id, op.index, OpState.UNKNOWN, "left unfinished by a crash")


def _record_status(cfg: BridgeConfig, store: StateStore, result: UnitResult) -> None:
    now = datetime.now(UTC)
    for pid in result.performance_ids:
        target = cfg.tables.target_for(pid)
        keys = {target.event_key, target.season_key} if target else set()
        ops = [o for o in result.plan.api_operations if keys & set(o.event_keys)]
        findings = [
            f for f in result.plan.findings if f.performance_id == pid or f.event_key in keys
        ]
        conflicts = sum(1 for f in findings if f.severity is Severity.CONFLICT)
        op_errors = [
            r.error or ""
            for r in (result.outcome.errors if result.outcome else [])
            if keys & set(r.op.event_keys)
        ]
        errors = [e.message for e in result.errors if e.performance_id in (pid, None)]
        errors += op_errors
        errors += [
            f"{f.kind.value}: {f.detail}"
            for f in findings
            if f.severity is Severity.ERROR and f.kind is not FindingKind.MASS_RELEASE_REFUSED
        ]
        refused = any(f.kind is FindingKind.MASS_RELEASE_REFUSED for f in findings)
        pending = len(ops) if result.outcome is None else len(op_errors)
        outcome = (
            SyncOutcome.ERROR
            if errors
            else SyncOutcome.REFUSED
            if refused
            else SyncOutcome.CONFLICTS
            if conflicts
            else SyncOutcome.CONVERGED
        )
        store.set_performance_status(
            PerformanceStatus(
                performance_id=pid,
                last_sync=now,
                outcome=outcome,
                event_key=target.event_key if target else None,
                drift=pending,
                conflicts=conflicts,
                errors=len(errors),
                last_error=errors[-1] if errors else None,
            )
        )
