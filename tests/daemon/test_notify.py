"""Webhook notifications over real HTTP on loopback: one POST per new condition, again on a
change, one resolution; retries that never hold anything up; no URL in any log line."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol

import pytest
import structlog
from pydantic import SecretStr

from bridge.clock import ManualClock
from bridge.config import load_config
from bridge.config.settings import NotifySettings
from bridge.core.happenings import Alert, AlertKind
from bridge.daemon.metrics import BridgeMetrics
from bridge.daemon.notify import Notifications, Webhook
from bridge.daemon.service import Daemon
from bridge.store.sqlite import open_store

pytestmark = pytest.mark.loopback

REPO = Path(__file__).resolve().parents[2]
SECRET_PATH = "/services/T0001/B0002/s3cretS3cretS3cret"
AT = datetime(2026, 12, 8, 19, 30, tzinfo=UTC)


@dataclass
class Receiver:
    """A webhook receiver: answers each POST with the next of ``answers`` (200 when none are
    left; ``"hang"``: never answers), and keeps what it was sent."""

    answers: deque[int | str] = field(default_factory=deque)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    got: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{SECRET_PATH}"


class Serve(Protocol):
    def __call__(self, *answers: int | str) -> Receiver: ...


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start a receiver on 127.0.0.1 answering ``answers`` in turn; all stop at the end."""
    servers: list[tuple[Receiver, ThreadingHTTPServer]] = []

    def start(*answers: int | str) -> Receiver:
        rx = Receiver(answers=deque(answers))

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                rx.paths.append(self.path)
                rx.bodies.append(json.loads(body))
                answer = rx.answers.popleft() if rx.answers else 200
                rx.got.set()
                if answer == "hang":
                    rx.release.wait(10)
                    return
                assert isinstance(answer, int)
                self.send_response(answer)
                if answer == 429:
                    self.send_header("Retry-After", "7")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        rx.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
        servers.append((rx, server))
        return rx

    yield start
    for rx, server in servers:
        rx.release.set()
        server.shutdown()
        server.server_close()


@dataclass
class Sleeps:
    """Waits between tries, recorded, not waited; a wait of ``hold_from`` seconds or more
    (a parked notification's) lasts until ``go`` is set."""

    seconds: list[float] = field(default_factory=list)
    hold_from: float | None = None
    go: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, s: float) -> None:
        self.seconds.append(s)
        if self.hold_from is not None and s >= self.hold_from:
            await self.go.wait()


async def until(done: Callable[[], bool], within_s: float = 5.0) -> None:
    """Poll ``done`` (on the loop, letting the workers work) until true; fail after
    ``within_s``."""
    try:
        async with asyncio.timeout(within_s):
            while True:
                if done():
                    return
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"not within {within_s:g} s") from None


def notifier(
    *hooks: Webhook, sleeps: Sleeps | None = None, metrics: BridgeMetrics | None = None, **kw: Any
) -> Notifications:
    settings = NotifySettings.model_validate(
        {"attempts": 3, "backoff_base_s": 1.0, "backoff_cap_s": 5.0, "timeout_s": 2.0, **kw}
    )
    return Notifications(
        settings,
        hooks,
        source={"venue": "grand-hall", "instance": "host-1"},
        clock=ManualClock(),
        sleep=sleeps or Sleeps(),
        count=metrics.notification if metrics else None,
    )


def hook(rx: Receiver, name: str = "ops", fmt: str = "json", on: Any = None) -> Webhook:
    kinds = frozenset(AlertKind) if on is None else frozenset(on)
    return Webhook(name, SecretStr(rx.url), fmt, kinds)  # type: ignore[arg-type]


def conflict(firing: bool = True, signature: str = "A-1", key: str = "conflict:201:A-1") -> Alert:
    return Alert(
        kind=AlertKind.CONFLICT,
        key=key,
        firing=firing,
        summary="Seat A-1 (Orchestra) of Hamlet, Tue 8 Dec 19:30, held for the box office, sold online <act>",
        at=AT,
        signature=signature,
        performance_id=201,
        event_key="perf-201",
    )


