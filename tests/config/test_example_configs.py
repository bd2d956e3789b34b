"""The shipped example configs stay in step with the settings schema."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bridge.config import SECTION_MODELS, InvalidConfigError, load_config

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "config" / "production.example.toml"


def test_production_example_has_no_problem_but_its_missing_tables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(REPO)
    env = {"SEATBRIDGE_TESSITURA_PASSWORD": "p", "SEATBRIDGE_SEATSIO_SECRET_KEY": "k"}
    with pytest.raises(InvalidConfigError) as caught:
        load_config(EXAMPLE, environ=env)
    assert {p.message for p in caught.value.problems} == {"table file not found"}


def test_production_example_documents_every_setting() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    for section, (model, _) in SECTION_MODELS.items():
        assert re.search(rf"^\[{section}\]", text, re.M), section
        for name in model.model_fields:
            assert re.search(rf"^(# )?{name} =|^\[{section}\.{name}\]", text, re.M), (
                f"{section}.{name}"
            )
