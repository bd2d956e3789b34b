"""Which events' ledgers the bridge vouches for, per bridge status, kept as store notes.

A pass reads only the objects that matter: wanted, owned per the ledger, or in a bridge channel
(the event lists those). An object the bridge put into one of its own statuses is found through
the ledger alone, so a store that was lost or replaced (a restart on a fresh file, an upgrade)
hides it: once Tessitura lifts its hold, nothing reads it, it stays held and the run says
"converged". So an event is read whole for each bridge status (its by-status summary, then one
by-status report for each bridge status the summary counts objects in) until
an applied run saw every object in that status owned by the ledger afterwards (or released by
the run); then it is *vouched* for that status and later passes cost no extra read. A fresh store
has no mark, so every event is listed again. While an object stands that the ledger does not own,
the planner reports it (``unowned_bridge_status``) and the mark stays unset, every pass.

One note per event: ``ledger-vouched/<event key>`` -> ``{"statuses": [...]}``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Iterable, Mapping

import structlog

from bridge.core.applied import ApplyOutcome
from bridge.core.observed import ObservedEvent
from bridge.core.plan_model import OpKind
from bridge.store.base import Notes, StateStore

log = structlog.get_logger("seatbridge.reconcile")

#: Every note key of this module starts so; the event key follows.
PREFIX = "ledger-vouched/"


def vouched(store: Notes, event_keys: Collection[str]) -> dict[str, frozenset[str]]:
    """Event key -> the bridge statuses its ledger is vouched for (none: not listed). One store
    read for all of ``event_keys`` (their common prefix); a note that cannot be read vouches for
    nothing, so the event is listed again."""
    if not event_keys:
        return {}
    wanted = {PREFIX + key: key for key in event_keys}
    out: dict[str, frozenset[str]] = {}
    # character by character is what is meant: the notes' keys are not paths
    for note in store.notes(os.path.commonprefix(sorted(wanted))):  # noqa: RUF071
        key = wanted.get(note.key)
        if key is None:
            continue
        try:
            statuses = json.loads(note.value)["statuses"]
            out[key] = frozenset(str(s) for s in statuses)
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("ledger mark unreadable; listing the event", event_key=key, error=str(exc))
    return out


def to_list(
    store: Notes, event_keys: Iterable[str], bridge_statuses: Collection[str]
) -> dict[str, frozenset[str]]:
    """Per event key, the bridge statuses its ledger is not vouched for: what observe lists."""
    keys = sorted(set(event_keys))
    if not bridge_statuses or not keys:
        return {}
    marks = vouched(store, keys)
    out = {key: frozenset(bridge_statuses) - marks.get(key, frozenset()) for key in keys}
    return {key: statuses for key, statuses in out.items() if statuses}


def not_the_bridges(
    key: str,
    seen: ObservedEvent,
    ledger_after: Mapping[tuple[str, str], object],
    outcome: ApplyOutcome | None,
) -> list[str]:
    """The objects listed on ``key`` in a bridge status that are not the bridge's after an
    applied run: neither owned per the ledger as it stands now nor released by the run (a
    finding stands, a claim failed, a label the planner left undecided). While there is one, the
    event is not vouched for and is listed again next pass."""
    released = {
        label
        for r in (outcome.results if outcome else [])
        if r.state == "done" and r.op.kind is OpKind.RELEASE_STATUS and key in r.op.event_keys
        for label in r.op.labels
    }
    return sorted(
        obj.label
        for obj in seen.objects.values()
        if obj.status in seen.statuses_listed
        and (key, obj.label) not in ledger_after
        and obj.label not in released
    )


def vouch(
    store: Notes, key: str, statuses: Collection[str], bridge_statuses: Collection[str]
) -> None:
    """Mark ``key``'s ledger vouched for ``statuses`` as well as what it was vouched for; a
    status no longer among ``bridge_statuses`` is dropped (listed again should it come back)."""
    had = vouched(store, [key]).get(key, frozenset())
    now = sorted((had | frozenset(statuses)) & frozenset(bridge_statuses))
    if now != sorted(had):
        store.put_note(PREFIX + key, json.dumps({"statuses": now}, separators=(",", ":")))


def vouch_clean(
    store: StateStore,
    observed: Mapping[str, ObservedEvent],
    outcome: ApplyOutcome | None,
    bridge_statuses: Collection[str],
) -> list[str]:
    """After an applied run: mark every listed event whose objects in the listed statuses are
    all the bridge's (see :func:`not_the_bridges`). Returns the event keys marked."""
    listed = sorted(k for k, seen in observed.items() if seen.statuses_listed)
    if not listed:
        return []
    after = store.ledger(listed)
    marked = []
    for key in listed:
        others = not_the_bridges(key, observed[key], after, outcome)
        if others:
            log.info(
                "ledger not vouched for", event_key=key, objects=len(others), labels=others[:5]
            )
            continue
        vouch(store, key, observed[key].statuses_listed, bridge_statuses)
        marked.append(key)
    return marked
