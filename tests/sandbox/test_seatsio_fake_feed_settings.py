"""Where the fake seats.io's status-feed delay is set: 0 in process (unit tests see changes at
once), 2 s wherever the sandbox is served (the CLI, the demo, the chaos runner's sandbox), and
through the control API of a running sandbox."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bridge.cli import main
from bridge.errors import ConfigError
from bridge.sandbox import SEATSIO_SECRET_KEY, SERVED_MAX_DELAY_S, Sandbox
from bridge.testing.sandbox import served_sandbox

FAMILY, A1 = "perf-203", "Orchestra-A-1"


def test_an_in_process_sandbox_lists_changes_at_once_unless_told() -> None:
    assert Sandbox().seatsio_world.max_delay == timedelta(0)
    assert Sandbox(seatsio_max_delay_s=0.5).seatsio_world.max_delay == timedelta(seconds=0.5)


@pytest.mark.loopback
def test_a_served_sandbox_delays_the_feed_by_default(tmp_path: Path) -> None:
    assert SERVED_MAX_DELAY_S == 2.0
    with served_sandbox(tmp_path) as (box, _):
        assert box.seatsio_world.max_delay == timedelta(seconds=SERVED_MAX_DELAY_S)
    with served_sandbox(tmp_path, seatsio_max_delay_s=0) as (box, _):
        assert box.seatsio_world.max_delay == timedelta(0)


@pytest.mark.parametrize(
    ("args", "expected"), [((), SERVED_MAX_DELAY_S), (("--seatsio-max-delay", "0"), 0.0)]
)
def test_sandbox_serve_passes_its_delay(
    monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], expected: float
) -> None:
    seen: dict[str, Any] = {}

    def refuse(*_: Any, **kw: Any) -> None:
        seen.update(kw)
        raise ConfigError("stop before serving")

    monkeypatch.setattr("bridge.commands.sandbox.Sandbox", refuse)
    result = CliRunner().invoke(main, ["sandbox", "serve", *args])
    assert result.exit_code == 1 and "stop before serving" in result.output
    assert seen["seatsio_max_delay_s"] == expected


def test_sandbox_serve_refuses_a_negative_delay() -> None:
    result = CliRunner().invoke(main, ["sandbox", "serve", "--seatsio-max-delay", "-1"])
    assert result.exit_code == 64 and "--seatsio-max-delay" in result.output  # usage error


async def test_the_control_api_reads_and_sets_the_delay() -> None:
    box = Sandbox()
    async with box.seatsio_client(auth=(SEATSIO_SECRET_KEY, "")) as http:
        assert (await http.get("/_sandbox/status-feed")).json() == {"max_delay_s": 0.0}
        set_ = await http.post("/_sandbox/status-feed", json={"max_delay_s": 3})
        assert set_.json() == {"max_delay_s": 3.0}
        assert box.seatsio_world.max_delay == timedelta(seconds=3)
        booked = await http.post(f"/events/{FAMILY}/actions/book", json={"objects": [A1]})
        assert booked.status_code == 204
    (change,) = box.seatsio_world.status_changes(FAMILY)
    assert timedelta(0) < change.delay <= timedelta(seconds=3)  # drawn up to the new setting


@pytest.mark.parametrize(
    "body", [{"max_delay_s": -1}, {"max_delay_s": "2"}, {"max_delay_s": True}, {}, [2]]
)
async def test_the_control_api_refuses_a_bad_delay(body: Any) -> None:
    box = Sandbox()
    async with box.seatsio_client() as http:
        response = await http.post("/_sandbox/status-feed", json=body)
    assert response.status_code == 400 and "max_delay_s" in response.json()["error"]
    assert box.seatsio_world.max_delay == timedelta(0)


async def test_the_control_api_is_outside_the_api_and_its_log() -> None:
    box = Sandbox()
    async with box.seatsio_client() as http:
        assert (await http.get("/_sandbox/status-feed")).status_code == 200  # no credentials
        assert box.seatsio_control.log.entries == []
