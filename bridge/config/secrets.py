"""Secrets: where they come from, how they are kept out of the config file, and how they are masked.

Secrets never live in the config file: they come from ``SEATBRIDGE_TESSITURA_PASSWORD`` /
``SEATBRIDGE_SEATSIO_SECRET_KEY`` / ``SEATBRIDGE_HTTP_TOKEN`` or from files the config names, and the environment wins over
a file. A webhook's URL (its path is its credential) comes from the variable or the file its
``[[notify.webhook]]`` names (:func:`read_webhook_url`). Every secret loaded is remembered so that :func:`redact` masks it wherever it turns up;
what a URL or a message may show otherwise is :mod:`bridge.redact`'s.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bridge.config.positions import At
from bridge.errors import Problem
from bridge.mapping.problems import display_path
from bridge.redact import redact_text, redact_url, split_userinfo

TESSITURA_PASSWORD_ENV = "SEATBRIDGE_TESSITURA_PASSWORD"
SEATSIO_SECRET_ENV = "SEATBRIDGE_SEATSIO_SECRET_KEY"
HTTP_TOKEN_ENV = "SEATBRIDGE_HTTP_TOKEN"
STORE_PASSWORD_ENV = "SEATBRIDGE_STORE_PASSWORD"
#: A shorter HTTP token is refused: it would be guessable.
HTTP_TOKEN_MIN_LENGTH = 16

#: Keys that would put a secret into the file, and where the secret goes instead.
SECRET_KEYS: Mapping[str, str] = {
    "password": f"set {TESSITURA_PASSWORD_ENV} or name a file in tessitura.password_file",
    "secret_key": f"set {SEATSIO_SECRET_ENV} or name a file in seatsio.secret_key_file",
    "secret": "secrets come from environment variables or the *_file settings",
    "api_key": "secrets come from environment variables or the *_file settings",
    "token": f"set {HTTP_TOKEN_ENV} or name a file in http.token_file",
}


#: ``scheme://`` at the start of a setting: the value is a URL, and may not carry credentials.
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


#: Secret values this process has loaded; :func:`redact` masks them wherever they turn up.
_LOADED_SECRETS: set[str] = set()
#: Secrets at least this long are masked inside any text; shorter ones only as whole tokens.
_SUBSTRING_FROM = 8


def redact(text: str, environ: Mapping[str, str] | None = None) -> str:
    """``text`` fit to show: every secret loaded by :func:`load_config` (and the values of the
    secret environment variables) becomes ``***``, then what :func:`bridge.redact.redact_text`
    masks: credentials and secret parameters in URLs, Basic/Bearer tokens, ``password=...``."""
    env = os.environ if environ is None else environ
    secrets = set(_LOADED_SECRETS)
    secrets.update(
        v
        for k in (TESSITURA_PASSWORD_ENV, SEATSIO_SECRET_ENV, HTTP_TOKEN_ENV, STORE_PASSWORD_ENV)
        if (v := env.get(k))
    )
    for secret in sorted(secrets, key=len, reverse=True):  # longest first: one may contain another
        if len(secret) >= _SUBSTRING_FROM:
            text = text.replace(secret, "***")
        else:  # a short one only as a whole token, or every "p" of a message would go
            text = re.sub(rf"(?<![\w-]){re.escape(secret)}(?![\w-])", "***", text)
    return redact_text(text)


def read_secret(
    what: str,
    env_name: str,
    file: Path | None,
    keys: tuple[str, ...],
    env: Mapping[str, str],
    required: bool,
    at: At,
    problems: list[Problem],
) -> SecretStr | None:
    """The environment variable when set (it wins), else the named file's text (one trailing
    newline stripped)."""
    if env_name in env:
        if not env[env_name]:
            problems.append(Problem(f"${env_name}", None, None, f"{what}: the variable is empty"))
            return None
        _LOADED_SECRETS.add(env[env_name])
        return SecretStr(env[env_name])
    if file is None:
        if required:
            problems.append(
                at(
                    keys[:1],
                    f"no {what}",
                    hint=f"set {env_name} or name a file in {'.'.join(keys)}",
                )
            )
        return None
    try:
        value = file.read_text(encoding="utf-8").removesuffix("\n").removesuffix("\r")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        problems.append(
            at(keys, f"cannot read the {what} file: {reason}", value=display_path(file))
        )
        return None
    if not value:
        problems.append(at(keys, f"the {what} file is empty", value=display_path(file)))
        return None
    _LOADED_SECRETS.add(value)
    return SecretStr(value)


#: A webhook URL: http or https, with a host.
_WEBHOOK_URL = re.compile(r"^https?://[^/\s?#@]+(?:[/?#]\S*)?$", re.IGNORECASE)


def read_webhook_url(
    name: str,
    url_env: str | None,
    url_file: Path | None,
    keys: tuple[str | int, ...],
    env: Mapping[str, str],
    required: bool,
    at: At,
    problems: list[Problem],
) -> SecretStr | None:
    """Webhook ``name``'s URL from the variable ``url_env`` or the file ``url_file`` (surrounding
    whitespace stripped), checked to be an http(s) URL. No problem ever shows the URL: at most
    its scheme. ``keys``: where the webhook's table is, for the problem's position."""
    what = f"webhook {name!r}"
    if url_env is not None:
        where = f"${url_env}"
        raw = env.get(url_env)
        if raw is None:
            if required:
                problems.append(
                    at(
                        (*keys, "url_env"),
                        f"{what}: {where} is not set",
                        hint=f"set {url_env} to the webhook's URL, or name a file in url_file",
                    )
                )
            return None
    else:
        assert url_file is not None
        where = f"the file {display_path(url_file)}"
        try:
            raw = url_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            problems.append(at((*keys, "url_file"), f"{what}: cannot read its URL file: {reason}"))
            return None
    value = raw.strip()
    key = (*keys, "url_env" if url_env is not None else "url_file")
    if not value:
        problems.append(at(key, f"{what}: {where} is empty"))
        return None
    if not _WEBHOOK_URL.match(value):
        scheme = value.split("://", 1)[0] if "://" in value else None
        got = f"scheme {scheme[:10]!r}" if scheme and scheme.isalnum() else "no http(s) URL"
        problems.append(
            at(
                key,
                f"{what}: {where} does not hold an http:// or https:// URL ({got})",
                hint="a webhook URL looks like https://hooks.example.com/...",
            )
        )
        return None
    _LOADED_SECRETS.add(value)
    return SecretStr(value)


def refuse_secrets(
    raw: Mapping[str, Any], prefix: tuple[str, ...], at: At, problems: list[Problem]
) -> None:
    """Report (without its value) every key that would store a secret in the file, and drop it
    so that validation does not echo the value back."""
    if not isinstance(raw, dict):
        return
    for name in list(raw):
        keys = (*prefix, name)
        if name.lower() in SECRET_KEYS:
            problems.append(
                at(
                    keys,
                    f"a secret in the config file: {'.'.join(keys)}",
                    hint=f"remove it; {SECRET_KEYS[name.lower()]}",
                )
            )
            del raw[name]
        elif isinstance(raw[name], dict):
            refuse_secrets(raw[name], keys, at, problems)


def _carries_password(url: str, keys: tuple[str | int, ...]) -> bool:
    """Whether ``url`` carries credentials: any ``user@`` in an HTTP URL, only ``user:password@``
    in the store's PostgreSQL URL (a user name alone is how PostgreSQL URLs say who connects)."""
    _, userinfo, _ = split_userinfo(url)
    if userinfo is None:
        return False
    return ":" in userinfo if keys[:1] == ("store",) else True


