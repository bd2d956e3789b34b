"""serve_in_thread: any ASGI app on a free loopback port, stopped when the block ends."""

from __future__ import annotations

import socket
from datetime import date

import httpx
import pytest

from bridge.sandbox.serve import serve_in_thread
from bridge.sandbox.tessitura_app import create_tessitura_app
from bridge.sandbox.venue import load_venue

pytestmark = pytest.mark.loopback


def test_the_app_answers_on_the_yielded_loopback_url() -> None:
    app = create_tessitura_app(load_venue(today=date(2026, 11, 21)))
    with serve_in_thread(app) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        r = httpx.get(f"{base_url}/_sandbox/requests", timeout=5)
        assert r.status_code == 200


def test_the_port_is_closed_after_the_block() -> None:
    app = create_tessitura_app(load_venue(today=date(2026, 11, 21)))
    with serve_in_thread(app) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
