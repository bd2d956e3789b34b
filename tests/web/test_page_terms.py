"""The index page at 500 performances, in a real headless browser (Debian's chromium driven by
Playwright), at desktop (1280 px) and phone (390 px) width: production names and local times,
the summary bar and the search filtering the rows, the activity feed, no sideways scroll on a
phone. The page is served by :func:`bridge.daemon.web.build_app` over loopback from a synthetic
overview (the shape :func:`bridge.daemon.overview.overview` gives), so the 500 rows cost no
daemon. Skipped, with the reason, when playwright or /usr/bin/chromium is missing.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bridge.clock import ManualClock
from bridge.core.happenings import Happening, Topic
from bridge.daemon.metrics import BridgeMetrics
from bridge.daemon.web import Readiness, build_app
from bridge.sandbox.serve import serve_in_thread

CHROMIUM = "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if shutil.which(CHROMIUM) is None:
    pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.loopback]

NOW = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
ZONE = "America/New_York"
PRODUCTIONS = ("Macbeth", "Tosca", "The Nutcracker", "Gala Night", "Jazz at the Hall")
COUNT = 500
#: states by id: an error every 71st, conflicts every 43rd, not synced yet every 97th
ERRORS = {p for p in range(COUNT) if p % 71 == 5}
CONFLICTS = {p for p in range(COUNT) if p % 43 == 7} - ERRORS
NEW = {p for p in range(COUNT) if p % 97 == 11} - ERRORS - CONFLICTS


def start_of(i: int) -> datetime:
    # shuffled against the ids: the page must sort by start, not by id
    return NOW + timedelta(hours=(i * 37) % COUNT * 5 + 20)


def row(i: int) -> dict[str, object]:
    pid = 10_000 + i
    base: dict[str, object] = {"performance_id": pid}
    if i in NEW:
        return base
    outcome = "error" if i in ERRORS else "conflicts" if i in CONFLICTS else "converged"
    return base | {
        "event_key": f"perf-{pid}",
        "last_sync": (NOW - timedelta(seconds=30)).isoformat(),
        "outcome": outcome,
        "drift": 0,
        "conflicts": 2 if outcome == "conflicts" else 0,
        "errors": 1 if outcome == "error" else 0,
        "last_error": "seats.io answered 503" if outcome == "error" else None,
        "lease": None,
        "interrupted": None,
        "next_run": {"at": (NOW + timedelta(seconds=60)).isoformat(), "reason": "cadence"},
    }


def synthetic_overview() -> dict[str, object]:
    happenings = [
        Happening(
            Topic.APPLIED,
            NOW - timedelta(minutes=3),
            "held 4 seats in channel house",
            unit="performance 10001",
            performance_id=10_001,
        ),
        Happening(
            Topic.FINDING_OPENED,
            NOW - timedelta(minutes=2),
            "a seat the box office holds was sold online: Orchestra-A-2",
            severity="error",
            performance_id=10_007,
        ),
        Happening(Topic.ROLE, NOW - timedelta(minutes=1), "became active", severity="warning"),
    ]
    return {
        "role": "active",
        "holder": "host:1:abc",
        "instances": ["host:1:abc"],
        "config": {"ok": True, "error": "", "restart_pending": [], "refused": None},
        "last_discovery": NOW.isoformat(),
        "time_zone": ZONE,
        "writeback": {"mode": "off", "hold_code": 90},
        "shows": {
            str(10_000 + i): {
                "name": PRODUCTIONS[i % len(PRODUCTIONS)],
                "starts_at": start_of(i).isoformat(),
            }
            for i in range(COUNT)
        },
        "activity": [h.to_json() for h in reversed(happenings)],
        "units": {
            f"performance {10_000 + i}": {
                "performances": [10_000 + i],
                "every_s": 60,
                "failures": 0,
                "last_ending": "converged",
                "last_error": None,
                "next_run": (NOW + timedelta(seconds=60)).isoformat(),
                "reason": "cadence",
                "instance": "host:1:abc",
                "last_success": (NOW - timedelta(minutes=5)).isoformat(),
            }
            for i in range(0, COUNT, 50)
        },
        "performances": [row(i) for i in range(COUNT)],
        "daemons": [],
    }


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    data = synthetic_overview()

    def overview() -> Mapping[str, object]:
        return data

    app = build_app(
        lambda: Readiness(True, {"role": "ok"}),
        BridgeMetrics(clock=ManualClock(NOW)),
        overview=overview,
        clock=ManualClock(NOW),
    )
    with serve_in_thread(app) as base:
        yield base


@pytest.fixture(params=[1280, 390], ids=["desktop", "phone"])
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": request.param, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    try:
        yield pg
    finally:
        context.close()


def visible_ids(page: Any) -> list[int]:
    return [
        int(x)
        for x in page.eval_on_selector_all(
            "tr.performance:not([hidden])", "rows => rows.map(r => r.dataset.performance)"
        )
    ]


def test_names_and_local_times_in_next_show_order(url: str, page: Any) -> None:
    page.goto(url)
    first = page.locator("tr.performance").first
    soonest = min(range(COUNT), key=start_of)
    assert first.get_attribute("data-performance") == str(10_000 + soonest)
    local = start_of(soonest).astimezone(ZoneInfo(ZONE))
    text = first.inner_text()
    assert PRODUCTIONS[soonest % len(PRODUCTIONS)] in text
    assert local.strftime("%a %d %b %H:%M") in text  # the venue's time, not UTC
    assert f"#{10_000 + soonest}" in text  # the id stays, secondary
    starts = page.eval_on_selector_all(
        "tr.performance", "rows => rows.map(r => Date.parse(r.dataset.start))"
    )
    assert starts == sorted(starts) and len(starts) == COUNT


def test_the_summary_bar_counts_and_filters_each_state(url: str, page: Any) -> None:
    page.goto(url)
    bar = page.locator("#summary-bar")
    for state, ids in (("error", ERRORS), ("conflicts", CONFLICTS), ("new", NEW)):
        link = bar.locator(f'a[data-state="{state}"]')
        assert link.locator(".n").inner_text() == str(len(ids))
        link.click()
        assert sorted(visible_ids(page)) == sorted(10_000 + i for i in ids)
        assert f"state={state}" in page.url  # a link to the filtered page
    bar.locator('a[data-state=""]').click()
    assert len(visible_ids(page)) == COUNT


def test_a_filtered_link_opens_filtered(url: str, page: Any) -> None:
    page.goto(f"{url}/?state=error")
    assert sorted(visible_ids(page)) == sorted(10_000 + i for i in ERRORS)
    page.goto(f"{url}/?state=bogus")  # an unknown state filters nothing
    assert len(visible_ids(page)) == COUNT


def test_the_search_finds_by_name_id_and_event(url: str, page: Any) -> None:
    page.goto(url)
    box = page.locator("#search")
    box.fill("macbeth")
    want = sorted(
        10_000 + i for i in range(COUNT) if PRODUCTIONS[i % len(PRODUCTIONS)] == "Macbeth"
    )
    assert sorted(visible_ids(page)) == want
    box.fill("10123")
    assert visible_ids(page) == [10_123]
    box.fill("perf-10042")
    assert visible_ids(page) == [10_042]
    box.fill("no such show")
    assert visible_ids(page) == []
    assert page.locator("#shown-count").inner_text() == f"0 of {COUNT} shown"


def test_the_badge_is_amber_while_performances_are_in_error(url: str, page: Any) -> None:
    page.goto(url)
    badge = page.locator("#role")
    assert badge.inner_text() == "active"
    assert badge.get_attribute("data-health") == "warn"


def test_the_activity_feed_shows_the_latest_happening_first(url: str, page: Any) -> None:
    page.goto(url)
    items = page.locator("#activity li")
    assert items.count() == 3
    assert "became active" in items.nth(0).inner_text()
    sold = items.nth(1)
    assert "sold online" in sold.inner_text() and "error" in (sold.get_attribute("class") or "")
    local = (NOW - timedelta(minutes=2)).astimezone(ZoneInfo(ZONE)).strftime("%H:%M:%S")
    assert local in sold.inner_text()


def test_no_sideways_scroll(url: str, page: Any) -> None:
    page.goto(url)
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width


class Switch:
    """The daemon's answers, switched off and on: off, every request gets a 503 (a daemon that
    is gone, or a proxy in front of one)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.answering = True
        self.detail: dict[str, Any] = {}
        self.reset()

    def reset(self) -> None:
        """Performance 201's page data, as at the start."""
        self.detail = {
            "performance_id": 201,
            "name": "Gala Night",
            "time_zone": ZONE,
            "unit": "performance 201",
            "status": {
                "performance_id": 201,
                "event_key": "perf-201",
                "outcome": "converged",
                "state": "converged",
                "last_sync": NOW.isoformat(),
                "last_success": NOW.isoformat(),
                "drift": 0,
                "conflicts": 0,
                "errors": 0,
                "next_run": {"at": (NOW + timedelta(seconds=60)).isoformat(), "reason": "cadence"},
            },
            "conflicts": [],
            "findings": [],
            "pending_operations": [],
            "history": [],
            "seats": None,
            "writeback": None,
        }

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not self.answering:
            await send({"type": "http.response.start", "status": 503, "headers": []})
            await send({"type": "http.response.body", "body": b"no daemon"})
            return
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def switched() -> Iterator[tuple[str, Switch]]:
    data = synthetic_overview()
    data["performances"] = [row(i) for i in range(0, COUNT, 50)]  # a few rows: a quick page

    def overview() -> Mapping[str, object]:
        return data

    def performance(pid: int) -> Mapping[str, object] | None:
        return switch.detail if pid == 201 else None

    switch = Switch(
        build_app(
            lambda: Readiness(True, {"role": "ok"}),
            BridgeMetrics(clock=ManualClock(NOW)),
            overview=overview,
            performance=performance,
            clock=ManualClock(NOW),
        )
    )
    with serve_in_thread(switch) as base:
        yield base, switch


