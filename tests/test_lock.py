"""requirements.lock (`make lock`) pins every runtime dependency of pyproject.toml within its
range, with hashes, so that `pip install --require-hashes -r requirements.lock` installs what
seatbridge needs (README, "Without a checkout"; deploy/Containerfile installs from it)."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, requires
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
#: One pin: ``name==version`` (an optional ``; marker``), then its ``--hash=`` lines.
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)(?:\s*;\s*([^\\\n]+?))?\s*\\?$")


def pins(text: str) -> dict[str, tuple[Version, Marker | None, int]]:
    """Canonical name -> (version, marker, number of hashes) of every pin in a lock file."""
    out: dict[str, tuple[Version, Marker | None, int]] = {}
    name = ""
    for line in text.splitlines():
        found = PIN.match(line)
        if found:
            name = canonicalize_name(found[1])
            marker = Marker(found[3]) if found[3] else None
            out[name] = (Version(found[2]), marker, 0)
        elif line.strip().startswith("--hash=sha256:") and name:
            version, marker, hashes = out[name]
            out[name] = (version, marker, hashes + 1)
    return out


def runtime_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(line) for line in project["dependencies"]]


LOCKED = pins(LOCK.read_text(encoding="utf-8"))


def test_the_lock_file_parses_into_pins() -> None:
    assert len(LOCKED) >= len(runtime_requirements())


@pytest.mark.parametrize("requirement", runtime_requirements(), ids=str)
def test_every_runtime_dependency_is_pinned_within_its_range(requirement: Requirement) -> None:
    name = canonicalize_name(requirement.name)
    assert name in LOCKED, f"{requirement} has no pin in requirements.lock: run `make lock`"
    version, _, _ = LOCKED[name]
    assert requirement.specifier.contains(version, prereleases=True), (
        f"requirements.lock pins {name}=={version}, outside {requirement}: run `make lock`"
    )


@pytest.mark.parametrize("requirement", [r for r in runtime_requirements() if r.extras], ids=str)
def test_what_a_dependencys_extras_bring_is_pinned_too(requirement: Requirement) -> None:
    """e.g. psycopg[binary] needs psycopg-binary (read from the installed package's metadata)."""
    try:
        needs = [Requirement(line) for line in requires(requirement.name) or []]
    except PackageNotFoundError:
        pytest.skip(f"{requirement.name} is not installed here")
    for extra in requirement.extras:
        brought = [r for r in needs if r.marker and r.marker.evaluate({"extra": extra})]
        for r in brought:
            assert canonicalize_name(r.name) in LOCKED, f"{requirement} needs {r}: not pinned"


def test_every_pin_carries_a_hash() -> None:
    """pip refuses a lock file where any pin lacks one (--require-hashes)."""
    assert [name for name, (_, _, hashes) in LOCKED.items() if hashes == 0] == []


def test_pins_are_read_with_their_markers_and_hashes() -> None:
    text = (
        "# a comment\n"
        "psycopg-binary==3.3.9 ; implementation_name != 'pypy' \\\n"
        "    --hash=sha256:aa \\\n"
        "    --hash=sha256:bb\n"
        "    # via psycopg\n"
        "Typing_Extensions==4.16.0 \\\n"
        "    --hash=sha256:cc\n"
    )
    assert pins(text) == {
        "psycopg-binary": (Version("3.3.9"), Marker("implementation_name != 'pypy'"), 2),
        "typing-extensions": (Version("4.16.0"), None, 1),
    }
