"""The URLs the seats.io connection builds itself are the ones httpx would have built."""

from __future__ import annotations

import httpx
import pytest

from bridge.seatsio.connection import Connection

LABELS = ["Orchestra-A-5", "Box 1-1", "Balcón-C-7", "a&b=c", "50%+", "x/y?z#w"]


@pytest.mark.parametrize("base", ["https://api-eu.seatsio.net", "http://127.0.0.1:8081/prefix/"])
@pytest.mark.parametrize("labels", [LABELS, ["Orchestra-A-5", "Orchestra-A-6"], []])
def test_a_url_with_a_query_is_the_one_httpx_would_send(base: str, labels: list[str]) -> None:
    conn = Connection(base_url=base, secret_key="sk")
    params: dict[str, str | int | list[str]] = {"label": labels, "limit": 10, "expand": "objects"}
    ours = conn.url("/events/{key}/objects", {"key": "gala/2026 #1"}, params)
    theirs = httpx.AsyncClient(base_url=base).build_request(
        "GET", "/events/gala%2F2026%20%231/objects", params=params
    )
    assert ours == theirs.url
    assert ours.params.get_list("label") == labels


def test_a_url_without_a_query_has_none() -> None:
    conn = Connection(base_url="https://api-eu.seatsio.net/", secret_key="sk")
    assert str(conn.url("/events/{key}", {"key": "e1"}, {"label": []})) == (
        "https://api-eu.seatsio.net/events/e1"
    )