def test_a_daemon_that_stops_answering_greys_the_page_and_the_badge_until_it_answers(
    switched: tuple[str, Switch], browser: Any
) -> None:
    base, switch = switched
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        stops_and_comes_back(page, base, switch)
    finally:
        context.close()


def stops_and_comes_back(page: Any, base: str, switch: Switch) -> None:
    switch.answering = True
    before = datetime.now(ZoneInfo(ZONE))  # the page's last good answer is at or after this
    page.goto(f"{base}/?refresh=1")
    badge = page.locator("#role")
    health = badge.get_attribute("data-health")
    assert badge.inner_text() == "active" and health in ("ok", "warn")
    switch.answering = False
    note = page.locator("#stale")
    note.wait_for()
    after = datetime.now(ZoneInfo(ZONE))
    assert "No answer from the daemon since" in note.inner_text()
    # the time of the last good answer, in the venue's zone
    assert any(t.strftime("%H:%M") in note.inner_text() for t in (before, after))
    assert page.locator("main.stale").count() == 1
    assert badge.inner_text() == "unknown" and badge.get_attribute("data-health") == "unknown"
    assert badge.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(102, 102, 102)"
    switch.answering = True
    page.locator("main:not(.stale)").wait_for()
    assert note.count() == 0
    assert badge.inner_text() == "active" and badge.get_attribute("data-health") == health


