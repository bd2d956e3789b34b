"""Kept reads of events' objects, as store notes, and one pass's use of them.

See :mod:`bridge.core.freshness` for when a kept read may stand in for a full read. One note per
event: ``kept-read/<event key>`` -> ``{"cursor", "read_at", "digest", "labels", "objects"}``,
``objects`` being ``{label: [status, channel, for_sale]}``. A note that cannot be read is no kept
read: the event is read in full. Kept reads are saved only by a pass that applied and wrote
nothing to seats.io; a pass that wrote drops its events' (its own writes made them stale).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import structlog

from bridge.core.freshness import (
    FEED_UNREAD,
    KeptRead,
    SeenObject,
    why_not_keep,
    why_read_again,
)
from bridge.seatsio.models import Event
from bridge.store.base import Notes
from bridge.timestamps import aware

log = structlog.get_logger("seatbridge.reconcile")

#: Every note key of this module starts so; the event key follows.
PREFIX = "kept-read/"


def digest(event: Event) -> str:
    """What of an event a kept read depends on besides statuses: its channels (members
    included) and its for-sale config."""
    text = json.dumps(
        [
            [c.model_dump(mode="json") for c in event.channels],
            None
            if event.for_sale_config is None
            else event.for_sale_config.model_dump(mode="json"),
        ],
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def load(store: Notes, keys: Iterable[str]) -> dict[str, KeptRead]:
    """The kept read of each of ``keys`` that has a readable one."""
    out: dict[str, KeptRead] = {}
    for key in sorted(set(keys)):
        for note in store.notes(PREFIX + key):
            if note.key != PREFIX + key:
                continue  # a longer key with this one as its prefix
            try:
                out[key] = _decoded(key, note.value)
            except (ValueError, TypeError, KeyError, IndexError) as exc:
                log.warning("kept read unreadable; reading in full", event_key=key, error=str(exc))
    return out


def save(store: Notes, reads: Iterable[KeptRead]) -> None:
    for read in reads:
        store.put_note(PREFIX + read.key, _encoded(read))


def drop(store: Notes, keys: Iterable[str]) -> None:
    for key in sorted(set(keys)):
        store.delete_note(PREFIX + key)


def sweep(store: Notes, max_age_s: float) -> None:
    """Drop the kept reads too old to stand in for anything (an event that left the schedule
    is never read again: its note would stay for good), by the clock that dated the notes."""
    store.delete_notes_older_than(PREFIX, max_age_s)


def _encoded(read: KeptRead) -> str:
    return json.dumps(
        {
            "cursor": read.cursor,
            "read_at": read.read_at.isoformat(),
            "digest": read.digest,
            "labels": sorted(read.labels),
            "objects": {label: list(seen) for label, seen in read.objects.items()},
        },
        separators=(",", ":"),
    )


def _decoded(key: str, text: str) -> KeptRead:
    """The note's kept read; ValueError for anything but exactly what :func:`_encoded` writes."""
    raw = json.loads(text)
    if not isinstance(raw, dict):
        raise ValueError("not an object")
    cursor, digest_text, labels, objects = (
        raw["cursor"],
        raw["digest"],
        raw["labels"],
        raw["objects"],
    )
    if cursor is not None and (type(cursor) is not int or cursor < 0):
        raise ValueError(f"cursor {cursor!r} is not a change id")
    if not isinstance(digest_text, str) or not isinstance(raw["read_at"], str):
        raise ValueError("digest or read_at is not text")
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise ValueError("labels are not a list of text")
    if not isinstance(objects, dict):
        raise ValueError("objects are not an object")
    seen = {}
    for label, row in objects.items():
        if not (isinstance(row, list) and len(row) == 3):
            raise ValueError(f"object {label!r} is malformed")
        status, channel, for_sale = row
        if not (
            (status is None or isinstance(status, str))
            and (channel is None or isinstance(channel, str))
            and (for_sale is None or isinstance(for_sale, bool))
        ):
            raise ValueError(f"object {label!r} is malformed")
        seen[label] = SeenObject(status, channel, for_sale)
    return KeptRead(
        key=key,
        cursor=cursor,
        read_at=aware(raw["read_at"]),
        digest=digest_text,
        labels=frozenset(labels),
        objects=seen,
    )


@dataclass
class KeptReads:
    """One read of a unit's events: the kept reads it may stand on, and the full reads it made.

    ``heads``: each event's newest status-change id as read this time (kept across the second
    observe of :meth:`~bridge.reconcile.run.Reconciler.read_unit`, which reads everything in
    full: the cursor must be one read before the objects). ``full``: read every event in full."""

    stored: dict[str, KeptRead]
    now: datetime
    max_age_s: float
    #: where the kept reads of events found on the way (a season's) are looked up
    store: Notes | None = None
    full: bool = False
    heads: dict[str, int | None] = field(default_factory=dict)
    #: event key -> its full read this time, to keep once the pass has written nothing
    fresh: dict[str, KeptRead] = field(default_factory=dict)
    #: event keys whose kept read stood in for a full read this time
    reused: set[str] = field(default_factory=set)
    #: event keys read in full this time whose read may not be kept: their old one goes too
    unkept: set[str] = field(default_factory=set)

    def why_read(self, key: str, digest_now: str, wanted: Iterable[str]) -> str | None:
        """None when the kept read of ``key`` stands in for a full read now (see
        :func:`~bridge.core.freshness.why_read_again`)."""
        if self.full:
            return "read in full"
        if key not in self.stored and self.store is not None:
            self.stored.update(load(self.store, [key]))
        return why_read_again(
            self.stored.get(key),
            head=self.heads.get(key, FEED_UNREAD),
            digest=digest_now,
            wanted=frozenset(wanted),
            now=self.now,
            max_age_s=self.max_age_s,
        )

    def objects(self, key: str, labels: Iterable[str]) -> dict[str, SeenObject]:
        kept = self.stored[key].objects
        return {label: kept[label] for label in labels if label in kept}

    def keep(
        self, key: str, digest_now: str, labels: Iterable[str], objects: Mapping[str, SeenObject]
    ) -> None:
        """Note a full read of ``key``, to keep if the pass writes nothing; not when its feed
        was unread (no cursor to stand on), nor when it may change unseen (see
        :func:`~bridge.core.freshness.why_not_keep`)."""
        head, asked = self.heads.get(key, FEED_UNREAD), frozenset(labels)
        if head == FEED_UNREAD or why_not_keep(asked, objects):
            self.unkept.add(key)
            self.fresh.pop(key, None)
            return
        self.unkept.discard(key)
        self.fresh[key] = KeptRead(key, head, self.now, digest_now, asked, dict(objects))