def sent_count(metrics: BridgeMetrics, result: str) -> float:
    value = metrics.registry.get_sample_value("seatbridge_notifications_total", {"result": result})
    assert value is not None
    return value


# --------------------------------------------------------------------------- dedupe


async def test_one_post_per_condition_again_on_a_change_and_one_resolution(
    serve: Serve,
) -> None:
    rx = serve()
    metrics = BridgeMetrics()
    async with notifier(hook(rx), metrics=metrics) as n:
        n.alert(conflict())
        n.alert(conflict())  # the same condition, unchanged: no news
        await n.flush()
        assert [b["state"] for b in rx.bodies] == ["firing"]
        n.alert(conflict(signature="A-1,A-2"))  # it changed: told again
        n.alert(conflict(firing=False))
        n.alert(conflict(firing=False))  # resolved once
        n.alert(conflict(firing=False, key="conflict:202:B-1"))  # never sent: nothing to resolve
        await n.flush()
    assert [(b["key"], b["state"]) for b in rx.bodies] == [
        ("conflict:201:A-1", "firing"),
        ("conflict:201:A-1", "firing"),
        ("conflict:201:A-1", "resolved"),
    ]
    first = rx.bodies[0]
    assert first["source"] == "seatbridge"
    assert (first["venue"], first["instance"]) == ("grand-hall", "host-1")
    assert (first["kind"], first["performance_id"], first["event_key"]) == (
        "conflict",
        201,
        "perf-201",
    )
    assert first["summary"] == conflict().summary
    assert rx.paths == [SECRET_PATH] * 3
    assert sent_count(metrics, "sent") == 3


async def test_a_webhook_hears_only_the_kinds_it_is_on(serve: Serve) -> None:
    conflicts, everything = serve(), serve()
    hooks = (hook(conflicts, "c", on=[AlertKind.CONFLICT]), hook(everything, "all"))
    async with notifier(*hooks) as n:
        n.alert(Alert(AlertKind.UNIT_IN_ERROR, "unit:201", True, "Hamlet has failed 3 runs", AT))
        n.alert(conflict())
        await n.flush()
    assert [b["kind"] for b in conflicts.bodies] == ["conflict"]
    assert [b["kind"] for b in everything.bodies] == ["unit_in_error", "conflict"]


async def test_the_slack_shape_tells_firing_from_resolved(serve: Serve) -> None:
    rx = serve()
    async with notifier(hook(rx, fmt="slack")) as n:
        n.alert(conflict())
        n.alert(conflict(firing=False))
        await n.flush()
    firing, resolved = rx.bodies
    assert set(firing) == {"text", "blocks"}
    assert firing["text"].startswith(":rotating_light: FIRING · Conflict: Seat A-1")
    assert resolved["text"].startswith(":white_check_mark: RESOLVED · Conflict:")
    section, context = firing["blocks"]
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    assert "*FIRING*" in section["text"]["text"]
    assert "&lt;act&gt;" in section["text"]["text"]  # Slack markup in a summary is escaped
    (where,) = context["elements"]
    assert "performance 201" in where["text"] and "`perf-201`" in where["text"]
    assert "`grand-hall`" in where["text"]


# --------------------------------------------------------------------------- retries


async def test_a_server_error_is_tried_again_with_growing_waits(
    serve: Serve,
) -> None:
    rx = serve(500, 503)
    sleeps = Sleeps()
    with structlog.testing.capture_logs() as logs:
        async with notifier(hook(rx), sleeps=sleeps) as n:
            n.alert(conflict())
            await n.flush()
    assert len(rx.bodies) == 3
    assert sleeps.seconds == [1.0, 2.0]
    sent = [e for e in logs if e["event"] == "notification sent"]
    assert [e["attempts"] for e in sent] == [3]


async def test_a_429_waits_at_least_its_retry_after(serve: Serve) -> None:
    rx = serve(429)
    sleeps = Sleeps()
    async with notifier(hook(rx), sleeps=sleeps, backoff_cap_s=30.0) as n:
        n.alert(conflict())
        await n.flush()
    assert len(rx.bodies) == 2
    assert sleeps.seconds == [7.0]


