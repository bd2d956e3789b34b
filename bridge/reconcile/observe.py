"""Read what seats.io shows for the events and seasons a plan will compare against.

Few calls: one retrieve per event or season, then the status of only the objects that matter
(wanted, owned, or sitting in a bridge channel), by object infos when they are few and by one
``byLabel`` report when they are many. A season's object is as free as the least free of the
season and its events: a seat booked in any one performance is not free for a season hold.

An event whose ledger the bridge cannot vouch for (a fresh or replaced store) also lists every
object in each bridge status (one ``byStatus`` report per status): the bridge's own holds that no
ledger entry names any more would otherwise never be read, and the run would call itself
converged while they stand (see :mod:`bridge.reconcile.vouched`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import replace

import structlog

from bridge.core.desired import DesiredState
from bridge.core.freshness import FEED_UNREAD, SeenObject
from bridge.core.observed import FREE, ObjectState, ObservedChannel, ObservedEvent
from bridge.domain import LedgerEntry
from bridge.errors import BridgeError, NotFoundError, TerminalError
from bridge.reconcile.kept_reads import KeptReads, digest
from bridge.seatsio.client import SeatsioClient
from bridge.seatsio.models import Event, EventObjectInfo

log = structlog.get_logger("seatbridge.reconcile")

#: The digest of a season's event the unit reads but does not retrieve (it plans nothing on it,
#: only the season's least-free statuses): its kept read stands on its feed alone.
UNRETRIEVED = ""

#: Above this many labels one whole-event report is cheaper than object-info reads.
REPORT_THRESHOLD = 400


async def observe(
    seatsio: SeatsioClient,
    desired: DesiredState,
    ledger: Mapping[tuple[str, str], LedgerEntry],
    bridge_channels: Collection[str],
    *,
    bridge_statuses: Collection[str] = (),
    for_sale_calls_left: Callable[[str], int | None] = lambda _key: None,
    also_read: Mapping[str, Collection[str]] | None = None,
    list_statuses: Mapping[str, Collection[str]] | None = None,
    kept: KeptReads | None = None,
) -> dict[str, ObservedEvent]:
    """ObservedEvent per desired key; a key seats.io does not know is left out (the planner
    reports it). ``also_read``: more labels to read per key than the ones that matter (explain
    reads every seat of its event, so free and sold seats show too); the planner only looks at
    the labels it decides on, so a wider read plans the same. ``list_statuses``: per event key,
    the bridge statuses whose every object to read too (one by-status report each; a season is
    skipped, its events show the statuses); each event says which it listed
    (:attr:`~bridge.core.observed.ObservedEvent.statuses_listed`). A failed listing raises like
    any failed read: what it could have found is unknown.

    ``kept``: the unit's kept reads (:mod:`bridge.reconcile.kept_reads`). Each event's newest
    status change is read alongside its retrieve, and an event whose kept read still stands is
    not read again (a season that changed has its events read again too: a status set on the
    season may show in their feeds or not); every full read is noted in ``kept.fresh``. An
    event listed for ``list_statuses`` is always read in full.

    Rounds of concurrent calls: retrieve every event and season (and read their feeds); read each
    one's objects once (an event in a season also reads the season's labels, so the season's
    least-free status costs no extra reads of the events the run observes anyway), and list the
    statuses asked for alongside (the reports carry the objects' state, so they cost no further
    read); build the values.
    """
    keys = sorted(desired.events)
    events, _ = await asyncio.gather(_events(seatsio, desired), _read_heads(seatsio, kept, keys))

    wanted: dict[str, set[str]] = {}
    for key in keys:
        want = desired.events[key]
        wanted[key] = set(want.labels) | set(want.undecided)
        if also_read and key in also_read:
            wanted[key].update(also_read[key])
    for key, label in ledger:
        if key in wanted:
            wanted[key].add(label)
    for key, event in events.items():
        for channel in event.channels:
            if channel.key in bridge_channels:
                wanted[key] |= set(channel.objects)
    reads = {key: set(labels) for key, labels in wanted.items() if key in events}
    members: dict[str, list[str]] = {}
    for key, event in events.items():
        if event.is_season:
            members[key] = sorted(e.key for e in event.events)
            for member in members[key]:
                reads.setdefault(member, set()).update(wanted[key])

    listing = {
        key: sorted(statuses)
        for key, statuses in (list_statuses or {}).items()
        if key in events and not events[key].is_season and statuses
    }

    to_read = sorted(reads)
    infos: dict[str, dict[str, SeenObject]] = {}
    digests: dict[str, str] = {}
    if kept is not None:
        await _read_heads(seatsio, kept, [k for k in to_read if k not in events])
        digests = {k: digest(e) for k, e in events.items()}
        full = _to_read_in_full(kept, reads, digests, members, listing)
        for key in to_read:
            if key not in full:
                infos[key] = kept.objects(key, reads[key])
                kept.reused.add(key)
        to_read = sorted(full)
    read, listed = await asyncio.gather(
        asyncio.gather(*(read_objects(seatsio, k, sorted(reads[k])) for k in to_read)),
        _list(seatsio, listing),
    )
    for key, found in zip(to_read, read, strict=True):
        infos[key] = seen_of(found)
        if kept is not None:
            kept.keep(key, digests.get(key, UNRETRIEVED), reads[key], infos[key])
    statuses_listed = {key: set(statuses) for key, statuses in listing.items()}
    for key, found_listed in listed.items():
        for info in found_listed:  # read like any object that matters: the planner decides on it
            infos.setdefault(key, {}).setdefault(info.label, _seen(info))
            wanted[key].add(info.label)
    for key in statuses_listed:
        if kept is not None:  # what a listing found is no kept read's to stand on
            kept.fresh.pop(key, None)
            kept.unkept.add(key)

    out: dict[str, ObservedEvent] = {}
    for key, event in events.items():
        seen = infos.get(key, {})
        if key in members:
            seen = least_free(seen, (infos.get(m, {}) for m in members[key]), bridge_statuses)
        observed = _observed(event, seen, sorted(wanted[key]), for_sale_calls_left(key))
        if key in statuses_listed:
            observed = replace(observed, statuses_listed=frozenset(statuses_listed[key]))
        out[key] = observed
    return out


async def _read_heads(
    seatsio: SeatsioClient, kept: KeptReads | None, keys: Collection[str]
) -> None:
    """Each event's newest status-change id into ``kept.heads`` (one item of its feed), unless
    read already this time. A feed that cannot be read leaves the event to a full read."""
    if kept is None:
        return
    todo = sorted(k for k in keys if k not in kept.heads)
    found = await asyncio.gather(*(_head(seatsio, k) for k in todo))
    kept.heads.update((k, h) for k, h in zip(todo, found, strict=True) if h != FEED_UNREAD)


async def _head(seatsio: SeatsioClient, key: str) -> int | None:
    try:
        page = await seatsio.reports.status_changes_page(key, limit=1)
    except BridgeError as exc:
        log.warning(
            "status changes unread; reading the event in full", event_key=key, error=str(exc)
        )
        return FEED_UNREAD
    return max((item.id for item in page.items), default=None)


def _to_read_in_full(
    kept: KeptReads,
    reads: Mapping[str, Collection[str]],
    digests: Mapping[str, str],
    members: Mapping[str, Collection[str]],
    listed: Collection[str],
) -> set[str]:
    """The events whose kept read cannot stand in for a full read now (see
    :func:`~bridge.core.freshness.why_read_again`); a season's events with it."""
    full: set[str] = set()
    for key in sorted(reads):
        digest_now = digests.get(key, UNRETRIEVED)
        why = "listed" if key in listed else kept.why_read(key, digest_now, reads[key])
        if why is not None:
            full.add(key)
            log.debug("reading in full", event_key=key, why=why)
    for season, its_events in members.items():
        # a change on either side may show in the other's objects and not in its feed
        family = {season, *(k for k in its_events if k in reads)}
        if full & family:
            full |= family
    return full


