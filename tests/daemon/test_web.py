"""The daemon's HTTP endpoints, and serving them inside the running loop."""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import Mapping
from datetime import UTC, datetime

import httpx
import pytest
from starlette.applications import Starlette

from bridge.clock import ManualClock
from bridge.daemon.metrics import BridgeMetrics
from bridge.daemon.web import HttpServer, Readiness, build_app, parse_listen, serve_http
from bridge.errors import ConfigError

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
WAIT_S = 10.0  # upper bound for anything that should take milliseconds


def metrics() -> BridgeMetrics:
    return BridgeMetrics(clock=ManualClock(T0))


def client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bridge")


async def test_healthz() -> None:
    app = build_app(lambda: Readiness(False, {"role": "standby"}), metrics())
    async with client(app) as c:
        r = await c.get("/healthz")
    assert r.status_code == 200
    assert r.text == "ok"


async def test_readyz_ready() -> None:
    app = build_app(lambda: Readiness(True, {"config": "ok", "store": "ok"}), metrics())
    async with client(app) as c:
        r = await c.get("/readyz")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"ready": True, "checks": {"config": "ok", "store": "ok"}}


async def test_readyz_not_ready_is_503_with_the_failing_checks() -> None:
    state = {"ready": False}

    def readiness() -> Readiness:
        if state["ready"]:
            return Readiness(True, {"role": "ok"})
        return Readiness(False, {"role": "standby", "store": "ok"})

    app = build_app(readiness, metrics())
    async with client(app) as c:
        r = await c.get("/readyz")
        assert r.status_code == 503
        assert r.json() == {"ready": False, "checks": {"role": "standby", "store": "ok"}}
        state["ready"] = True  # asked per request
        assert (await c.get("/readyz")).status_code == 200


async def test_metrics_route() -> None:
    m = metrics()
    m.unit_reconciled("converged")
    m.synced(101, T0)
    app = build_app(lambda: Readiness(True, {}), m)
    async with client(app) as c:
        r = await c.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"] == m.exposition()[1]
    assert r.headers["content-type"].startswith("text/plain; version=")
    assert 'seatbridge_reconciles_total{result="converged"} 1.0' in r.text
    assert 'seatbridge_seconds_since_last_sync{performance="101"} 0.0' in r.text


async def test_status_route() -> None:
    def status() -> Mapping[str, object]:
        return {"role": "active", "last_discovery": T0}

    async with client(build_app(lambda: Readiness(True, {}), metrics(), status)) as c:
        r = await c.get("/status")
    assert r.status_code == 200
    assert r.json() == {"role": "active", "last_discovery": str(T0)}

    async with client(build_app(lambda: Readiness(True, {}), metrics())) as c:
        assert (await c.get("/status")).status_code == 404


async def test_unknown_path_and_method() -> None:
    async with client(build_app(lambda: Readiness(True, {}), metrics())) as c:
        assert (await c.get("/nope")).status_code == 404
        assert (await c.post("/healthz")).status_code == 405


@pytest.mark.parametrize(
    ("listen", "expected"),
    [
        ("127.0.0.1:9464", ("127.0.0.1", 9464)),
        ("[::1]:9464", ("::1", 9464)),
        ("localhost:0", ("localhost", 0)),
    ],
)
def test_parse_listen(listen: str, expected: tuple[str, int]) -> None:
    assert parse_listen(listen) == expected


@pytest.mark.parametrize("listen", ["9464", ":9464", "::1:9464", "host:", "host:http", "h:70000"])
def test_bad_listen_is_a_config_error(listen: str) -> None:
    with pytest.raises(ConfigError, match="expected host:port"):
        parse_listen(listen)
    with pytest.raises(ConfigError):
        HttpServer(build_app(lambda: Readiness(True, {}), metrics()), listen)


@pytest.mark.loopback
async def test_serve_http_on_loopback_until_stopped() -> None:
    app = build_app(lambda: Readiness(True, {}), metrics())
    stop, ready = asyncio.Event(), asyncio.Event()
    http = HttpServer(app, "127.0.0.1:0")
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    task = asyncio.create_task(serve_http(app, "127.0.0.1:0", stop, ready=ready, server=http))
    await asyncio.wait_for(ready.wait(), WAIT_S)
    assert http.port > 0
    # uvicorn did not take over the daemon's signals
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before

    async with httpx.AsyncClient(timeout=WAIT_S) as c:
        r = await c.get(f"http://127.0.0.1:{http.port}/healthz")
    assert (r.status_code, r.text) == (200, "ok")

    stop.set()
    await asyncio.wait_for(task, WAIT_S)
    with socket.socket() as probe:  # the port is free again
        assert probe.connect_ex(("127.0.0.1", http.port)) != 0


@pytest.mark.loopback
async def test_port_in_use_is_a_config_error() -> None:
    app = build_app(lambda: Readiness(True, {}), metrics())
    async with HttpServer(app, "127.0.0.1:0") as first:
        ready = asyncio.Event()
        with pytest.raises(ConfigError, match=f"127.0.0.1:{first.port}.*cannot listen"):
            await serve_http(app, f"127.0.0.1:{first.port}", asyncio.Event(), ready=ready)
        assert not ready.is_set()
