"""One reconcile pass: the library call behind `seatbridge plan`, `seatbridge reconcile` and the daemon.

Performances are grouped into *units*: a performance alone, or every performance of a seats.io
season together (a season channel depends on all of them). Each unit is read, planned and applied
on its own, so one bad performance never stops the others: its error is recorded and the rest go on.
Units read and plan ``concurrency`` at a time and apply in waves of :data:`WAVE_UNITS`, whose status
and for-sale steps share seats.io calls (:mod:`bridge.reconcile.merge`); each unit still journals,
leases and records its own outcome.

A :class:`Reconciler` takes what a pass uses (tables, policy, clients, store), never the config
file: the shell (:mod:`bridge.runtime`) builds it, the CLI and the daemon call it. Each unit's
result says when it wants to run again (:attr:`~bridge.core.outcome.UnitResult.requeue`).

A unit's read path, everything up to the plan, is one method, :meth:`Reconciler.read_unit`: a
reconcile runs it under its leases and then applies; `seatbridge explain` runs it alone (no
lease, no write) and reads its answers off the :class:`UnitReading`.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import structlog

from bridge.clock import SYSTEM, Clock
from bridge.core.applied import ApplyOutcome, OpResult
from bridge.core.desired import DesiredState, desired_state
from bridge.core.findings import Finding, FindingKind, Severity, sorted_findings
from bridge.core.guards import Breaker, ReleaseBreaker, pass_keys, shrunk_tables, vanished_holds
from bridge.core.observed import ObservedEvent
from bridge.core.outcome import (
    HELD_BACK,
    ErrorKind,
    RunReport,
    UnitError,
    UnitResult,
    ending_of,
    error_findings,
)
from bridge.core.plan import plan
from bridge.core.plan_model import Operation, OpKind, Plan
from bridge.core.policy import Policy
from bridge.core.writeback import TessituraSide, WritebackPlan, joined, plan_writeback
from bridge.domain import HoldSnapshot, LedgerEntry, SeatHold
from bridge.errors import (
    BridgeError,
    ConfigError,
    ConflictError,
    ForSaleLimitError,
    TerminalError,
)
from bridge.http import Sleep, fenced
from bridge.mapping.keys import key_clashes
from bridge.mapping.model import ChannelSpec, MappingTables
from bridge.reconcile import apply as applying
from bridge.reconcile import kept_reads
from bridge.reconcile.apply import apply_plan
from bridge.reconcile.kept_reads import KeptReads
from bridge.reconcile.leases import LEASE_TTL_S, UnitLeases, instance_id, run_holder
from bridge.reconcile.made_channels import made as made_channels
from bridge.reconcile.merge import WriteMerger
from bridge.reconcile.observe import observe
from bridge.reconcile.release_window import WindowBreaker
from bridge.reconcile.seat_maps import KnownSeats, SeatMapCache
from bridge.reconcile.verify import booked_during_run
from bridge.reconcile.vouched import to_list, vouch_clean
from bridge.reconcile.writeback import TessituraWriter, read_sides
from bridge.seatsio.client import SeatsioClient
from bridge.store.base import OpState, PerformanceStatus, StateStore, SyncOutcome
from bridge.tessitura.client import TessituraClient
from bridge.tessitura.models import PerformanceSearchResult

log = structlog.get_logger("seatbridge.reconcile")

#: Units a pass runs at once. The vendors' own bounds (seats.io's lanes) still hold; this bounds
#: Tessitura's load and the memory of plans in flight. 8 over 4: a 500-performance pass at 20 ms a
#: call went from 16 s to 12 s cold (benchmarks/bench_portfolio.py); 16 bought nothing more.
UNIT_CONCURRENCY = 8
#: Units that apply together, their status and for-sale steps merged into shared calls
#: (:mod:`bridge.reconcile.merge`): the larger, the fewer calls, and the more plans held at once.
WAVE_UNITS = 32


def units_of(performance_ids: Iterable[int], tables: MappingTables) -> list[tuple[int, ...]]:
    """Group performances: a season's performances travel together (all of them, even those not
    asked for), every other performance alone. Performances that resolve to one event key share
    a unit too, which :meth:`Reconciler.reconcile_unit` refuses whole (one event, one unit).
    Sorted, so runs are reproducible."""
    ids = list(performance_ids)
    seasons: dict[str, set[int]] = {}
    for target in tables.performances.values():
        if target.season_key:
            seasons.setdefault(target.season_key, set()).add(target.performance_id)
    units: list[set[int]] = []
    for pid in ids:
        hit = tables.target_for(pid)
        if hit is not None and hit.season_key:
            units.append(set(seasons[hit.season_key]))
        else:
            units.append({pid})
    sharing: dict[str, set[int]] = {}
    for pid in key_clashes(tables, ids):
        if (hit := tables.target_for(pid)) is not None:
            sharing.setdefault(hit.event_key, set()).add(pid)
    for group in sharing.values():  # one unit for the group and every unit it meets
        touching = [u for u in units if u & group]
        merged = set(group).union(*touching)
        units = [u for u in units if not u & group] + [merged]
    return sorted({tuple(sorted(u)) for u in units})


@dataclass(frozen=True, slots=True)
class UnitReading:
    """What a reconcile of one unit reads and plans before it writes anything.

    ``snapshots``: the hold snapshots that could be read; ``hold_errors``: performance id -> why
    its holds could not be (its event is then out of the plan, and a season missing one is not
    planned). ``refused_tables``: the seat tables the pass did not trust. ``observed``: what
    seats.io shows; ``seatsio_error``: why seats.io could not be read (a ConfigError too), in
    which case nothing is observed and ``plan`` holds only the desired state's findings.
    ``plan`` is the plan the unit's reconcile applies (before the pass-wide release breaker, see
    :meth:`Reconciler.reconcile_unit`), its reasons included. ``vanished``: performance id ->
    why its releases are refused (its holds answer was empty twice where the bridge holds
    :data:`~bridge.core.guards.VANISHED_FROM` or more objects for it). ``writeback``: the
    Tessitura side's plan (:mod:`bridge.core.writeback`), already joined into ``plan``."""

    unit: tuple[int, ...]
    snapshots: tuple[HoldSnapshot, ...]
    hold_errors: Mapping[int, BridgeError]
    refused_tables: Mapping[int, str]
    desired: DesiredState
    ledger: Mapping[tuple[str, str], LedgerEntry]
    observed: Mapping[str, ObservedEvent]
    plan: Plan
    seatsio_error: BridgeError | None = None
    vanished: Mapping[int, str] = field(default_factory=dict)
    #: the Tessitura side (``[writeback]`` on): each performance as read, and why others could not be
    writeback_sides: tuple[TessituraSide, ...] = ()
    writeback_errors: Mapping[int, BridgeError] = field(default_factory=dict)
    writeback: WritebackPlan = field(default_factory=WritebackPlan)
    #: ``plan`` before the Tessitura side was joined in (the release breaker asks apart)
    seatsio_plan: Plan = field(default_factory=Plan)
    #: the kept reads this reading stood on and the full reads it made (None: every event was
    #: read in full and nothing is to be kept)
    kept: KeptReads | None = None
    #: the performances whose holds were not read this time (kept from a read within their own
    #: cadence: see :meth:`Reconciler._read_holds`)
    cached_holds: frozenset[int] = frozenset()