async def test_a_refusal_is_not_tried_again(serve: Serve) -> None:
    rx = serve(400)
    metrics = BridgeMetrics()
    with structlog.testing.capture_logs() as logs:
        async with notifier(hook(rx), metrics=metrics) as n:
            n.alert(conflict())
            await n.flush()
    assert len(rx.bodies) == 1
    (failed,) = [e for e in logs if e["event"] == "notification not delivered"]
    assert (failed["reason"], failed["attempts"], failed["webhook"]) == ("HTTP 400", 1, "ops")
    assert sent_count(metrics, "failed") == 1 and sent_count(metrics, "sent") == 0


async def test_a_hanging_webhook_is_given_up_on_and_holds_up_no_other(
    serve: Serve,
) -> None:
    hangs = serve("hang", "hang")
    fine = serve()
    with structlog.testing.capture_logs() as logs:
        async with notifier(
            hook(hangs, "stuck"),
            hook(fine, "ok"),
            sleeps=Sleeps(hold_from=5.0),  # not tried again later within this test
            attempts=2,
            timeout_s=0.4,
        ) as n:
            n.alert(conflict())  # returns at once: the sink never waits for a webhook
            await asyncio.to_thread(fine.got.wait, 5)
            # the other webhook had its POST while the stuck one still waits for its answer
            assert len(fine.bodies) == 1
            assert not any(e["event"] == "notification not delivered" for e in logs)
            await n.flush()
    assert len(hangs.bodies) == 2
    (failed,) = [e for e in logs if e["event"] == "notification not delivered"]
    assert failed["webhook"] == "stuck" and failed["attempts"] == 2
    assert failed["reason"] == "no answer within 0.4 s from http://127.0.0.1/…"


async def test_no_log_line_shows_the_webhook_url(serve: Serve) -> None:
    failing = serve(500, 500, 500)
    ok = serve()
    closed = Webhook("gone", SecretStr(f"http://127.0.0.1:9{SECRET_PATH}"))  # nothing listens
    with structlog.testing.capture_logs() as logs:
        async with notifier(
            hook(failing, "failing"), hook(ok, "ok"), closed, sleeps=Sleeps(hold_from=5.0)
        ) as n:
            n.alert(conflict())
            await n.flush()
    text = repr(logs)
    assert "notifications on" in text and "http://127.0.0.1/…" in text
    assert "s3cret" not in text and "T0001" not in text
    reasons = {e["webhook"]: e["reason"] for e in logs if "reason" in e}
    assert reasons["failing"] == "HTTP 500"
    assert reasons["gone"].startswith("ConnectError from http://127.0.0.1/…")


async def test_a_notification_given_up_on_is_tried_again_until_sent(serve: Serve) -> None:
    rx = serve(500, 500, 500, 503)  # given up after 3 tries; the next round's 2nd try goes
    sleeps = Sleeps()
    metrics = BridgeMetrics()
    async with notifier(hook(rx), sleeps=sleeps, metrics=metrics) as n:
        n.alert(conflict())
        await until(lambda: len(rx.bodies) == 5)
        await n.flush()
        n.alert(conflict(firing=False))  # it was delivered: its resolution goes too
        await n.flush()
    assert [b["state"] for b in rx.bodies] == ["firing"] * 5 + ["resolved"]
    assert sleeps.seconds == [1.0, 2.0, 5.0, 1.0]  # a round every backoff_cap_s, same tries
    assert sent_count(metrics, "failed") == 1 and sent_count(metrics, "sent") == 2


