"""Shell completion (docs/cli.md, "Shell completion") and `--version`, as a user's shell runs them."""

from __future__ import annotations

from importlib.metadata import version

import pytest
from click.testing import CliRunner

from bridge.cli import main


def _seatbridge(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env, prog_name="seatbridge")
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("shell", "marker"),
    [("bash", "complete -o nosort -F"), ("zsh", "#compdef seatbridge"), ("fish", "complete ")],
)
def test_the_completion_script_is_generated_for_each_shell(shell: str, marker: str) -> None:
    code, script = _seatbridge({"_SEATBRIDGE_COMPLETE": f"{shell}_source"})
    assert code == 0
    assert marker in script and "_SEATBRIDGE_COMPLETE" in script


def test_bash_completes_command_names_lazily_loaded_ones_too() -> None:
    env = {"_SEATBRIDGE_COMPLETE": "bash_complete", "COMP_WORDS": "seatbridge i", "COMP_CWORD": "1"}
    code, out = _seatbridge(env)
    assert code == 0
    assert "plain,init" in out.splitlines()


def test_the_completion_is_documented_in_the_cli_reference() -> None:
    from bridge.reference import reference

    text = reference()
    for shell in ("bash", "zsh", "fish"):
        assert f"_SEATBRIDGE_COMPLETE={shell}_source seatbridge" in text


def test_version_is_in_the_help_and_prints_the_installed_version() -> None:
    code, help_text = _seatbridge({}, "--help")
    assert code == 0 and "--version" in help_text
    code, out = _seatbridge({}, "--version")
    assert code == 0
    assert out == f"seatbridge, version {version('seatbridge')}\n"
