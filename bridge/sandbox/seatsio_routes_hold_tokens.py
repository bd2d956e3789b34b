"""The fake seats.io's ``/hold-tokens`` routes, on the priority lane like status changes.

A token's answer states its remaining time, so both routes read the world's clock.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bridge.sandbox.seatsio_http import RouteTable, path_key, read_json
from bridge.sandbox.seatsio_payloads import hold_token_json
from bridge.sandbox.seatsio_requests import HoldTokenBody, parse
from bridge.sandbox.seatsio_workspace import WORKSPACE_KEY
from bridge.sandbox.seatsio_world import SeatsioWorld


async def create_hold_token(request: Request, world: SeatsioWorld) -> Response:
    body = parse(HoldTokenBody, await read_json(request, default={}))
    token = world.create_hold_token(body.expires_in_minutes)
    return JSONResponse(hold_token_json(token, world.clock(), WORKSPACE_KEY), status_code=201)


async def retrieve_hold_token(request: Request, world: SeatsioWorld) -> Response:
    token = world.hold_token(path_key(request, "token"))
    return JSONResponse(hold_token_json(token, world.clock(), WORKSPACE_KEY))


ROUTES: RouteTable = [
    ("/hold-tokens", create_hold_token, "POST"),
    ("/hold-tokens/{token}", retrieve_hold_token, "GET"),
]
