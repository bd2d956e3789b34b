"""Run a plan through the seats.io client, journaling each operation and keeping the ledger.

Crash safety comes from the order of writes (see
:func:`bridge.core.ledger_rules.ledger_writes`): claims are written *before* the call
(write-ahead), forgets only after it succeeded. A crash or an
unknown outcome therefore leaves the ledger claiming at most what may have happened; the next run
re-observes and either confirms the claim or forgets it (LEDGER_FORGET), with no side effect twice.

After a refused operation, the follow-ups that come after it in the same plan (lifts, ledger claims,
a channel replace that takes objects out) are skipped for the objects it touched: a hold is never
lifted when the step that was to replace it did not happen. Objects are matched by label across the
whole plan, which is one unit (a performance, or a season with all its events), so a failure on a
season also stops lifts of those seats on its events. After an unknown outcome every later seats.io
call of the plan is skipped; the next run re-observes. Both rules are
:class:`bridge.core.apply_rules.ApplyRules`, which the simulation shares.

A status change on several events (a season ticket: one hold code on the same seats in every
performance) goes out as one multi-event call, which seats.io applies all or nothing. When seats.io
refuses it, nothing landed on any event: the step's write-ahead claims are withdrawn, and the error
names the event that refused when seats.io's answer names one of the call's events, else every
event of the call (:class:`StepShape`). A refusal after an attempt whose outcome is unknown is not a
refusal but an unknown outcome (:mod:`bridge.seatsio.connection`), so a withdrawn claim is never
one that landed. A call the client split for size (``max_objects_per_request``) is all or nothing
within each request only: its result carries a note saying so, and a refusal keeps its claims (an
earlier request may have landed). Other refused calls keep their claims too. Claims seats.io does
not show are forgotten by the next plan (LEDGER_FORGET).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

import structlog

from bridge.clock import SYSTEM, Clock
from bridge.core.applied import ApplyOutcome, OpResult
from bridge.core.apply_rules import ApplyRules, Outcome
from bridge.core.ledger_rules import LedgerWrites, ledger_writes, same_claim
from bridge.core.plan_model import Operation, OpKind, Plan
from bridge.domain import LedgerEntry
from bridge.errors import (
    BridgeError,
    ConfigError,
    ConflictError,
    ForSaleLimitError,
    RateLimitedError,
    TerminalError,
)
from bridge.http import WriteFencedError
from bridge.mapping.model import ChannelSpec
from bridge.reconcile.made_channels import remember as remember_made
from bridge.reconcile.writeback import WriteReport
from bridge.seatsio.client import SeatsioClient
from bridge.seatsio.requests import ChannelSpec as WireChannel
from bridge.seatsio.requests import ForSaleEdit, StatusChangeOptions, StatusChangeRequest
from bridge.store.base import ForSaleBudget, Journal, Ledger, Notes, OpState, RunMode

log = structlog.get_logger("seatbridge.apply")


#: Sends one Tessitura write-back operation (see :mod:`bridge.reconcile.writeback`).
TessituraSend = Callable[[Operation], Awaitable[WriteReport]]


class ApplyStore(Ledger, Journal, ForSaleBudget, Notes, Protocol):
    """What applying a plan writes: ledger claims and forgets, the journal, spent for-sale edits,
    the channels it made (:mod:`bridge.reconcile.made_channels`)."""


@dataclass(frozen=True, slots=True)
class StepShape:
    """How a status step goes out: the events of its call and how many requests it takes."""

    events: tuple[str, ...]
    requests: int
    limit: int

    @property
    def split(self) -> bool:
        return self.requests > 1

    @property
    def note(self) -> str | None:
        if not self.split:
            return None
        return (
            f"split into {self.requests} requests of at most {self.limit} objects: "
            "not all-or-nothing across requests"
        )

    def named_in(self, exc: BaseException) -> list[str]:
        """The call's events that seats.io's answer names (e.g. EVENT_NOT_FOUND's key)."""
        text = exc.body if isinstance(exc, BridgeError) and exc.body else str(exc)
        return [
            key for key in self.events if re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", text)
        ]

    def refusal(self, exc: BaseException) -> str:
        """What a refusal of this step means: which event refused, and what landed."""
        parts: list[str] = []
        if len(self.events) > 1:
            named = self.named_in(exc)
            if named:
                parts.append(f"refused by event {', '.join(named)}")
            else:
                parts.append(
                    f"seats.io does not say which of the events {', '.join(self.events)} refused"
                )
        if self.split:
            parts.append(f"{self.note}; requests before the refused one may have landed")
        elif len(self.events) > 1:
            parts.append("all or nothing: applied to none of the events")
        return "; ".join(parts)


#: Kinds whose consecutive operations go out as one call: status changes as one batch (one
#: transaction), for-sale edits as one multi-event edit.
BATCHED = frozenset(
    {OpKind.CHANGE_STATUS, OpKind.RELEASE_STATUS, OpKind.MARK_NOT_FOR_SALE, OpKind.MARK_FOR_SALE}
)


def steps(operations: Sequence[Operation]) -> list[list[tuple[int, Operation]]]:
    """The plan cut into calls: a run of consecutive operations of one batched kind is one step,
    so are consecutive channel creations on one event; any other operation is a step of its
    own. Plan order is kept."""
    out: list[list[tuple[int, Operation]]] = []
    for index, op in enumerate(operations):
        if out and _joins(out[-1][-1][1], op):
            out[-1].append((index, op))
        else:
            out.append([(index, op)])
    return out


def _joins(previous: Operation, op: Operation) -> bool:
    """Whether ``op`` goes out in the same call as ``previous``: a batched kind, or a channel
    created on the same one event (seats.io adds a list of channels in one call, all or none)."""
    if op.kind is not previous.kind:
        return False
    if op.kind in BATCHED:
        return True
    return (
        op.kind is OpKind.CREATE_CHANNEL
        and len(op.event_keys) == 1
        and op.event_keys == previous.event_keys
    )


async def apply_plan(
    plan: Plan,
    seatsio: SeatsioClient,
    store: ApplyStore,
    *,
    performance_ids: tuple[int, ...] = (),
    before_step: Callable[[], None] | None = None,
    send_batched: Callable[[Sequence[Operation]], Awaitable[None]] | None = None,
    clock: Clock = SYSTEM,
    tessitura: TessituraSend | None = None,
) -> ApplyOutcome:
    """Apply ``plan`` in order; never raises for one operation's failure (CredentialsError and
    other ConfigErrors do raise: nothing else can succeed either).

    ``before_step`` is called before each step (before its journal entry and seats.io call); what
    it raises (e.g. the run's lease was lost) stops the plan there and propagates. A write that
    the task's fence stops (:class:`bridge.http.WriteFencedError`: the lease was lost between
    step and attempt, or during a retry's wait) was not sent: its step fails as not sent (its
    claims withdrawn where the step is one request), every later step is skipped, and the plan
    ends there; the caller's lease check says why.
    ``send_batched`` sends a status or for-sale step in place of :func:`send`, raising what it
    would (:class:`bridge.reconcile.merge.WriteMerger`: with other units' steps). ``clock``
    dates a spent daily for-sale budget (the journal rows take the store's own clock).
    ``tessitura`` sends the Tessitura kinds (the write-back, :class:`TessituraWriter`); without
    it they are skipped, never sent to seats.io."""
    run_id = store.begin_run(performance_ids, RunMode.APPLY, json.dumps(plan.to_json()))
    outcome = ApplyOutcome(run_id=run_id)
    ledger: dict[tuple[str, str], LedgerEntry] = dict(store.ledger(_keys(plan)))
    rules = ApplyRules()  # skip follow-ups after a refusal, seats.io calls after an unknown
    fenced_off: str | None = None  # why no more writes may go out (a fence refused one)
    for step in steps(plan.operations):
        if fenced_off is not None:
            outcome.results.extend(OpResult(op, "skipped", fenced_off) for _, op in step)
            continue
        if before_step is not None:
            before_step()
        live: list[tuple[int, Operation, LedgerWrites]] = []
        for index, op in step:
            decision = rules.decide(op)
            if not decision.run:
                outcome.results.append(OpResult(op, "skipped", decision.skip))
                continue
            writes = ledger_writes(op, ledger)
            store.op_started(run_id, index, json.dumps(op.to_json()))
            if writes.claim_before:
                store.claim(writes.claim_before)
                ledger.update({(e.event_key, e.label): e for e in writes.claim_before})
            live.append((index, op, writes))
        if not live:
            continue
        ops = [op for _, op, _ in live]
        shape: StepShape | None = None
        notes: dict[int, str] = {}
        try:
            shape = step_shape(ops, seatsio)
            if ops[0].kind.is_tessitura:
                if tessitura is None:
                    raise TerminalError("no Tessitura writer in this run: not sent")
                for op in ops:
                    report = await tessitura(op)
                    outcome.findings.extend(report.findings)
                    if report.note:
                        notes[id(op)] = report.note
            elif send_batched is not None and ops[0].kind in BATCHED:
                await send_batched(ops)
            else:
                await send(ops, seatsio, store)
        except WriteFencedError as exc:
            # stopped before it left: not sent (an earlier request of a split step may have
            # landed, so only a one-request step's claims go), and nothing after it goes out
            error = f"not sent: {exc}"
            if shape is not None and not shape.split:
                for _, _, writes in live:
                    _forget(store, ledger, writes.claim_before)
            for index, op, _ in live:
                store.op_finished(run_id, index, OpState.FAILED, error)
                outcome.results.append(OpResult(op, "failed", error, exc))
            fenced_off = f"not sent: an earlier write was stopped: {exc}"
            log.warning("write fenced off", kinds=_kinds(ops), error=str(exc))
            continue
        except ConfigError:
            for index, _, _ in live:
                store.op_finished(run_id, index, OpState.FAILED, "configuration or credentials")
            store.finish_run(run_id, json.dumps({"aborted": "configuration or credentials"}))
            raise
        except (ConflictError, TerminalError, RateLimitedError) as exc:
            # seats.io refused (a 429 is a refusal too). Claims stay: an earlier part may have landed.
            # Only the identified daily for-sale limit spends the budget; any other 429 (a
            # concurrency refusal whose retries ran out) is a failed call and records nothing.
            if isinstance(exc, ForSaleLimitError):
                _budget_spent(store, ops, exc, clock)
            error = str(exc)
            if shape is not None:
                if meaning := shape.refusal(exc):
                    error = f"{error}; {meaning}"
                if not shape.split:  # one request, refused: it applied nowhere
                    for _, _, writes in live:
                        _forget(store, ledger, writes.claim_before)
            note = shape.note if shape is not None else None
            for index, op, _ in live:
                store.op_finished(run_id, index, OpState.FAILED, error)
                outcome.results.append(OpResult(op, "failed", error, exc, note))
            rules.record(ops, Outcome.REFUSED)
            log.warning("operation refused", kinds=_kinds(ops), error=error)
            continue
        except BridgeError as exc:
            # Unknown outcome (timeout after sending, 5xx, retries exhausted): keep the claims,
            # stop calling seats.io for this plan; the next run re-observes.
            note = shape.note if shape is not None else None
            for index, op, _ in live:
                store.op_finished(run_id, index, OpState.UNKNOWN, str(exc))
                outcome.results.append(OpResult(op, "unknown", str(exc), exc, note))
            rules.record(ops, Outcome.UNKNOWN)
            log.warning("operation outcome unknown", kinds=_kinds(ops), error=str(exc))
            continue
        for index, op, writes in live:
            if writes.claim_after:
                store.claim(writes.claim_after)
                ledger.update({(e.event_key, e.label): e for e in writes.claim_after})
            _forget(store, ledger, writes.forget_after)
            store.op_finished(run_id, index, OpState.DONE)
            note = notes.get(id(op)) or (shape.note if shape else None)
            outcome.results.append(OpResult(op, "done", note=note))
        if shape is not None and shape.split:
            log.warning("status change split", kinds=_kinds(ops), note=shape.note)
        rules.record(ops, Outcome.DONE)
        remember_made(store, ops)
    store.finish_run(
        run_id,
        json.dumps({s: outcome.count(s) for s in ("done", "failed", "unknown", "skipped")}),
    )
    return outcome


def _status_changes(ops: Sequence[Operation]) -> tuple[bool, list[StatusChangeRequest]]:
    """A status step's changes, and whether it is one multi-event change (else a batch)."""
    if len(ops) == 1:  # one change, its events all or nothing
        return True, [_status_request(ops[0], ops[0].event_keys)]
    # independent changes, one transaction, in order
    return False, [_status_request(op, (key,)) for op in ops for key in op.event_keys]


def step_shape(ops: Sequence[Operation], seatsio: SeatsioClient) -> StepShape | None:
    """How a status step goes out (None for other kinds); raises what :func:`send` would for a
    change it refuses to send."""
    if ops[0].kind not in (OpKind.CHANGE_STATUS, OpKind.RELEASE_STATUS):
        return None
    single, changes = _status_changes(ops)
    statuses = seatsio.statuses
    requests = statuses.requests_for(changes[0]) if single else statuses.batch_requests_for(changes)
    events = tuple(sorted({key for op in ops for key in op.event_keys}))
    return StepShape(events, requests, statuses.objects_per_request)


async def send(ops: Sequence[Operation], seatsio: SeatsioClient, store: ForSaleBudget) -> None:
    """One step as one seats.io call (ledger kinds call nothing)."""
    kind = ops[0].kind
    if kind in (OpKind.CHANGE_STATUS, OpKind.RELEASE_STATUS):
        single, changes = _status_changes(ops)
        if single:
            await seatsio.statuses.change(changes[0], expand=False)
        else:
            await seatsio.statuses.change_in_batch(changes, expand=False)
    elif kind in (OpKind.MARK_NOT_FOR_SALE, OpKind.MARK_FOR_SALE):
        restricting = kind is OpKind.MARK_NOT_FOR_SALE
        edits = {
            key: ForSaleEdit.of(not_for_sale=op.labels)
            if restricting
            else ForSaleEdit.of(op.labels)
            for op in ops
            for key in op.event_keys
        }
        if len(edits) == 1:
            ((key, edit),) = edits.items()
            result = await seatsio.for_sale.edit(key, edit)
            results = {key: result} if result is not None else {}
        else:
            results = dict(await seatsio.for_sale.edit_for_events(edits))
        if restricting:
            for key in edits:
                info = results[key].rate_limit_info if key in results else None
                store.record_for_sale_call(
                    key,
                    remaining=info.rate_limit_remaining_calls if info else None,
                    resets_at=info.rate_limit_reset_date if info else None,
                )
    elif len(ops) > 1:  # channels created on one event (see _joins)
        channels = [_wire(op.channel, list(op.labels)) for op in ops if op.channel is not None]
        await seatsio.channels.add_many(ops[0].event_keys[0], channels)
    else:
        await _channel_call(ops[0], seatsio)


def _status_request(op: Operation, events: Sequence[str]) -> StatusChangeRequest:
    """Back-office writes: past any channel, extra data kept, and only from the status seen.

    seats.io applies an unguarded status change over anything, a sale included, so a status
    operation without ``allowed_previous`` (a hand-edited saved plan, say) is refused here."""
    if not op.allowed_previous:
        raise TerminalError(
            f"{op.kind.value} on {', '.join(events)} has no allowed previous status; "
            "an unguarded status change could overwrite a sale, so it is not sent"
        )
    guard: StatusChangeOptions = {
        "allowed_previous_statuses": op.allowed_previous,
        "ignore_channels": True,
        "keep_extra_data": True,
    }
    if op.kind is OpKind.CHANGE_STATUS:
        return StatusChangeRequest.change_to(op.target, events, op.labels, **guard)
    return StatusChangeRequest.release(events, op.labels, **guard)


async def _channel_call(op: Operation, seatsio: SeatsioClient) -> None:
    kind = op.kind
    labels = list(op.labels)
    if kind is OpKind.CREATE_CHANNEL:
        assert op.channel is not None
        for key in op.event_keys:
            await seatsio.channels.add(key, _wire(op.channel, labels))
    elif kind is OpKind.UPDATE_CHANNEL:
        assert op.channel is not None
        for key in op.event_keys:
            await seatsio.channels.update(
                key, op.channel.key, name=op.channel.name, color=op.channel.color
            )
    elif kind is OpKind.ADD_TO_CHANNEL:
        for key in op.event_keys:
            await seatsio.channels.add_objects(key, op.target, labels)
    elif kind is OpKind.REMOVE_FROM_CHANNEL:
        for key in op.event_keys:
            await seatsio.channels.remove_objects(key, op.target, labels)
    elif kind is OpKind.REPLACE_CHANNELS:
        for key in op.event_keys:
            await seatsio.channels.replace(
                key, [_wire(spec, list(objects)) for spec, objects in op.channels]
            )


def _kinds(ops: Sequence[Operation]) -> str:
    return ",".join(sorted({op.kind.value for op in ops}))


def _wire(spec: ChannelSpec, objects: list[str]) -> WireChannel:
    return WireChannel(
        key=spec.key, name=spec.name, color=spec.color, index=spec.index, objects=tuple(objects)
    )


def _keys(plan: Plan) -> list[str]:
    return sorted({k for op in plan.operations for k in op.event_keys})


def _forget(
    store: Ledger,
    ledger: dict[tuple[str, str], LedgerEntry],
    entries: tuple[LedgerEntry, ...],
) -> None:
    """Drop entries that still say what ``entries`` say (never a newer claim)."""
    gone = [
        (e.event_key, e.label)
        for e in entries
        if (current := ledger.get((e.event_key, e.label))) is not None and same_claim(current, e)
    ]
    if gone:
        store.forget(gone)
        for key in gone:
            ledger.pop(key, None)


def _budget_spent(
    store: ForSaleBudget, ops: Sequence[Operation], exc: ForSaleLimitError, clock: Clock
) -> None:
    """seats.io says the day's restricting for-sale edits are used up: remember it until reset.

    Only for :class:`ForSaleLimitError`, the 429 the client positively identified as that limit;
    a multi-event edit does not say which event ran out, so every event of the call is recorded.
    """
    if not isinstance(exc, ForSaleLimitError) or ops[0].kind is not OpKind.MARK_NOT_FOR_SALE:
        return
    now = clock.now()
    resets = now + timedelta(seconds=exc.retry_after) if exc.retry_after else None
    for key in {k for op in ops for k in op.event_keys}:
        store.record_for_sale_call(key, now=now, remaining=0, resets_at=resets)
