"""The four-part Tessitura login, kept so that its password never reaches a log, repr or error."""

from __future__ import annotations

import base64
from collections.abc import Generator
from dataclasses import dataclass, field

import httpx
from pydantic import SecretStr

from bridge.errors import ConfigError


@dataclass(frozen=True, slots=True)
class TessituraCredentials:
    """``UserName:UserGroup:Location:Password``, joined and base64-encoded into HTTP Basic."""

    username: str
    user_group: str
    location: str
    password: SecretStr = field(repr=False)

    def __post_init__(self) -> None:
        for name in ("username", "user_group", "location"):
            value = getattr(self, name)
            if not value or ":" in value:
                raise ConfigError(f"Tessitura {name.replace('_', ' ')} must be set and hold no ':'")
        if not self.password.get_secret_value():
            raise ConfigError("Tessitura password must be set")

    def __repr__(self) -> str:
        return "TessituraCredentials(**********)"

    def authorization(self) -> str:
        joined = ":".join(
            (self.username, self.user_group, self.location, self.password.get_secret_value())
        )
        return "Basic " + base64.b64encode(joined.encode("utf-8")).decode("ascii")


class TessituraAuth(httpx.Auth):
    """Adds the Basic header to each request; shows nothing of it."""

    def __init__(self, credentials: TessituraCredentials) -> None:
        self._credentials = credentials

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._credentials.authorization()
        yield request

    def __repr__(self) -> str:
        return "TessituraAuth(**********)"