@dataclass
class Reconciler:
    """What a pass uses, built once per configuration (the daemon builds a new one on reload).

    ``policy.force`` lifts the guards that hold a whole pass back (a shrunk table, the
    pass-wide mass-release breaker) as well as the planner's own. ``clock`` dates each
    performance's status and a spent for-sale budget; the seat-map cache keeps its own clock
    (:func:`bridge.runtime.reconciler_for` gives both the process's)."""

    tables: MappingTables
    policy: Policy
    tessitura: TessituraClient
    seatsio: SeatsioClient
    store: StateStore
    seat_maps: SeatMapCache = field(default_factory=lambda: SeatMapCache())
    #: the process's holder id; each run leases under its own (:func:`run_holder` of this)
    holder: str = field(default_factory=instance_id)
    concurrency: int = UNIT_CONCURRENCY
    clock: Clock = SYSTEM
    #: how long a unit's leases last unless renewed (renewed every third of it)
    lease_ttl_s: float = LEASE_TTL_S
    #: how a unit waits out a dead holder's last write (tests record the wait)
    sleep: Sleep = asyncio.sleep
    #: the daemon's: the mass-release breaker counts over this rolling window, store-wide, not
    #: per pass (a daemon's pass is one unit; see :mod:`bridge.reconcile.release_window`)
    release_window_s: float | None = None
    #: how long a kept read of an event may stand in for a full read (0: read every event in
    #: full every pass; see :mod:`bridge.core.freshness`)
    full_read_every_s: float = 0.0
    #: the daemon's: how long a performance's holds read stays fresh enough (its own cadence).
    #: A unit's performances are read when theirs is due, so a season run at its nearest
    #: performance's cadence reads its far ones at theirs. None: every run reads every one.
    holds_fresh_s: Callable[[int], float] | None = None
    _window: WindowBreaker | None = field(default=None, init=False, repr=False)
    #: performance id -> its last holds read, and when (the clock's monotonic seconds)
    _holds_read: dict[int, tuple[HoldSnapshot, float]] = field(
        default_factory=dict, init=False, repr=False
    )
    _swept_at: float = field(default=float("-inf"), init=False, repr=False)

    def units(self, performance_ids: Iterable[int]) -> list[tuple[int, ...]]:
        return units_of(performance_ids, self.tables)

    async def reconcile(
        self,
        performance_ids: Sequence[int],
        *,
        apply: bool,
        on_unit_done: Callable[[UnitResult, int], None] | None = None,
    ) -> RunReport:
        """Plan (and, with ``apply``, apply) every unit the performances fall into.

        ``on_unit_done(result, units_total)`` is called as each unit finishes (a progress bar)."""
        # Every line logged during the pass carries its run_id; each unit's lines its unit too
        # (bound inside the unit's own task, so concurrent units never see each other's).
        with structlog.contextvars.bound_contextvars(run_id=secrets.token_hex(4)):
            # the run's own holder: another pass of this process (a reload that regrouped units)
            # never owns this run's units, nor releases their leases
            holder = run_holder(self.holder)
            gate = asyncio.Semaphore(self.concurrency)
            units = self.units(performance_ids)
            sizes = self._table_sizes()
            shrunk = self.refused_tables()
            force = self.policy.force
            breaker: Breaker | None = None
            if force:
                pass
            elif self.release_window_s is not None:
                if self._window is None:  # one per reconciler: it keeps its held count a window
                    self._window = WindowBreaker(
                        self.store, self.policy, self.release_window_s, self.clock
                    )
                breaker = self._window
            else:
                breaker = ReleaseBreaker.for_pass(self.policy, self._held_in(units))
            self.seat_maps.load(self.store)

            async def one(unit: tuple[int, ...], merger: WriteMerger) -> UnitResult:
                with structlog.contextvars.bound_contextvars(unit=list(unit)):
                    result = await self.reconcile_unit(
                        unit,
                        apply=apply,
                        refused_tables=shrunk,
                        breaker=breaker,
                        gate=gate,
                        merger=merger,
                        holder=holder,
                    )
                if on_unit_done is not None:
                    on_unit_done(result, len(units))
                return result

            # A TaskGroup, not gather: when a unit raises (a ConfigError: bad credentials, nothing
            # else can succeed), the other units are cancelled and awaited here, so each releases
            # its leases while the store is still open, before the error leaves the pass.
            fatal: BaseException | None = None
            tasks: list[asyncio.Task[UnitResult]] = []
            limit = self.seatsio.statuses.objects_per_request
            # One task per unit; units read and plan ``concurrency`` at a time, in order (the
            # gate is FIFO), so a wave applies while the next one reads.
            waves = _waves(units, WAVE_UNITS)
            mergers = [WriteMerger(self._send_batched, len(w), limit) for w in waves]
            try:
                async with asyncio.TaskGroup() as group:
                    tasks = [
                        group.create_task(one(u, merger))
                        for wave, merger in zip(waves, mergers, strict=True)
                        for u in wave
                    ]
            except BaseExceptionGroup as failed:
                fatal = _fatal(failed)
            finally:
                for merger in mergers:
                    await merger.close()
            self.seat_maps.save(self.store)
            if fatal is not None:
                raise fatal
            if apply:
                self._sweep_kept_reads()
            if apply:  # the sizes the next run compares with; a refused table keeps its old size
                self.store.record_seat_table_rows(
                    {m: n for m, n in sizes.items() if m not in shrunk}
                )
            return RunReport(units=tuple(task.result() for task in tasks))

    async def _send_batched(self, ops: Sequence[Operation]) -> None:
        """A (merged) step as one call: the apply module's own sender, looked up per call."""
        await applying.send(ops, self.seatsio, self.store)

    async def reconcile_unit(
        self,
        unit: tuple[int, ...],
        *,
        apply: bool,
        refused_tables: Mapping[int, str] | None = None,
        breaker: Breaker | None = None,
        gate: asyncio.Semaphore | None = None,
        merger: WriteMerger | None = None,
        holder: str | None = None,
    ) -> UnitResult:
        """Read, plan, maybe apply one unit; errors are recorded, never raised (ConfigError aside).

        With ``apply`` the unit's performances are leased for the whole unit: renewed while it
        runs, checked before every step and fenced before every attempt of every seats.io write
        (:meth:`~bridge.reconcile.leases.UnitLeases.fence`: a lost lease stops the unit there, and
        the unit ends as an error), and released however it ends, a cancellation included
        (lingering while a write it sent may still land). ``holder``: the run's holder id (a new
        one of this process when left out). ``gate`` bounds the units reading and planning
        at once (not applying: a unit waiting in ``merger`` for its wave holds no slot);
        ``merger`` sends its status and for-sale steps with the wave's others."""
        store, policy = self.store, self.policy
        result = UnitResult(unit, Plan(operations=(), findings=()))
        if clashes := key_clashes(self.tables, unit):
            if merger is not None:  # its wave's merged calls must not wait for it
                merger.leave()
            return self._refuse_shared_keys(result, clashes, apply=apply)
        started = self.clock.now()
        leases = UnitLeases(
            store,
            holder or run_holder(self.holder),
            ttl_s=self.lease_ttl_s,
            clock=self.clock,
            # a dead holder's last write may still run at seats.io for two of its timeouts
            quiet_s=2 * self.seatsio.timeout_s,
        )
        try:
            async with gate or contextlib.nullcontext():
                if apply:
                    for pid in unit:
                        other = leases.take(pid)
                        if other is not None:
                            result.errors.append(
                                UnitError(f"performance {pid} is being reconciled by {other}", pid)
                            )
                            result.leased_elsewhere = True
                            return result
                        _settle_crashed_ops(store, pid)
                    leases.start_renewing()
                    if (quiet := leases.quiet_left()) > 0:
                        # taken from a dead holder: read only once its last write is surely over
                        log.info("waiting out a dead holder's last write", wait_s=round(quiet, 1))
                        await self.sleep(quiet)
                # an applying run writes the Tessitura side after the seats.io side (below):
                # write-back trouble never delays nor stops a box-office hold reaching seats.io
                reading = await self.read_unit(
                    unit, refused_tables=refused_tables, writeback=not apply
                )
            for pid, exc in reading.hold_errors.items():
                result.errors.append(
                    UnitError.of(exc, pid, prefix=f"performance {pid}: cannot read holds: ")
                )
            for pid, exc in reading.writeback_errors.items():
                result.errors.append(
                    UnitError.of(
                        exc, pid, prefix=f"performance {pid}: cannot read for the write-back: "
                    )
                )
            if reading.seatsio_error is not None:
                raise reading.seatsio_error
            desired, observed, ledger = reading.desired, reading.observed, reading.ledger
            channels = self.tables.channels
            result.plan = reading.plan
            if breaker is not None:
                # the seats.io side's releases, then the write-back's lifts, asked apart, as an
                # applying pass asks (its write-back comes after, in _write_back)
                seatsio_plan, written = reading.seatsio_plan, reading.writeback
                if not breaker.admit(seatsio_plan.released):
                    refused = _refusing(policy, reading, breaker.reason(seatsio_plan.released))
                    seatsio_plan = plan(desired, observed, ledger, refused, channels)
                if not breaker.admit(written.released):
                    refused = _refusing(policy, reading, breaker.reason(written.released))
                    written = plan_writeback(reading.writeback_sides, refused)
                result.plan = joined(seatsio_plan, written)
            if apply:  # before any write: a unit that writes leaves no kept read behind
                leases.check()  # nor does a writer paused past its lease keep a stale one
                self._keep_reads(
                    reading, any(not op.kind.is_tessitura for op in result.plan.operations)
                )
            if apply and result.plan.operations:
                # every seats.io write of this task (and of the merged calls it joins) passes
                # the unit's fence, before each attempt
                with fenced(leases.fence):
                    result.outcome = await apply_plan(
                        result.plan,
                        self.seatsio,
                        store,
                        performance_ids=unit,
                        before_step=leases.check,
                        send_batched=merger.send if merger is not None else None,
                        clock=self.clock,
                    )
                    leases.check()
                    await _undo_booked(
                        result,
                        self.seatsio,
                        store,
                        policy,
                        desired,
                        unit,
                        before_step=leases.check,
                        clock=self.clock,
                    )
                    leases.check()  # a write the fence stopped in the undo says why here
                    refused_channels = _refused_channels(result.outcome, desired)
                    if refused_channels or _for_sale_limit_met(result.outcome):
                        await self._fallback_round(
                            result,
                            unit,
                            refused_tables,
                            breaker,
                            leases.check,
                            replace(policy, refused_channels=refused_channels),
                        )
                        leases.check()
            if apply and policy.writeback.on:
                await self._write_back(result, reading, breaker, leases)
            if apply:  # only a run that applied may vouch: a dry run writes nothing
                marked = vouch_clean(store, observed, result.outcome, policy.bridge_statuses)
                if marked:
                    log.debug("ledger vouched for", events=marked)
        except ConfigError as exc:
            # the pass ends here; the status must not go on saying the last good run's word
            if merger is not None:  # and no other unit's step goes out after it
                merger.abort(exc)
            result.errors.append(UnitError.of(exc))
            if apply and not result.leased_elsewhere and leases.lost is None:
                _record_status(self.tables, store, result, self.clock)
            raise
        except BridgeError as exc:
            result.errors.append(UnitError.of(exc))
            log.warning("unit failed", performances=unit, error=str(exc))
        except Exception as exc:  # one unit's bug or broken store must not sink the others
            result.errors.append(UnitError.of(exc))
            log.exception("unit crashed", performances=unit)
        finally:
            if merger is not None:
                merger.leave()
            leases.release()  # lingering while a write it sent may still land
        if apply and not result.leased_elsewhere:
            if leases.lost is None:
                _record_status(self.tables, store, result, self.clock)
            else:  # the status is the word of whoever ran the unit since; else ours: an error
                _record_lost(self.tables, store, result, self.clock, started)
        return result

    async def _fallback_round(
        self,
        result: UnitResult,
        unit: tuple[int, ...],
        refused_tables: Mapping[int, str] | None,
        breaker: Breaker | None,
        before_step: Callable[[], None],
        policy: Policy,
    ) -> None:
        """A write of the planned form was refused under this run (the day's for-sale edits ran
        out: seats.io's 429; a channel refused): read and plan once more, now that the store
        and ``policy.refused_channels`` know, so the seats it could not hold are held by their
        fallback status at once, not a cadence later. The refused marks give way to this
        round's plan and outcome (a refused channel stays an error: its form is not there); a
        round that cannot read leaves the first one's error."""
        reading = await self.read_unit(
            unit, refused_tables=refused_tables, policy=policy, writeback=False
        )
        if reading.hold_errors or reading.seatsio_error is not None:
            return
        second = reading.plan
        if breaker is not None and not breaker.admit(second.released):
            refused = replace(policy, pass_refusal=breaker.reason(second.released))
            second = plan(
                reading.desired, reading.observed, reading.ledger, refused, self.tables.channels
            )
        first = result.outcome
        assert first is not None
        outcome = await apply_plan(
            second,
            self.seatsio,
            self.store,
            performance_ids=unit,
            before_step=before_step,
            clock=self.clock,
        )
        # what round 2 wrote is checked for bookings in between, as round 1's was
        again = UnitResult(unit, second, outcome)
        await _undo_booked(
            again,
            self.seatsio,
            self.store,
            policy,
            reading.desired,
            unit,
            before_step=before_step,
            clock=self.clock,
        )
        # round 1's once-only findings (bookings it undid, a seat map change) are not found again
        carried = [f for f in result.plan.findings if f.kind in _ONCE_ONLY]
        result.plan = replace(
            again.plan, findings=sorted_findings([*again.plan.findings, *carried])
        )
        kept = [r for r in first.results if not _limit_refusal(r)]
        result.outcome = ApplyOutcome(outcome.run_id, kept + outcome.results)
        log.info(
            "planned form refused: held by fallback status",
            performances=unit,
            operations=len(second.api_operations),
        )

    async def _write_back(
        self,
        result: UnitResult,
        reading: UnitReading,
        breaker: Breaker | None,
        leases: UnitLeases,
    ) -> None:
        """The Tessitura side of an applying run, once its seats.io side is done: read what
        seats.io shows sold now (so a lift is decided on a read taken after this run's seats.io
        writes), plan, keep the write-back ledger, apply under the unit's lease and fence. Its
        lifts pass the pass-wide release breaker like any release. A failure here is the
        performance's error; it never undoes nor hides what the seats.io side did."""
        policy, store = self.policy, self.store

        async def sides_of(
            snapshots: Sequence[HoldSnapshot],
        ) -> tuple[list[TessituraSide], dict[int, BridgeError]]:
            return await read_sides(
                self.tessitura,
                self.seatsio,
                store,
                self.tables,
                policy,
                snapshots,
                refused=reading.refused_tables,
            )

        try:
            sides, errors = await sides_of(reading.snapshots)
            if reading.cached_holds and not plan_writeback(sides, policy).is_idle:
                # holds kept from an earlier run only ever prove "nothing to do": what is to
                # be done is planned again from the layers as they are now
                sides, errors = await sides_of(await self._fresh_holds(reading))
        except ConfigError:
            raise
        except Exception as exc:  # a bug or a broken store on this side sinks only this side
            log.exception("write-back read failed", performances=result.performance_ids)
            wrapped = exc if isinstance(exc, BridgeError) else BridgeError(str(exc))
            sides, errors = [], dict.fromkeys(result.performance_ids, wrapped)
        for pid, failed in errors.items():
            result.errors.append(
                UnitError.of(
                    failed, pid, prefix=f"performance {pid}: cannot read for the write-back: "
                )
            )
        written = plan_writeback(sides, _refusing(policy, reading))
        if breaker is not None and not breaker.admit(written.released):
            written = plan_writeback(
                sides, _refusing(policy, reading, breaker.reason(written.released))
            )
        leases.check()  # a writer paused past its lease writes nothing, its ledger neither
        if policy.writeback.applies:  # report mode writes nothing, its ledger neither
            store.claim_writeback(written.claims)
            store.forget_writeback(written.forgets)
        if written.operations:
            self.forget_holds(result.performance_ids)
            with fenced(leases.fence):
                outcome = await apply_plan(
                    Plan(operations=written.operations),
                    self.seatsio,
                    store,
                    performance_ids=result.performance_ids,
                    before_step=leases.check,
                    clock=self.clock,
                    tessitura=TessituraWriter(
                        self.tessitura, self.seatsio, store, policy, self.clock
                    ).send,
                )
            if result.outcome is None:
                result.outcome = outcome
            else:
                result.outcome.results.extend(outcome.results)
                result.outcome.findings.extend(outcome.findings)
        result.plan = joined(result.plan, written)
        _found_on_the_way(result)
        leases.check()

    def _refuse_shared_keys(
        self, result: UnitResult, clashes: Mapping[int, str], *, apply: bool
    ) -> UnitResult:
        """A unit with two performances on one event (or one on a season's key) is not read, planned
        nor written: each such performance gets an error finding, the unit's others an error."""
        findings = []
        for pid, why in sorted(clashes.items()):
            target = self.tables.target_for(pid)
            findings.append(
                Finding(
                    FindingKind.EVENT_KEY_SHARED,
                    performance_id=pid,
                    event_key=target.event_key if target else None,
                    detail=f"not planned: {why}",
                )
            )
        result.plan = Plan(operations=(), findings=tuple(sorted_findings(findings)))
        for pid in result.performance_ids:
            if pid not in clashes:
                result.errors.append(
                    UnitError(
                        f"performance {pid} not planned: its unit has performances on one event",
                        pid,
                        ErrorKind.TERMINAL,
                    )
                )
        log.error("performances on one event key refused", performances=sorted(clashes))
        if apply:
            _record_status(self.tables, self.store, result, self.clock)
        return result

    async def read_unit(
        self,
        unit: tuple[int, ...],
        *,
        refused_tables: Mapping[int, str] | None = None,
        also_read: Mapping[str, Collection[str]] | None = None,
        policy: Policy | None = None,
        writeback: bool = True,
    ) -> UnitReading:
        """Everything a reconcile of ``unit`` does before it writes: the holds of its
        performances (through the kept seat maps), the desired state (``refused_tables``: seat
        map id -> why its table is not trusted, see :meth:`refused_tables`), the ledger, what
        seats.io shows, and the plan. Takes no lease and writes nothing, the kept seat maps
        included (a pass saves them).

        A failed hold read is in ``hold_errors`` (a ConfigError there raises: nothing else can
        succeed), a failed seats.io read in ``seatsio_error`` (a reconcile raises it after it
        recorded the hold errors); anything that is not a BridgeError raises. ``also_read``: more
        labels to read per event than a pass needs (see :func:`~bridge.reconcile.observe.observe`).
        ``writeback``: read and plan the Tessitura side too (``[writeback]`` on); an applying
        reconcile does that after its seats.io writes instead (:meth:`_write_back`)."""
        policy = policy or self.policy
        self.seat_maps.load(self.store)
        snapshots, hold_errors, cached_holds = await self._read_holds(unit)
        vanished: dict[int, str] = {}
        if not policy.force:
            snapshots, vanished = await self._read_vanished_again(snapshots, hold_errors)
            if vanished:
                policy = replace(policy, pass_refusal="; ".join(vanished.values()))
        refused = refused_tables or {}
        desired = desired_state(snapshots, self.tables, policy, refused)
        moved = self.seat_maps.changes(unit)
        if moved:
            desired = replace(desired, findings=(*desired.findings, *self._moved(moved)))
        ledger = self.store.ledger(sorted(desired.events))
        # events whose ledger is not vouched for list their bridge statuses (seasons: their events)
        listing = to_list(
            self.store,
            (k for k, e in desired.events.items() if not e.is_season),
            policy.bridge_statuses,
        )
        kept = self._kept_reads(desired) if also_read is None else None
        bridge_statuses = policy.bridge_statuses

        async def observed_now() -> dict[str, ObservedEvent]:
            return await observe(
                self.seatsio,
                desired,
                ledger,
                [c.key for c in self.tables.channels],
                bridge_statuses=bridge_statuses,
                for_sale_calls_left=lambda key: self.store.for_sale_calls_left(key),
                also_read=also_read,
                list_statuses=listing,
                kept=kept,
            )

        base: Policy = policy

        def planned(observed: Mapping[str, ObservedEvent]) -> tuple[Policy, Plan]:
            renaming = _renaming(observed, self.tables.channels)
            its = base
            if renaming:  # which of these events' channels the bridge made (its own, seats or none)
                its = replace(base, made_channels=made_channels(self.store, renaming))
            return its, plan(desired, observed, ledger, its, self.tables.channels)

        try:
            observed = await observed_now()
            policy, the_plan = planned(observed)
            if kept is not None and kept.reused and the_plan.operations:
                # a kept read only ever proves "nothing to do": anything else is planned
                # again from a full read (see bridge.core.freshness)
                kept.full = True
                kept.reused.clear()
                observed = await observed_now()
                policy, the_plan = planned(observed)
        except BridgeError as exc:
            return UnitReading(
                unit,
                tuple(snapshots),
                hold_errors,
                refused,
                desired,
                ledger,
                {},
                Plan(findings=desired.findings),
                seatsio_error=exc,
                vanished=vanished,
                cached_holds=cached_holds,
            )
        sides: list[TessituraSide] = []
        side_errors: dict[int, BridgeError] = {}
        written_back = WritebackPlan()
        if writeback and policy.writeback.on:
            sides, side_errors = await read_sides(
                self.tessitura,
                self.seatsio,
                self.store,
                self.tables,
                policy,
                snapshots,
                refused=refused,
            )
            written_back = plan_writeback(sides, policy)
        return UnitReading(
            unit,
            tuple(snapshots),
            hold_errors,
            refused,
            desired,
            ledger,
            observed,
            joined(the_plan, written_back),
            vanished=vanished,
            cached_holds=cached_holds,
            writeback_sides=tuple(sides),
            writeback_errors=side_errors,
            writeback=written_back,
            seatsio_plan=the_plan,
            kept=kept,
        )

    async def _read_holds(
        self, unit: tuple[int, ...]
    ) -> tuple[list[HoldSnapshot], dict[int, BridgeError], frozenset[int]]:
        """The unit's hold snapshots, why the others could not be read, and which were not
        read this time. A performance on the unit's own cadence (the tightest of them) is read
        every run; one on a longer cadence (:attr:`holds_fresh_s`) by the first run after its
        last read is older than its cadence less one unit interval: about once per its own
        cadence, a tenth of a unit interval late at most (the runs are jittered by a tenth)."""
        if self.holds_fresh_s is None:
            read, errors = await _snapshots(self.tessitura, self.seat_maps, unit, self._known_seats)
            return read, errors, frozenset()
        now = self.clock.monotonic()
        cadence = {pid: self.holds_fresh_s(pid) for pid in unit}
        tightest = min(cadence.values(), default=0.0)
        kept: dict[int, HoldSnapshot] = {}
        for pid in unit:
            last = self._holds_read.get(pid)
            fresh_s = cadence[pid] - tightest
            if last is not None and cadence[pid] > tightest and 0 <= now - last[1] < fresh_s:
                kept[pid] = last[0]
        due = tuple(pid for pid in unit if pid not in kept)
        read, errors = await _snapshots(self.tessitura, self.seat_maps, due, self._known_seats)
        for snap in read:
            self._holds_read[snap.performance_id] = (snap, now)
        for pid in errors:
            self._holds_read.pop(pid, None)
        fresh = {s.performance_id: s for s in read}
        snapshots = [kept.get(pid) or fresh[pid] for pid in unit if pid not in errors]
        return snapshots, errors, frozenset(kept)

    async def _fresh_holds(self, reading: UnitReading) -> list[HoldSnapshot]:
        """The reading's hold snapshots, those it did not read this time read now: the
        write-back writes to Tessitura from them, never from a kept read."""
        if not reading.cached_holds:
            return list(reading.snapshots)
        again, errors = await _snapshots(
            self.tessitura, self.seat_maps, tuple(sorted(reading.cached_holds)), self._known_seats
        )
        if errors:
            raise next(iter(errors.values()))
        fresh = {s.performance_id: s for s in again}
        return [fresh.get(s.performance_id, s) for s in reading.snapshots]

    def forget_holds(self, performance_ids: Iterable[int]) -> None:
        """Read these performances' holds afresh next run (the write-back changed them)."""
        for pid in performance_ids:
            self._holds_read.pop(pid, None)

    def keep_holds_of(self, performance_ids: Collection[int]) -> None:
        """Forget the holds read of every performance but these (the daemon's schedule)."""
        for pid in set(self._holds_read) - set(performance_ids):
            del self._holds_read[pid]

    def _kept_reads(self, desired: DesiredState) -> KeptReads | None:
        if self.full_read_every_s <= 0:
            return None
        return KeptReads(
            kept_reads.load(self.store, desired.events),
            self.clock.now(),
            self.full_read_every_s,
            store=self.store,
        )

    def _sweep_kept_reads(self) -> None:
        """At most once per full-read cadence (a daemon's runs are one unit each)."""
        now = self.clock.monotonic()
        if self.full_read_every_s <= 0 or now - self._swept_at < self.full_read_every_s:
            return
        self._swept_at = now
        kept_reads.sweep(self.store, self.full_read_every_s)

    def _keep_reads(self, reading: UnitReading, wrote: bool) -> None:
        """After an applied unit: keep its full reads, or drop its events' kept reads when it
        wrote to seats.io (its own writes made them stale)."""
        kept = reading.kept
        if kept is None:
            return
        if wrote:
            kept_reads.drop(self.store, {*kept.stored, *kept.fresh, *kept.reused})
            return
        kept_reads.save(self.store, kept.fresh.values())
        kept_reads.drop(self.store, kept.unkept & set(kept.stored))

    async def _read_vanished_again(
        self, snapshots: list[HoldSnapshot], hold_errors: dict[int, BridgeError]
    ) -> tuple[list[HoldSnapshot], dict[int, str]]:
        """Performances whose holds answer is empty where the bridge holds enough for them to
        count as vanished (:func:`~bridge.core.guards.vanished_holds`) are read once more: a
        passing glitch gives way to the second answer. Returns the snapshots (the second reads
        in place of the first; one that fails now joins ``hold_errors``, so its event is out of
        the plan) and the performances still empty, with why their releases are refused."""
        own = self.policy.writeback.hold_code_id  # the bridge's own layers say nothing here
        empty = {s.performance_id: 0 for s in snapshots if not _box_office(s, own)}
        if not empty:
            return snapshots, {}
        had = self._held_for(empty)
        suspects = vanished_holds(empty, had)
        if not suspects:
            return snapshots, {}
        log.warning("holds answer empty; reading it again", performances=sorted(suspects))
        self.forget_holds(suspects)  # and afresh next run too, not as kept from this one
        again, errors = await _snapshots(
            self.tessitura, self.seat_maps, tuple(suspects), self._known_seats
        )
        hold_errors.update(errors)
        fresh = {s.performance_id: s for s in again}
        kept = [fresh.get(s.performance_id, s) for s in snapshots if s.performance_id not in errors]
        vanished = vanished_holds({s.performance_id: len(_box_office(s, own)) for s in again}, had)
        if vanished:
            log.warning("holds vanished; their releases are refused", performances=sorted(vanished))
        return kept, vanished

    def _held_for(self, performance_ids: Iterable[int]) -> dict[int, int]:
        """What the bridge holds for each performance, as the ledger says (so it survives a
        restart): its rows on the performance's event and on its season (a season's holds land
        on each of its events)."""
        keys: dict[int, tuple[str, ...]] = {}
        for pid in performance_ids:
            target = self.tables.target_for(pid)
            if target is not None:
                keys[pid] = (target.event_key, *([target.season_key] if target.season_key else []))
        every = sorted({k for ks in keys.values() for k in ks})
        rows: dict[str, int] = {}
        for key, _ in self.store.ledger(every) if every else {}:
            rows[key] = rows.get(key, 0) + 1
        return {pid: sum(rows.get(k, 0) for k in ks) for pid, ks in keys.items()}

    def notice_search(self, found: Iterable[PerformanceSearchResult]) -> list[int]:
        """Discovery's search checked against the kept seat maps (see
        :meth:`SeatMapCache.notice`), saved at once so that every process reads a performance
        that moved facility again; the performances whose seat map is read again."""
        self.seat_maps.load(self.store)
        expired = self.seat_maps.notice(found)
        self.forget_holds(expired)  # their holds were mapped through the old seat map
        try:
            self.seat_maps.save(self.store)
        except Exception as exc:  # a store hiccup must not stop discovery: this process knows
            log.warning("kept seat maps not saved; the next pass saves them", error=str(exc))
        return expired

    def _moved(self, moved: Mapping[int, tuple[int, int]]) -> list[Finding]:
        """A finding per performance whose seat map changed (once, on the run that read it)."""
        out: list[Finding] = []
        for pid, (old, new) in sorted(moved.items()):
            target = self.tables.target_for(pid)
            out.append(
                Finding(
                    FindingKind.SEAT_MAP_CHANGED,
                    performance_id=pid,
                    event_key=target.event_key if target is not None else None,
                    detail=f"Tessitura moved the performance from seat map {old} to {new}: "
                    f"its holds are mapped with seat map {new}'s table from now on",
                )
            )
        return out

    def refused_tables(self) -> dict[int, str]:
        """Seat tables a pass does not trust now: seat map id -> why (one shrank by more than
        the policy allows since the last applied run); none with ``policy.force``."""
        if self.policy.force:
            return {}
        last = self.store.seat_table_rows()
        return shrunk_tables(self._table_sizes(), last, self.policy.table_shrink_share)

    def _table_sizes(self) -> dict[int, int]:
        return {m: len(t.labels) for m, t in self.tables.seat_tables.items()}

    def _held_in(self, units: Iterable[tuple[int, ...]]) -> int:
        """How many objects the bridge holds on the events and seasons of ``units`` (and, with
        the write-back on, the Tessitura seats it holds for their performances)."""
        keys = pass_keys(self.tables, units)
        seatsio = len(self.store.ledger(keys)) if keys else 0
        if not self.policy.writeback.on:
            return seatsio
        performances = sorted({pid for unit in units for pid in unit})
        return seatsio + len(self.store.writeback_holds(performances))

    def _known_seats(self, seat_map_id: int) -> Collection[int] | None:
        table = self.tables.seat_tables.get(seat_map_id)
        return None if table is None else table.labels.keys()


