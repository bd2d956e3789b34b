"""A lane budget shared with other processes: a request holds one of the account's slots too."""

from __future__ import annotations

import asyncio

import pytest

from bridge.seatsio.lanes import LaneGate


class Slots:
    """An account-wide budget as a shared store keeps it, here in memory."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.taken: set[int] = set()
        self.peak = 0
        self.fail_give = False

    def try_take(self) -> int | None:
        free = [s for s in range(self.limit) if s not in self.taken]
        if not free:
            return None
        self.taken.add(free[0])
        self.peak = max(self.peak, len(self.taken))
        return free[0]

    def give(self, slot: int) -> None:
        if self.fail_give:
            self.taken.discard(slot)  # the session died, and its slots with it
            raise ConnectionError("the store's connection is gone")
        self.taken.discard(slot)


async def test_gates_of_several_processes_never_exceed_the_shared_budget_together() -> None:
    slots = Slots(limit=2)
    gates = [LaneGate(3, slots) for _ in range(3)]  # three instances, each allowed 3 alone

    async def request(gate: LaneGate) -> None:
        async with gate.slot():
            await asyncio.sleep(0.005)

    await asyncio.gather(*(request(g) for g in gates for _ in range(8)))
    assert slots.peak == 2
    assert slots.taken == set()  # every slot given back
    assert sum(g.shared_waits for g in gates) > 0  # they did queue for the budget


async def test_a_failed_request_gives_its_slot_back() -> None:
    slots = Slots(limit=1)
    gate = LaneGate(2, slots)
    with pytest.raises(RuntimeError):
        async with gate.slot():
            raise RuntimeError("the vendor call failed")
    assert slots.taken == set()
    async with gate.slot():
        assert slots.taken == {0}


async def test_a_store_failure_while_giving_back_does_not_fail_the_request() -> None:
    slots = Slots(limit=1)
    slots.fail_give = True
    gate = LaneGate(1, slots)
    async with gate.slot():
        pass
    assert gate.in_flight == 0


async def test_a_timed_out_request_keeps_its_slot_a_while_for_the_server_still_runs_it() -> None:
    slots = Slots(limit=1)
    gate = LaneGate(1, slots)
    async with gate.slot() as held:
        held.linger(0.01)  # the caller gave up on the answer; seats.io may still be working
    assert slots.taken == {0} and gate.in_flight == 0  # not yet free for the retry
    assert slots.try_take() is None
    await gate.settled()
    assert slots.taken == set()
    async with gate.slot():
        assert slots.taken == {0}
