"""The client as the box office: updating seat holds, and what it does when a write may have landed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from bridge.errors import OutcomeUnknownError, RetryableError, TerminalError
from bridge.sandbox.control import Faults
from bridge.sandbox.tessitura_app import TessituraSandboxApp
from bridge.sandbox.tessitura_world import TessituraWorld
from bridge.tessitura import REMOVE_ALL_HOLDS, ReplaceMode, SeatHoldRequest, TessituraClient

GALA = 201
HOUSE, PRESS, ARTIST = 1, 2, 3
ClientFactory = Callable[..., TessituraClient]
VENUE_OFFSET = timezone(timedelta(hours=-5))


def seat(world: TessituraWorld, label: str) -> int:
    return world.venue.seat_by_label(label).id


def layers(world: TessituraWorld, seat_id: int) -> list[int]:
    return [layer.hold_code_id for layer in world.layers(GALA, seat_id)]


def posts(app: TessituraSandboxApp) -> int:
    return sum(1 for e in app.state.control.log.entries if e.method == "POST")


async def test_an_update_holds_the_seats_until_the_given_date(
    client: TessituraClient, world: TessituraWorld
) -> None:
    c1, c2 = seat(world, "Orchestra-C-1"), seat(world, "Orchestra-C-2")
    until = datetime(2026, 12, 1, 12, 0, 0, 467900, tzinfo=VENUE_OFFSET)
    applied = await client.update_seat_holds(
        GALA,
        [
            SeatHoldRequest(seat_id=c1, hold_code_id=PRESS),
            SeatHoldRequest(seat_id=c2, hold_code_id=PRESS),
        ],
        hold_until=until,
    )
    assert [(a.seat_id, a.hold_code_id, a.end_date) for a in applied] == [
        (c1, PRESS, until),
        (c2, PRESS, until),
    ]
    assert layers(world, c1) == layers(world, c2) == [PRESS]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (ReplaceMode.ABOVE_EXISTING, [ARTIST, HOUSE]),
        (ReplaceMode.BELOW_EXISTING, [HOUSE, ARTIST]),
        (ReplaceMode.IGNORE_IF_HELD, [HOUSE]),
        (ReplaceMode.REPLACE_EXISTING, [ARTIST]),
    ],
)
async def test_the_replace_mode_decides_how_a_hold_meets_existing_ones(
    client: TessituraClient, world: TessituraWorld, mode: ReplaceMode, expected: list[int]
) -> None:
    a1 = seat(world, "Orchestra-A-1")
    await client.update_seat_holds(
        GALA, [SeatHoldRequest(seat_id=a1, hold_code_id=ARTIST)], replace_mode=mode
    )
    assert layers(world, a1) == expected


async def test_removing_all_holds_lifts_every_layer(
    client: TessituraClient, world: TessituraWorld
) -> None:
    a5 = seat(world, "Orchestra-A-5")
    await client.update_seat_holds(
        GALA, [SeatHoldRequest(seat_id=a5, hold_code_id=REMOVE_ALL_HOLDS)]
    )
    assert layers(world, a5) == []
    assert a5 not in {h.seat_id for h in await client.seat_holds(GALA, include_all_holds=True)}


async def test_sold_seats_are_only_held_when_asked_to_affect_them(
    client: TessituraClient, world: TessituraWorld
) -> None:
    g10 = seat(world, "Orchestra-G-10")
    line = [SeatHoldRequest(seat_id=g10, hold_code_id=PRESS)]
    with pytest.raises(TerminalError) as caught:
        await client.update_seat_holds(GALA, line)
    assert caught.value.codes == ("SeatSold",)
    assert layers(world, g10) == []
    world.sold_seat_lines = "skip"  # the other reading: the line is left out of the answer
    assert await client.update_seat_holds(GALA, line) == []
    assert layers(world, g10) == []
    await client.update_seat_holds(GALA, line, only_affect_available=False)
    assert layers(world, g10) == [PRESS]


async def test_an_unknown_hold_code_is_a_terminal_error_with_its_code(
    client: TessituraClient, world: TessituraWorld, app: TessituraSandboxApp
) -> None:
    line = [SeatHoldRequest(seat_id=seat(world, "Orchestra-C-1"), hold_code_id=99)]
    with pytest.raises(TerminalError) as caught:
        await client.update_seat_holds(GALA, line)
    assert caught.value.status == 400
    assert caught.value.codes == ("InvalidHoldCode",)
    assert "Hold code 99 does not exist" in str(caught.value)
    assert posts(app) == 1


async def test_a_5xx_on_an_update_is_an_unknown_outcome_and_not_repeated(
    client: TessituraClient, world: TessituraWorld, app: TessituraSandboxApp
) -> None:
    app.state.control.set_faults(Faults(error_rate=1.0, error_status=502, method="POST", count=1))
    line = [SeatHoldRequest(seat_id=seat(world, "Orchestra-C-1"), hold_code_id=PRESS)]
    with pytest.raises(OutcomeUnknownError) as caught:
        await client.update_seat_holds(GALA, line)
    assert caught.value.status == 502
    assert posts(app) == 1


async def test_a_429_on_an_update_is_repeated_because_nothing_was_done(
    client: TessituraClient, world: TessituraWorld, app: TessituraSandboxApp
) -> None:
    app.state.control.set_faults(Faults(error_rate=1.0, error_status=429, method="POST", count=1))
    c1 = seat(world, "Orchestra-C-1")
    await client.update_seat_holds(GALA, [SeatHoldRequest(seat_id=c1, hold_code_id=PRESS)])
    assert layers(world, c1) == [PRESS]
    assert posts(app) == 2


@pytest.mark.loopback
async def test_a_timeout_after_an_update_landed_is_an_unknown_outcome_not_a_retry(
    make_client: ClientFactory,
    loopback: Callable[[Any], str],
    world: TessituraWorld,
    app: TessituraSandboxApp,
) -> None:
    client = make_client("json", base_url=loopback(app) + "/TessituraService/", timeout=0.3)
    app.state.control.set_faults(Faults(hang_after_apply_s=0.8, method="POST", count=1))
    c1 = seat(world, "Orchestra-C-1")
    with pytest.raises(OutcomeUnknownError, match="read the holds again"):
        await client.update_seat_holds(GALA, [SeatHoldRequest(seat_id=c1, hold_code_id=PRESS)])
    assert layers(world, c1) == [PRESS]
    assert posts(app) == 1


@pytest.mark.loopback
async def test_an_update_that_cannot_connect_is_retryable(make_client: ClientFactory) -> None:
    client = make_client("json", base_url="http://127.0.0.1:9/TessituraService/", timeout=1.0)
    with pytest.raises(RetryableError):
        await client.update_seat_holds(GALA, [SeatHoldRequest(seat_id=10001, hold_code_id=PRESS)])
