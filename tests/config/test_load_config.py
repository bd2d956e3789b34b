"""load_config: one validated value, or every problem with file, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.config import (
    BridgeConfig,
    InvalidConfigError,
    ScheduleSettings,
    load_config,
    resolve_config_path,
)
from bridge.core.policy import Policy, WritebackPolicy
from bridge.domain import SeasonPolicy
from bridge.runtime import policy_of

NO_ENV: dict[str, str] = {}


#: The sample's bridge statuses: its hold codes' targets and fallbacks, and the default fallback.
SAMPLE_STATUSES = frozenset(
    {"held-press", "held-subscription", "held-house", "held-access", "held-comps", "held-by-bridge"}
)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems(path: Path, env: dict[str, str] | None = None, **kw: bool) -> list[str]:
    with pytest.raises(InvalidConfigError) as caught:
        load_config(path, environ=NO_ENV if env is None else env, **kw)
    return [str(p) for p in caught.value.problems]


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_sandbox_config_loads_with_tables_and_secrets(sandbox_copy: Path) -> None:
    cfg = load_config(sandbox_copy, environ=NO_ENV)
    assert isinstance(cfg, BridgeConfig)
    assert cfg.tessitura.base_url == "http://127.0.0.1:7801/TessituraService/"
    assert cfg.seatsio.api_url == "http://127.0.0.1:7802"
    assert len(cfg.tables.seat_tables[12].labels) == 2000
    assert cfg.tessitura_password is not None
    assert cfg.tessitura_password.get_secret_value() == "sandbox-password"
    assert cfg.seatsio_secret_key is not None
    assert cfg.seatsio_secret_key.get_secret_value() == "sandbox-secret-key"


def test_relative_paths_are_relative_to_the_config_folder(
    sandbox_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    cfg = load_config(sandbox_copy, environ=NO_ENV)
    assert cfg.store.path == tmp_path / "config" / "state" / "seatbridge.sqlite3"
    assert cfg.mappings.hold_codes == tmp_path / "mappings" / "sample" / "hold-codes.csv"
    assert cfg.mappings.seat_tables == {12: tmp_path / "mappings" / "sample" / "seats-12.csv"}


def test_environment_secret_wins_over_the_file(sandbox_copy: Path) -> None:
    env = {"SEATBRIDGE_TESSITURA_PASSWORD": "from-env", "SEATBRIDGE_SEATSIO_SECRET_KEY": "key-env"}
    cfg = load_config(sandbox_copy, environ=env)
    assert cfg.tessitura_password is not None and cfg.seatsio_secret_key is not None
    assert cfg.tessitura_password.get_secret_value() == "from-env"
    assert cfg.seatsio_secret_key.get_secret_value() == "key-env"


def test_environment_secret_alone_is_enough(sandbox_copy: Path) -> None:
    edit(sandbox_copy, 'password_file = "sandbox-secrets/tessitura-password"', "")
    cfg = load_config(sandbox_copy, environ={"SEATBRIDGE_TESSITURA_PASSWORD": "p"})
    assert cfg.tessitura_password is not None and cfg.tessitura_password.get_secret_value() == "p"


def test_secret_file_loses_only_its_trailing_newline(sandbox_copy: Path) -> None:
    (sandbox_copy.parent / "sandbox-secrets" / "tessitura-password").write_text(" p w \n")
    cfg = load_config(sandbox_copy, environ=NO_ENV)
    assert cfg.tessitura_password is not None
    assert cfg.tessitura_password.get_secret_value() == " p w "


def test_missing_secret_is_a_problem(sandbox_copy: Path) -> None:
    edit(sandbox_copy, 'secret_key_file = "sandbox-secrets/seatsio-secret-key"', "")
    found = problems(sandbox_copy)
    assert found == [
        f"config/sandbox.toml:{line_of(sandbox_copy, '[seatsio]')}:1: no seats.io secret key "
        "(set SEATBRIDGE_SEATSIO_SECRET_KEY or name a file in seatsio.secret_key_file)"
    ]


def test_missing_secret_is_fine_when_secrets_are_not_required(sandbox_copy: Path) -> None:
    edit(sandbox_copy, 'secret_key_file = "sandbox-secrets/seatsio-secret-key"', "")
    cfg = load_config(sandbox_copy, environ=NO_ENV, require_secrets=False)
    assert cfg.seatsio_secret_key is None


def test_missing_secret_file_is_a_problem_at_its_key(sandbox_copy: Path) -> None:
    (sandbox_copy.parent / "sandbox-secrets" / "seatsio-secret-key").unlink()
    line = line_of(sandbox_copy, "secret_key_file")
    assert problems(sandbox_copy) == [
        f"config/sandbox.toml:{line}:1: cannot read the seats.io secret key file: "
        "No such file or directory 'config/sandbox-secrets/seatsio-secret-key'"
    ]


def test_secret_written_in_the_toml_is_refused_without_echoing_it(sandbox_copy: Path) -> None:
    edit(sandbox_copy, 'username = "seatbridge"', 'username = "seatbridge"\npassword = "hunter2"')
    found = problems(sandbox_copy)
    assert found == [
        f"config/sandbox.toml:{line_of(sandbox_copy, 'password =')}:1: a secret in the config file: "
        "tessitura.password (remove it; set SEATBRIDGE_TESSITURA_PASSWORD or name a file in "
        "tessitura.password_file)"
    ]
    assert "hunter2" not in "".join(found)


def test_seatsio_secret_key_in_the_toml_is_refused(sandbox_copy: Path) -> None:
    edit(sandbox_copy, "[seatsio]", '[seatsio]\nsecret_key = "sk"')
    (found,) = problems(sandbox_copy)
    assert "a secret in the config file: seatsio.secret_key" in found
    assert "SEATBRIDGE_SEATSIO_SECRET_KEY" in found and "'sk'" not in found


def test_unknown_key_is_refused_with_a_suggestion_and_without_its_value(sandbox_copy: Path) -> None:
    edit(sandbox_copy, "[seatsio]", '[seatsio]\nregoin = "s3cr3t"')
    (found,) = problems(sandbox_copy)
    assert found.startswith(
        f"config/sandbox.toml:{line_of(sandbox_copy, 'regoin')}:1: unknown key seatsio.regoin"
    )
    assert "did you mean 'region'?" in found
    assert "s3cr3t" not in found


def test_unknown_section_is_refused(sandbox_copy: Path) -> None:
    edit(sandbox_copy, "[log]", "[logs]")
    (found,) = problems(sandbox_copy)
    assert (
        f":{line_of(sandbox_copy, '[logs]')}:1: unknown section [logs] (did you mean 'log'?"
        in found
    )


def test_broken_toml_is_reported_with_path_line_and_column(sandbox_copy: Path) -> None:
    edit(sandbox_copy, 'username = "seatbridge"', 'username = "seatbridge')
    (found,) = problems(sandbox_copy)
    assert found.startswith(f"config/sandbox.toml:{line_of(sandbox_copy, 'username')}:")
    assert "invalid TOML" in found


def test_unreadable_config_names_how_to_choose_one(tmp_path: Path) -> None:
    (found,) = problems(tmp_path / "missing.toml")
    assert "cannot read config" in found and "SEATBRIDGE_CONFIG" in found


def test_bad_value_names_the_key_the_value_and_the_line(sandbox_copy: Path) -> None:
    edit(sandbox_copy, 'format = "json"', 'format = "yaml"')
    (found,) = problems(sandbox_copy)
    line = line_of(sandbox_copy, 'format = "yaml"')
    assert (
        found
        == f"config/sandbox.toml:{line}:1: tessitura.format: Input should be 'json' or 'xml' 'yaml'"
    )


def test_cadence_problem_points_at_its_key_in_the_inline_table(sandbox_copy: Path) -> None:
    edit(sandbox_copy, "{ within_hours = 24, every_s = 4 }", "{ within_hours = 24, every_s = -1 }")
    (found,) = problems(sandbox_copy)
    line = line_of(sandbox_copy, "every_s = -1")
    column = sandbox_copy.read_text().splitlines()[line - 1].index("every_s") + 1
    assert f":{line}:{column}: schedule.cadences.0.every_s:" in found


def test_seatsio_needs_region_or_base_url_not_both(sandbox_copy: Path) -> None:
    edit(
        sandbox_copy,
        'base_url = "http://127.0.0.1:7802"',
        'base_url = "http://127.0.0.1:7802"\nregion = "eu"',
    )
    (found,) = problems(sandbox_copy)
    assert "set exactly one of region (eu, na, sa, oc) or base_url, not both" in found


def test_region_gives_the_regional_api_url(sandbox_copy: Path) -> None:
    edit(sandbox_copy, 'base_url = "http://127.0.0.1:7802"', 'region = "na"')
    assert load_config(sandbox_copy, environ=NO_ENV).seatsio.api_url == "https://api-na.seatsio.net"


def test_template_with_unknown_placeholder_is_a_problem_at_its_line(sandbox_copy: Path) -> None:
    edit(
        sandbox_copy,
        'event_key_template = "perf-{performance_id}"',
        'event_key_template = "perf-{id}"',
    )
    (found,) = problems(sandbox_copy)
    line = line_of(sandbox_copy, "event_key_template =")
    assert found == (
        f"config/sandbox.toml:{line}:1: event_key_template: unknown placeholder {{id}} "
        "'perf-{id}' (expected e.g. 'perf-{performance_id}')"
    )


def test_missing_table_file_is_a_problem_at_its_key(sandbox_copy: Path) -> None:
    edit(sandbox_copy, "seats-12.csv", "seats-13.csv")
    (found,) = problems(sandbox_copy)
    line = line_of(sandbox_copy, "seats-13.csv")
    assert found == (
        f"config/sandbox.toml:{line}:1: table file not found 'mappings/sample/seats-13.csv' "
        "(paths are relative to the config file)"
    )


def test_problems_of_config_and_tables_come_together(sandbox_copy: Path) -> None:
    edit(sandbox_copy, "[log]", "[log]\ncolour = true")
    seats = sandbox_copy.parent.parent / "mappings" / "sample" / "seats-12.csv"
    seats.write_text(seats.read_text() + "10001,Somewhere-Z-1\n")
    found = problems(sandbox_copy)
    assert [f.split(":")[0] for f in found] == [
        "config/sandbox.toml",
        "mappings/sample/seats-12.csv",
    ]


def test_missing_required_section_is_a_problem(sandbox_copy: Path) -> None:
    text = sandbox_copy.read_text()
    sandbox_copy.write_text(text.replace("[tessitura]", "[unused]"))
    found = problems(sandbox_copy)
    assert "config/sandbox.toml: missing section [tessitura]" in found


def test_secrets_never_appear_in_repr(sandbox_copy: Path) -> None:
    cfg = load_config(sandbox_copy, environ=NO_ENV)
    assert "sandbox-password" not in repr(cfg)
    assert "sandbox-secret-key" not in repr(cfg)
    assert "sandbox-password" not in repr(cfg.tessitura_password)


def test_safety_section_builds_the_policy(sandbox_copy: Path) -> None:
    edit(sandbox_copy, 'season_policy = "all"', 'season_policy = "any"')
    edit(sandbox_copy, "owns_all_channels = []", 'owns_all_channels = ["perf-201"]')
    cfg = load_config(sandbox_copy, environ=NO_ENV)
    assert policy_of(cfg, force=True) == Policy(
        mass_release_share=0.2,
        mass_release_floor=50,
        season_policy=SeasonPolicy.ANY,
        owns_all_channels=frozenset({"perf-201"}),
        for_sale_reserve=2,
        force=True,
        bridge_statuses=SAMPLE_STATUSES,
        fallback_status="held-by-bridge",
        writeback=WritebackPolicy(hold_code_id=90),  # the sandbox's code, its write-back off
    )


def test_defaults_fill_optional_sections(sandbox_copy: Path) -> None:
    text = sandbox_copy.read_text()
    sandbox_copy.write_text(text[: text.index("[discovery]")])
    cfg = load_config(sandbox_copy, environ=NO_ENV)
    assert cfg.http.host == "127.0.0.1" and cfg.http.port == 9464
    assert cfg.log.format == "auto"
    assert policy_of(cfg) == Policy(  # the fallback status is the bridge's by default
        bridge_statuses=SAMPLE_STATUSES,
        fallback_status="held-by-bridge",
    )
    assert cfg.store.path == sandbox_copy.parent / "state" / "seatbridge.sqlite3"


def test_a_fallback_status_that_is_a_seatsio_built_in_is_refused(sandbox_copy: Path) -> None:
    edit(sandbox_copy, 'fallback_status = "held-by-bridge"', 'fallback_status = "Booked"')
    with pytest.raises(InvalidConfigError, match="built-in status"):
        load_config(sandbox_copy, environ=NO_ENV)


def test_cadence_picks_the_narrowest_window_that_holds_the_start() -> None:
    schedule = ScheduleSettings.model_validate(
        {
            "default_every_s": 600,
            "cadences": [
                {"within_hours": 168, "every_s": 120},
                {"within_hours": 24, "every_s": 30},
            ],
        }
    )
    assert [schedule.every_s_for(h) for h in (-1, 3, 24, 100, 1000)] == [30, 30, 30, 120, 600]


def test_files_lists_what_a_reload_must_watch(sandbox_copy: Path) -> None:
    cfg = load_config(sandbox_copy, environ=NO_ENV)
    names = sorted(p.name for p in cfg.files)
    assert names == [
        "hold-codes.csv",
        "performances.csv",
        "sandbox.toml",
        "seasons.csv",
        "seats-12.csv",
        "seatsio-secret-key",
        "tessitura-password",
    ]


def test_config_path_comes_from_option_then_environment_then_default() -> None:
    env = {"SEATBRIDGE_CONFIG": "/etc/seatbridge.toml"}
    assert resolve_config_path("x.toml", env) == Path("x.toml")
    assert resolve_config_path(None, env) == Path("/etc/seatbridge.toml")
    assert resolve_config_path(None, {}) == Path("config/bridge.toml")


def test_the_answer_cap_is_16_mib_unless_set_and_reaches_both_clients(sandbox_copy: Path) -> None:
    from bridge.runtime import seatsio_client, tessitura_client

    cfg = load_config(sandbox_copy, environ=NO_ENV)
    assert cfg.tessitura.max_answer_mib == cfg.seatsio.max_answer_mib == 16
    assert tessitura_client(cfg).max_answer_bytes == 16 * 2**20
    edit(sandbox_copy, "[seatsio]\n", "[seatsio]\nmax_answer_mib = 0.5\n")
    edit(sandbox_copy, "[tessitura]\n", "[tessitura]\nmax_answer_mib = 32\n")
    cfg = load_config(sandbox_copy, environ=NO_ENV)
    assert tessitura_client(cfg).max_answer_bytes == 32 * 2**20
    assert seatsio_client(cfg).max_answer_bytes == 2**19
    edit(sandbox_copy, "max_answer_mib = 32", "max_answer_mib = 0")
    assert any("max_answer_mib" in p for p in problems(sandbox_copy))
