"""One reconcile pass: the library call behind `seatbridge plan`, `seatbridge reconcile` and the daemon.

Performances are grouped into *units*: a performance alone, or every performance of a seats.io
season together (a season channel depends on all of them). Each unit is read, planned and applied
on its own, so one bad performance never stops the others: its error is recorded and the rest go on.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property

import structlog

from bridge.config import BridgeConfig, SafetySettings
from bridge.domain import HoldSnapshot, SeatHold
from bridge.errors import BridgeError, ConfigError
from bridge.mapping.model import MappingTables
from bridge.reconcile.apply import ApplyOutcome, apply_plan
from bridge.reconcile.desired import DesiredState, desired_state
from bridge.reconcile.discovery import discover as discover  # re-exported: moved there
from bridge.reconcile.findings import Finding, FindingKind, Severity, sorted_findings
from bridge.reconcile.observe import observe
from bridge.reconcile.plan import Plan, plan
from bridge.reconcile.policy import Policy, policy_of
from bridge.reconcile.verify import booked_during_run
from bridge.seatsio.client import SeatsioClient
from bridge.store.base import OpState, PerformanceStatus, RunMode, StateStore, SyncOutcome
from bridge.tessitura.client import TessituraClient

log = structlog.get_logger("seatbridge.reconcile")

LEASE_TTL_S = 300.0
#: How often a unit in flight renews its leases: three chances before they would run out.
LEASE_RENEW_S = LEASE_TTL_S / 3


class LeaseLostError(BridgeError):
    """A unit no longer holds the lease of one of its performances: no more seats.io writes."""


class Liveness(StrEnum):
    """What this process can tell about a lease holder."""

    ALIVE = "alive"
    DEAD = "dead"
    #: on another host or in another pid namespace, or not a holder id the bridge writes
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class HolderId:
    """A lease holder id, ``host:pid:token`` (``host:pid`` in rows of older versions).

    On Linux the token is ``<pid namespace>.<start time in ticks>``, so a pid that a later process
    reuses, or one from another container's namespace, is never mistaken for the holder; elsewhere
    it is random, unique to the process.
    """

    host: str
    pid: int
    token: str | None = None

    @classmethod
    def parse(cls, holder: str) -> HolderId | None:
        """The parts of ``holder``, or None when it is not in either form."""
        parts = holder.split(":")
        if len(parts) >= 3 and parts[-2].isdigit():
            return cls(":".join(parts[:-2]), int(parts[-2]), parts[-1])
        if len(parts) >= 2 and parts[-1].isdigit():
            return cls(":".join(parts[:-1]), int(parts[-1]))
        return None

    @property
    def namespace_and_start(self) -> tuple[str, str] | None:
        ns, dot, start = (self.token or "").partition(".")
        return (ns, start) if dot and ns.isdigit() and start.isdigit() else None


def _proc_stat(pid: int) -> list[str] | None:
    """Fields 3.. of /proc/PID/stat (state first, start time at index 19), or None."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
    except OSError:
        return None
    return stat[stat.rfind(")") + 2 :].split()


def _pid_namespace() -> str | None:
    try:
        link = os.readlink("/proc/self/ns/pid")  # "pid:[4026531836]"
    except OSError:
        return None
    digits = "".join(c for c in link if c.isdigit())
    return digits or None


_instance_ids: dict[int, str] = {}


def instance_id() -> str:
    """Who holds a lease: ``host:pid:token``, stable for the life of the process (see
    :class:`HolderId`); a forked child gets its own."""
    pid = os.getpid()
    known = _instance_ids.get(pid)
    if known is None:
        stat, ns = _proc_stat(pid), _pid_namespace()
        if stat is not None and len(stat) > 19 and ns is not None:
            token = f"{ns}.{stat[19]}"
        else:
            token = secrets.token_hex(6)
        known = _instance_ids[pid] = f"{socket.gethostname()}:{pid}:{token}"
    return known


