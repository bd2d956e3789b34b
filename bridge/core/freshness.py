"""When a pass may stand on what an earlier full read of an event found, and not read it again.

A full read of an event's objects is the bulk of a converged pass (object infos of every seat
that matters). seats.io's status-change feed is cheap to ask "anything since change N?": one
item, newest first. A kept read stands in for a full read only while all of these hold:

- the feed's newest change is the one that was newest just *before* the kept read (ids rise in
  the order changes are made, so anything made after the read has a higher id; a change the
  feed shows late, out of order, was made before a later one and so before the read: the read
  saw it);
- the event's channels and for-sale config are as they were (a digest of both);
- the kept read covered every label the pass needs now;
- it is younger than the full-read cadence, and not from the future (a clock stepped back).

The feed is seconds behind: a change by someone else made in those seconds is seen a pass
later. That is why a kept read only ever proves *nothing to do*: a plan with any operation is
made again from a full read (:meth:`bridge.reconcile.run.Reconciler.read_unit`), and a pass that
wrote drops its events' kept reads. A conditional status write still refuses a sale of the last
seconds, as it always did.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final, NamedTuple


class SeenObject(NamedTuple):
    """One object as a read of its event found it: what the planner's view is built from."""

    status: str | None
    channel: str | None
    for_sale: bool | None


#: the feed could not be read: nothing is known of what changed
FEED_UNREAD: Final = -1

#: seats.io's status of an object in a buyer's cart: the hold token lapses at its expiry and the
#: object is free again, whether or not (and whenever) the feed lists that
HELD_BY_TOKEN: Final = "reservedByToken"


@dataclass(frozen=True, slots=True)
class KeptRead:
    """What one full read of an event found, and what it stands on.

    ``cursor``: the id of the feed's newest status change, read before the objects (None: the
    feed was empty). ``labels``: every label asked for; ``objects``: those the event has."""

    key: str
    cursor: int | None
    read_at: datetime
    digest: str
    labels: frozenset[str]
    objects: Mapping[str, SeenObject]


def why_not_keep(labels: Collection[str], objects: Mapping[str, SeenObject]) -> str | None:
    """None when a full read may be kept; else why not. A read is kept only where everything
    that could change it shows in the feed or the digest: not while an object sits in a cart
    (its token lapses silently), nor while a label asked for is not on the chart (a chart
    published again adds objects, and that shows in neither)."""
    if any(seen.status == HELD_BY_TOKEN for seen in objects.values()):
        return "an object held by a token"
    if any(label not in objects for label in labels):
        return "a label not on the chart"
    return None


def why_read_again(
    kept: KeptRead | None,
    *,
    head: int | None,
    digest: str,
    wanted: Collection[str],
    now: datetime,
    max_age_s: float,
) -> str | None:
    """None when ``kept`` may stand in for a full read of its event now; else why not, in a few
    words. ``head``: the feed's newest change id now (None: empty; :data:`FEED_UNREAD`: its read
    failed)."""
    if kept is None:
        return "no kept read"
    if head == FEED_UNREAD:
        return "status changes unread"
    if head != kept.cursor:
        return "status changed"
    if digest != kept.digest:
        return "channels or for-sale config changed"
    if not kept.labels.issuperset(wanted):
        return "new labels to read"
    age_s = (now - kept.read_at).total_seconds()
    if age_s < 0:
        return "read in the future (clock stepped back)"
    if age_s >= max_age_s:
        return "full read due"
    return None
