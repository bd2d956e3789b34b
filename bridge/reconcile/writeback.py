"""The Tessitura side of a unit, read and written (two-way write-back; the rules are
:mod:`bridge.core.writeback`).

Reading: per performance, the objects seats.io shows in a written-back status (one by-status
report per status), the layers the pass's hold snapshot already read (``includeAllHolds``), the
write-back ledger, and, when there is anything to add or lift, the seats Tessitura calls sold.

Writing (:class:`TessituraWriter`, called by the apply step for the Tessitura kinds, under the
unit's lease and fence like any write):

- a hold goes below every layer (ReplaceMode 2) and never onto a sold seat (OnlyAffectAvailable
  true), its ledger rows claimed before it is sent and withdrawn when Tessitura refused it. A
  refusal naming a sold seat (the box office sold it since the read) is sent once more without
  the seats Tessitura now calls sold; a line Tessitura leaves out of its answer is not held;
- a lift reads the seats' layers right before (``includeAllHolds``) and lifts (HoldCodeId -1,
  which takes every layer) only the seats where the bridge's layer is alone; it reads them again
  after, and a layer found there appeared around the lift: it is kept, and said
  (``writeback_race``). A lift whose outcome is unknown keeps its ledger rows; the next pass
  reads again. No documented call shows a layer that appeared between the read before and the
  lift itself: that window is one round trip (docs/api-assumptions.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import structlog

from bridge.clock import SYSTEM, Clock
from bridge.core.findings import Finding, FindingKind
from bridge.core.plan_model import Operation, OpKind
from bridge.core.policy import Policy
from bridge.core.writeback import TessituraSide, grouped
from bridge.domain import HoldSnapshot, SeatHold, WritebackHold
from bridge.errors import (
    BridgeError,
    ConflictError,
    NotFoundError,
    RateLimitedError,
    TerminalError,
)
from bridge.http import WriteFencedError
from bridge.mapping.model import MappingTables
from bridge.reconcile.observe import objects_in_status, read_objects
from bridge.seatsio.client import SeatsioClient
from bridge.store.base import WritebackLedger
from bridge.tessitura import models as m
from bridge.tessitura.client import TessituraClient

log = structlog.get_logger("seatbridge.writeback")

#: The lift of every hold layer of a seat (the seed's ``HoldCodeId: -1``).
LIFT_ALL = -1
#: Refusal codes about the request as a whole (the fake's spelling: no public source shows
#: Tessitura's), never worth a resend seat by seat; any other 400 may be about one seat.
REQUEST_WIDE = frozenset(
    {"InvalidHoldCode", "InvalidReplaceMode", "InvalidParameter", "InvalidRequest"}
)
#: Seats sent one by one after a refusal, at most, per hold operation and pass (the rest go
#: the next pass: a lock on a whole block costs no more than this).
ONE_BY_ONE = 50


async def read_sides(
    tessitura: TessituraClient,
    seatsio: SeatsioClient,
    store: WritebackLedger,
    tables: MappingTables,
    policy: Policy,
    snapshots: Iterable[HoldSnapshot],
    *,
    refused: Mapping[int, str] | None = None,
) -> tuple[list[TessituraSide], dict[int, BridgeError]]:
    """Each performance's Tessitura side, and why the others could not be read (their side is
    not planned: nothing added, nothing lifted). A performance whose seat table the pass
    refused (``refused``: seat map id -> why) is left out like one without a table."""
    wb = policy.writeback
    chosen = [
        (snap, target.event_key)
        for snap in snapshots
        if (target := tables.target_for(snap.performance_id)) is not None
        and snap.seat_map_id in tables.seat_tables
        and snap.seat_map_id not in (refused or {})
    ]
    if not chosen or not wb.on:
        return [], {}
    held = store.writeback_holds([snap.performance_id for snap, _ in chosen])
    got = await asyncio.gather(
        *(_side(tessitura, seatsio, snap, key, tables, policy, held) for snap, key in chosen),
        return_exceptions=True,
    )
    sides: list[TessituraSide] = []
    errors: dict[int, BridgeError] = {}
    for (snap, _), side in zip(chosen, got, strict=True):
        if isinstance(side, BaseException):
            if not isinstance(side, BridgeError):
                raise side
            errors[snap.performance_id] = side
        elif side is not None:
            sides.append(side)
    return sides, errors


async def _side(
    tessitura: TessituraClient,
    seatsio: SeatsioClient,
    snap: HoldSnapshot,
    event_key: str,
    tables: MappingTables,
    policy: Policy,
    held: Mapping[tuple[int, int], WritebackHold],
) -> TessituraSide | None:
    """One performance's side; None when its event is not in seats.io (the planner says so)."""
    wb = policy.writeback
    pid = snap.performance_id
    online: dict[str, str] = {}
    statuses = sorted(wb.statuses)
    try:  # the reports at once: a pass waits for one round trip, not one per status
        listed = await asyncio.gather(*(objects_in_status(seatsio, event_key, s) for s in statuses))
    except NotFoundError:
        return None
    for status, infos in zip(statuses, listed, strict=True):
        for info in infos:
            online.setdefault(info.label, info.status or status)
    layers: dict[int, list[SeatHold]] = {}
    for hold in snap.holds:
        layers.setdefault(hold.seat_id, []).append(hold)
    ours = [s for s, ls in layers.items() if any(h.hold_code_id == wb.hold_code_id for h in ls)]
    rows = {seat: row for (p, seat), row in held.items() if p == pid}
    sold: frozenset[int] = frozenset()
    if online or ours:  # only a seat that may get or lose a hold needs its sale state
        sold = await sold_seats(tessitura, pid, wb.sold_statuses)
    return TessituraSide(
        performance_id=pid,
        event_key=event_key,
        layers={seat: tuple(ls) for seat, ls in layers.items()},
        table=tables.seat_tables[snap.seat_map_id].labels,
        online=online,
        sold=sold,
        held=rows,
        now=snap.taken_at,
    )


