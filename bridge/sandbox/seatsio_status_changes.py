"""Object statuses of the fake seats.io: status changes, what a reader sees, and the change log.

A change may touch several events and must be all or nothing (docs "Season tickets": one event
refusing applies the change to none). Its error does not say which event refused: nothing published
shows seats.io doing so (SDK ILLEGAL_STATUS_CHANGE items are exactly ``{code, message}``), so the
fake takes the reading where a client relying on it would be caught; EVENT_NOT_FOUND alone names
its key. What an event shows depends on its season, its channels, its for-sale config and hold
tokens; this module is where those meet.
The transition rules themselves are in :mod:`bridge.sandbox.seatsio_status`.

Seasons: a status set on the season shows in every member event (unless that event overrides the
season status for the object); a status set on an event shows on the season.

The change log (the status-change feed): each change gets its id when it is made, ids rising in
the order changes are made, and is logged on each event the change names, only there. A status set
on a season is in the season's feed alone, not in its events' feeds, though their objects show it;
one set on a member event (or an override or use of the season status there) is in that event's
feed alone, not the season's, though the season's object shows it. So no feed tells everything
that changed what an event shows: a reader must not take a quiet feed for an unchanged event.

seats.io processes status changes asynchronously (its SDK tests poll up to 10 s before the
listings show them), so the HTTP listings show a change only once the clock reaches its date plus a
delay drawn from a seeded RNG in ``[0, max_delay]``, each change its own: a later change (a higher
id) may show before an earlier one. Object views (object infos, reports) are the live state, never
delayed. :meth:`ObjectStatuses.status_changes` gives every change (the truth), or with
``visible_only`` only what the listings show now.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from typing import Any

from bridge.sandbox.seatsio_channels import Channels
from bridge.sandbox.seatsio_errors import (
    EVENT_NOT_IN_SEASON,
    ILLEGAL_STATUS_CHANGE,
    bad_request,
    invalid,
)
from bridge.sandbox.seatsio_forsale_configs import ForSaleConfigs
from bridge.sandbox.seatsio_hold_tokens import HoldTokens
from bridge.sandbox.seatsio_model import (
    BOOKED,
    FREE,
    FREE_STATE,
    HELD,
    Event,
    EventKind,
    ObjectSpec,
    ObjectState,
    ObjectView,
    StatusChange,
    StatusChangeRequest,
)
from bridge.sandbox.seatsio_status import (
    CHANGE_STATUS_TO,
    OVERRIDE_SEASON_STATUS,
    RELEASE,
    USE_SEASON_STATUS,
    next_state,
)
from bridge.sandbox.seatsio_workspace import Workspace, check_labels

STATUS_CHANGE_TYPES = (CHANGE_STATUS_TO, RELEASE, OVERRIDE_SEASON_STATUS, USE_SEASON_STATUS)


class ObjectStatuses:
    """Status changes on the workspace's events, the object views they give, and their log."""

    def __init__(
        self,
        workspace: Workspace,
        channels: Channels,
        for_sale: ForSaleConfigs,
        tokens: HoldTokens,
        *,
        max_delay: timedelta = timedelta(0),
        seed: int = 0,
    ) -> None:
        self._workspace = workspace
        self._channels = channels
        self._for_sale = for_sale
        self._tokens = tokens
        self._changes: list[StatusChange] = []
        self._next_change_id = 1
        self._journal: list[Callable[[], None]] | None = None
        #: the longest a change takes to show in the status-change listings
        self.max_delay = max_delay
        self._delays = random.Random(seed)

    def change_status(self, requests: Sequence[StatusChangeRequest]) -> None:
        """Apply status changes in order, in one transaction: one refusal undoes them all."""
        with self._transaction():
            for request in requests:
                self._apply(request)

    def book(self, event_key: str, labels: Iterable[str], **options: Any) -> None:
        """Book objects as the API would (options as in :class:`StatusChangeRequest`)."""
        self._simple(event_key, labels, CHANGE_STATUS_TO, BOOKED, options)

    def release(self, event_key: str, labels: Iterable[str], **options: Any) -> None:
        self._simple(event_key, labels, RELEASE, None, options)

    def hold(self, event_key: str, labels: Iterable[str], hold_token: str, **options: Any) -> None:
        self._simple(
            event_key, labels, CHANGE_STATUS_TO, HELD, {**options, "hold_token": hold_token}
        )

    def set_status(
        self, event_key: str, labels: Iterable[str], status: str, **options: Any
    ) -> None:
        """Give objects a (custom) status."""
        self._simple(event_key, labels, CHANGE_STATUS_TO, status, options)

    def object_status(self, event_key: str, label: str) -> str:
        return self.object_view(event_key, label).status

    def object_view(self, event_key: str, label: str) -> ObjectView:
        ev = self._workspace.event(event_key)
        check_labels(self._workspace.chart(ev.chart_key), [label])
        return self._view(ev, label)

    def object_views(self, event_key: str, status: str | None = None) -> list[ObjectView]:
        """Every object of the event's chart, in chart order; with ``status``, only those in
        it (their state read first, the rest of the view only for them: a by-status report of
        a few objects of a large chart)."""
        ev = self._workspace.event(event_key)
        labels: Iterable[str] = self._workspace.chart(ev.chart_key).objects
        if status is not None:
            labels = [lbl for lbl in labels if self._effective(ev, lbl)[0].status == status]
        return [self._view(ev, label) for label in labels]

    def status_changes(
        self, event_key: str, label: str | None = None, *, visible_only: bool = False
    ) -> list[StatusChange]:
        """The event's status-change log, newest first: every change made, or with
        ``visible_only`` only those the HTTP listings show now (processed: past their delay)."""
        ev = self._workspace.event(event_key)
        now = self._workspace.clock() if visible_only else None
        return [
            c
            for c in reversed(self._changes)
            if c.event_id == ev.id
            and (label is None or c.object_label == label)
            and (now is None or c.visible_at <= now)
        ]

    def _simple(
        self,
        event_key: str,
        labels: Iterable[str],
        type_: str,
        status: str | None,
        options: Mapping[str, Any],
    ) -> None:
        for name in ("channel_keys", "allowed_previous_statuses", "rejected_previous_statuses"):
            if options.get(name) is not None:
                options = {**options, name: tuple(options[name])}
        request = StatusChangeRequest(
            event_keys=(event_key,),
            objects=tuple(ObjectSpec(label) for label in labels),
            type=type_,
            status=status,
            **options,
        )
        self.change_status([request])

    def _apply(self, request: StatusChangeRequest) -> None:
        _check_request(request)
        events = [self._workspace.event(k) for k in request.event_keys]
        for ev in events:
            check_labels(self._workspace.chart(ev.chart_key), request.labels())
        if request.hold_token is not None:
            self._tokens.check(request.hold_token)
        specs = list({s.label: s for s in request.objects}.values())
        for ev in events:
            if request.type in (OVERRIDE_SEASON_STATUS, USE_SEASON_STATUS):
                self._season_status(ev, [s.label for s in specs], request.type)
                continue
            planned: list[tuple[str, ObjectState]] = []
            for spec in specs:
                previous, source = self._effective(ev, spec.label)
                planned.append(
                    (
                        spec.label,
                        next_state(
                            request,
                            spec,
                            previous,
                            inherited_from=None if source is ev else source.key,
                            channel_key=self._channels.channel_key(ev, spec.label),
                            for_sale=self._for_sale.for_sale(ev, spec.label),
                        ),
                    )
                )
            for label, state in planned:
                self._put_state(ev, label, state)
                self._record(ev, label, state)

    def _season_status(self, ev: Event, labels: Sequence[str], type_: str) -> None:
        """Override the season status of objects in one event, or go back to it."""
        if not ev.in_season:
            raise bad_request(EVENT_NOT_IN_SEASON, f"Event {ev.key} is not part of a season")
        if type_ == USE_SEASON_STATUS:
            busy = [
                label
                for label in labels
                if label in ev.overridden and self._own(ev, label).status != FREE
            ]
            if busy:
                raise bad_request(
                    ILLEGAL_STATUS_CHANGE,
                    f"Objects {', '.join(busy)} have a status of their own in {ev.key}: "
                    "release them before using the season status",
                )
        for label in labels:
            self._set_overridden(ev, label, type_ == OVERRIDE_SEASON_STATUS)
            state, _ = self._effective(ev, label)
            self._record(ev, label, state)

    def _own(self, ev: Event, label: str) -> ObjectState:
        """The event's own state for an object; a hold whose token expired is free again."""
        state = ev.states.get(label, FREE_STATE)
        if state.status == HELD and not self._tokens.alive(state.hold_token):
            return FREE_STATE
        return state

    def _effective(self, ev: Event, label: str) -> tuple[ObjectState, Event]:
        """The state a reader sees, and the event or season it comes from.

        An event shows its season's (or a partial season's) status unless it overrides it; a
        season shows its own status, or else one that any of its events gives the object.
        """
        own = self._own(ev, label)
        if ev.kind is EventKind.EVENT:
            if label not in ev.overridden:
                top = self._workspace.top_season(ev)
                for season in ([top] if top else []) + self._workspace.partial_seasons_of(ev):
                    state = self._own(season, label)
                    if state.status != FREE:
                        return state, season
            return own, ev
        if own.status != FREE:
            return own, ev
        for member in self._workspace.members(ev):
            state, source = self._effective(member, label)
            if state.status != FREE:
                return state, source
        return own, ev

    def _view(self, ev: Event, label: str) -> ObjectView:
        state, _ = self._effective(ev, label)
        key, cat_label = self._workspace.category(ev, label)
        return ObjectView(
            object=self._workspace.chart(ev.chart_key).objects[label],
            state=state,
            category_key=key,
            category_label=cat_label,
            channel=self._channels.channel_key(ev, label),
            for_sale=self._for_sale.for_sale(ev, label),
            season_status_overridden=(label in ev.overridden) if ev.in_season else None,
        )

    def _record(self, ev: Event, label: str, state: ObjectState) -> None:
        obj = self._workspace.chart(ev.chart_key).objects[label]
        self._changes.append(
            StatusChange(
                id=self._next_change_id,
                event_id=ev.id,
                status=state.status,
                object_label=label,
                date=self._workspace.clock(),
                order_id=state.order_id,
                extra_data=state.extra_data,
                hold_token=state.hold_token,
                displayed_label=obj.displayed_label or label,
                delay=self._delay(),
            )
        )
        self._next_change_id += 1

    def _delay(self) -> timedelta:
        """How long the next change takes to show in the listings: uniform in [0, max_delay]."""
        if self.max_delay <= timedelta(0):
            return timedelta(0)
        return self.max_delay * self._delays.random()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """Undo every state change made inside when anything inside raises."""
        if self._journal is not None:  # already inside one: the outer one undoes
            yield
            return
        undo: list[Callable[[], None]] = []
        self._journal = undo
        logged, next_id = len(self._changes), self._next_change_id
        delays = self._delays.getstate()
        try:
            yield
        except BaseException:
            for step in reversed(undo):
                step()
            del self._changes[logged:]
            self._next_change_id = next_id
            self._delays.setstate(delays)
            raise
        finally:
            self._journal = None

    def _put_state(self, ev: Event, label: str, state: ObjectState) -> None:
        if self._journal is not None:
            self._journal.append(partial(_restore, ev.states, label, ev.states.get(label)))
        if state == FREE_STATE:
            ev.states.pop(label, None)
        else:
            ev.states[label] = state

    def _set_overridden(self, ev: Event, label: str, on: bool) -> None:
        if self._journal is not None:
            self._journal.append(partial(_toggle, ev.overridden, label, label in ev.overridden))
        if on:
            ev.overridden.add(label)
        else:
            ev.overridden.discard(label)
            self._put_state(ev, label, FREE_STATE)


def _check_request(request: StatusChangeRequest) -> None:
    if request.type not in STATUS_CHANGE_TYPES:
        raise invalid(f"type must be one of {', '.join(STATUS_CHANGE_TYPES)}")
    if not request.event_keys:
        raise invalid("events must name at least one event")
    if not request.objects:
        raise invalid("objects must name at least one object")
    if request.type == CHANGE_STATUS_TO and not request.status:
        raise invalid("status is required with type CHANGE_STATUS_TO")
    if request.type != CHANGE_STATUS_TO and request.status is not None:
        raise invalid(f"status must not be passed with type {request.type}")
    if request.status == HELD and request.hold_token is None:
        raise invalid("holdToken is required to hold objects")
    if request.ignore_channels and request.channel_keys is not None:
        raise invalid("ignoreChannels and channelKeys cannot be used together")


def _restore(states: dict[str, ObjectState], label: str, old: ObjectState | None) -> None:
    if old is None:
        states.pop(label, None)
    else:
        states[label] = old


def _toggle(labels: set[str], label: str, on: bool) -> None:
    if on:
        labels.add(label)
    else:
        labels.discard(label)
