"""Helpers for the seats.io client tests over httpx.MockTransport: canned answers, recorders."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from bridge.seatsio import SeatsioClient
from bridge.testing import RecordingSleep

__all__ = [
    "BASE",
    "SECRET",
    "Handler",
    "MakeClient",
    "Recorder",
    "RecordingSleep",  # moved to bridge.testing; re-exported for the tests importing it here
    "error",
    "ok",
    "replies",
]

SECRET = "sk-test-7f3a9c1e5b"
BASE = "https://seatsio.test"

Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]


class Recorder:
    """A MockTransport handler that records requests and answers from a queue or a function."""

    def __init__(self, answer: Handler) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        result = self.answer(request)
        if isinstance(result, httpx.Response):
            return result
        return await result

    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


def replies(*responses: httpx.Response) -> Handler:
    """A handler answering with ``responses`` in turn, then repeating the last one."""
    queue = list(responses)

    def answer(_: httpx.Request) -> httpx.Response:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return answer


def ok(data: Any = None, status: int = 200, **kw: Any) -> httpx.Response:
    if data is None:
        return httpx.Response(204, **kw)
    return httpx.Response(status, json=data, **kw)


def error(
    status: int, code: str | None = None, message: str = "refused", **kw: Any
) -> httpx.Response:
    if code is None:
        return httpx.Response(status, **kw)
    body = {
        "status": status,
        "messages": [message],
        "errors": [{"code": code, "message": message, "data": {}}],
        "warnings": [],
        "requestId": "req-1",
    }
    return httpx.Response(status, json=body, **kw)


MakeClient = Callable[..., tuple[SeatsioClient, Recorder]]
