"""Hold tokens of the fake seats.io: who may hold objects, and until when.

Kept apart because a token's life is a matter of time alone: status changes only ask whether a
token is known and alive, and a hold whose token has expired reads as free.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from bridge.sandbox.seatsio_clock import Clock
from bridge.sandbox.seatsio_errors import (
    HOLD_TOKEN_EXPIRED,
    HOLD_TOKEN_NOT_FOUND,
    SeatsioApiError,
    bad_request,
)
from bridge.sandbox.seatsio_model import HoldToken


class HoldTokens:
    """The workspace's hold tokens; each lives ``ttl`` unless created with its own lifetime."""

    def __init__(self, clock: Clock, ttl: timedelta = timedelta(minutes=15)) -> None:
        self._clock = clock
        self.ttl = ttl
        self._tokens: dict[str, HoldToken] = {}

    def create_hold_token(self, expires_in_minutes: int | None = None) -> HoldToken:
        ttl = timedelta(minutes=expires_in_minutes) if expires_in_minutes else self.ttl
        token = HoldToken(uuid.uuid4().hex[:10], self._clock() + ttl)
        self._tokens[token.token] = token
        return token

    def hold_token(self, token: str) -> HoldToken:
        try:
            return self._tokens[token]
        except KeyError:
            raise SeatsioApiError(
                404, HOLD_TOKEN_NOT_FOUND, f"Hold token not found: {token}"
            ) from None

    def alive(self, token: str | None) -> bool:
        found = self._tokens.get(token) if token is not None else None
        return found is not None and found.expires_at > self._clock()

    def check(self, token: str) -> None:
        """400 unless the token exists and has not expired."""
        if token not in self._tokens:
            raise bad_request(HOLD_TOKEN_NOT_FOUND, f"Hold token not found: {token}")
        if not self.alive(token):
            raise bad_request(HOLD_TOKEN_EXPIRED, f"Hold token has expired: {token}")
