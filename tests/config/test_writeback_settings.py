"""[writeback]: the two-way write-back's settings, their cross-checks against the hold-code table
and the bridge's own statuses, the policy they build and what `config check` says of them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bridge.cli import main
from bridge.config import InvalidConfigError, WritebackSettings, load_config
from bridge.core.policy import SOLD_SEAT_STATUSES, WritebackPolicy
from bridge.runtime import policy_of

NO_ENV: dict[str, str] = {}
SANDBOX_SECTION = 'mode = "off"\nhold_code = 90\n'


def set_writeback(config: Path, body: str) -> None:
    """Replace the sandbox's [writeback] body (mode off, hold code 90) with ``body``."""
    text = config.read_text(encoding="utf-8")
    assert SANDBOX_SECTION in text
    config.write_text(text.replace(SANDBOX_SECTION, body, 1), encoding="utf-8")


def set_hold_code_row(config: Path, old: str, new: str) -> None:
    table = config.parent.parent / "mappings" / "sample" / "hold-codes.csv"
    text = table.read_text(encoding="utf-8")
    assert old in text
    table.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems(config: Path) -> list[str]:
    with pytest.raises(InvalidConfigError) as caught:
        load_config(config, environ=NO_ENV)
    return [str(p) for p in caught.value.problems]


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def check(config: Path) -> list[str]:
    result = CliRunner().invoke(main, ["config", "check", "--config", str(config)], env={})
    assert result.exit_code == 0, result.output
    return [line.strip() for line in result.stdout.splitlines()]


# --------------------------------------------------------------------------- defaults


def test_without_the_section_the_write_back_is_off_with_its_defaults(sandbox_copy: Path) -> None:
    text = sandbox_copy.read_text(encoding="utf-8")
    start = text.index("[writeback]")
    sandbox_copy.write_text(text[:start] + text[text.index("[http]") :], encoding="utf-8")
    cfg = load_config(sandbox_copy, environ=NO_ENV)
    assert cfg.writeback == WritebackSettings()
    assert cfg.writeback.mode == "off" and not cfg.writeback.on
    assert cfg.writeback.statuses == ("booked", "resale")
    assert cfg.writeback.hold_hours is None
    assert policy_of(cfg).writeback == WritebackPolicy()


def test_the_default_sold_statuses_are_the_cores() -> None:
    """The config does not import the core: its default is written twice, kept equal here."""
    assert frozenset(WritebackSettings().sold_seat_statuses) == SOLD_SEAT_STATUSES


def test_the_sandbox_ships_it_off_with_its_own_ignored_code(sandbox_copy: Path) -> None:
    cfg = load_config(sandbox_copy, environ=NO_ENV)
    assert cfg.writeback.mode == "off" and cfg.writeback.hold_code == 90
    assert cfg.tables.hold_rules[90].action.value == "ignore"


# --------------------------------------------------------------------------- the policy


def test_apply_builds_the_write_back_policy(sandbox_copy: Path) -> None:
    set_writeback(
        sandbox_copy,
        'mode = "apply"\nhold_code = 90\nstatuses = ["booked", "resale", "sold-by-partner"]\n'
        "hold_hours = 48\nsold_seat_statuses = [8, 13]\n",
    )
    cfg = load_config(sandbox_copy, environ=NO_ENV)
    assert policy_of(cfg).writeback == WritebackPolicy(
        mode="apply",
        hold_code_id=90,
        statuses=frozenset({"booked", "resale", "sold-by-partner"}),
        hold_hours=48.0,
        sold_statuses=frozenset({8, 13}),
    )
    assert policy_of(cfg).writeback.applies


def test_report_is_on_but_does_not_apply(sandbox_copy: Path) -> None:
    set_writeback(sandbox_copy, 'mode = "report"\nhold_code = 90\n')
    wb = policy_of(load_config(sandbox_copy, environ=NO_ENV)).writeback
    assert wb.on and not wb.applies
    assert wb.hold_code_id == 90 and wb.hold_hours is None


# --------------------------------------------------------------------------- refusals


def test_mode_on_without_a_hold_code_is_refused(sandbox_copy: Path) -> None:
    set_writeback(sandbox_copy, 'mode = "apply"\n')
    (line,) = problems(sandbox_copy)
    assert 'hold_code is required when mode is "apply"' in line
    assert line.startswith("config/sandbox.toml:")


def test_an_unknown_mode_is_refused(sandbox_copy: Path) -> None:
    set_writeback(sandbox_copy, 'mode = "on"\nhold_code = 90\n')
    (line,) = problems(sandbox_copy)
    assert "writeback.mode" in line and "'on'" in line


