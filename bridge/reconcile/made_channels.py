"""The channels the bridge made, remembered per event in the store (notes ``bridge-channels/<event
key>``): once the bridge has released every seat of one, the ledger no longer names it, yet it is
still the bridge's. A channel key renamed with its name kept can then rename that channel out of
the way (seats.io keeps names unique per event); a partner's channel, which the bridge never
made, never is."""

from __future__ import annotations

import json
from collections.abc import Iterable

import structlog

from bridge.core.plan_model import Operation, OpKind
from bridge.store.base import Notes

log = structlog.get_logger("seatbridge.reconcile")

NOTE_PREFIX = "bridge-channels/"


def remember(store: Notes, ops: Iterable[Operation]) -> None:
    """Note the channels that ``ops`` (done) made."""
    for op in ops:
        if op.kind is not OpKind.CREATE_CHANNEL:
            continue
        for key in op.event_keys:
            known = _read(store, key)
            if op.target not in known:
                value = json.dumps(sorted(known | {op.target}))
                store.put_note(f"{NOTE_PREFIX}{key}", value)


def made(store: Notes, event_keys: Iterable[str]) -> frozenset[tuple[str, str]]:
    """(event key, channel key) of every channel the bridge made on these events."""
    return frozenset((key, channel) for key in event_keys for channel in _read(store, key))


def _read(store: Notes, key: str) -> set[str]:
    note_key = f"{NOTE_PREFIX}{key}"
    for note in store.notes(note_key):
        if note.key != note_key:
            continue  # perf-2010 under perf-201's prefix
        try:
            value = json.loads(note.value)
            if isinstance(value, list) and all(isinstance(c, str) for c in value):
                return set(value)
        except ValueError:
            pass
        log.warning("unreadable note of the channels the bridge made", note=note.key)
    return set()