def refuse_url_credentials(
    raw: Any, prefix: tuple[str | int, ...], at: At, problems: list[Problem]
) -> None:
    """Report every URL-valued setting carrying ``user[:password]@`` (the value shown with the
    credentials masked), and strip them so that validation does not echo them either."""
    items: list[tuple[str | int, Any]]
    if isinstance(raw, dict):
        items = list(raw.items())
    elif isinstance(raw, list):
        items = list(enumerate(raw))
    else:
        return
    for name, value in items:
        keys = (*prefix, name)
        if isinstance(value, str) and _URL.match(value) and _carries_password(value, keys):
            dotted = ".".join(str(k) for k in keys)
            where = {
                "tessitura": f"the password comes from {TESSITURA_PASSWORD_ENV} or password_file",
                "store": f"the password comes from {STORE_PASSWORD_ENV} or password_file",
            }
            hint = where.get(str(keys[0]), "credentials come from environment variables or files")
            problems.append(
                at(
                    keys,
                    f"{dotted}: credentials in a URL",
                    value=redact_url(value),
                    hint=f"remove 'user:password@' from the URL; {hint}",
                )
            )
            head, _, rest = split_userinfo(value)
            raw[name] = head + rest
        else:
            refuse_url_credentials(value, keys, at, problems)