def test_an_unknown_key_is_refused(sandbox_copy: Path) -> None:
    set_writeback(sandbox_copy, 'mode = "off"\nhold_codes = 90\n')
    (line,) = problems(sandbox_copy)
    assert "unknown key writeback.hold_codes" in line and "did you mean 'hold_code'" in line


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ('statuses = ["booked", "free"]', "never written back"),
        ('statuses = ["Free"]', "never written back"),
        ('statuses = ["booked", "booked"]', "'booked' is given twice"),
        ('statuses = ["booked", ""]', "writeback.statuses.1"),
        ("statuses = []", "writeback.statuses"),
        ("hold_hours = 0", "writeback.hold_hours"),
        ("sold_seat_statuses = [7, 7]", "7 is given twice"),
        ("sold_seat_statuses = []", "writeback.sold_seat_statuses"),
    ],
)
def test_a_bad_value_is_refused_at_its_key(sandbox_copy: Path, key: str, says: str) -> None:
    set_writeback(sandbox_copy, f'mode = "off"\nhold_code = 90\n{key}\n')
    (line,) = problems(sandbox_copy)
    assert says in line
    assert line.startswith(f"config/sandbox.toml:{line_of(sandbox_copy, key)}:")


def test_a_hold_code_below_one_is_refused(sandbox_copy: Path) -> None:
    set_writeback(sandbox_copy, 'mode = "off"\nhold_code = 0\n')
    (line,) = problems(sandbox_copy)
    assert "writeback.hold_code" in line and "greater than 0" in line


def test_a_hold_code_without_a_row_is_refused(sandbox_copy: Path) -> None:
    set_hold_code_row(sandbox_copy, "90,ignore,,9,,,\n", "")
    set_writeback(sandbox_copy, 'mode = "apply"\nhold_code = 90\n')
    (line,) = problems(sandbox_copy)
    assert line.startswith("config/sandbox.toml:")
    assert "writeback.hold_code 90 has no row in the hold-code table" in line
    assert "hold-codes.csv" in line and "90,ignore,,<precedence>,,," in line


def test_a_hold_code_mapped_to_another_action_is_refused(sandbox_copy: Path) -> None:
    set_writeback(sandbox_copy, 'mode = "report"\nhold_code = 2\n')
    (line,) = problems(sandbox_copy)
    assert "writeback.hold_code 2 is a status row of the hold-code table" in line
    assert "a code has one row only" in line


def test_the_ignore_row_is_asked_for_even_in_report_mode(sandbox_copy: Path) -> None:
    set_hold_code_row(sandbox_copy, "90,ignore,,9,,,", "90,not_for_sale,,9,,,")
    set_writeback(sandbox_copy, 'mode = "report"\nhold_code = 90\n')
    (line,) = problems(sandbox_copy)
    assert "is a not_for_sale row" in line


def test_mode_off_checks_no_row(sandbox_copy: Path) -> None:
    """Off writes nothing: a code prepared ahead of its table row is not an error yet."""
    set_writeback(sandbox_copy, 'mode = "off"\nhold_code = 77\n')
    assert load_config(sandbox_copy, environ=NO_ENV).writeback.hold_code == 77


def test_a_broken_hold_code_table_gets_no_second_complaint(sandbox_copy: Path) -> None:
    set_hold_code_row(sandbox_copy, "90,ignore,,9,,,", "90,ignore,,x,,,")
    set_writeback(sandbox_copy, 'mode = "apply"\nhold_code = 90\n')
    (line,) = problems(sandbox_copy)
    assert "hold-codes.csv" in line and "writeback" not in line


@pytest.mark.parametrize(
    ("status", "where"),
    [
        ("held-press", "the hold-code table"),  # a status row's target
        ("held-subscription", "the hold-code table"),  # a channel row's fallback
        ("held-by-bridge", "[safety] fallback_status"),
    ],
)
def test_a_status_the_bridge_sets_is_refused(sandbox_copy: Path, status: str, where: str) -> None:
    set_writeback(
        sandbox_copy, f'mode = "apply"\nhold_code = 90\nstatuses = ["booked", "{status}"]\n'
    )
    (line,) = problems(sandbox_copy)
    assert f"writeback.statuses names {status!r}, a status the bridge sets itself" in line
    assert where in line


# --------------------------------------------------------------------------- config check


def test_config_check_says_the_write_back_is_off(sandbox_copy: Path) -> None:
    assert "write-back: off" in check(sandbox_copy)


def test_config_check_names_the_mode_code_and_statuses(sandbox_copy: Path) -> None:
    set_writeback(sandbox_copy, 'mode = "apply"\nhold_code = 90\n')
    assert "write-back: apply, hold code 90, statuses booked, resale" in check(sandbox_copy)


def test_config_check_names_the_hold_horizon(sandbox_copy: Path) -> None:
    set_writeback(sandbox_copy, 'mode = "report"\nhold_code = 90\nhold_hours = 36\n')
    assert "write-back: report, hold code 90, statuses booked, resale, held 36 h ahead" in check(
        sandbox_copy
    )