def _renaming(observed: Mapping[str, ObservedEvent], specs: Sequence[ChannelSpec]) -> list[str]:
    """Events with a channel out of the config that bears a configured channel's name (a key
    renamed, its name kept): only their channels need the store's word on who made them."""
    keys, names = {c.key for c in specs}, {c.name for c in specs}
    return sorted(
        key
        for key, seen in observed.items()
        if any(c.key not in keys and c.name in names for c in seen.channels)
    )


def _limit_refusal(result: OpResult) -> bool:
    """A mark refused because the event's for-sale edits are spent today."""
    return (
        result.state == "failed"
        and result.op.kind is OpKind.MARK_NOT_FOR_SALE
        and isinstance(result.exc, ForSaleLimitError)
    )


#: Findings a run gives once, which a second round's fresh read cannot give again.
_ONCE_ONLY = frozenset({FindingKind.BOOKED_DURING_RUN, FindingKind.SEAT_MAP_CHANGED})

#: The channel writes whose refusal leaves their seats without the planned channel.
_CHANNEL_WRITES = frozenset({OpKind.CREATE_CHANNEL, OpKind.ADD_TO_CHANNEL, OpKind.REPLACE_CHANNELS})


def _refused_channels(
    outcome: ApplyOutcome | None, desired: DesiredState
) -> frozenset[tuple[str, str]]:
    """(event key, channel key) of channel writes seats.io refused outright (not an unknown
    outcome, not a passing fault: a 4xx that repeating will not cure), on events outside a
    season: a season's seats stay held per event by their own holds (plan-format.md)."""
    out: set[tuple[str, str]] = set()
    for r in outcome.results if outcome is not None else ():
        if r.state != "failed" or r.op.kind not in _CHANNEL_WRITES:
            continue
        if not isinstance(r.exc, TerminalError | ConflictError):
            continue
        channels = [spec.key for spec, _ in r.op.channels] or [r.op.target]
        out.update(
            (key, channel)
            for key in r.op.event_keys
            if (event := desired.events.get(key)) is not None and not event.is_season
            for channel in channels
        )
    return frozenset(out)


