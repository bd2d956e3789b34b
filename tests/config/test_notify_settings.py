"""``[notify]`` webhooks: the URL is a secret from the environment or a file, checked, and never
shown; a wrong webhook is one clear line at its place in the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.config import InvalidConfigError, load_config
from bridge.core.happenings import AlertKind
from bridge.daemon.reload import restart_needed

SECRET_URL = "https://hooks.example.com/services/T0001/B0002/s3cretS3cretS3cret"


def _with_notify(config: Path, notify: str) -> Path:
    config.write_text(config.read_text(encoding="utf-8") + "\n" + notify, encoding="utf-8")
    return config


def _problems(config: Path, env: dict[str, str]) -> list[str]:
    with pytest.raises(InvalidConfigError) as caught:
        load_config(config, environ=env)
    return [str(p) for p in caught.value.problems]


SLACK = """
[notify]
error_after_cadences = 2
[[notify.webhook]]
name = "ops-slack"
format = "slack"
url_env = "SEATBRIDGE_SLACK_WEBHOOK"
on = ["conflict", "mass_release_refused"]
"""


def test_a_webhook_url_comes_from_its_variable(sandbox_copy: Path) -> None:
    cfg = load_config(
        _with_notify(sandbox_copy, SLACK), environ={"SEATBRIDGE_SLACK_WEBHOOK": SECRET_URL}
    )
    (hook,) = cfg.notify.webhook
    assert (hook.name, hook.format) == ("ops-slack", "slack")
    assert hook.on == (AlertKind.CONFLICT, AlertKind.MASS_RELEASE_REFUSED)
    assert cfg.webhook_urls["ops-slack"].get_secret_value() == SECRET_URL
    assert SECRET_URL not in repr(cfg)


def test_a_webhook_hears_every_kind_unless_told_and_its_url_file_is_watched(
    sandbox_copy: Path,
) -> None:
    url_file = sandbox_copy.parent / "hook-url"
    url_file.write_text(SECRET_URL + "\n", encoding="utf-8")
    notify = '[[notify.webhook]]\nname = "pager"\nurl_file = "hook-url"\n'
    cfg = load_config(_with_notify(sandbox_copy, notify), environ={})
    (hook,) = cfg.notify.webhook
    assert hook.format == "json"
    assert set(hook.on) == set(AlertKind)
    assert cfg.webhook_urls["pager"].get_secret_value() == SECRET_URL
    assert url_file.absolute() in cfg.files  # an edited URL file is a config change


def test_a_missing_variable_is_one_line_at_the_webhook(sandbox_copy: Path) -> None:
    problems = _problems(_with_notify(sandbox_copy, SLACK), {})
    assert len(problems) == 1
    (line,) = problems
    assert "webhook 'ops-slack': $SEATBRIDGE_SLACK_WEBHOOK is not set" in line
    assert "sandbox.toml:" in line and "\n" not in line


@pytest.mark.parametrize(
    "url", ["ftp://hooks.example.com/s3cretS3cretS3cret", "hooks.example.com/s3cretS3cretS3cret"]
)
def test_only_an_http_url_is_taken_and_the_refusal_never_shows_it(
    sandbox_copy: Path, url: str
) -> None:
    problems = _problems(_with_notify(sandbox_copy, SLACK), {"SEATBRIDGE_SLACK_WEBHOOK": url})
    (line,) = problems
    assert "does not hold an http:// or https:// URL" in line
    assert "s3cret" not in line and "\n" not in line


def test_an_unknown_alert_kind_is_named(sandbox_copy: Path) -> None:
    notify = SLACK.replace('"mass_release_refused"', '"seat_sold"')
    problems = _problems(
        _with_notify(sandbox_copy, notify), {"SEATBRIDGE_SLACK_WEBHOOK": SECRET_URL}
    )
    (line,) = problems
    assert "notify.webhook.0.on.1" in line and "conflict" in line and "\n" not in line


def test_a_url_written_in_the_file_is_refused_without_repeating_it(sandbox_copy: Path) -> None:
    notify = f'[[notify.webhook]]\nname = "x"\nurl = "{SECRET_URL}"\n'
    problems = _problems(_with_notify(sandbox_copy, notify), {})
    assert problems and all("s3cret" not in p for p in problems)
    assert any("a webhook URL is a secret" in p and "url_env" in p for p in problems)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('name = "a"', "set exactly one of url_env"),
        ('name = "a"\nurl_env = "A"\nurl_file = "f"', "not both"),
        ('name = "a b"\nurl_env = "A"', "notify.webhook.0.name"),
        ('name = "a"\nurl_env = "A"\non = []', "notify.webhook.0.on"),
    ],
)
def test_a_malformed_webhook_is_refused(sandbox_copy: Path, body: str, message: str) -> None:
    problems = _problems(_with_notify(sandbox_copy, f"[[notify.webhook]]\n{body}\n"), {"A": "x"})
    assert any(message in p for p in problems), problems


def test_two_webhooks_of_one_name_are_refused(sandbox_copy: Path) -> None:
    hook = '[[notify.webhook]]\nname = "a"\nurl_env = "A"\n'
    problems = _problems(_with_notify(sandbox_copy, hook + hook), {"A": SECRET_URL})
    assert any("webhook name 'a' is given twice" in p for p in problems)


def test_webhook_edits_take_effect_at_restart_and_the_error_threshold_at_once(
    sandbox_copy: Path,
) -> None:
    config = _with_notify(sandbox_copy, SLACK)
    env = {"SEATBRIDGE_SLACK_WEBHOOK": SECRET_URL}
    started = load_config(config, environ=env)

    def edited(old: str, new: str, environ: dict[str, str] = env) -> list[str]:
        config.write_text(config.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
        return restart_needed(started, load_config(config, environ=environ))

    assert edited("error_after_cadences = 2", "error_after_cadences = 5") == []
    assert edited("", "", {"SEATBRIDGE_SLACK_WEBHOOK": SECRET_URL + "x"}) == ["notify webhook URLs"]
    assert edited('format = "slack"', 'format = "json"') == ["[notify] webhook"]
