"""The page and its JSON show what the bridge holds in Tessitura (two-way write-back): a count per
performance on the overview, the seats on the performance's page, from one ledger read each."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bridge.clock import ManualClock
from bridge.daemon import overview
from bridge.daemon.metrics import BridgeMetrics
from bridge.daemon.web import Readiness, build_app
from bridge.domain import WritebackHold
from bridge.store import open_store
from bridge.store.base import PerformanceStatus, StateStore, SyncOutcome

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
WEB = 90


def daemon(mode: str) -> dict[str, object]:
    return {
        "role": "active",
        "holder": "host:1:abc",
        "config": {"ok": True, "error": "", "restart_pending": []},
        "last_discovery": T0.isoformat(),
        "units": {"performance 201": {"performances": [201, 202], "every_s": 15.0}},
        "writeback": {"mode": mode, "hold_code": WEB if mode != "off" else None},
    }


class Counting:
    """The store, counting its write-back ledger reads."""

    def __init__(self, store: StateStore) -> None:
        self.store = store
        self.ledger_reads = 0

    def writeback_holds(
        self, performance_ids: Iterable[int] | None = None
    ) -> dict[tuple[int, int], WritebackHold]:
        self.ledger_reads += 1
        return self.store.writeback_holds(performance_ids)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Counting]:
    with open_store(tmp_path / "state.sqlite3") as s:
        for pid in (201, 202):
            s.set_performance_status(
                PerformanceStatus(pid, T0, SyncOutcome.CONVERGED, f"perf-{pid}")
            )
        s.claim_writeback(
            [
                WritebackHold(201, 1005, "Orchestra-C-5", "perf-201", WEB, T0),
                WritebackHold(201, 1004, "Orchestra-C-4", "perf-201", WEB, T0),
                WritebackHold(203, 1001, "Orchestra-A-1", "perf-203", WEB, T0),
            ]
        )
        yield Counting(s)


def app_for(store: Counting, data: Mapping[str, object]) -> Starlette:
    return build_app(
        lambda: Readiness(True, {"role": "ok"}),
        BridgeMetrics(clock=ManualClock(T0)),
        lambda: data,
        overview=lambda: overview.overview(store, data),  # type: ignore[arg-type]
        performance=lambda pid: overview.performance_detail(store, pid, data),  # type: ignore[arg-type]
        clock=ManualClock(T0),
    )


def test_the_overview_counts_each_performances_write_back_holds_in_one_read(
    store: Counting,
) -> None:
    c = TestClient(app_for(store, daemon("apply")))
    data = c.get("/status.json").json()
    held = {r["performance_id"]: r["writeback_holds"] for r in data["performances"]}
    assert held == {201: 2, 202: 0, 203: 1}  # 203: held in Tessitura, no status recorded
    assert store.ledger_reads == 1
    store.ledger_reads = 0
    html = c.get("/").text
    assert "held in Tessitura" in html
    assert '<td data-th="held in Tessitura" class="num writeback-holds">2</td>' in html
    assert store.ledger_reads == 1


def test_with_the_write_back_off_the_page_has_no_tessitura_column(store: Counting) -> None:
    c = TestClient(app_for(store, daemon("off")))
    rows = c.get("/status.json").json()["performances"]
    assert {r["writeback_holds"] for r in rows} == {None}
    assert "held in Tessitura" not in c.get("/").text
    assert c.get("/performances/201.json").json()["writeback"] is None
    assert store.ledger_reads == 0


def test_the_performance_page_lists_the_seats_the_bridge_holds_in_tessitura(
    store: Counting,
) -> None:
    c = TestClient(app_for(store, daemon("apply")))
    data = c.get("/performances/201.json").json()
    assert data["writeback"]["hold_code"] == WEB
    assert data["writeback"]["holds"] == [
        {"label": "Orchestra-C-4", "seat_id": 1004, "since": T0.isoformat()},
        {"label": "Orchestra-C-5", "seat_id": 1005, "since": T0.isoformat()},
    ]
    assert data["status"]["writeback_holds"] == 2
    store.ledger_reads = 0
    html = c.get("/performances/201").text
    assert store.ledger_reads == 1
    assert 'id="writeback-holds"' in html
    assert '<tr class="writeback-hold" data-seat="1004"><td><code>Orchestra-C-4</code>' in html
    empty = c.get("/performances/202").text
    assert "The bridge holds no seat of this performance in Tessitura" in empty