async def test_a_parked_notification_gives_way_to_newer_words(serve: Serve) -> None:
    """Given up on, then resolved before the next round: the webhook never got the firing, so
    it gets neither it nor the resolution; a change supersedes it the same way."""
    rx = serve(500, 500, 500, 500, 500, 500)
    sleeps = Sleeps(hold_from=5.0)
    with structlog.testing.capture_logs() as logs:
        async with notifier(hook(rx), sleeps=sleeps) as n:
            n.alert(conflict())
            n.alert(conflict(key="conflict:202:B-1"))
            await until(lambda: len(rx.bodies) == 6)
            await n.flush()
            n.alert(conflict(firing=False))
            n.alert(conflict(key="conflict:202:B-1", signature="B-1,B-2"))
            await n.flush()
            sleeps.go.set()  # a round would come now: nothing is parked any more
            await n.flush()
            n.alert(conflict(key="conflict:203:C-1"))
            await until(lambda: len(rx.bodies) == 8)
            await n.flush()
    got = [(b["key"], b["state"]) for b in rx.bodies]
    assert got == (
        [("conflict:201:A-1", "firing")] * 3
        + [("conflict:202:B-1", "firing")] * 4
        + [("conflict:203:C-1", "firing")]
    )
    assert "tried again" not in repr(logs)


