"""The status page, its JSON, the performance pages and the bearer token (in-process, no browser)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bridge.clock import ManualClock
from bridge.core.explain import PerformanceFacts, SeatFacts, SeatPlace, SeatState, Shows
from bridge.daemon import notes, overview
from bridge.daemon.metrics import BridgeMetrics
from bridge.daemon.web import Readiness, build_app, check_exposure, is_loopback
from bridge.errors import BridgeError, ConfigError
from bridge.store import open_store
from bridge.store.base import OpState, PerformanceStatus, RunMode, StateStore, SyncOutcome

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
TOKEN = "s3cret-token-for-tests-0123456789"

DAEMON: dict[str, object] = {
    "role": "active",
    "holder": "host:1:abc",
    "config": {"ok": True, "error": "", "restart_pending": ["[http]"]},
    "last_discovery": T0.isoformat(),
    "units": {
        "performance 201": {
            "performances": [201],
            "every_s": 15.0,
            "failures": 0,
            "next_run": T0.isoformat(),
            "reason": "converged",
        }
    },
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    with open_store(tmp_path / "state.sqlite3") as s:
        s.set_performance_status(
            PerformanceStatus(201, T0, SyncOutcome.CONFLICTS, "perf-201", conflicts=1)
        )
        s.set_performance_status(
            PerformanceStatus(
                999, T0, SyncOutcome.ERROR, "perf-999", errors=2, last_error="<b>boom</b>"
            )
        )
        plan = {
            "findings": [
                {
                    "kind": "conflict",
                    "performance_id": 201,
                    "event_key": "perf-201",
                    "label": "Orchestra-A-1",
                    "hold_code_id": 2,
                    "detail": "sold online",
                },
                {
                    "kind": "conflict",
                    "performance_id": 202,
                    "event_key": "perf-202",
                    "label": "Other-1",
                },
            ]
        }
        run = s.begin_run([201], RunMode.APPLY, json.dumps(plan), now=T0)
        op = {
            "kind": "change_status",
            "event_keys": ["perf-201"],
            "labels": ["Orchestra-J-7"],
            "target": "press",
        }
        s.op_started(run, 0, json.dumps(op), now=T0)
        s.op_finished(run, 0, OpState.DONE, now=T0)
        s.op_started(run, 1, json.dumps({**op, "labels": ["Orchestra-J-8"]}), now=T0)
        s.op_finished(run, 1, OpState.FAILED, "refused by seats.io", now=T0)
        other = {**op, "event_keys": ["perf-202"], "labels": ["Elsewhere-1"]}  # same unit
        s.op_started(run, 2, json.dumps(other), now=T0)
        s.op_finished(run, 2, OpState.FAILED, "not this performance's", now=T0)
        s.finish_run(run, json.dumps({"done": 1, "failed": 1}), now=T0)
        notes.put_refused_config(s, T0, ["seats-12.csv:4:1: not a valid row"])
        yield s


def seat(label: str, state: SeatState, rule: str, x: int | None = 1) -> SeatFacts:
    return SeatFacts(
        seat_id=1,
        label=label,
        place=SeatPlace(1, "Orchestra", "A", "1", x, 1),
        holds=(),
        event_key="perf-201",
        season_key=None,
        desired=Shows("channel", "press"),
        observed=Shows("sold"),
        owned=(),
        state=state,
        rule=rule,
    )


def facts_of(*seats: SeatFacts) -> PerformanceFacts:
    return PerformanceFacts(201, None, False, 12, seats, (), ())


def app_for(
    store: StateStore | None,
    token: str | None = None,
    seats: PerformanceFacts | BridgeError | None = None,
) -> Starlette:
    async def seat_facts(pid: int) -> PerformanceFacts | None:
        if isinstance(seats, BridgeError):
            raise seats
        return seats

    def status() -> Mapping[str, object]:
        return DAEMON

    return build_app(
        lambda: Readiness(True, {"role": "ok"}),
        BridgeMetrics(clock=ManualClock(T0)),
        status,
        overview=lambda: overview.overview(store, DAEMON),
        performance=lambda pid: overview.performance_detail(store, pid, DAEMON),
        seat_facts=seat_facts if seats is not None else None,
        token=token,
    )


def test_status_json_is_the_daemon_status_with_the_stores_performances(
    store: StateStore,
) -> None:
    c = TestClient(app_for(store))
    data = c.get("/status.json").json()
    assert c.get("/status").json() == data
    assert data["role"] == "active" and data["units"] == DAEMON["units"]
    assert [r["performance_id"] for r in data["performances"]] == [201, 999]
    row = data["performances"][0]
    assert row["outcome"] == "conflicts" and row["event_key"] == "perf-201"
    assert data["config"]["refused"]["errors"] == ["seats-12.csv:4:1: not a valid row"]
    assert data["config"]["restart_pending"] == ["[http]"]


def test_the_page_shows_each_unit_its_performances_and_the_refused_edit(
    store: StateStore,
) -> None:
    r = TestClient(app_for(store)).get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert 'data-unit="performance 201"' in html
    assert 'data-performance="201" data-outcome="conflicts"' in html
    assert 'data-performance="999" data-outcome="error"' in html  # in no unit: still shown
    assert "not scheduled here" in html
    assert "seats-12.csv:4:1: not a valid row" in html
    assert "<code>[http]</code>" in html  # restart pending
    assert "&lt;b&gt;boom&lt;/b&gt;" in html and "<b>boom</b>" not in html
    assert "nonce-" in r.headers["content-security-policy"]


def test_the_page_refresh_interval_can_be_asked_for(store: StateStore) -> None:
    c = TestClient(app_for(store))
    assert 'data-refresh-s="2"' in c.get("/?refresh=2").text
    assert 'data-refresh-s="5"' in c.get("/?refresh=abc").text


def test_a_performance_page_shows_conflicts_pending_operations_and_history(
    store: StateStore,
) -> None:
    c = TestClient(app_for(store))
    data = c.get("/performances/201.json").json()
    assert data["unit"] == "performance 201"
    assert [f["label"] for f in data["conflicts"]] == ["Orchestra-A-1"]  # not 202's
    assert [o["labels"] for o in data["pending_operations"]] == [["Orchestra-J-8"]]
    # only operations on its own event, though the run covered the unit
    assert [o["state"] for o in data["history"][0]["operations"]] == ["done", "failed"]
    assert data["seats"] is None
    html = c.get("/performances/201").text
    assert "Orchestra-A-1" in html and "Orchestra-J-7" in html and "refused by seats.io" in html
    assert "Elsewhere-1" not in html
    assert 'data-slot="seatmap"' in html and "No seat map" in html


def test_an_unknown_performance_is_404(store: StateStore) -> None:
    c = TestClient(app_for(store))
    assert c.get("/performances/4242.json").status_code == 404
    assert c.get("/performances/4242").status_code == 404
    assert c.get("/performances/abc").status_code == 404


def test_the_seat_map_is_drawn_from_explains_facts_with_its_rule_on_hover(
    store: StateStore,
) -> None:
    facts = facts_of(
        seat("Orchestra-A-1", SeatState.CONFLICT, "conflict: sold online while Tessitura holds it"),
        seat("Orchestra-A-2", SeatState.UNKNOWN, "unknown seat: kept as is", x=None),
    )
    c = TestClient(app_for(store, seats=facts))
    html = c.get("/performances/201").text
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="seatmap"' in html
    assert 'data-label="Orchestra-A-1"' in html and 'data-state="conflict"' in html
    assert "conflict: sold online while Tessitura holds it" in html  # the hover text
    assert 'data-label="Orchestra-A-2"' in html and 'data-state="unknown"' in html
    data = c.get("/performances/201.json").json()
    assert [(s["label"], s["state"]) for s in data["seats"]] == [
        ("Orchestra-A-1", "conflict"),
        ("Orchestra-A-2", "unknown"),
    ]
    assert data["seat_counts"]["conflict"] == 1 and data["seat_read_error"] is None


def test_a_failed_seat_read_shows_its_error_and_the_rest_of_the_page(store: StateStore) -> None:
    failed = BridgeError("GET TXN/Performances/201/Seats: HTTP 503")
    c = TestClient(app_for(store, seats=failed))
    html = c.get("/performances/201").text
    assert "GET TXN/Performances/201/Seats: HTTP 503" in html and "Orchestra-J-7" in html
    assert c.get("/performances/201.json").json()["seat_read_error"].endswith("HTTP 503")


def test_every_route_is_read_only(store: StateStore) -> None:
    c = TestClient(app_for(store))
    for path in ("/", "/status.json", "/performances/201", "/performances/201.json"):
        assert c.post(path).status_code == 405
        assert c.head(path).status_code in (200, 404)


def test_with_a_token_every_route_but_healthz_needs_it(store: StateStore) -> None:
    c = TestClient(app_for(store, token=TOKEN))
    good = {"Authorization": f"Bearer {TOKEN}"}
    assert c.get("/healthz").status_code == 200
    for path in ("/", "/status.json", "/status", "/readyz", "/metrics", "/performances/201"):
        r = c.get(path)
        assert r.status_code == 401, path
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert TOKEN not in r.text
        assert c.get(path, headers={"Authorization": f"Bearer {TOKEN}x"}).status_code == 401
        assert c.get(path, headers={"Authorization": TOKEN}).status_code == 401
        assert c.get(path, headers=good).status_code == 200, path


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.4", False),
        ("bridge.example", False),
    ],
)
def test_what_counts_as_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_beyond_loopback_without_a_token_is_refused() -> None:
    with pytest.raises(ConfigError, match="SEATBRIDGE_HTTP_TOKEN"):
        check_exposure("0.0.0.0:9464", None)
    check_exposure("0.0.0.0:9464", TOKEN)
    check_exposure("127.0.0.1:9464", None)


def test_without_a_store_the_page_still_shows_the_daemon() -> None:
    c = TestClient(app_for(None))
    assert c.get("/status.json").json()["performances"] == []
    assert c.get("/").status_code == 200
    assert c.get("/performances/201.json").status_code == 404
