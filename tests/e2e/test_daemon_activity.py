"""`seatbridge run` says what happened, once: a child process against the sandbox on loopback,
its JSON log read after it stopped. A seat sold online while the box office holds it is one
line however many passes find it; the changes the daemon applied are lines of their own; the
role is told when it changes and the stop at the end.

Every wait is a bounded poll of something the daemon does; no test asserts how long anything
took.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bridge.commands.demo_live import WEBHOOK_SETTINGS
from bridge.sandbox.inbox import WebhookInbox
from bridge.sandbox.serve import serve_in_thread
from bridge.testing.daemon import converged, eventually, fast_config
from bridge.testing.sandbox import config_store, served_sandbox, spawn


def last_sync_of(config: Path, pid: int) -> Any:
    with config_store(config) as store:
        found = [s.last_sync for s in store.performance_statuses([pid])]
    return found[0] if found else None


def json_lines(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


@pytest.mark.slow  # over 3 s: `make test-slow` (CI runs it)
def test_the_log_tells_a_standing_conflict_once_and_each_applied_change(tmp_path: Path) -> None:
    inbox = WebhookInbox()
    with served_sandbox(tmp_path) as (box, config), serve_in_thread(inbox.app) as inbox_url:
        fast_config(config)
        url_file = tmp_path / "webhook-url"
        url_file.write_text(f"{inbox_url}/hooks/demo\n", encoding="utf-8")
        with config.open("a", encoding="utf-8") as f:  # the live demo's webhook, to the inbox
            f.write(WEBHOOK_SETTINGS.format(url_file=json.dumps(str(url_file))))
        box.seatsio_world.book("perf-201", ["Orchestra-A-2"])  # held at the box office: conflict
        proc = spawn(config, "--log-format", "json", "run")
        try:
            eventually("every performance synced", lambda: converged(config))
            first = last_sync_of(config, 201)
            # a few more passes (1 s cadence) that find the same conflict again
            eventually(
                "three more passes of performance 201",
                lambda: (last_sync_of(config, 201) or first) > first + timedelta(seconds=3),
            )
            eventually("the conflict's webhook", lambda: inbox.messages)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
    lines = json_lines(err)
    told = [x for x in lines if "topic" in x]
    conflicts = [
        x
        for x in told
        if x["topic"] == "finding_opened" and x.get("kind") == "conflict" and x.get("label")
    ]
    assert [(x["label"], x["performance_id"], x["level"]) for x in conflicts] == [
        ("Orchestra-A-2", 201, "error")
    ]
    assert "sold online while held at the box office" in conflicts[0]["event"]
    applied = [x for x in told if x["topic"] == "applied"]
    assert applied and all(x["objects"] >= 0 and x["level"] == "info" for x in applied)
    assert {x["event_key"] for x in applied if "event_key" in x} >= {"perf-201"}
    roles = [x["role"] for x in told if x["topic"] == "role"]
    assert roles[0] == "active" and roles[-1] == "stopped"
    # nothing opened twice while it stood
    opened = [
        (x.get("kind"), x.get("label"), x.get("event_key"))
        for x in told
        if x["topic"] == "finding_opened"
    ]
    assert len(opened) == len(set(opened))

    # one webhook for the new conflict, none for the passes that found it again; the URL (a
    # secret) is in no log line
    sent = [b for _, b in inbox.messages]
    assert [(b["kind"], b["state"], b["performance_id"]) for b in sent] == [
        ("conflict", "firing", 201)
    ]
    assert "Orchestra-A-2" in sent[0]["summary"] and sent[0]["source"] == "seatbridge"
    assert inbox_url.split("//")[1] not in err


def run_until(config: Path, what: str, done: Callable[[], object]) -> str:
    """Run the daemon until ``done()``, then stop it (SIGTERM); its stderr."""
    proc = spawn(config, "--log-format", "json", "run")
    try:
        eventually(what, done)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    return str(err)


def passes_of_201_after(config: Path, seconds: float) -> Callable[[], bool]:
    """True once performance 201 has been synced ``seconds`` after its last sync now."""
    first = last_sync_of(config, 201)

    def done() -> bool:
        last = last_sync_of(config, 201)
        return last is not None and (first is None or last > first + timedelta(seconds=seconds))

    return done


@pytest.mark.slow  # over 3 s: `make test-slow` (CI runs it)
def test_a_restart_neither_sends_a_standing_conflict_again_nor_forgets_its_end(
    tmp_path: Path,
) -> None:
    inbox = WebhookInbox()
    with served_sandbox(tmp_path) as (box, config), serve_in_thread(inbox.app) as inbox_url:
        fast_config(config)
        url_file = tmp_path / "webhook-url"
        url_file.write_text(f"{inbox_url}/hooks/demo\n", encoding="utf-8")
        with config.open("a", encoding="utf-8") as f:
            f.write(WEBHOOK_SETTINGS.format(url_file=json.dumps(str(url_file))))
        box.seatsio_world.book("perf-201", ["Orchestra-A-2"])  # held at the box office: conflict
        run_until(config, "the conflict's webhook", lambda: inbox.messages)
        # started again while the conflict stands: passes find it, nobody hears of it again
        run_until(config, "two more passes of 201", passes_of_201_after(config, 2))
        assert [(b["kind"], b["state"]) for _, b in inbox.messages] == [("conflict", "firing")]
        # it ends while the daemon is down: the next start's first complete run resolves it
        box.seatsio_world.release("perf-201", ["Orchestra-A-2"])
        run_until(config, "the resolution", lambda: len(inbox.messages) > 1)
    sent = [b for _, b in inbox.messages]
    assert [(b["kind"], b["state"]) for b in sent] == [
        ("conflict", "firing"),
        ("conflict", "resolved"),
    ]
    # its end is told once: by the first complete run ("no longer found after a restart"), or,
    # when that run went by a read kept from before the stop, by the run that reads it again
    assert sent[0]["key"] == sent[1]["key"]
