"""`seatbridge run` with ``[writeback] mode = "apply"`` while an online buyer and the box office
act at once: a child daemon against the sandbox on loopback.

The buyer books and cancels seats in seats.io; the box office holds seats above or below what is
there, lifts its own holds and sells open seats in Tessitura, on the same rows. Once they stop,
every seat booked online and not sold at the box office carries the bridge's hold (code 90), the
bridge's hold sits alone on no seat that is free online or sold at the box office, and every
box-office hold the box office did not lift itself is still there. Every wait is a bounded poll.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import httpx
import pytest
from test_daemon_truth import Daemon

from bridge.sandbox import Sandbox
from bridge.testing.daemon import converged, eventually, fast_config
from bridge.testing.sandbox import served_sandbox

WEB = 90
PRESS = 2
PERFORMANCES = {201: "perf-201", 202: "perf-202"}
ROWS = ("J", "K", "L", "M")


def _writing_back(config: Path) -> Path:
    text = config.read_text(encoding="utf-8")
    assert "[writeback]\n" in text
    config.write_text(text.replace('mode = "off"', 'mode = "apply"', 1), encoding="utf-8")
    return config


class Actors:
    """The buyer and the box office, from one seeded generator, over the fakes' own APIs (the
    box office's sale, which has no API, straight on the world)."""

    def __init__(self, box: Sandbox, seatsio_url: str, seed: int) -> None:
        self.box = box
        self.rng = random.Random(seed)
        self.seatsio_url = seatsio_url
        self.pool = [
            box.venue.seat_by_label(f"Orchestra-{row}-{n}").id for row in ROWS for n in range(1, 41)
        ]
        #: (performance, seat) -> the box office's code on it, placed and not lifted by it
        self.placed: dict[tuple[int, int], int] = {}

    async def play(self, moves: int) -> None:
        world = self.box.tessitura_world
        async with httpx.AsyncClient(base_url=self.seatsio_url, auth=(_key(), ""), timeout=10) as s:
            for _ in range(moves):
                pid = self.rng.choice(sorted(PERFORMANCES))
                event = PERFORMANCES[pid]
                seat = self.rng.choice(self.pool)
                label = self.box.venue.seat(seat).label
                move = self.rng.choice(["book", "book", "cancel", "hold", "lift", "sell"])
                if move == "book":
                    await s.post(f"/events/{event}/actions/book", json={"objects": [label]})
                elif move == "cancel":
                    await s.post(f"/events/{event}/actions/release", json={"objects": [label]})
                elif move == "hold" and (pid, seat) not in self.placed:
                    mode = self.rng.choice([1, 2])
                    world.hold(pid, [seat], PRESS, mode=mode, only_available=False)
                    self.placed[(pid, seat)] = PRESS
                elif move == "lift" and self.placed:
                    pid, seat = self.rng.choice(sorted(self.placed))
                    world.release(pid, [seat])  # -1: the bridge's layer goes too
                    del self.placed[(pid, seat)]
                elif move == "sell":
                    world.sell_open(pid, seat)
                await asyncio.sleep(0.05)


def _key() -> str:
    from bridge.sandbox import SEATSIO_SECRET_KEY

    return SEATSIO_SECRET_KEY


def written_back(box: Sandbox, pool: list[int]) -> list[str]:
    """What is not yet as the write-back wants it (empty: converged)."""
    wrong: list[str] = []
    tess, online = box.tessitura_world, box.seatsio_world
    for pid, event in PERFORMANCES.items():
        for seat in pool:
            label = box.venue.seat(seat).label
            codes = [layer.hold_code_id for layer in tess.layers(pid, seat)]
            booked = online.object_status(event, label) in ("booked", "resale")
            sold = tess.is_sold(pid, seat)
            if booked and not sold and WEB not in codes:
                wrong.append(f"{pid}/{label} booked online without the write-back hold")
            if codes == [WEB] and (not booked or sold):
                wrong.append(f"{pid}/{label} keeps the write-back hold alone")
    return wrong


@pytest.mark.slow
def test_the_daemon_writes_back_online_sales_while_the_box_office_acts(tmp_path: Path) -> None:
    with served_sandbox(tmp_path) as (box, config):
        d = Daemon(fast_config(_writing_back(config)))
        try:
            d.url()
            eventually("every performance converged", lambda: converged(d.config))
            seatsio_url = _served_url(d.config)
            actors = Actors(box, seatsio_url, seed=26)
            asyncio.run(actors.play(160))
            eventually(
                "the write-back converged",
                lambda: not written_back(box, actors.pool),
            )
            lost = [
                (pid, seat)
                for (pid, seat), code in actors.placed.items()
                if code
                not in [layer.hold_code_id for layer in box.tessitura_world.layers(pid, seat)]
            ]
            assert lost == []  # no box-office layer was lifted by the bridge
            booked = [
                seat
                for seat in actors.pool
                if box.seatsio_world.object_status("perf-201", box.venue.seat(seat).label)
                == "booked"
            ]
            assert booked  # the buyer did book, so the write-back had work
        finally:
            code, err = d.stop()
        assert code == 0, err[-3000:]


def _served_url(config: Path) -> str:
    import tomllib

    return str(tomllib.loads(config.read_text(encoding="utf-8"))["seatsio"]["base_url"])
