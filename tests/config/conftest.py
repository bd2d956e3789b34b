"""A copy of the sandbox config and the sample tables in a temporary folder, to edit freely."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def sandbox_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``tmp/config/sandbox.toml`` with its secrets and ``tmp/mappings/sample``; returns the
    config path. The working directory is ``tmp`` and no SEATBRIDGE_* variable is set."""
    for name in (
        "SEATBRIDGE_CONFIG",
        "SEATBRIDGE_TESSITURA_PASSWORD",
        "SEATBRIDGE_SEATSIO_SECRET_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    shutil.copytree(REPO / "config" / "sandbox-secrets", tmp_path / "config" / "sandbox-secrets")
    shutil.copy(REPO / "config" / "sandbox.toml", tmp_path / "config" / "sandbox.toml")
    shutil.copytree(REPO / "mappings" / "sample", tmp_path / "mappings" / "sample")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "config" / "sandbox.toml"
