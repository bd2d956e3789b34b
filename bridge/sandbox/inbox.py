"""A webhook receiver for the live demo: what a team's chat channel would get.

`seatbridge demo --live` points a ``[[notify.webhook]]`` here, so a new conflict in the sample
venue shows as one notification in the terminal, beside the traffic that caused it. It keeps
what it received (``GET /hooks`` lists it) and hands each message to ``on_message``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["WebhookInbox"]


class WebhookInbox:
    """POST ``/hooks/{name}`` records a JSON body; ``messages`` holds them in arrival order."""

    def __init__(self, on_message: Callable[[str, dict[str, Any]], None] | None = None) -> None:
        self.on_message = on_message
        self._lock = threading.Lock()
        self._messages: list[tuple[str, dict[str, Any]]] = []
        self.app = Starlette(
            routes=[
                Route("/hooks/{name}", self._receive, methods=["POST"]),
                Route("/hooks", self._list, methods=["GET"]),
            ]
        )

    @property
    def messages(self) -> list[tuple[str, dict[str, Any]]]:
        """(webhook name, body) of every message received, a copy."""
        with self._lock:
            return list(self._messages)

    async def _receive(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"error": "not JSON"}, status_code=400)
        if not isinstance(body, dict):
            return JSONResponse({"error": "not a JSON object"}, status_code=400)
        name = request.path_params["name"]
        with self._lock:
            self._messages.append((name, body))
        if self.on_message is not None:
            self.on_message(name, body)
        return Response(status_code=204)

    async def _list(self, request: Request) -> Response:
        return JSONResponse([{"hook": n, "body": b} for n, b in self.messages])
