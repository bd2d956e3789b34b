"""Every command a user can type is documented in the README (as sqlite-utils' test_docs does)."""

from pathlib import Path

import click

from bridge.cli import main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def commands(group: click.Group, prefix: str = "seatbridge") -> list[str]:
    out = []
    for name, cmd in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        if isinstance(cmd, click.Group):
            out += commands(cmd, path)
        else:
            out.append(path)
    return out


def test_every_command_is_in_the_readme() -> None:
    missing = [c for c in commands(main) if c not in README]
    assert not missing, f"undocumented commands: {missing}"


def test_readme_quick_start_has_the_two_commands() -> None:
    assert "make demo" in README and "make test" in README
