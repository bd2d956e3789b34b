"""Fixtures for the seats.io client tests: a recording sleep and clients over a mock transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from seatsio_mock import BASE, SECRET, Handler, MakeClient, Recorder

from bridge.seatsio import LaneLimits, RetryPolicy, SeatsioClient, SplitLimits
from bridge.testing import RecordingSleep


@pytest.fixture
def sleeps() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def retry(sleeps: RecordingSleep) -> RetryPolicy:
    return RetryPolicy.seatsio(sleep=sleeps)


@pytest.fixture
async def make_client(retry: RetryPolicy) -> AsyncIterator[MakeClient]:
    """``make_client(handler, **client_kwargs)`` -> (client, recorder); closed after the test."""
    made: list[SeatsioClient] = []

    def make(answer: Handler, **kw: Any) -> tuple[SeatsioClient, Recorder]:
        recorder = Recorder(answer)
        kw.setdefault("base_url", BASE)
        kw.setdefault("retry", retry)
        kw.setdefault("split", SplitLimits())
        kw.setdefault("lane_limits", LaneLimits())
        client = SeatsioClient(
            kw.pop("secret_key", SECRET), transport=httpx.MockTransport(recorder), **kw
        )
        made.append(client)
        return client, recorder

    yield make
    for client in made:
        await client.aclose()
