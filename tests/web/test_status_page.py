"""The status page in a real headless browser: Debian's chromium driven by Playwright, against
`seatbridge run` as a child process on the served sandbox, listening beyond loopback with a
bearer token. Every wait is bounded and waits for something the page shows; nothing is timed.

Skipped, with the reason, when playwright or /usr/bin/chromium is missing (`.ci/run` installs
chromium with apt when it can).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from bridge.sandbox import Sandbox
from bridge.testing.daemon import converged, eventually, fast_config, role_of
from bridge.testing.sandbox import run, served_sandbox, spawn

T = TypeVar("T")

CHROMIUM = "/usr/bin/chromium"
TOKEN = "browser-test-token-0123456789abcdef"
#: Bound for what the page should show within a few of the daemon's 1 s cadences.
PATIENCE_MS = 30_000

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if shutil.which(CHROMIUM) is None:
    pytest.skip(
        f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)",
        allow_module_level=True,
    )

pytestmark = [pytest.mark.browser, pytest.mark.loopback]


def listen_of(config: Path, proc: subprocess.Popen[str]) -> str | None:
    """Where the daemon with this process id listens, once its store note says it is active."""
    if proc.poll() is not None:
        _, err = proc.communicate()
        pytest.fail(f"the daemon exited with {proc.returncode}:\n{err[-3000:]}")
    note = role_of(config, proc.pid)
    return str(note["listen"]) if note and note.get("role") == "active" else None


def beyond_loopback(config: Path) -> Path:
    """Listen on every address (port 0) with the token from a file."""
    secret = config.parent / "http-token"
    secret.write_text(TOKEN + "\n", encoding="utf-8")
    text = config.read_text(encoding="utf-8").replace(
        'listen = "127.0.0.1:0"', f'listen = "0.0.0.0:0"\ntoken_file = "{secret}"'
    )
    config.write_text(text, encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, str]]:
    with served_sandbox(tmp_path_factory.mktemp("web")) as (box, config):
        config = beyond_loopback(fast_config(config))
        # sold online before the bridge holds it (house seat, code 1): a conflict on the map
        box.seatsio_world.book("perf-201", ["Orchestra-A-2"])
        proc = spawn(config, "run")
        try:
            listen = eventually("the daemon is active", lambda: listen_of(config, proc))
            url = "http://127.0.0.1:" + listen.rsplit(":", 1)[1]  # it says 0.0.0.0:PORT
            eventually("every performance converged", lambda: converged(config))
            yield box, url
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.communicate(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.communicate()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(extra_http_headers={"Authorization": f"Bearer {TOKEN}"})
    pg = context.new_page()
    pg.set_default_timeout(PATIENCE_MS)
    try:
        yield pg
    finally:
        context.close()


def test_beyond_loopback_every_page_but_healthz_needs_the_token(
    daemon: tuple[Sandbox, str],
) -> None:
    _, url = daemon
    with httpx.Client(base_url=url, timeout=5) as c:
        assert c.get("/healthz").status_code == 200
        for path in ("/", "/status.json", "/readyz", "/metrics", "/performances/201"):
            assert c.get(path).status_code == 401, path
            ok = c.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
            assert ok.status_code in (200, 503), path  # /readyz may say not ready
        assert c.get("/status.json", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_the_page_shows_every_unit_converged(daemon: tuple[Sandbox, str], page: Any) -> None:
    _, url = daemon
    page.goto(f"{url}/?refresh=1")
    assert page.locator("#role").inner_text() == "active"
    want = {p.id for p in Sandbox().venue.performances}
    page.wait_for_function(  # the page refreshes itself until every row has converged
        """want => want.every(id => {
            const row = document.querySelector(`tr.performance[data-performance="${id}"]`);
            return row && ["converged", "conflicts"].includes(row.dataset.outcome);
        })""",
        arg=sorted(want),
    )
    units = page.locator("tr.unit").count()
    assert units >= 2  # a season together, the standalone performances each on their own
    assert page.locator("#config .badge").inner_text() == "loaded"
    # the venue's terms: the production's name and its start in the venue's zone (-05:00)
    gala = next(p for p in Sandbox().venue.performances if p.id == 201)
    row = page.locator('tr.performance[data-performance="201"]')
    assert row.locator(".show-name").inner_text() == gala.description
    local = gala.start.astimezone(timezone(timedelta(hours=-5)))
    assert row.locator(".when").inner_text() == local.strftime("%a %d %b %H:%M")
    assert row.locator("a").get_attribute("href") == "/performances/201"  # its own page
    # the activity feed: what the daemon did to get there, the conflict it found among it
    page.locator('#activity li[data-topic="applied"]').first.wait_for()
    opened = page.locator('#activity li[data-topic="finding_opened"]', has_text="#201")
    assert opened.count() >= 1
    shots = os.environ.get("SEATBRIDGE_PAGE_SHOTS")
    if shots:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=f"{shots}/index-1280.png", full_page=True)
        page.goto(f"{url}/performances/201")
        page.locator("svg.seatmap").wait_for()
        page.screenshot(path=f"{shots}/performance-1280.png", full_page=True)


def test_a_hold_placed_in_tessitura_shows_on_the_performance_page(
    daemon: tuple[Sandbox, str], page: Any
) -> None:
    box, url = daemon
    page.goto(f"{url}/performances/201?refresh=1")  # polls every second
    assert page.locator("h1 .show-name").inner_text() == "Gala Night"
    assert "#201" in page.locator("#ids").inner_text()
    assert page.locator('[data-slot="seatmap"]').count() == 1
    label = "Orchestra-J-7"
    assert label not in page.locator("main").inner_text()
    box.tessitura_world.hold(201, [box.venue.seat_by_label(label).id], 2)
    # the page polls by itself; wait until a journaled operation names the seat
    # (polling every second, the page may first show the operation started, mid-run)
    page.locator("#history tr.op", has_text=label).locator(".badge.done").first.wait_for()
    # the seat map follows: code 2 is the bridge status held-press
    page.locator(f'circle.seat[data-label="{label}"][data-state="status"]').wait_for()


def seat_state(page: Any, label: str) -> str:
    return str(page.locator(f'circle.seat[data-label="{label}"]').get_attribute("data-state"))


def test_the_seat_map_colours_held_sold_and_conflicting_seats(
    daemon: tuple[Sandbox, str], page: Any
) -> None:
    _, url = daemon
    page.goto(f"{url}/performances/201")
    page.locator("svg.seatmap").wait_for()
    held, sold, conflict = "Orchestra-A-1", "Orchestra-G-10", "Orchestra-A-2"
    assert seat_state(page, held) == "channel"  # code 1: the house channel
    assert seat_state(page, sold) == "sold"
    assert seat_state(page, conflict) == "conflict"
    fills = {
        s: page.locator(f'circle.seat[data-label="{s}"]').evaluate(
            "el => getComputedStyle(el).fill"
        )
        for s in (held, sold, conflict)
    }
    assert len(set(fills.values())) == 3, fills  # three different colours on screen
    hover = page.locator(f'circle.seat[data-label="{conflict}"] title').text_content() or ""
    assert "conflict: sold online" in hover and "Tessitura holds it" in hover
    shot = os.environ.get("SEATBRIDGE_SCREENSHOT")  # the README's picture: docs/seatmap.png
    if shot:
        page.locator("#seatmap").screenshot(path=shot)


def test_the_seat_map_labels_sections_rows_the_stage_and_each_channel(
    daemon: tuple[Sandbox, str], page: Any
) -> None:
    box, url = daemon
    page.goto(f"{url}/performances/201")
    page.locator("svg.seatmap").wait_for()
    sections = {s.description for s in box.venue.sections}
    shown = set(
        page.eval_on_selector_all("g.section-label", "gs => gs.map(g => g.dataset.section)")
    )
    assert shown == sections
    rows = page.eval_on_selector_all(
        'text.row-label[data-section="Orchestra"]', "ts => ts.map(t => t.textContent)"
    )
    assert rows[0] == "A" and "W" in rows
    assert page.locator("g.stage text").text_content() == "STAGE"
    stage_y = float(page.locator("g.stage rect").get_attribute("y") or "0")
    front = page.locator('circle.seat[data-label="Orchestra-A-1"]')
    assert stage_y < float(front.get_attribute("cy") or "0")  # the front row faces the stage
    # each channel in its hold-code table colour (mappings/sample/hold-codes.csv), in the legend
    house = page.locator('circle.seat[data-label="Orchestra-A-1"]')
    assert house.get_attribute("data-channel") == "house"
    assert house.evaluate("el => getComputedStyle(el).fill") == "rgb(176, 58, 46)"  # #B03A2E
    assert "House seats" in (
        page.locator('g.legend-item[data-channel="house"]').text_content() or ""
    )


def test_the_conflicts_table_names_the_hold_code(daemon: tuple[Sandbox, str], page: Any) -> None:
    _, url = daemon
    page.goto(f"{url}/performances/201")
    cell = page.locator('#conflicts tr[data-label="Orchestra-A-2"] td.hold-codes')
    assert "1 House Seats" in cell.inner_text()  # Tessitura's description of code 1
    assert "channel house" in cell.inner_text()  # what the hold-code table maps it to


def test_the_performance_page_fits_a_phone(daemon: tuple[Sandbox, str], browser: Any) -> None:
    _, url = daemon
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        extra_http_headers={"Authorization": f"Bearer {TOKEN}"},
    )
    try:
        pg = context.new_page()
        for path in ("/", "/performances/201"):
            pg.goto(url + path)
            assert pg.evaluate("document.documentElement.scrollWidth") <= 390, path
            shots = os.environ.get("SEATBRIDGE_PAGE_SHOTS")  # a folder: the closing note's
            if shots:
                name = "index" if path == "/" else "performance"
                pg.screenshot(path=f"{shots}/{name}-390.png", full_page=True)
        box = pg.locator("svg.seatmap").bounding_box()
        assert box is not None and box["width"] <= 390  # the map scales down
    finally:
        context.close()


def test_the_daemon_refuses_to_listen_beyond_loopback_without_a_token(tmp_path: Path) -> None:
    with served_sandbox(tmp_path) as (_, config):
        config = fast_config(config)
        config.write_text(
            config.read_text(encoding="utf-8").replace("127.0.0.1:0", "0.0.0.0:0"),
            encoding="utf-8",
        )
        done = run(config, "run", timeout_s=30)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "beyond loopback" in lines[0], done.stderr
    assert "SEATBRIDGE_HTTP_TOKEN" in lines[0]


def test_the_sync_now_button_asks_the_daemon_and_says_so_once(
    daemon: tuple[Sandbox, str], page: Any
) -> None:
    """A real browser's click: its POST carries the page's own Origin and Sec-Fetch-Site, which
    the server's same-origin check lets through; the answer comes back as a message on the
    page, shown once (the address loses its ?sync=)."""
    _, url = daemon
    page.goto(f"{url}/performances/201")
    page.locator("#sync-now button").click()
    flash = page.locator("#sync-flash")
    flash.wait_for()
    assert "Sync requested" in flash.inner_text()
    page.wait_for_function("() => !location.search.includes('sync=')")
    assert page.locator("h1 .show-name").inner_text() == "Gala Night"
