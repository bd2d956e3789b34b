"""`seatbridge config check`: exit 0 when clean, 1 with every problem on stderr."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bridge.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_check_of_the_sandbox_config_exits_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(
        main, ["config", "check", "--config", "config/sandbox.toml"], env={}
    )
    assert result.exit_code == 0, result.output
    assert "config/sandbox.toml: OK" in result.stdout
    assert "seat map 12: 2000 seats" in result.stdout


def test_check_reads_the_config_named_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(
        main, ["config", "check"], env={"SEATBRIDGE_CONFIG": "config/sandbox.toml"}
    )
    assert result.exit_code == 0, result.output


def test_check_lists_every_problem_on_stderr_and_exits_one(sandbox_copy: Path) -> None:
    text = sandbox_copy.read_text()
    sandbox_copy.write_text(
        text.replace('format = "json"', 'format = "yaml"').replace("[log]", "[log]\nx = 1")
    )
    result = CliRunner().invoke(main, ["config", "check", "--config", str(sandbox_copy)], env={})
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "2 problems:"
    assert "tessitura.format" in lines[1] and "unknown key log.x" in lines[2]


def test_check_without_secrets_accepts_a_config_missing_them(sandbox_copy: Path) -> None:
    text = sandbox_copy.read_text()
    sandbox_copy.write_text(
        text.replace('password_file = "sandbox-secrets/tessitura-password"', "")
    )
    runner = CliRunner()
    args = ["config", "check", "--config", str(sandbox_copy)]
    assert runner.invoke(main, args, env={}).exit_code == 1
    assert runner.invoke(main, [*args, "--no-secrets"], env={}).exit_code == 0


def test_help_never_shows_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    env = {"SEATBRIDGE_TESSITURA_PASSWORD": "pw-123", "SEATBRIDGE_SEATSIO_SECRET_KEY": "sk-123"}
    result = CliRunner().invoke(main, ["config", "check", "--help"], env=env)
    assert result.exit_code == 0
    assert "pw-123" not in result.output and "sk-123" not in result.output