def holder_liveness(holder: str) -> Liveness:
    """Whether the process holding a lease still runs: DEAD only when it is sure (a process of
    this host, in this pid namespace, that is gone, a zombie, or whose pid another process has)."""
    if holder == instance_id():
        return Liveness.ALIVE
    parsed = HolderId.parse(holder)
    if parsed is None or parsed.pid <= 0 or parsed.host != socket.gethostname():
        return Liveness.UNKNOWN
    if os.name != "posix":
        return Liveness.UNKNOWN  # no signal 0 to probe with (on Windows 0 is CTRL_C_EVENT)
    identity = parsed.namespace_and_start
    if identity is not None and identity[0] != _pid_namespace():
        return Liveness.UNKNOWN  # another container on a shared file: its pids are not ours
    if parsed.pid == os.getpid():
        return Liveness.DEAD  # our pid, yet not us: a process that had this pid before
    try:
        os.kill(parsed.pid, 0)
    except ProcessLookupError:
        return Liveness.DEAD
    except PermissionError:
        pass  # it exists, as another user
    except OSError:
        return Liveness.UNKNOWN
    stat = _proc_stat(parsed.pid)
    if stat is not None and stat and stat[0] == "Z":
        return Liveness.DEAD  # killed, not yet reaped
    if identity is not None and stat is not None and len(stat) > 19 and stat[19] != identity[1]:
        return Liveness.DEAD  # the pid now belongs to a later process
    return Liveness.ALIVE


class UnitLeases:
    """The leases of one unit in flight: taken (over from a dead holder on this host too),
    renewed in the background every ``renew_every_s``, checked before every seats.io write, and
    released whatever ends the unit (an error, a cancellation).

    Renewals and checks use the store's clock, so tests drive them with an injected one.
    """

    def __init__(
        self,
        store: StateStore,
        holder: str,
        *,
        ttl_s: float = LEASE_TTL_S,
        renew_every_s: float | None = None,
    ) -> None:
        self.store = store
        self.holder = holder
        self.ttl_s = ttl_s
        self.renew_every_s = ttl_s / 3 if renew_every_s is None else renew_every_s
        self.held: list[int] = []
        #: why the unit lost a lease (then it must not write again), or None
        self.lost: str | None = None
        self._renewer: asyncio.Task[None] | None = None

    def take(self, performance_id: int) -> str | None:
        """Lease the performance: None when it is ours now, else who holds it."""
        for _ in range(2):
            if self.store.acquire_lease(performance_id, self.holder, self.ttl_s):
                self.held.append(performance_id)
                return None
            current = self.store.lease_holder(performance_id)
            if current is None:
                continue  # it ran out or was released between the two calls
            if holder_liveness(current) is not Liveness.DEAD:
                return current
            if self.store.acquire_lease(
                performance_id, self.holder, self.ttl_s, reclaim_from=current
            ):
                log.info(
                    "lease taken over from a dead holder", performance=performance_id, dead=current
                )
                self.held.append(performance_id)
                return None
        return self.store.lease_holder(performance_id) or "another run"

    def start_renewing(self) -> None:
        """Renew the held leases in the background until :meth:`release`."""
        if self.held and self._renewer is None:
            self._renewer = asyncio.create_task(self._keep_renewed(), name="lease-renewal")

    async def _keep_renewed(self) -> None:
        while self.lost is None:
            await asyncio.sleep(self.renew_every_s)
            self.renew()

    def renew(self) -> None:
        """Extend every held lease by the ttl; one found taken marks the unit as having lost it."""
        for pid in self.held:
            try:
                ok = self.store.renew_lease(pid, self.holder, self.ttl_s)
            except Exception as exc:  # a busy store: the next renewal or check() decides
                log.warning("lease renewal failed", performance=pid, error=str(exc))
                continue
            if not ok:
                self._lose(pid)
                return

    def check(self) -> None:
        """Raise :class:`LeaseLostError` unless every lease of the unit is still ours and live
        (consulted before each seats.io write)."""
        if self.lost is None:
            for pid in self.held:
                if self.store.lease_holder(pid) != self.holder:
                    self._lose(pid)
                    break
        if self.lost is not None:
            raise LeaseLostError(self.lost)

    def _lose(self, pid: int) -> None:
        try:
            other = self.store.lease_holder(pid)
        except Exception:
            other = None
        self.lost = (
            f"performance {pid}: the lease was lost to {other or 'nobody (it ran out)'}; "
            "stopped before the next seats.io write"
        )
        log.error("lease lost", performance=pid, holder=other)

    def release(self) -> None:
        """Stop renewing and give every held lease up (only those still ours go)."""
        if self._renewer is not None:
            self._renewer.cancel()
            self._renewer = None
        for pid in self.held:
            try:
                self.store.release_lease(pid, self.holder)
            except Exception as exc:  # keep releasing the others; this one runs out by itself
                log.warning("lease release failed", performance=pid, error=str(exc))
        self.held.clear()


@dataclass(frozen=True, slots=True)
class LeaseState:
    """What `seatbridge status` shows beside a performance's last sync: who holds its lease and
    until when (``stale``: a dead process of this host, the next run takes it over at once), and
    the run the journal shows unfinished for it (``interrupted_run``: killed or stopped, not in
    flight; the next run settles its operations)."""

    performance_id: int
    holder: str | None = None
    expires_at: datetime | None = None
    stale: bool = False
    interrupted_run: int | None = None
    interrupted_at: datetime | None = None


