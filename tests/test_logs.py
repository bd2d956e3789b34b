"""`[log]` and the global `--log-level` / `--log-format`: the options win, for every command."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from click.testing import CliRunner

from bridge import logs
from bridge.cli import main

SANDBOX = Path(__file__).resolve().parents[1] / "config" / "sandbox.toml"


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    saved = structlog.get_config()
    yield
    logs.override(None, None)
    structlog.configure(**saved)


def _renderer() -> object:
    return structlog.get_config()["processors"][-1]


def _level() -> int:
    return int(structlog.get_logger().bind().get_effective_level())


def test_configure_follows_the_config_without_options() -> None:
    logs.configure("warning", "json")
    assert isinstance(_renderer(), structlog.processors.JSONRenderer)
    assert _level() == logging.WARNING
    logs.configure("info", "console")
    assert isinstance(_renderer(), structlog.dev.ConsoleRenderer)


def test_the_options_win_over_the_config() -> None:
    logs.override("DEBUG", "json")
    logs.configure("error", "console")
    assert isinstance(_renderer(), structlog.processors.JSONRenderer)
    assert _level() == logging.DEBUG


@pytest.mark.parametrize("argv", [["config", "check"], ["status"], ["demo"]])
def test_every_command_takes_the_global_options(argv: list[str]) -> None:
    result = CliRunner().invoke(
        main, ["--log-level", "critical", "--log-format", "json", *argv, "--help"]
    )
    assert result.exit_code == 0, result.output
    assert logs.overrides() == {"level": "critical", "fmt": "json"}


def test_a_bad_level_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["--log-level", "loud", "status"])
    assert result.exit_code == 64


def test_a_command_run_without_options_uses_the_config() -> None:
    logs.override("debug", "json")
    result = CliRunner().invoke(main, ["config", "check", "--config", str(SANDBOX), "--no-secrets"])
    assert result.exit_code == 0, result.output
    assert logs.overrides() == {"level": None, "fmt": None}  # each run starts from the config


@pytest.mark.parametrize(
    ("fmt", "on_terminal", "shape"),
    [
        ("auto", True, "console"),
        ("auto", False, "json"),
        ("json", True, "json"),
        ("console", False, "console"),
    ],
)
def test_auto_format_is_json_for_journald_and_console_for_a_person(
    fmt: str, on_terminal: bool, shape: str
) -> None:
    assert logs.resolve_format(fmt, on_terminal) == shape


def test_auto_is_the_default_and_writes_json_when_stderr_is_not_a_terminal() -> None:
    from bridge.config.settings import LogSettings

    assert LogSettings().format == "auto"
    logs.configure("info", "auto")  # pytest captures stderr: not a terminal
    assert isinstance(_renderer(), structlog.processors.JSONRenderer)


HOSTILE = "\x1b[2J\x1b[H\x9b31mGONE\x07\r"


def test_console_lines_show_vendor_text_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("info", "console")
    structlog.get_logger().warning("tessitura.refused", body=f"bad{HOSTILE}", event_key="perf-1")
    err = capsys.readouterr().err
    assert "\x1b[2J" not in err and "\x9b" not in err and "\x07" not in err and "\r" not in err
    assert "bad\\u001b[2J\\u001b[H\\u009b31mGONE" in err


def test_json_lines_stay_valid_json_with_the_text_as_it_was(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import json

    logs.configure("info", "json")
    structlog.get_logger().warning("tessitura.refused", body=f"bad{HOSTILE}")
    (line,) = capsys.readouterr().err.splitlines()
    assert json.loads(line)["body"] == f"bad{HOSTILE}"
    assert "\x1b" not in line and "\x9b" not in line
