"""`[store]`: a PostgreSQL URL, its password kept out of the file, and the venue."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.config import load_config
from bridge.errors import InvalidConfigError


def with_store(config: Path, body: str) -> Path:
    text = config.read_text(encoding="utf-8")
    text = text.replace('[store]\npath = "state/seatbridge.sqlite3"\n', f"[store]\n{body}\n")
    config.write_text(text, encoding="utf-8")
    return config


def problems(config: Path) -> list[str]:
    with pytest.raises(InvalidConfigError) as info:
        load_config(config)
    return [str(p) for p in info.value.problems]


def test_a_postgresql_url_with_a_user_and_a_venue_selects_the_shared_store(
    sandbox_copy: Path,
) -> None:
    url = "postgresql://seatbridge@db.example.org:5432/seatbridge"
    cfg = load_config(with_store(sandbox_copy, f'url = "{url}"\nvenue = "main-hall"'))
    assert (cfg.store.url, cfg.store.venue, cfg.store_password) == (url, "main-hall", None)


def test_the_store_password_comes_from_the_environment_and_is_never_shown(
    sandbox_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEATBRIDGE_STORE_PASSWORD", "pg-s3cret-value")
    cfg = load_config(with_store(sandbox_copy, 'url = "postgresql://seatbridge@db/seatbridge"'))
    assert cfg.store_password is not None
    assert cfg.store_password.get_secret_value() == "pg-s3cret-value"
    assert "pg-s3cret-value" not in repr(cfg)


def test_a_store_password_file_is_read(sandbox_copy: Path) -> None:
    secret = sandbox_copy.parent / "store-password"
    secret.write_text("from-a-file\n", encoding="utf-8")
    cfg = load_config(
        with_store(
            sandbox_copy,
            f'url = "postgresql://seatbridge@db/seatbridge"\npassword_file = "{secret}"',
        )
    )
    assert cfg.store_password is not None
    assert cfg.store_password.get_secret_value() == "from-a-file"


def test_a_password_in_the_store_url_is_refused_without_echoing_it(sandbox_copy: Path) -> None:
    found = problems(with_store(sandbox_copy, 'url = "postgresql://bridge:hunter22@db/seatbridge"'))
    assert len(found) == 1 and "store.url: credentials in a URL" in found[0]
    assert "SEATBRIDGE_STORE_PASSWORD" in found[0]
    assert "hunter22" not in found[0]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('url = "mysql://db/seatbridge"', "expected a postgresql:// URL"),
        ('url = "postgresql://db/x"\nvenue = "Main Hall"', "store.venue"),
        ('url = "postgresql://db/x"\npool_size = 0', "store.pool_size"),
    ],
)
def test_a_bad_store_setting_is_one_clear_problem(
    sandbox_copy: Path, body: str, expected: str
) -> None:
    found = problems(with_store(sandbox_copy, body))
    assert len(found) == 1 and expected in found[0], found


def test_a_unit_lease_shorter_than_three_seatsio_timeouts_is_refused(sandbox_copy: Path) -> None:
    """The write fence needs a request's timeout left twice over: a shorter lease would refuse
    every write between renewals, so config check says so at once."""
    found = problems(with_store(sandbox_copy, 'path = "state/s.sqlite3"\nlease_ttl_s = 29'))
    assert len(found) == 1, found
    assert "store.lease_ttl_s (29 s) must be at least 3 times seatsio.timeout_s (10 s)" in found[0]
    text = sandbox_copy.read_text(encoding="utf-8")
    sandbox_copy.write_text(text.replace("lease_ttl_s = 29", "lease_ttl_s = 30"), encoding="utf-8")
    assert load_config(sandbox_copy).store.lease_ttl_s == 30