async def _events(seatsio: SeatsioClient, desired: DesiredState) -> dict[str, Event]:
    """Every desired event and season seats.io knows, by key. Seasons are retrieved first: an
    event a season lists with its channels, for-sale config and season flag in the answer is
    taken from there and not retrieved again (whether seats.io's season answer carries them is
    not documented, so each item is checked: one without them is retrieved)."""
    keys = sorted(desired.events)
    seasons = [k for k in keys if desired.events[k].is_season]
    first = seasons or keys
    found = await asyncio.gather(*(_retrieve(seatsio, key) for key in first))
    events = {key: e for key, e in zip(first, found, strict=True) if e is not None}
    listed = {
        member.key: member
        for season in events.values()
        for member in season.events
        if member.model_fields_set >= _COMPLETE and member.key in desired.events
    }
    events.update(listed)
    rest = [k for k in keys if k not in first and k not in listed]
    found = await asyncio.gather(*(_retrieve(seatsio, key) for key in rest))
    events.update((key, e) for key, e in zip(rest, found, strict=True) if e is not None)
    return events


#: what an event listed in its season's answer must carry to stand in for its own retrieve
_COMPLETE = frozenset({"channels", "for_sale_config", "is_event_in_season"})


async def _list(
    seatsio: SeatsioClient, listing: Mapping[str, Sequence[str]]
) -> dict[str, list[EventObjectInfo]]:
    """Every object of each event in each of its statuses to list: the event's by-status summary
    first (one small answer), then one report for each of those statuses it counts objects in;
    a summary that cannot be read lists every status asked (a failed report raises)."""
    keys = sorted(listing)
    counts = await asyncio.gather(*(_status_counts(seatsio, key) for key in keys))
    pairs = [
        (key, status)
        for key, counted in zip(keys, counts, strict=True)
        for status in listing[key]
        if counted is None or counted.get(status, 0) > 0
    ]
    found = await asyncio.gather(*(objects_in_status(seatsio, k, s) for k, s in pairs))
    out: dict[str, list[EventObjectInfo]] = {key: [] for key in keys}
    for (key, _), infos in zip(pairs, found, strict=True):
        out[key].extend(infos)
    return out


