"""The HTTP bearer token: from the environment or [http] token_file, never the TOML itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.config import InvalidConfigError, load_config, redact

TOKEN = "file-token-0123456789abcdef"


def with_token_file(config: Path, value: str) -> Path:
    secret = config.parent / "http-token"
    secret.write_text(value + "\n", encoding="utf-8")
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("[http]\n", '[http]\ntoken_file = "http-token"\n'))
    return secret


def test_no_token_is_fine_to_load(sandbox_copy: Path) -> None:
    assert load_config(sandbox_copy, environ={}).http_token is None


def test_the_token_file_is_read_and_the_environment_wins(sandbox_copy: Path) -> None:
    secret = with_token_file(sandbox_copy, TOKEN)
    cfg = load_config(sandbox_copy, environ={})
    assert cfg.http_token is not None and cfg.http_token.get_secret_value() == TOKEN
    assert secret in cfg.files  # a reloading daemon notices an edit (it applies at restart)
    env = {"SEATBRIDGE_HTTP_TOKEN": "env-token-0123456789abcdef"}
    cfg = load_config(sandbox_copy, environ=env)
    assert cfg.http_token is not None
    assert cfg.http_token.get_secret_value() == env["SEATBRIDGE_HTTP_TOKEN"]
    assert TOKEN not in repr(cfg)
    assert redact(f"Authorization: Bearer {TOKEN}") == "Authorization: Bearer ***"


def test_a_short_token_is_refused_without_showing_it(sandbox_copy: Path) -> None:
    with_token_file(sandbox_copy, "short-tok")
    with pytest.raises(InvalidConfigError) as caught:
        load_config(sandbox_copy, environ={})
    assert "shorter than 16" in str(caught.value)
    assert "short-tok" not in str(caught.value)


def test_a_token_in_the_toml_is_refused(sandbox_copy: Path) -> None:
    text = sandbox_copy.read_text(encoding="utf-8")
    sandbox_copy.write_text(text.replace("[http]\n", '[http]\ntoken = "in-the-file-123456"\n'))
    with pytest.raises(InvalidConfigError) as caught:
        load_config(sandbox_copy, environ={})
    assert "SEATBRIDGE_HTTP_TOKEN" in str(caught.value)
    assert "in-the-file-123456" not in str(caught.value)