def lease_states(
    store: StateStore, statuses: Iterable[PerformanceStatus] = ()
) -> dict[int, LeaseState]:
    """Every performance with a live lease or an interrupted run, by id.

    A run is interrupted when the journal has it unfinished, it started after the performance's
    last recorded sync, and no live holder has the performance (then it is simply running).
    """
    last_sync = {s.performance_id: s.last_sync for s in statuses}
    leases = {lease.performance_id: lease for lease in store.leases()}
    alive = {
        pid for pid, lease in leases.items() if holder_liveness(lease.holder) is not Liveness.DEAD
    }
    interrupted: dict[int, tuple[int, datetime]] = {}
    for run in store.unfinished_runs():
        if run.mode is not RunMode.APPLY:
            continue
        for pid in run.performance_ids:
            synced = last_sync.get(pid)
            if pid in alive or (synced is not None and synced >= run.started_at):
                continue
            interrupted[pid] = (run.run_id, run.started_at)  # oldest first: the newest wins
    out: dict[int, LeaseState] = {}
    for pid in sorted(set(leases) | set(interrupted)):
        lease = leases.get(pid)
        run_id, started = interrupted.get(pid, (None, None))
        out[pid] = LeaseState(
            pid,
            holder=lease.holder if lease else None,
            expires_at=lease.expires_at if lease else None,
            stale=lease is not None and pid not in alive,
            interrupted_run=run_id,
            interrupted_at=started,
        )
    return out


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
    # Every line logged during the pass carries its run_id; each unit's lines its unit too
    # (bound inside the unit's own task, so concurrent units never see each other's).
    with structlog.contextvars.bound_contextvars(run_id=secrets.token_hex(4)):
        policy = policy_of(cfg, force=force)
        cache = seat_maps or SeatMapCache()
        gate = asyncio.Semaphore(concurrency)
        holder = instance_id()

        units = units_of(performance_ids, cfg.tables)
        sizes = {m: len(t.labels) for m, t in cfg.tables.seat_tables.items()}
        shrunk = {} if force else shrunk_tables(sizes, store.seat_table_rows(), cfg.safety)
        breaker = None if force else ReleaseBreaker.for_pass(cfg, store, units)

        async def one(unit: tuple[int, ...]) -> UnitResult:
            with structlog.contextvars.bound_contextvars(unit=list(unit)):
                async with gate:
                    result = await reconcile_unit(
                        cfg,
                        tessitura,
                        seatsio,
                        store,
                        unit,
                        policy,
                        cache,
                        apply=apply,
                        holder=holder,
                        refused_tables=shrunk,
                        breaker=breaker,
                    )
            if on_unit_done is not None:
                on_unit_done(result, len(units))
            return result

        # A TaskGroup, not gather: when a unit raises (a ConfigError: bad credentials, nothing else
        # can succeed), the other units are cancelled and awaited here, so each releases its leases
        # while the store is still open, before the error leaves the pass.
        fatal: BaseException | None = None
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(one(u)) for u in units]
        except BaseExceptionGroup as failed:
            fatal = _fatal(failed)
        if fatal is not None:
            raise fatal
        if apply:  # the sizes the next run compares with; a refused table keeps its old size
            store.record_seat_table_rows({m: n for m, n in sizes.items() if m not in shrunk})
        return RunReport(units=tuple(task.result() for task in tasks))


@dataclass(slots=True)
class ReleaseBreaker:
    """The mass-release guard across a whole pass: units may free objects until the pass has
    freed more than the share of all the bridge holds in it (and at least the floor); the units
    after that lift nothing, so a glitch that empties many small performances at once is caught
    even where each one alone stays under the floor."""

    share: float
    floor: int
    held: int
    freed: int = 0

    @classmethod
    def for_pass(
        cls, cfg: BridgeConfig, store: StateStore, units: Iterable[tuple[int, ...]]
    ) -> ReleaseBreaker:
        keys: set[str] = set()
        for unit in units:
            for pid in unit:
                target = cfg.tables.target_for(pid)
                if target is not None:
                    keys.add(target.event_key)
                    if target.season_key:
                        keys.add(target.season_key)
        held = len(store.ledger(sorted(keys))) if keys else 0
        s = cfg.safety
        return cls(s.mass_release_share, s.mass_release_floor, held)

    def admit(self, released: int) -> bool:
        """Whether a unit may make ``released`` more objects buyable; counted if so."""
        if released == 0:
            return True
        total = self.freed + released
        if total > self.share * self.held and total >= self.floor:
            return False
        self.freed = total
        return True

    def reason(self, released: int) -> str:
        return (
            f"this pass has freed {self.freed} and would free {released} more of the "
            f"{self.held} objects the bridge holds in it: over {self.share:.0%} and at least "
            f"{self.floor}"
        )


