"""The write fence at the seats.io client: every attempt of a write passes the task's fence, a
refusal is never repeated and means "not sent", unless an earlier attempt may have landed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from seatsio_mock import MakeClient, error, ok, replies
from seatsio_payloads import EVENT, object_info

from bridge.errors import OutcomeUnknownError
from bridge.http import WriteFencedError, fenced
from bridge.seatsio import StatusChangeRequest

CONDITIONAL = StatusChangeRequest.change_to(
    "held", ["e1"], ["A-1"], allowed_previous_statuses=["free"]
)
CHANGED = ok({"objects": {"A-1": object_info("A-1", "held")}})


class Lease:
    """A fence that lets ``attempts`` writes through, then refuses."""

    def __init__(self, attempts: int) -> None:
        self.left = attempts
        self.asked: list[float] = []

    def __call__(self, timeout_s: float) -> Callable[[], None] | None:
        self.asked.append(timeout_s)
        if self.left <= 0:
            raise WriteFencedError("performance 201: the lease was lost")
        self.left -= 1
        return None


async def test_every_attempt_of_a_write_passes_the_fence_with_the_clients_timeout(
    make_client: MakeClient,
) -> None:
    client, rec = make_client(replies(error(429, headers={"Retry-After": "1"}), CHANGED, ok(EVENT)))
    lease = Lease(attempts=2)
    with fenced(lease):
        await client.statuses.change(CONDITIONAL)
        await client.events.retrieve("e1")  # reads are not fenced
    assert lease.asked == [10.0, 10.0]
    assert [r.method for r in rec.requests] == ["POST", "POST", "GET"]


async def test_a_retry_refused_by_the_fence_is_not_sent_nor_repeated(
    make_client: MakeClient,
) -> None:
    client, rec = make_client(replies(error(429, headers={"Retry-After": "1"}), CHANGED))
    lease = Lease(attempts=1)  # lost during the 429's wait
    with fenced(lease), pytest.raises(WriteFencedError, match="lease was lost"):
        await client.statuses.change(CONDITIONAL)
    assert len(rec.requests) == 1 and len(lease.asked) == 2


async def test_a_retry_refused_after_an_attempt_that_may_have_landed_is_an_unknown_outcome(
    make_client: MakeClient,
) -> None:
    client, rec = make_client(replies(error(503), CHANGED))
    lease = Lease(attempts=1)
    with fenced(lease), pytest.raises(OutcomeUnknownError, match="lease was lost"):
        await client.statuses.change(CONDITIONAL)
    assert len(rec.requests) == 1


async def test_without_a_fence_writes_go_as_before(make_client: MakeClient) -> None:
    client, rec = make_client(replies(ok(EVENT), CHANGED))
    await client.events.retrieve("e1")
    await client.statuses.change(CONDITIONAL)
    assert len(rec.requests) == 2
