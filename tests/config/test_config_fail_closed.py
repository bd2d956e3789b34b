"""Credentials in URLs are refused at file:line:col without being echoed, `config check` never
prints a secret, and the discovery time zone is validated (and its absence warned about)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from bridge.cli import main
from bridge.config import InvalidConfigError, load_config, redact
from bridge.redact import redact_url

PASSWORD = "hunter2-s3cret"
SANDBOX_URL = 'base_url = "http://127.0.0.1:7801/TessituraService/"'


def check(config: Path, *extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["config", "check", "--config", str(config), *extra], env={})
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        (
            SANDBOX_URL,
            f'base_url = "http://seatbridge:{PASSWORD}@127.0.0.1:7801/TessituraService/"',
            "tessitura.base_url",
        ),
        (
            SANDBOX_URL,
            'base_url = "https://seatbridge@tessitura.example.org/"',
            "tessitura.base_url",
        ),
        (
            'base_url = "http://127.0.0.1:7802"',
            f'base_url = "https://k:{PASSWORD}@seats.example.org"',
            "seatsio.base_url",
        ),
        (
            'path = "state/seatbridge.sqlite3"',
            f'path = "postgresql://bridge:{PASSWORD}@db.example.org/seatbridge"',
            "store.path",
        ),
        (  # a password holding "/" and "@" is masked as a whole
            SANDBOX_URL,
            'base_url = "https://u:pa/ss@w@rd@tessitura.example.org/TessituraService/"',
            "tessitura.base_url",
        ),
    ],
)
def test_credentials_in_a_url_are_a_located_problem_never_echoed(
    sandbox_copy: Path, old: str, new: str, key: str
) -> None:
    text = sandbox_copy.read_text()
    assert old in text
    sandbox_copy.write_text(text.replace(old, new))
    line = next(i for i, t in enumerate(sandbox_copy.read_text().splitlines(), 1) if new in t)

    with pytest.raises(InvalidConfigError) as caught:
        load_config(sandbox_copy, environ={})
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (line, 1)
    assert problem.message == f"{key}: credentials in a URL"
    assert problem.value is not None and "***@" in problem.value

    code, out, err = check(sandbox_copy)
    assert code == 1
    assert out == ""
    assert err.startswith(f"config/sandbox.toml:{line}:1: {key}: credentials in a URL "), err
    for secret in (PASSWORD, "pa/ss", "w@rd", "seatbridge@", "u:"):
        assert secret not in err


def test_config_check_never_prints_a_secret(sandbox_copy: Path) -> None:
    secret = (sandbox_copy.parent / "sandbox-secrets" / "tessitura-password").read_text().strip()
    code, out, err = check(sandbox_copy)
    assert code == 0, err
    assert secret not in out + err
    assert "tessitura: http://127.0.0.1:7801/TessituraService/ as seatbridge" in out


def test_redact_masks_loaded_secrets_url_credentials_and_auth_headers(sandbox_copy: Path) -> None:
    load_config(sandbox_copy, environ={"SEATBRIDGE_SEATSIO_SECRET_KEY": "sk-live-123"})
    text = redact(
        "key sk-live-123 at https://u:p@h/x, Authorization: Basic dTpwOmw6cHc=",
        environ={"SEATBRIDGE_TESSITURA_PASSWORD": "pw-1"},
    )
    assert text == "key *** at https://***@h/x, Authorization: Basic ***"
    assert redact("pw-1 here", environ={"SEATBRIDGE_TESSITURA_PASSWORD": "pw-1"}) == "*** here"
    assert redact_url("https://h/TessituraService/") == "https://h/TessituraService/"
    assert redact("authorization=Bearer abc.def") == "authorization=Bearer ***"
    assert redact("basic settings, Basic rules") == "basic settings, Basic rules"


# -- [discovery] time_zone --------------------------------------------------------------------


def with_time_zone(config: Path, value: str) -> int:
    text = re.sub(r"^time_zone = .*$", f"time_zone = {value}", config.read_text(), flags=re.M)
    config.write_text(text)
    return next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("time_zone"))


def test_an_unknown_time_zone_is_a_located_problem(sandbox_copy: Path) -> None:
    line = with_time_zone(sandbox_copy, '"Mars/Olympus_Mons"')
    with pytest.raises(InvalidConfigError) as caught:
        load_config(sandbox_copy, environ={})
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (line, 1)
    assert problem.message.startswith("discovery.time_zone: not an IANA time zone name")
    assert problem.value == "Mars/Olympus_Mons"


def test_a_known_time_zone_is_used_and_shown(sandbox_copy: Path) -> None:
    with_time_zone(sandbox_copy, '"America/Los_Angeles"')
    cfg = load_config(sandbox_copy, environ={})
    assert str(cfg.discovery.zone) == "America/Los_Angeles"
    code, out, err = check(sandbox_copy)
    assert code == 0
    assert "discovery: 120 days ahead, counted in America/Los_Angeles" in out
    assert "warning" not in err


def test_config_check_warns_when_discovery_has_no_time_zone(sandbox_copy: Path) -> None:
    text = sandbox_copy.read_text()
    sandbox_copy.write_text(re.sub(r"^time_zone = .*\n", "", text, flags=re.M))
    code, out, err = check(sandbox_copy)
    assert code == 0
    assert "counted in UTC" in out
    assert "warning: discovery.time_zone is not set" in err


def test_an_empty_seat_table_is_a_config_problem(tmp_path: Path) -> None:
    from bridge.errors import Problem
    from bridge.mapping.tables import read_seat_table

    empty = tmp_path / "seats-12.csv"
    empty.write_text("seat_id,label\n", encoding="utf-8")
    problems: list[Problem] = []
    read_seat_table(empty, 12, problems)
    assert [p.message for p in problems] == [
        "the seat table has no rows: every hold on its seat map would be unknown"
    ]
