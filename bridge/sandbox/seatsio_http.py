"""What every route of the fake seats.io shares: authentication, refusals, and reading a request.

Route modules declare plain handlers in a :data:`RouteTable`; :func:`api` wraps each one so that
credentials, the lane limit and error bodies are checked and answered in one place, as seats.io
answers them for every endpoint alike.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Scope

from bridge.sandbox import SEATSIO_SECRET_KEY
from bridge.sandbox.seatsio_errors import SeatsioApiError, invalid
from bridge.sandbox.seatsio_lanes import REFUSED, lane_refusal
from bridge.sandbox.seatsio_payloads import error_body
from bridge.sandbox.seatsio_workspace import WORKSPACE_KEY
from bridge.sandbox.seatsio_world import SeatsioWorld

Handler = Callable[[Request, SeatsioWorld], Awaitable[Response]]
#: A route module's endpoints, in matching order: (path, handler, method).
RouteTable = Sequence[tuple[str, Handler, str]]


def secret_key_of(scope: Scope) -> str | None:
    """The secret key of an authenticated request, or None (wrong or missing credentials)."""
    headers = {k.lower(): v for k, v in scope.get("headers", [])}
    workspace = headers.get(b"x-workspace-key")
    if workspace is not None and workspace.decode("latin-1") != WORKSPACE_KEY:
        return None
    scheme, _, encoded = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")[0]
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user if user == SEATSIO_SECRET_KEY else None


def error_response(err: SeatsioApiError) -> Response:
    return JSONResponse(error_body(err), status_code=err.status, headers=err.headers)


def api(world: SeatsioWorld, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Authenticate, enforce the lane limit, run the handler, answer refusals as seats.io does."""

    async def endpoint(request: Request) -> Response:
        if secret_key_of(request.scope) is None:
            return Response(status_code=401)
        lane = request.scope.get(REFUSED)
        if lane:
            return error_response(lane_refusal(lane))
        try:
            return await handler(request, world)
        except SeatsioApiError as err:
            return error_response(err)

    return endpoint


async def read_json(request: Request, *, default: Any = None) -> Any:
    """The request's JSON body (``default`` when empty); anything unparsable is a 400."""
    raw = await request.body()
    if not raw.strip():
        return default
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise invalid("Request body is not valid JSON") from None


def path_key(request: Request, name: str = "key") -> str:
    return str(request.path_params[name])


def no_content() -> Response:
    return Response(status_code=204)
