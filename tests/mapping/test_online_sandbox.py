"""Online checks and `mappings seats` against the built-in sandbox: in-process (ASGI) for the
library calls, over loopback TCP for the commands."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from bridge.cli import main
from bridge.config import BridgeConfig, load_config
from bridge.errors import Problem
from bridge.mapping.model import SeatTable
from bridge.mapping.online import check_online, generate_seat_table
from bridge.mapping.tables import read_seat_table
from bridge.runtime import open_sources
from bridge.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[2]
SHORT = ("--section-field", "short")


@pytest.fixture
def cfg(monkeypatch: pytest.MonkeyPatch) -> BridgeConfig:
    monkeypatch.chdir(REPO)
    return load_config(REPO / "config" / "sandbox.toml", environ={})


async def online_problems(cfg: BridgeConfig, sandbox: Sandbox) -> list[Problem]:
    async with open_sources(
        cfg,
        tessitura_transport=httpx.ASGITransport(app=sandbox.tessitura_app),
        seatsio_transport=httpx.ASGITransport(app=sandbox.seatsio_app),
    ) as (tessitura, seatsio):
        return await check_online(cfg.tables, cfg.mappings, tessitura, seatsio)


async def test_sandbox_config_passes_the_online_check_against_the_sandbox(
    cfg: BridgeConfig,
) -> None:
    assert await online_problems(cfg, Sandbox()) == []


async def test_online_check_finds_a_label_the_chart_does_not_have(cfg: BridgeConfig) -> None:
    labels = dict(cfg.tables.seat_tables[12].labels)
    labels[10001] = "Orchestra-A-0"
    tables = dataclasses.replace(cfg.tables, seat_tables={12: SeatTable(12, labels)})
    (problem,) = await online_problems(dataclasses.replace(cfg, tables=tables), Sandbox())
    assert "seat 10001: label not on the chart of event 'perf-101' 'Orchestra-A-0'" in str(problem)


async def test_seat_table_generated_from_the_sandbox_equals_the_sample(cfg: BridgeConfig) -> None:
    sandbox = Sandbox()
    async with open_sources(
        cfg,
        tessitura_transport=httpx.ASGITransport(app=sandbox.tessitura_app),
        seatsio_transport=httpx.ASGITransport(app=sandbox.seatsio_app),
    ) as (tessitura, seatsio):
        generated = await generate_seat_table(cfg.tables, 202, tessitura, seatsio)
    assert generated.event_key == "perf-202"
    assert generated.result.labels == cfg.tables.seat_tables[12].labels
    assert generated.result.clean


def loopback_config(tmp_path: Path, tessitura_url: str, seatsio_url: str) -> Path:
    """The sandbox config pointed at servers on loopback, its files named absolutely."""
    text = (REPO / "config" / "sandbox.toml").read_text(encoding="utf-8")
    text = text.replace(
        "http://127.0.0.1:7801/TessituraService/", tessitura_url + "/TessituraService/"
    )
    text = text.replace("http://127.0.0.1:7802", seatsio_url)
    text = text.replace('"../mappings/', f'"{REPO}/mappings/')
    text = text.replace('"sandbox-secrets/', f'"{REPO}/config/sandbox-secrets/')
    path = tmp_path / "bridge.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.loopback
def test_config_check_online_exits_zero_against_the_sandbox(
    tmp_path: Path, loopback: Callable[[Any], str]
) -> None:
    sandbox = Sandbox()
    path = loopback_config(tmp_path, loopback(sandbox.tessitura_app), loopback(sandbox.seatsio_app))
    result = CliRunner().invoke(main, ["config", "check", "--online", "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert "online: hold codes, events, seasons and labels all found" in result.stdout


@pytest.mark.loopback
def test_config_check_online_reports_refused_credentials_without_the_secret(
    tmp_path: Path, loopback: Callable[[Any], str]
) -> None:
    sandbox = Sandbox()
    path = loopback_config(tmp_path, loopback(sandbox.tessitura_app), loopback(sandbox.seatsio_app))
    env = {"SEATBRIDGE_TESSITURA_PASSWORD": "wrong-password-42"}
    result = CliRunner().invoke(
        main, ["config", "check", "--online", "--config", str(path)], env=env
    )
    assert result.exit_code == 1
    assert "error:" in result.stderr
    assert "wrong-password-42" not in result.output


@pytest.mark.loopback
def test_mappings_seats_writes_the_sample_table_from_the_sandbox(
    tmp_path: Path, loopback: Callable[[Any], str]
) -> None:
    sandbox = Sandbox()
    path = loopback_config(tmp_path, loopback(sandbox.tessitura_app), loopback(sandbox.seatsio_app))
    out = tmp_path / "seats.csv"
    result = CliRunner().invoke(
        main,
        ["mappings", "seats", "--performance", "201", "--config", str(path), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "seat map 12: 2000 seats labelled" in result.stderr
    problems: list[Problem] = []
    table = read_seat_table(out, 12, problems)
    assert problems == []
    assert table.labels == load_config(path, environ={}).tables.seat_tables[12].labels
    assert "--performance 201" in out.read_text(encoding="utf-8").splitlines()[1]


@pytest.mark.loopback
def test_mappings_seats_with_a_template_that_matches_nothing_writes_no_empty_table(
    tmp_path: Path, loopback: Callable[[Any], str]
) -> None:
    sandbox = Sandbox()
    path = loopback_config(tmp_path, loopback(sandbox.tessitura_app), loopback(sandbox.seatsio_app))
    out = tmp_path / "seats-12.csv"
    out.write_text("seat_id,label\n1,Orchestra-A-1\n", encoding="utf-8")
    result = CliRunner().invoke(
        main,
        ["mappings", "seats", "--performance", "201", "--config", str(path), *SHORT,
         "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "2000 seats without a label on the chart: 10001 'ORCH-A-1'" in result.stderr
    assert "2000 chart labels without a seat" in result.stderr
    assert "nothing written" in result.stderr
    assert out.read_text(encoding="utf-8") == "seat_id,label\n1,Orchestra-A-1\n"  # kept


def test_mappings_seats_refuses_a_template_with_an_unknown_placeholder() -> None:
    result = CliRunner().invoke(
        main, ["mappings", "seats", "--performance", "201", "--template", "{sec}-{row}"]
    )
    assert result.exit_code == 1
    assert "unknown placeholder {sec}" in result.stderr