async def sold_seats(
    tessitura: TessituraClient,
    performance_id: int,
    statuses: frozenset[int],
    seat_ids: Iterable[int] | None = None,
) -> frozenset[int]:
    """The seats Tessitura calls sold (``statuses``), of ``seat_ids`` when given."""
    seats = await tessitura.seats(performance_id)
    keep = None if seat_ids is None else set(seat_ids)
    return frozenset(
        s.id
        for s in seats
        if s.is_seat and s.seat_status_id in statuses and (keep is None or s.id in keep)
    )


@dataclass(slots=True)
class WriteReport:
    """What a Tessitura write found besides its own success: races, seats it left."""

    findings: list[Finding] = field(default_factory=list)
    note: str | None = None


@dataclass
class TessituraWriter:
    """Sends the Tessitura kinds of a plan and keeps the write-back ledger (see the module).

    ``seatsio`` reads the objects of a lift once more right before it: a seat booked online
    again since the pass read it keeps its hold."""

    tessitura: TessituraClient
    seatsio: SeatsioClient
    store: WritebackLedger
    policy: Policy
    clock: Clock = SYSTEM

    async def send(self, op: Operation) -> WriteReport:
        if op.performance_id is None or len(op.seat_ids) != len(op.labels):
            raise TerminalError(f"{op.kind.value} names no performance or seats; not sent")
        if op.kind is OpKind.HOLD_IN_TESSITURA:
            return await self._hold(op)
        if op.kind is OpKind.LIFT_IN_TESSITURA:
            return await self._lift(op)
        raise TerminalError(f"{op.kind.value} is not a Tessitura write")

    # -- hold ----------------------------------------------------------------------------------

    async def _hold(self, op: Operation) -> WriteReport:
        """Claim, send, and keep only what Tessitura holds. A refusal that may be about one
        seat (sold or locked since the read, a seat the performance lacks) is sent again
        without the seats Tessitura now calls sold, then seat by seat (at most
        :data:`ONE_BY_ONE` a pass), so that one seat never leaves the others of the
        performance sellable at the box office; the seats it still refuses are a
        ``writeback_refused`` finding. The claims of seats not held are withdrawn, except after
        a failure that may have landed (a timeout, a broken answer) and for rows there before (a refresh: the layer
        is still there)."""
        assert op.performance_id is not None
        pid, code = op.performance_id, int(op.target)
        key = op.event_keys[0]
        now = self.clock.now()
        wanted = dict(zip(op.seat_ids, op.labels, strict=True))
        known = self.store.writeback_holds([pid])
        self.store.claim_writeback(
            WritebackHold(pid, seat, label, key, code, known[(pid, seat)].since)
            if (pid, seat) in known
            else WritebackHold(pid, seat, label, key, code, now)
            for seat, label in wanted.items()
        )
        fresh = {s for s in wanted if (pid, s) not in known}
        report = WriteReport()
        held: set[int] = set()  # what Tessitura answered held, as the calls go
        refused: list[int] = []
        try:
            try:
                held |= await self._send_hold(pid, code, sorted(wanted))
            except (TerminalError, ConflictError) as exc:
                if not _seat_refusal(exc):
                    raise
                refused = await self._hold_around(pid, code, wanted, held)
                if refused:
                    report.findings.append(
                        _finding(
                            FindingKind.WRITEBACK_REFUSED,
                            pid,
                            key,
                            code,
                            [wanted[s] for s in refused],
                            f"seats sold online were refused by Tessitura ({_codes(exc)}): "
                            "sold, locked or unknown at the box office; a sale under a status "
                            "missing from [writeback] sold_seat_statuses is refused every pass",
                        )
                    )
        except (TerminalError, ConflictError, RateLimitedError, WriteFencedError):
            # surely not applied (refused, a 429, stopped by the fence before it left): the
            # new claims go; any other failure (a timeout, a broken answer) may have landed,
            # so they stay and the next pass reads
            self._withdraw(pid, fresh - held)
            raise
        left = [s for s in wanted if s not in held]
        if left:  # refused, or left out of the answer (a sold seat skipped): not held
            self._withdraw(pid, fresh.intersection(left))
            report.note = f"{len(left)} of {len(wanted)} seats not held in Tessitura"
        return report

    async def _hold_around(
        self, pid: int, code: int, wanted: Mapping[int, str], held: set[int]
    ) -> list[int]:
        """After a refusal that may be about one seat: hold the seats not sold, together, then
        one by one; ``held`` gains what Tessitura held. Returns the seats refused."""
        sold = await sold_seats(self.tessitura, pid, self.policy.writeback.sold_statuses, wanted)
        rest = sorted(set(wanted) - sold)
        if not rest:
            return []
        try:
            held |= await self._send_hold(pid, code, rest)
            return []
        except (TerminalError, ConflictError) as exc:
            if not _seat_refusal(exc):
                raise
        if len(rest) == 1:
            return rest
        refused: list[int] = []
        for seat in rest[:ONE_BY_ONE]:  # one seat the read cannot tell never blocks the others
            try:
                held |= await self._send_hold(pid, code, [seat])
            except (TerminalError, ConflictError) as exc:
                if not _seat_refusal(exc):
                    raise
                refused.append(seat)
        return refused

    async def _send_hold(self, pid: int, code: int, seats: Sequence[int]) -> set[int]:
        hours = self.policy.writeback.hold_hours
        until = self.clock.now() + timedelta(hours=hours) if hours else None
        answer = await self.tessitura.update_seat_holds(
            pid,
            [m.SeatHoldRequest(seat_id=s, hold_code_id=code) for s in seats],
            replace_mode=m.ReplaceMode.BELOW_EXISTING,
            only_affect_available=True,
            hold_until=until,
        )
        return {h.seat_id for h in answer if h.hold_code_id == code}

    def _withdraw(self, pid: int, seats: Iterable[int]) -> None:
        """Forget the claims of a hold Tessitura did not apply (a refreshed layer that was there
        before included: the next pass claims what it finds)."""
        keys = [(pid, s) for s in seats]
        if keys:
            self.store.forget_writeback(keys)

    # -- lift ----------------------------------------------------------------------------------

    async def _lift(self, op: Operation) -> WriteReport:
        """Lift where, read right now, seats.io shows the seat not sold and Tessitura shows the
        bridge's code alone; one attempt (see :meth:`TessituraClient.update_seat_holds`)."""
        assert op.performance_id is not None
        pid, code = op.performance_id, int(op.target)
        key = op.event_keys[0]
        label_of = dict(zip(op.seat_ids, op.labels, strict=True))
        report = WriteReport()
        resold = await self._sold_online(key, op.labels)
        again = [s for s in op.seat_ids if label_of[s] in resold]
        if again:  # sold online again since the read: kept, unless sold at the box office
            sold = await sold_seats(self.tessitura, pid, self.policy.writeback.sold_statuses, again)
            resold = {label_of[s] for s in again if s not in sold}
        seats = [s for s in op.seat_ids if label_of[s] not in resold]
        before = await self._layers(pid, seats) if seats else {}
        # alone: every layer is the bridge's (the planner's reading too, a code listed twice)
        alone = sorted(
            s for s in seats if before.get(s) and {h.hold_code_id for h in before[s]} == {code}
        )
        gone = [s for s in seats if not before.get(s)]
        joined = sorted(s for s in seats if s not in alone and s not in gone)
        if gone:  # the layer went by itself (lapsed, lifted by someone): nothing to lift
            self._withdraw(pid, gone)
        if joined:
            report.findings.append(
                _finding(
                    FindingKind.WRITEBACK_LIFT_WAITS,
                    pid,
                    key,
                    code,
                    [label_of[s] for s in joined],
                    "seats gained another layer since the pass read them: the bridge's "
                    "hold stays until it is alone",
                )
            )
        if resold:
            report.note = f"{len(resold)} seats sold online again since the read: kept"
        if not alone:
            return report
        await self.tessitura.update_seat_holds(
            pid,
            [m.SeatHoldRequest(seat_id=s, hold_code_id=LIFT_ALL) for s in alone],
            replace_mode=m.ReplaceMode.REPLACE_EXISTING,
            only_affect_available=False,
            once=True,
        )
        self._withdraw(pid, alone)
        try:
            after = await self._layers(pid, alone)
        except BridgeError as exc:  # lifted all the same: say that the check could not be made
            log.warning("write-back lift not read again", performance=pid, error=str(exc))
            report.note = f"lifted; the read after the lift failed: {exc}"
            return report
        raced = sorted(s for s in alone if after.get(s))
        if raced:
            codes = sorted({h.hold_code_id for s in raced for h in after[s]})
            report.findings.append(
                _finding(
                    FindingKind.WRITEBACK_RACE,
                    pid,
                    key,
                    code,
                    [label_of[s] for s in raced],
                    f"a layer (hold codes {', '.join(map(str, codes))}) appeared on seats around "
                    "the bridge's lift: kept as it is",
                )
            )
            log.warning("write-back lift raced a new layer", performance=pid, seats=raced)
        return report

    async def _sold_online(self, event_key: str, labels: Sequence[str]) -> set[str]:
        """Which of ``labels`` seats.io shows in a written-back status now."""
        infos = await read_objects(self.seatsio, event_key, sorted(labels))
        statuses = self.policy.writeback.statuses
        return {label for label, info in infos.items() if info.status in statuses}

    async def _layers(self, pid: int, seat_ids: Iterable[int]) -> dict[int, list[SeatHold]]:
        holds = await self.tessitura.seat_holds(pid, seat_ids=seat_ids, include_all_holds=True)
        out: dict[int, list[SeatHold]] = {}
        for h in holds:
            out.setdefault(h.seat_id, []).append(SeatHold(h.seat_id, h.hold_code_id, h.priority))
        return out


def _seat_refusal(exc: BridgeError) -> bool:
    """A refusal that may be about some of the request's seats (sold: 400 ``SeatSold``;
    locked: 409; a seat the performance lacks), not the whole request's (an unknown hold code
    or performance, a malformed request): worth sending again without them."""
    if isinstance(exc, ConflictError):
        return True
    if isinstance(exc, NotFoundError):
        return False
    return not REQUEST_WIDE.intersection(exc.codes)


def _codes(exc: BridgeError) -> str:
    return ", ".join(exc.codes) or (str(exc.status) if exc.status else "refused")


def _finding(
    kind: FindingKind, pid: int, key: str, code: int, labels: list[str], detail: str
) -> Finding:
    return grouped(kind, (pid, key), code, sorted(labels), detail)
