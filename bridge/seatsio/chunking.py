"""Splitting requests that carry objects so that none carries more than a set maximum.

seats.io documents no maximum; the bridge sets one so a huge venue never produces one huge request.
Splitting is deterministic: parts follow the caller's order and are filled greedily, so the same input
always yields the same requests. It costs atomicity *across* parts only: a multi-event status change
split in two is all-or-nothing within each part, and a failure after the first part leaves the first
part applied (the next reconcile sees and finishes it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import quote_plus

from bridge.seatsio.requests import ForSaleEdit, ObjectRef, StatusChangeRequest

T = TypeVar("T")
#: Characters a query keeps as they are (quote_plus's safe set): such a label encodes to itself.
_PLAIN = re.compile(r"[A-Za-z0-9_.~-]*")


@dataclass(frozen=True, slots=True)
class SplitLimits:
    """Most objects per write request; most labels per object-info read, and most bytes of its
    query string once encoded. The query is what bounds a read: proxies commonly refuse a request
    line over 8 KiB, and a count alone lets long labels (``Grand Tier Left-AA-101``) past it
    while holding short ones (``A-1``) to a fraction of it."""

    objects_per_request: int = 1000
    labels_per_read: int = 1000
    query_bytes_per_read: int = 7000

    def __post_init__(self) -> None:
        if min(self.objects_per_request, self.labels_per_read, self.query_bytes_per_read) < 1:
            raise ValueError(f"split limits must be at least 1, got {self}")


def chunked(items: Sequence[T], size: int) -> list[Sequence[T]]:
    """Consecutive slices of at most ``size`` items; one empty slice for an empty input."""
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, got {size}")
    if not items:
        return [items]
    return [items[i : i + size] for i in range(0, len(items), size)]


def label_reads(labels: Sequence[str], limits: SplitLimits) -> list[Sequence[str]]:
    """Consecutive slices of ``labels``, one object-info read each: at most
    ``labels_per_read`` labels and ``query_bytes_per_read`` bytes of ``label=...&`` query (a
    label longer than that alone still gets a read of its own)."""
    reads: list[Sequence[str]] = []
    start, used = 0, 0
    for i, label in enumerate(labels):
        size = (len(label) if _PLAIN.fullmatch(label) else len(quote_plus(label))) + 7  # label=&
        if i > start and (
            i - start >= limits.labels_per_read or used + size > limits.query_bytes_per_read
        ):
            reads.append(labels[start:i])
            start, used = i, 0
        used += size
    reads.append(labels[start:])
    return reads


def split_status_change(change: StatusChangeRequest, size: int) -> list[StatusChangeRequest]:
    """The change for every event, once per slice of its objects."""
    return [change.with_objects(part) for part in chunked(change.objects, size)]


def pack_batch(
    changes: Sequence[StatusChangeRequest], size: int
) -> list[list[tuple[int, StatusChangeRequest]]]:
    """Batch items packed into requests of at most ``size`` objects, tagged with their input index.

    Items keep their order (seats.io applies a batch in order), an oversized item is split across
    requests, several small items share one request, and items without objects are dropped.
    """
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, got {size}")
    requests: list[list[tuple[int, StatusChangeRequest]]] = []
    current: list[tuple[int, StatusChangeRequest]] = []
    room = size
    for index, change in enumerate(changes):
        objects: Sequence[ObjectRef] = change.objects
        while objects:
            if room == 0:
                requests.append(current)
                current, room = [], size
            take = objects[:room]
            current.append((index, change.with_objects(take)))
            objects = objects[len(take) :]
            room -= len(take)
    if current:
        requests.append(current)
    return requests


def split_for_sale(edits: Mapping[str, ForSaleEdit], size: int) -> list[dict[str, ForSaleEdit]]:
    """Per-event edits packed into requests of at most ``size`` objects, events in given order.

    Within an event, places marked for sale go before places marked not for sale.
    """
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, got {size}")
    requests: list[dict[str, ForSaleEdit]] = []
    current: dict[str, tuple[list[ObjectRef], list[ObjectRef]]] = {}
    room = size

    def flush() -> None:
        nonlocal current, room
        if current:
            requests.append({k: ForSaleEdit(tuple(f), tuple(n)) for k, (f, n) in current.items()})
        current, room = {}, size

    for event_key, edit in edits.items():
        tagged = [(True, o) for o in edit.for_sale] + [(False, o) for o in edit.not_for_sale]
        if not tagged:
            continue
        for for_sale, ref in tagged:
            if room == 0:
                flush()
            lists = current.setdefault(event_key, ([], []))
            (lists[0] if for_sale else lists[1]).append(ref)
            room -= 1
    flush()
    return requests