def _for_sale_limit_met(outcome: ApplyOutcome | None) -> bool:
    return outcome is not None and any(_limit_refusal(r) for r in outcome.results)


def _waves(units: list[tuple[int, ...]], size: int) -> list[list[tuple[int, ...]]]:
    return [units[i : i + size] for i in range(0, len(units), size)] or [[]]


def _fatal(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The error a failed pass raises: the first ConfigError (the one an operator must fix), else
    the first error. Units record their own errors, so only a ConfigError or something that ends
    the process (a BaseException) gets here, and the first says it all."""
    leaves: list[BaseException] = []
    pending: list[BaseException] = [group]
    while pending:
        exc = pending.pop(0)
        if isinstance(exc, BaseExceptionGroup):
            pending[:0] = exc.exceptions
        else:
            leaves.append(exc)
    config = [e for e in leaves if isinstance(e, ConfigError)]
    return config[0] if config else leaves[0]


async def _snapshots(
    tessitura: TessituraClient,
    cache: SeatMapCache,
    unit: tuple[int, ...],
    known_seats: KnownSeats,
) -> tuple[list[HoldSnapshot], dict[int, BridgeError]]:
    """Hold snapshots of the unit's performances, and why the others could not be read (their
    events are then left out of the plan, and a season missing one is not planned)."""
    got = await asyncio.gather(
        *(cache.snapshot(tessitura, pid, known_seats) for pid in unit), return_exceptions=True
    )
    snaps: list[HoldSnapshot] = []
    errors: dict[int, BridgeError] = {}
    for pid, snap in zip(unit, got, strict=True):
        if isinstance(snap, ConfigError):
            raise snap
        if isinstance(snap, BaseException):
            if not isinstance(snap, BridgeError):
                raise snap
            errors[pid] = snap
            continue
        snaps.append(snap)
    return snaps, errors


async def _undo_booked(
    result: UnitResult,
    seatsio: SeatsioClient,
    store: StateStore,
    policy: Policy,
    desired: DesiredState,
    unit: tuple[int, ...],
    *,
    before_step: Callable[[], None] | None = None,
    clock: Clock = SYSTEM,
) -> None:
    """Report objects booked between observe and apply that the run touched, and take those it
    put into a bridge channel back out (see :mod:`bridge.reconcile.verify`): under the unit's
    lease like any write (``before_step`` before each step, the task's fence before each
    attempt)."""
    assert result.outcome is not None
    seasons = {k for k, e in desired.events.items() if e.is_season}
    found, undo = await booked_during_run(
        result.outcome.results, seatsio, policy.bridge_statuses, seasons
    )
    if not found:
        return
    result.plan = replace(result.plan, findings=sorted_findings([*result.plan.findings, *found]))
    if undo.operations:
        undone = await apply_plan(
            undo, seatsio, store, performance_ids=unit, before_step=before_step, clock=clock
        )
        result.outcome.results.extend(undone.results)


def _box_office(snapshot: HoldSnapshot, own: int) -> list[SeatHold]:
    """The snapshot's layers but the bridge's own write-back layers."""
    return [h for h in snapshot.holds if h.hold_code_id != own or not own]


def _refusing(policy: Policy, reading: UnitReading, breaker: str = "") -> Policy:
    """``policy`` refusing releases for why they are refused: performances whose holds
    vanished, and the pass breaker's ``breaker`` reason (none refused: ``pass_refusal`` "")."""
    why = [*reading.vanished.values(), *([breaker] if breaker else [])]
    return replace(policy, pass_refusal="; ".join(why))


