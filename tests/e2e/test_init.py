"""`seatbridge init DIR`: a starter config and tables that `config check` passes, never written
over an operator's files unless told."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from bridge.cli import main
from bridge.config import load_config
from bridge.sandbox import SAMPLE, SEATSIO_SECRET_KEY, TESSITURA_PASSWORD


@pytest.fixture(autouse=True)
def _no_secrets_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "SEATBRIDGE_TESSITURA_PASSWORD",
        "SEATBRIDGE_SEATSIO_SECRET_KEY",
        "SEATBRIDGE_CONFIG",
    ):
        monkeypatch.delenv(name, raising=False)


def _init(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["init", *args])
    return result.exit_code, result.output


def test_init_writes_a_config_that_config_check_passes(tmp_path: Path) -> None:
    site = tmp_path / "site"
    code, out = _init(str(site))
    assert code == 0, out
    config = site / "seatbridge.toml"
    assert f"wrote {config}" in out
    assert f"seatbridge config check --config {config}" in out
    check = CliRunner().invoke(main, ["config", "check", "--config", str(config)])
    assert check.exit_code == 0, check.output
    assert check.output.splitlines()[0].endswith("seatbridge.toml: OK"), check.output


def test_the_starter_points_at_the_files_it_wrote_and_at_the_sandbox(tmp_path: Path) -> None:
    assert _init(str(tmp_path))[0] == 0
    cfg = load_config(tmp_path / "seatbridge.toml")
    assert cfg.mappings.hold_codes == tmp_path / "mappings" / "hold-codes.csv"
    assert cfg.mappings.seat_tables == {12: tmp_path / "mappings" / "seats-12.csv"}
    assert cfg.mappings.seasons == tmp_path / "mappings" / "seasons.csv"
    assert cfg.store.path == tmp_path / "state" / "seatbridge.sqlite3"
    assert cfg.tessitura.base_url == "http://127.0.0.1:7801/TessituraService/"
    assert cfg.seatsio.api_url.rstrip("/") == "http://127.0.0.1:7802"
    for table in (SAMPLE / "mappings" / "sample").iterdir():
        assert (tmp_path / "mappings" / table.name).read_bytes() == table.read_bytes()


def test_the_starter_keeps_the_templates_explanations(tmp_path: Path) -> None:
    assert _init(str(tmp_path))[0] == 0
    text = (tmp_path / "seatbridge.toml").read_text(encoding="utf-8")
    template = (SAMPLE / "config" / "production.example.toml").read_text(encoding="utf-8")
    rules = template[template.index("\n#\n") :]  # the opening paragraph is init's own
    prose = [line for line in rules.splitlines() if not re.match(r"^(# )?\w+ = |^\d+ = ", line)]
    assert [line for line in prose if line not in text] == []
    assert text.startswith("# seatbridge configuration, written by `seatbridge init`")


def test_secrets_are_files_only_their_owner_reads_and_never_printed(tmp_path: Path) -> None:
    code, out = _init(str(tmp_path))
    assert code == 0
    secrets = tmp_path / "secrets"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o700
    for name, value in (
        ("tessitura-password", TESSITURA_PASSWORD),
        ("seatsio-secret-key", SEATSIO_SECRET_KEY),
    ):
        assert stat.S_IMODE((secrets / name).stat().st_mode) == 0o600
        assert (secrets / name).read_text(encoding="utf-8").strip() == value
        assert value not in out


def test_init_refuses_to_overwrite_and_writes_nothing_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "mappings").mkdir()
    edited = tmp_path / "mappings" / "hold-codes.csv"
    edited.write_text("hold_code_id,action\n", encoding="utf-8")
    code, out = _init(str(tmp_path))
    assert code == 1
    assert f"{edited} exists" in out and "--force" in out
    assert edited.read_text(encoding="utf-8") == "hold_code_id,action\n"
    assert not (tmp_path / "seatbridge.toml").exists()

    code, out = _init("--force", str(tmp_path))
    assert code == 0, out
    assert edited.read_bytes() == (SAMPLE / "mappings" / "sample" / "hold-codes.csv").read_bytes()


def test_init_into_a_folder_it_cannot_write_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    code, out = _init(str(blocker / "site"))
    assert code == 1
    assert out.startswith("Error: cannot write in ") and "Traceback" not in out


def test_a_symlink_in_the_way_is_replaced_never_written_through(tmp_path: Path) -> None:
    """``--force`` over a link (dangling or not) replaces the link: the file it points at,
    maybe an operator's real secret elsewhere, is neither overwritten nor made 0600."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "precious.txt"
    target.write_text("keep me\n", encoding="utf-8")
    target.chmod(0o644)
    site = tmp_path / "site"
    (site / "secrets").mkdir(parents=True)
    link = site / "secrets" / "seatsio-secret-key"
    link.symlink_to(target)
    dangling = site / "seatbridge.toml"
    dangling.symlink_to(elsewhere / "not-there.toml")

    code, out = _init(str(site))
    assert code == 1 and "exists" in out  # a dangling link counts as there
    code, out = _init("--force", str(site))
    assert code == 0, out
    assert target.read_text(encoding="utf-8") == "keep me\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert not (elsewhere / "not-there.toml").exists()
    assert not link.is_symlink() and stat.S_IMODE(link.stat().st_mode) == 0o600
    assert link.read_text(encoding="utf-8").strip() == SEATSIO_SECRET_KEY
    assert not dangling.is_symlink() and load_config(dangling) is not None