async def test_a_trickling_receiver_is_cut_off_at_timeout_s() -> None:
    """httpx's timeouts limit each read; a byte every 0.2 s would pass them for ever."""
    stop = asyncio.Event()

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
                if stop.is_set() or writer.is_closing():
                    break
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.2)
        except ConnectionError:
            pass  # the client hung up: that is what the test wants
        finally:
            writer.close()

    server = await asyncio.start_server(trickle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    slow = Webhook("slow", SecretStr(f"http://127.0.0.1:{port}{SECRET_PATH}"))
    clock = asyncio.get_running_loop().time
    try:
        with structlog.testing.capture_logs() as logs:
            async with notifier(slow, sleeps=Sleeps(hold_from=5.0), attempts=1, timeout_s=0.5) as n:
                began = clock()
                n.alert(conflict())
                await until(lambda: any("reason" in e for e in logs))
                took = clock() - began
    finally:
        stop.set()
        server.close()
    (failed,) = [e for e in logs if e["event"] == "notification not delivered"]
    assert failed["reason"] == "no answer within 0.5 s from http://127.0.0.1/…"
    assert 0.5 <= took < 1.5


# --------------------------------------------------------------------------- the queue


async def test_a_full_queue_drops_the_oldest_with_a_warning(serve: Serve) -> None:
    rx = serve()
    metrics = BridgeMetrics()
    n = notifier(hook(rx), metrics=metrics, queue_size=2)
    with structlog.testing.capture_logs() as logs:
        for seat in ("A-1", "A-2", "A-3"):  # before start: they wait in the queue
            n.alert(conflict(key=f"conflict:201:{seat}"))
        async with n:
            await n.flush()
    assert [b["key"] for b in rx.bodies] == ["conflict:201:A-2", "conflict:201:A-3"]
    (dropped,) = [e for e in logs if e["event"].startswith("notification dropped")]
    assert dropped["key"] == "conflict:201:A-1" and dropped["log_level"] == "warning"
    assert sent_count(metrics, "dropped") == 1


async def test_an_alert_from_another_thread_is_sent(serve: Serve) -> None:
    rx = serve()
    async with notifier(hook(rx)) as n:
        await asyncio.to_thread(n.alert, conflict())
        await n.flush()
    assert [b["key"] for b in rx.bodies] == ["conflict:201:A-1"]


async def test_run_delivers_until_cancelled(serve: Serve) -> None:
    rx = serve()
    n = notifier(hook(rx))
    task = asyncio.create_task(n.run())
    await asyncio.sleep(0)  # one step: run() has started its workers
    n.alert(conflict())
    await n.flush()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert [b["state"] for b in rx.bodies] == ["firing"]


async def test_without_webhooks_alerts_cost_nothing() -> None:
    async with notifier() as n:
        n.alert(conflict())
        await n.flush()
    assert n.webhooks == ()


# --------------------------------------------------------------------------- the daemon


async def test_the_daemon_builds_its_notifier_from_the_config(
    serve: Serve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rx = serve()
    repo = REPO
    config = tmp_path / "sandbox.toml"
    text = (repo / "config" / "sandbox.toml").read_text(encoding="utf-8")
    text = text.replace('= "sandbox-secrets/', f'= "{repo}/config/sandbox-secrets/')
    text = text.replace('"../mappings/', f'"{repo}/mappings/')
    config.write_text(
        text + '\n[[notify.webhook]]\nname = "ops"\nurl_env = "HOOK"\n', encoding="utf-8"
    )
    cfg = load_config(config, environ={"HOOK": rx.url})
    daemon = Daemon(config, cfg, clock=ManualClock())
    n = daemon.notifications
    assert [w.name for w in n.webhooks] == ["ops"]
    n.start()
    try:
        n.alert(conflict())
        await n.flush()
    finally:
        await n.aclose()
    assert rx.bodies[0]["instance"] == daemon.holder
    assert rx.bodies[0]["venue"] == cfg.store.venue
    assert (
        daemon.metrics.registry.get_sample_value(
            "seatbridge_notifications_total", {"result": "sent"}
        )
        == 1
    )


# --------------------------------------------------------------------------- across a restart


def unit_conflict(
    seat: str, firing: bool = True, signature: str = "s1", unit: str = "perf-201"
) -> Alert:
    return Alert(
        AlertKind.CONFLICT,
        f"conflict:201:{seat}",
        firing,
        f"conflict: seat {seat} sold online while held at the box office",
        AT,
        signature=signature,
        unit=unit,
    )


async def test_a_restart_neither_sends_again_nor_forgets_to_resolve(
    serve: Serve, tmp_path: Path
) -> None:
    rx = serve()
    store = open_store(tmp_path / "state.db", durable=False, venue="grand-hall")
    try:
        async with notifier(hook(rx)) as before:
            await before.remember_in(store)
            for seat in ("A-1", "A-2", "A-3"):
                before.alert(unit_conflict(seat))
            before.alert(unit_conflict("B-1", unit="perf-202"))
            await before.flush()
        assert len(rx.bodies) == 4
        async with notifier(hook(rx)) as after:  # the daemon started again
            await after.remember_in(store)
            after.alert(unit_conflict("A-1"))  # still standing, as sent: not sent again
            after.alert(unit_conflict("A-2", signature="s2"))  # it changed: sent
            after.settle("perf-201", {"conflict:201:A-1", "conflict:201:A-2"})
            after.settle("perf-201", set())  # once per start: the first complete run's word
            await after.flush()
        got = [(b["key"], b["state"]) for b in rx.bodies[4:]]
        assert got == [("conflict:201:A-2", "firing"), ("conflict:201:A-3", "resolved")]
        assert "no longer found after a restart" in rx.bodies[-1]["summary"]
        assert "A-3" in rx.bodies[-1]["summary"]
        kept = {n.key.rsplit(":", 1)[-1] for n in store.notes("notify.sent:grand-hall:")}
        assert kept == {"A-1", "A-2", "B-1"}  # the resolved one is gone; another unit's stays
    finally:
        store.close()


async def test_a_store_that_fails_never_stops_a_notification(serve: Serve) -> None:
    class Broken:
        def put_note(self, key: str, value: str, now: datetime | None = None) -> None:
            raise OSError("disk full")

        def notes(self, prefix: str = "") -> list[Any]:
            raise OSError("disk full")

        def delete_note(self, key: str) -> None:
            raise OSError("disk full")

    rx = serve()
    with structlog.testing.capture_logs() as logs:
        async with notifier(hook(rx)) as n:
            await n.remember_in(Broken())  # type: ignore[arg-type]
            n.alert(conflict())
            await n.flush()
    assert [b["state"] for b in rx.bodies] == ["firing"]
    assert {e["event"] for e in logs if e["log_level"] in ("warning", "error")} == {
        "could not read what was notified before",
        "could not note what was notified",
    }


async def test_a_condition_raised_again_by_its_new_unit_is_not_sent_again(serve: Serve) -> None:
    rx = serve()
    async with notifier(hook(rx)) as n:
        n.alert(unit_conflict("A-1", unit="unit:201"))
        n.alert(unit_conflict("A-1", unit="unit:101,102,201"))  # 201 joined a season
        await n.flush()
    assert [(b["key"], b["unit"]) for b in rx.bodies] == [("conflict:201:A-1", "unit:201")]