def _found_on_the_way(result: UnitResult) -> None:
    """What the writes found (a layer that raced a Tessitura lift) joins the unit's findings."""
    found = result.outcome.findings if result.outcome is not None else []
    known = set(result.plan.findings)
    new = [f for f in found if f not in known]
    if new:
        result.plan = replace(result.plan, findings=sorted_findings([*result.plan.findings, *new]))


def _settle_crashed_ops(store: StateStore, performance_id: int) -> None:
    """Operations a crashed run left 'started' have an unknown outcome; the plan re-observes."""
    for op in store.unfinished_ops(performance_id):
        store.op_finished(op.run_id, op.index, OpState.UNKNOWN, "left unfinished by a crash")


def _record_lost(
    tables: MappingTables,
    store: StateStore,
    result: UnitResult,
    clock: Clock,
    started: datetime,
) -> None:
    """A unit that lost its lease mid-run: its performances' status is left to a run that
    recorded one since this unit started (the one that took them over), else it says error, so
    that no "converged" from before stands for a run that stopped half-way."""
    try:
        newer = {
            s.performance_id
            for s in store.performance_statuses(result.performance_ids)
            if s.last_sync > started
        }
        if not newer:
            _record_status(tables, store, result, clock)
    except Exception:  # the store is what failed: the unit's error already says so
        log.warning("status not recorded", performances=result.performance_ids, exc_info=True)


