"""What the status page costs the network: bytes a browser downloads while a page stays open.

The sample venue is served on loopback and ``seatbridge run`` runs as a child process with the
config's own cadences (config/sandbox.toml: 4 s within 24 h, 60 s within a week: 201 is tonight,
101 in three days). Once every performance converged,
Debian's chromium (Playwright) opens each page and keeps it open ``--seconds`` (default 60);
every response's bytes on the wire (Chrome's ``encodedDataLength``: headers and body) are summed
from the DevTools protocol, with the number of requests and how many were 304 Not Modified.

    .venv/bin/python benchmarks/bench_page.py [--seconds 60] [--checkout DIR]

``--checkout DIR`` runs the daemon from another checkout (an older commit's worktree) against
the same kind of sandbox: the page before a change. The commit and the date are printed first.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bridge.testing.daemon import converged, eventually, role_of
from bridge.testing.sandbox import served_sandbox

CHROMIUM = "/usr/bin/chromium"
PAGES = ("/performances/201", "/performances/101", "/")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--checkout", type=Path, default=None)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    checkout = args.checkout or Path(__file__).resolve().parents[1]
    commit = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    print(f"checkout {checkout} at {commit}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    with tempfile.TemporaryDirectory() as tmp, served_sandbox(Path(tmp)) as (_, config):
        text = config.read_text(encoding="utf-8")
        config.write_text(re.sub(r'(?m)^listen = ".*"$', 'listen = "127.0.0.1:0"', text))
        env = {k: v for k, v in os.environ.items() if not k.startswith("SEATBRIDGE_")}
        env["PYTHONPATH"] = str(checkout)  # `-m bridge` from the checkout's folder: its code
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # leave the other checkout as it is
        with (Path(tmp) / "daemon.log").open("a", encoding="utf-8") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bridge", "run", "--config", str(config)],
                cwd=checkout,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        try:
            listen = eventually("the daemon is active", lambda: _listen(config, proc.pid))
            url = "http://" + listen
            eventually("every performance converged", lambda: converged(config), 120)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
                for path in PAGES:
                    total, requests, not_modified = _measure(browser, url + path, args.seconds)
                    print(
                        f"{path:20} {args.seconds:.0f} s: {total / 1024:8.1f} KiB in "
                        f"{requests} responses ({not_modified} were 304)"
                    )
                browser.close()
        finally:
            proc.terminate()
            proc.wait(30)
    return 0


def _listen(config: Path, pid: int) -> str | None:
    note = role_of(config, pid)
    return str(note["listen"]) if note and note.get("role") == "active" else None


def _measure(browser: Any, url: str, seconds: float) -> tuple[int, int, int]:
    """Bytes on the wire, responses and 304s while ``url`` stays open ``seconds``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    sizes: dict[str, float] = {}  # bytes on the wire when the response finished loading
    heads: dict[str, float] = {}  # bytes when its headers came (a 304 may never "finish")
    statuses: dict[str, int] = {}

    def received(e: dict[str, Any]) -> None:
        statuses[e["requestId"]] = e["response"]["status"]
        heads[e["requestId"]] = e["response"].get("encodedDataLength", 0)

    cdp.on("Network.responseReceived", received)
    cdp.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]),
    )
    page.goto(url)
    page.wait_for_timeout(seconds * 1000)
    context.close()
    total = sum(sizes.get(r, heads[r]) for r in statuses)
    return int(total), len(statuses), sum(1 for s in statuses.values() if s == 304)


if __name__ == "__main__":
    sys.exit(main())