async def _status_counts(seatsio: SeatsioClient, key: str) -> dict[str, int] | None:
    try:
        return await seatsio.reports.status_counts(key)
    except BridgeError as exc:
        log.warning("status summary unread; listing every status", event_key=key, error=str(exc))
        return None


async def objects_in_status(seatsio: SeatsioClient, key: str, status: str) -> list[EventObjectInfo]:
    """Every object of the event in ``status`` (one by-status report). seats.io answers the
    group, or leaves it out when no object is in it (the SDKs read that as none); the group
    names the status of an item that does not."""
    report = await seatsio.reports.by_status(key, status)
    return [
        info if info.status else info.model_copy(update={"status": status})
        for info in report.get(status, [])
    ]


async def _retrieve(seatsio: SeatsioClient, key: str) -> Event | None:
    try:
        return await seatsio.events.retrieve(key)
    except NotFoundError:
        return None


def seen_of(infos: Mapping[str, EventObjectInfo]) -> dict[str, SeenObject]:
    """What the planner's view is built from, of each object read."""
    return {label: _seen(info) for label, info in infos.items()}


def _seen(info: EventObjectInfo) -> SeenObject:
    return SeenObject(info.status, info.channel, info.for_sale)


def _observed(
    event: Event, infos: Mapping[str, SeenObject], wanted: list[str], calls_left: int | None
) -> ObservedEvent:
    # seats.io's own per-object answer decides; the event's config is the fallback (sections and
    # categories in a config are not matched by label)
    nfs = {label for label in wanted if label in infos and infos[label].for_sale is False}
    nfs |= {
        label
        for label in not_for_sale(event, wanted)
        if label not in infos or infos[label].for_sale is None
    }
    channel_of = {label: c.key for c in event.channels for label in c.objects}
    objects = {
        label: ObjectState(
            label=label,
            status=info.status or FREE,
            channel=channel_of.get(label, info.channel),
            for_sale=info.for_sale if info.for_sale is not None else label not in nfs,
        )
        for label, info in infos.items()
        if label in wanted or label in channel_of
    }
    return ObservedEvent(
        key=event.key,
        is_season=event.is_season,
        season_key=event.top_level_season_key if event.is_event_in_season else None,
        channels=tuple(
            ObservedChannel(
                key=c.key,
                name=c.name or "",
                color=c.color or "",
                index=c.index or 0,
                objects=frozenset(c.objects),
            )
            for c in event.channels
        ),
        not_for_sale=frozenset(nfs),
        objects=objects,
        for_sale_calls_left=calls_left,
    )


async def read_objects(
    seatsio: SeatsioClient, key: str, labels: list[str]
) -> dict[str, EventObjectInfo]:
    """The objects among ``labels`` that exist on the event, by label."""
    if not labels:
        return {}
    if len(labels) <= REPORT_THRESHOLD:
        try:
            return await seatsio.reports.object_infos(key, labels)
        except NotFoundError:
            raise
        except TerminalError:
            pass  # a label is not on the chart: the report lists what is, the planner the rest
    report = await seatsio.reports.by_label(key)
    wanted = set(labels)
    return {label: infos[0] for label, infos in report.items() if label in wanted and infos}


def least_free(
    season: Mapping[str, SeenObject],
    events: Iterable[Mapping[str, SeenObject]],
    bridge_statuses: Collection[str] = (),
) -> dict[str, SeenObject]:
    """The season's objects, each with the least free status found across the season and its
    events: a status the bridge never sets (a sale, a token hold, someone else's status) wins over
    the bridge's own statuses, which win over free. A sale in one performance can never hide
    behind the bridge's hold in another."""

    def rank(status: str | None) -> int:
        if (status or FREE) == FREE:
            return 0
        return 1 if status in bridge_statuses else 2

    out = dict(season)
    for infos in events:
        for label, info in infos.items():
            current = out.get(label)
            if current is not None and rank(info.status) > rank(current.status):
                out[label] = current._replace(status=info.status)
    return out


def not_for_sale(event: Event, labels: Iterable[str]) -> set[str]:
    """Which of ``labels`` the event's own for-sale config marks as not for sale."""
    config = event.for_sale_config
    if config is None:
        return set()
    listed = set(config.objects)
    if config.for_sale:  # only the listed objects are for sale
        return {label for label in labels if label not in listed}
    return {label for label in labels if label in listed}
