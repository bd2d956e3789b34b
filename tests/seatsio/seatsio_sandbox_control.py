"""Drives the fake seats.io's control surface (/_sandbox/faults, /_sandbox/requests) over HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from bridge.sandbox import SEATSIO_SECRET_KEY

CHART = "grand-hall-chart"
SECRET = SEATSIO_SECRET_KEY


def seats(row: str, first: int, last: int, section: str = "Orchestra") -> list[str]:
    """Labels of consecutive seats on the sample venue's chart."""
    return [f"{section}-{row}-{n}" for n in range(first, last + 1)]


class SandboxControl:
    """Fault injection and the request log, the way a test on loopback must reach them."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def faults(self, **faults: Any) -> None:
        response = await self.http.post("/_sandbox/faults", json=faults)
        response.raise_for_status()

    async def clear_faults(self) -> None:
        (await self.http.delete("/_sandbox/faults")).raise_for_status()

    async def log(self) -> dict[str, Any]:
        response = await self.http.get("/_sandbox/requests")
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    async def clear_log(self) -> None:
        (await self.http.delete("/_sandbox/requests")).raise_for_status()

    async def statuses(self) -> list[int]:
        return [entry["status"] for entry in (await self.log())["entries"]]