def shrunk_tables(
    sizes: Mapping[int, int], last: Mapping[int, int], safety: SafetySettings
) -> dict[int, str]:
    """Seat maps whose table lost more than the allowed share of its rows since the last run:
    a lost row makes its seat's hold unknowable, so the table is not trusted (``--force`` is)."""
    out: dict[int, str] = {}
    for seat_map_id, rows in sorted(sizes.items()):
        before = last.get(seat_map_id)
        if before and rows < before * (1 - safety.table_shrink_share):
            out[seat_map_id] = (
                f"the seat table has {rows} rows, {before} at the last run (more than "
                f"{safety.table_shrink_share:.0%} lost); reconcile --force accepts it"
            )
    return out


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
    refused_tables: Mapping[int, str] | None = None,
    breaker: ReleaseBreaker | None = None,
) -> UnitResult:
    """Read, plan, maybe apply one unit; errors are recorded, never raised (ConfigError aside).

    With ``apply`` the unit's performances are leased for the whole unit: renewed while it runs,
    checked before every seats.io write (a lost lease stops the unit there), and released however
    it ends, a cancellation included."""
    result = UnitResult(unit, Plan(operations=(), findings=()))
    leases = UnitLeases(store, holder, ttl_s=LEASE_TTL_S, renew_every_s=LEASE_RENEW_S)
    try:
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
        snapshots = await _snapshots(tessitura, cache, unit, result)
        desired = desired_state(snapshots, cfg.tables, policy, refused_tables)
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
        if breaker is not None and not breaker.admit(result.plan.released):
            refused = replace(policy, pass_refusal=breaker.reason(result.plan.released))
            result.plan = plan(desired, observed, ledger, refused, cfg.tables.channels)
        if apply and result.plan.operations:
            result.outcome = await apply_plan(
                result.plan, seatsio, store, performance_ids=unit, before_step=leases.check
            )
            leases.check()
            await _undo_booked(result, seatsio, store, policy, desired, unit)
    except ConfigError as exc:
        # the pass ends here; the status must not go on saying the last good run's word
        result.errors.append(UnitError(str(exc)))
        if apply and not result.leased_elsewhere and leases.lost is None:
            _record_status(cfg, store, result)
        raise
    except BridgeError as exc:
        result.errors.append(UnitError(str(exc)))
        log.warning("unit failed", performances=unit, error=str(exc))
    except Exception as exc:  # one unit's bug or broken store must not sink the others
        result.errors.append(UnitError(f"unexpected {type(exc).__name__}: {exc}"))
        log.exception("unit crashed", performances=unit)
    finally:
        leases.release()
    if apply and not result.leased_elsewhere and leases.lost is None:
        # a unit that lost its lease leaves the status to the run that holds it now
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


async def _undo_booked(
    result: UnitResult,
    seatsio: SeatsioClient,
    store: StateStore,
    policy: Policy,
    desired: DesiredState,
    unit: tuple[int, ...],
) -> None:
    """Report objects booked between observe and apply that the run touched, and take those it
    put into a bridge channel back out (see :mod:`bridge.reconcile.verify`)."""
    assert result.outcome is not None
    seasons = {k for k, e in desired.events.items() if e.is_season}
    found, undo = await booked_during_run(
        result.outcome.results, seatsio, policy.bridge_statuses, seasons
    )
    if not found:
        return
    result.plan = replace(result.plan, findings=sorted_findings([*result.plan.findings, *found]))
    if undo.operations:
        undone = await apply_plan(undo, seatsio, store, performance_ids=unit)
        result.outcome.results.extend(undone.results)


def _settle_crashed_ops(store: StateStore, performance_id: int) -> None:
    """Operations a crashed run left 'started' have an unknown outcome; the plan re-observes."""
    for op in store.unfinished_ops(performance_id):
        store.op_finished(op.run_id, op.index, OpState.UNKNOWN, "left unfinished by a crash")


#: Findings that stand for changes the planner wanted but held back this run.
HELD_BACK = frozenset(
    {
        FindingKind.FOR_SALE_BUDGET_EXHAUSTED,
        FindingKind.MASS_RELEASE_REFUSED,
        FindingKind.SEASON_RELEASE_WAITS,
    }
)


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
        # work the planner held back is drift too: the bridge is not where it should be
        pending += sum(1 for f in findings if f.kind in HELD_BACK)
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
