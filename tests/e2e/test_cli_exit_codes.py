"""Exit codes that do not lie, and no traceback for an operator: the real CLI against the sandbox
served on loopback (`plan`/`reconcile`), or against broken files (config, store, --out)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from served_sandbox import sandbox_config, served_sandbox

from bridge.cli import EX_USAGE, main
from bridge.sandbox import Sandbox


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Sandbox, Path]]:
    """Both emulators on loopback, and a config with no mass-release floor (share 20 %)."""
    with served_sandbox(tmp_path, floor=0) as both:
        yield both


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env or {})


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def one_error_line(result: Result) -> str:
    """The whole of stderr, which must be one line."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# -- usage errors: 64 for every command -------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "--performance", "abc"],
        ["plan", "--all", "--bogus"],
        ["reconcile", "--performance", "1.5"],
        ["status", "--nope"],
        ["config", "check", "--online", "--no-secrets"],
        ["config", "nosuch"],
        ["mappings", "seats"],
        ["sandbox", "serve", "--tessitura-port", "x"],
        ["demo", "--extra"],
        ["nosuch"],
        ["--bogus"],
    ],
)
def test_a_usage_error_exits_64_whatever_the_command(args: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code == EX_USAGE == 64, result.output
    no_traceback(result)
    assert "Error" in result.stderr


def test_help_and_version_still_exit_zero() -> None:
    assert invoke("--help").exit_code == 0
    assert invoke("plan", "--help").exit_code == 0
    assert "64" in invoke("plan", "--help").output
    assert invoke("--version").exit_code == 0


# -- plan and reconcile: 1 whenever something failed ------------------------------------------


def test_plan_of_a_refused_mass_release_exits_1_not_0(served: tuple[Sandbox, Path]) -> None:
    box, config = served
    assert invoke("reconcile", "--performance", "201", "--config", str(config)).exit_code == 0
    world = box.tessitura_world
    world.release(201, list(world.held_seats(201)))  # a glitch: Tessitura lists no holds

    result = invoke("plan", "--performance", "201", "--config", str(config))
    assert result.exit_code == 1, result.output
    assert "refused" in result.stdout and "mass_release_refused" in result.stdout
    assert "Nothing to do" not in result.output

    as_json = invoke("plan", "--performance", "201", "--json", "--config", str(config))
    assert as_json.exit_code == 1
    kinds = {f["kind"] for f in json.loads(as_json.stdout)["findings"]}
    assert "mass_release_refused" in kinds

    applied = invoke("reconcile", "--performance", "201", "--config", str(config))
    assert applied.exit_code == 1
    assert box.seatsio_world.channel_of("perf-201", "Orchestra-A-1") == "house"  # still held


def test_plan_of_an_unknown_performance_exits_1_without_nothing_to_do(
    served: tuple[Sandbox, Path],
) -> None:
    _, config = served
    result = invoke("plan", "--performance", "999", "--config", str(config))
    assert result.exit_code == 1, result.output
    assert "Nothing to do" not in result.output
    assert "999" in result.output
    no_traceback(result)


def test_plan_exit_2_and_0_are_kept(served: tuple[Sandbox, Path]) -> None:
    _, config = served
    assert invoke("plan", "--performance", "202", "--config", str(config)).exit_code == 2
    assert invoke("reconcile", "--performance", "202", "--config", str(config)).exit_code == 0
    result = invoke("plan", "--performance", "202", "--config", str(config))
    assert result.exit_code == 0 and "Nothing to do" in result.stdout


def test_plan_out_into_a_missing_folder_is_refused_before_the_run(
    served: tuple[Sandbox, Path], tmp_path: Path
) -> None:
    _, config = served
    target = tmp_path / "no-such-folder" / "plan.json"
    result = invoke("plan", "--all", "--out", str(target), "--config", str(config))
    assert result.exit_code == 1
    no_traceback(result)
    line = one_error_line(result)
    assert "no-such-folder" in line and line.startswith("error: --out")
    assert result.stdout == ""  # refused before the run: nothing planned, nothing lost
    assert not target.parent.exists()


# -- no traceback reaches a user --------------------------------------------------------------


def test_a_config_that_is_not_utf8_is_one_line_with_its_path(tmp_path: Path) -> None:
    config = tmp_path / "bridge.toml"
    config.write_bytes(b'[tessitura]\nbase_url = "caf\xe9"\n')
    for args in (["config", "check"], ["plan", "--all"], ["status"]):
        result = invoke(*args, "--config", str(config))
        assert result.exit_code == 1, (args, result.output)
        no_traceback(result)
        line = one_error_line(result)
        assert line.startswith(f"{config}:2:") and "not UTF-8" in line, line


def test_invalid_toml_is_one_line_with_its_path(tmp_path: Path) -> None:
    config = tmp_path / "bridge.toml"
    config.write_text("[tessitura\n")
    result = invoke("config", "check", "--config", str(config))
    assert result.exit_code == 1
    no_traceback(result)
    assert one_error_line(result).startswith(f"{config}:1:")


@pytest.mark.parametrize("broken", ["garbage", "directory"])
def test_status_on_a_broken_store_is_one_line_naming_it(tmp_path: Path, broken: str) -> None:
    store = tmp_path / "state.sqlite3"
    if broken == "garbage":
        store.write_bytes(b"\x00\xffnot a database at all" * 200)
    else:
        store.mkdir()
    config = sandbox_config(tmp_path, "http://127.0.0.1:9", "http://127.0.0.1:9")
    result = invoke("status", "--config", str(config))
    assert result.exit_code == 1, result.output
    no_traceback(result)
    assert str(store) in one_error_line(result)


def test_an_unexpected_exception_is_one_line_without_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bridge.commands.sync as sync

    def boom(*_: object, **__: object) -> None:
        raise RuntimeError(
            "boom with pw-9f3e and https://api:sk-77aa@host/x\nsecond line {'Authorization': 'Basic dXNlcjpwdw=='}"
        )

    monkeypatch.setattr(sync, "_run", boom)
    env = {"SEATBRIDGE_TESSITURA_PASSWORD": "pw-9f3e"}
    result = invoke("plan", "--all", env=env)
    assert result.exit_code == 1
    no_traceback(result)
    line = one_error_line(result)
    assert line.startswith("error: unexpected RuntimeError: boom with ***")
    assert line.endswith("; rerun with SEATBRIDGE_DEBUG=1 for the traceback")
    for secret in ("pw-9f3e", "sk-77aa", "api:", "dXNlcjpwdw=="):
        assert secret not in result.output

    debug = invoke("plan", "--all", env={**env, "SEATBRIDGE_DEBUG": "1"})
    assert isinstance(debug.exception, RuntimeError)  # the traceback, when asked for
