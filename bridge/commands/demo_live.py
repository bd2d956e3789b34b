"""`seatbridge demo --live`: the sandbox, the daemon and its status page together on loopback,
with simulated traffic (:mod:`bridge.testing.traffic`), until Ctrl-C.

Both fakes are served on ephemeral loopback ports in threads; the daemon runs in this process's
event loop exactly as `seatbridge run` does (it owns SIGINT/SIGTERM: the first stops everything
cleanly, a second at once); its store lives in a temporary folder that goes at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import socket
import tempfile
from pathlib import Path

import httpx
from rich.console import Console

from bridge.clock import SYSTEM
from bridge.commands.config import load_or_exit
from bridge.commands.render import echo, terminal
from bridge.config import BridgeConfig
from bridge.logs import configure
from bridge.runtime import tessitura_client
from bridge.sandbox import SEATSIO_SECRET_KEY, SERVED_MAX_DELAY_S, Sandbox
from bridge.sandbox.inbox import WebhookInbox
from bridge.sandbox.serve import serve_in_thread
from bridge.testing.daemon import with_daemon_settings
from bridge.testing.sandbox import sandbox_config
from bridge.testing.traffic import HttpActions, Move, TrafficSimulator

#: Quick cadences so that the page follows the traffic within seconds.
LIVE_SETTINGS = """
[schedule]
discovery_every_s = 30
default_every_s = 2
cadences = [{ within_hours = 24, every_s = 2 }]

[daemon]
reload_poll_s = 2
stop_grace_s = 5
backoff_base_s = 1
backoff_cap_s = 10
"""


def live_config(
    folder: Path, template: Path, tessitura: str, seatsio: str, port: int, inbox: str = ""
) -> Path:
    """``template`` pointed at the served fakes, a store in ``folder``, the page on
    ``127.0.0.1:port`` (0: any free port) and quick cadences; with ``inbox`` (a served
    :class:`~bridge.sandbox.inbox.WebhookInbox`), a JSON webhook to it, its URL in a file as
    a real one would be."""
    config = sandbox_config(folder, tessitura, seatsio, template=template)
    settings = LIVE_SETTINGS
    if inbox:
        url_file = folder / "webhook-url"
        url_file.write_text(f"{inbox}/hooks/demo\n", encoding="utf-8")
        settings += WEBHOOK_SETTINGS.format(url_file=json.dumps(str(url_file)))
    return with_daemon_settings(config, settings, port)


#: The demo's webhook: every alert, as JSON, to the served inbox (its URL in a file).
WEBHOOK_SETTINGS = """
[[notify.webhook]]
name = "demo"
format = "json"
url_file = {url_file}
"""


def run_live(template: Path, *, port: int, seed: int, every_s: float) -> int:
    """Serve everything until Ctrl-C; the exit code."""
    configure("warning", "console")
    console = terminal(highlight=False, soft_wrap=True)
    if port and (why := _cannot_listen(port)):  # one line and exit 1, before anything starts
        echo(f"error: --port {port}: cannot listen on 127.0.0.1: {why}", err=True)
        return 1
    box = Sandbox(seatsio_max_delay_s=SERVED_MAX_DELAY_S)
    inbox = WebhookInbox(lambda _hook, body: console.print(notification_line(body)))
    with (
        tempfile.TemporaryDirectory(prefix="seatbridge-live-") as tmp,
        serve_in_thread(box.tessitura_app) as tessitura,
        serve_in_thread(box.seatsio_app) as seatsio,
        serve_in_thread(inbox.app) as inbox_url,
    ):
        config = live_config(Path(tmp), template, tessitura, seatsio, port, inbox_url)
        cfg = load_or_exit(config)
        try:
            return asyncio.run(_live(console, box, config, cfg, seatsio, seed, every_s))
        except KeyboardInterrupt:  # before the daemon took over SIGINT
            return 0
        finally:
            console.print("Stopped; the sandbox and its store are gone.")


def notification_line(body: dict[str, object]) -> str:
    """One received webhook as the demo prints it: what a chat channel would show."""
    firing = body.get("state") == "firing"
    mark = "[bold red]notified[/bold red]" if firing else "[green]notified[/green]"
    return f"{mark} {body.get('summary', '')}"


def _cannot_listen(port: int) -> str | None:
    """Why the status page could not listen on ``127.0.0.1:port`` (in use), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


async def _live(
    console: Console,
    box: Sandbox,
    config: Path,
    cfg: BridgeConfig,
    seatsio_url: str,
    seed: int,
    every_s: float,
) -> int:
    from bridge.daemon.service import Daemon

    daemon = Daemon(config, cfg)
    running = asyncio.create_task(daemon.run(), name="daemon")
    while not running.done():  # until the server bound its port (the daemon then says which)
        if not daemon.listen.endswith(":0"):
            break
        await asyncio.sleep(0.05)
    if running.done():
        return running.result()
    venue = box.venue
    console.print(
        f"[bold]{venue.name}[/bold]: {len(venue.seats)} places, "
        f"{len(venue.performances)} performances, synced by a daemon every 2 s.\n"
        f"Open [bold]http://{daemon.listen}/[/bold] in a browser "
        "(each performance's page shows the hall's seat map, its conflicts and history).\n"
        f"The box office and an online buyer act every {every_s:g} s; a conflict they cause "
        "reaches a webhook once (printed as 'notified'). Ctrl-C stops everything."
    )

    def show(move: Move, taken: bool) -> None:
        when = SYSTEM.now().astimezone().strftime("%H:%M:%S")  # local time
        note = "" if taken else " [dim](not taken: the seats were no longer free)[/dim]"
        console.print(f"{when} {move.describe(venue)}{note}")

    async with (
        tessitura_client(cfg) as tessitura,
        httpx.AsyncClient(
            base_url=seatsio_url, auth=(SEATSIO_SECRET_KEY, ""), timeout=10
        ) as seatsio,
    ):
        sim = TrafficSimulator(
            venue, HttpActions(tessitura, seatsio), rng=random.Random(seed), every_s=every_s
        )
        traffic = asyncio.create_task(sim.run(show), name="traffic")
        try:
            return await running
        finally:
            traffic.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await traffic
