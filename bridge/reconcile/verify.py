"""After apply: objects a buyer booked between observe and apply, which the run then touched.

Status writes are guarded by ``allowedPreviousStatuses``, but channel moves and for-sale edits are
not: seats.io puts a booked object into a channel as readily as a free one. So the run re-reads the
objects it moved into a bridge channel or marked not for sale; a booked one is reported, and moved
back out of the bridge channel on a standalone event. On a season it stays: the season's channel
holds the seat in every other performance, where Tessitura may still hold it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence

from bridge.core.applied import OpResult
from bridge.core.findings import EXAMPLES, Finding, FindingKind
from bridge.core.observed import FREE
from bridge.core.plan_model import Operation, OpKind, Plan
from bridge.reconcile.observe import read_objects
from bridge.seatsio.client import SeatsioClient

#: Kinds that change an object without asking seats.io what its status is.
UNGUARDED = frozenset(
    {
        OpKind.CREATE_CHANNEL,
        OpKind.ADD_TO_CHANNEL,
        OpKind.REPLACE_CHANNELS,
        OpKind.MARK_NOT_FOR_SALE,
    }
)


def _moved_in(op: Operation) -> dict[str, str]:
    """Label -> the bridge channel ``op`` put it in ("" for a not-for-sale mark)."""
    if op.kind is OpKind.MARK_NOT_FOR_SALE:
        return dict.fromkeys(op.labels, "")
    if op.kind is OpKind.REPLACE_CHANNELS:
        moved = set(op.labels)
        return {lbl: spec.key for spec, labels in op.channels for lbl in labels if lbl in moved}
    return dict.fromkeys(op.labels, op.target)


async def booked_during_run(
    results: Sequence[OpResult],
    seatsio: SeatsioClient,
    bridge_statuses: Collection[str],
    seasons: Collection[str],
) -> tuple[list[Finding], Plan]:
    """Findings for touched objects that are no longer free, and the plan that takes those the
    run put into a channel of a standalone event back out (its ledger claims go with it)."""
    touched: dict[str, dict[str, str]] = defaultdict(dict)
    for result in results:
        if result.state not in ("done", "unknown") or result.op.kind not in UNGUARDED:
            continue
        for key in result.op.event_keys:
            touched[key].update(_moved_in(result.op))
    findings: list[Finding] = []
    removals: list[Operation] = []
    for key in sorted(touched):
        infos = await read_objects(seatsio, key, sorted(touched[key]))
        taken = sorted(
            label
            for label, info in infos.items()
            if (info.status or FREE) != FREE and info.status not in bridge_statuses
        )
        if not taken:
            continue
        findings.append(
            Finding(
                FindingKind.BOOKED_DURING_RUN,
                event_key=key,
                labels=tuple(taken[:EXAMPLES]),
                count=len(taken),
                detail=f"{len(taken)} objects were booked while this run held them; "
                + ("reported (season channels stay)" if key in seasons else "moved back out"),
            )
        )
        if key in seasons:
            continue
        by_channel: dict[str, list[str]] = defaultdict(list)
        for label in taken:
            channel = touched[key][label]
            if channel and infos[label].channel in (channel, None):
                by_channel[channel].append(label)
        for channel, labels in sorted(by_channel.items()):
            removals.append(
                Operation(OpKind.REMOVE_FROM_CHANNEL, (key,), tuple(sorted(labels)), channel)
            )
    return findings, Plan(operations=tuple(removals))
