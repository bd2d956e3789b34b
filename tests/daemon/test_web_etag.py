"""The page's JSON over real HTTP (loopback): an ETag on every answer, 304 without a body when the
poller's If-None-Match names the data it has, the whole answer as soon as anything changed; and
the performance page's digest, which moves only when more than the times it patches moved."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bridge.clock import ManualClock
from bridge.daemon.metrics import BridgeMetrics
from bridge.daemon.web import Readiness, build_app
from bridge.sandbox.serve import serve_in_thread

pytestmark = pytest.mark.loopback

NOW = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
TOKEN = "etag-test-token-0123456789abcdef"


class Data:
    """What the daemon would hand the app; the tests change it between requests."""

    def __init__(self) -> None:
        self.status: dict[str, Any] = {"role": "active", "units": {}, "performances": []}
        self.detail: dict[str, Any] = {
            "performance_id": 201,
            "unit": "performance 201",
            "status": {
                "performance_id": 201,
                "outcome": "converged",
                "last_sync": "2026-12-08T02:59:00+00:00",
                "next_run": {"at": "2026-12-08T03:00:04+00:00", "reason": "cadence"},
            },
            "conflicts": [],
            "findings": [],
            "pending_operations": [],
            "history": [],
            "seats": None,
            "writeback": None,
        }


@pytest.fixture
def served() -> Iterator[tuple[Data, httpx.Client]]:
    data = Data()

    def overview() -> Mapping[str, object]:
        return data.status

    def performance(pid: int) -> Mapping[str, object] | None:
        return data.detail if pid == 201 else None

    app = build_app(
        lambda: Readiness(True, {}),
        BridgeMetrics(clock=ManualClock(NOW)),
        overview=overview,
        performance=performance,
        token=TOKEN,
        clock=ManualClock(NOW),
    )
    with (
        serve_in_thread(app) as base,
        httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
        ) as client,
    ):
        yield data, client


def test_the_status_json_is_not_sent_again_while_it_is_unchanged(
    served: tuple[Data, httpx.Client],
) -> None:
    data, c = served
    first = c.get("/status.json")
    tag = first.headers["etag"]
    assert first.status_code == 200 and tag.startswith('"') and first.json()["role"] == "active"
    again = c.get("/status.json", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    assert c.get("/status.json", headers={"If-None-Match": f'"other", W/{tag}'}).status_code == 304
    data.status["role"] = "standby"
    changed = c.get("/status.json", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.json()["role"] == "standby"
    assert changed.headers["etag"] != tag


def test_a_performances_json_answers_304_and_an_unknown_one_404(
    served: tuple[Data, httpx.Client],
) -> None:
    _, c = served
    first = c.get("/performances/201.json?poll=1")
    assert first.status_code == 200
    assert set(first.json()) == {"performance_id", "status", "page_digest"}
    tag = first.headers["etag"]
    assert c.get("/performances/201.json?poll=1", headers={"If-None-Match": tag}).status_code == 304
    whole = c.get("/performances/201.json", headers={"If-None-Match": tag})
    assert whole.status_code == 200 and "seats" in whole.json()  # another body, another tag
    missing = c.get("/performances/999.json", headers={"If-None-Match": tag})
    assert missing.status_code == 404


def test_the_token_comes_before_any_304(served: tuple[Data, httpx.Client]) -> None:
    _, c = served
    tag = c.get("/status.json").headers["etag"]
    bare = httpx.get(str(c.base_url) + "/status.json", headers={"If-None-Match": tag})
    assert bare.status_code == 401


def test_the_page_digest_moves_only_beyond_the_times_the_page_patches(
    served: tuple[Data, httpx.Client],
) -> None:
    data, c = served

    def digest() -> str:
        return str(c.get("/performances/201.json?poll=1").json()["page_digest"])

    before = digest()
    data.detail["status"]["next_run"] = {"at": "2026-12-08T03:00:08+00:00", "reason": "cadence"}
    data.detail["status"]["last_sync"] = "2026-12-08T03:00:04+00:00"
    assert digest() == before  # the poller patches these in place: no page fetched again
    data.detail["conflicts"] = [{"kind": "sold_while_held", "label": "Orchestra-A-2"}]
    assert digest() != before  # a new conflict: the page is fetched again
    after = digest()
    data.detail["status"]["outcome"] = "conflicts"
    assert digest() != after


def test_the_index_poll_digest_moves_only_beyond_the_times_it_patches(
    served: tuple[Data, httpx.Client],
) -> None:
    data, c = served
    data.status["units"] = {"performance 201": {"performances": [201], "next_run": "a"}}
    data.status["performances"] = [dict(data.detail["status"])]

    def poll() -> dict[str, Any]:
        got = c.get("/status.json?poll=1").json()
        assert isinstance(got, dict)
        return got

    before = poll()
    assert before["rows"]["201"]["next_run"] == "2026-12-08T03:00:04+00:00"
    row = data.status["performances"][0]
    row["next_run"] = {"at": "2026-12-08T03:00:08+00:00", "reason": "cadence"}
    data.status["units"]["performance 201"]["next_run"] = "2026-12-08T03:00:08+00:00"
    after = poll()
    assert after["page_digest"] == before["page_digest"]  # patched in place
    assert after["rows"]["201"]["next_run"] == "2026-12-08T03:00:08+00:00"
    assert after["units"]["performance 201"]["next_run"] == "2026-12-08T03:00:08+00:00"
    row["outcome"] = "error"
    assert poll()["page_digest"] != before["page_digest"]  # a new state: the page again


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            {
                "lease": {
                    "holder": "b:2:x",
                    "expires_at": "2026-12-08T03:01:00+00:00",
                    "stale": False,
                }
            },
            id="a lease taken",
        ),
        pytest.param({"waits_for_config": True}, id="waits for a config fix"),
        pytest.param({"stale": True}, id="the lease's holder died"),
    ],
)
def test_the_index_poll_is_no_304_when_a_drawn_lease_or_wait_changed(
    served: tuple[Data, httpx.Client], change: dict[str, Any]
) -> None:
    data, c = served
    row = dict(data.detail["status"])
    row["lease"] = {"holder": "a:1:x", "expires_at": "2026-12-08T03:01:00+00:00", "stale": False}
    row["next_run"] = {"at": "2026-12-08T03:00:04+00:00", "reason": "cadence"}
    data.status["performances"] = [row]
    tag = c.get("/status.json?poll=1").headers["etag"]
    assert c.get("/status.json?poll=1", headers={"If-None-Match": tag}).status_code == 304
    if "waits_for_config" in change:
        row["next_run"] = row["next_run"] | change
    elif "stale" in change:
        row["lease"] = row["lease"] | change
    else:
        row.update(change)
    again = c.get("/status.json?poll=1", headers={"If-None-Match": tag})
    assert again.status_code == 200  # the index draws it: the page must be fetched again
