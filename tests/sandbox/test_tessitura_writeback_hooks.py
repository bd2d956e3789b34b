"""The fake Tessitura's hooks for the write-back chaos (issue 26): a POST that applies and then
fails, the count of layers landed on sold seats, and the box office taking one layer off."""

from __future__ import annotations

import httpx
import pytest
from tessitura_fixtures import app_fixture, http_fixture, world_fixture  # noqa: F401

from bridge.sandbox.control import Faults
from bridge.sandbox.tessitura_app import TessituraSandboxApp
from bridge.sandbox.tessitura_world import (
    HoldConflictError,
    HoldRequest,
    HoldRequestError,
    ReplaceMode,
    TessituraWorld,
)

GALA = 201
HOUSE, PRESS, ARTIST = 1, 2, 3


def seat(world: TessituraWorld, label: str) -> int:
    return world.venue.seat_by_label(label).id


def codes(world: TessituraWorld, seat_id: int) -> list[int]:
    return [layer.hold_code_id for layer in world.layers(GALA, seat_id)]


async def test_an_update_failing_after_apply_changed_the_seat_yet_answers_500(
    http: httpx.AsyncClient, world: TessituraWorld, app: TessituraSandboxApp
) -> None:
    c1 = seat(world, "Orchestra-C-1")
    app.state.control.set_faults(
        Faults(path_pattern="/Seats/Holds$", method="POST", error_after_apply_rate=1.0)
    )
    read = await http.get(f"TXN/Performances/{GALA}/Seats/Holds")
    assert read.status_code == 200  # a read is not a write: untouched
    r = await http.post(
        f"TXN/Performances/{GALA}/Seats/Holds",
        json={"SeatHolds": [{"SeatId": c1, "HoldCodeId": PRESS}], "ReplaceMode": 2},
    )
    assert r.status_code == 500
    assert codes(world, c1) == [PRESS]
    assert app.state.control.log.entries[-1].fault == "error_after_apply"


def test_a_layer_landed_on_a_sold_seat_is_counted_by_code_and_a_refused_one_apart(
    world: TessituraWorld,
) -> None:
    g1, g2 = seat(world, "Orchestra-G-1"), seat(world, "Orchestra-G-2")
    world.sell(GALA, g1, g2)
    with pytest.raises(HoldRequestError):
        world.update(GALA, [HoldRequest(g1, PRESS)], mode=ReplaceMode.BELOW_EXISTING)
    assert codes(world, g1) == [] and world.sold_seat_layers[PRESS] == 0
    assert world.sold_seat_refusals[PRESS] == 1
    world.update(GALA, [HoldRequest(g1, PRESS), HoldRequest(g2, ARTIST)], only_available=False)
    assert world.sold_seat_layers == {PRESS: 1, ARTIST: 1}
    world.sold_seat_lines = "skip"
    world.update(GALA, [HoldRequest(g2, HOUSE)])
    assert world.sold_seat_refusals[HOUSE] == 1 and world.sold_seat_layers[HOUSE] == 0


def test_the_box_office_takes_one_layer_off_and_the_others_keep_their_places(
    world: TessituraWorld,
) -> None:
    c1 = seat(world, "Orchestra-C-1")
    world.hold(GALA, [c1], PRESS)
    world.hold(GALA, [c1], HOUSE)  # above: house 1, press 2
    world.hold(GALA, [c1], ARTIST, mode=ReplaceMode.BELOW_EXISTING)
    world.unhold(GALA, [c1], HOUSE)
    assert [(la.hold_code_id, la.priority) for la in world.layers(GALA, c1)] == [
        (PRESS, 2),
        (ARTIST, 3),
    ]
    world.lock(GALA, c1)
    with pytest.raises(HoldConflictError):
        world.unhold(GALA, [c1], PRESS)
    assert codes(world, c1) == [PRESS, ARTIST]
