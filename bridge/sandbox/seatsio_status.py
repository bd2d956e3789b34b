"""The rule for one object in one status change: refuse it (400) or say its next state.

Pure: the world looks up the object's current state, channel and for-sale flag and asks
:func:`next_state`. Checks run in this order, so the first failing one names the error: season
inheritance, allowed/rejected previous statuses, channels, for sale, hold token, transition.

What refuses, and why (evidence in tests/sandbox/test_seatsio_fake_status_semantics.py):

- A custom status (or ``resale``) replaces any status, booked and other custom ones included,
  unless ``allowedPreviousStatuses`` / ``rejectedPreviousStatuses``, a hold token, the channel
  rule or the for-sale config refuse it. Known for custom over custom (seatsio-python
  ``testListStatusChanges``: status1, status2, status3 on one object in one batch). Booked ->
  custom is in no SDK test: the fake applies it, so only a client's own guard protects a sale.
- Booking and holding need a free object, one in ``resale``, or (with its token) a held one:
  "you cannot hold already booked seats directly" (docs, change object status in batch).
- ``resale`` objects are booked and held without the key of a channel they sit in (docs, resale).
- RELEASE returns an object to its previous selectable status: ``resale`` if it was in resale
  before (then booked, held or given a custom status), else ``free``; releasing the resale
  listing itself makes the object free (docs, release objects). The object keeps its order id, or
  takes the one the release carries (seatsio-python ``testReleaseObjects`` ``test_withOrderId``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bridge.sandbox.seatsio_errors import (
    CHANNEL_KEYS_MISMATCH,
    ILLEGAL_STATUS_CHANGE,
    OBJECT_NOT_FOR_SALE,
    SeatsioApiError,
    bad_request,
)
from bridge.sandbox.seatsio_model import (
    BOOKED,
    FREE,
    HELD,
    NO_CHANNEL,
    RESALE,
    ObjectSpec,
    ObjectState,
    StatusChangeRequest,
)

RELEASE = "RELEASE"
CHANGE_STATUS_TO = "CHANGE_STATUS_TO"
OVERRIDE_SEASON_STATUS = "OVERRIDE_SEASON_STATUS"
USE_SEASON_STATUS = "USE_SEASON_STATUS"
#: Statuses that sell a seat: refused on objects that are not for sale.
SELLING = frozenset({BOOKED, HELD, RESALE})


def target_status(request: StatusChangeRequest) -> str:
    """The status an object ends in; ``status: "free"`` is the SDKs' old spelling of RELEASE."""
    if request.type == RELEASE or request.status == FREE:
        return FREE
    assert request.status is not None  # the request shape was checked before
    return request.status


def _illegal(previous: str, target: str, why: str) -> SeatsioApiError:
    return bad_request(
        ILLEGAL_STATUS_CHANGE, f"Cannot change from [{previous}] to [{target}]: {why}"
    )


def check_channel(request: StatusChangeRequest, label: str, channel_key: str | None) -> None:
    """An object in a channel changes only with its key (or ignoreChannels); NO_CHANNEL opens the rest."""
    if request.ignore_channels:
        return
    keys = request.channel_keys
    if channel_key is None:
        if keys is None or NO_CHANNEL in keys:
            return
        raise bad_request(
            CHANNEL_KEYS_MISMATCH,
            f"Object {label} is not in a channel; add NO_CHANNEL to channelKeys to change it",
            object=label,
        )
    if keys is None or channel_key not in keys:
        raise bad_request(
            CHANNEL_KEYS_MISMATCH,
            f"Object {label} belongs to a channel that is not in channelKeys",
            object=label,
        )


def next_state(
    request: StatusChangeRequest,
    spec: ObjectSpec,
    previous: ObjectState,
    *,
    inherited_from: str | None,
    channel_key: str | None,
    for_sale: bool,
) -> ObjectState:
    """The object's state after ``request``, or a 400 saying why it may not change.

    ``inherited_from`` names the season (or, for a season, the event) the current status comes
    from when it is not this event's own: such a status can only be overridden, never changed.
    """
    prev, target = previous.status, target_status(request)
    if inherited_from is not None:
        raise _illegal(prev, target, f"the status of {spec.label} comes from {inherited_from}")
    allowed, rejected = request.allowed_previous_statuses, request.rejected_previous_statuses
    if allowed is not None and prev not in allowed:
        raise _illegal(prev, target, f"{prev} is not in the list of allowed previous statuses")
    if rejected is not None and prev in rejected:
        raise _illegal(prev, target, f"{prev} is in the list of rejected previous statuses")
    # resale seats (and a buyer's hold on one) are booked and held without their channel's key
    resale = prev == RESALE or (prev == HELD and previous.selectable == RESALE)
    if not (resale and target in (BOOKED, HELD)):
        check_channel(request, spec.label, channel_key)
    if target in SELLING and not for_sale:
        raise bad_request(
            OBJECT_NOT_FOR_SALE, f"Object {spec.label} is not for sale", object=spec.label
        )
    if prev == HELD and previous.hold_token != request.hold_token:
        raise _illegal(prev, target, f"{spec.label} is held with another hold token")
    if prev != HELD and request.hold_token is not None and target != HELD:
        raise _illegal(prev, target, f"{spec.label} is not held with this hold token")
    extra = previous.extra_data if request.keep_extra_data else None
    if target == FREE:
        if prev == FREE:
            raise _illegal(prev, target, f"{spec.label} is already free")
        return _released(request, previous, extra)
    if prev != HELD:
        _check_transition(prev, target, spec.label)
    # the selectable status a later RELEASE returns to: the last one the object was in
    selectable = (
        RESALE if target == RESALE else prev if prev in (FREE, RESALE) else previous.selectable
    )
    return ObjectState(
        selectable=selectable,
        status=target,
        order_id=request.order_id,
        extra_data=spec.extra_data if spec.extra_data is not None else extra,
        hold_token=request.hold_token if target == HELD else None,
        ticket_type=spec.ticket_type,
        resale_listing_id=request.resale_listing_id
        if target == RESALE
        else previous.resale_listing_id
        if selectable == RESALE
        else None,
    )


def _released(
    request: StatusChangeRequest, previous: ObjectState, extra: Mapping[str, Any] | None
) -> ObjectState:
    """RELEASE: back to the previous selectable status (resale, or free when the resale listing
    itself is released), keeping the order id unless the request brings one."""
    order_id = request.order_id if request.order_id is not None else previous.order_id
    if previous.status != RESALE and previous.selectable == RESALE:
        return ObjectState(
            status=RESALE,
            order_id=order_id,
            extra_data=extra,
            resale_listing_id=previous.resale_listing_id,
            selectable=RESALE,
        )
    return ObjectState(order_id=order_id, extra_data=extra)


def _check_transition(prev: str, target: str, label: str) -> None:
    """Booking and holding need a free seat or one in resale ("you cannot hold already booked
    seats directly"); any other status (custom, resale) replaces whatever the object has."""
    if prev in (FREE, RESALE) or target not in (BOOKED, HELD):
        return
    raise _illegal(prev, target, f"{label} is not free")