def test_the_performance_page_gets_304_while_nothing_changed_and_shows_a_change(
    switched: tuple[str, Switch], browser: Any
) -> None:
    base, switch = switched
    switch.answering = True
    switch.reset()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    answers: list[Any] = []
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("response", lambda r: answers.append(r) if ".json?poll=1" in r.url else None)
        page.goto(f"{base}/performances/201?refresh=1")
        assert page.locator("#outcome").inner_text() == "converged"
        # nothing changed: the poller names the ETag it has and gets no body back
        if not any(r.status == 304 for r in answers):
            page.wait_for_event("response", lambda r: ".json?poll=1" in r.url and r.status == 304)
        assert answers[0].status == 200  # the first poll has no ETag yet
        assert answers[-1].request.headers.get("if-none-match") == answers[0].headers["etag"]
        # a patched time moves in place; a new state fetches the page again
        later = NOW + timedelta(minutes=7)
        switch.detail["status"]["next_run"] = {"at": later.isoformat(), "reason": "asked for"}
        shown = later.astimezone(ZoneInfo(ZONE)).strftime("%H:%M:%S")
        page.locator('#summary [data-field="next_run"]', has_text=shown).wait_for()
        assert page.locator('#summary [data-field="next_reason"]').inner_text() == "asked for"
        switch.detail["status"] |= {"outcome": "error", "state": "error", "errors": 1}
        page.locator("#outcome", has_text="error").wait_for()
    finally:
        context.close()
        switch.reset()