def _record_status(
    tables: MappingTables, store: StateStore, result: UnitResult, clock: Clock
) -> None:
    now = clock.now()
    statuses = [performance_status(tables, result, pid, now) for pid in result.performance_ids]
    store.set_performance_statuses(statuses)  # the unit's word at once: one transaction


def performance_status(
    tables: MappingTables, result: UnitResult, pid: int, now: datetime
) -> PerformanceStatus:
    """What a unit's run says of one of its performances: its outcome, drift, conflicts and
    errors, from the findings and operations on its event and season."""
    target = tables.target_for(pid)
    keys = {target.event_key, target.season_key} if target else set()
    ops = [o for o in result.plan.api_operations if keys & set(o.event_keys)]
    findings = [f for f in result.plan.findings if f.performance_id == pid or f.event_key in keys]
    conflicts = sum(1 for f in findings if f.severity is Severity.CONFLICT)
    op_errors = [
        r.error or ""
        for r in (result.outcome.errors if result.outcome else [])
        if keys & set(r.op.event_keys)
    ]
    errors = [e.message for e in result.errors if e.performance_id in (pid, None)]
    errors += op_errors
    errors += [f"{f.kind.value}: {f.detail}" for f in error_findings(findings)]
    refusals = [f for f in findings if f.kind is FindingKind.MASS_RELEASE_REFUSED]
    refused = bool(refusals)
    pending = len(ops) if result.outcome is None else len(op_errors)
    # work the planner held back is drift too: the bridge is not where it should be
    pending += sum(1 for f in findings if f.kind in HELD_BACK)
    # an applied run's drift is not a dry run's pending work: its ending has no PENDING
    outcome = SyncOutcome(ending_of(errors=len(errors), refused=refused, conflicts=conflicts).value)
    return PerformanceStatus(
        performance_id=pid,
        last_sync=now,
        outcome=outcome,
        event_key=target.event_key if target else None,
        drift=pending,
        conflicts=conflicts,
        errors=len(errors),
        last_error=errors[-1] if errors else refusal_text(pid, refusals),
    )


#: The outcomes that mean a performance was brought in step (conflicts are reported, not undone).
SYNCED = frozenset({SyncOutcome.CONVERGED, SyncOutcome.CONFLICTS})


def synced_performances(tables: MappingTables, report: RunReport) -> list[int]:
    """The performances an applied run brought in step with seats.io: their recorded outcome is
    converged or conflicts, in a unit this process held. The one judge of "last sync" for the
    metrics and the status page; a dry run's pending work is not a sync."""
    epoch = datetime.min
    return [
        pid
        for u in report.units
        if not u.leased_elsewhere and (u.outcome is not None or not u.plan.api_operations)
        for pid in u.performance_ids
        if performance_status(tables, u, pid, epoch).outcome in SYNCED
    ]


#: How the planner's refusal ends; the status says the whole command instead.
RERUN = "; rerun with force to allow"


def refusal_text(performance_id: int, refusals: Sequence[Finding]) -> str | None:
    """What `seatbridge status` and the daemon's page say of a refused release: why, and the
    command that accepts it."""
    if not refusals:
        return None
    return (
        f"release refused: {refusals[0].detail.removesuffix(RERUN)}; to accept it: "
        f"seatbridge reconcile --performance {performance_id} --force"
    )
