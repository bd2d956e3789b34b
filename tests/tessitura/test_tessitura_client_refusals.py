"""The client against the fake's own refusals, in JSON and XML: a user group without rights (403)
is a CredentialsError, a hold change on a locked seat (409) a ConflictError; neither is retried."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bridge.errors import ConfigError, ConflictError, CredentialsError
from bridge.sandbox.tessitura_app import TessituraSandboxApp
from bridge.sandbox.tessitura_world import NO_RIGHTS_USER_GROUP, Permission, TessituraWorld
from bridge.tessitura import SeatHoldRequest, TessituraClient

GALA = 201
PRESS = 2
ClientFactory = Callable[..., TessituraClient]


def calls(app: TessituraSandboxApp) -> int:
    return len(app.state.control.log.entries)


async def test_a_user_group_without_rights_is_a_credentials_error_not_retried(
    make_client: ClientFactory, app: TessituraSandboxApp, fmt: str
) -> None:
    client = make_client(fmt, user_group=NO_RIGHTS_USER_GROUP)
    with pytest.raises(CredentialsError) as caught:
        await client.seat_holds(GALA)
    assert isinstance(caught.value, ConfigError)  # ends a pass, like a 401
    assert caught.value.status == 403
    assert caught.value.codes == ("Forbidden",)
    assert "View rights to TXN/Performances" in str(caught.value)
    assert "Security application" in str(caught.value)
    assert calls(app) == 1


async def test_a_read_right_without_the_add_right_refuses_only_the_write(
    make_client: ClientFactory, world: TessituraWorld, fmt: str
) -> None:
    world.grant(NO_RIGHTS_USER_GROUP, "TXN/Performances", Permission.VIEW)
    client = make_client(fmt, user_group=NO_RIGHTS_USER_GROUP)
    assert (await client.hold_snapshot(GALA)).performance_id == GALA
    c1 = world.venue.seat_by_label("Orchestra-C-1").id
    with pytest.raises(CredentialsError) as caught:
        await client.update_seat_holds(GALA, [SeatHoldRequest(seat_id=c1, hold_code_id=PRESS)])
    assert caught.value.status == 403
    assert world.layers(GALA, c1) == ()


async def test_a_hold_change_on_a_locked_seat_is_a_conflict_error_not_retried(
    client: TessituraClient, app: TessituraSandboxApp, world: TessituraWorld
) -> None:
    c1 = world.venue.seat_by_label("Orchestra-C-1").id
    c2 = world.venue.seat_by_label("Orchestra-C-2").id
    world.lock(GALA, c2)
    lines = [SeatHoldRequest(seat_id=s, hold_code_id=PRESS) for s in (c1, c2)]
    with pytest.raises(ConflictError) as caught:
        await client.update_seat_holds(GALA, lines)
    assert caught.value.status == 409
    assert caught.value.codes == ("SeatLocked",)
    assert "locked" in str(caught.value)
    assert calls(app) == 1
    assert world.layers(GALA, c1) == ()  # all or nothing
    world.unlock(GALA, c2)
    applied = await client.update_seat_holds(GALA, lines)
    assert [line.seat_id for line in applied] == [c1, c2]
