"""Units' status and for-sale steps share calls, and each unit still gets its own step's fate."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from bridge.core.plan_model import Operation, OpKind
from bridge.errors import ConfigError, ConflictError, OutcomeUnknownError
from bridge.reconcile.merge import WriteMerger


def hold(event: str, *labels: str) -> Operation:
    return Operation(OpKind.CHANGE_STATUS, (event,), labels, "held-press", ("free",))


def kill(event: str, *labels: str) -> Operation:
    return Operation(OpKind.MARK_NOT_FOR_SALE, (event,), labels)


class Seatsio:
    """Records each call's events; refuses any call that carries a refused event."""

    def __init__(self, refuse: set[str] = frozenset(), unknown: bool = False) -> None:  # type: ignore[assignment]
        self.calls: list[list[str]] = []
        self.refuse = refuse
        self.unknown = unknown

    async def send(self, ops: Sequence[Operation]) -> None:
        await asyncio.sleep(0)
        events = sorted({k for op in ops for k in op.event_keys})
        self.calls.append(events)
        if self.unknown:
            raise OutcomeUnknownError("timed out after sending")
        if self.refuse & set(events):
            raise ConflictError(f"refused by {sorted(self.refuse & set(events))}")


async def unit(merger: WriteMerger, *steps: list[Operation]) -> str:
    """A unit that sends its steps in order and leaves; what became of it."""
    try:
        for step in steps:
            await merger.send(step)
        return "done"
    except ConflictError:
        return "refused"
    except OutcomeUnknownError:
        return "unknown"
    finally:
        merger.leave()


async def test_every_units_status_step_goes_out_in_one_call() -> None:
    seatsio = Seatsio()
    merger = WriteMerger(seatsio.send, 3, objects_per_request=1000)
    fates = await asyncio.gather(*(unit(merger, [hold(f"e{n}", "A-1")]) for n in range(3)))
    assert fates == ["done"] * 3
    assert seatsio.calls == [["e0", "e1", "e2"]]


async def test_status_and_for_sale_steps_go_in_one_call_of_each_kind() -> None:
    seatsio = Seatsio()
    merger = WriteMerger(seatsio.send, 2, objects_per_request=1000)
    fates = await asyncio.gather(
        unit(merger, [hold("e1", "A-1")], [kill("e1", "Z-1")]),
        unit(merger, [hold("e2", "A-1")], [kill("e2", "Z-1")]),
    )
    assert fates == ["done", "done"]
    assert seatsio.calls == [["e1", "e2"], ["e1", "e2"]]


async def test_one_units_refusal_fails_that_unit_alone() -> None:
    seatsio = Seatsio(refuse={"e1"})
    merger = WriteMerger(seatsio.send, 3, objects_per_request=1000)
    fates = await asyncio.gather(*(unit(merger, [hold(f"e{n}", "A-1")]) for n in range(3)))
    assert fates == ["done", "refused", "done"]
    # the merged call, then each step alone
    assert seatsio.calls[0] == ["e0", "e1", "e2"]
    assert sorted(seatsio.calls[1:]) == [["e0"], ["e1"], ["e2"]]


async def test_an_unknown_outcome_is_every_units_outcome() -> None:
    seatsio = Seatsio(unknown=True)
    merger = WriteMerger(seatsio.send, 2, objects_per_request=1000)
    fates = await asyncio.gather(
        unit(merger, [hold("e1", "A-1")]), unit(merger, [hold("e2", "A-1")])
    )
    assert fates == ["unknown", "unknown"]
    assert seatsio.calls == [["e1", "e2"]]  # never repeated: it may have landed


async def test_steps_share_calls_up_to_one_requests_objects() -> None:
    seatsio = Seatsio()
    merger = WriteMerger(seatsio.send, 4, objects_per_request=4)
    steps = [["A-1", "A-2"], ["A-1", "A-2"], ["A-1", "A-2", "A-3"], ["A-1"] * 5]
    fates = await asyncio.gather(
        *(unit(merger, [hold(f"e{n}", *labels)]) for n, labels in enumerate(steps))
    )
    assert fates == ["done"] * 4
    # two steps of 2 fill a request; 3 goes alone; 5 is too large for any: alone (split later)
    assert sorted(seatsio.calls) == [["e0", "e1"], ["e2"], ["e3"]]


async def test_a_unit_that_leaves_without_writing_does_not_hold_the_others_back() -> None:
    seatsio = Seatsio()
    merger = WriteMerger(seatsio.send, 3, objects_per_request=1000)

    async def reads_then_fails() -> str:
        await asyncio.sleep(0.01)
        merger.leave()
        return "failed reading"

    fates = await asyncio.wait_for(
        asyncio.gather(
            unit(merger, [hold("e1", "A-1")]), reads_then_fails(), unit(merger, [hold("e2", "A-1")])
        ),
        timeout=5,
    )
    assert fates == ["done", "failed reading", "done"]
    assert seatsio.calls == [["e1", "e2"]]


async def test_a_unit_cancelled_while_waiting_does_not_break_the_flush() -> None:
    seatsio = Seatsio()
    merger = WriteMerger(seatsio.send, 3, objects_per_request=1000)
    waiting = asyncio.ensure_future(merger.send([hold("e1", "A-1")]))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    merger.leave()
    fates = await asyncio.wait_for(
        asyncio.gather(unit(merger, [hold("e2", "A-1")]), unit(merger, [hold("e3", "A-1")])),
        timeout=5,
    )
    assert fates == ["done", "done"]
    assert seatsio.calls == [["e2", "e3"]]  # the cancelled unit's step never went out


async def test_a_pass_that_ends_sends_nothing_more() -> None:
    """A unit met bad credentials: the steps waiting, and any handed over later, fail with it."""
    seatsio = Seatsio()
    merger = WriteMerger(seatsio.send, 3, objects_per_request=1000)
    waiting = asyncio.ensure_future(merger.send([hold("e1", "A-1")]))
    await asyncio.sleep(0)
    failure = ConfigError("tessitura HTTP 403: no View rights")
    merger.abort(failure)
    merger.leave()
    with pytest.raises(ConfigError):
        await waiting
    with pytest.raises(ConfigError):
        await merger.send([hold("e2", "A-1")])
    await merger.close()
    assert seatsio.calls == []
